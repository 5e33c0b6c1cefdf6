//! The versioned signal rules: the newest version, and a new version written with its audit entry.

use diesel::prelude::*;

use super::schema::signal_rules;
use super::{audit, now, DbConnection};
use crate::domain::signals::SignalRules;
use crate::error::ApiError;

/// The newest stored rules and their version; version 0 and the built-in rules when none.
pub fn newest(conn: &mut DbConnection) -> Result<(i64, SignalRules), ApiError> {
    let row: Option<(i64, String)> = signal_rules::table
        .order(signal_rules::version.desc())
        .select((signal_rules::version, signal_rules::rules))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((v, raw)) => (v, serde_json::from_str(&raw).unwrap_or_default()),
        None => (0, SignalRules::default()),
    })
}

/// Stores checked rules as the next version, audited; returns the version.
pub fn store(conn: &mut DbConnection, rules: &SignalRules, actor: &str) -> Result<i64, ApiError> {
    let (current, _) = newest(conn)?;
    let version = current + 1;
    diesel::insert_into(signal_rules::table)
        .values((
            signal_rules::version.eq(version),
            signal_rules::rules.eq(serde_json::to_string(rules).unwrap_or_default()),
            signal_rules::actor.eq(actor),
            signal_rules::created_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "signal_rules.updated",
            detail: Some(serde_json::json!({"version": version})),
            ..Default::default()
        },
    )?;
    Ok(version)
}
