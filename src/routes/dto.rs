//! Request and response bodies of the HTTP API. Requests are plain serde structs that reject
//! unknown fields; `domain` parses them into checked values. Responses are built from rows here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::alerts::ReviewerAlertRow;
use crate::db::models::{MessageRow, NoteRow, SessionRow, TakeoverRow, TeamRow};
use crate::db::{accounts, now, routing as repo, DbConnection};
use crate::domain::alerts::QuietHoursBody;
use crate::domain::hours::{BusinessHours, BusinessHoursBody, Openness};
use crate::domain::routing::{AssignmentPolicy, Availability};
use crate::domain::session::{Owner, SessionStatus};
use crate::domain::types::{Mode, Outcome, Reason, TakeoverStatus};
use crate::error::ApiError;

pub use crate::domain::routing::QueueInfo;
pub use crate::domain::types::{inbox_url, utc};

fn json(raw: &Option<String>) -> Option<serde_json::Value> {
    raw.as_deref().and_then(|s| serde_json::from_str(s).ok())
}

/// Who owns the next turn, and the session around it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionState {
    /// The integration's session id.
    pub session_id: String,
    /// `ai`, `human` or `staff`: who answers the next turn. Read it fresh on every turn.
    /// `staff`: a person outside Baton answered (a `staff` turn); the AI stays silent until the
    /// team's quiet time passes without another staff turn, or a reviewer claims it.
    pub owner: Owner,
    /// Where the conversation stands.
    pub status: SessionStatus,
    /// The reviewer holding the conversation, if any.
    pub assigned_to: Option<String>,
    /// While `owner` is `staff`: the person outside Baton who answered last, as the workflow
    /// named them (`staff:<name>`), or `staff` when it gave no name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside_by: Option<String>,
    /// The open takeover, if any.
    pub takeover_id: Option<String>,
    /// The channel (`telegram`, `whatsapp`, `web`...), as the integration named it.
    pub channel: Option<String>,
    /// The channel's address for the customer; defaults to the session id.
    pub channel_ref: String,
    /// The integration's user id, if given.
    pub user_id: Option<String>,
    /// When the session was first seen.
    pub created_at: DateTime<Utc>,
    /// When the session last changed.
    pub updated_at: DateTime<Utc>,
    /// When the customer last wrote.
    pub last_user_message_at: Option<DateTime<Utc>>,
    /// For WhatsApp: when the 24-hour customer-service window closes (free-text replies are
    /// refused after it until the customer writes again). Null for other channels.
    pub reply_window_closes_at: Option<DateTime<Utc>>,
    /// While a live takeover waits for a reviewer: its place in the queue and the expected
    /// wait. Reported by `GET /v1/sessions/{session_id}` (not by the turn gate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueInfo>,
}

impl TryFrom<&SessionRow> for SessionState {
    type Error = ApiError;

    /// Fails on a status this version does not know (see `db::sessions::status_of`).
    fn try_from(s: &SessionRow) -> Result<SessionState, ApiError> {
        let status = crate::db::sessions::status_of(s)?;
        Ok(SessionState {
            session_id: s.id.clone(),
            owner: status.owner(),
            status,
            assigned_to: s.assigned_to.clone(),
            outside_by: s
                .outside_by
                .clone()
                .filter(|_| status.owner() == Owner::Staff),
            takeover_id: s.open_takeover_id.clone(),
            channel: s.channel.clone(),
            channel_ref: s.channel_ref.clone(),
            user_id: s.user_id.clone(),
            created_at: utc(s.created_at),
            updated_at: utc(s.updated_at),
            last_user_message_at: s.last_user_message_at.map(utc),
            reply_window_closes_at: crate::db::sessions::reply_window_closes_at(s).map(utc),
            queue: None,
        })
    }
}

/// The turn gate's answer: the session state after the turn, and the turn's place in history.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TurnRecorded {
    #[serde(flatten)]
    pub state: SessionState,
    /// The turn's sequence number in the session's history.
    pub seq: i64,
    /// The stored message's id.
    pub message_id: String,
    /// True when a turn with the same caller `id` was already recorded (nothing was added).
    pub duplicate: bool,
}

