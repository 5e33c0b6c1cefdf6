//! The OpenAPI document: info, tags, security schemes, and every annotated path.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

mod examples;

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
        (name = "alerts", description = "Reviewer alerts by e-mail: address, on or off, quiet hours"),
        (name = "admin", description = "Reviewers, teams, API keys and erasure on request; admin reviewers only"),
        (name = "web chat", description = "Baton's own chat widget: widget keys (admins) and the visitor's side (`/widget/v1`)"),
        (name = "operations", description = "Health and problem types"),
        (name = "templates", description = "WhatsApp message templates: registered by admins, sent by reviewers after the 24-hour window"),
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
        let mut visitor = Http::new(HttpAuthScheme::Bearer);
        visitor.description = Some(
            "A web chat visitor's token (`vt_...`) from `POST /widget/v1/conversations`: it reaches \
that one conversation and nothing else"
                .into(),
        );
        components.add_security_scheme("visitor_token", SecurityScheme::Http(visitor));
    }
}

/// The whole document: `ApiDoc`'s info, tags and security schemes with every handler's path
/// from the one list in `routes` (`ApiPaths`).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(routes::ApiPaths::openapi());
    ParameterRules.modify(&mut doc);
    NoNul.modify(&mut doc);
    ErrorResponses.modify(&mut doc);
    DatabaseOutage.modify(&mut doc);
    Conditions.modify(&mut doc);
    examples::Examples.modify(&mut doc);
    doc
}

/// Rules between fields of one body, stated as JSON Schema `if`/`then`: an approval needs a
/// proposal, and only an approval has a default decision; an `edit` decision carries the
/// edited proposal; a Telegram channel needs its `chat_id`; an erasure names exactly one of a
/// user id and a session id.
struct Conditions;

impl Modify for Conditions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use serde_json::json;
        use utoipa::openapi::{schema::Schema, RefOr};
        let rules = [
            (
                "TakeoverRequest",
                json!({"properties": {"mode": {"const": "approval"}}, "required": ["mode"]}),
                json!({
                    "required": ["proposal"],
                    "properties": {"proposal": {"not": {"type": "null"}}}
                }),
                Some(json!({"properties": {"default_decision": {"type": "null"}}})),
            ),
            (
                "DecisionRequest",
                json!({"properties": {"decision": {"const": "edit"}}, "required": ["decision"]}),
                json!({
                    "required": ["edited"],
                    "properties": {"edited": {"not": {"type": "null"}}}
                }),
                None,
            ),
            (
                "ChannelRequest",
                json!({"properties": {"kind": {"const": "telegram"}}, "required": ["kind"]}),
                json!({
                    "required": ["chat_id"],
                    "properties": {"chat_id": {"type": "string", "pattern": crate::domain::takeover::NOT_BLANK_PATTERN}}
                }),
                None,
            ),
            (
                "ErasureRequest",
                json!({"required": ["user_id"], "properties": {"user_id": {"type": "string"}}}),
                json!({"properties": {"session_id": {"type": "null"}}}),
                Some(json!({
                    "required": ["session_id"],
                    "properties": {"session_id": {"type": "string"}}
                })),
            ),
        ];
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, condition, then, otherwise) in rules {
            if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(name) {
                // One key (`allOf`) so the document is written in the same order every time:
                // extensions are a hash map.
                let mut rule = serde_json::Map::new();
                rule.insert("if".into(), condition);
                rule.insert("then".into(), then);
                if let Some(otherwise) = otherwise {
                    rule.insert("else".into(), otherwise);
                }
                o.extensions
                    .get_or_insert_with(Default::default)
                    .insert("allOf".into(), json!([rule]));
            }
        }
    }
}

