//! The web chat's storage: widget keys, their visitors (one session each, found by the digest
//! of the visitor's token), the notices a visitor is shown besides the turns, and the feed a
//! visitor's widget reads: the session's turns and notices after a cursor.
//!
//! A notice is written by the transaction that queues the callback it mirrors
//! ([`on_channel_event`], called from `db::takeovers::send`), under that transaction's session
//! lock, so a notice's number is taken in commit order.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::fixed::{Bind, Fixed};
use super::models::MessageRow;
use super::schema::{messages, reviewers, widget_notices, widget_visitors, widgets};
use super::sessions::{self, status_of, NewTurn, SessionFields, TurnOutcome};
use super::{now, outbox, DbConnection};
use crate::domain::event::{CallbackEvent, CallbackMessage, EventType, WidgetRef};
use crate::domain::session::Owner;
use crate::domain::types::{Sender, SessionId};
use crate::domain::widget::Cursor;
use crate::error::ApiError;

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = widgets)]
pub struct WidgetRow {
    pub id: String,
    pub public_key: String,
    pub name: String,
    pub team: Option<String>,
    /// JSON array of origins.
    pub allowed_origins: String,
    pub title: String,
    pub welcome: Option<String>,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

impl WidgetRow {
    pub fn origins(&self) -> Vec<String> {
        serde_json::from_str(&self.allowed_origins).unwrap_or_default()
    }

    pub fn reference(&self) -> WidgetRef {
        WidgetRef {
            id: self.id.clone(),
            name: self.name.clone(),
            team: self.team.clone(),
        }
    }
}

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = widget_visitors)]
pub struct VisitorRow {
    pub session_id: String,
    pub token_digest: String,
    pub widget_id: String,
    pub created_at: NaiveDateTime,
    /// The visitor's browser language.
    pub locale: Option<String>,
}

