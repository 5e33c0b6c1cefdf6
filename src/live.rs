//! Live change notices for connected reviewers (the inbox's server-sent events): a broadcast of
//! "session X changed", numbered so a reconnecting client can tell what it missed, with a bounded
//! ring of recent notices to replay after a reconnect (`Last-Event-ID`). With PostgreSQL, notices
//! also cross replicas via LISTEN/NOTIFY ([`bridge_postgres`]), and so does the word that
//! credentials were revoked (each replica then empties its API key cache).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};

use serde::Serialize;
use tokio::sync::broadcast;
use utoipa::ToSchema;

use crate::db::models::TakeoverRow;
use crate::domain::change::Change;

/// How many recent notices a reconnecting client can catch up on.
const REPLAY: usize = 1024;

/// One change notice, sent as the `data:` of a server-sent event.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LiveEvent {
    /// Increasing number; also the event's `id:` line, to send back as `Last-Event-ID`.
    pub id: u64,
    /// What happened: `message`, `takeover`, `claimed`, `released`, `transferred`, `note`,
    /// `handed_back`, `closed`, ...
    pub kind: String,
    /// The session it happened to.
    pub session_id: String,
    /// The session's latest takeover (who may see it), looked up once for all the streams that
    /// carry this notice instead of once per stream: with a thousand reviewers connected, one
    /// change would otherwise cost a thousand queries.
    #[serde(skip)]
    pub audience: Arc<tokio::sync::OnceCell<Option<TakeoverRow>>>,
}

/// What a reconnecting client missed.
pub enum Replay {
    /// Every notice after the one it saw, oldest first.
    Events(Vec<LiveEvent>),
    /// More than the ring holds (or a restart): the client must reload its view.
    Gap,
}

/// The in-process bus.
pub struct LiveBus {
    sender: broadcast::Sender<LiveEvent>,
    next: AtomicU64,
    recent: Mutex<VecDeque<LiveEvent>>,
    /// This process, so it can ignore its own notices coming back from PostgreSQL.
    origin: String,
    /// Notices to publish to the other replicas, when bridged.
    outgoing: OnceLock<Mutex<mpsc::Sender<String>>>,
    /// What to run when another replica revoked credentials (empty the API key cache).
    on_revocation: OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// Bumped whenever reviewer sign-ins may have ended (sign-out, a disabled reviewer, a new
    /// password), here or on another replica: event streams check their sign-in again when it
    /// moved, instead of before every event.
    sign_ins: AtomicU64,
    /// Held by the event stream that is looking up whose notices these are (see
    /// `routes::events`): one lookup at a time, so a burst of notices costs one query for all
    /// of them instead of one per notice, and no two streams look up the same notice.
    pub resolving: tokio::sync::Mutex<()>,
}

impl Default for LiveBus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(REPLAY);
        // Numbering starts at the boot time in milliseconds, so ids keep increasing across a
        // restart and a client's old Last-Event-ID reads as "before everything we hold".
        let start = chrono::Utc::now().timestamp_millis().max(1) as u64;
        LiveBus {
            sender,
            next: AtomicU64::new(start),
            recent: Mutex::new(VecDeque::with_capacity(REPLAY)),
            origin: uuid::Uuid::new_v4().to_string(),
            outgoing: OnceLock::new(),
            on_revocation: OnceLock::new(),
            sign_ins: AtomicU64::new(0),
            resolving: tokio::sync::Mutex::new(()),
        }
    }
}

impl LiveBus {
    /// Announces a change here and, when bridged, on the other replicas; nobody listening is fine.
    pub fn session_changed(&self, session_id: &str, change: Change) {
        self.publish_local(session_id, change.as_str());
        self.tell_replicas(session_id, change.as_str());
    }

    fn tell_replicas(&self, session_id: &str, kind: &str) {
        if let Some(tx) = self.outgoing.get() {
            let note =
                serde_json::json!({"origin": self.origin, "session_id": session_id, "kind": kind});
            let _ = tx
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .send(note.to_string());
        }
    }

    /// Sets what runs when another replica revokes credentials (once, at start).
    pub fn on_revocation(&self, hook: impl Fn() + Send + Sync + 'static) {
        let _ = self.on_revocation.set(Box::new(hook));
    }

    /// Tells the other replicas that credentials were revoked here, so they forget what they
    /// cached. (This replica empties its own cache itself.) Not shown to reviewers.
    pub fn credentials_revoked(&self) {
        self.tell_replicas("", REVOKED);
    }

    /// Says that reviewer sign-ins may have ended; call it after the change is committed and
    /// before announcing the changes that follow from it.
    pub fn sign_ins_changed(&self) {
        self.sign_ins.fetch_add(1, Ordering::AcqRel);
        self.tell_replicas("", SIGN_INS);
    }

    /// Moves whenever sign-ins may have ended (see [`LiveBus::sign_ins_changed`]).
    pub fn sign_in_generation(&self) -> u64 {
        self.sign_ins.load(Ordering::Acquire)
    }

    /// Announces a change to this process's subscribers only.
    fn publish_local(&self, session_id: &str, kind: &str) {
        // Numbering and sending under the ring's lock keeps the ring and the broadcast in order.
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let event = LiveEvent {
            id: self.next.fetch_add(1, Ordering::Relaxed),
            kind: kind.to_string(),
            session_id: session_id.to_string(),
            audience: Default::default(),
        };
        if recent.len() == REPLAY {
            recent.pop_front();
        }
        recent.push_back(event.clone());
        let _ = self.sender.send(event);
    }

