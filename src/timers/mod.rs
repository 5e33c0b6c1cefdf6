//! Persisted timers: unclaimed takeovers escalate and time out, silent reviewers are released,
//! idle sessions close; the router offers waiting conversations to available reviewers, takes
//! back offers nobody accepted, sets disconnected reviewers away and sends queue updates; reviewers are alerted by e-mail
//! at each step of a waiting takeover and of each offer (`db::alerts::sweep`); the queue's counts are folded. Deadlines live in the database, so they fire after a restart too; each
//! step re-checks its deadline under the session lock, so several replicas fire it once.

pub mod backfill;
pub mod retention;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::db::{routing, sessions, takeovers, Db};
use crate::domain::change::Change;
use crate::domain::escalation::FallbackDefaults;
use crate::live::{LiveBus, Presence};

/// The timer loop's settings and handles.
pub struct Timers {
    pub db: Db,
    pub outbox: Arc<Notify>,
    pub poll: Duration,
    pub silence: Duration,
    pub idle: Duration,
    pub fallback: Arc<FallbackDefaults>,
    pub public_base: String,
    /// Wakes the loop when something changed who can take what.
    pub router: Arc<Notify>,
    pub presence: Arc<Presence>,
    pub live: Arc<LiveBus>,
    pub away_grace: Duration,
    pub queue_update_interval: Duration,
    /// Escalations and fallbacks are counted for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Alert e-mails are queued (a mail server is configured).
    pub mail: bool,
}

const BATCH: i64 = 100;

impl Timers {
    /// Runs until `stop` turns true; a pass under way is finished first (each timer fires in
    /// its own transaction, so none is left half done).
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        while !*stop.borrow() {
            match self.tick().await {
                Ok(fired) if fired > 0 => self.outbox.notify_one(),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e.detail, "timer pass failed; retrying"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                _ = self.router.notified() => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!("timers stopped");
    }

    /// One pass over every kind of due timer; returns how many fired.
    pub async fn tick(&self) -> Result<usize, crate::error::ApiError> {
        let mut fired = self.route().await?;
        if self
            .db
            .read(crate::db::queue::queue_counts_unfolded)
            .await?
        {
            self.db.write(crate::db::queue::fold_queue_counts).await?;
        }
        for id in self.db.read(|c| takeovers::due_expiries(c, BATCH)).await? {
            let (fallback, base) = (self.fallback.clone(), self.public_base.clone());
            match self
                .db
                .write(move |c| takeovers::expire(c, &id, &fallback, &base))
                .await
            {
                Ok(Some(outcome)) => {
                    fired += 1;
                    match outcome {
                        takeovers::TimerOutcome::Escalated => self.metrics.escalated(),
                        takeovers::TimerOutcome::TimedOut => self.metrics.fell_back(),
                        // The quiet time after a turn from outside Baton: neither.
                        takeovers::TimerOutcome::HandedBack => {}
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e.detail, "takeover timer failed"),
            }
        }
        let silence = self.silence;
        for id in self
            .db
            .read(move |c| takeovers::silence_candidates(c, silence, BATCH))
            .await?
        {
            let base = self.public_base.clone();
            if self
                .db
                .write(move |c| takeovers::release_if_silent(c, &id, silence, &base))
                .await?
            {
                fired += 1;
            }
        }
        let idle = self.idle;
        for id in self
            .db
            .read(move |c| sessions::idle_candidates(c, idle, BATCH))
            .await?
        {
            if self
                .db
                .write(move |c| sessions::close_if_idle(c, &id, idle))
                .await?
            {
                fired += 1;
            }
        }
        // Alerts last: a takeover that escalated in this pass is alerted at its new step now.
        let (base, mail) = (self.public_base.clone(), self.mail);
        match self
            .db
            .write(move |c| crate::db::alerts::sweep(c, &base, mail))
            .await
        {
            Ok(swept) => {
                if swept.dropped > 0 {
                    tracing::info!(
                        dropped = swept.dropped,
                        "alerts of claimed takeovers dropped"
                    );
                }
                fired += swept.queued;
            }
            Err(e) => tracing::warn!(error = %e.detail, "alert pass failed; retrying"),
        }
        Ok(fired)
    }

    /// The router's pass: presence, lapsed offers, new offers, queue updates.
    async fn route(&self) -> Result<usize, crate::error::ApiError> {
        let connected = self.presence.connected();
        let grace = self.away_grace;
        let (away, lapsed, offered) = self
            .db
            .write(move |c| {
                routing::heartbeat(c, &connected)?;
                let away = routing::sweep_away(c, grace)?;
                let lapsed = routing::lapse_offers(c)?;
                let offered = routing::dispatch(c)?;
                Ok((away, lapsed, offered))
            })
            .await?;
        for id in away {
            tracing::info!(reviewer_id = %id, "inbox disconnected past the grace period; set away");
        }
        for session in lapsed {
            self.live.session_changed(&session, Change::OfferLapsed);
        }
        for o in &offered {
            tracing::info!(session_id = %o.session_id, reviewer = %o.reviewer, "offered");
            self.live.session_changed(&o.session_id, Change::Offered);
        }
        let interval = self.queue_update_interval;
        let told = self
            .db
            .write(move |c| routing::send_queue_updates(c, interval))
            .await?;
        for session in &told {
            self.live.session_changed(session, Change::QueueUpdated);
        }
        Ok(offered.len() + told.len())
    }
}
