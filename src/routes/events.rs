//! The reviewer's live stream: server-sent events of changes to the sessions they may see.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix_web::{get, web, HttpRequest, HttpResponse};
use futures_util::stream;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::auth::ReviewerAuth;
use crate::db::takeovers as repo;
use crate::error::{ApiError, Problem};
use crate::live::{LiveEvent, Replay};
use crate::state::AppState;

/// How often an idle stream sends a comment, so proxies and browsers keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How often a stream re-checks that its sign-in still works, besides whenever sign-ins may
/// have ended ([`crate::live::LiveBus::sign_ins_changed`]): this catches expiry and changes made
/// by the CLI. Each stream adds up to a fifth of it at random, so a thousand streams opened
/// together do not all ask at the same moment.
const SIGN_IN_RECHECK: Duration = Duration::from_secs(15);

/// The most waiting notices whose audience one lookup resolves at once.
const RESOLVE_AHEAD: usize = 256;

/// A live stream of changes to the conversations you may see, as server-sent events.
///
/// Each event has an `id:` line, `event: session` and a JSON `LiveEvent` as `data:`; idle
/// streams get a `: keep-alive` comment every 15 s. Ids are shared by every replica (one log in
/// the database): reconnect to any with `Last-Event-ID` to receive what you missed, oldest
/// first, then live ones. When that id is older than the log keeps (the newest 10 000 notices)
/// or unknown, the stream starts with `event: reset`, meaning: reload your view.
#[utoipa::path(
    tag = "conversations",
    params(("Last-Event-ID" = Option<String>, Header, description = "The last event id you received")),
    responses(
        (status = 200, description = "`text/event-stream` of `LiveEvent`s", body = LiveEvent, content_type = "text/event-stream"),
        (status = 401, description = "Missing or unknown reviewer token or inbox cookie", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/events")]
pub async fn get_events(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // A header that is no id at all is an unknown id: reset, like one the log never held.
    let last_seen = req.headers().get("last-event-id").map(|v| {
        v.to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    });
    // Subscribed before the log is read: a notice logged meanwhile arrives on both (the stream
    // skips ids it sent), never on neither.
    state.live.caught_up().await;
    let rx = state.live.subscribe();
    let replay = match last_seen {
        Some(seen) => state.live.replay_after(&state.db, seen).await,
        None => Replay::Events(Vec::new()),
    };
    let (backlog, reset): (VecDeque<LiveEvent>, bool) = match replay {
        Replay::Events(events) => (events.into(), false),
        Replay::Gap => (VecDeque::new(), true),
    };
    let presence = state.presence.connect(&reviewer.id);
    let opened = Instant::now();
    let stream = Stream {
        _presence: presence,
        // The extractor has just found the sign-in live.
        checked_generation: state.live.sign_in_generation(),
        next_check: opened + recheck_interval(),
        last_sent: opened,
        state,
        token: crate::auth::credential_digest(&req),
        reviewer,
        rx,
        backlog,
        lagged: false,
        sent_up_to: if reset { 0 } else { last_seen.unwrap_or(0) },
        opening: Some(if reset {
            "retry: 1000\nevent: reset\ndata: {}\n\n".to_string()
        } else {
            "retry: 1000\n: connected\n\n".to_string()
        }),
    };
    let body = stream::unfold(stream, |mut s| async move {
        let chunk = s.next_chunk().await?;
        Some((
            Ok::<_, std::convert::Infallible>(web::Bytes::from(chunk)),
            s,
        ))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

struct Stream {
    /// Counts this reviewer as connected while the stream lives.
    _presence: crate::live::PresenceGuard,
    state: web::Data<AppState>,
    /// The digest of the token or cookie the stream was opened with: once it stops working
    /// (sign-out, a disabled reviewer), the stream ends.
    token: Option<String>,
    /// The sign-in generation when the sign-in was last found live.
    checked_generation: u64,
    /// When to check the sign-in again even if nothing moved.
    next_check: Instant,
    /// When the last chunk went out (a keep-alive follows `KEEP_ALIVE` after it).
    last_sent: Instant,
    reviewer: ReviewerAuth,
    rx: broadcast::Receiver<LiveEvent>,
    backlog: VecDeque<LiveEvent>,
    /// Fell behind the broadcast while reading ahead: once the backlog is sent, the client must
    /// reload what it shows.
    lagged: bool,
    sent_up_to: u64,
    opening: Option<String>,
}

impl Stream {
    /// The next text to send; `None` ends the stream.
    async fn next_chunk(&mut self) -> Option<String> {
        if let Some(opening) = self.opening.take() {
            return Some(opening);
        }
        loop {
            let event = match self.backlog.pop_front() {
                Some(e) => e,
                None if self.lagged => {
                    self.lagged = false;
                    return self.sent("event: reset\ndata: {}\n\n".into());
                }
                None => {
                    let keep_alive = self.last_sent + KEEP_ALIVE;
                    tokio::select! {
                        received = self.rx.recv() => match received {
                            Ok(e) => e,
                            // Fell behind the broadcast: the client must reload what it shows.
                            Err(RecvError::Lagged(_)) => {
                                return self.sent("event: reset\ndata: {}\n\n".into())
                            }
                            Err(RecvError::Closed) => return None,
                        },
                        _ = tokio::time::sleep_until(self.next_check.into()) => {
                            self.check_still_signed_in().await?;
                            continue;
                        }
                        _ = tokio::time::sleep_until(keep_alive.into()) => {
                            return self.sent(": keep-alive\n\n".into());
                        }
                    }
                }
            };
            if event.id <= self.sent_up_to {
                continue;
            }
            self.sent_up_to = event.id;
            if !self.may_see(&event).await? {
                continue;
            }
            let data = serde_json::to_string(&event).ok()?;
            return self.sent(format!(
                "id: {}\nevent: session\ndata: {data}\n\n",
                event.id
            ));
        }
    }

    fn sent(&mut self, chunk: String) -> Option<String> {
        self.last_sent = Instant::now();
        Some(chunk)
    }

    /// May the reviewer see this event? `None` when their sign-in has ended (the stream ends).
    /// The sign-in is checked again only when sign-ins may have ended since the last check (so
    /// an event never waits on that query otherwise); visibility uses the notice's takeover,
    /// looked up once per notice for every stream (admins need none).
    async fn may_see(&mut self, event: &LiveEvent) -> Option<bool> {
        if self.state.live.sign_in_generation() != self.checked_generation {
            self.check_still_signed_in().await?;
        }
        if self.reviewer.is_admin {
            return Some(true);
        }
        if !event.audience.initialized() {
            self.resolve_audiences(event).await;
        }
        // Resolved above, or by another stream meanwhile; a failed lookup leaves it empty, and
        // the notice is looked up alone.
        let session = event.session_id.clone();
        let db = self.state.db.clone();
        let latest = event
            .audience
            .get_or_try_init(|| db.read(move |conn| repo::latest_for_session(conn, &session)))
            .await;
        Some(matches!(latest, Ok(Some(t)) if repo::can_see(&self.reviewer, t)))
    }

    /// Looks up whose notices `event` and every notice already waiting for this stream are (their
    /// sessions' latest takeovers) in one query, under the bus's `resolving` lock: a burst of
    /// a hundred takeovers is one lookup for every stream, not a hundred one after another.
    async fn resolve_audiences(&mut self, event: &LiveEvent) {
        let _one_at_a_time = self.state.live.resolving.lock().await;
        if event.audience.initialized() {
            return;
        }
        while self.backlog.len() < RESOLVE_AHEAD {
            match self.rx.try_recv() {
                Ok(e) => self.backlog.push_back(e),
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    self.lagged = true;
                    break;
                }
                Err(_) => break,
            }
        }
        let pending: Vec<&LiveEvent> = std::iter::once(event)
            .chain(self.backlog.iter())
            .filter(|e| !e.audience.initialized())
            .collect();
        let mut sessions: Vec<String> = pending.iter().map(|e| e.session_id.clone()).collect();
        sessions.sort_unstable();
        sessions.dedup();
        let found = self
            .state
            .db
            .read(move |conn| repo::latest_for_sessions(conn, &sessions))
            .await;
        if let Ok(latest) = found {
            for e in pending {
                let _ = e.audience.set(latest.get(&e.session_id).cloned());
            }
        }
    }

    /// `None` when the reviewer's sign-in has ended.
    async fn check_still_signed_in(&mut self) -> Option<()> {
        // Read before the query: a change that lands during it is looked at next time.
        self.checked_generation = self.state.live.sign_in_generation();
        self.next_check = Instant::now() + recheck_interval();
        let token = self.token.clone();
        let live = self
            .state
            .db
            .read(move |conn| signed_in(conn, token.as_deref()))
            .await
            // A database hiccup is no reason to drop a reviewer's stream.
            .unwrap_or(true);
        live.then_some(())
    }
}

/// [`SIGN_IN_RECHECK`] plus up to a fifth of it at random.
fn recheck_interval() -> Duration {
    SIGN_IN_RECHECK + SIGN_IN_RECHECK.mul_f64(rand::random::<f64>() / 5.0)
}

fn signed_in(conn: &mut crate::db::DbConnection, token: Option<&str>) -> Result<bool, ApiError> {
    match token {
        Some(digest) => crate::db::accounts::token_is_live(conn, digest),
        None => Ok(false),
    }
}
