//! The delivery worker: takes due lane heads from the outbox, POSTs them signed, records each
//! attempt. Woken at once when a transaction enqueues work; polls to catch retries coming due and
//! work written by other replicas. A reply that heads its lane comes already taken, straight
//! from the request that committed it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::watch;
use tokio::sync::{Notify, Semaphore};

use crate::db::alerts;
use crate::db::outbox::{self, AttemptResult, Leased};
use crate::db::{now, Db};
use crate::domain::alerts::AlertMail;
use crate::domain::policy::UrlPolicy;
use crate::domain::signing;
use crate::domain::types::DeliveryStatus;
use crate::metrics::Attempt;

/// How many callbacks may be in flight at once.
const MAX_IN_FLIGHT: usize = 64;

/// Everything the worker needs, cloned into each send task.
#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub client: reqwest::Client,
    pub schedule: Arc<Vec<Duration>>,
    pub notify: Arc<Notify>,
    pub poll: Duration,
    pub lease: Duration,
    /// Keep the start of each receiver's answer (BATON_DELIVERY_EXCERPTS).
    pub keep_excerpts: bool,
    /// Attempts by outcome and delivery latency, for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The mail server for alert e-mails (`BATON_SMTP_URL`); `None`: not configured.
    pub mailer: Option<Arc<super::mail::Mailer>>,
}

/// Resolves once `stop` is true (the guard `wait_for` hands out is dropped here: it may not
/// be held across an await in a task).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Resolves callback hosts and drops link-local and metadata addresses, so a host name cannot
/// smuggle a request to the cloud metadata service past the URL check.
struct GuardedResolver {
    policy: Arc<UrlPolicy>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let policy = self.policy.clone();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| policy.check_ip(a.ip(), Some(&host)).is_ok())
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves only to refused addresses").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client for callbacks: no redirects (a 3xx is a failed attempt), bounded time.
pub fn client(timeout: Duration, policy: UrlPolicy) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("Baton/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver {
            policy: Arc::new(policy),
        }))
        .pool_max_idle_per_host(16)
        .build()?)
}

