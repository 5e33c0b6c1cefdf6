//! The append-only audit trail: who did what, when, to which session.

use diesel::prelude::*;

use super::models::AuditRow;
use super::schema::audit_events;
use super::{now, DbConnection};
use crate::domain::types::RecordId;
use crate::error::ApiError;

/// One audit entry to write.
#[derive(Default)]
pub struct Entry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub session_id: Option<&'a str>,
    pub takeover_id: Option<&'a str>,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub detail: Option<serde_json::Value>,
}

pub fn record(conn: &mut DbConnection, e: Entry<'_>) -> Result<(), ApiError> {
    diesel::insert_into(audit_events::table)
        .values(AuditRow {
            id: RecordId::new().to_string(),
            at: now(),
            actor: e.actor.to_string(),
            action: e.action.to_string(),
            session_id: e.session_id.map(str::to_string),
            takeover_id: e.takeover_id.map(str::to_string),
            from_status: e.from_status.map(str::to_string),
            to_status: e.to_status.map(str::to_string),
            detail: e.detail.map(|d| d.to_string()),
        })
        .execute(conn)?;
    Ok(())
}

/// Which audit entries to list; `None` matches any.
#[derive(Debug, Default)]
pub struct Filter {
    pub session_id: Option<String>,
    pub takeover_id: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub from: Option<chrono::NaiveDateTime>,
    pub to: Option<chrono::NaiveDateTime>,
}

/// Audit entries matching `f`, oldest first, at most `limit`.
pub fn list(conn: &mut DbConnection, f: &Filter, limit: i64) -> Result<Vec<AuditRow>, ApiError> {
    let mut b = audit_events::table.into_boxed();
    if let Some(v) = &f.session_id {
        b = b.filter(audit_events::session_id.eq(v));
    }
    if let Some(v) = &f.takeover_id {
        b = b.filter(audit_events::takeover_id.eq(v));
    }
    if let Some(v) = &f.action {
        b = b.filter(audit_events::action.eq(v));
    }
    if let Some(v) = &f.actor {
        b = b.filter(audit_events::actor.eq(v));
    }
    if let Some(v) = f.from {
        b = b.filter(audit_events::at.ge(v));
    }
    if let Some(v) = f.to {
        b = b.filter(audit_events::at.lt(v));
    }
    Ok(b.order((audit_events::at.asc(), audit_events::id.asc()))
        .limit(limit)
        .load(conn)?)
}