/// A turn to record on the turn gate.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordMessage {
    /// `user`, `ai` or `system`; or `staff` (`staff:<name>` with the person's name) for a
    /// message a person sent from outside Baton (the WhatsApp Business app, a shared phone):
    /// the AI's turns are then refused until the team's quiet time (default 30 minutes) passes
    /// without another staff turn, when Baton hands the session back with `session.handed_back`.
    #[schema(schema_with = turn_sender_schema)]
    pub sender: String,
    /// The text of the turn.
    #[schema(schema_with = content_schema)]
    pub content: String,
    /// The caller's own id for the turn (e.g. Telegram's message_id): a repeat is recorded once.
    #[schema(schema_with = text_255_schema)]
    pub id: Option<String>,
    /// When the turn happened (defaults to now).
    #[serde(default, deserialize_with = "crate::domain::types::instant::optional")]
    pub at: Option<DateTime<Utc>>,
    /// The channel, set or updated with any turn.
    #[schema(schema_with = text_64_schema)]
    pub channel: Option<String>,
    /// The channel's address for the customer (defaults to the session id).
    #[schema(schema_with = text_255_schema)]
    pub channel_ref: Option<String>,
    /// The integration's user id.
    #[schema(schema_with = text_255_schema)]
    pub user_id: Option<String>,
    /// Tool calls behind an `ai` turn (any JSON).
    pub tool_calls: Option<serde_json::Value>,
    /// Anything else the AI saw for this turn (any JSON).
    pub meta: Option<serde_json::Value>,
    /// For a `staff` turn on a session without an open takeover, Baton opens one for the
    /// outside person: where a reviewer's replies go if one claims it. Defaults to the
    /// session's last takeover's; required when it never had one. Ignored for other senders.
    #[schema(schema_with = optional_url_schema)]
    pub reply_webhook: Option<String>,
    /// For such a takeover: where its `session.handed_back` goes (default: the last
    /// takeover's, else `reply_webhook`).
    #[schema(schema_with = optional_url_schema)]
    pub handback_signal: Option<String>,
    /// For such a takeover: the team or reviewer whose inbox shows it and whose quiet time
    /// applies (default: the last takeover's).
    #[schema(schema_with = text_100_schema)]
    pub assignee: Option<String>,
}

/// One turn of a conversation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Message {
    /// Message id.
    pub id: String,
    /// Position in the session's history (1, 2, 3...).
    pub seq: i64,
    /// `user`, `ai`, `system` or `human:<reviewer name>`.
    pub sender: String,
    /// The text.
    pub content: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The caller's own id, if one was given.
    pub external_id: Option<String>,
    /// Tool calls behind the turn.
    pub tool_calls: Option<serde_json::Value>,
    /// Other context of the turn.
    pub meta: Option<serde_json::Value>,
}

impl From<&MessageRow> for Message {
    fn from(m: &MessageRow) -> Message {
        Message {
            id: m.id.clone(),
            seq: m.seq,
            sender: m.sender.clone(),
            content: m.content.clone(),
            at: utc(m.at),
            external_id: m.external_id.clone(),
            tool_calls: json(&m.tool_calls),
            meta: json(&m.meta),
        }
    }
}

/// A page of history, oldest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MessagePage {
    /// The messages, in sequence order.
    pub items: Vec<Message>,
    /// Pass as `after` to read the next page; null at the end.
    pub next_after: Option<i64>,
}

/// One item of the history sent with a takeover request.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryItem {
    /// `user`, `ai`, `system` or `human:<reviewer name>`.
    #[schema(pattern = r"^(?:user|ai|system|human:[\s\S]{1,100})$")]
    pub sender: String,
    /// The text.
    #[schema(schema_with = content_schema)]
    pub content: String,
    /// When it happened.
    #[serde(default, deserialize_with = "crate::domain::types::instant::optional")]
    pub at: Option<DateTime<Utc>>,
    /// The caller's id for the turn; items are imported once by id (or, without one, by
    /// matching sender and text against the stored history in order).
    #[schema(min_length = 1, max_length = 255)]
    pub id: Option<String>,
    /// Tool calls behind the turn.
    pub tool_calls: Option<serde_json::Value>,
    /// Other context of the turn.
    pub meta: Option<serde_json::Value>,
}

