//! Handlers of the inbox pages: sign-in and sign-out forms, the queue, a conversation, the
//! insights page, the admin pages (admins only), assets.
//! They read through `db/` and render `views`; every action goes through the JSON API.

use std::collections::{BTreeMap, HashMap};

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::views::{self, Conversation, Queue, QueueRow};
use super::{admin, insights};
use crate::auth::sign_in;
use crate::auth::{self, ReviewerAuth, CSRF_FIELD, SESSION_COOKIE};
use crate::db::insights as db_insights;
use crate::db::outbox;
use crate::db::queue::{self, InboxView};
use crate::db::takeovers as repo;
use crate::db::{accounts, customers, escalation, now, reads, sessions, DbConnection};
use crate::domain::policy::FallbackAction;
use crate::domain::review::review;
use crate::domain::takeover::{is_person, silent_release_at};
use crate::domain::types::TakeoverStatus;
use crate::error::{ApiError, Kind};
use crate::state::AppState;

const SCRIPT: &str = include_str!("assets/inbox.js");
const STYLESHEET: &str = include_str!("assets/inbox.css");

pub(super) fn html(status: actix_web::http::StatusCode, markup: maud::Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// Where to go after signing in: only back into the inbox, never to another site.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/inbox") && !n.starts_with("//"))
        .unwrap_or("/inbox")
        .to_string()
}

pub(super) fn to_sign_in(req: &HttpRequest) -> HttpResponse {
    let here = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/inbox");
    let mut to = "/inbox/login?next=".to_string();
    to.extend(url::form_urlencoded::byte_serialize(here.as_bytes()));
    redirect(&to)
}

/// Reviewer names to display names.
fn display_names(
    conn: &mut DbConnection,
) -> Result<(BTreeMap<String, String>, Vec<String>), ApiError> {
    let (teams, reviewers) = accounts::directory(conn)?;
    Ok((
        reviewers
            .into_iter()
            .map(|r| (r.name, r.display_name))
            .collect(),
        teams.into_iter().map(|t| t.name).collect(),
    ))
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn get_login(
    req: HttpRequest,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, ApiError> {
    let next = safe_next(query.next.as_deref());
    if auth::cookie_reviewer(&req).await?.is_some() {
        return Ok(redirect(&next));
    }
    Ok(html(
        actix_web::http::StatusCode::OK,
        views::login(None, "", &next),
    ))
}

/// Did a form come from another site? Browsers say where a request comes from in
/// Sec-Fetch-Site; older ones only send Origin, which must then be this server's own. (The
/// inbox's no-referrer policy makes a browser send `Origin: null` for its own form, so `null`
/// alone decides nothing.) For the forms that need no session: signing in, the first-run setup.
pub(super) fn from_another_site(req: &HttpRequest, public_base: &str) -> bool {
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site");
    let cross_site = fetch_site.is_some_and(|v| v == "cross-site" || v == "same-site");
    let foreign_origin = fetch_site.is_none()
        && headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .filter(|origin| *origin != "null")
            .is_some_and(|origin| {
                let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
                let ours = public_base.trim_end_matches('/');
                origin != ours
                    && !host.is_some_and(|h| {
                        origin == format!("http://{h}") || origin == format!("https://{h}")
                    })
            });
    cross_site || foreign_origin
}

/// The inbox's session cookie holding a new sign-in token.
pub(super) fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    let ttl = state.config.token_ttl.as_secs() as i64;
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.public_base.starts_with("https://"))
        .max_age(time::Duration::seconds(ttl))
        .finish()
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
}

