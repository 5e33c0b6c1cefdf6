//! Handoff signals: evaluate a message before the model runs, and manage the rules.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::{get, post, put, web, HttpRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_json;
use crate::auth::Caller;
use crate::db::signals::newest;
use crate::domain::signals::{
    evaluate, prepare, prepared, CompiledRules, Evaluation, SignalInput, SignalRules,
};
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// The compiled rules in force, re-read from the database at most every few seconds so every
/// replica follows a PUT made on another.
#[derive(Default)]
pub struct RulesCache {
    current: RwLock<Option<(Arc<CompiledRules>, Instant)>>,
}

const RULES_TTL: Duration = Duration::from_secs(5);

impl RulesCache {
    async fn get(&self, state: &AppState) -> Result<Arc<CompiledRules>, ApiError> {
        if let Some((rules, at)) = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            if at.elapsed() < RULES_TTL {
                return Ok(rules.clone());
            }
        }
        let (version, rules) = state.db.read(newest).await?;
        let compiled = Arc::new(CompiledRules::compile(&rules, version).map_err(|e| {
            ApiError::internal(anyhow::anyhow!(
                "stored signal rules v{version} do not compile: {e:?}"
            ))
        })?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) =
            Some((compiled.clone(), Instant::now()));
        Ok(compiled)
    }

    fn set(&self, compiled: Arc<CompiledRules>) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some((compiled, Instant::now()));
    }
}

/// Decide whether to hand off, in process, without calling any outside model: scope rules
/// first, then an explicit request for a person (11 languages: lexicons, then a statistical
/// second opinion), then confidence, grounding and retrieval signals.
#[utoipa::path(
    tag = "signals",
    request_body = SignalInput,
    responses(
        (status = 200, description = "The decision, with the rule and the text that matched", body = Evaluation),
        (status = 400, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[post("/v1/signals/evaluate")]
pub async fn create_evaluation(
    state: web::Data<AppState>,
    _caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<Evaluation>, ApiError> {
    let input: SignalInput = parse_json(&req, &body, None)?;
    let mut errors = Vec::new();
    if input.text.chars().count() > 20_000 {
        errors.push(FieldError {
            field: "text".into(),
            message: "must be at most 20000 characters".into(),
        });
    }
    for (field, v) in [
        ("confidence", input.confidence),
        ("grounding_score", input.grounding_score),
    ] {
        if v.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
            errors.push(FieldError {
                field: field.into(),
                message: "must be between 0 and 1".into(),
            });
        }
    }
    if let Some(c) = &input.classifier {
        if c.score.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
            errors.push(FieldError {
                field: "classifier.score".into(),
                message: "must be between 0 and 1".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let rules = state.signal_rules.get(&state).await?;
    if prepared() {
        return Ok(web::Json(evaluate(&rules, &input)));
    }
    // Until the lexicons are built and the second opinion trained (a second or two in a debug
    // build), an evaluation waits for them: on a blocking thread, never on the server's own,
    // which would stall every other request on it.
    let decision = web::block(move || {
        prepare();
        evaluate(&rules, &input)
    })
    .await
    .map_err(|e| ApiError::internal(anyhow::anyhow!("the signal evaluation stopped: {e}")))?;
    Ok(web::Json(decision))
}

/// The rules in force, with their version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersionedRules {
    /// Increases with every change; 0 is the built-in default.
    pub version: i64,
    /// The rules.
    pub rules: SignalRules,
}

/// The signal rules in force.
#[utoipa::path(
    tag = "signals",
    responses(
        (status = 200, description = "Rules and version", body = VersionedRules),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/signal-rules")]
pub async fn get_signal_rules(
    state: web::Data<AppState>,
    _caller: Caller,
) -> Result<web::Json<VersionedRules>, ApiError> {
    let (version, rules) = state.db.read(newest).await?;
    Ok(web::Json(VersionedRules { version, rules }))
}

/// Replace the signal rules. They are validated (every bad field named) and stored as a new
/// version; evaluations report the version they used.
#[utoipa::path(
    tag = "signals",
    request_body = SignalRules,
    responses(
        (status = 200, description = "Stored as a new version", body = VersionedRules),
        (status = 400, description = "Invalid rules (each problem named)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A reviewer who is not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[put("/v1/signal-rules")]
pub async fn put_signal_rules(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<VersionedRules>, ApiError> {
    if let Caller::Reviewer(r) = &caller {
        if !r.is_admin {
            return Err(ApiError::forbidden(
                "only API keys and admin reviewers change the rules",
            ));
        }
    }
    let rules: SignalRules = parse_json(&req, &body, None)?;
    let invalid = |errs: Vec<crate::domain::signals::RuleError>| {
        ApiError::validation(
            errs.into_iter()
                .map(|e| FieldError {
                    field: e.field,
                    message: e.message,
                })
                .collect(),
        )
    };
    rules.validate().map_err(invalid)?;
    CompiledRules::compile(&rules, 0).map_err(invalid)?;
    let actor = caller.actor();
    let stored = rules.clone();
    let version = state
        .db
        .write(move |conn| crate::db::signals::store(conn, &stored, &actor))
        .await?;
    let compiled = CompiledRules::compile(&rules, version).map_err(invalid)?;
    state.signal_rules.set(Arc::new(compiled));
    Ok(web::Json(VersionedRules { version, rules }))
}
