//! Sessions and their history: creating and locking the session row, the turn gate, and
//! appending messages with an atomically assigned per-session sequence number.
//!
//! Every operation that changes a session starts with [`lock`]: an UPDATE ... RETURNING on the
//! session row, which takes the row lock on PostgreSQL (and runs under the single-writer lock on
//! SQLite). Everything after it in the transaction sees a state nobody else can change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit;
use super::models::{MessageRow, SessionRow};
use super::schema::{messages, sessions};
use super::{now, DbConnection};
use crate::domain::session::{transition, Refusal, SessionEvent, SessionStatus};
use crate::domain::types::{MessageId, Sender, SessionId};
use crate::error::{ApiError, Kind};

/// Session fields an integration may set with any turn or takeover request.
#[derive(Clone, Debug, Default)]
pub struct SessionFields {
    pub channel: Option<String>,
    pub channel_ref: Option<String>,
    pub user_id: Option<String>,
}

#[derive(AsChangeset)]
#[diesel(table_name = sessions)]
struct Touch {
    updated_at: NaiveDateTime,
    channel: Option<String>,
    channel_ref: Option<String>,
    user_id: Option<String>,
}

/// A turn to append.
#[derive(Clone, Debug)]
pub struct NewTurn {
    pub sender: Sender,
    pub content: String,
    pub external_id: Option<String>,
    pub at: Option<NaiveDateTime>,
    pub tool_calls: Option<String>,
    pub meta: Option<String>,
}