/// The errors every operation can answer whatever its handler does, documented on each: 400
/// for a parameter or body the rules refuse (a NUL character, a bad value), and for a body 413
/// (over `BATON_MAX_BODY`) and 415 (not JSON).
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                let has_body = op.request_body.is_some();
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let responses = &mut op.responses.responses;
                if has_body || has_params {
                    responses.entry("400".into()).or_insert_with(|| {
                        problem("A parameter or field is invalid (`errors` names each)").into()
                    });
                }
                if has_body {
                    responses.entry("413".into()).or_insert_with(|| {
                        problem("The body is larger than `BATON_MAX_BODY`").into()
                    });
                    responses.entry("415".into()).or_insert_with(|| {
                        problem("The body is not sent as `application/json`").into()
                    });
                }
            }
        }
    }
}

/// Every operation may meet a database that is away (503 `database-unavailable` with
/// `Retry-After`: nothing was written, send it again); every operation that changes something
/// may meet a full SQLite database (507 `database-full`). See `error::outage`.
struct DatabaseOutage;

impl Modify for DatabaseOutage {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::header::HeaderBuilder;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build()
        };
        let unavailable = ResponseBuilder::new()
            .description(
                "The database is unreachable or locked (`/problems/database-unavailable`); \
nothing was written. Try again after `Retry-After` seconds (a turn with the same `id`)",
            )
            .content("application/problem+json", problem())
            .header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1)),
                    )
                    .description(Some("Seconds to wait before trying again"))
                    .build(),
            )
            .build();
        let full = ResponseBuilder::new()
            .description(
                "The SQLite database is full (`/problems/database-full`, past \
`BATON_SQLITE_MAX_PAGES` or the disk); nothing was written, reads still work",
            )
            .content("application/problem+json", problem())
            .build();
        for item in openapi.paths.paths.values_mut() {
            let writes = [
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in writes.into_iter().flatten() {
                op.responses
                    .responses
                    .entry("507".into())
                    .or_insert_with(|| full.clone().into());
            }
            for op in operations(item) {
                op.responses
                    .responses
                    .entry("503".into())
                    .or_insert_with(|| unavailable.clone().into());
            }
        }
    }
}

/// No text Baton takes may hold U+0000 (`routes::parse_json`, `startup::refuse_nul_in_url`):
/// every free string of the document says so with `not: {pattern: "\u0000"}`.
struct NoNul;

impl NoNul {
    fn schema(schema: &mut utoipa::openapi::Schema) {
        use utoipa::openapi::schema::{AdditionalProperties, Schema, SchemaType, Type};
        use utoipa::openapi::RefOr;
        let walk = |r: &mut RefOr<Schema>| {
            if let RefOr::T(s) = r {
                NoNul::schema(s)
            }
        };
        match schema {
            Schema::Object(o) => {
                let is_string = match &o.schema_type {
                    SchemaType::Type(t) => *t == Type::String,
                    SchemaType::Array(ts) => ts.contains(&Type::String),
                    SchemaType::AnyValue => false,
                };
                // Any JSON (a turn's `meta`, a takeover's `context`, an edited proposal...): no
                // NUL at any depth either.
                if o.schema_type == SchemaType::AnyValue
                    && o.properties.is_empty()
                    && o.additional_properties.is_none()
                {
                    o.extensions.get_or_insert_with(Default::default).insert(
                        "$ref".into(),
                        serde_json::json!(format!("#/components/schemas/{JSON_WITHOUT_NUL}")),
                    );
                }
                if is_string && o.format.is_none() && o.enum_values.is_none() {
                    o.extensions.get_or_insert_with(Default::default).insert(
                        "not".into(),
                        serde_json::json!({"type": "string", "pattern": "\\u0000"}),
                    );
                }
                o.properties.values_mut().for_each(walk);
                if let Some(AdditionalProperties::RefOr(r)) = o.additional_properties.as_deref_mut()
                {
                    walk(r);
                }
            }
            Schema::Array(a) => {
                if let utoipa::openapi::schema::ArrayItems::RefOrSchema(items) = &mut a.items {
                    walk(items);
                }
            }
            Schema::OneOf(x) => x.items.iter_mut().for_each(walk),
            Schema::AllOf(x) => x.items.iter_mut().for_each(walk),
            Schema::AnyOf(x) => x.items.iter_mut().for_each(walk),
            _ => {}
        }
    }
}