pub async fn create_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    // A sign-in form posted from another site would sign the victim in as the attacker
    // (login CSRF).
    if from_another_site(&req, &state.public_base) {
        return Err(ApiError::forbidden(
            "sign-in forms are accepted from the inbox only",
        ));
    }
    let LoginForm {
        name,
        password,
        next,
    } = form.into_inner();
    let next = safe_next(next.as_deref());
    let throttle = &state.login_throttle;
    match sign_in(
        &state.db,
        throttle,
        state.config.token_ttl,
        &req,
        name.clone(),
        password,
    )
    .await
    {
        Ok(signed_in) => {
            // Signing in to the inbox is starting work: online, unless they chose otherwise.
            let id = signed_in.reviewer.id.clone();
            state
                .db
                .write(move |conn| crate::db::routing::online_at_sign_in(conn, &id))
                .await?;
            state.wake_router();
            Ok(HttpResponse::SeeOther()
                .cookie(session_cookie(&state, signed_in.token))
                .insert_header((header::LOCATION, next))
                .finish())
        }
        Err(e) if e.kind == Kind::Unauthorized || e.kind == Kind::TooManyRequests => Ok(html(
            e.kind.status(),
            views::login(Some(&e.detail), &name, &next),
        )),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn create_logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = auth::session_cookie(&req) {
        let sent = form.csrf.as_deref().unwrap_or_default();
        if !auth::csrf_matches(&token, sent) {
            return Err(ApiError::forbidden(format!(
                "missing or wrong CSRF token: the sign-out form sends it as `{CSRF_FIELD}`"
            )));
        }
        state
            .db
            .write(move |conn| accounts::revoke_token(conn, &token))
            .await?;
        state.live.sign_ins_changed();
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .cookie(gone)
        .insert_header((header::LOCATION, "/inbox/login"))
        .finish())
}

#[derive(Deserialize)]
pub struct QueueQuery {
    view: Option<InboxView>,
}

pub async fn get_queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    let Some((reviewer, token)) = auth::cookie_reviewer(&req).await? else {
        return Ok(to_sign_in(&req));
    };
    let view = query.view.unwrap_or_default();
    let r = reviewer.clone();
    let silence = chrono::Duration::from_std(state.config.reviewer_silence)
        .unwrap_or(chrono::Duration::minutes(10));
    let (rows, counts, unread, names) = state
        .db
        .read(move |conn| {
            let listed = queue::inbox(conn, &r, view, 200)?;
            let ids: Vec<&str> = listed.iter().map(|(_, s)| s.id.as_str()).collect();
            let mut last = sessions::last_messages(conn, &ids)?;
            let unread_in = reads::unread_counts(conn, &r.id, &ids)?;
            let held: Vec<&str> = listed
                .iter()
                .filter(|(t, _)| t.claimed_by.as_deref() == Some(r.name.as_str()))
                .map(|(_, s)| s.id.as_str())
                .collect();
            let replied = reads::last_human_replies(conn, &held)?;
            let unread = reads::tally(&reads::open_unread(conn, &r)?);
            let takeover_ids: Vec<String> = listed.iter().map(|(t, _)| t.id.clone()).collect();
            let offers = crate::db::routing::offers_of(conn, &takeover_ids)?;
            let closed = crate::db::routing::closed_teams(conn, now())?;
            let rows: Vec<QueueRow> = listed
                .into_iter()
                .map(|(takeover, session)| {
                    let offer = offers
                        .get(&takeover.id)
                        .filter(|o| {
                            takeover.assignee_team_id.as_deref() == Some(o.team_id.as_str())
                        })
                        .map(|o| (o.reviewer_name.clone(), o.expires_at));
                    let opens_at = takeover
                        .assignee_team_id
                        .as_ref()
                        .and_then(|team| closed.get(team).copied());
                    let last_message = last.remove(&session.id);
                    let release_at = if takeover.claimed_by.as_deref() == Some(r.name.as_str()) {
                        silent_release_at(
                            takeover.claimed_at,
                            replied.get(&session.id).copied(),
                            takeover.created_at,
                            last_message.as_ref().is_some_and(|m| is_person(&m.sender)),
                            silence,
                        )
                    } else {
                        None
                    };
                    QueueRow {
                        unread: unread_in.get(&session.id).copied().unwrap_or(0),
                        last_message,
                        takeover,
                        session,
                        offer,
                        opens_at,
                        release_at,
                    }
                })
                .collect();
            let counts = queue::inbox_counts(conn, &r)?;
            let (names, _) = display_names(conn)?;
            Ok((rows, counts, unread, names))
        })
        .await?;
    let mut rows = rows;
    if view == InboxView::Mine {
        // What the customer said last comes first: unread conversations, then the most recent.
        rows.sort_by_key(|row| {
            (
                std::cmp::Reverse(row.unread > 0),
                std::cmp::Reverse(row.last_message.as_ref().map(|m| m.recorded_at)),
            )
        });
    }
    let csrf = auth::csrf_token(&token);
    Ok(html(
        actix_web::http::StatusCode::OK,
        views::queue(&Queue {
            reviewer: &reviewer,
            csrf: &csrf,
            view,
            counts,
            unread,
            rows,
            names: &names,
            now: now(),
        }),
    ))
}

