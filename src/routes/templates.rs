//! WhatsApp templates (`/v1/whatsapp-templates`): a team's approved templates, registered by
//! admins and listed to the team's reviewers, and the template reply
//! (`POST /v1/sessions/{session_id}/template-replies`) that reaches a WhatsApp customer after
//! the 24-hour window has closed. The rules are `domain::templates`; the reply is recorded by
//! `db::takeovers::reply_template`. Reviewers only: API keys are refused.

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{utc, Message, ReplyAccepted};
use super::{parse_json, session_id};
use crate::auth::{AdminAuth, ReviewerAuth};
use crate::db::accounts;
use crate::db::takeovers::{self as takeovers_repo, TemplatePick};
use crate::db::templates::{self as repo, NewTemplate, Template};
use crate::domain::change::Change;
use crate::domain::templates::{
    Button, ButtonKind, Category, Definition, Draft, HeaderFormat, Language, TemplateName, Values,
    MAX_BODY, MAX_FOOTER, MAX_HEADER_TEXT, MAX_PARAMETER,
};
use crate::domain::types::RecordId;
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// A template's header.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateHeader {
    /// `TEXT`, `IMAGE`, `VIDEO` or `DOCUMENT`.
    pub format: HeaderFormat,
    /// For `TEXT`: the line, with at most one parameter `{{1}}` (left out for media).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub text: Option<String>,
}

/// A WhatsApp template as registered in Baton (it mirrors one Meta approved).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WhatsappTemplate {
    /// Template id.
    pub id: String,
    /// The team whose conversations may use it.
    pub team: String,
    /// The name as WhatsApp has it, e.g. `order_update`.
    pub name: String,
    /// The language code as WhatsApp has it, e.g. `en_US`.
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: Category,
    /// The header, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub header: Option<TemplateHeader>,
    /// The body, with its parameters `{{1}}`..`{{n}}`.
    pub body: String,
    /// The footer, if it has one (no parameters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub footer: Option<String>,
    /// The buttons, in order (possibly none).
    pub buttons: Vec<Button>,
    /// How many values a reply gives the body (`parameters`).
    pub body_parameters: usize,
    /// How many values a reply gives the header (`header_parameters`): its text's `{{1}}`, or
    /// a media header's link.
    pub header_parameters: usize,
    /// How many values a reply gives the URL buttons ending in `{{1}}` (`button_parameters`).
    pub button_parameters: usize,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<Template> for WhatsappTemplate {
    type Error = ApiError;

    fn try_from(t: Template) -> Result<WhatsappTemplate, ApiError> {
        let d = t.row.definition()?;
        Ok(WhatsappTemplate {
            category: t.row.category(),
            header: d.header.as_ref().map(|h| TemplateHeader {
                format: h.format(),
                text: h.text().map(str::to_string),
            }),
            body_parameters: d.body_parameters,
            header_parameters: d.header.as_ref().map_or(0, |h| h.parameters()),
            button_parameters: d.button_parameters(),
            buttons: d.buttons,
            body: d.body,
            footer: d.footer,
            id: t.row.id,
            team: t.team,
            name: t.row.name,
            language: t.row.language,
            created_at: utc(t.row.created_at),
            updated_at: utc(t.row.updated_at),
        })
    }
}

fn body_schema() -> utoipa::openapi::schema::Schema {
    super::dto::text_schema(MAX_BODY, false)
}

fn footer_schema() -> utoipa::openapi::schema::Schema {
    super::dto::text_schema(MAX_FOOTER, true)
}

fn header_text_schema() -> utoipa::openapi::schema::Schema {
    super::dto::text_schema(MAX_HEADER_TEXT, true)
}

/// A template's header, as sent.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateHeaderRequest {
    /// `TEXT`, `IMAGE`, `VIDEO` or `DOCUMENT`.
    #[schema(value_type = HeaderFormat)]
    pub format: String,
    /// For `TEXT` (required there): the line, 1 to 60 characters, with at most one parameter
    /// `{{1}}`. Media headers have none.
    #[schema(schema_with = header_text_schema)]
    pub text: Option<String>,
}

/// One button, as sent.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateButtonRequest {
    /// `QUICK_REPLY`, `URL` or `PHONE_NUMBER`.
    #[serde(rename = "type")]
    #[schema(value_type = ButtonKind)]
    pub kind: String,
    /// The label, 1 to 25 characters.
    #[schema(min_length = 1, max_length = 25)]
    pub text: String,
    /// For `URL` (required there): an http(s) address, which may end in `{{1}}`.
    #[schema(min_length = 1, max_length = 2000)]
    pub url: Option<String>,
    /// For `PHONE_NUMBER` (required there): the number with its country code.
    #[schema(pattern = r"^\+?[0-9]{6,20}$")]
    pub phone_number: Option<String>,
}

