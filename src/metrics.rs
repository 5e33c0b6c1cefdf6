//! Process counters for `/metrics`: requests by status class and the turn gate's latency
//! histogram. Gauges that live in the database (open takeovers, deliveries) are read at scrape.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the turn-gate latency buckets, in seconds.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
pub struct Metrics {
    /// Responses by status class: 1xx..5xx.
    pub responses: [AtomicU64; 5],
    turn_gate_buckets: [AtomicU64; BUCKETS.len()],
    turn_gate_count: AtomicU64,
    turn_gate_micros: AtomicU64,
}

impl Metrics {
    pub fn response(&self, status: u16) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn turn_gate(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.turn_gate_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.turn_gate_count.fetch_add(1, Ordering::Relaxed);
        self.turn_gate_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
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
        out.push_str("# HELP baton_turn_gate_seconds Turn gate request latency.\n# TYPE baton_turn_gate_seconds histogram\n");
        for (i, bound) in BUCKETS.iter().enumerate() {
            out.push_str(&format!(
                "baton_turn_gate_seconds_bucket{{le=\"{bound}\"}} {}\n",
                self.turn_gate_buckets[i].load(Ordering::Relaxed)
            ));
        }
        let count = self.turn_gate_count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "baton_turn_gate_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        out.push_str(&format!(
            "baton_turn_gate_seconds_sum {}\n",
            self.turn_gate_micros.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out.push_str(&format!("baton_turn_gate_seconds_count {count}\n"));
    }
}
