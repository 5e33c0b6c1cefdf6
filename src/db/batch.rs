//! Group commit for SQLite's hot write path.
//!
//! SQLite admits one writer at a time, so under load every turn-gate request queues for the
//! writer lock, and each pays a whole transaction: the lock hand-over between threads, `BEGIN`,
//! `COMMIT` and the WAL frames of every page it touched (the session row, the message, their
//! indexes). [`Batcher::write`] queues the work instead; one combiner thread takes everything
//! queued, runs each job inside its own savepoint of one transaction, commits once, and only
//! then answers each caller. A job that fails rolls back its savepoint and nothing else; when
//! the commit fails, every job of the batch gets the error. Nobody is answered before the
//! commit that holds their write, so an acknowledged turn survives a crash exactly as before.
//!
//! When nothing else is queued a batch is one job, and the cost is the same as a plain
//! transaction plus one savepoint.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use diesel::Connection;
use tokio::sync::oneshot;

use super::{Db, DbConnection};
use crate::error::ApiError;

/// The most jobs one transaction carries: bounds how long the first of them waits.
const MAX_BATCH: usize = 128;

/// What a job leaves behind until the commit: a function that answers its caller, told whether
/// the commit failed.
type Reply = Box<dyn FnOnce(Option<&str>) + Send>;
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
            Box::new(move |commit_error: Option<&str>| {
                let result = match (commit_error, result) {
                    (Some(e), Ok(_)) => Err(ApiError::internal(anyhow::anyhow!(
                        "the batch transaction did not commit: {e}"
                    ))),
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
            Ok::<_, ApiError>(())
        })
    });
    db.note_failure(&outcome);
    let error = outcome.err().map(|e| {
        tracing::error!(error = %e, jobs = replies.len(), "a batched write transaction failed");
        e.to_string()
    });
    for reply in replies {
        reply(error.as_deref());
    }
}
