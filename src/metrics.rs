//! Process counters for `/metrics`: requests by status class, latency histograms (turn gate,
//! time to claim, callback delivery, database pool waits) and counters of what on-call graphs
//! (callback attempts by outcome, escalations, fallbacks, turn-gate refusals, database errors).
//! Gauges that live in the database (open takeovers, deliveries) are read at scrape.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the turn-gate latency buckets, in seconds.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Time from a takeover request to its claim, in seconds (a person answers in minutes).
pub const CLAIM_BUCKETS: [f64; 11] = [
    1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
];
/// Time from a callback's acceptance into the outbox to its delivery, in seconds (retries
/// after a receiver's outage take minutes to hours).
pub const DELIVERY_BUCKETS: [f64; 14] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0,
];
/// Time to get a pooled database connection, in seconds.
pub const POOL_WAIT_BUCKETS: [f64; 11] = [
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0,
];

/// A Prometheus histogram with fixed buckets.
pub struct Histogram {
    bounds: &'static [f64],
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    micros: AtomicU64,
}

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (i, bound) in self.bounds.iter().enumerate() {
            if secs <= *bound {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// `# HELP`, `# TYPE`, the cumulative buckets, `_sum` and `_count` of `name`.
    pub fn render(&self, name: &str, help: &str, out: &mut String) {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} histogram\n"));
        for (i, bound) in self.bounds.iter().enumerate() {
            out.push_str(&format!(
                "{name}_bucket{{le=\"{bound}\"}} {}\n",
                self.buckets[i].load(Ordering::Relaxed)
            ));
        }
        let count = self.count.load(Ordering::Relaxed);
        out.push_str(&format!("{name}_bucket{{le=\"+Inf\"}} {count}\n"));
        out.push_str(&format!(
            "{name}_sum {}\n",
            self.micros.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out.push_str(&format!("{name}_count {count}\n"));
    }
}

/// What became of one callback attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered,
    /// Not delivered; it is retried later.
    Failed,
    /// Not delivered and out of attempts (or the receiver answered 410 Gone).
    Parked,
}

impl Attempt {
    const ALL: [Attempt; 3] = [Attempt::Delivered, Attempt::Failed, Attempt::Parked];

    fn as_str(self) -> &'static str {
        match self {
            Attempt::Delivered => "delivered",
            Attempt::Failed => "failed",
            Attempt::Parked => "parked",
        }
    }
}

pub struct Metrics {
    /// Responses by status class: 1xx..5xx.
    pub responses: [AtomicU64; 5],
    turn_gate: Histogram,
    /// Seconds from a takeover request to a reviewer's claim.
    pub claim: Histogram,
    /// Seconds from a callback's acceptance to its delivery.
    pub delivery: Histogram,
    attempts: [AtomicU64; 3],
    escalations: AtomicU64,
    fallbacks: AtomicU64,
    refusals: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            responses: Default::default(),
            turn_gate: Histogram::new(&BUCKETS),
            claim: Histogram::new(&CLAIM_BUCKETS),
            delivery: Histogram::new(&DELIVERY_BUCKETS),
            attempts: Default::default(),
            escalations: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
            refusals: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    pub fn response(&self, status: u16) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn turn_gate(&self, took: Duration) {
        self.turn_gate.observe(took);
    }

    /// One callback attempt and what became of it.
    pub fn attempt(&self, outcome: Attempt) {
        let i = Attempt::ALL.iter().position(|a| *a == outcome).unwrap_or(1);
        self.attempts[i].fetch_add(1, Ordering::Relaxed);
    }

    /// An unclaimed takeover went to its escalation policy's next step.
    pub fn escalated(&self) {
        self.escalations.fetch_add(1, Ordering::Relaxed);
    }

    /// An unclaimed takeover ran out of steps: the fallback message went out.
    pub fn fell_back(&self) {
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    /// An `ai` turn was refused because a person owns the conversation.
    pub fn refused_turn(&self) {
        self.refusals.fetch_add(1, Ordering::Relaxed);
    }

    /// The process counters in Prometheus text format.
    pub fn render(&self, out: &mut String) {
        out.push_str("# HELP baton_http_responses_total HTTP responses by status class.\n# TYPE baton_http_responses_total counter\n");
        for (i, c) in self.responses.iter().enumerate() {
            out.push_str(&format!(
                "baton_http_responses_total{{class=\"{}xx\"}} {}\n",
                i + 1,
                c.load(Ordering::Relaxed)
            ));
        }
        self.turn_gate
            .render("baton_turn_gate_seconds", "Turn gate request latency.", out);
        self.claim.render(
            "baton_time_to_claim_seconds",
            "Time from a takeover request to a reviewer's claim.",
            out,
        );
        self.delivery.render(
            "baton_callback_delivery_seconds",
            "Time from a callback's acceptance into the outbox to its delivery.",
            out,
        );
        out.push_str("# HELP baton_callback_attempts_total Callback attempts by outcome (failed: retried later; parked: out of attempts).\n# TYPE baton_callback_attempts_total counter\n");
        for (i, outcome) in Attempt::ALL.iter().enumerate() {
            out.push_str(&format!(
                "baton_callback_attempts_total{{outcome=\"{}\"}} {}\n",
                outcome.as_str(),
                self.attempts[i].load(Ordering::Relaxed)
            ));
        }
        counter(
            out,
            "baton_escalations_total",
            "Unclaimed takeovers moved to their escalation policy's next step.",
            &self.escalations,
        );
        counter(
            out,
            "baton_fallbacks_total",
            "Unclaimed takeovers that ran out of steps and got the fallback message.",
            &self.fallbacks,
        );
        counter(
            out,
            "baton_turn_gate_refusals_total",
            "AI turns refused because a person owns the conversation.",
            &self.refusals,
        );
    }
}

/// The database handle's own figures: time to get a pooled connection, and operations that
/// failed on the database (a query error, a lost connection, a pool that gave none in time).
pub struct DbStats {
    pub pool_wait: Histogram,
    pub errors: AtomicU64,
}

impl Default for DbStats {
    fn default() -> DbStats {
        DbStats {
            pool_wait: Histogram::new(&POOL_WAIT_BUCKETS),
            errors: AtomicU64::new(0),
        }
    }
}

impl DbStats {
    pub fn failed(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, out: &mut String) {
        counter(
            out,
            "baton_db_errors_total",
            "Database operations (of a request or a background pass) that failed on the database.",
            &self.errors,
        );
        self.pool_wait.render(
            "baton_db_pool_wait_seconds",
            "Time to get a pooled database connection.",
            out,
        );
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: &AtomicU64) {
    out.push_str(&format!(
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
        value.load(Ordering::Relaxed)
    ));
}