/// A request for a person.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeoverRequest {
    /// `takeover` (live chat, default) or `approval` (decide on a proposal).
    #[serde(default)]
    pub mode: Mode,
    /// The conversation to take over (created if new).
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\uFFFD]+$"
    )]
    pub session_id: String,
    /// The channel (`telegram`, `whatsapp`, `web`...).
    #[schema(schema_with = text_64_schema)]
    pub channel: Option<String>,
    /// The channel's address for the customer (defaults to the session id).
    #[schema(schema_with = text_255_schema)]
    pub channel_ref: Option<String>,
    /// The integration's user id.
    #[schema(schema_with = text_255_schema)]
    pub user_id: Option<String>,
    /// Where reviewer replies and other events are POSTed (an n8n Webhook URL).
    #[schema(schema_with = url_schema)]
    pub reply_webhook: String,
    /// Where the handback is POSTed, if not to `reply_webhook`.
    #[schema(schema_with = optional_url_schema)]
    pub handback_signal: Option<String>,
    /// Turns to import into the session's history (imported once).
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub history: Vec<HistoryItem>,
    /// Everything the AI saw: tool calls, retrieved chunks, classifier output (any JSON).
    pub context: Option<serde_json::Value>,
    /// A team name or the name of an enabled reviewer; omitted means any reviewer.
    #[schema(schema_with = text_100_schema)]
    pub assignee: Option<String>,
    /// The escalation policy to follow when nobody claims in time (by name). Default: the
    /// policy attached to the assignee team, if any; without one, the takeover times out with
    /// the fallback message after `timeout`.
    pub escalation_policy: Option<String>,
    /// How long the takeover may wait unclaimed: `"90s"`, `"30m"`, `"2h"`, `"1d"` or seconds.
    #[schema(schema_with = optional_duration_schema)]
    pub timeout: Option<serde_json::Value>,
    /// Why the bot stopped.
    #[serde(default)]
    pub reason: Reason,
    /// A short summary for the reviewer, at most 10 000 characters.
    #[schema(max_length = 10000)]
    pub summary: Option<String>,
    /// 0 (default) to 10; higher is served first.
    #[schema(minimum = 0, maximum = 10)]
    pub priority: Option<i32>,
    /// For `approval`: what is to be decided (text or JSON).
    pub proposal: Option<serde_json::Value>,
    /// For `approval`: the allowed decisions (`approve`, `reject`, `edit`; default all three).
    #[schema(schema_with = decisions_schema)]
    pub decisions: Option<Vec<String>>,
    /// For `approval` only: the decision applied when nobody decides in time (`approve` or
    /// `reject`); without one, an undecided approval times out (`takeover.timed_out`).
    #[schema(schema_with = default_decision_schema)]
    pub default_decision: Option<String>,
    /// Send `queue.updated` callbacks to `reply_webhook` while the customer waits: when the
    /// place in the queue changes, at most once a minute (`BATON_QUEUE_UPDATE_INTERVAL`).
    #[serde(default)]
    pub queue_updates: bool,
    /// The customer's language (`de`, `de-AT`, `pt-BR`…): what Baton says to the customer
    /// (callback `text`: joined, place in the queue, off hours, handback) is in this language
    /// when Baton or an admin has it (Admin · Customer texts), else in the team's own wording.
    #[schema(schema_with = text_64_schema)]
    pub locale: Option<String>,
    /// Who the customer is, shown to the reviewer beside the conversation: string attributes
    /// such as `name`, `email`, `language`, `plan`, or any other (at most 30; names of letters,
    /// digits, `_`, `-`, `.`; values 1 to 1000 characters). `customer.name` fills the
    /// `{customer_name}` of canned responses.
    #[schema(schema_with = customer_schema)]
    pub customer: Option<std::collections::BTreeMap<String, String>>,
}

