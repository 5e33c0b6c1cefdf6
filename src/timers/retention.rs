//! The retention timer (`BATON_RETENTION_DAYS`): once at start and then every
//! `BATON_RETENTION_INTERVAL`, purges the closed conversations older than the period through
//! `db::retention`, one small transaction at a time with a pause between them, so that turns
//! and replies queue behind one batch at most.

use std::time::Duration;

use crate::config::Config;
use crate::db::retention::{self, Pass, Step};
use crate::db::{now, Db};

/// How many due conversations one pass reads at a time.
const PAGE: i64 = 100;
/// The pause between two transactions of a purge: room for the turn gate.
const PAUSE: Duration = Duration::from_millis(20);

/// The retention timer's settings.
pub struct Retention {
    db: Db,
    period: chrono::Duration,
    interval: Duration,
}

impl Retention {
    /// Starts the timer when the configuration asks for retention; `None` keeps data forever.
    pub fn spawn(
        config: &Config,
        db: &Db,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let days = config.retention_days?;
        let timer = Retention {
            db: db.clone(),
            period: chrono::Duration::days(i64::from(days)),
            interval: config.retention_interval,
        };
        Some(tokio::spawn(timer.run(stop)))
    }

    async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        while !*stop.borrow() {
            match self.pass(&stop).await {
                Ok(p) if p.erased.sessions > 0 => tracing::info!(
                    sessions = p.erased.sessions,
                    messages = p.erased.messages,
                    batches = p.batches,
                    "retention: purged closed conversations past the period"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e.detail, "retention pass failed; retrying"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Purges every conversation due now, stopping early when the server stops (what was done
    /// is committed and counted).
    async fn pass(
        &self,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> Result<Pass, crate::error::ApiError> {
        let cutoff = now() - self.period;
        let mut pass = Pass::default();
        'pages: loop {
            let due = self
                .db
                .read(move |c| retention::due(c, cutoff, PAGE))
                .await?;
            let mut progressed = false;
            for id in due {
                loop {
                    if *stop.borrow() {
                        break 'pages;
                    }
                    let sid = id.clone();
                    let step = self
                        .db
                        .write(move |c| retention::step(c, &sid, cutoff))
                        .await?;
                    match step {
                        Step::Deleted(n) => {
                            pass.batches += 1;
                            pass.erased.messages += n;
                            tokio::time::sleep(PAUSE).await;
                        }
                        Step::Forgotten(erased) => {
                            pass.batches += 1;
                            pass.erased.add(erased);
                            progressed = true;
                            tokio::time::sleep(PAUSE).await;
                            break;
                        }
                        Step::NotDue => break,
                    }
                }
            }
            if !progressed {
                break;
            }
        }
        if pass.batches > 0 {
            let p = pass;
            self.db.write(move |c| retention::record(c, &p)).await?;
        }
        Ok(pass)
    }
}
