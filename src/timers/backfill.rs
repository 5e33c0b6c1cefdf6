//! Backfills (`db::backfill`): at start, works through what the migrations left to do, one
//! small transaction at a time with a pause between them, so that turns and replies queue
//! behind one batch at most; then stops (only a migration makes new work for it).

use std::time::{Duration, Instant};

use crate::db::backfill::{self, Step};
use crate::db::Db;

/// The pause between two batches: room for the turn gate.
const PAUSE: Duration = Duration::from_millis(10);
/// The wait before trying again after a failed batch (the database away, say).
const RETRY: Duration = Duration::from_secs(2);

/// Starts the backfill task.
pub fn spawn(db: &Db, stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(db.clone(), stop))
}

async fn run(db: Db, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match work(&db, &stop).await {
            Ok(()) => return,
            Err(e) => tracing::warn!(error = %e.detail, "backfill failed; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Finishes every pending backfill, or stops early when told to.
async fn work(
    db: &Db,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Result<(), crate::error::ApiError> {
    let pending = db.read(backfill::pending).await?;
    for p in pending {
        let started = Instant::now();
        let mut rows = 0u64;
        tracing::info!(backfill = %p.name, "backfill: started (what a migration left to do after start)");
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let name = p.name.clone();
            match db.write(move |c| backfill::step(c, &name)).await? {
                Step::Did(n) => rows += n,
                Step::Finished(n) => {
                    rows += n;
                    tracing::info!(
                        backfill = %p.name,
                        rows,
                        seconds = started.elapsed().as_secs_f64(),
                        "backfill: finished"
                    );
                    break;
                }
                // Another replica finished it, or it is a newer Baton's.
                Step::Nothing => break,
            }
            tokio::time::sleep(PAUSE).await;
        }
    }
    Ok(())
}
