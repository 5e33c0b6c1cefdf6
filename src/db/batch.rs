//! Group commit for the turn gate, the hottest write: turns that arrive together share one
//! commit, and nobody is answered before the commit that holds their turn, so an acknowledged
//! turn survives a crash exactly as a turn committed alone. The two backends pay for a commit
//! differently, so they group differently.
//!
//! **SQLite** ([`Batcher`]) admits one writer at a time, so under load every turn queues for the
//! writer lock, and each pays a whole transaction: the lock hand-over between threads, `BEGIN`,
//! `COMMIT` and the WAL frames of every page it touched (the session row, the message, their
//! indexes). [`Batcher::write`] queues the work instead; one combiner thread takes everything
//! queued, runs each job inside its own savepoint of one transaction, commits once, and only
//! then answers each caller. A job that fails rolls back its savepoint and nothing else; when
//! the commit fails, every job of the batch gets the error. When nothing else is queued a batch
//! is one job, and the cost is the same as a plain transaction plus one savepoint.
//!
//! **PostgreSQL** ([`TurnBatcher`]) runs writers side by side; what a turn pays is its round
//! trips, its statements' fixed costs and its commit (a WAL flush). Savepoints would add round
//! trips, so a group is one statement instead (`db::sessions::record_turns_at_once`): every
//! turn's session upsert and message insert, passed as arrays, in one `INSERT … SELECT FROM
//! unnest(…)` that commits on its own: one round trip and one commit for the group. The rules
//! that keep it exact:
//!
//! - **One turn per session in flight.** A turn stays queued, in its place, while its session
//!   has a turn in a group (this one or another combiner's) or a turn handed back that is still
//!   taking the full path ([`Held`]). So the turns of one session are numbered in the order they
//!   were queued, also when a group is stuck and another combiner starts beside it, and the
//!   statement never meets one row twice.
//! - **Only the plain turn is grouped.** The statement writes a turn only when it changes no
//!   status and repeats no caller id (decided on the locked row); any other turn (a refusal, a
//!   reopened session, a repeated id) wrote nothing and is handed back to its caller, who runs
//!   the full transactional path (`db::sessions::record_turn`) alone, exactly as before: a
//!   refusal is answered per turn and undoes nothing of its neighbours.
//! - **Row locks in one order.** The statement locks the sessions in id order, so two groups
//!   (of two combiners, or of two replicas on one database) cannot wait on each other in a
//!   cycle. Should the server still refuse the statement (a deadlock with some other
//!   transaction, a caller id recorded concurrently by the full path), nothing of the group was
//!   written and every turn is handed back to the full path, each in its own transaction.
//! - **No false success.** When the outcome is unknown (the connection broke: the commit may or
//!   may not have happened) every caller of the group gets the error, never a retry that could
//!   record a turn twice, and never a 2xx.
//!
//! One combiner runs groups: a turn arriving while a group is in flight queues, and the next
//! group carries everything queued (up to `MAX_BATCH`). A quiet gate thus runs each turn at
//! once, alone, and a busy one in groups as large as the load makes them (more combiners side
//! by side made the groups smaller and cost more statements than they saved: at 8 clients
//! four combiners gave 0.8× the floor's throughput where one gives 1.0×). Should no group end
//! or start for [`STALLED`] (a group waiting on a row another transaction holds), a turn
//! arriving then starts another combiner, up to [`TurnBatcher::combiners`] (one for each four
//! pooled connections, at least one and at most four): one stuck group holds up only its own
//! turns.