pub fn status_of(s: &SessionRow) -> SessionStatus {
    SessionStatus::parse(&s.status).unwrap_or(SessionStatus::Closed)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<SessionRow>, ApiError> {
    Ok(sessions::table.find(id).first(conn).optional()?)
}

/// Creates the session if it is new (a concurrent creator may win; that is fine).
pub fn ensure(
    conn: &mut DbConnection,
    id: &SessionId,
    fields: &SessionFields,
) -> Result<(), ApiError> {
    if get(conn, id.as_str())?.is_some() {
        return Ok(());
    }
    let at = now();
    let row = SessionRow {
        id: id.to_string(),
        channel: fields.channel.clone(),
        channel_ref: fields.channel_ref.clone().unwrap_or_else(|| id.to_string()),
        user_id: fields.user_id.clone(),
        status: SessionStatus::Ai.as_str().into(),
        assigned_to: None,
        open_takeover_id: None,
        next_seq: 0,
        created_at: at,
        updated_at: at,
        last_user_message_at: None,
    };
    // Inside a savepoint: on PostgreSQL a failed INSERT would otherwise abort the transaction.
    let inserted = conn.transaction::<_, diesel::result::Error, _>(|c| {
        diesel::insert_into(sessions::table).values(&row).execute(c)
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Locks the session row for the rest of the transaction, applying any given fields.
pub fn lock(
    conn: &mut DbConnection,
    id: &str,
    fields: &SessionFields,
) -> Result<Option<SessionRow>, ApiError> {
    Ok(diesel::update(sessions::table.find(id))
        .set(Touch {
            updated_at: now(),
            channel: fields.channel.clone(),
            channel_ref: fields.channel_ref.clone(),
            user_id: fields.user_id.clone(),
        })
        .returning(sessions::all_columns)
        .get_result(conn)
        .optional()?)
}

/// Locks an existing session or answers 404.
pub fn lock_existing(conn: &mut DbConnection, id: &str) -> Result<SessionRow, ApiError> {
    lock(conn, id, &SessionFields::default())?
        .ok_or_else(|| ApiError::not_found(format!("no session {id:?}")))
}

/// Writes a new status (and holder / open takeover) to a locked session.
pub fn set_state(
    conn: &mut DbConnection,
    s: &mut SessionRow,
    status: SessionStatus,
    assigned_to: Option<String>,
    open_takeover_id: Option<String>,
) -> Result<(), ApiError> {
    diesel::update(sessions::table.find(&s.id))
        .set((
            sessions::status.eq(status.as_str()),
            sessions::assigned_to.eq(&assigned_to),
            sessions::open_takeover_id.eq(&open_takeover_id),
        ))
        .execute(conn)?;
    s.status = status.as_str().into();
    s.assigned_to = assigned_to;
    s.open_takeover_id = open_takeover_id;
    Ok(())
}

/// Appends a turn to a locked session with the next sequence number.
pub fn append(
    conn: &mut DbConnection,
    s: &mut SessionRow,
    turn: NewTurn,
) -> Result<MessageRow, ApiError> {
    let seq: i64 = diesel::update(sessions::table.find(&s.id))
        .set(sessions::next_seq.eq(sessions::next_seq + 1))
        .returning(sessions::next_seq)
        .get_result(conn)?;
    s.next_seq = seq;
    let recorded_at = now();
    let row = MessageRow {
        id: MessageId::new().to_string(),
        session_id: s.id.clone(),
        seq,
        sender: turn.sender.as_string(),
        content: turn.content,
        external_id: turn.external_id,
        tool_calls: turn.tool_calls,
        meta: turn.meta,
        at: turn.at.unwrap_or(recorded_at),
        recorded_at,
    };
    diesel::insert_into(messages::table)
        .values(&row)
        .execute(conn)?;
    if turn.sender == Sender::User {
        // When the customer wrote (as the channel reported it, never later than now): the
        // WhatsApp reply window counts from here.
        let wrote = row.at.min(recorded_at);
        if s.last_user_message_at.is_none_or(|prev| prev < wrote) {
            diesel::update(sessions::table.find(&s.id))
                .set(sessions::last_user_message_at.eq(Some(wrote)))
                .execute(conn)?;
            s.last_user_message_at = Some(wrote);
        }
    }
    Ok(row)
}

pub fn find_by_external_id(
    conn: &mut DbConnection,
    session_id: &str,
    external_id: &str,
) -> Result<Option<MessageRow>, ApiError> {
    Ok(messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::external_id.eq(external_id))
        .first(conn)
        .optional()?)
}

/// The result of the turn gate.
pub struct TurnOutcome {
    pub session: SessionRow,
    pub message: MessageRow,
    pub duplicate: bool,
}

/// Maps a refused transition to the error the client sees.
pub fn refusal(r: Refusal, s: &SessionRow) -> ApiError {
    match r {
        Refusal::AiWhileHuman => ApiError::new(
            Kind::AiTurnRefused,
            format!(
                "session {:?} is owned by a person (status {}{}); the AI must not reply until it is handed back",
                s.id,
                s.status,
                s.assigned_to
                    .as_deref()
                    .map(|a| format!(", held by {a}"))
                    .unwrap_or_default()
            ),
        ),
        Refusal::AlreadyClaimed => ApiError::already_claimed(s.assigned_to.as_deref().unwrap_or("another reviewer")),
        Refusal::TakeoverAlreadyOpen => ApiError::conflict(format!("session {:?} already has an open takeover", s.id)),
        Refusal::NoOpenTakeover => ApiError::conflict(format!(
            "session {:?} has no open takeover (status {})",
            s.id, s.status
        )),
        Refusal::NotClaimed => ApiError::conflict(format!("session {:?} is not held by anyone", s.id)),
    }
}

/// The turn gate: records a turn and answers who owns the next one.
pub fn record_turn(
    conn: &mut DbConnection,
    id: &SessionId,
    fields: &SessionFields,
    turn: NewTurn,
    actor: &str,
) -> Result<TurnOutcome, ApiError> {
    ensure(conn, id, fields)?;
    let mut s = lock(conn, id.as_str(), fields)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("session vanished after creation")))?;
    if let Some(ext) = &turn.external_id {
        if let Some(existing) = find_by_external_id(conn, &s.id, ext)? {
            return Ok(TurnOutcome {
                session: s,
                message: existing,
                duplicate: true,
            });
        }
    }
    let from = status_of(&s);
    let event = match turn.sender {
        Sender::User => SessionEvent::UserMessage,
        Sender::Ai => SessionEvent::AiMessage,
        Sender::System | Sender::Human(_) => SessionEvent::SystemMessage,
    };
    let to = transition(from, event).map_err(|r| refusal(r, &s))?;
    if to != from {
        let assigned = if to.owner() == from.owner() {
            s.assigned_to.clone()
        } else {
            None
        };
        let open = s.open_takeover_id.clone();
        set_state(conn, &mut s, to, assigned, open)?;
        audit::record(
            conn,
            audit::Entry {
                actor,
                action: "session.reopened",
                session_id: Some(&s.id),
                from_status: Some(from.as_str()),
                to_status: Some(to.as_str()),
                ..Default::default()
            },
        )?;
    }
    let message = append(conn, &mut s, turn)?;
    Ok(TurnOutcome {
        session: s,
        message,
        duplicate: false,
    })
}

/// One page of history after `after`, oldest first.
pub fn page(
    conn: &mut DbConnection,
    session_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, ApiError> {
    Ok(messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::seq.gt(after))
        .order(messages::seq.asc())
        .limit(limit)
        .load(conn)?)
}

/// The last message of a session.
pub fn last_message(
    conn: &mut DbConnection,
    session_id: &str,
) -> Result<Option<MessageRow>, ApiError> {
    Ok(messages::table
        .filter(messages::session_id.eq(session_id))
        .order(messages::seq.desc())
        .first(conn)
        .optional()?)
}

/// AI-owned or handed-back sessions untouched for `idle`.
pub fn idle_candidates(
    conn: &mut DbConnection,
    idle: std::time::Duration,
    limit: i64,
) -> Result<Vec<String>, ApiError> {
    let before = now() - chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::hours(24));
    Ok(sessions::table
        .filter(sessions::status.eq_any([
            SessionStatus::Ai.as_str(),
            SessionStatus::HandedBack.as_str(),
        ]))
        .filter(sessions::updated_at.le(before))
        .select(sessions::id)
        .limit(limit)
        .load(conn)?)
}

