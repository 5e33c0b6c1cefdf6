//! Approvals (pause, decide, resume): a reviewer's decision, and the default decision applied
//! when nobody decided in time. The resume callback goes to the workflow's waiting execution.

use diesel::prelude::*;

use super::models::{SessionRow, TakeoverRow};
use super::schema::takeovers;
use super::takeovers::{can_see, event, get, reviewer_ref, send, Resolution, TimerOutcome};
use super::{audit, now, sessions, DbConnection};
use crate::domain::credentials::ReviewerAuth;
use crate::domain::event::EventType;
use crate::domain::types::{Mode, Outcome, TakeoverStatus};
use crate::error::ApiError;

/// An approval nobody decided in time: apply its default decision, or time it out.
pub(super) fn expire_approval(
    conn: &mut DbConnection,
    s: &SessionRow,
    t: &TakeoverRow,
) -> Result<TimerOutcome, ApiError> {
    match t.default_decision.as_deref() {
        Some(decision) => {
            settle_decision(
                conn,
                s,
                t,
                decision,
                None,
                Some("applied by timeout: nobody decided in time"),
                None,
            )?;
            Ok(TimerOutcome::TimedOut)
        }
        None => {
            Resolution::new(Outcome::Unanswered, now()).apply(conn, &t.id)?;
            audit::record(
                conn,
                audit::Entry {
                    actor: "timer",
                    action: "takeover.timed_out",
                    session_id: Some(&s.id),
                    takeover_id: Some(&t.id),
                    ..Default::default()
                },
            )?;
            send(conn, &event(EventType::TakeoverTimedOut, s, t), t, None)?;
            Ok(TimerOutcome::TimedOut)
        }
    }
}

/// Records a decision and queues `approval.decided`.
fn settle_decision(
    conn: &mut DbConnection,
    s: &SessionRow,
    t: &TakeoverRow,
    decision: &str,
    edited: Option<&serde_json::Value>,
    comment: Option<&str>,
    reviewer: Option<&ReviewerAuth>,
) -> Result<TakeoverRow, ApiError> {
    let outcome = match decision {
        "approve" => Outcome::Approved,
        "reject" => Outcome::Rejected,
        _ => Outcome::Edited,
    };
    let at = now();
    diesel::update(takeovers::table.find(&t.id))
        .set((
            takeovers::status.eq(TakeoverStatus::Resolved.as_str()),
            takeovers::outcome.eq(Some(outcome.as_str())),
            takeovers::claimed_by.eq(reviewer.map(|r| r.name.clone())),
            takeovers::resolved_at.eq(Some(at)),
            takeovers::handback_summary.eq(comment),
            takeovers::decision_payload.eq(edited.map(|e| e.to_string())),
            takeovers::updated_at.eq(at),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            actor: &reviewer
                .map(|r| format!("reviewer:{}", r.name))
                .unwrap_or_else(|| "timer".into()),
            action: "approval.decided",
            session_id: Some(&s.id),
            takeover_id: Some(&t.id),
            detail: Some(serde_json::json!({"decision": decision, "comment": comment})),
            ..Default::default()
        },
    )?;
    let mut ev = event(EventType::ApprovalDecided, s, t);
    ev.reviewer = reviewer.map(reviewer_ref);
    ev.decision = Some(decision.to_string());
    ev.edited = edited.cloned();
    ev.comment = comment.map(str::to_string);
    send(conn, &ev, t, None)?;
    Ok(get(conn, &t.id)?.unwrap_or_else(|| t.clone()))
}

/// A reviewer decides an approval: approve, reject, or edit (with the edited proposal).
pub fn decide(
    conn: &mut DbConnection,
    takeover_id: &str,
    r: &ReviewerAuth,
    decision: &str,
    edited: Option<&serde_json::Value>,
    comment: Option<&str>,
) -> Result<TakeoverRow, ApiError> {
    let first = get(conn, takeover_id)?
        .filter(|t| can_see(r, t))
        .ok_or_else(|| ApiError::not_found(format!("no takeover {takeover_id:?}")))?;
    let s = sessions::lock_existing(conn, &first.session_id)?;
    let t = get(conn, takeover_id)?.unwrap_or(first);
    if Mode::parse(&t.mode) != Some(Mode::Approval) {
        return Err(ApiError::conflict(
            "this takeover is a live conversation, not an approval; hand it back instead",
        ));
    }
    if TakeoverStatus::parse(&t.status) == Some(TakeoverStatus::Resolved) {
        return Err(ApiError::conflict(format!(
            "this approval was already decided ({})",
            t.outcome.as_deref().unwrap_or("resolved")
        )));
    }
    let allowed: Vec<String> = t
        .decisions
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_else(|| {
            crate::domain::takeover::DECISIONS
                .iter()
                .map(|d| d.to_string())
                .collect()
        });
    if !allowed.iter().any(|d| d == decision) {
        return Err(ApiError::field(
            "decision",
            format!("must be one of {}", allowed.join(", ")),
        ));
    }
    if decision == "edit" && edited.is_none_or(|e| e.is_null()) {
        return Err(ApiError::field(
            "edited",
            "an edit needs the edited proposal",
        ));
    }
    settle_decision(
        conn,
        &s,
        &t,
        decision,
        edited.filter(|_| decision == "edit"),
        comment,
        Some(r),
    )
}
