//! Customer texts, for admins: what Baton says to customers (callback `text` and the web chat's
//! notices), per team and language, over Baton's built-in wording (`domain::texts`).

use std::collections::BTreeMap;

use actix_web::{delete, get, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::utc;
use super::parse_json;
use crate::auth::AdminAuth;
use crate::db::{accounts, texts as repo};
use crate::domain::texts::{built_in, unknown_variables, Lang, TextKey, BUILT_IN};
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// One sentence Baton says to customers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TextKeyInfo {
    /// `joined`, `handed_back`, `off_hours`, `queue`…
    pub key: String,
    /// When it is said.
    pub description: String,
    /// The `{variables}` its templates may use.
    pub variables: Vec<String>,
    /// Baton's own wording, by language (`en`, `de`, `fr`, `es`).
    pub built_in: BTreeMap<String, String>,
}

/// An admin's template.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CustomerText {
    pub key: String,
    /// The team it applies to; null for every team.
    pub team: Option<String>,
    /// The language it is in; null for customers whose language has no template of its own.
    pub locale: Option<String>,
    pub template: String,
    pub updated_at: DateTime<Utc>,
}

/// Every sentence, Baton's wording, and the admins' templates.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CustomerTexts {
    pub keys: Vec<TextKeyInfo>,
    pub texts: Vec<CustomerText>,
}

/// A template to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerTextRequest {
    /// The team it applies to (default: every team).
    pub team: Option<String>,
    /// The language it is in (`de`, `fr`…; default: the default language, for customers whose
    /// language has no template of its own).
    #[schema(
        max_length = 64,
        pattern = "^[\\t\\n\\x0B\\f\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*([A-Za-z]{2,3}([-_][\\s\\S]*)?[\\t\\n\\x0B\\f\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*)?$"
    )]
    pub locale: Option<String>,
    /// The sentence, with the key's `{variables}`.
    #[schema(min_length = 1, max_length = 1000)]
    pub template: String,
}

/// Which template to remove.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerTextWhere {
    /// The team (leave out for every team).
    pub team: Option<String>,
    /// The language (leave out for the default language). The pattern, here and on
    /// [`CustomerTextRequest`], is what `locale_of` takes: blank, or a language tag whose
    /// primary subtag is 2 or 3 letters, with the blanks Rust's `trim` removes around it.
    #[param(
        pattern = "^[\\t\\n\\x0B\\f\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*([A-Za-z]{2,3}([-_][\\s\\S]*)?[\\t\\n\\x0B\\f\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*)?$"
    )]
    pub locale: Option<String>,
}

fn key_of(raw: &str) -> Result<TextKey, ApiError> {
    TextKey::parse(raw).ok_or_else(|| {
        let known: Vec<&str> = TextKey::ALL.iter().map(|k| k.as_str()).collect();
        ApiError::not_found(format!(
            "no customer text {raw:?}; the keys are {}",
            known.join(", ")
        ))
    })
}

fn locale_of(raw: Option<&str>) -> Result<String, ApiError> {
    match raw.map(str::trim).filter(|l| !l.is_empty()) {
        None => Ok(String::new()),
        Some(l) => Lang::parse(l)
            .map(|l| l.as_str().to_string())
            .map_err(|e| ApiError::field("locale", e)),
    }
}

fn team_of(raw: Option<&str>) -> String {
    raw.map(str::trim).unwrap_or_default().to_string()
}

fn text_of(r: repo::TextRow) -> CustomerText {
    CustomerText {
        key: r.key,
        team: Some(r.team).filter(|t| !t.is_empty()),
        locale: Some(r.locale).filter(|l| !l.is_empty()),
        template: r.template,
        updated_at: utc(r.updated_at),
    }
}

/// List what Baton says to customers: each sentence with its variables and built-in wording,
/// and the templates admins set per team and language.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Keys and templates", body = CustomerTexts),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/customer-texts")]
pub async fn list_customer_texts(
    state: web::Data<AppState>,
    _admin: AdminAuth,
) -> Result<web::Json<CustomerTexts>, ApiError> {
    let rows = state.db.read(repo::list).await?;
    let keys = TextKey::ALL
        .iter()
        .map(|k| TextKeyInfo {
            key: k.as_str().into(),
            description: k.description().into(),
            variables: k.variables().iter().map(|v| v.to_string()).collect(),
            built_in: BUILT_IN
                .iter()
                .filter_map(|l| built_in(*k, l).map(|t| (l.to_string(), t.to_string())))
                .collect(),
        })
        .collect();
    Ok(web::Json(CustomerTexts {
        keys,
        texts: rows.into_iter().map(text_of).collect(),
    }))
}

/// Set what Baton says for one sentence, for a team (or every team) and a language (or the
/// default language). Used in every channel's callback `text` and in the web chat.
#[utoipa::path(
    tag = "admin",
    params(("key" = String, Path, description = "The sentence (`joined`, `off_hours`…)")),
    request_body = CustomerTextRequest,
    responses(
        (status = 200, description = "Saved", body = CustomerText),
        (status = 400, description = "Empty or too long, a variable the sentence does not have, an unknown team or a bad language tag", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such sentence", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[put("/v1/customer-texts/{key}")]
pub async fn put_customer_text(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<CustomerText>, ApiError> {
    let key = key_of(&path)?;
    let body: CustomerTextRequest = parse_json(&req, &body, None)?;
    let template = body.template.trim().to_string();
    let mut errors = Vec::new();
    if template.is_empty() || template.chars().count() > 1000 {
        errors.push(FieldError {
            field: "template".into(),
            message: "must be 1 to 1000 characters".into(),
        });
    }
    let unknown = unknown_variables(key, &template);
    if !unknown.is_empty() {
        let offered: Vec<String> = key.variables().iter().map(|v| format!("{{{v}}}")).collect();
        errors.push(FieldError {
            field: "template".into(),
            message: format!(
                "{} is not a variable of {:?}; it has {}",
                unknown
                    .iter()
                    .map(|u| format!("{{{u}}}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                key.as_str(),
                if offered.is_empty() {
                    "none".to_string()
                } else {
                    offered.join(", ")
                }
            ),
        });
    }
    let locale = match locale_of(body.locale.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            errors.extend(e.errors);
            String::new()
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let row = repo::row(&team_of(body.team.as_deref()), &locale, key, &template);
    let saved = state
        .db
        .write(move |conn| {
            if !row.team.is_empty() && accounts::find_team(conn, &row.team)?.is_none() {
                return Err(ApiError::field("team", format!("no team {:?}", row.team)));
            }
            repo::put(conn, &row)?;
            Ok(row)
        })
        .await?;
    Ok(web::Json(text_of(saved)))
}

/// Remove a template: Baton's wording (or the next less specific template) applies again.
#[utoipa::path(
    tag = "admin",
    params(("key" = String, Path, description = "The sentence"), CustomerTextWhere),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "A bad language tag", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such sentence or template", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[delete("/v1/customer-texts/{key}")]
pub async fn delete_customer_text(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    path: web::Path<String>,
    query: web::Query<CustomerTextWhere>,
) -> Result<HttpResponse, ApiError> {
    let key = key_of(&path)?;
    let locale = locale_of(query.locale.as_deref())?;
    let team = team_of(query.team.as_deref());
    let removed = state
        .db
        .write(move |conn| repo::remove(conn, &team, &locale, key.as_str()))
        .await?;
    if removed {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("no such template"))
    }
}
