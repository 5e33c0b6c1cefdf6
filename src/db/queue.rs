//! The reviewers' queue: its views (waiting, mine, team, handed back), their counts kept by
//! triggers in `queue_counts` and folded by the timer, and the visibility rule as SQL.

use diesel::prelude::*;

use super::models::{SessionRow, TakeoverRow};
use super::schema::takeovers;
use super::{now, DbConnection};
use crate::domain::credentials::ReviewerAuth;
use crate::domain::types::{Outcome, TakeoverStatus};
use crate::error::ApiError;

/// Which part of the queue to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum InboxView {
    /// Waiting for a reviewer.
    #[default]
    Waiting,
    /// Held by me.
    Mine,
    /// Everything open that I may see.
    Team,
    /// Handed back to the AI in the last 24 hours, newest first.
    HandedBack,
}

/// How many takeovers each view of the queue holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct QueueCounts {
    pub waiting: i64,
    pub mine: i64,
    pub team: i64,
    pub handed_back: i64,
}

/// The rule of [`crate::domain::visibility::can_see`] as SQL (admins see everything; the bound flag keeps one statement
/// shape for admins and the rest).
macro_rules! visible_to {
    ($r:expr) => {
        takeovers::assignee_team_id
            .eq_any($r.team_ids.clone())
            .or(takeovers::assignee_reviewer_id.eq($r.id.clone()))
            .or(takeovers::assignee_team_id
                .is_null()
                .and(takeovers::assignee_reviewer_id.is_null()))
            .or($r.is_admin.into_sql::<diesel::sql_types::Bool>())
    };
}
pub(super) use visible_to;

/// The size of every view of the reviewer's queue. The open counts are sums over
/// `queue_counts` (kept by triggers, one row per scope once folded), so they cost the same at
/// ten open takeovers as at a hundred thousand; the rest are small index ranges.
pub fn inbox_counts(conn: &mut DbConnection, r: &ReviewerAuth) -> Result<QueueCounts, ApiError> {
    use super::schema::queue_counts as qc;
    use diesel::dsl::{count_star, sql};
    use diesel::sql_types::BigInt;
    let open = [
        TakeoverStatus::Requested.as_str(),
        TakeoverStatus::Claimed.as_str(),
    ];
    let by_status: Vec<(String, i64)> = qc::table
        .filter(
            qc::team_id
                .eq_any(r.team_ids.clone())
                .or(qc::reviewer_id.eq(r.id.clone()))
                .or(qc::team_id.eq("").and(qc::reviewer_id.eq("")))
                .or(r.is_admin.into_sql::<diesel::sql_types::Bool>()),
        )
        .group_by(qc::status)
        .select((qc::status, sql::<BigInt>("CAST(SUM(delta) AS BIGINT)")))
        .load(conn)?;
    let waiting = by_status
        .iter()
        .filter(|(s, _)| TakeoverStatus::parse(s) == Some(TakeoverStatus::Requested))
        .map(|(_, n)| n)
        .sum();
    let team = by_status.iter().map(|(_, n)| n).sum();
    let held: i64 = takeovers::table
        .filter(takeovers::claimed_by.eq(&r.name))
        .filter(takeovers::status.eq_any(open))
        .filter(visible_to!(r))
        .select(count_star())
        .first(conn)?;
    // Offers made to me by automatic assignment wait in my own tab too.
    let offered: i64 = super::schema::takeover_offers::table
        .inner_join(takeovers::table)
        .filter(super::schema::takeover_offers::reviewer_name.eq(&r.name))
        .filter(takeovers::status.eq(TakeoverStatus::Requested.as_str()))
        .select(count_star())
        .first(conn)?;
    let mine = held + offered;
    let handed_back = takeovers::table
        .filter(takeovers::status.eq(TakeoverStatus::Resolved.as_str()))
        .filter(takeovers::outcome.eq(Outcome::HandedBack.as_str()))
        .filter(takeovers::resolved_at.gt(now() - chrono::Duration::hours(24)))
        .filter(visible_to!(r))
        .select(count_star())
        .first(conn)?;
    Ok(QueueCounts {
        waiting,
        mine,
        team,
        handed_back,
    })
}