    /// Subscribes to new notices and, for a client that saw `last_seen`, returns what it missed.
    /// Notices in the replay may also arrive on the receiver: skip ids already sent.
    pub fn subscribe_after(
        &self,
        last_seen: Option<u64>,
    ) -> (broadcast::Receiver<LiveEvent>, Replay) {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let rx = self.sender.subscribe();
        let Some(seen) = last_seen else {
            return (rx, Replay::Events(Vec::new()));
        };
        let next = self.next.load(Ordering::Relaxed);
        let oldest = recent.front().map(|e| e.id).unwrap_or(next);
        let replay = if seen >= next || seen + 1 < oldest {
            Replay::Gap
        } else {
            Replay::Events(recent.iter().filter(|e| e.id > seen).cloned().collect())
        };
        (rx, replay)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    pub fn receivers(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// Which reviewers have a live stream open on this replica. The timers mark them as seen in the
/// database, so a reviewer whose every stream (on every replica) has been gone for the grace
/// period is set away.
#[derive(Default)]
pub struct Presence {
    connected: Mutex<std::collections::HashMap<String, usize>>,
}

impl Presence {
    /// Counts a stream of `reviewer_id` until the guard is dropped.
    pub fn connect(self: &std::sync::Arc<Self>, reviewer_id: &str) -> PresenceGuard {
        *self
            .connected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(reviewer_id.to_string())
            .or_default() += 1;
        PresenceGuard {
            presence: self.clone(),
            reviewer_id: reviewer_id.to_string(),
        }
    }

    /// Reviewers with at least one stream open here.
    pub fn connected(&self) -> Vec<String> {
        let map = self.connected.lock().unwrap_or_else(|p| p.into_inner());
        map.keys().cloned().collect()
    }
}

/// One open stream of a reviewer.
pub struct PresenceGuard {
    presence: std::sync::Arc<Presence>,
    reviewer_id: String,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        let mut map = self
            .presence
            .connected
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.reviewer_id) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.reviewer_id);
            }
        }
    }
}

/// PostgreSQL's channel for live notices between replicas.
const CHANNEL: &str = "baton_live";
/// The kind of notice that says "credentials were revoked"; it concerns no session.
const REVOKED: &str = "credentials.revoked";
const SIGN_INS: &str = "sign-ins.changed";

/// Connects the bus to the other replicas through PostgreSQL: one thread with its own connection
/// sends this process's notices with NOTIFY and relays the others' (LISTEN). Each replica numbers
/// the relayed notices itself, so `Last-Event-ID` stays per replica. Reconnects after failures.
pub fn bridge_postgres(bus: Arc<LiveBus>, url: String) {
    let (tx, rx) = mpsc::channel::<String>();
    if bus.outgoing.set(Mutex::new(tx)).is_err() {
        return;
    }
    std::thread::Builder::new()
        .name("baton-live-pg".into())
        .spawn(move || loop {
            if let Err(e) = relay(&bus, &url, &rx) {
                tracing::warn!(error = %e, "live events: PostgreSQL LISTEN/NOTIFY failed; reconnecting");
            }
            std::thread::sleep(Duration::from_secs(1));
        })
        .expect("spawn the live event thread");
}

#[derive(serde::Deserialize)]
struct Notice {
    origin: String,
    session_id: String,
    kind: String,
}

fn relay(bus: &LiveBus, url: &str, rx: &mpsc::Receiver<String>) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(url)?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    loop {
        // Wait briefly for outgoing notices, then look for incoming ones: a notice crosses
        // replicas within about 100 ms.
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(first) => {
                // Everything queued goes out in one statement (one transaction): under load a
                // notice per turn would cost PostgreSQL a transaction per turn. Identical notices
                // (the same change of the same session) arrive once, which is all a listener
                // needs to refresh.
                let payloads: Vec<String> = std::iter::once(first).chain(rx.try_iter()).collect();
                diesel::sql_query("SELECT pg_notify($1, p) FROM unnest($2) AS p")
                    .bind::<diesel::sql_types::Text, _>(CHANNEL)
                    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(payloads)
                    .execute(&mut conn)?;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        }
        let incoming: Vec<String> = conn
            .notifications_iter()
            .map(|n| n.map(|n| n.payload))
            .collect::<Result<_, _>>()?;
        for payload in incoming {
            match serde_json::from_str::<Notice>(&payload) {
                Ok(n) if n.origin == bus.origin => {}
                Ok(n) if n.kind == SIGN_INS => {
                    bus.sign_ins.fetch_add(1, Ordering::AcqRel);
                }
                Ok(n) if n.kind == REVOKED => {
                    if let Some(hook) = bus.on_revocation.get() {
                        hook();
                    }
                }
                Ok(n) => bus.publish_local(&n.session_id, &n.kind),
                Err(e) => tracing::warn!(error = %e, "live events: unreadable notice"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnecting_client_gets_what_it_missed() {
        let bus = LiveBus::default();
        bus.session_changed("a", Change::Message);
        let (_, first) = bus.subscribe_after(None);
        assert!(matches!(first, Replay::Events(ref v) if v.is_empty()));
        let first_id = bus.recent.lock().unwrap()[0].id;
        bus.session_changed("b", Change::Claimed);
        bus.session_changed("c", Change::Closed);
        match bus.subscribe_after(Some(first_id)).1 {
            Replay::Events(v) => {
                assert_eq!(
                    v.iter().map(|e| e.session_id.as_str()).collect::<Vec<_>>(),
                    ["b", "c"]
                )
            }
            Replay::Gap => panic!("expected a replay"),
        }
        assert!(matches!(bus.subscribe_after(Some(1)).1, Replay::Gap));
        assert!(matches!(
            bus.subscribe_after(Some(first_id + 1000)).1,
            Replay::Gap
        ));
    }
}