/// The `customer` object of a takeover: string attributes.
pub fn customer_schema() -> utoipa::openapi::schema::Schema {
    use crate::domain::takeover::{CUSTOMER_MAX_FIELDS, CUSTOMER_MAX_VALUE_CHARS};
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, SchemaType, Type};
    let value = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(CUSTOMER_MAX_VALUE_CHARS))
        .pattern(Some(crate::domain::takeover::NOT_BLANK_PATTERN));
    let mut schema = ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .additional_properties(Some(AdditionalProperties::RefOr(
            utoipa::openapi::RefOr::T(value.build().into()),
        )))
        .max_properties(Some(CUSTOMER_MAX_FIELDS))
        .build();
    schema.property_names = Some(Box::new(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^[A-Za-z0-9_.\-]{1,64}$"))
            .build()
            .into(),
    ));
    schema.into()
}

/// A takeover and where it stands.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Takeover {
    /// Takeover id.
    pub id: String,
    /// The session it belongs to.
    pub session_id: String,
    /// `takeover` or `approval`.
    pub mode: Mode,
    /// `requested`, `claimed` or `resolved`.
    pub status: TakeoverStatus,
    /// How it ended, once resolved.
    pub outcome: Option<Outcome>,
    /// Why the bot stopped.
    pub reason: Reason,
    /// The bot's summary for the reviewer.
    pub summary: Option<String>,
    /// Queue priority, 0 to 10.
    pub priority: i32,
    /// The team or reviewer it is assigned to (changes as it escalates).
    pub assignee: Option<String>,
    /// How many escalation steps it has taken.
    pub escalation_step: i32,
    /// Everything the AI saw.
    pub context: Option<serde_json::Value>,
    /// Where replies go.
    pub reply_webhook: String,
    /// Where the handback goes, if not to `reply_webhook`.
    pub handback_signal: Option<String>,
    /// Unclaimed wait allowed, in seconds.
    pub timeout_seconds: i64,
    /// When the unclaimed wait runs out.
    pub expires_at: DateTime<Utc>,
    /// The reviewer holding it.
    pub claimed_by: Option<String>,
    /// When it was claimed.
    pub claimed_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The reviewer's handback summary.
    pub handback_summary: Option<String>,
    /// For approvals: the proposal.
    pub proposal: Option<serde_json::Value>,
    /// For approvals: the allowed decisions.
    pub decisions: Option<Vec<String>>,
    /// For approvals: the decision applied on timeout.
    pub default_decision: Option<String>,
    /// For decided approvals with `edit`: the edited proposal.
    pub edited: Option<serde_json::Value>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// Link to the conversation in the reviewer inbox.
    pub inbox_url: String,
    /// While it waits for a reviewer: its place in the queue and the expected wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueInfo>,
}

impl Takeover {
    pub fn from_row(t: &TakeoverRow, public_base: &str) -> Takeover {
        Takeover {
            id: t.id.clone(),
            session_id: t.session_id.clone(),
            mode: Mode::parse(&t.mode).unwrap_or_default(),
            status: TakeoverStatus::parse(&t.status).unwrap_or(TakeoverStatus::Resolved),
            outcome: t.outcome.as_deref().and_then(Outcome::parse),
            reason: Reason::parse(&t.reason).unwrap_or_default(),
            summary: t.summary.clone(),
            priority: t.priority,
            assignee: t.assignee.clone(),
            escalation_step: t.escalation_step,
            context: json(&t.context),
            reply_webhook: t.reply_webhook.clone(),
            handback_signal: t.handback_signal.clone(),
            timeout_seconds: t.timeout_seconds,
            expires_at: utc(t.expires_at),
            claimed_by: t.claimed_by.clone(),
            claimed_at: t.claimed_at.map(utc),
            resolved_at: t.resolved_at.map(utc),
            handback_summary: t.handback_summary.clone(),
            proposal: json(&t.proposal),
            decisions: t
                .decisions
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
            default_decision: t.default_decision.clone(),
            edited: json(&t.decision_payload),
            created_at: utc(t.created_at),
            inbox_url: inbox_url(public_base, &t.session_id),
            queue: None,
        }
    }
}

