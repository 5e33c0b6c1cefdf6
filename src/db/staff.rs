//! Turns from a person outside Baton (`staff`, `staff:<name>`): the turn gate's path for them.
//! A staff turn takes the session from the AI (`domain::session`: `StaffMessage`) and starts
//! the team's quiet time; when it passes without another staff turn, the timers hand the
//! session back (`db::takeovers::expire`).
//!
//! The session is held through a takeover, so the inbox, claims, visibility, the handback
//! callback and the audit trail work as for any takeover: the open one if the session has one
//! waiting, else an implicit one that this module opens (mode `takeover`, reason `other`),
//! with its reply destination and team from the turn or the session's last takeover. Its
//! `expires_at` is the end of the quiet time.

use diesel::prelude::*;

use super::models::{SessionRow, TakeoverRow};
use super::schema::{sessions as sessions_table, takeovers};
use super::sessions::{self, status_of, NewTurn, SessionFields, TurnOutcome};
use super::{accounts, audit, now, routing, takeovers as takeover_repo, DbConnection};
use crate::domain::session::{transition, SessionEvent, SessionStatus};
use crate::domain::types::{Mode, Reason, SessionId, TakeoverId, TakeoverStatus};
use crate::error::ApiError;

/// Where the callbacks of an implicit takeover go and whose queue it is in; each left out is
/// taken from the session's last takeover.
#[derive(Clone, Debug, Default)]
pub struct OutsideRoute {
    /// Already checked against the callback policy.
    pub reply_webhook: Option<String>,
    pub handback_signal: Option<String>,
    pub assignee: Option<String>,
}

/// Records a staff turn: the session becomes the outside person's (unless a reviewer holds it,
/// who keeps it), and the quiet time starts again.
pub fn record_turn(
    conn: &mut DbConnection,
    id: &SessionId,
    fields: &SessionFields,
    turn: NewTurn,
    api_key_id: &str,
    actor: &str,
    route: &OutsideRoute,
) -> Result<TurnOutcome, ApiError> {
    sessions::ensure(conn, id, fields)?;
    let mut s = sessions::lock(conn, id.as_str(), fields)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("session vanished after creation")))?;
    if let Some(ext) = &turn.external_id {
        if let Some(existing) = sessions::find_by_external_id(conn, &s.id, ext)? {
            return Ok(TurnOutcome {
                session: s,
                message: existing,
                duplicate: true,
            });
        }
    }
    let from = status_of(&s)?;
    let to = transition(from, SessionEvent::StaffMessage).map_err(|r| sessions::refusal(r, &s))?;
    if to == SessionStatus::StaffActive {
        let t = if from.has_open_takeover() {
            let t = takeover_repo::open_takeover(conn, &s)?;
            // Nobody needs to be offered a conversation a person is already answering.
            routing::clear_offer(conn, &t.id)?;
            t
        } else {
            implicit_takeover(conn, &s, api_key_id, route)?
        };
        let quiet = accounts::quiet_seconds(conn, t.assignee_team_id.as_deref())?;
        let at = now();
        diesel::update(takeovers::table.find(&t.id))
            .set((
                takeovers::expires_at.eq(at + chrono::Duration::seconds(quiet)),
                takeovers::updated_at.eq(at),
            ))
            .execute(conn)?;
        let sender = turn.sender.as_string();
        diesel::update(sessions_table::table.find(&s.id))
            .set(sessions_table::outside_by.eq(Some(&sender)))
            .execute(conn)?;
        s.outside_by = Some(sender.clone());
        sessions::set_state(conn, &mut s, to, None, Some(t.id.clone()))?;
        if from != to {
            audit::record(
                conn,
                audit::Entry {
                    actor,
                    action: "session.answered_outside",
                    session_id: Some(&s.id),
                    takeover_id: Some(&t.id),
                    from_status: Some(from.as_str()),
                    to_status: Some(to.as_str()),
                    detail: Some(serde_json::json!({"by": sender, "quiet_seconds": quiet})),
                },
            )?;
        }
    }
    let message = sessions::append(conn, &mut s, turn)?;
    Ok(TurnOutcome {
        session: s,
        message,
        duplicate: false,
    })
}

/// Opens the takeover a staff turn holds the session through, when none is open.
fn implicit_takeover(
    conn: &mut DbConnection,
    s: &SessionRow,
    api_key_id: &str,
    route: &OutsideRoute,
) -> Result<TakeoverRow, ApiError> {
    let last = takeover_repo::latest_for_session(conn, &s.id)?;
    let reply_webhook = route
        .reply_webhook
        .clone()
        .or_else(|| last.as_ref().map(|t| t.reply_webhook.clone()))
        .ok_or_else(|| {
            ApiError::field(
                "reply_webhook",
                "this session never had a takeover: give reply_webhook with its first staff turn, \
                 so a reviewer who claims it can reach the customer and the handback reaches the workflow",
            )
        })?;
    let handback_signal = route
        .handback_signal
        .clone()
        .or_else(|| last.as_ref().and_then(|t| t.handback_signal.clone()));
    let (assignee, (team_id, reviewer_id)) = match &route.assignee {
        Some(name) => (
            Some(name.clone()),
            takeover_repo::resolve_assignee(conn, "assignee", Some(name))?,
        ),
        // The last takeover's team, if it still exists.
        None => match last.as_ref().and_then(|t| t.assignee.clone()) {
            Some(name) => match takeover_repo::resolve_assignee(conn, "assignee", Some(&name)) {
                Ok(ids) => (Some(name), ids),
                Err(_) => (None, (None, None)),
            },
            None => (None, (None, None)),
        },
    };
    let at = now();
    let quiet = accounts::quiet_seconds(conn, team_id.as_deref())?;
    let row = TakeoverRow {
        id: TakeoverId::new().to_string(),
        session_id: s.id.clone(),
        mode: Mode::Takeover.as_str().into(),
        status: TakeoverStatus::Requested.as_str().into(),
        outcome: None,
        reason: Reason::Other.as_str().into(),
        summary: None,
        priority: 0,
        context: None,
        assignee,
        assignee_team_id: team_id,
        assignee_reviewer_id: reviewer_id,
        timeout_seconds: quiet,
        expires_at: at + chrono::Duration::seconds(quiet),
        reply_webhook,
        handback_signal,
        proposal: None,
        decisions: None,
        api_key_id: api_key_id.to_string(),
        idempotency_key: None,
        request_hash: None,
        claimed_by: None,
        claimed_at: None,
        resolved_at: None,
        handback_summary: None,
        escalation_step: 0,
        created_at: at,
        updated_at: at,
        escalation_policy_id: None,
        default_decision: None,
        decision_payload: None,
        locale: last.and_then(|t| t.locale),
    };
    diesel::insert_into(takeovers::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}