/// The session id from `/inbox/sessions/<id>`, encoded as `inbox_url` encodes it.
fn session_from_path(req: &HttpRequest) -> Option<String> {
    let raw = req.uri().path().strip_prefix("/inbox/sessions/")?;
    let pairs = web::Query::<HashMap<String, String>>::from_query(&format!("id={raw}")).ok()?;
    pairs.get("id").cloned().filter(|id| !id.is_empty())
}

pub async fn get_conversation(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let Some((reviewer, token)) = auth::cookie_reviewer(&req).await? else {
        return Ok(to_sign_in(&req));
    };
    let not_found = || {
        html(
            actix_web::http::StatusCode::NOT_FOUND,
            views::message_page(
                "No such conversation",
                "It does not exist, or it belongs to a team you are not in.",
            ),
        )
    };
    let Some(id) = session_from_path(&req) else {
        return Ok(not_found());
    };
    let r = reviewer.clone();
    let silence = chrono::Duration::from_std(state.config.reviewer_silence)
        .unwrap_or(chrono::Duration::minutes(10));
    let found = state
        .db
        .read(move |conn| load_conversation(conn, &r, &id, silence))
        .await?;
    let Some(data) = found else {
        return Ok(not_found());
    };
    let csrf = auth::csrf_token(&token);
    let status = crate::db::sessions::status_of(&data.session)?;
    Ok(html(
        actix_web::http::StatusCode::OK,
        views::conversation(&Conversation {
            reviewer: &reviewer,
            csrf: &csrf,
            status,
            session: data.session,
            takeover: data.takeover,
            messages: data.messages,
            notes: data.notes,
            deliveries: data.deliveries,
            events: data.events,
            list: data.list,
            customer: data.customer,
            episodes: data.episodes,
            release_at: data.release_at,
            names: &data.names,
            teams: data.teams,
            canned: data.canned,
            templates: data.templates,
            earlier: data.earlier,
            now: now(),
        }),
    ))
}

struct ConversationData {
    session: crate::db::models::SessionRow,
    takeover: Option<crate::db::models::TakeoverRow>,
    messages: Vec<crate::db::models::MessageRow>,
    notes: Vec<crate::db::models::NoteRow>,
    deliveries: HashMap<String, outbox::ReplyDelivery>,
    events: Vec<crate::db::models::AuditRow>,
    names: BTreeMap<String, String>,
    teams: Vec<String>,
    customer: Option<crate::domain::takeover::Customer>,
    episodes: Vec<crate::db::models::TakeoverRow>,
    release_at: Option<chrono::NaiveDateTime>,
    list: Vec<QueueRow>,
    canned: Vec<super::canned::Suggestion>,
    templates: Vec<super::templates::Offered>,
    earlier: crate::db::search::Earlier,
}