/// Hand a conversation back to the AI.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandbackRequest {
    /// What the reviewer resolved, for the AI to continue from (required from reviewers).
    pub summary: Option<String>,
}

/// Close a conversation.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Why it was closed.
    pub reason: Option<String>,
}

/// Reviewer sign-in.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Reviewer name.
    pub name: String,
    /// Password.
    pub password: String,
}

/// A reviewer as others see them.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewerView {
    /// Sign-in name.
    pub name: String,
    /// Name shown to customers.
    pub display_name: String,
    /// Team names.
    pub teams: Vec<String>,
    /// Admins see and act on every team's conversations.
    pub is_admin: bool,
}

/// A signed-in reviewer's token.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub reviewer: ReviewerView,
}

/// Who the credentials belong to.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// `api_key` or `reviewer`.
    pub kind: String,
    /// The key's or reviewer's name.
    pub name: String,
    /// For reviewers: their profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<ReviewerView>,
}

/// A message from a reviewer to the customer, or an internal note.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextRequest {
    /// The text, 1 to 32 000 characters, not only spaces.
    #[schema(schema_with = content_schema)]
    pub content: String,
}

/// A reviewer's reply as stored and queued for delivery.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReplyAccepted {
    /// The stored message.
    pub message: Message,
    /// The delivery carrying it to `reply_webhook`.
    pub delivery_id: String,
}

/// An internal note (never sent to the customer).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Note {
    /// Note id.
    pub id: String,
    /// Author's reviewer name.
    pub author: String,
    /// The text.
    pub content: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

impl From<&NoteRow> for Note {
    fn from(n: &NoteRow) -> Note {
        Note {
            id: n.id.clone(),
            author: n.author.clone(),
            content: n.content.clone(),
            created_at: utc(n.created_at),
        }
    }
}

/// Move a conversation to another team or reviewer.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// A team name or the name of an enabled reviewer.
    pub to: String,
    /// A note for the next reviewer.
    pub note: Option<String>,
}

/// One queue entry.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InboxItem {
    /// The takeover.
    pub takeover: Takeover,
    /// The session state.
    pub session: SessionState,
    /// The last message of the conversation.
    pub last_message: Option<Message>,
    /// Seconds since the takeover was requested.
    pub waiting_seconds: i64,
}

/// The queue.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InboxPage {
    /// Entries, highest priority first, then longest waiting.
    pub items: Vec<InboxItem>,
    /// Counts per view for the signed-in reviewer.
    pub counts: InboxCounts,
}

/// How many conversations each view holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct InboxCounts {
    /// Waiting for a reviewer, visible to me.
    pub waiting: i64,
    /// Held by me.
    pub mine: i64,
    /// Open in my teams (waiting or held).
    pub team: i64,
    /// Handed back to the AI in the last 24 hours.
    pub handed_back: i64,
}

/// A page of a list with a cursor.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// A duration as the API takes it: a string with a unit (`"90s"`, `"30m"`, `"2h"`, `"1d"`) or
/// a whole number of seconds.
/// A string that is one of `names` (the list the handler checks against).
pub fn one_of(names: &[&str]) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names.iter().copied()))
        .build()
        .into()
}

/// `string`, or `["string", "null"]` for an optional field.
fn string_type(nullable: bool) -> utoipa::openapi::schema::SchemaType {
    use utoipa::openapi::schema::{SchemaType, Type};
    if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    }
}

/// A text of 1 to `max` characters, not blank; `nullable` for an optional field.
pub fn text_schema(max: usize, nullable: bool) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::ObjectBuilder;
    ObjectBuilder::new()
        .schema_type(string_type(nullable))
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(crate::domain::takeover::NOT_BLANK_PATTERN))
        .build()
        .into()
}

pub fn text_64_schema() -> utoipa::openapi::schema::Schema {
    text_schema(64, true)
}

pub fn text_100_schema() -> utoipa::openapi::schema::Schema {
    text_schema(100, true)
}

/// The decisions an approval may offer: at least one of approve, reject, edit.
pub fn decisions_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["approve", "reject", "edit"])),
        )
        .min_items(Some(1))
        .build()
        .into()
}

