//! Live change notices for connected reviewers (the inbox's server-sent events): a broadcast of
//! "session X changed", numbered so a reconnecting client can tell what it missed.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tokio::sync::broadcast;

/// One change notice.
#[derive(Clone, Debug, Serialize)]
pub struct LiveEvent {
    /// Increasing number within this process.
    pub id: u64,
    /// What happened: `message`, `takeover`, `claimed`, `released`, `handed_back`, ...
    pub kind: String,
    /// The session it happened to.
    pub session_id: String,
}

/// The in-process bus.
pub struct LiveBus {
    sender: broadcast::Sender<LiveEvent>,
    next: AtomicU64,
}

impl Default for LiveBus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(1024);
        LiveBus {
            sender,
            next: AtomicU64::new(1),
        }
    }
}

impl LiveBus {
    /// Announces a change; nobody listening is fine.
    pub fn session_changed(&self, session_id: &str, kind: &str) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let _ = self.sender.send(LiveEvent {
            id,
            kind: kind.to_string(),
            session_id: session_id.to_string(),
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    pub fn receivers(&self) -> usize {
        self.sender.receiver_count()
    }
}