impl Worker {
    /// Runs until `stop` turns true. `direct` brings deliveries already taken by the
    /// transaction that wrote them (see [`outbox::take_if_head`]): they are sent at once.
    ///
    /// On stop it takes no more work, lets the callbacks in flight finish (each attempt is
    /// recorded) for up to `drain`, and hands back the leases of what it took but never sent,
    /// so another replica, or this one after a restart, sends them at once.
    pub async fn run(
        self,
        mut direct: UnboundedReceiver<Leased>,
        mut stop: watch::Receiver<bool>,
        drain: Duration,
    ) {
        let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let unsent = Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
        let direct_task = {
            let (worker, permits, unsent) = (self.clone(), permits.clone(), unsent.clone());
            let mut stop = stop.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        biased;
                        _ = stopped(&mut stop) => break,
                        next = direct.recv() => match next {
                            Some(leased) => {
                                if !worker.send_in_turn(&permits, leased).await {
                                    break;
                                }
                            }
                            None => break,
                        },
                    }
                }
                // Taken by a request's transaction but not sent: give them back.
                direct.close();
                while let Ok(leased) = direct.try_recv() {
                    unsent
                        .lock()
                        .expect("unsent")
                        .push(leased.delivery.position);
                }
            })
        };
        while !*stop.borrow() {
            let free = permits.available_permits() as i64;
            let mut took = 0;
            if free > 0 {
                let lease = self.lease;
                match self
                    .db
                    .write(move |conn| outbox::lease_due(conn, free, lease))
                    .await
                {
                    Ok(batch) => {
                        took = batch.len();
                        for leased in batch {
                            if *stop.borrow() {
                                unsent
                                    .lock()
                                    .expect("unsent")
                                    .push(leased.delivery.position);
                            } else if !self.send_in_turn(&permits, leased).await {
                                break;
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not read the outbox; retrying"),
                }
            }
            if took == 0 {
                tokio::select! {
                    _ = self.notify.notified() => {}
                    _ = tokio::time::sleep(self.poll) => {}
                    _ = stopped(&mut stop) => {}
                }
            }
        }
        let _ = direct_task.await;
        // Every permit back means every callback in flight has finished and been recorded.
        let drained = tokio::time::timeout(drain, permits.acquire_many(MAX_IN_FLIGHT as u32)).await;
        if drained.is_err() {
            tracing::warn!("stopping with callbacks still in flight; their leases run out and they are retried");
        }
        let positions = std::mem::take(&mut *unsent.lock().expect("unsent"));
        if !positions.is_empty() {
            let n = positions.len();
            if let Err(e) = self
                .db
                .write(move |conn| outbox::release_leases(conn, &positions))
                .await
            {
                tracing::warn!(error = %e, "could not hand back {n} leases; they run out instead");
            }
        }
        tracing::info!("delivery worker stopped");
    }

    /// Waits for one of the in-flight permits, then sends `leased` in its own task; when it is
    /// done the worker looks for more (the lane's next callback may be due). `false` once the
    /// permits are closed (shutting down).
    async fn send_in_turn(&self, permits: &Arc<Semaphore>, leased: Leased) -> bool {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return false;
        };
        let worker = self.clone();
        tokio::spawn(async move {
            worker.deliver(leased).await;
            drop(permit);
            worker.notify.notify_one();
        });
        true
    }

    async fn deliver(&self, leased: Leased) {
        let d = &leased.delivery;
        // An alert about a takeover claimed since it was queued is dropped, not sent.
        if crate::domain::alerts::is_waiting_alert(&d.event_type) {
            let row = d.clone();
            let dropped = self
                .db
                .write(move |conn| match alerts::pointless(conn, &row)? {
                    Some(why) => alerts::drop_delivery(conn, row.position, why).map(|_| Some(why)),
                    None => Ok(None),
                })
                .await;
            match dropped {
                Ok(Some(why)) => {
                    tracing::info!(delivery = %d.id, event = %d.event_type, reason = why, "alert dropped");
                    return;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(delivery = %d.id, error = %e, "could not check whether an alert is still wanted; sending it")
                }
            }
        }
        let result = match alerts::mail_of(d) {
            Some(mail) => self.mail(d, &mail).await,
            None if d.url.starts_with(crate::domain::alerts::MAILTO) => AttemptResult {
                attempted_at: now(),
                status_code: None,
                latency_ms: 0,
                error: Some("the queued mail cannot be read".into()),
                response_excerpt: None,
                retry_after: None,
            },
            None => self.attempt(&leased).await,
        };
        // Each line names the delivery by its webhook-id (what the receiver sees) and its
        // session. A refused or failed callback is a warning: an operator grepping finds them.
        let session = d.session_id.as_deref().unwrap_or("");
        let delivered = result.status_code.is_some_and(|c| (200..300).contains(&c));
        match &result.status_code {
            Some(code) if delivered => {
                tracing::info!(delivery = %d.id, session, event = %d.event_type, status = code, latency_ms = result.latency_ms, "callback delivered")
            }
            Some(code) => {
                tracing::warn!(delivery = %d.id, session, event = %d.event_type, url = %crate::domain::types::url_origin(&d.url), status = code, latency_ms = result.latency_ms, "callback refused by its receiver")
            }
            None => {
                tracing::warn!(delivery = %d.id, session, event = %d.event_type, url = %crate::domain::types::url_origin(&d.url), error = ?result.error, "callback failed")
            }
        }
        let row = d.clone();
        let schedule = self.schedule.clone();
        let recorded = self
            .db
            .write(move |conn| outbox::record_attempt(conn, &row, &result, &schedule))
            .await;
        let outcome = match &recorded {
            _ if delivered => Attempt::Delivered,
            Ok(status) if *status == DeliveryStatus::Parked.as_str() => Attempt::Parked,
            _ => Attempt::Failed,
        };
        self.metrics.attempt(outcome);
        if delivered {
            let waited = (now() - d.created_at).to_std().unwrap_or_default();
            self.metrics.delivery.observe(waited);
        }
        if let Err(e) = recorded {
            // The lease runs out and the delivery is retried with the same webhook-id.
            tracing::error!(delivery = %d.id, session, error = %e, "could not record a delivery attempt");
        }
    }

    /// Sends an alert e-mail; a 250 from the server counts as delivered, like a 2xx.
    async fn mail(&self, d: &crate::db::models::DeliveryRow, mail: &AlertMail) -> AttemptResult {
        let attempted_at = now();
        let started = Instant::now();
        let outcome = match &self.mailer {
            Some(mailer) => mailer.send(mail, &d.id).await,
            None => {
                Err("no mail server is configured (set BATON_SMTP_URL and BATON_SMTP_FROM)".into())
            }
        };
        let (status_code, error) = match outcome {
            Ok(code) => (Some(code), None),
            Err(e) => (None, Some(e)),
        };
        AttemptResult {
            attempted_at,
            status_code,
            latency_ms: started.elapsed().as_millis() as i64,
            error,
            response_excerpt: None,
            retry_after: None,
        }
    }

    async fn attempt(&self, leased: &Leased) -> AttemptResult {
        let d = &leased.delivery;
        let attempted_at = now();
        let started = Instant::now();
        let timestamp = chrono::Utc::now().timestamp();
        let mut request = self
            .client
            .post(&d.url)
            .header("content-type", "application/json")
            .header("webhook-id", &d.id)
            .header("webhook-timestamp", timestamp.to_string());
        let signatures = std::iter::once(&leased.secret)
            .chain(leased.other_secrets.iter())
            .map(|secret| signing::sign(secret, &d.id, timestamp, d.payload.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map(|sigs| sigs.join(" "));
        match signatures {
            Ok(sig) => request = request.header("webhook-signature", sig),
            Err(e) => {
                return AttemptResult {
                    attempted_at,
                    status_code: None,
                    latency_ms: 0,
                    error: Some(format!("cannot sign: {e}")),
                    response_excerpt: None,
                    retry_after: None,
                }
            }
        }
        let outcome = request.body(d.payload.clone()).send().await;
        let mut result = AttemptResult {
            attempted_at,
            status_code: None,
            latency_ms: 0,
            error: None,
            response_excerpt: None,
            retry_after: None,
        };
        match outcome {
            Ok(response) => {
                let status = response.status().as_u16();
                result.status_code = Some(status);
                if status == 429 || status == 503 {
                    result.retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s.min(86_400)));
                }
                // The answer is read either way (the connection is reused), but its content is
                // kept only when the operator opted in (BATON_DELIVERY_EXCERPTS).
                if let Ok(body) = response.text().await {
                    if self.keep_excerpts && !body.is_empty() {
                        result.response_excerpt = Some(body.chars().take(512).collect());
                    }
                }
            }
            Err(e) => {
                result.error = Some(describe(&e));
            }
        }
        result.latency_ms = started.elapsed().as_millis() as i64;
        result
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text.chars().take(500).collect()
}
