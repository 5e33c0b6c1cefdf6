//! Live change notices for connected reviewers (the inbox's server-sent events): a broadcast of
//! "session X changed", numbered from one log shared through the database (`live_events`,
//! [`crate::db::events`]), so an id means the same on every replica and a client that
//! reconnects anywhere with `Last-Event-ID` replays what it missed from the log.
//!
//! The live path stays in memory: each replica's journal thread ([`start_journal`]) writes the
//! notices its changes announce right after they commit, a batch per transaction, and fans them
//! out to its streams; with PostgreSQL the same transaction NOTIFYs them, with their ids, to the
//! other replicas (LISTEN), and so does the word that credentials were revoked (each replica then
//! empties its API key cache). The log keeps the newest [`KEEP`] notices; an older id (or an
//! unknown one) gets `event: reset`, never a silent gap.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection};

use serde::Serialize;
use tokio::sync::broadcast;
use utoipa::ToSchema;

use crate::db::events::{self, Backlog, CHANNEL};
use crate::db::models::TakeoverRow;
use crate::db::{Db, DbConnection};
use crate::domain::change::Change;

/// How many notices the shared log keeps (the newest), so how far back a reconnecting client
/// can catch up; each replica prunes after every [`PRUNE_EVERY`] notices it wrote, so the log
/// briefly holds up to that many more per replica.
pub const KEEP: i64 = 10_000;
/// How many notices a replica writes between two prunings of the log.
const PRUNE_EVERY: usize = 500;
/// How many notices the in-process broadcast buffers for a slow stream (past that, `reset`).
const BUFFER: usize = 1024;

/// One change notice, sent as the `data:` of a server-sent event.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LiveEvent {
    /// Increasing number, the same on every replica; also the event's `id:` line, to send back
    /// as `Last-Event-ID`.
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

impl LiveEvent {
    fn new(id: u64, session_id: &str, kind: &str) -> LiveEvent {
        LiveEvent {
            id,
            kind: kind.to_string(),
            session_id: session_id.to_string(),
            audience: Default::default(),
        }
    }
}

/// What a reconnecting client missed.
pub enum Replay {
    /// Every notice after the one it saw, oldest first.
    Events(Vec<LiveEvent>),
    /// Older than the log keeps, or an id the log never had: the client must reload its view.
    Gap,
}

/// What goes to the journal thread.
enum Outgoing {
    /// A change to announce (session id, kind).
    Notice(String, String),
    /// A word for the other replicas only (credentials revoked, sign-ins changed).
    Signal(&'static str),
}

/// The in-process bus.
pub struct LiveBus {
    sender: broadcast::Sender<LiveEvent>,
    /// The newest id fanned out here: ids go out increasing, each once.
    published: Mutex<u64>,
    /// Numbers notices when no journal runs (the unit tests): in memory, this process only.
    next: AtomicU64,
    /// This process, so it can ignore its own signals coming back from PostgreSQL.
    origin: String,
    /// The journal thread's queue, once it runs.
    outgoing: OnceLock<Mutex<mpsc::Sender<Outgoing>>>,
    /// How many notices and signals went to the journal, and how many it has handled: a stream
    /// opens once the journal caught up ([`LiveBus::caught_up`]), so it never hears of a change
    /// that committed before it opened.
    queued: AtomicU64,
    handled: AtomicU64,
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
        let (sender, _) = broadcast::channel(BUFFER);
        LiveBus {
            sender,
            published: Mutex::new(0),
            next: AtomicU64::new(1),
            origin: uuid::Uuid::new_v4().to_string(),
            outgoing: OnceLock::new(),
            queued: AtomicU64::new(0),
            handled: AtomicU64::new(0),
            on_revocation: OnceLock::new(),
            sign_ins: AtomicU64::new(0),
            resolving: tokio::sync::Mutex::new(()),
        }
    }
}