use std::collections::{HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::Connection;
use tokio::sync::oneshot;

use super::sessions::{self, PendingTurn, TurnOutcome};
use super::{Db, DbConnection};
use crate::error::ApiError;

/// The most jobs one transaction carries: bounds how long the first of them waits.
const MAX_BATCH: usize = 128;

/// How long the PostgreSQL combiners may go without starting or ending a group before a turn
/// queued behind them starts another one (a group normally takes a few milliseconds).
pub const STALLED: Duration = Duration::from_millis(10);

/// What a job leaves behind until the commit: a function that answers its caller, told whether
/// the commit failed.
type Reply = Box<dyn FnOnce(Option<&ApiError>) + Send>;
type Job = Box<dyn FnOnce(&mut DbConnection) -> Reply + Send>;

/// The queue of writes waiting for the combiner, shared by clones of a [`Db`].
#[derive(Default)]
pub struct Batcher {
    queue: Mutex<Vec<Job>>,
    /// Whether a combiner is running (it drains the queue until it finds it empty).
    active: AtomicBool,
    /// Transactions run, and the writes they carried (for `/metrics`).
    batches: AtomicU64,
    jobs: AtomicU64,
}

impl Batcher {
    /// Runs `f` in a savepoint of a shared transaction; resolves after that transaction
    /// committed (with `f`'s result) or failed.
    pub async fn write<T, F>(db: &Db, batcher: &Arc<Batcher>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, ApiError>>();
        let job: Job = Box::new(move |conn| {
            // A nested `transaction` is a savepoint: a refusal or error undoes this job only.
            let result =
                catch_unwind(AssertUnwindSafe(|| conn.transaction(f))).unwrap_or_else(|_| {
                    Err(ApiError::internal(anyhow::anyhow!(
                        "a batched write panicked"
                    )))
                });
            Box::new(move |commit_error: Option<&ApiError>| {
                let result = match (commit_error, result) {
                    // The shared transaction's own error (a lost or locked database is a 503
                    // with Retry-After, a full one a 507), for each of its callers.
                    (Some(e), Ok(_)) => Err(e.for_each_caller()),
                    (_, result) => result,
                };
                let _ = tx.send(result);
            })
        });
        batcher
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(job);
        if !batcher.active.swap(true, Ordering::AcqRel) {
            let (db, batcher) = (db.clone(), batcher.clone());
            tokio::task::spawn_blocking(move || batcher.combine(&db));
        }
        // Dropped unrun: the combiner found no database connection.
        rx.await
            .map_err(|_| ApiError::unavailable("database: no connection for the write"))?
    }

    /// Runs batches until the queue is empty, then hands the role back.
    fn combine(&self, db: &Db) {
        loop {
            let jobs = self.take();
            if jobs.is_empty() {
                self.active.store(false, Ordering::Release);
                // A job queued between `take` and the store above saw a combiner running and
                // started none: pick it up, unless a new combiner already has.
                let queued = !self
                    .queue
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_empty();
                if queued && !self.active.swap(true, Ordering::AcqRel) {
                    continue;
                }
                return;
            }
            run_batch(db, jobs);
        }
    }

    fn take(&self) -> Vec<Job> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let n = queue.len().min(MAX_BATCH);
        if n > 0 {
            self.batches.fetch_add(1, Ordering::Relaxed);
            self.jobs.fetch_add(n as u64, Ordering::Relaxed);
        }
        queue.drain(..n).collect()
    }

    /// (transactions, writes) so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.batches.load(Ordering::Relaxed),
            self.jobs.load(Ordering::Relaxed),
        )
    }
}

/// One transaction for all `jobs`; each caller is answered after it ends.
fn run_batch(db: &Db, jobs: Vec<Job>) {
    let mut replies: Vec<Reply> = Vec::with_capacity(jobs.len());
    let outcome = db.conn().and_then(|mut conn| {
        let _guard = db
            .write_lock
            .as_ref()
            .map(|lock| lock.lock().unwrap_or_else(|p| p.into_inner()));
        conn.conn.transaction(|conn| {
            for job in jobs {
                replies.push(job(conn));
            }
            // After every savepoint: one index segment for the group (see `index_pending`).
            super::search::index_pending(conn)?;
            Ok::<_, ApiError>(())
        })
    });
    db.note_failure(&outcome);
    let error = outcome.err().inspect(|e| {
        tracing::error!(error = %e, jobs = replies.len(), "a batched write transaction failed");
    });
    for reply in replies {
        reply(error.as_ref());
    }
}

/// The turns waiting for a group, and the sessions of the groups in flight (whose next turns
/// wait until that group has committed, so a session's turns are numbered in queue order).
#[derive(Default)]
struct Queued {
    turns: VecDeque<Waiting>,
    in_flight: HashSet<String>,
}

impl Queued {
    /// Whether a queued turn could join a group now (its session has none in flight).
    fn ready(&self) -> bool {
        self.turns
            .iter()
            .any(|w| !self.in_flight.contains(w.turn.id.as_str()))
    }
}

/// What the group commit did with one turn.
#[allow(clippy::large_enum_variant)] // built once per turn and consumed at once
pub enum Grouped {
    Recorded(TurnOutcome),
    /// Nothing was written for it: the turn needs the full path of `sessions::record_turn`,
    /// and its session's later turns wait for that path until the [`Held`] is dropped.
    FullPath(PendingTurn, Held),
}

/// A session whose turn its group handed back to the full path: its later turns join no group
/// until this is dropped (after that path's transaction), so they are numbered after that turn.
pub struct Held {
    db: Db,
    batcher: Arc<TurnBatcher>,
    session: String,
}