/// A decision on an approval.
pub fn decision_schema() -> utoipa::openapi::schema::Schema {
    one_of(&["approve", "reject", "edit"])
}

/// The decision applied when nobody decides: approve or reject (approvals only).
pub fn default_decision_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(["approve", "reject"]))
        .build()
        .into()
}

pub fn text_255_schema() -> utoipa::openapi::schema::Schema {
    text_schema(255, true)
}

pub fn content_schema() -> utoipa::openapi::schema::Schema {
    text_schema(crate::domain::takeover::MAX_CONTENT_CHARS, false)
}

/// The senders the turn gate takes.
pub fn turn_sender_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(one_of(&["user", "ai", "system", "staff"]))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^staff:.{1,100}$"))
                .description(Some(
                    "A person outside Baton, by name (1 to 100 characters)",
                )),
        )
        .build()
        .into()
}

/// A callback URL: http(s) with a host, at most 2048 characters. Which hosts are refused
/// (link-local, metadata, `BATON_WEBHOOK_ALLOW`/`DENY`) depends on the deployment and is
/// checked by the server alone.
pub fn webhook_url_schema(nullable: bool) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat};
    ObjectBuilder::new()
        .schema_type(string_type(nullable))
        .format(Some(SchemaFormat::Custom("uri".into())))
        .max_length(Some(2048))
        .pattern(Some("^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]"))
        .build()
        .into()
}

pub fn url_schema() -> utoipa::openapi::schema::Schema {
    webhook_url_schema(false)
}

pub fn optional_url_schema() -> utoipa::openapi::schema::Schema {
    webhook_url_schema(true)
}

/// The event types a subscription may choose, or `*`: at least one.
pub fn event_names_schema() -> utoipa::openapi::schema::Schema {
    use crate::domain::event::EventType;
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let names: Vec<&str> = EventType::ALL
        .iter()
        .map(|e| e.as_str())
        .chain(["*"])
        .collect();
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names)),
        )
        .min_items(Some(1))
        .build()
        .into()
}

/// The formats of `GET /v1/audit`.
pub const AUDIT_FORMATS: [&str; 3] = ["json", "jsonl", "csv"];
/// The groupings of `GET /v1/stats`.
pub const STATS_GROUPS: [&str; 5] = ["reason", "channel", "team", "reviewer", "day"];

pub fn audit_format_schema() -> utoipa::openapi::schema::Schema {
    one_of(&AUDIT_FORMATS)
}

pub fn stats_group_schema() -> utoipa::openapi::schema::Schema {
    one_of(&STATS_GROUPS)
}

pub fn delivery_status_schema() -> utoipa::openapi::schema::Schema {
    one_of(crate::domain::types::DeliveryStatus::NAMES)
}

pub fn duration_schema() -> utoipa::openapi::schema::Schema {
    duration_one_of().into()
}

/// [`duration_schema`], or `null` for the default (an optional field).
pub fn optional_duration_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    duration_one_of()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build()
        .into()
}

fn duration_one_of() -> utoipa::openapi::schema::OneOfBuilder {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(crate::domain::duration::TIMEOUT_PATTERN)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(2_592_000)),
        )
        .description(Some(
            "1 second to 30 days: \"90s\", \"30m\", \"2h\", \"1d\" or whole seconds",
        ))
}

/// A reviewer's decision on an approval.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `approve`, `reject` or `edit` (one the approval allows).
    #[schema(schema_with = decision_schema)]
    pub decision: String,
    /// For `edit`: the proposal as changed by the reviewer.
    pub edited: Option<serde_json::Value>,
    /// Why, for the workflow and the audit trail.
    pub comment: Option<String>,
}

/// One reviewer of a team, as routing sees them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoutingReviewer {
    /// Sign-in name.
    pub name: String,
    /// Name shown to customers.
    pub display_name: String,
    /// `online`, `away` or `offline`.
    pub availability: Availability,
    /// Most conversations at once that automatic assignment gives them (null: no limit).
    pub capacity: Option<i64>,
    /// Conversations they hold or have been offered now.
    pub load: i64,
}