/// Whether `queue_counts` holds rows the triggers appended since the last fold (more rows than
/// scopes): what the timer reads before it takes a write transaction to fold them.
pub fn queue_counts_unfolded(conn: &mut DbConnection) -> Result<bool, ApiError> {
    use super::schema::queue_counts as qc;
    use diesel::dsl::{count_star, sql};
    use diesel::sql_types::BigInt;
    let (rows, scopes): (i64, i64) = qc::table
        .select((
            count_star(),
            sql::<BigInt>("COUNT(DISTINCT team_id || '/' || reviewer_id || '/' || status)"),
        ))
        .first(conn)?;
    Ok(rows > scopes)
}

/// Folds the `queue_counts` rows into one row per scope and status (dropping scopes that
/// reached zero). Safe beside concurrent writers and other replicas: on PostgreSQL the rows are
/// taken with `DELETE … RETURNING` and their sums put back in the same statement, so a row is
/// counted once whoever folds it; SQLite has one writer.
pub fn fold_queue_counts(conn: &mut DbConnection) -> Result<(), ApiError> {
    use super::schema::queue_counts as qc;
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    match conn {
        DbConnection::Postgresql(c) => diesel::sql_query(
            "WITH gone AS (DELETE FROM queue_counts RETURNING team_id, reviewer_id, status, delta)
             INSERT INTO queue_counts (team_id, reviewer_id, status, delta)
             SELECT team_id, reviewer_id, status, CAST(SUM(delta) AS BIGINT) FROM gone
             GROUP BY team_id, reviewer_id, status HAVING SUM(delta) <> 0",
        )
        .execute(c)?,
        DbConnection::Sqlite(c) => {
            // Inside the write transaction, and SQLite has one writer: nothing moves meanwhile.
            let sums: Vec<(String, String, String, i64)> = qc::table
                .group_by((qc::team_id, qc::reviewer_id, qc::status))
                .select((
                    qc::team_id,
                    qc::reviewer_id,
                    qc::status,
                    sql::<BigInt>("CAST(SUM(delta) AS BIGINT)"),
                ))
                .load(c)?;
            diesel::delete(qc::table).execute(c)?;
            let rows: Vec<_> = sums
                .into_iter()
                .filter(|(_, _, _, n)| *n != 0)
                .map(|(t, r, s, n)| {
                    (
                        qc::team_id.eq(t),
                        qc::reviewer_id.eq(r),
                        qc::status.eq(s),
                        qc::delta.eq(n),
                    )
                })
                .collect();
            diesel::insert_into(qc::table).values(&rows).execute(c)?
        }
    };
    Ok(())
}

/// Open takeovers visible to the reviewer, highest priority first, then longest waiting.
pub fn inbox(
    conn: &mut DbConnection,
    r: &ReviewerAuth,
    view: InboxView,
    limit: i64,
) -> Result<Vec<(TakeoverRow, SessionRow)>, ApiError> {
    use super::schema::sessions;
    let mut q = takeovers::table.inner_join(sessions::table).into_boxed();
    q = if view == InboxView::HandedBack {
        q.filter(takeovers::status.eq(TakeoverStatus::Resolved.as_str()))
            .filter(takeovers::outcome.eq(Outcome::HandedBack.as_str()))
            .filter(takeovers::resolved_at.gt(now() - chrono::Duration::hours(24)))
    } else {
        q.filter(takeovers::status.ne(TakeoverStatus::Resolved.as_str()))
    };
    if !r.is_admin {
        q = q.filter(
            takeovers::assignee_team_id
                .eq_any(r.team_ids.clone())
                .or(takeovers::assignee_reviewer_id.eq(r.id.clone()))
                .or(takeovers::assignee_team_id
                    .is_null()
                    .and(takeovers::assignee_reviewer_id.is_null())),
        );
    }
    q = match view {
        InboxView::Waiting => q.filter(takeovers::status.eq(TakeoverStatus::Requested.as_str())),
        InboxView::Mine => q.filter(
            takeovers::claimed_by
                .eq(r.name.clone())
                .or(takeovers::id.eq_any(
                    super::schema::takeover_offers::table
                        .filter(super::schema::takeover_offers::reviewer_name.eq(r.name.clone()))
                        .select(super::schema::takeover_offers::takeover_id),
                )),
        ),
        InboxView::Team => q,
        InboxView::HandedBack => q.order(takeovers::resolved_at.desc()),
    };
    Ok(
        q.then_order_by((takeovers::priority.desc(), takeovers::created_at.asc()))
            .limit(limit)
            .select((takeovers::all_columns, sessions::all_columns))
            .load(conn)?,
    )
}