impl Drop for Held {
    fn drop(&mut self) {
        let ready = {
            let mut q = self.batcher.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.in_flight.remove(&self.session);
            q.ready()
        };
        // The session's next turn may be queued with no combiner left to take it.
        if ready && self.batcher.start() {
            let (db, batcher) = (self.db.clone(), self.batcher.clone());
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => drop(rt.spawn_blocking(move || batcher.combine(&db))),
                Err(_) => batcher.combine(&db),
            }
        }
    }
}

/// A turn queued for the PostgreSQL group commit, and where its answer goes.
struct Waiting {
    turn: PendingTurn,
    reply: oneshot::Sender<Result<Grouped, ApiError>>,
}

/// The PostgreSQL turn gate's queue and its combiners (see the module documentation).
pub struct TurnBatcher {
    queue: Mutex<Queued>,
    /// Combiners running now, at most `combiners`.
    running: AtomicUsize,
    combiners: usize,
    /// When a combiner last started, or started or ended a group: microseconds since `epoch`.
    progress: AtomicU64,
    epoch: Instant,
    /// Statements run, and the turns they carried (for `/metrics`).
    batches: AtomicU64,
    jobs: AtomicU64,
}

impl TurnBatcher {
    /// A batcher for a pool of `pool_size` connections.
    pub fn new(pool_size: u32) -> TurnBatcher {
        TurnBatcher {
            queue: Default::default(),
            running: AtomicUsize::new(0),
            combiners: Self::combiners(pool_size),
            progress: AtomicU64::new(0),
            epoch: Instant::now(),
            batches: AtomicU64::new(0),
            jobs: AtomicU64::new(0),
        }
    }

    /// How many groups may be in flight at once when they stall: one for each four pooled
    /// connections, at least one and at most four (the rest of the pool serves the full path
    /// and the reads).
    pub fn combiners(pool_size: u32) -> usize {
        (pool_size as usize / 4).clamp(1, 4)
    }

    /// Queues a plain turn for the next group; resolves once the group's statement committed
    /// (`Recorded`), or with the turn handed back when the full path must record it.
    pub async fn record(
        db: &Db,
        batcher: &Arc<TurnBatcher>,
        turn: PendingTurn,
    ) -> Result<Grouped, ApiError> {
        let (reply, rx) = oneshot::channel();
        batcher
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .turns
            .push_back(Waiting { turn, reply });
        if batcher.start() {
            let (db, batcher) = (db.clone(), batcher.clone());
            tokio::task::spawn_blocking(move || batcher.combine(&db));
        }
        rx.await
            .map_err(|_| ApiError::internal(anyhow::anyhow!("the turn's group was dropped")))?
    }

    /// Claims a combiner's place: the first always, another while the running ones have
    /// stalled (no group started or ended for [`STALLED`]) and a place is free.
    fn start(&self) -> bool {
        let stalled = self
            .now()
            .saturating_sub(self.progress.load(Ordering::Acquire))
            > STALLED.as_micros() as u64;
        let started = self
            .running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n == 0 || (stalled && n < self.combiners)).then_some(n + 1)
            })
            .is_ok();
        if started {
            self.moved();
        }
        started
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// Notes that the combiners are moving (one started, or a group started or ended).
    fn moved(&self) {
        self.progress.store(self.now(), Ordering::Release);
    }

    /// Runs groups until the queue is empty, then gives up its place.
    fn combine(self: &Arc<Self>, db: &Db) {
        loop {
            let group = self.take();
            if group.is_empty() {
                self.running.fetch_sub(1, Ordering::AcqRel);
                // A turn queued after `take` while every place was taken started no combiner:
                // pick it up, unless another combiner has a place for it. (A turn whose session
                // is in flight waits for that group's combiner, or for its `Held`.)
                let ready = self.queue.lock().unwrap_or_else(|p| p.into_inner()).ready();
                if ready && self.start() {
                    continue;
                }
                return;
            }
            self.moved();
            let answers =
                catch_unwind(AssertUnwindSafe(|| run_turns(db, &group))).unwrap_or_else(|_| {
                    Err(Answer::Fail(
                        "the turn gate's group commit panicked".to_string(),
                    ))
                });
            self.moved();
            self.answer(db, group, answers);
        }
    }

    /// The next group: the queued turns in order, up to [`MAX_BATCH`], but one per session and
    /// none of a session in flight (in another group, or held for the full path); the rest stay
    /// queued in their order.
    fn take(&self) -> Vec<Waiting> {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let Queued { turns, in_flight } = &mut *q;
        let mut group = Vec::new();
        let mut left = VecDeque::new();
        while let Some(w) = turns.pop_front() {
            if group.len() == MAX_BATCH {
                left.push_back(w);
                left.extend(turns.drain(..));
                break;
            }
            if in_flight.insert(w.turn.id.as_str().to_string()) {
                group.push(w);
            } else {
                left.push_back(w);
            }
        }
        *turns = left;
        if !group.is_empty() {
            self.batches.fetch_add(1, Ordering::Relaxed);
            self.jobs.fetch_add(group.len() as u64, Ordering::Relaxed);
        }
        group
    }

    /// (statements, turns they carried) so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.batches.load(Ordering::Relaxed),
            self.jobs.load(Ordering::Relaxed),
        )
    }
}