/// Closes a session idle for `idle` (a new user turn opens it again as `ai`).
pub fn close_if_idle(
    conn: &mut DbConnection,
    id: &str,
    idle: std::time::Duration,
) -> Result<bool, ApiError> {
    let before = now() - chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::hours(24));
    // Read before locking: the lock itself touches updated_at.
    let Some(current) = get(conn, id)? else {
        return Ok(false);
    };
    if current.updated_at > before {
        return Ok(false);
    }
    let mut s = lock_existing(conn, id)?;
    let from = status_of(&s);
    if !matches!(from, SessionStatus::Ai | SessionStatus::HandedBack) {
        return Ok(false);
    }
    let to = transition(from, SessionEvent::Closed).map_err(|r| refusal(r, &s))?;
    set_state(conn, &mut s, to, None, None)?;
    audit::record(
        conn,
        audit::Entry {
            actor: "timer",
            action: "session.closed",
            session_id: Some(&s.id),
            from_status: Some(from.as_str()),
            to_status: Some(to.as_str()),
            detail: Some(serde_json::json!({"reason": "idle"})),
            ..Default::default()
        },
    )?;
    let ev = crate::delivery::event::CallbackEvent::new(
        crate::delivery::event::EventType::SessionClosed,
        &s.id,
        s.channel.clone(),
        &s.channel_ref,
        None,
    );
    crate::delivery::outbox::enqueue(conn, &ev, None, None)?;
    Ok(true)
}

/// WhatsApp only lets a business send free text within 24 hours of the customer's last message.
pub const WHATSAPP_WINDOW_HOURS: i64 = 24;

/// When the session's reply window closes, for channels that have one.
pub fn reply_window_closes_at(s: &SessionRow) -> Option<NaiveDateTime> {
    if !s
        .channel
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("whatsapp"))
    {
        return None;
    }
    Some(
        s.last_user_message_at.unwrap_or(s.created_at)
            + chrono::Duration::hours(WHATSAPP_WINDOW_HOURS),
    )
}

/// `Some(closing time)` when the window has closed at `at`.
pub fn reply_window_closed(s: &SessionRow, at: NaiveDateTime) -> Option<NaiveDateTime> {
    reply_window_closes_at(s).filter(|closes| *closes <= at)
}
