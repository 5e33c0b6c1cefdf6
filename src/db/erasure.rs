//! Forgetting a customer: everything personal about one conversation goes (its messages and
//! their full-text index entries, notes, delivery payloads and their attempt logs, customer
//! attributes, widget visitor and notices, read marks), and what the analytics count stays as
//! facts without a person: the takeover rows keep their timing, outcome, reason, mode, team and
//! reviewer with their texts blanked, under a session row renamed to a pseudonym
//! (`erased:<uuid>`, channel kept, user and address blanked). `POST /v1/erasures`,
//! `baton erase` and the retention timer (`db::retention`) all come through here.

use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Entry};
use super::models::SessionRow;
use super::schema::{
    audit_events, deliveries, delivery_attempts, messages, notes, queue_watches, session_customers,
    session_reads, sessions, takeover_offers, takeovers, widget_notices, widget_visitors,
};
use super::DbConnection;
use crate::domain::session::{Owner, SessionStatus};
use crate::domain::types::RecordId;
use crate::error::ApiError;

/// The prefix of the pseudonym an erased conversation's facts are kept under. Retention skips
/// these rows (they hold nothing left to purge).
pub const PSEUDONYM_PREFIX: &str = "erased:";

/// Whom to forget.
#[derive(Clone, Debug)]
pub enum Target {
    /// Every conversation whose `user_id` is this.
    User(String),
    /// One conversation.
    Session(String),
}

/// What was erased, by kind. Counts only: an audit entry may carry these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    pub sessions: u64,
    pub messages: u64,
    pub notes: u64,
    pub deliveries: u64,
}

impl Erased {
    pub fn add(&mut self, other: Erased) {
        self.sessions += other.sessions;
        self.messages += other.messages;
        self.notes += other.notes;
        self.deliveries += other.deliveries;
    }
}

/// Erases every conversation of `target` in one transaction and writes one audit entry (action
/// `erasure`, the counts, no session id and no user id). A conversation a person holds (a
/// takeover waiting or claimed) is refused with 409 and nothing is erased: the reviewer would
/// otherwise answer a conversation that no longer exists; release or hand it back first.
pub fn erase(conn: &mut DbConnection, target: &Target, actor: &str) -> Result<Erased, ApiError> {
    let ids: Vec<String> = match target {
        Target::User(user) => sessions::table
            .filter(sessions::user_id.eq(user))
            .filter(sessions::id.not_like(format!("{PSEUDONYM_PREFIX}%")))
            .select(sessions::id)
            .order(sessions::id)
            .load(conn)?,
        Target::Session(id) => vec![id.clone()],
    };
    let mut total = Erased::default();
    for id in ids {
        let Some(row) = lock(conn, &id)? else {
            continue;
        };
        if SessionStatus::parse(&row.status).map(SessionStatus::owner) == Some(Owner::Human) {
            return Err(ApiError::conflict(
                "a person holds this conversation (a takeover is waiting or claimed); \
                 release it or hand it back, then erase",
            ));
        }
        total.add(forget(conn, row)?);
    }
    audit::record(
        conn,
        Entry {
            actor,
            action: "erasure",
            detail: Some(serde_json::to_value(total).unwrap_or_default()),
            ..Entry::default()
        },
    )?;
    Ok(total)
}

/// Takes the session's row lock (a no-op update: the portable way to lock a row on PostgreSQL;
/// SQLite writers are already one at a time) and reads the row.
pub(crate) fn lock(conn: &mut DbConnection, id: &str) -> Result<Option<SessionRow>, ApiError> {
    let touched = diesel::update(sessions::table.find(id))
        .set(sessions::status.eq(sessions::status))
        .execute(conn)?;
    if touched == 0 {
        return Ok(None);
    }
    Ok(sessions::table.find(id).first(conn).optional()?)
}

/// Forgets one locked conversation (see the module header). Returns what went.
pub(crate) fn forget(conn: &mut DbConnection, row: SessionRow) -> Result<Erased, ApiError> {
    let id = row.id.clone();
    let takeover_ids: Vec<String> = takeovers::table
        .filter(takeovers::session_id.eq(&id))
        .select(takeovers::id)
        .load(conn)?;
    // SQLite's full-text index loses each message's words through its delete trigger;
    // PostgreSQL's index entries go with the rows.
    let messages =
        diesel::delete(messages::table.filter(messages::session_id.eq(&id))).execute(conn)? as u64;
    let notes =
        diesel::delete(notes::table.filter(notes::session_id.eq(&id))).execute(conn)? as u64;
    let delivery_ids: Vec<String> = deliveries::table
        .filter(
            deliveries::session_id
                .eq(&id)
                .or(deliveries::takeover_id.eq_any(&takeover_ids)),
        )
        .select(deliveries::id)
        .load(conn)?;
    for chunk in delivery_ids.chunks(500) {
        diesel::delete(
            delivery_attempts::table.filter(delivery_attempts::delivery_id.eq_any(chunk)),
        )
        .execute(conn)?;
        diesel::delete(deliveries::table.filter(deliveries::id.eq_any(chunk))).execute(conn)?;
    }
    diesel::delete(session_customers::table.filter(session_customers::session_id.eq(&id)))
        .execute(conn)?;
    diesel::delete(session_reads::table.filter(session_reads::session_id.eq(&id))).execute(conn)?;
    diesel::delete(widget_notices::table.filter(widget_notices::session_id.eq(&id)))
        .execute(conn)?;
    diesel::delete(widget_visitors::table.filter(widget_visitors::session_id.eq(&id)))
        .execute(conn)?;
    diesel::delete(
        takeover_offers::table.filter(takeover_offers::takeover_id.eq_any(&takeover_ids)),
    )
    .execute(conn)?;
    diesel::delete(queue_watches::table.filter(queue_watches::takeover_id.eq_any(&takeover_ids)))
        .execute(conn)?;

    // The facts stay under a pseudonym: a new row first, so the takeovers can point at it.
    let pseudonym = format!("{PSEUDONYM_PREFIX}{}", RecordId::new());
    diesel::insert_into(sessions::table)
        .values(SessionRow {
            id: pseudonym.clone(),
            channel_ref: String::new(),
            user_id: None,
            status: SessionStatus::Closed.as_str().to_string(),
            assigned_to: None,
            open_takeover_id: None,
            ..row
        })
        .execute(conn)?;
    diesel::update(takeovers::table.filter(takeovers::session_id.eq(&id)))
        .set((
            takeovers::session_id.eq(&pseudonym),
            takeovers::summary.eq(None::<String>),
            takeovers::context.eq(None::<String>),
            takeovers::reply_webhook.eq(""),
            takeovers::handback_signal.eq(None::<String>),
            takeovers::proposal.eq(None::<String>),
            takeovers::idempotency_key.eq(None::<String>),
            takeovers::request_hash.eq(None::<String>),
            takeovers::handback_summary.eq(None::<String>),
            takeovers::decision_payload.eq(None::<String>),
        ))
        .execute(conn)?;
    // The audit trail keeps who did what and when, not what was said (a decision's comment,
    // a reason's text).
    diesel::update(audit_events::table.filter(audit_events::session_id.eq(&id)))
        .set((
            audit_events::session_id.eq(&pseudonym),
            audit_events::detail.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::delete(sessions::table.find(&id)).execute(conn)?;
    Ok(Erased {
        sessions: 1,
        messages,
        notes,
        deliveries: delivery_ids.len() as u64,
    })
}