impl LiveBus {
    /// Announces a change (after it committed) here and, when bridged, on the other replicas;
    /// nobody listening is fine. It reaches the streams once the journal has logged it.
    pub fn session_changed(&self, session_id: &str, change: Change) {
        match self.outgoing.get() {
            Some(tx) => {
                let sent = tx
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .send(Outgoing::Notice(
                        session_id.to_string(),
                        change.as_str().to_string(),
                    ));
                if sent.is_ok() {
                    self.queued.fetch_add(1, Ordering::AcqRel);
                }
            }
            None => {
                let id = self.next.fetch_add(1, Ordering::Relaxed);
                self.publish(id, session_id, change.as_str());
            }
        }
    }

    fn tell_replicas(&self, signal: &'static str) {
        if let Some(tx) = self.outgoing.get() {
            let sent = tx
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .send(Outgoing::Signal(signal));
            if sent.is_ok() {
                self.queued.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// Sets what runs when another replica revokes credentials (once, at start).
    pub fn on_revocation(&self, hook: impl Fn() + Send + Sync + 'static) {
        let _ = self.on_revocation.set(Box::new(hook));
    }

    /// Tells the other replicas that credentials were revoked here, so they forget what they
    /// cached. (This replica empties its own cache itself.) Not shown to reviewers.
    pub fn credentials_revoked(&self) {
        self.tell_replicas(REVOKED);
    }

    /// Says that reviewer sign-ins may have ended; call it after the change is committed and
    /// before announcing the changes that follow from it.
    pub fn sign_ins_changed(&self) {
        self.sign_ins.fetch_add(1, Ordering::AcqRel);
        self.tell_replicas(SIGN_INS);
    }

    /// Moves whenever sign-ins may have ended (see [`LiveBus::sign_ins_changed`]).
    pub fn sign_in_generation(&self) -> u64 {
        self.sign_ins.load(Ordering::Acquire)
    }

    /// Fans a logged notice out to this process's streams, unless its id is not newer than the
    /// last one sent (each id goes out once, in increasing order).
    fn publish(&self, id: u64, session_id: &str, kind: &str) {
        let mut published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        if id <= *published {
            return;
        }
        *published = id;
        let _ = self.sender.send(LiveEvent::new(id, session_id, kind));
    }

    /// Waits (at most a second) until the journal has fanned out every notice queued before
    /// now: a stream that opens after a change committed then never hears of it live.
    pub async fn caught_up(&self) {
        let target = self.queued.load(Ordering::Acquire);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while self.handled.load(Ordering::Acquire) < target
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn handled(&self, n: usize) {
        self.handled.fetch_add(n as u64, Ordering::AcqRel);
    }

    /// Subscribes to new notices. Subscribe before reading a replay ([`LiveBus::replay_after`]):
    /// notices of both then overlap instead of leaving a hole; skip ids already sent.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    /// What a client that saw `seen` missed, read from the shared log (any replica's notices).
    /// A failed read is a [`Replay::Gap`]: the client reloads rather than miss something.
    pub async fn replay_after(&self, db: &Db, seen: u64) -> Replay {
        let Ok(seen) = i64::try_from(seen) else {
            return Replay::Gap;
        };
        let limit = REPLAY_LIMIT;
        match db.read(move |c| events::after(c, seen, limit)).await {
            Ok(backlog) => replay_of(seen, backlog, limit),
            Err(e) => {
                tracing::warn!(error = %e.detail, "live events: cannot read the log for a replay");
                Replay::Gap
            }
        }
    }

    pub fn receivers(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// The most notices one replay reads: the window and the prunings' slack.
const REPLAY_LIMIT: i64 = 2 * KEEP;

/// What to replay to a client that saw `seen`: every later notice, unless notices after it
/// were pruned (it is older than the oldest kept, bar the one just before) or the log never
/// held it (newer than the newest, or the log is empty).
fn replay_of(seen: i64, backlog: Backlog, limit: i64) -> Replay {
    let Some((oldest, newest)) = backlog.bounds else {
        return Replay::Gap;
    };
    if seen < oldest - 1 || seen > newest || backlog.after.len() as i64 >= limit {
        return Replay::Gap;
    }
    Replay::Events(
        backlog
            .after
            .into_iter()
            .map(|n| LiveEvent::new(n.id as u64, &n.session_id, &n.kind))
            .collect(),
    )
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

/// The signal that says "credentials were revoked"; it concerns no session.
const REVOKED: &str = "credentials.revoked";
const SIGN_INS: &str = "sign-ins.changed";
/// How long the PostgreSQL journal waits for notices to send before it looks for the other
/// replicas' ones: a notice crosses replicas within about this long.
const POLL: Duration = Duration::from_millis(50);
/// How long it waits for its own notices to come back from PostgreSQL after a commit.
const ECHO_WAIT: Duration = Duration::from_secs(1);
/// The least time between two of the PostgreSQL journal's transactions: a notice that finds
/// the journal quiet goes out at once, and under load the notices of this long share one
/// transaction. Each transaction costs PostgreSQL a commit and a NOTIFY; one per group of
/// turns cost the turn gate a third of its throughput at 8 clients (see
/// `docs/PERFORMANCE.md`), for notices that streams see at most this much later.
const GATHER: Duration = Duration::from_millis(5);

/// Starts the journal thread: it writes this process's notices to the shared log, a batch per
/// transaction, and fans them out here. With PostgreSQL (`postgres_url`) it has a connection of
/// its own that NOTIFYs each batch in the transaction that logs it and LISTENs: every replica,
/// this one included, fans out the notices as PostgreSQL delivers them, in commit order, which
/// the log's lock makes id order. Reconnects after failures, keeping what it had to send.
pub fn start_journal(bus: Arc<LiveBus>, db: Db, postgres_url: Option<String>) {
    let (tx, rx) = mpsc::channel::<Outgoing>();
    if bus.outgoing.set(Mutex::new(tx)).is_err() {
        return;
    }
    // On SQLite a batch of notices joins the turn gate's group commit (one more savepoint in
    // a transaction that commits anyway) instead of taking the single writer for a commit
    // of its own between the turns' transactions.
    let runtime = tokio::runtime::Handle::try_current().ok();
    std::thread::Builder::new()
        .name("baton-live".into())
        .spawn(move || match postgres_url {
            Some(url) => {
                let mut pending = Vec::new();
                let mut written = 0;
                loop {
                    match relay(&bus, &url, &rx, &mut pending, &mut written) {
                        Ok(()) => return,
                        Err(e) => tracing::warn!(error = %e, "live events: PostgreSQL journal failed; reconnecting"),
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            None => journal_local(&bus, &db, runtime.as_ref(), &rx),
        })
        .expect("spawn the live event thread");
}

/// The single-process journal (SQLite): log a batch, then fan it out.
fn journal_local(
    bus: &LiveBus,
    db: &Db,
    runtime: Option<&tokio::runtime::Handle>,
    rx: &mpsc::Receiver<Outgoing>,
) {
    let mut written = 0;
    while let Ok(first) = rx.recv() {
        let batch: Vec<Outgoing> = std::iter::once(first).chain(rx.try_iter()).collect();
        let handled = batch.len();
        journal_batch(
            bus,
            db,
            runtime,
            &notices_of(batch.into_iter()),
            &mut written,
        );
        bus.handled(handled);
    }
}

/// Logs one batch (SQLite), then fans it out.
fn journal_batch(
    bus: &LiveBus,
    db: &Db,
    runtime: Option<&tokio::runtime::Handle>,
    notices: &[(String, String)],
    written: &mut usize,
) {
    if notices.is_empty() {
        return;
    }
    let mut stored = None;
    for attempt in 1..=5 {
        let appended = match runtime {
            Some(runtime) => {
                let owned = notices.to_vec();
                runtime.block_on(db.write_grouped(move |c| events::append(c, &owned)))
            }
            None => db.write_blocking(|c| events::append(c, notices)),
        };
        match appended {
            Ok(s) => {
                stored = Some(s);
                break;
            }
            Err(e) => {
                tracing::warn!(error = %e.detail, attempt, "live events: cannot log notices");
                std::thread::sleep(Duration::from_millis(200 * attempt));
            }
        }
    }
    let Some(stored) = stored else {
        tracing::error!(
            lost = notices.len(),
            "live events: notices not logged; streams reload at their next reconnect"
        );
        return;
    };
    for n in &stored {
        bus.publish(n.id as u64, &n.session_id, &n.kind);
    }
    *written += stored.len();
    if *written >= PRUNE_EVERY {
        *written = 0;
        if let Err(e) = db.write_blocking(|c| events::prune(c, KEEP)) {
            tracing::warn!(error = %e.detail, "live events: cannot prune the log");
        }
    }
}

fn notices_of(batch: impl Iterator<Item = Outgoing>) -> Vec<(String, String)> {
    batch
        .filter_map(|o| match o {
            Outgoing::Notice(session, kind) => Some((session, kind)),
            Outgoing::Signal(_) => None,
        })
        .collect()
}

/// A notice as it crosses replicas: a logged change (with its id) or a signal (with its origin).
#[derive(serde::Serialize, serde::Deserialize)]
struct Notice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(default)]
    origin: String,
    #[serde(default)]
    session_id: String,
    kind: String,
}

fn relay(
    bus: &LiveBus,
    url: &str,
    rx: &mpsc::Receiver<Outgoing>,
    pending: &mut Vec<Outgoing>,
    written: &mut usize,
) -> anyhow::Result<()> {
    let failed = |e: crate::error::ApiError| anyhow::anyhow!(e.detail);
    let mut pg = PgConnection::establish(url)?;
    events::renumber_after_reset(&mut pg).map_err(failed)?;
    let mut conn = DbConnection::Postgresql(pg);
    events::listen(&mut conn, CHANNEL).map_err(failed)?;
    let mut last = Instant::now()
        .checked_sub(GATHER)
        .unwrap_or_else(Instant::now);
    loop {
        if pending.is_empty() {
            match rx.recv_timeout(POLL) {
                Ok(first) => pending.push(first),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
        if !pending.is_empty() {
            // Under load, gather what arrives until GATHER has passed since the last batch.
            if let Some(rest) = GATHER.checked_sub(last.elapsed()) {
                std::thread::sleep(rest);
            }
            last = Instant::now();
        }
        pending.extend(rx.try_iter());
        let mut awaiting = None;
        let handled = pending.len();
        if !pending.is_empty() {
            // Everything queued goes out in one transaction: under load a transaction per turn
            // would cost PostgreSQL dearly.
            let mut notices = Vec::new();
            let mut signals = Vec::new();
            for o in pending.iter() {
                match o {
                    Outgoing::Notice(session, kind) => {
                        notices.push((session.clone(), kind.clone()))
                    }
                    Outgoing::Signal(kind) => signals.push(payload(&Notice {
                        id: None,
                        origin: bus.origin.clone(),
                        session_id: String::new(),
                        kind: kind.to_string(),
                    })),
                }
            }
            // One statement that commits on its own (no transaction around it: one round
            // trip, see `events::append`); the rare signals (not logged) go out after it.
            let stored = events::append(&mut conn, &notices).map_err(failed)?;
            events::notify(&mut conn, CHANNEL, signals).map_err(failed)?;
            pending.clear();
            awaiting = stored.last().map(|n| n.id as u64);
            *written += stored.len();
            if *written >= PRUNE_EVERY {
                *written = 0;
                if let Err(e) = conn.transaction(|c| events::prune(c, KEEP)) {
                    tracing::warn!(error = %e.detail, "live events: cannot prune the log");
                }
            }
        }
        // Fan out what PostgreSQL delivered, ours included: in commit order, so in id order.
        // Wait briefly for our own batch, so a change reaches this replica's streams at once.
        let deadline = Instant::now() + ECHO_WAIT;
        loop {
            for p in events::notifications(&mut conn).map_err(failed)? {
                receive(bus, &p, &mut awaiting);
            }
            if awaiting.is_none() || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        bus.handled(handled);
    }
}

fn payload(n: &Notice) -> String {
    serde_json::to_string(n).unwrap_or_default()
}

/// Handles one notification; `awaiting` is cleared once our own batch's last id came back.
fn receive(bus: &LiveBus, payload: &str, awaiting: &mut Option<u64>) {
    match serde_json::from_str::<Notice>(payload) {
        Ok(Notice {
            id: Some(id),
            session_id,
            kind,
            ..
        }) => {
            bus.publish(id, &session_id, &kind);
            if awaiting.is_some_and(|a| id >= a) {
                *awaiting = None;
            }
        }
        Ok(n) if n.origin == bus.origin => {}
        Ok(n) if n.kind == SIGN_INS => {
            bus.sign_ins.fetch_add(1, Ordering::AcqRel);
        }
        Ok(n) if n.kind == REVOKED => {
            if let Some(hook) = bus.on_revocation.get() {
                hook();
            }
        }
        // A replica of an older version (a notice without an id): not in the log, so not shown.
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "live events: unreadable notice"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::events::StoredNotice;

    fn backlog(bounds: Option<(i64, i64)>, after: &[i64]) -> Backlog {
        Backlog {
            bounds,
            after: after
                .iter()
                .map(|&id| StoredNotice {
                    id,
                    session_id: format!("s{id}"),
                    kind: "message".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_reconnecting_client_gets_what_it_missed_or_a_reset() {
        let ids = |r: Replay| match r {
            Replay::Events(v) => Some(v.iter().map(|e| e.id).collect::<Vec<_>>()),
            Replay::Gap => None,
        };
        // Within the log: everything after the seen id.
        assert_eq!(
            ids(replay_of(
                1001,
                backlog(Some((1000, 1003)), &[1002, 1003]),
                10
            )),
            Some(vec![1002, 1003])
        );
        // Just before the oldest kept: nothing was pruned that it missed.
        assert_eq!(
            ids(replay_of(
                999,
                backlog(Some((1000, 1001)), &[1000, 1001]),
                10
            )),
            Some(vec![1000, 1001])
        );
        // Up to date.
        assert_eq!(
            ids(replay_of(1003, backlog(Some((1000, 1003)), &[]), 10)),
            Some(vec![])
        );
        // Pruned past it, never issued, an empty log, more than a replay reads: reset.
        assert!(ids(replay_of(5, backlog(Some((1000, 1003)), &[1000]), 10)).is_none());
        assert!(ids(replay_of(2000, backlog(Some((1000, 1003)), &[]), 10)).is_none());
        assert!(ids(replay_of(1000, backlog(None, &[]), 10)).is_none());
        assert!(ids(replay_of(
            1000,
            backlog(Some((1000, 1003)), &[1001, 1002]),
            2
        ))
        .is_none());
    }

    #[test]
    fn without_a_journal_notices_go_out_in_memory_each_once_in_order() {
        let bus = LiveBus::default();
        let mut rx = bus.subscribe();
        bus.session_changed("a", Change::Message);
        bus.session_changed("b", Change::Claimed);
        bus.publish(1, "a", "message");
        let first = rx.try_recv().unwrap();
        let second = rx.try_recv().unwrap();
        assert_eq!(
            (first.session_id.as_str(), second.session_id.as_str()),
            ("a", "b")
        );
        assert!(second.id > first.id);
        assert!(
            rx.try_recv().is_err(),
            "an id already sent is not sent again"
        );
    }
}
