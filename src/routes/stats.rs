//! `GET /v1/stats`: handoff analytics over a time range; `GET /v1/stats/review`: the weekly
//! review of handoff reasons and the customer messages that triggered them.

use std::collections::{BTreeMap, HashSet};

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::insights;
use crate::domain::review::{review, ReasonGroup};
use crate::domain::stats::{figures, group_key, rehandoffs_within_24h, Fact, Figures};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The range and grouping.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Start (inclusive); default 7 days before `to`.
    #[serde(default, deserialize_with = "crate::domain::types::instant::optional")]
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now.
    #[serde(default, deserialize_with = "crate::domain::types::instant::optional")]
    pub to: Option<DateTime<Utc>>,
    /// `reason`, `channel`, `team`, `reviewer` or `day`.
    #[param(schema_with = super::dto::stats_group_schema)]
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
    let (from, to) = range(q.from, q.to)?;
    if let Some(g) = &q.group_by {
        if !super::dto::STATS_GROUPS.contains(&g.as_str()) {
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
            Ok((
                insights::facts(conn, f, t, None)?,
                insights::active_sessions(conn, f, t)?,
            ))
        })
        .await?;
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

/// The range of the review.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    /// Start (inclusive); default 7 days before `to`.
    #[serde(default, deserialize_with = "crate::domain::types::instant::optional")]
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now.
    #[serde(default, deserialize_with = "crate::domain::types::instant::optional")]
    pub to: Option<DateTime<Utc>>,
}

/// The weekly review of handoffs.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Review {
    /// Range start.
    pub from: DateTime<Utc>,
    /// Range end.
    pub to: DateTime<Utc>,
    /// Handoffs in the range (approvals are not handoffs and are left out). Only the newest
    /// 2 000 are reviewed.
    pub handoffs: usize,
    /// Reasons, most handoffs first, each with the messages that triggered them.
    pub reasons: Vec<ReasonGroup>,
}

/// A checked range: `[from, to)`, seven days back by default.
pub fn range(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let to = to.unwrap_or_else(Utc::now);
    let from = match from {
        Some(from) => from,
        // At the very start of the calendar there are no seven days before `to`.
        None => to
            .checked_sub_signed(chrono::Duration::days(7))
            .ok_or_else(|| ApiError::field("to", "is too early"))?,
    };
    if from > to {
        return Err(ApiError::field("from", "must not be after `to`"));
    }
    Ok((from, to))
}

/// The recurring handoff reasons of a range (the last 7 days by default) and, for each, the
/// customer messages that triggered the handoffs (the last customer message before each
/// request), same wordings merged and counted, with the conversations they came from. Reviewers
/// see their teams' handoffs; admins and API keys see all.
#[utoipa::path(
    tag = "insight",
    params(ReviewQuery),
    responses(
        (status = 200, description = "Reasons and trigger messages", body = Review),
        (status = 400, description = "Invalid range", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/stats/review")]
pub async fn get_review(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ReviewQuery>,
) -> Result<web::Json<Review>, ApiError> {
    let q = query.into_inner();
    let (from, to) = range(q.from, q.to)?;
    let scope = match caller {
        Caller::Reviewer(r) => Some(r),
        Caller::ApiKey(_) => None,
    };
    let (f, t) = (from.naive_utc(), to.naive_utc());
    let triggers = state
        .db
        .read(move |conn| insights::triggers(conn, f, t, scope.as_ref()))
        .await?;
    Ok(web::Json(Review {
        from,
        to,
        handoffs: triggers.len(),
        reasons: review(triggers),
    }))
}
