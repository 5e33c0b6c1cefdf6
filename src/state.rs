//! What every handler can reach through `web::Data<AppState>`: the database, the config, the
//! live bus, the wake-ups a committed change sends (`notify`), and the first-run setup link.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::auth::KeyCache;
use crate::config::Config;
use crate::db::Db;
use crate::domain::change::Change;
use crate::live::LiveBus;
use crate::throttle::{LoginThrottle, VisitorLimits};

/// What every handler can reach, through `web::Data<AppState>`.
pub struct AppState {
    pub db: Db,
    pub config: Config,
    /// Base for links (`inbox_url`): `BATON_PUBLIC_URL` or `http://<bound address>`.
    pub public_base: String,
    /// Wakes the delivery worker after a transaction queued callbacks.
    pub outbox: Arc<Notify>,
    pub key_cache: Arc<KeyCache>,
    pub live: Arc<LiveBus>,
    pub login_throttle: LoginThrottle,
    /// The web chat's rate limits.
    pub visitor_limits: VisitorLimits,
    /// What the web chat's visitor streams hear besides the live bus (this replica only: a
    /// revocation elsewhere reaches them at their next check).
    pub visitor_signals: tokio::sync::broadcast::Sender<VisitorSignal>,
    pub signal_rules: crate::routes::signals::RulesCache,
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Wakes the router (automatic assignment) after something changed who can take what.
    pub router: Arc<Notify>,
    /// Reviewers with a live stream open on this replica.
    pub presence: Arc<crate::live::Presence>,
    /// Deliveries taken in a committed transaction, for this process's worker to send at once.
    pub direct: tokio::sync::mpsc::UnboundedSender<crate::db::outbox::Leased>,
    /// How long the worker holds a delivery it sends (the request timeout and a margin).
    pub delivery_lease: Duration,
    /// The one-time setup link's token, when this process started without any reviewer.
    pub setup: Option<SetupLink>,
}

/// The token of the setup link `baton serve` prints while no reviewer exists. It lives in this
/// process only (each replica prints its own); whether setup is still open is the database's
/// to say (no reviewer yet), so every replica's link dies with the first reviewer, however
/// that reviewer came. Once this process has seen a reviewer it stops asking.
pub struct SetupLink {
    token: String,
    open: AtomicBool,
}

impl SetupLink {
    pub fn new() -> SetupLink {
        SetupLink {
            token: crate::domain::credentials::generate_setup_token(),
            open: AtomicBool::new(true),
        }
    }

    /// The path of the link: `/setup/<token>`.
    pub fn path(&self) -> String {
        format!("/setup/{}", self.token)
    }

    /// Is `sent` this link's token, and has this process not yet seen a reviewer?
    pub fn admits(&self, sent: &str) -> bool {
        self.open.load(Ordering::Acquire)
            && crate::domain::credentials::secret_matches(&self.token, sent)
    }

    /// A reviewer exists: the link is dead for good.
    pub fn close(&self) {
        self.open.store(false, Ordering::Release);
    }
}

impl Default for SetupLink {
    fn default() -> SetupLink {
        SetupLink::new()
    }
}

/// A passing signal for the web chat's visitor streams; nothing is stored.
#[derive(Clone, Debug)]
pub enum VisitorSignal {
    /// A person is writing in this session.
    Typing { session_id: String, name: String },
    /// This widget key was revoked: its streams end.
    WidgetRevoked(String),
}

impl AppState {
    pub fn wake_outbox(&self) {
        self.outbox.notify_one();
    }

    /// Sends a delivery taken with its transaction right away; without one, wakes the worker.
    pub fn deliver_now(&self, taken: Option<crate::db::outbox::Leased>) {
        match taken {
            // A closed channel (shutting down) leaves the lease to run out and be retried.
            Some(leased) => {
                if self.direct.send(leased).is_err() {
                    self.wake_outbox();
                }
            }
            None => self.wake_outbox(),
        }
    }

    pub fn wake_router(&self) {
        self.router.notify_one();
    }

    /// After a change to a conversation committed: wakes the delivery worker if it queued
    /// callbacks, announces it on the live bus, and wakes the router if seats changed.
    pub fn notify(&self, session_id: &str, change: Change) {
        if change.queues_callbacks() {
            self.wake_outbox();
        }
        self.live.session_changed(session_id, change);
        if change.frees_or_fills_a_seat() {
            self.wake_router();
        }
    }
}
