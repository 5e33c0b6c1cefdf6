//! `GET /v1/stats`: handoff analytics over a time range.

use std::collections::{BTreeMap, HashSet};

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::schema::{messages, sessions, takeovers, teams};
use crate::domain::stats::{figures, group_key, rehandoffs_within_24h, Fact, Figures};
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// The range and grouping.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Start (inclusive); default 7 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now.
    pub to: Option<DateTime<Utc>>,
    /// `reason`, `channel`, `team`, `reviewer` or `day`.
    pub group_by: Option<String>,
}

/// One group's figures.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatsGroup {
    /// The group's key (a reason, channel, team, reviewer or date).
    pub key: String,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// Handoff analytics.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    /// Range start.
    pub from: DateTime<Utc>,
    /// Range end.
    pub to: DateTime<Utc>,
    /// Sessions with any message in the range.
    pub sessions_active: usize,
    /// Sessions that handed off at least once in the range.
    pub sessions_with_handoff: usize,
    /// `sessions_with_handoff / sessions_active` (a session handing off twice counts once, so
    /// this never exceeds 1).
    pub handoff_rate: f64,
    /// Handoffs requested within 24 h after the same session was handed back.
    pub rehandoffs_within_24h: usize,
    /// Figures over every takeover in the range.
    #[serde(flatten)]
    pub figures: Figures,
    /// The same figures per group, when `group_by` is given.
    pub groups: Vec<StatsGroup>,
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i32,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
    Option<String>,
);

/// Handoffs per session, reasons, time to claim, handling time, outcomes, escalations,
/// re-handoffs and approval decisions over a range, optionally grouped.
#[utoipa::path(
    tag = "insight",
    params(StatsQuery),
    responses(
        (status = 200, description = "The figures", body = Stats),
        (status = 400, description = "Invalid range or grouping", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A reviewer who is not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/stats")]
pub async fn get_stats(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<StatsQuery>,
) -> Result<web::Json<Stats>, ApiError> {
    if let Caller::Reviewer(r) = &caller {
        if !r.is_admin {
            return Err(ApiError::forbidden("analytics are for API keys and admins"));
        }
    }
    let q = query.into_inner();
    let to = q.to.unwrap_or_else(Utc::now);
    let from = q.from.unwrap_or(to - chrono::Duration::days(7));
    if from >= to {
        return Err(ApiError::field("from", "must be before `to`"));
    }
    if let Some(g) = &q.group_by {
        if !["reason", "channel", "team", "reviewer", "day"].contains(&g.as_str()) {
            return Err(ApiError::field(
                "group_by",
                "must be reason, channel, team, reviewer or day",
            ));
        }
    }
    let (f, t) = (from.naive_utc(), to.naive_utc());
    let (facts, active) = state
        .db
        .read(move |conn| {
            let rows: Vec<Row> = takeovers::table
                .inner_join(sessions::table)
                .left_join(teams::table.on(takeovers::assignee_team_id.eq(teams::id.nullable())))
                .filter(takeovers::created_at.ge(f))
                .filter(takeovers::created_at.lt(t))
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
                .limit(200_000)
                .load(conn)?;
            let active: Vec<String> = messages::table
                .filter(messages::recorded_at.ge(f))
                .filter(messages::recorded_at.lt(t))
                .select(messages::session_id)
                .distinct()
                .load(conn)?;
            Ok((rows, active.len()))
        })
        .await?;
    let facts: Vec<Fact> = facts
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
        .collect();
    let with_handoff: HashSet<&str> = facts
        .iter()
        .filter(|f| f.mode != "approval")
        .map(|f| f.session_id.as_str())
        .collect();
    let sessions_active = active.max(with_handoff.len());
    let mut groups = Vec::new();
    if let Some(by) = &q.group_by {
        let mut split: BTreeMap<String, Vec<&Fact>> = BTreeMap::new();
        for fact in &facts {
            split.entry(group_key(fact, by)).or_default().push(fact);
        }
        groups = split
            .into_iter()
            .map(|(key, items)| StatsGroup {
                key,
                figures: figures(items),
            })
            .collect();
    }
    Ok(web::Json(Stats {
        from,
        to,
        sessions_active,
        sessions_with_handoff: with_handoff.len(),
        handoff_rate: if sessions_active == 0 {
            0.0
        } else {
            with_handoff.len() as f64 / sessions_active as f64
        },
        rehandoffs_within_24h: rehandoffs_within_24h(&facts),
        figures: figures(&facts),
        groups,
    }))
}
