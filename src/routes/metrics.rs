//! `GET /metrics` in Prometheus text format.

use actix_web::{get, web, HttpResponse};

use crate::domain::types::DeliveryStatus;
use crate::domain::types::TakeoverStatus;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Prometheus metrics: responses, turn-gate latency and refusals, time to claim, callback
/// delivery latency and attempts by outcome, escalations and fallbacks, open takeovers by
/// status, deliveries by status (parked included), live (SSE) clients, backfills still to
/// finish after an upgrade, database pool use, waits and errors.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn get_metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (open, outbox, backfills) = state
        .db
        .read(|conn| {
            Ok((
                crate::db::takeovers::open_by_status(conn)?,
                crate::db::outbox::count_by_status(conn)?,
                crate::db::backfill::pending(conn)?.len(),
            ))
        })
        .await?;
    let mut out = String::with_capacity(4096);
    state.metrics.render(&mut out);
    if let Some((batches, writes)) = state.db.group_commit_stats() {
        out.push_str("# HELP baton_group_commit_transactions_total Transactions the turn gate's writes were grouped into (SQLite: one per group of savepoints; PostgreSQL: one statement per group).\n# TYPE baton_group_commit_transactions_total counter\n");
        out.push_str(&format!(
            "baton_group_commit_transactions_total {batches}\n"
        ));
        out.push_str("# HELP baton_group_commit_writes_total Turn-gate writes committed in groups.\n# TYPE baton_group_commit_writes_total counter\n");
        out.push_str(&format!("baton_group_commit_writes_total {writes}\n"));
    }
    out.push_str("# HELP baton_open_takeovers Takeovers not yet resolved, by status.\n# TYPE baton_open_takeovers gauge\n");
    for status in [
        TakeoverStatus::Requested.as_str(),
        TakeoverStatus::Claimed.as_str(),
    ] {
        let n = open
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        out.push_str(&format!(
            "baton_open_takeovers{{status=\"{status}\"}} {n}\n"
        ));
    }
    out.push_str("# HELP baton_deliveries Callbacks in the outbox, by status.\n# TYPE baton_deliveries gauge\n");
    for status in [
        DeliveryStatus::Pending.as_str(),
        DeliveryStatus::Delivered.as_str(),
        DeliveryStatus::Parked.as_str(),
    ] {
        let n = outbox
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        out.push_str(&format!("baton_deliveries{{status=\"{status}\"}} {n}\n"));
    }
    let parked = outbox
        .iter()
        .find(|(s, _)| s == DeliveryStatus::Parked.as_str())
        .map_or(0, |(_, n)| *n);
    out.push_str(&format!("# HELP baton_parked_deliveries Callbacks out of attempts.\n# TYPE baton_parked_deliveries gauge\nbaton_parked_deliveries {parked}\n"));
    out.push_str(&format!(
        "# HELP baton_live_clients Connected live-update (SSE) clients.\n# TYPE baton_live_clients gauge\nbaton_live_clients {}\n",
        state.live.receivers()
    ));
    out.push_str(&format!(
        "# HELP baton_backfills_pending Backfills an upgrade left that are not finished yet (search may miss older messages until 0).\n# TYPE baton_backfills_pending gauge\nbaton_backfills_pending {backfills}\n"
    ));
    state.db.stats().render(&mut out);
    let (connections, idle) = state.db.pool_state();
    out.push_str(&format!(
        "# HELP baton_db_pool_connections Database pool connections.\n# TYPE baton_db_pool_connections gauge\nbaton_db_pool_connections{{state=\"idle\"}} {idle}\nbaton_db_pool_connections{{state=\"in_use\"}} {}\n",
        connections.saturating_sub(idle)
    ));
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out))
}