/// A template to register (or, with `PUT`, the whole of its new values).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatsappTemplateRequest {
    /// The team whose conversations may use it (by name).
    #[schema(min_length = 1, max_length = 64)]
    pub team: String,
    /// The name exactly as approved at Meta: lowercase letters, digits and `_`.
    #[schema(pattern = "^[a-z0-9_]{1,512}$", min_length = 1, max_length = 512)]
    pub name: String,
    /// The language code exactly as approved at Meta: `en`, `en_US`, `pt_BR`…
    #[schema(pattern = "^[a-z]{2,3}(_[A-Z]{2})?$", min_length = 2, max_length = 6)]
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    #[schema(value_type = Category)]
    pub category: String,
    /// An optional header.
    pub header: Option<TemplateHeaderRequest>,
    /// The body, 1 to 1 024 characters, with parameters `{{1}}`..`{{n}}` numbered from 1
    /// without a gap.
    #[schema(schema_with = body_schema)]
    pub body: String,
    /// An optional footer, 1 to 60 characters, without parameters.
    #[schema(schema_with = footer_schema)]
    pub footer: Option<String>,
    /// Up to 10 buttons: at most two `URL` and one `PHONE_NUMBER`.
    #[schema(max_items = 10)]
    pub buttons: Option<Vec<TemplateButtonRequest>>,
}

/// Which templates to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WhatsappTemplateFilter {
    /// Only this team's (by name); an unknown team lists none.
    pub team: Option<String>,
}

fn parameters_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(MAX_PARAMETER)),
        )
        .max_items(Some(100))
        .build()
        .into()
}

/// A template reply: which template, and its values. Name the template by `template_id`, or
/// by `name` and `language` (looked up in the conversation's team).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateReplyRequest {
    /// The template's id (or give `name` and `language`).
    #[schema(min_length = 1, max_length = 64)]
    pub template_id: Option<String>,
    /// The template's name (with `language`, instead of `template_id`).
    #[schema(pattern = "^[a-z0-9_]{1,512}$", min_length = 1, max_length = 512)]
    pub name: Option<String>,
    /// The template's language code (with `name`).
    #[schema(pattern = "^[a-z]{2,3}(_[A-Z]{2})?$", min_length = 2, max_length = 6)]
    pub language: Option<String>,
    /// The body's values, for `{{1}}`..`{{n}}` in order: exactly as many as the body has
    /// (`body_parameters`). No line breaks, tabs or more than four spaces in a row.
    #[serde(default)]
    #[schema(schema_with = parameters_schema)]
    pub parameters: Vec<String>,
    /// The header's value: its text's `{{1}}`, or a media header's `https://` link.
    #[serde(default)]
    #[schema(schema_with = parameters_schema)]
    pub header_parameters: Vec<String>,
    /// One URL ending per `URL` button ending in `{{1}}`, in button order.
    #[serde(default)]
    #[schema(schema_with = parameters_schema)]
    pub button_parameters: Vec<String>,
}

/// Collects per-field parse failures, so one answer names every bad field.
#[derive(Default)]
struct Fields(Vec<FieldError>);