#[derive(Clone, Debug, Queryable)]
#[diesel(table_name = widget_notices)]
pub struct NoticeRow {
    pub session_id: String,
    pub seq: i64,
    /// The callback event type it mirrors (`takeover.claimed`, `session.handed_back`...).
    pub kind: String,
    pub text: String,
    /// The reviewer's display name, when a reviewer acted.
    pub author: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn create(conn: &mut DbConnection, row: &WidgetRow) -> Result<(), ApiError> {
    diesel::insert_into(widgets::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<WidgetRow>, ApiError> {
    Ok(widgets::table
        .order((widgets::created_at.asc(), widgets::id.asc()))
        .load(conn)?)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<WidgetRow>, ApiError> {
    Ok(widgets::table.find(id).first(conn).optional()?)
}

pub fn by_public_key(conn: &mut DbConnection, key: &str) -> Result<Option<WidgetRow>, ApiError> {
    Ok(widgets::table
        .filter(widgets::public_key.eq(key))
        .first(conn)
        .optional()?)
}

/// Revokes a widget key; returns it and the sessions of its visitors (whose streams must end).
/// Revoking twice keeps the first time.
pub fn revoke(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<(WidgetRow, Vec<String>)>, ApiError> {
    diesel::update(
        widgets::table
            .find(id)
            .filter(widgets::revoked_at.is_null()),
    )
    .set(widgets::revoked_at.eq(Some(now())))
    .execute(conn)?;
    let Some(w) = get(conn, id)? else {
        return Ok(None);
    };
    let sessions = widget_visitors::table
        .filter(widget_visitors::widget_id.eq(id))
        .select(widget_visitors::session_id)
        .load(conn)?;
    Ok(Some((w, sessions)))
}

pub fn start_visitor(conn: &mut DbConnection, row: &VisitorRow) -> Result<(), ApiError> {
    diesel::insert_into(widget_visitors::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The visitor a token digest belongs to, with their widget.
pub fn visitor(
    conn: &mut DbConnection,
    token_digest: &str,
) -> Result<Option<(VisitorRow, WidgetRow)>, ApiError> {
    Ok(widget_visitors::table
        .inner_join(widgets::table)
        .filter(widget_visitors::token_digest.eq(token_digest))
        .first(conn)
        .optional()?)
}

/// The widget a session's visitor chats through, if it is a web chat session.
pub fn widget_of_session(
    conn: &mut DbConnection,
    session_id: &str,
) -> Result<Option<WidgetRow>, ApiError> {
    Ok(widget_visitors::table
        .inner_join(widgets::table)
        .filter(widget_visitors::session_id.eq(session_id))
        .select(widgets::all_columns)
        .first(conn)
        .optional()?)
}

/// Mirrors a callback meant for the customer's channel into the visitor's feed, when the
/// session is a web chat and the event carries a sentence for the customer. Replies need no
/// mirror: they are turns, and the feed reads turns.
pub fn on_channel_event(conn: &mut DbConnection, ev: &CallbackEvent) -> Result<(), ApiError> {
    match ev.text.as_deref() {
        Some(text) if ev.event_type != EventType::Reply => notice(
            conn,
            &ev.session_id,
            ev.event_type.as_str(),
            text,
            ev.reviewer.as_ref().map(|r| r.display_name.as_str()),
        ),
        _ => Ok(()),
    }
}

/// Adds a notice to a web chat visitor's feed; does nothing for other sessions.
pub fn notice(
    conn: &mut DbConnection,
    session_id: &str,
    kind: &str,
    text: &str,
    author: Option<&str>,
) -> Result<(), ApiError> {
    if widget_of_session(conn, session_id)?.is_none() {
        return Ok(());
    }
    // Two transactions may add a notice to one feed at once on PostgreSQL (a claim's and the
    // router's, say): both read the same highest number. The second one's insert then waits
    // for the first to commit, inserts nothing, and is tried again with the new highest
    // number, so both land, in commit order, where a plain insert failed on the key (a 500).
    let at = now();
    for _ in 0..NOTICE_ATTEMPTS {
        let added = Fixed::<AddNoticeSql>::new(
            ADD_NOTICE_SQL,
            &[
                Bind::Text(session_id),
                Bind::Text(kind),
                Bind::Text(text),
                Bind::OptText(author),
                Bind::Time(at),
                Bind::Text(session_id),
            ],
        )
        .execute(conn)?;
        if added == 1 {
            return Ok(());
        }
    }
    Err(ApiError::internal(anyhow::anyhow!(
        "no free number for a notice of session {session_id:?} after {NOTICE_ATTEMPTS} attempts"
    )))
}

/// How often a notice is numbered again after a concurrent one took its number.
const NOTICE_ATTEMPTS: usize = 20;

/// Adds a notice under the feed's highest number + 1, unless another transaction took that
/// number (then nothing; see [`notice`]).
struct AddNoticeSql;
const ADD_NOTICE_SQL: &str = "INSERT INTO widget_notices \
    (session_id, seq, kind, text, author, created_at) \
    SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM widget_notices WHERE session_id = ? \
    ON CONFLICT (session_id, seq) DO NOTHING";

/// What a visitor's widget has not shown yet.
pub struct Feed {
    /// Turns after the cursor, system turns included (the caller leaves out what visitors do
    /// not see, so the cursor still moves past them).
    pub messages: Vec<MessageRow>,
    pub notices: Vec<NoticeRow>,
    /// Reviewers' display names by sign-in name, for their turns.
    pub names: HashMap<String, String>,
}

pub fn feed_after(
    conn: &mut DbConnection,
    session_id: &str,
    after: Cursor,
    limit: i64,
) -> Result<Feed, ApiError> {
    let messages: Vec<MessageRow> = messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::seq.gt(after.message))
        .order(messages::seq.asc())
        .limit(limit)
        .load(conn)?;
    let notices: Vec<NoticeRow> = widget_notices::table
        .filter(widget_notices::session_id.eq(session_id))
        .filter(widget_notices::seq.gt(after.notice))
        .order(widget_notices::seq.asc())
        .limit(limit)
        .load(conn)?;
    let people: Vec<String> = messages
        .iter()
        .filter_map(|m| match Sender::parse(&m.sender) {
            Ok(Sender::Human(name)) => Some(name),
            _ => None,
        })
        .collect();
    let names = if people.is_empty() {
        HashMap::new()
    } else {
        reviewers::table
            .filter(reviewers::name.eq_any(&people))
            .select((reviewers::name, reviewers::display_name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    Ok(Feed {
        messages,
        notices,
        names,
    })
}

/// A visitor's message: recorded through the turn gate, and, when the AI owns the next turn,
/// queued as `customer.message` for the subscriptions that chose it (the n8n workflow), in the
/// same transaction. While a person owns the session the reviewer sees it live in the inbox.
pub fn record_visitor_turn(
    conn: &mut DbConnection,
    visitor: &VisitorRow,
    widget: &WidgetRow,
    text: &str,
    client_id: Option<String>,
) -> Result<TurnOutcome, ApiError> {
    let id = SessionId::parse(&visitor.session_id).map_err(|e| {
        ApiError::internal(anyhow::anyhow!("stored visitor session id is invalid: {e}"))
    })?;
    let outcome = sessions::record_turn(
        conn,
        &id,
        &SessionFields {
            channel: Some("web".into()),
            channel_ref: None,
            user_id: None,
        },
        NewTurn {
            sender: Sender::User,
            content: text.to_string(),
            external_id: client_id,
            at: None,
            tool_calls: None,
            meta: None,
        },
        &format!("widget:{}", widget.id),
    )?;
    if !outcome.duplicate && status_of(&outcome.session)?.owner() == Owner::Ai {
        let s = &outcome.session;
        let mut ev = CallbackEvent::new(
            EventType::CustomerMessage,
            &s.id,
            s.channel.clone(),
            &s.channel_ref,
            s.open_takeover_id.clone(),
        );
        ev.message = Some(CallbackMessage {
            id: outcome.message.id.clone(),
            seq: outcome.message.seq,
            content: outcome.message.content.clone(),
            prefixed_content: outcome.message.content.clone(),
            template: None,
            template_category: None,
        });
        ev.widget = Some(widget.reference());
        outbox::enqueue(conn, &ev, None, None)?;
    }
    Ok(outcome)
}