/// A team's routing settings and where it stands now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamRouting {
    /// The team.
    pub team: String,
    /// `manual`, `round_robin` or `least_busy`.
    pub policy: AssignmentPolicy,
    /// Seconds an automatic offer waits for acceptance.
    pub offer_timeout_seconds: i64,
    /// The schedule, or null for always open.
    pub business_hours: Option<BusinessHoursBody>,
    /// Whether the team is open now.
    pub open: bool,
    /// When a closed team opens next.
    pub opens_at: Option<DateTime<Utc>>,
    /// When an open team with a schedule closes next.
    pub closes_at: Option<DateTime<Utc>>,
    /// The team's reviewers.
    pub reviewers: Vec<RoutingReviewer>,
    /// Last change of the settings.
    pub updated_at: Option<DateTime<Utc>>,
}

pub fn team_view(conn: &mut DbConnection, team: &TeamRow) -> Result<TeamRouting, ApiError> {
    let row = repo::team_routing(conn, &team.id)?;
    let at = now();
    let hours = row.as_ref().and_then(repo::hours_of);
    let (open, opens_at, closes_at) = match hours.as_ref().map(|h| h.status_at(utc(at))) {
        None => (true, None, None),
        Some(Openness::Open { closes_at }) => (true, None, closes_at),
        Some(Openness::Closed { opens_at }) => (false, opens_at, None),
    };
    let reviewers = repo::team_reviewers(conn, &team.id)?
        .into_iter()
        .map(|(r, p)| {
            Ok(RoutingReviewer {
                load: repo::load_of(conn, &r.name)?,
                name: r.name,
                display_name: r.display_name,
                availability: p
                    .as_ref()
                    .and_then(|p| Availability::parse(&p.availability))
                    .unwrap_or_default(),
                capacity: p.and_then(|p| p.capacity).map(i64::from),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(TeamRouting {
        team: team.name.clone(),
        policy: row
            .as_ref()
            .and_then(|r| AssignmentPolicy::parse(&r.policy))
            .unwrap_or_default(),
        offer_timeout_seconds: row
            .as_ref()
            .map(|r| r.offer_seconds)
            .unwrap_or(repo::DEFAULT_OFFER_SECONDS),
        business_hours: hours.as_ref().map(BusinessHours::to_body),
        open,
        opens_at,
        closes_at,
        reviewers,
        updated_at: row.map(|r| utc(r.updated_at)),
    })
}

pub fn find_team(conn: &mut DbConnection, name: &str) -> Result<TeamRow, ApiError> {
    accounts::find_team(conn, name)?.ok_or_else(|| ApiError::not_found(format!("no team {name:?}")))
}

/// Whether a mail server is configured (`BATON_SMTP_URL`), shared with the handlers and the inbox.
#[derive(Clone, Copy, Debug)]
pub struct MailSetting {
    pub configured: bool,
}

/// A reviewer's alert settings.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlertSettings {
    /// Where alert e-mails go; null when none is set.
    #[schema(example = "alice@example.com")]
    pub email: Option<String>,
    /// Alerts are sent (needs `email`, and a mail server configured with `BATON_SMTP_URL`).
    pub enabled: bool,
    /// No alert e-mail goes out inside these hours; one due then waits for their end.
    pub quiet_hours: Option<QuietHoursBody>,
    /// Whether this server can send e-mail at all (`BATON_SMTP_URL` is set).
    pub mail_configured: bool,
    /// When the settings were last changed; null when never set.
    pub updated_at: Option<DateTime<Utc>>,
}

/// What `GET /v1/me/alerts` answers (the inbox's Notifications page shows the same).
pub fn alert_settings(row: Option<ReviewerAlertRow>, mail_configured: bool) -> AlertSettings {
    match row {
        Some(r) => AlertSettings {
            quiet_hours: r.quiet_hours().map(|q| q.body().clone()),
            email: r.email,
            enabled: r.enabled,
            mail_configured,
            updated_at: Some(utc(r.updated_at)),
        },
        None => AlertSettings {
            email: None,
            enabled: false,
            quiet_hours: None,
            mail_configured,
            updated_at: None,
        },
    }
}
