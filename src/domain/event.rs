//! The JSON bodies Baton POSTs to n8n, one shape for every event type.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::memory::MemoryMessage;

/// The kinds of callback Baton sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "reply")]
    Reply,
    #[serde(rename = "typing")]
    Typing,
    #[serde(rename = "takeover.claimed")]
    TakeoverClaimed,
    #[serde(rename = "takeover.released")]
    TakeoverReleased,
    #[serde(rename = "takeover.transferred")]
    TakeoverTransferred,
    #[serde(rename = "takeover.escalated")]
    TakeoverEscalated,
    #[serde(rename = "takeover.timed_out")]
    TakeoverTimedOut,
    #[serde(rename = "session.handed_back")]
    SessionHandedBack,
    #[serde(rename = "session.closed")]
    SessionClosed,
    #[serde(rename = "approval.decided")]
    ApprovalDecided,
    #[serde(rename = "queue.updated")]
    QueueUpdated,
    #[serde(rename = "takeover.off_hours")]
    TakeoverOffHours,
    #[serde(rename = "customer.message")]
    CustomerMessage,
}

impl EventType {
    pub const ALL: [EventType; 13] = [
        EventType::Reply,
        EventType::Typing,
        EventType::TakeoverClaimed,
        EventType::TakeoverReleased,
        EventType::TakeoverTransferred,
        EventType::TakeoverEscalated,
        EventType::TakeoverTimedOut,
        EventType::SessionHandedBack,
        EventType::SessionClosed,
        EventType::ApprovalDecided,
        EventType::QueueUpdated,
        EventType::TakeoverOffHours,
        EventType::CustomerMessage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Reply => "reply",
            EventType::Typing => "typing",
            EventType::TakeoverClaimed => "takeover.claimed",
            EventType::TakeoverReleased => "takeover.released",
            EventType::TakeoverTransferred => "takeover.transferred",
            EventType::TakeoverEscalated => "takeover.escalated",
            EventType::TakeoverTimedOut => "takeover.timed_out",
            EventType::SessionHandedBack => "session.handed_back",
            EventType::SessionClosed => "session.closed",
            EventType::ApprovalDecided => "approval.decided",
            EventType::QueueUpdated => "queue.updated",
            EventType::TakeoverOffHours => "takeover.off_hours",
            EventType::CustomerMessage => "customer.message",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// Handbacks go to `handback_signal` when the takeover names one.
    pub fn is_handback(self) -> bool {
        self == EventType::SessionHandedBack
    }
}

/// The reviewer an event is about.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewerRef {
    /// Sign-in name.
    pub name: String,
    /// Name shown to customers.
    pub display_name: String,
}

/// The web chat widget a `customer.message` came through.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WidgetRef {
    /// Widget id (`wgt_…`).
    pub id: String,
    /// The widget's name, as the admin gave it.
    pub name: String,
    /// The team the widget's conversations go to, when the admin set one (use it as the
    /// takeover's `assignee`).
    pub team: Option<String>,
}

/// The message a `reply` (or a `customer.message`) carries.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CallbackMessage {
    /// Message id.
    pub id: String,
    /// Position in the session's history.
    pub seq: i64,
    /// The text exactly as the reviewer wrote it.
    pub content: String,
    /// The text prefixed with the reviewer's display name: `[Alice] ...`.
    pub prefixed_content: String,
    /// For a template reply (WhatsApp, after its 24-hour window): the WhatsApp Cloud API's
    /// `template` object, filled, to send as the message's `template` field as is; `content`
    /// is then the rendered text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub template: Option<super::templates::CloudTemplate>,
    /// For a template reply: the template's category (`MARKETING`, `UTILITY`,
    /// `AUTHENTICATION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub template_category: Option<super::templates::Category>,
}

/// One callback body. Fields that do not apply to an event type are omitted.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CallbackEvent {
    /// Equals the `webhook-id` header; stable across retries, so receivers can deduplicate.
    pub id: String,
    /// The event type.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When the event happened.
    pub occurred_at: DateTime<Utc>,
    /// The integration's session id.
    pub session_id: String,
    /// The channel the session runs on (`telegram`, `whatsapp`, `web`...).
    pub channel: Option<String>,
    /// The address the channel needs to reach the customer.
    pub channel_ref: String,
    /// The takeover the event belongs to.
    pub takeover_id: Option<String>,
    /// The reviewer who acted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<ReviewerRef>,
    /// For `reply`: the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<CallbackMessage>,
    /// For events meant for the customer: a ready sentence the workflow may send as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// For `session.handed_back`: the reviewer's summary for the AI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// For `session.handed_back`: the person's stretch for the AI's chat memory, ready to insert
    /// with n8n's Chat Memory Manager ("Insert Messages"): the customer's and the reviewers' turns
    /// since the takeover (`user`; `ai` prefixed `[Alice] `), oldest first, then a `system`
    /// message saying who handed back, with the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_messages: Option<Vec<MemoryMessage>>,
    /// For `approval.decided`: approve, reject or edit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// For `approval.decided` with `edit`: the edited proposal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited: Option<serde_json::Value>,
    /// For `approval.decided`: the reviewer's comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// For `takeover.escalated`: the team or reviewer it moved to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// For `queue.updated`: the customer's place in the queue (1 = next).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// For `queue.updated`: the expected wait in seconds, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_wait_seconds: Option<i64>,
    /// For `takeover.off_hours` and `queue.updated` while closed: when the team opens next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<DateTime<Utc>>,
    /// For `customer.message`: the web chat widget the visitor wrote in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub widget: Option<WidgetRef>,
}

impl CallbackEvent {
    /// An event of `kind` about a session, with no optional parts yet.
    pub fn new(
        kind: EventType,
        session_id: &str,
        channel: Option<String>,
        channel_ref: &str,
        takeover_id: Option<String>,
    ) -> CallbackEvent {
        CallbackEvent {
            id: String::new(),
            event_type: kind,
            occurred_at: Utc::now(),
            session_id: session_id.to_string(),
            channel,
            channel_ref: channel_ref.to_string(),
            takeover_id,
            reviewer: None,
            message: None,
            text: None,
            summary: None,
            memory_messages: None,
            decision: None,
            edited: None,
            comment: None,
            assignee: None,
            position: None,
            expected_wait_seconds: None,
            opens_at: None,
            widget: None,
        }
    }
}
