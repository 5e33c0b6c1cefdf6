//! Sign-in throttling: after 5 failures for one (address, name) within 10 minutes, further
//! attempts wait out a lock that grows with each failure, up to 15 minutes.

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
}
