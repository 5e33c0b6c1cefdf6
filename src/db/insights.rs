//! What the analytics read: takeover facts over a range and the customer messages that
//! triggered each handoff, limited to what a reviewer may see. The arithmetic lives in
//! `domain::stats` and `domain::review`; `GET /v1/stats`, `GET /v1/stats/review` and the inbox's
//! Insights page all read through here.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{messages, sessions, takeovers, teams};
use super::DbConnection;
use crate::domain::credentials::ReviewerAuth;
use crate::domain::review::Trigger;
use crate::domain::stats::Fact;
use crate::domain::types::{Mode, Sender};
use crate::error::ApiError;

/// The most takeovers one analytics read considers.
const MAX_FACTS: i64 = 200_000;
/// The most handoffs whose trigger message the review looks up (the newest ones).
pub const MAX_TRIGGERS: i64 = 2_000;

type FactRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i32,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
);

/// Takeovers requested in `[from, to)`: all of them, or (with `scope`) those the reviewer may
/// see, as `db::takeovers::can_see` decides: their teams', their own, and unassigned ones.
macro_rules! in_range {
    ($from:expr, $to:expr, $scope:expr) => {{
        let mut q = takeovers::table
            .inner_join(sessions::table)
            .left_join(teams::table.on(takeovers::assignee_team_id.eq(teams::id.nullable())))
            .filter(takeovers::created_at.ge($from))
            .filter(takeovers::created_at.lt($to))
            .into_boxed();
        if let Some(r) = $scope.filter(|r: &&ReviewerAuth| !r.is_admin) {
            q = q.filter(
                takeovers::assignee_team_id
                    .eq_any(r.team_ids.clone())
                    .or(takeovers::assignee_reviewer_id.eq(r.id.clone()))
                    .or(takeovers::assignee_team_id
                        .is_null()
                        .and(takeovers::assignee_reviewer_id.is_null())),
            );
        }
        q
    }};
}

/// The facts the analytics compute from, for takeovers requested in `[from, to)`.
pub fn facts(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    scope: Option<&ReviewerAuth>,
) -> Result<Vec<Fact>, ApiError> {
    let rows: Vec<FactRow> = in_range!(from, to, scope)
        .select((
            takeovers::session_id,
            takeovers::mode,
            takeovers::reason,
            sessions::channel,
            teams::name.nullable(),
            takeovers::claimed_by,
            takeovers::escalation_step,
            takeovers::created_at,
            takeovers::claimed_at,
            takeovers::resolved_at,
            takeovers::outcome,
        ))
        .limit(MAX_FACTS)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                session_id,
                mode,
                reason,
                channel,
                team,
                reviewer,
                step,
                created_at,
                claimed_at,
                resolved_at,
                outcome,
            )| Fact {
                session_id,
                mode,
                reason,
                channel,
                team,
                reviewer,
                outcome,
                escalated: step > 0,
                created_at,
                claimed_at,
                resolved_at,
            },
        )
        .collect())
}

/// Sessions with any message recorded in `[from, to)`.
pub fn active_sessions(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<usize, ApiError> {
    let active: Vec<String> = messages::table
        .filter(messages::recorded_at.ge(from))
        .filter(messages::recorded_at.lt(to))
        .select(messages::session_id)
        .distinct()
        .load(conn)?;
    Ok(active.len())
}

/// The handoffs (approvals pause nobody, so they are left out) requested in `[from, to)`, newest
/// first, each with the last customer message recorded before it was requested: the message
/// that made the AI (or the customer) ask for a person.
pub fn triggers(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    scope: Option<&ReviewerAuth>,
) -> Result<Vec<Trigger>, ApiError> {
    let rows: Vec<(String, String, String, NaiveDateTime)> = in_range!(from, to, scope)
        .filter(takeovers::mode.ne(Mode::Approval.as_str()))
        .order(takeovers::created_at.desc())
        .select((
            takeovers::id,
            takeovers::session_id,
            takeovers::reason,
            takeovers::created_at,
        ))
        .limit(MAX_TRIGGERS)
        .load(conn)?;
    let user = Sender::User.as_string();
    let mut out = Vec::with_capacity(rows.len());
    for (takeover_id, session_id, reason, requested_at) in rows {
        // History sent with the request is imported before the takeover row is written, so
        // `<=` includes the message the request itself carried.
        let message: Option<String> = messages::table
            .filter(messages::session_id.eq(&session_id))
            .filter(messages::sender.eq(&user))
            .filter(messages::recorded_at.le(requested_at))
            .order(messages::seq.desc())
            .select(messages::content)
            .first(conn)
            .optional()?;
        out.push(Trigger {
            session_id,
            takeover_id,
            reason,
            requested_at,
            message,
        });
    }
    Ok(out)
}
