//! The OpenAPI document: info, tags, security schemes, and every annotated path.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Baton",
        description = "Hand a live n8n chatbot conversation to a person and take it back. \
Integrations (n8n) authenticate with an API key; reviewers with a token from `POST /v1/auth/login`. \
Errors are RFC 9457 problem details (`application/problem+json`) with a stable `type`. \
Callbacks to n8n are signed per Standard Webhooks; their body is the `CallbackEvent` schema.",
        license(name = "MIT")
    ),
    paths(
        routes::health::get_healthz,
        routes::health::get_readyz,
        routes::health::get_problem,
        routes::auth::create_login,
        routes::auth::delete_login,
        routes::auth::get_me,
        routes::sessions::create_message,
        routes::sessions::get_session,
        routes::sessions::list_messages,
        routes::sessions::create_handback,
        routes::sessions::create_close,
        routes::takeovers::create_takeover,
        routes::takeovers::get_takeover,
        routes::takeovers::create_decision,
        routes::conversation::create_claim,
        routes::conversation::create_reply,
        routes::conversation::create_typing,
        routes::conversation::create_note,
        routes::conversation::list_notes,
        routes::conversation::create_transfer,
        routes::conversation::create_release,
        routes::inbox::get_inbox,
        routes::events::get_events,
        routes::webhooks::create_webhook,
        routes::webhooks::list_webhooks,
        routes::webhooks::delete_webhook,
        routes::webhooks::create_webhook_rotation,
        routes::deliveries::list_deliveries,
        routes::deliveries::get_delivery,
        routes::deliveries::create_redelivery,
        routes::escalation::put_escalation_policy,
        routes::escalation::list_escalation_policies,
        routes::escalation::delete_escalation_policy,
        routes::escalation::create_team_channel,
        routes::escalation::list_team_channels,
        routes::signals::create_evaluation,
        routes::signals::get_signal_rules,
        routes::signals::put_signal_rules,
        routes::audit::list_audit,
        routes::metrics::get_metrics,
        routes::stats::get_stats,
        routes::routing::get_team_routing,
        routes::routing::put_team_routing,
        routes::routing::get_availability,
        routes::routing::put_availability,
        routes::routing::put_reviewer_routing,
        routes::stats::get_review,
        routes::reviewers::list_reviewers,
        routes::reviewers::create_reviewer,
        routes::reviewers::patch_reviewer,
        routes::teams::list_teams,
        routes::teams::put_team,
        routes::teams::delete_team,
        routes::api_keys::list_api_keys,
        routes::api_keys::create_api_key,
        routes::api_keys::delete_api_key,
    ),
    components(schemas(crate::domain::event::CallbackEvent, crate::db::takeovers::InboxView)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "sessions", description = "The turn gate and conversation state, for integrations"),
        (name = "takeovers", description = "Requests for a person"),
        (name = "conversations", description = "What reviewers do: queue, claim, reply, notes, transfer, release"),
        (name = "auth", description = "Reviewer sign-in"),
        (name = "webhooks", description = "Event subscriptions (the n8n Baton Trigger)"),
        (name = "signals", description = "The handoff decision, before the model runs"),
        (name = "insight", description = "Audit trail and analytics"),
        (name = "deliveries", description = "The outbox: callbacks, attempts, redelivery"),
        (name = "escalation", description = "Escalation policies and team notification channels"),
        (name = "routing", description = "Assignment policies, capacity, availability, business hours"),
        (name = "admin", description = "Reviewers, teams and API keys; admin reviewers only"),
        (name = "operations", description = "Health and problem types"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut key = Http::new(HttpAuthScheme::Bearer);
        key.description = Some("An API key (`bk_...`) from `baton api-key create`".into());
        components.add_security_scheme("api_key", SecurityScheme::Http(key));
        let mut token = Http::new(HttpAuthScheme::Bearer);
        token.description = Some(
            "A reviewer token (`brt_...`) from `POST /v1/auth/login`. The inbox's pages use the \
`baton_session` cookie instead, and must then send `X-CSRF-Token` on every request that changes state"
                .into(),
        );
        components.add_security_scheme("reviewer_token", SecurityScheme::Http(token));
    }
}

/// The document as committed in `openapi/openapi.json`.
pub fn spec_json() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}
