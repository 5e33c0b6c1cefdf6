//! What a takeover step leaves behind besides the session's new state: the audit entry that
//! records it and the callback that announces it. A rule builds an `Effects`; one function in
//! `db::takeovers` (`apply_effects`) writes both in the step's transaction, so no step can
//! record one and forget the other.

use super::event::{EventType, ReviewerRef};
use super::memory::MemoryMessage;
use super::session::SessionStatus;

/// Who hears a step's callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The takeover's own destination (its `reply_webhook`, or `handback_signal` for a
    /// handback) and the matching subscriptions: the customer's channel hears it.
    Channel,
    /// Subscriptions only (dashboards); the customer's channel hears nothing.
    Subscribers,
}

/// The callback a step sends.
#[derive(Clone, Debug)]
pub struct Callback {
    pub event: EventType,
    pub audience: Audience,
    pub reviewer: Option<ReviewerRef>,
    pub text: Option<String>,
    pub summary: Option<String>,
    /// For a handback: the person's stretch for the AI's chat memory.
    pub memory_messages: Option<Vec<MemoryMessage>>,
    pub assignee: Option<String>,
}

impl Callback {
    pub fn new(event: EventType, audience: Audience) -> Callback {
        Callback {
            event,
            audience,
            reviewer: None,
            text: None,
            summary: None,
            memory_messages: None,
            assignee: None,
        }
    }
}

/// One step's audit entry and, if it announces itself, its callback.
#[derive(Clone, Debug)]
pub struct Effects {
    /// Who acted: `reviewer:<name>`, `api_key:<name>` or `timer`.
    pub actor: String,
    /// The audit action, e.g. `takeover.claimed`.
    pub action: &'static str,
    pub from: SessionStatus,
    pub to: SessionStatus,
    pub detail: Option<serde_json::Value>,
    pub callback: Option<Callback>,
}

impl Effects {
    pub fn new(
        actor: impl Into<String>,
        action: &'static str,
        from: SessionStatus,
        to: SessionStatus,
    ) -> Effects {
        Effects {
            actor: actor.into(),
            action,
            from,
            to,
            detail: None,
            callback: None,
        }
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Effects {
        self.detail = Some(detail);
        self
    }

    pub fn announce(mut self, callback: Callback) -> Effects {
        self.callback = Some(callback);
        self
    }
}
