//! Retention (`BATON_RETENTION_DAYS`): closed conversations untouched for longer than the period
//! are forgotten as an erasure forgets them (`db::erasure`), a few hundred messages per
//! transaction, so the turn gate waits at most for one small batch. The timer in
//! `timers::retention` paces the batches.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Entry};
use super::erasure::{self, Erased, PSEUDONYM_PREFIX};
use super::schema::{messages, sessions};
use super::DbConnection;
use crate::domain::session::SessionStatus;
use crate::error::ApiError;

/// The most messages one transaction deletes.
pub const BATCH: i64 = 500;

/// Closed conversations last changed before `cutoff`, oldest first, at most `limit`.
pub fn due(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> Result<Vec<String>, ApiError> {
    Ok(sessions::table
        .filter(sessions::status.eq(SessionStatus::Closed.as_str()))
        .filter(sessions::updated_at.lt(cutoff))
        .filter(sessions::id.not_like(format!("{PSEUDONYM_PREFIX}%")))
        .order(sessions::updated_at)
        .select(sessions::id)
        .limit(limit)
        .load(conn)?)
}

/// What one transaction of a purge did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Deleted this many messages; the conversation has more.
    Deleted(u64),
    /// The conversation is forgotten (its last messages included).
    Forgotten(Erased),
    /// It is gone, or no longer due (a new turn reopened it): nothing was done.
    NotDue,
}

/// One transaction of purging conversation `id`: under its row lock, checks it is still closed
/// and older than `cutoff`, then deletes up to [`BATCH`] of its messages, or, when fewer are
/// left, forgets it.
pub fn step(conn: &mut DbConnection, id: &str, cutoff: NaiveDateTime) -> Result<Step, ApiError> {
    let Some(row) = erasure::lock(conn, id)? else {
        return Ok(Step::NotDue);
    };
    if row.status != SessionStatus::Closed.as_str() || row.updated_at >= cutoff {
        return Ok(Step::NotDue);
    }
    let batch: Vec<String> = messages::table
        .filter(messages::session_id.eq(id))
        .select(messages::id)
        .limit(BATCH)
        .load(conn)?;
    if batch.len() as i64 == BATCH {
        let deleted =
            diesel::delete(messages::table.filter(messages::id.eq_any(&batch))).execute(conn)?;
        return Ok(Step::Deleted(deleted as u64));
    }
    Ok(Step::Forgotten(erasure::forget(conn, row)?))
}

/// What one retention pass purged, for its audit entry.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Pass {
    #[serde(flatten)]
    pub erased: Erased,
    /// Transactions it took.
    pub batches: u64,
}

/// The audit entry of a pass that purged something: action `retention`, counts only.
pub fn record(conn: &mut DbConnection, pass: &Pass) -> Result<(), ApiError> {
    audit::record(
        conn,
        Entry {
            actor: "timer",
            action: "retention",
            detail: Some(serde_json::to_value(pass).unwrap_or_default()),
            ..Entry::default()
        },
    )
}
