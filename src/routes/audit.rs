//! The audit trail, read and exported.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::utc;
use crate::auth::Caller;
use crate::db::audit;
use crate::db::models::AuditRow;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// One audit entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    /// Entry id.
    pub id: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it: `api_key:<name>`, `reviewer:<name>` or `timer`.
    pub actor: String,
    /// What: `takeover.requested`, `takeover.claimed`, `session.handed_back`, ...
    pub action: String,
    /// The session.
    pub session_id: Option<String>,
    /// The takeover.
    pub takeover_id: Option<String>,
    /// Session status before.
    pub from_status: Option<String>,
    /// Session status after.
    pub to_status: Option<String>,
    /// Details of the action.
    pub detail: Option<serde_json::Value>,
}

impl From<&AuditRow> for AuditEvent {
    fn from(a: &AuditRow) -> AuditEvent {
        AuditEvent {
            id: a.id.clone(),
            at: utc(a.at),
            actor: a.actor.clone(),
            action: a.action.clone(),
            session_id: a.session_id.clone(),
            takeover_id: a.takeover_id.clone(),
            from_status: a.from_status.clone(),
            to_status: a.to_status.clone(),
            detail: a
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
        }
    }
}

/// Filters and format.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this session.
    pub session_id: Option<String>,
    /// Only this takeover.
    pub takeover_id: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// From this time (inclusive).
    #[serde(default, deserialize_with = "crate::domain::types::instant::optional")]
    pub from: Option<DateTime<Utc>>,
    /// Until this time (exclusive).
    #[serde(default, deserialize_with = "crate::domain::types::instant::optional")]
    pub to: Option<DateTime<Utc>>,
    /// At most this many, 1 to 10000 (default 500).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<i64>,
    /// `json` (default), `jsonl` or `csv`.
    #[param(schema_with = super::dto::audit_format_schema)]
    pub format: Option<String>,
}

/// One CSV cell. A cell a spreadsheet would read as a formula (starting with `=`, `+`, `-`,
/// `@`, tab or carriage return) gets a leading `'`, as OWASP advises, so an exported audit
/// trail opened in a spreadsheet cannot run what a customer or an integration wrote.
fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// The append-only audit trail, oldest first, as JSON, JSON Lines or CSV.
#[utoipa::path(
    tag = "insight",
    params(AuditQuery),
    responses(
        (status = 200, description = "Entries: a JSON array, or with `format` JSON Lines (one `AuditEvent` per line) or CSV (a header row, then one row per entry)", content(
            ([AuditEvent] = "application/json"),
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A reviewer who is not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    if let Caller::Reviewer(r) = &caller {
        if !r.is_admin {
            return Err(ApiError::forbidden(
                "the audit trail is for API keys and admins",
            ));
        }
    }
    let q = query.into_inner();
    let format = q.format.clone().unwrap_or_else(|| "json".into());
    if !super::dto::AUDIT_FORMATS.contains(&format.as_str()) {
        return Err(ApiError::field("format", "must be json, jsonl or csv"));
    }
    let limit = q.limit.unwrap_or(500);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::field("limit", "must be 1 to 10000"));
    }
    let rows: Vec<AuditRow> = state
        .db
        .read(move |conn| {
            let filter = audit::Filter {
                session_id: q.session_id,
                takeover_id: q.takeover_id,
                action: q.action,
                actor: q.actor,
                from: q.from.map(|t| t.naive_utc()),
                to: q.to.map(|t| t.naive_utc()),
            };
            audit::list(conn, &filter, limit)
        })
        .await?;
    let events: Vec<AuditEvent> = rows.iter().map(AuditEvent::from).collect();
    Ok(match format.as_str() {
        "jsonl" => {
            let body: String = events
                .iter()
                .map(|e| serde_json::to_string(e).unwrap_or_default() + "\n")
                .collect();
            HttpResponse::Ok()
                .content_type("application/x-ndjson")
                .body(body)
        }
        "csv" => {
            let mut body = String::from(
                "id,at,actor,action,session_id,takeover_id,from_status,to_status,detail\n",
            );
            for e in &events {
                let fields = [
                    e.id.clone(),
                    e.at.to_rfc3339(),
                    e.actor.clone(),
                    e.action.clone(),
                    e.session_id.clone().unwrap_or_default(),
                    e.takeover_id.clone().unwrap_or_default(),
                    e.from_status.clone().unwrap_or_default(),
                    e.to_status.clone().unwrap_or_default(),
                    e.detail.as_ref().map(|d| d.to_string()).unwrap_or_default(),
                ];
                body.push_str(
                    &fields
                        .iter()
                        .map(|f| csv_field(f))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                body.push('\n');
            }
            HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .body(body)
        }
        _ => HttpResponse::Ok().json(events),
    })
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_exported_as_text() {
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("\tx"), "'\tx");
        assert_eq!(csv_field("reviewer:alice"), "reviewer:alice");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