impl Fields {
    fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        parsed
            .map_err(|message| {
                self.0.push(FieldError {
                    field: field.into(),
                    message,
                })
            })
            .ok()
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

/// The request's values, checked by WhatsApp's rules, and its team's name.
fn checked(body: WhatsappTemplateRequest) -> Result<(String, NewTemplate), ApiError> {
    let mut fields = Fields::default();
    let team = body.team.trim().to_string();
    if team.is_empty() {
        fields.check::<()>("team", Err("must name a team".into()));
    }
    let name = fields.check("name", TemplateName::parse(&body.name));
    let language = fields.check("language", Language::parse(&body.language));
    let category = fields.check("category", Category::parse(&body.category));
    let mut buttons = Vec::new();
    for (i, b) in body.buttons.unwrap_or_default().into_iter().enumerate() {
        if let Some(kind) = fields.check(&format!("buttons[{i}].type"), ButtonKind::parse(&b.kind))
        {
            buttons.push(Button {
                kind,
                text: b.text,
                url: b.url,
                phone_number: b.phone_number,
            });
        }
    }
    let definition = Definition::parse(&Draft {
        header_format: body.header.as_ref().map(|h| h.format.as_str()),
        header_text: body.header.as_ref().and_then(|h| h.text.as_deref()),
        body: &body.body,
        footer: body.footer.as_deref(),
        buttons: &buttons,
    });
    let definition = match definition {
        Ok(d) => Some(d),
        Err(problems) => {
            for (field, message) in problems {
                fields.0.push(FieldError { field, message });
            }
            None
        }
    };
    fields.finish()?;
    Ok((
        team,
        NewTemplate {
            name: name.expect("checked"),
            language: language.expect("checked"),
            category: category.expect("checked"),
            definition: definition.expect("checked"),
        },
    ))
}

/// The template `raw` names, if the reviewer may see it (their teams'; admins any): 404
/// otherwise.
fn visible(
    conn: &mut crate::db::DbConnection,
    reviewer: &ReviewerAuth,
    raw: &str,
) -> Result<Template, ApiError> {
    let missing = || ApiError::not_found(format!("no WhatsApp template {raw:?}"));
    let id = RecordId::parse(raw).map_err(|_| missing())?.to_string();
    repo::get(conn, &id)?
        .filter(|t| reviewer.is_admin || reviewer.team_ids.contains(&t.row.team_id))
        .ok_or_else(missing)
}

const NOT_A_REVIEWER: &str = "Missing or unknown reviewer token";
const NOT_AN_ADMIN: &str = "Not an admin reviewer (API keys included)";

/// The WhatsApp templates the caller may use: their teams' (admins: every team's), by team,
/// name and language.
#[utoipa::path(
    tag = "templates",
    params(WhatsappTemplateFilter),
    responses(
        (status = 200, description = "Templates", body = [WhatsappTemplate]),
        (status = 401, description = NOT_A_REVIEWER, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API key (templates are for reviewers)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/whatsapp-templates")]
pub async fn list_whatsapp_templates(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    query: web::Query<WhatsappTemplateFilter>,
) -> Result<web::Json<Vec<WhatsappTemplate>>, ApiError> {
    let team = query
        .into_inner()
        .team
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let list = state
        .db
        .read(move |conn| {
            let teams = (!reviewer.is_admin).then_some(reviewer.team_ids.as_slice());
            repo::list(conn, teams, team.as_deref())
        })
        .await?;
    Ok(web::Json(
        list.into_iter()
            .map(WhatsappTemplate::try_from)
            .collect::<Result<_, _>>()?,
    ))
}

/// One WhatsApp template: one of the caller's teams' (admins: any).
#[utoipa::path(
    tag = "templates",
    params(("template_id" = String, Path, description = "Template id")),
    responses(
        (status = 200, description = "The template", body = WhatsappTemplate),
        (status = 401, description = NOT_A_REVIEWER, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API key (templates are for reviewers)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such template, or another team's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/whatsapp-templates/{template_id}")]
pub async fn get_whatsapp_template(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
) -> Result<web::Json<WhatsappTemplate>, ApiError> {
    let raw = path.into_inner();
    let found = state
        .db
        .read(move |conn| visible(conn, &reviewer, &raw))
        .await?;
    Ok(web::Json(found.try_into()?))
}

/// Register a team's WhatsApp template, as Meta approved it (admins only). Its name is
/// unique per team and language.
#[utoipa::path(
    tag = "templates",
    request_body = WhatsappTemplateRequest,
    responses(
        (status = 201, description = "Registered", body = WhatsappTemplate),
        (status = 400, description = "A field WhatsApp would refuse (each named in `errors`), or an unknown team", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = NOT_A_REVIEWER, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = NOT_AN_ADMIN, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The team already has this name in this language", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/whatsapp-templates")]
pub async fn create_whatsapp_template(
    state: web::Data<AppState>,
    admin: AdminAuth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: WhatsappTemplateRequest = parse_json(&req, &body, None)?;
    let (team, new) = checked(body)?;
    let actor = admin.actor();
    let created = state
        .db
        .write(move |conn| {
            let t = accounts::find_team(conn, &team)?
                .ok_or_else(|| ApiError::field("team", format!("no team {team:?}")))?;
            repo::create(conn, &t.id, &t.name, new, &actor)
        })
        .await?;
    Ok(HttpResponse::Created().json(WhatsappTemplate::try_from(created)?))
}

/// Replace a WhatsApp template's values (admins only): the body is the whole template, as for
/// registering one.
#[utoipa::path(
    tag = "templates",
    params(("template_id" = String, Path, description = "Template id")),
    request_body = WhatsappTemplateRequest,
    responses(
        (status = 200, description = "Changed", body = WhatsappTemplate),
        (status = 400, description = "A field WhatsApp would refuse (each named in `errors`), or an unknown team", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = NOT_A_REVIEWER, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = NOT_AN_ADMIN, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such template", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The team already has this name in this language", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[put("/v1/whatsapp-templates/{template_id}")]
pub async fn put_whatsapp_template(
    state: web::Data<AppState>,
    admin: AdminAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<WhatsappTemplate>, ApiError> {
    let body: WhatsappTemplateRequest = parse_json(&req, &body, None)?;
    let (team, new) = checked(body)?;
    let actor = admin.actor();
    let raw = path.into_inner();
    let changed = state
        .db
        .write(move |conn| {
            let current = visible(conn, &admin.0, &raw)?;
            let t = accounts::find_team(conn, &team)?
                .ok_or_else(|| ApiError::field("team", format!("no team {team:?}")))?;
            repo::replace(conn, &current, &t.id, &t.name, new, &actor)
        })
        .await?;
    Ok(web::Json(changed.try_into()?))
}

/// Delete a WhatsApp template (admins only). Replies already sent keep their copy.
#[utoipa::path(
    tag = "templates",
    params(("template_id" = String, Path, description = "Template id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = NOT_A_REVIEWER, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = NOT_AN_ADMIN, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such template", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[delete("/v1/whatsapp-templates/{template_id}")]
pub async fn delete_whatsapp_template(
    state: web::Data<AppState>,
    admin: AdminAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = admin.actor();
    let raw = path.into_inner();
    state
        .db
        .write(move |conn| {
            let current = visible(conn, &admin.0, &raw)?;
            repo::delete(conn, &current, &actor)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send the customer a WhatsApp template: the way to reach them after WhatsApp's 24-hour
/// window has closed (allowed while it is open too). The template is the conversation's
/// team's; its values are checked against it (missing or extra ones are 400). The turn's
/// `content` is the rendered text and its `meta` keeps the template; the `reply` callback's
/// `message` carries the Cloud API `template` object and `template_category`. Stored and
/// queued in one transaction, as a reply is. The window reopens when the customer answers.
#[utoipa::path(
    tag = "conversations",
    params(("session_id" = String, Path, description = "The integration's session id")),
    request_body = TemplateReplyRequest,
    responses(
        (status = 201, description = "Stored and queued for delivery", body = ReplyAccepted),
        (status = 400, description = "No template named, or none of this conversation's team by that id or name; missing, extra or unsendable values (each named in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = NOT_A_REVIEWER, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session in your teams", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "You do not hold the conversation", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/sessions/{session_id}/template-replies")]
pub async fn create_template_reply(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&path)?;
    let body: TemplateReplyRequest = parse_json(&req, &body, None)?;
    let template_id = match body.template_id.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(raw) => Some(
            RecordId::parse(raw)
                .map_err(|_| {
                    ApiError::field("template_id", format!("{raw:?} is not a template id"))
                })?
                .to_string(),
        ),
    };
    let named = match (&template_id, &body.name, &body.language) {
        (Some(_), None, None) => None,
        (None, Some(name), Some(language)) => {
            let mut fields = Fields::default();
            fields.check("name", TemplateName::parse(name));
            fields.check("language", Language::parse(language));
            fields.finish()?;
            Some((name.clone(), language.clone()))
        }
        (Some(_), _, _) => {
            return Err(ApiError::field(
                "template_id",
                "give template_id or name and language, not both",
            ))
        }
        (None, None, _) => {
            return Err(ApiError::field(
                "template_id",
                "name the template: template_id, or name and language",
            ))
        }
        (None, Some(_), None) => return Err(ApiError::field("language", "is required with name")),
    };
    let lease = state.delivery_lease;
    let (m, delivery_id, taken) = state
        .db
        .write(move |conn| {
            let pick = match (&template_id, &named) {
                (Some(id), _) => TemplatePick::Id(id),
                (None, Some((name, language))) => TemplatePick::Named { name, language },
                (None, None) => return Err(ApiError::field("template_id", "is required")),
            };
            let values = Values {
                body: &body.parameters,
                header: &body.header_parameters,
                buttons: &body.button_parameters,
            };
            takeovers_repo::reply_template(conn, id.as_str(), &reviewer, pick, &values, lease)
        })
        .await?;
    state.deliver_now(taken);
    state.notify(&m.session_id, Change::Message);
    Ok(HttpResponse::Created().json(ReplyAccepted {
        message: Message::from(&m),
        delivery_id,
    }))
}