/// Why a group has no per-turn outcome.
enum Answer {
    /// The server refused the statement: nothing was written; every turn takes the full path.
    Refused,
    /// It is not known whether the statement committed (or nothing could run): every caller
    /// gets this error.
    Fail(String),
}

/// Runs one group's statement on a pooled connection.
fn run_turns(db: &Db, group: &[Waiting]) -> Result<Vec<Option<sessions::TurnOutcome>>, Answer> {
    use diesel::result::{DatabaseErrorKind, Error};
    let mut conn = db.conn().map_err(|e| Answer::Fail(e.to_string()))?;
    let DbConnection::Postgresql(pg) = &mut **conn else {
        return Err(Answer::Fail(
            "the turn gate's group commit runs on PostgreSQL only".to_string(),
        ));
    };
    let turns: Vec<&PendingTurn> = group.iter().map(|w| &w.turn).collect();
    match sessions::record_turns_at_once(pg, &turns) {
        Ok(outcomes) => Ok(outcomes),
        // The server answered with an error: the statement, its own transaction, was undone.
        Err(Error::DatabaseError(kind, info))
            if !matches!(kind, DatabaseErrorKind::ClosedConnection) =>
        {
            tracing::info!(
                turns = group.len(),
                error = info.message(),
                "a group of turns was refused as a whole; each takes the full path"
            );
            Err(Answer::Refused)
        }
        Err(e) => {
            let failed: Result<(), ApiError> = Err(ApiError::from(e));
            db.note_failure(&failed);
            let e = failed.err().map(|e| e.to_string()).unwrap_or_default();
            tracing::error!(error = %e, turns = group.len(), "a group of turns may not have committed");
            Err(Answer::Fail(e))
        }
    }
}

impl TurnBatcher {
    /// Answers every caller of a group. The sessions of the turns it wrote (or failed) leave
    /// the flight at once; a turn handed back to the full path keeps its session until its
    /// caller drops the [`Held`].
    fn answer(
        self: &Arc<Self>,
        db: &Db,
        group: Vec<Waiting>,
        answers: Result<Vec<Option<sessions::TurnOutcome>>, Answer>,
    ) {
        let handed_back: Vec<bool> = match &answers {
            Ok(outcomes) => outcomes.iter().map(Option::is_none).collect(),
            Err(Answer::Refused) => vec![true; group.len()],
            Err(Answer::Fail(_)) => vec![false; group.len()],
        };
        {
            let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            for (w, back) in group.iter().zip(&handed_back) {
                if !back {
                    q.in_flight.remove(w.turn.id.as_str());
                }
            }
        }
        let hold = |w: &Waiting| Held {
            db: db.clone(),
            batcher: self.clone(),
            session: w.turn.id.as_str().to_string(),
        };
        match answers {
            Ok(outcomes) => {
                for (w, outcome) in group.into_iter().zip(outcomes) {
                    let grouped = match outcome {
                        Some(outcome) => Grouped::Recorded(outcome),
                        None => {
                            let held = hold(&w);
                            Grouped::FullPath(w.turn, held)
                        }
                    };
                    // A caller gone drops the answer here, and with it any `Held`.
                    let _ = w.reply.send(Ok(grouped));
                }
            }
            Err(Answer::Refused) => {
                for w in group {
                    let held = hold(&w);
                    let _ = w.reply.send(Ok(Grouped::FullPath(w.turn, held)));
                }
            }
            Err(Answer::Fail(e)) => {
                for w in group {
                    // Retried with the same message id, a turn that did commit is answered as
                    // that turn, so a 503 with Retry-After is safe to act on.
                    let _ = w.reply.send(Err(ApiError::database_unavailable(format!(
                        "database: the turn's group may not have committed: {e}"
                    ))));
                }
            }
        }
    }
}
