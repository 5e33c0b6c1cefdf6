//! Sign-in throttling: after 5 failures for one (address, name) within 10 minutes, further
//! attempts wait out a lock that grows with each failure, up to 15 minutes. And a plain
//! fixed-window [`RateLimit`] for the web chat's visitors (per visitor and per address).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const FREE_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(600);
const MAX_LOCK: Duration = Duration::from_secs(900);

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    pub fn allowed(&self, key: &str) -> bool {
        self.wait(key).is_none()
    }

    /// How long this key must still wait before its next attempt, if it is locked.
    pub fn wait(&self, key: &str) -> Option<Duration> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some((n, last)) if *n >= FREE_FAILURES => {
                let lock =
                    Duration::from_secs(2u64.saturating_pow(n - FREE_FAILURES + 5)).min(MAX_LOCK);
                lock.checked_sub(last.elapsed()).filter(|w| !w.is_zero())
            }
            _ => None,
        }
    }

    pub fn failed(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, last)| last.elapsed() < WINDOW);
        }
        let entry = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() > WINDOW {
            entry.0 = 0;
        }
        entry.0 += 1;
        entry.1 = Instant::now();
    }

    pub fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// At most `limit` events per key in each `window`; the answer to one too many is how long to
/// wait (sent as `Retry-After`).
pub struct RateLimit {
    limit: u32,
    window: Duration,
    counts: Mutex<HashMap<String, (u32, Instant)>>,
}

impl RateLimit {
    pub fn new(limit: u32, window: Duration) -> RateLimit {
        RateLimit {
            limit,
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one event for `key`; `Err(wait)` when the key is over its limit.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (_, start)| start.elapsed() < window);
        }
        let entry = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        if entry.0 >= self.limit {
            return Err(self
                .window
                .saturating_sub(entry.1.elapsed())
                .max(Duration::from_secs(1)));
        }
        entry.0 += 1;
        Ok(())
    }
}

/// The web chat's limits on what one visitor and one address may do.
pub struct VisitorLimits {
    /// Messages per visitor: 20 a minute.
    pub per_visitor: RateLimit,
    /// Messages per client address: 120 a minute (a shop's office behind one address).
    pub per_address: RateLimit,
    /// New conversations per client address: 30 in 10 minutes.
    pub starts_per_address: RateLimit,
}

impl Default for VisitorLimits {
    fn default() -> Self {
        VisitorLimits {
            per_visitor: RateLimit::new(20, Duration::from_secs(60)),
            per_address: RateLimit::new(120, Duration::from_secs(60)),
            starts_per_address: RateLimit::new(30, Duration::from_secs(600)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_name() {
        let t = LoginThrottle::default();
        for _ in 0..5 {
            assert!(t.allowed("ip|alice"));
            t.failed("ip|alice");
        }
        assert!(!t.allowed("ip|alice"));
        assert!(t.allowed("ip|bob"));
        t.succeeded("ip|alice");
        assert!(t.allowed("ip|alice"));
    }

    #[test]
    fn a_rate_limit_refuses_one_too_many_per_key() {
        let r = RateLimit::new(2, Duration::from_secs(60));
        assert!(r.check("a").is_ok());
        assert!(r.check("a").is_ok());
        let wait = r.check("a").unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert!(r.check("b").is_ok());
    }
}