/// Everything a conversation page shows, or `None` when the reviewer may not see it.
fn load_conversation(
    conn: &mut DbConnection,
    r: &ReviewerAuth,
    id: &str,
    silence: chrono::Duration,
) -> Result<Option<ConversationData>, ApiError> {
    let Some(session) = sessions::get(conn, id)? else {
        return Ok(None);
    };
    if !repo::can_read_session(conn, &auth::Caller::Reviewer(r.clone()), id)? {
        return Ok(None);
    }
    let (names, teams) = display_names(conn)?;
    let takeover = repo::latest_for_session(conn, id)?;
    let messages = sessions::page(conn, id, 0, 2000)?;
    // Shown to the reviewer who holds it (the timer's own rule).
    let release_at = takeover
        .as_ref()
        .filter(|t| {
            TakeoverStatus::parse(&t.status) == Some(TakeoverStatus::Claimed)
                && t.claimed_by.as_deref() == Some(r.name.as_str())
        })
        .and_then(|t| {
            let replied = messages
                .iter()
                .filter(|m| is_person(&m.sender))
                .map(|m| m.recorded_at)
                .max();
            silent_release_at(
                t.claimed_at,
                replied,
                t.created_at,
                messages.last().is_some_and(|m| is_person(&m.sender)),
                silence,
            )
        });
    let team_id = takeover.as_ref().and_then(|t| t.assignee_team_id.clone());
    let team = match &team_id {
        Some(t) => escalation::team_name(conn, t)?,
        None => None,
    };
    let customer = customers::get(conn, id)?;
    let usable = crate::db::canned::for_conversation(conn, &r.id, team_id.as_deref())?;
    // {customer_name}: the name the workflow sent with the takeover, else the user id.
    let canned = super::canned::suggestions(
        &usable,
        &crate::domain::canned::Vars {
            customer_name: customer
                .as_ref()
                .and_then(|c| c.get("name"))
                .or(session.user_id.as_deref()),
            reviewer: &r.display_name,
            team: team.as_deref(),
        },
    );
    // The WhatsApp templates the reviewer may send here (`domain::templates::may_send`).
    let templates = if crate::db::sessions::reply_window_closes_at(&session).is_some() {
        let mut all = crate::db::templates::list(conn, None, None)?;
        all.retain(|t| crate::domain::templates::may_send(r, team_id.as_deref(), &t.row.team_id));
        super::templates::offered(&all)
    } else {
        Vec::new()
    };
    Ok(Some(ConversationData {
        canned,
        templates,
        list: conversation_list(conn, r)?,
        customer,
        episodes: customers::takeovers_of(conn, id)?,
        release_at,
        takeover,
        messages,
        notes: repo::list_notes(conn, id)?,
        deliveries: outbox::reply_deliveries(conn, id)?,
        events: crate::db::audit::list(
            conn,
            &crate::db::audit::Filter {
                session_id: Some(id.to_string()),
                ..Default::default()
            },
            500,
        )?,
        earlier: crate::db::search::earlier(
            conn,
            &auth::Caller::Reviewer(r.clone()),
            &session,
            10,
        )?,
        names,
        teams,
        session,
    }))
}

/// The open conversations listed beside a conversation: mine first, then waiting, then the
/// rest; unread ones first in each group, then the most recent.
fn conversation_list(conn: &mut DbConnection, r: &ReviewerAuth) -> Result<Vec<QueueRow>, ApiError> {
    let listed = queue::inbox(conn, r, InboxView::Team, 60)?;
    let ids: Vec<&str> = listed.iter().map(|(_, s)| s.id.as_str()).collect();
    let mut last = sessions::last_messages(conn, &ids)?;
    let unread = reads::unread_counts(conn, &r.id, &ids)?;
    let mut rows: Vec<QueueRow> = listed
        .into_iter()
        .map(|(takeover, session)| QueueRow {
            unread: unread.get(&session.id).copied().unwrap_or(0),
            last_message: last.remove(&session.id),
            takeover,
            session,
            offer: None,
            opens_at: None,
            release_at: None,
        })
        .collect();
    rows.sort_by_key(|row| {
        let group = if row.takeover.claimed_by.as_deref() == Some(r.name.as_str()) {
            0
        } else if TakeoverStatus::parse(&row.takeover.status) == Some(TakeoverStatus::Requested) {
            1
        } else {
            2
        };
        (
            group,
            std::cmp::Reverse(row.unread > 0),
            std::cmp::Reverse(row.last_message.as_ref().map(|m| m.recorded_at)),
        )
    });
    Ok(rows)
}