/// The component that any JSON value refers to.
const JSON_WITHOUT_NUL: &str = "JsonWithoutNul";

impl NoNul {
    /// Any JSON value with no U+0000 in a string or a key, at any depth (recursive).
    fn any_json() -> utoipa::openapi::schema::Schema {
        use utoipa::openapi::schema::{
            AnyOfBuilder, ArrayBuilder, ObjectBuilder, Ref, SchemaType, Type,
        };
        let itself = || Ref::from_schema_name(JSON_WITHOUT_NUL);
        let no_nul = || serde_json::json!({"pattern": "\\u0000"});
        let mut string = ObjectBuilder::new().schema_type(Type::String).build();
        string
            .extensions
            .get_or_insert_with(Default::default)
            .insert("not".into(), no_nul());
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(itself()))
            .build();
        object
            .extensions
            .get_or_insert_with(Default::default)
            .insert("propertyNames".into(), serde_json::json!({"not": no_nul()}));
        AnyOfBuilder::new()
            .description(Some(
                "Any JSON value without U+0000 in a string or a key, at any depth.",
            ))
            .item(ObjectBuilder::new().schema_type(SchemaType::from_iter([
                Type::Null,
                Type::Boolean,
                Type::Number,
            ])))
            .item(string)
            .item(ArrayBuilder::new().items(itself()))
            .item(object)
            .build()
            .into()
    }
}

impl Modify for NoNul {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        if let Some(c) = openapi.components.as_mut() {
            for s in c.schemas.values_mut() {
                if let RefOr::T(s) = s {
                    NoNul::schema(s);
                }
            }
            c.schemas
                .insert(JSON_WITHOUT_NUL.into(), RefOr::T(NoNul::any_json()));
        }
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                for param in op.parameters.iter_mut().flatten() {
                    if let Some(RefOr::T(s)) = param.schema.as_mut() {
                        NoNul::schema(s);
                    }
                }
                if let Some(body) = op.request_body.as_mut() {
                    for content in body.content.values_mut() {
                        if let Some(RefOr::T(s)) = content.schema.as_mut() {
                            NoNul::schema(s);
                        }
                    }
                }
            }
        }
    }
}

/// Every operation of a path.
fn operations(
    item: &mut utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

/// What the server checks of path and query parameters that recur across operations, stated
/// once here so every operation documents it alike: a session id is 1 to 255 characters with
/// no control character and no U+FFFD (`SessionId::parse`); a team name as `TeamName::parse`
/// takes it; a takeover's or API key's id is a UUID; an
/// `Idempotency-Key` is 1 to 255 characters.
struct ParameterRules;

impl Modify for ParameterRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        use utoipa::openapi::RefOr;
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in operations(item) {
                for param in op.parameters.iter_mut().flatten() {
                    use utoipa::openapi::path::ParameterIn;
                    if param.parameter_in == ParameterIn::Header && param.name == "Idempotency-Key"
                    {
                        let rule = ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1))
                            .max_length(Some(255));
                        param.schema = Some(RefOr::T(rule.build().into()));
                        continue;
                    }
                    if param.parameter_in != ParameterIn::Path {
                        continue;
                    }
                    let rule = match param.name.as_str() {
                        "session_id" => ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1))
                            .max_length(Some(255))
                            .pattern(Some(crate::domain::types::SESSION_ID_PATTERN)),
                        "team" => ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1))
                            .max_length(Some(100))
                            .pattern(Some(crate::domain::accounts::TEAM_NAME_PATTERN)),
                        "id" if path.starts_with("/v1/takeovers/")
                            || path.starts_with("/v1/api-keys/") =>
                        {
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                        }
                        _ => continue,
                    };
                    param.schema = Some(RefOr::T(rule.build().into()));
                }
            }
        }
    }
}

/// The document as committed in `openapi/openapi.json`.
pub fn spec_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        // utoipa 5 writes a link's `operationId` in snake case; no schema has such a property.
        .replace("\"operation_id\": ", "\"operationId\": ");
    json.push('\n');
    json
}
