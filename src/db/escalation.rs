//! Escalation policies and team notification channels, and the notices sent through them.

use diesel::prelude::*;
use serde_json::json;

use super::models::{EscalationPolicyRow, TeamChannelRow};
use super::schema::{escalation_policies, team_channels, teams};
use super::{now, DbConnection};
use crate::db::outbox;
use crate::domain::policy::StoredStep;
use crate::error::ApiError;

pub fn find_policy(
    conn: &mut DbConnection,
    name: &str,
) -> Result<Option<EscalationPolicyRow>, ApiError> {
    Ok(escalation_policies::table
        .filter(escalation_policies::name.eq(name))
        .first(conn)
        .optional()?)
}

pub fn policy_by_id(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<EscalationPolicyRow>, ApiError> {
    Ok(escalation_policies::table.find(id).first(conn).optional()?)
}

/// The policy a team's takeovers follow unless the request names another.
pub fn policy_for_team(
    conn: &mut DbConnection,
    team_id: &str,
) -> Result<Option<EscalationPolicyRow>, ApiError> {
    Ok(escalation_policies::table
        .filter(escalation_policies::team_id.eq(team_id))
        .order(escalation_policies::created_at.asc())
        .first(conn)
        .optional()?)
}

pub fn list_policies(conn: &mut DbConnection) -> Result<Vec<EscalationPolicyRow>, ApiError> {
    Ok(escalation_policies::table
        .order(escalation_policies::name.asc())
        .load(conn)?)
}

/// Creates or replaces a policy by name.
pub fn put_policy(
    conn: &mut DbConnection,
    row: EscalationPolicyRow,
) -> Result<EscalationPolicyRow, ApiError> {
    match find_policy(conn, &row.name)? {
        Some(existing) => {
            diesel::update(escalation_policies::table.find(&existing.id))
                .set((
                    escalation_policies::team_id.eq(&row.team_id),
                    escalation_policies::steps.eq(&row.steps),
                    escalation_policies::fallback_message.eq(&row.fallback_message),
                    escalation_policies::fallback_action.eq(&row.fallback_action),
                    escalation_policies::updated_at.eq(now()),
                ))
                .execute(conn)?;
            Ok(escalation_policies::table.find(&existing.id).first(conn)?)
        }
        None => {
            diesel::insert_into(escalation_policies::table)
                .values(&row)
                .execute(conn)?;
            Ok(row)
        }
    }
}

pub fn delete_policy(conn: &mut DbConnection, name: &str) -> Result<bool, ApiError> {
    Ok(
        diesel::delete(escalation_policies::table.filter(escalation_policies::name.eq(name)))
            .execute(conn)?
            > 0,
    )
}

pub fn steps_of(p: &EscalationPolicyRow) -> Vec<StoredStep> {
    serde_json::from_str(&p.steps).unwrap_or_default()
}

pub fn team_name(conn: &mut DbConnection, team_id: &str) -> Result<Option<String>, ApiError> {
    Ok(teams::table
        .find(team_id)
        .select(teams::name)
        .first(conn)
        .optional()?)
}

pub fn list_channels(
    conn: &mut DbConnection,
    team_id: &str,
) -> Result<Vec<TeamChannelRow>, ApiError> {
    Ok(team_channels::table
        .filter(team_channels::team_id.eq(team_id))
        .order(team_channels::created_at.asc())
        .load(conn)?)
}

/// Queues `text` to every notification channel of a team (Slack and Teams incoming webhooks,
/// a Telegram bot chat, or a generic signed webhook).
pub fn notify_team(
    conn: &mut DbConnection,
    team_id: &str,
    kind: &str,
    text: &str,
    session_id: &str,
    takeover_id: &str,
    inbox_url: &str,
) -> Result<usize, ApiError> {
    let channels = list_channels(conn, team_id)?;
    for c in &channels {
        let payload = match c.kind.as_str() {
            "slack" => json!({"text": format!("{text} <{inbox_url}|Open in Baton>")}),
            "teams" => json!({"text": format!("{text} [Open in Baton]({inbox_url})")}),
            "telegram" => json!({"chat_id": c.chat_id, "text": format!("{text}\n{inbox_url}")}),
            _ => json!({
                "type": format!("notification.{kind}"),
                "text": text,
                "session_id": session_id,
                "takeover_id": takeover_id,
                "inbox_url": inbox_url,
                "occurred_at": chrono::Utc::now(),
            }),
        };
        outbox::enqueue_notification(
            conn,
            &c.id,
            &c.url,
            &payload,
            &format!("notification.{kind}"),
            Some(session_id),
            Some(takeover_id),
        )?;
    }
    Ok(channels.len())
}

/// Stores a new notification channel for a team.
pub fn insert_team_channel(conn: &mut DbConnection, row: &TeamChannelRow) -> Result<(), ApiError> {
    diesel::insert_into(team_channels::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}
