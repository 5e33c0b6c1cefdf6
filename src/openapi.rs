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
    components(schemas(crate::domain::event::CallbackEvent, crate::db::queue::InboxView)),
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

/// The whole document: `ApiDoc`'s info, tags and security schemes with every handler's path
/// from the one list in `routes` (`ApiPaths`).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(routes::ApiPaths::openapi());
    doc
}

/// The document as committed in `openapi/openapi.json`.
pub fn spec_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}