#[derive(Deserialize)]
pub struct InsightsQuery {
    days: Option<i64>,
}

/// The Insights page: figures, charts and the review list over the last `days` (7 by default),
/// for the reviewer's teams (admins: all).
pub async fn get_insights(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<InsightsQuery>,
) -> Result<HttpResponse, ApiError> {
    let Some((reviewer, token)) = auth::cookie_reviewer(&req).await? else {
        return Ok(to_sign_in(&req));
    };
    let days = query
        .days
        .filter(|d| insights::RANGES.contains(d))
        .unwrap_or(7);
    let to = now();
    let from = to - chrono::Duration::days(days);
    let r = reviewer.clone();
    let (facts, active_sessions, triggers) = state
        .db
        .read(move |conn| {
            let scope = Some(&r);
            let facts = db_insights::facts(conn, from, to, scope)?;
            let active = if r.is_admin {
                Some(db_insights::active_sessions(conn, from, to)?)
            } else {
                None
            };
            let triggers = db_insights::triggers(conn, from, to, scope)?;
            Ok((facts, active, triggers))
        })
        .await?;
    let csrf = auth::csrf_token(&token);
    let reviewed = triggers.len();
    Ok(html(
        actix_web::http::StatusCode::OK,
        insights::page(&insights::Insights {
            reviewer: &reviewer,
            csrf: &csrf,
            days,
            from,
            to,
            facts,
            active_sessions,
            reasons: review(triggers),
            reviewed,
        }),
    ))
}

/// Canned responses for any reviewer: their own to manage, their teams' to read (admins: every
/// one, to manage).
pub async fn get_canned(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let Some((reviewer, token)) = auth::cookie_reviewer(&req).await? else {
        return Ok(to_sign_in(&req));
    };
    let r = reviewer.clone();
    let (list, teams) = state
        .db
        .read(move |conn| {
            use crate::db::canned::{list, Which};
            let which = if r.is_admin {
                Which::All
            } else {
                Which::For {
                    reviewer_id: &r.id,
                    team_ids: &r.team_ids,
                }
            };
            let (_, teams) = display_names(conn)?;
            Ok((list(conn, which, None)?, teams))
        })
        .await?;
    let csrf = auth::csrf_token(&token);
    Ok(html(
        actix_web::http::StatusCode::OK,
        super::canned::reviewer_page(&reviewer, &csrf, &list, &teams),
    ))
}

/// The reviewer of the cookie session if an admin; else the page to show instead.
async fn admin_or_page(
    req: &HttpRequest,
) -> Result<Result<(ReviewerAuth, String), HttpResponse>, ApiError> {
    let Some((reviewer, token)) = auth::cookie_reviewer(req).await? else {
        return Ok(Err(to_sign_in(req)));
    };
    if !reviewer.is_admin {
        return Ok(Err(html(
            actix_web::http::StatusCode::FORBIDDEN,
            views::message_page(
                "Admins only",
                "Managing reviewers, teams, API keys and escalation policies takes an admin.",
            ),
        )));
    }
    Ok(Ok((reviewer, token)))
}

pub async fn get_admin(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Ok(match admin_or_page(&req).await? {
        Ok(_) => redirect("/inbox/admin/reviewers"),
        Err(page) => page,
    })
}

/// What an admin section shows, read in one go.
enum AdminData {
    Reviewers(Vec<accounts::ReviewerWithTeams>, Vec<String>),
    Teams(Vec<accounts::TeamWithMembers>),
    ApiKeys(Vec<crate::db::models::ApiKeyRow>),
    Escalation(
        Vec<admin::PolicyView>,
        Vec<String>,
        BTreeMap<String, String>,
    ),
    Widgets(Vec<crate::db::widgets::WidgetRow>, Vec<String>),
    Texts(Vec<crate::db::texts::TextRow>, Vec<String>),
    Canned(Vec<crate::db::canned::Canned>, Vec<String>),
    Templates(Vec<crate::db::templates::Template>, Vec<String>),
}

