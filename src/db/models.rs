//! Row types: what the tables hold, field for field in column order, and the insertable forms.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub key_hash: String,
    pub signing_secret: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = teams)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    /// Set when an admin deleted the team (kept for history; a new `PUT` brings it back).
    pub deleted_at: Option<NaiveDateTime>,
    /// Seconds after a person's last `staff` turn before the AI gets the conversation back
    /// (`None`: `domain::staff::DEFAULT_QUIET_SECONDS`).
    pub outside_quiet_seconds: Option<i64>,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = reviewers)]
pub struct ReviewerRow {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub channel: Option<String>,
    pub channel_ref: String,
    pub user_id: Option<String>,
    pub status: String,
    pub assigned_to: Option<String>,
    pub open_takeover_id: Option<String>,
    pub next_seq: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_user_message_at: Option<NaiveDateTime>,
    /// How many turns the customer has written (the inbox's unread counts start here).
    pub customer_turns: i64,
    /// Who last answered from outside Baton (`staff` or `staff:<name>`); it owns the session
    /// while the status is `staff_active`.
    pub outside_by: Option<String>,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: String,
    pub session_id: String,
    pub seq: i64,
    pub sender: String,
    pub content: String,
    pub external_id: Option<String>,
    pub tool_calls: Option<String>,
    pub meta: Option<String>,
    pub at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = takeovers)]
pub struct TakeoverRow {
    pub id: String,
    pub session_id: String,
    pub mode: String,
    pub status: String,
    pub outcome: Option<String>,
    pub reason: String,
    pub summary: Option<String>,
    pub priority: i32,
    pub context: Option<String>,
    pub assignee: Option<String>,
    pub assignee_team_id: Option<String>,
    pub assignee_reviewer_id: Option<String>,
    pub timeout_seconds: i64,
    pub expires_at: NaiveDateTime,
    pub reply_webhook: String,
    pub handback_signal: Option<String>,
    pub proposal: Option<String>,
    pub decisions: Option<String>,
    pub api_key_id: String,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub handback_summary: Option<String>,
    pub escalation_step: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub escalation_policy_id: Option<String>,
    pub default_decision: Option<String>,
    pub decision_payload: Option<String>,
    /// The customer's language (a language tag), when the workflow sent one.
    pub locale: Option<String>,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = notes)]
pub struct NoteRow {
    pub id: String,
    pub session_id: String,
    pub takeover_id: Option<String>,
    pub author: String,
    pub content: String,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: String,
    pub api_key_id: String,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    /// Set when its key deleted it: it receives nothing more, and is listed no more, but the
    /// deliveries it received stay listed for the key.
    pub deleted_at: Option<NaiveDateTime>,
    /// `domain::subscription::SubscriptionScope` as text: `all` or `own_takeovers`.
    pub scope: String,
    /// The channels it receives events of, a JSON array; `None` for every channel.
    pub channels: Option<String>,
}

#[derive(Clone, Debug, Queryable)]
pub struct DeliveryRow {
    pub position: i64,
    pub id: String,
    pub lane: String,
    pub session_id: Option<String>,
    pub takeover_id: Option<String>,
    pub event_type: String,
    pub api_key_id: Option<String>,
    pub webhook_id: Option<String>,
    pub message_id: Option<String>,
    pub url: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub channel_id: Option<String>,
}

/// A delivery as written to the outbox (the position is assigned by the database).
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = deliveries)]
pub struct NewDelivery {
    pub id: String,
    pub lane: String,
    pub session_id: Option<String>,
    pub takeover_id: Option<String>,
    pub event_type: String,
    pub api_key_id: Option<String>,
    pub webhook_id: Option<String>,
    pub message_id: Option<String>,
    pub url: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub channel_id: Option<String>,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = delivery_attempts)]
pub struct DeliveryAttemptRow {
    pub id: String,
    pub delivery_id: String,
    pub attempted_at: NaiveDateTime,
    pub url: String,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub session_id: Option<String>,
    pub takeover_id: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = escalation_policies)]
pub struct EscalationPolicyRow {
    pub id: String,
    pub name: String,
    pub team_id: Option<String>,
    pub steps: String,
    pub fallback_message: String,
    pub fallback_action: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = team_channels)]
pub struct TeamChannelRow {
    pub id: String,
    pub team_id: String,
    pub kind: String,
    pub url: String,
    pub chat_id: Option<String>,
    pub secret: String,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = team_routing)]
pub struct TeamRoutingRow {
    pub team_id: String,
    pub policy: String,
    pub offer_seconds: i64,
    pub business_hours: Option<String>,
    pub last_assigned: Option<String>,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = reviewer_presence)]
pub struct PresenceRow {
    pub reviewer_id: String,
    pub availability: String,
    pub capacity: Option<i32>,
    pub last_seen_at: Option<NaiveDateTime>,
    pub last_assigned_at: Option<NaiveDateTime>,
    pub changed_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = takeover_offers)]
pub struct OfferRow {
    pub takeover_id: String,
    pub team_id: String,
    pub reviewer_name: String,
    pub offered_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}