fn load_admin(conn: &mut DbConnection, section: admin::Section) -> Result<AdminData, ApiError> {
    use admin::Section;
    Ok(match section {
        Section::Reviewers => {
            let (_, teams) = display_names(conn)?;
            AdminData::Reviewers(accounts::list_reviewers(conn)?, teams)
        }
        Section::Teams => AdminData::Teams(accounts::list_teams(conn)?),
        Section::ApiKeys => AdminData::ApiKeys(accounts::list_api_keys(conn)?),
        Section::Escalation => {
            let mut policies = Vec::new();
            for p in escalation::list_policies(conn)? {
                let team = match &p.team_id {
                    Some(id) => escalation::team_name(conn, id)?,
                    None => None,
                };
                policies.push(admin::PolicyView {
                    steps: escalation::steps_of(&p),
                    fallback_action: FallbackAction::parse(&p.fallback_action).unwrap_or_default(),
                    name: p.name,
                    team,
                    fallback_message: p.fallback_message,
                    updated_at: p.updated_at,
                });
            }
            let (names, teams) = display_names(conn)?;
            AdminData::Escalation(policies, teams, names)
        }
        Section::Texts => {
            let (_, teams) = display_names(conn)?;
            AdminData::Texts(crate::db::texts::list(conn)?, teams)
        }
        Section::Canned => {
            let (_, teams) = display_names(conn)?;
            AdminData::Canned(
                crate::db::canned::list(conn, crate::db::canned::Which::All, None)?,
                teams,
            )
        }
        Section::Templates => {
            let (_, teams) = display_names(conn)?;
            AdminData::Templates(crate::db::templates::list(conn, None, None)?, teams)
        }
        Section::Widgets => {
            let (_, teams) = display_names(conn)?;
            AdminData::Widgets(crate::db::widgets::list(conn)?, teams)
        }
    })
}

pub async fn get_admin_section(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (reviewer, token) = match admin_or_page(&req).await? {
        Ok(admin) => admin,
        Err(page) => return Ok(page),
    };
    let Some(section) = admin::Section::parse(&path) else {
        return Ok(html(
            actix_web::http::StatusCode::NOT_FOUND,
            views::message_page(
                "No such page",
                "The admin pages are Reviewers, Teams, API keys, Escalation policies, Customer texts, Canned responses, WhatsApp templates and Web chat.",
            ),
        ));
    };
    let data = state.db.read(move |conn| load_admin(conn, section)).await?;
    let csrf = auth::csrf_token(&token);
    let a = admin::Admin {
        reviewer: &reviewer,
        csrf: &csrf,
    };
    let markup = match &data {
        AdminData::Reviewers(list, teams) => admin::reviewers(&a, list, teams),
        AdminData::Teams(list) => admin::teams(&a, list),
        AdminData::ApiKeys(list) => admin::api_keys(&a, list),
        AdminData::Escalation(list, teams, names) => admin::escalation(
            &a,
            list,
            &admin::Assignees {
                teams,
                reviewers: names,
            },
            &state.config.fallback_message,
        ),
        AdminData::Texts(list, teams) => super::texts::texts_page(&a, list, teams),
        AdminData::Canned(list, teams) => super::canned::admin_page(&a, list, teams),
        AdminData::Templates(list, teams) => super::templates::admin_page(&a, list, teams),
        AdminData::Widgets(list, teams) => {
            super::widgets::widgets_page(&a, list, teams, &state.public_base)
        }
    };
    Ok(html(actix_web::http::StatusCode::OK, markup))
}

pub async fn get_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(SCRIPT)
}

pub async fn get_stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}
