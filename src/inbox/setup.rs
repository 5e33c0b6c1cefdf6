//! The first-run setup at `/setup/<token>`: while no reviewer exists, the link `baton serve`
//! printed opens a form that creates the first admin, their team and an API key (through the
//! same `db::accounts` functions the admin API uses), signs the admin in, and shows what to
//! paste into n8n's *Baton API* credential. Once any reviewer exists, every path here is a 404,
//! whatever the token; a wrong token is the same 404.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};

use super::pages::{from_another_site, html as page, session_cookie};
use super::views::{layout, message_page, Chrome};
use crate::auth::hash_password;
use crate::db::accounts::{self, FirstRun};
use crate::domain::accounts::{Label, Password, ReviewerName, TeamName};
use crate::error::{ApiError, Kind};
use crate::state::AppState;

/// The audit trail's actor for what the setup creates.
const ACTOR: &str = "setup";

/// Is setup open to this token? Only the right token costs a database read; once a reviewer
/// exists (created here, on another replica, or with the CLI) the link closes for good.
async fn open_to(state: &AppState, token: &str) -> Result<bool, ApiError> {
    let Some(link) = state.setup.as_ref() else {
        return Ok(false);
    };
    if !link.admits(token) {
        return Ok(false);
    }
    if state.db.read(accounts::any_reviewer).await? {
        link.close();
        return Ok(false);
    }
    Ok(true)
}

/// The one answer for a dead link, a wrong token and a Baton that has reviewers: a page for a
/// browser, a problem document for anything else.
fn not_found(req: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let browser = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !browser {
        return Err(ApiError::not_found("no such page"));
    }
    Ok(page(
        StatusCode::NOT_FOUND,
        message_page(
            "No such page",
            "A setup link works once, and only while Baton has no reviewer. To get in, sign in to the inbox; an admin adds reviewers and API keys under Admin.",
        ),
    ))
}

/// Any other path or method under `/setup`.
pub async fn no_setup(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    not_found(&req)
}

pub async fn get_setup(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !open_to(&state, &token).await? {
        return not_found(&req);
    }
    Ok(page(
        StatusCode::OK,
        form_page(&token, &SetupForm::default(), &Errors::default()),
    ))
}

pub async fn create_setup(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if !open_to(&state, &token).await? {
        return not_found(&req);
    }
    // As the sign-in form: another site must not post it (it signs the browser in).
    if from_another_site(&req, &state.public_base) {
        return Err(ApiError::forbidden(
            "the setup form is accepted from Baton's own page only",
        ));
    }
    let form = SetupForm::parse(&body);
    let checked = match form.check() {
        Ok(checked) => checked,
        Err(errors) => {
            return Ok(page(
                StatusCode::BAD_REQUEST,
                form_page(&token, &form, &errors),
            ))
        }
    };
    // Argon2 takes tens of milliseconds by design: off the executor, outside the transaction.
    let password = checked.password.expose().to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing failed: {e}")))?
        .map_err(ApiError::internal)?;
    let ttl = state.config.token_ttl;
    let created = state
        .db
        .write(move |conn| {
            let Some(done) = accounts::create_first_admin(
                conn,
                FirstRun {
                    name: &checked.name,
                    display_name: checked.display_name.as_ref(),
                    password_hash: hash,
                    team: &checked.team,
                    key_name: &checked.key_name,
                },
                ACTOR,
            )?
            else {
                return Ok(None);
            };
            let id = done.admin.reviewer.id.clone();
            let (token, _) = accounts::create_token(conn, &id, ttl)?;
            crate::db::routing::online_at_sign_in(conn, &id)?;
            Ok(Some((done, token)))
        })
        .await;
    let (done, sign_in) = match created {
        Ok(Some(created)) => created,
        // Another request (here or on another replica) made the first admin a moment ago.
        Ok(None) => {
            if let Some(link) = &state.setup {
                link.close();
            }
            return not_found(&req);
        }
        // A name the storage refuses (a team and a reviewer may not share one).
        Err(e) if matches!(e.kind, Kind::Conflict | Kind::Validation) => {
            let errors = Errors {
                general: Some(e.detail),
                ..Errors::default()
            };
            return Ok(page(
                StatusCode::BAD_REQUEST,
                form_page(&token, &form, &errors),
            ));
        }
        Err(e) => return Err(e),
    };
    if let Some(link) = &state.setup {
        link.close();
    }
    state.wake_router();
    tracing::info!(admin = %done.admin.reviewer.name, "first-run setup done; the setup link is dead");
    let mut response = page(
        StatusCode::OK,
        done_page(&Done {
            display_name: &done.admin.reviewer.display_name,
            team: done.admin.teams.first().map(String::as_str).unwrap_or(""),
            base_url: &state.public_base,
            api_key: &done.key.key,
            signing_secret: &done.key.row.signing_secret,
        }),
    );
    response
        .add_cookie(&session_cookie(&state, sign_in))
        .map_err(|e| ApiError::internal(anyhow::anyhow!("setting the session cookie: {e}")))?;
    Ok(response)
}

/// The form as sent (every field optional: a missing one is blank).
#[derive(Default)]
struct SetupForm {
    name: String,
    display_name: String,
    password: String,
    password_again: String,
    team: String,
    key_name: String,
}

/// The form's values once checked.
struct Checked {
    name: ReviewerName,
    display_name: Option<Label>,
    password: Password,
    team: TeamName,
    key_name: Label,
}

/// What is wrong with a form, by field, and anything not about one field.
#[derive(Default)]
struct Errors {
    name: Option<String>,
    display_name: Option<String>,
    password: Option<String>,
    password_again: Option<String>,
    team: Option<String>,
    key_name: Option<String>,
    general: Option<String>,
}

impl Errors {
    fn any(&self) -> bool {
        [
            &self.name,
            &self.display_name,
            &self.password,
            &self.password_again,
            &self.team,
            &self.key_name,
            &self.general,
        ]
        .iter()
        .any(|e| e.is_some())
    }
}

impl SetupForm {
    fn parse(body: &[u8]) -> SetupForm {
        let mut form = SetupForm::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            let slot = match key.as_ref() {
                "name" => &mut form.name,
                "display_name" => &mut form.display_name,
                "password" => &mut form.password,
                "password_again" => &mut form.password_again,
                "team" => &mut form.team,
                "key_name" => &mut form.key_name,
                _ => continue,
            };
            *slot = value.into_owned();
        }
        form
    }

    /// The same rules as `baton reviewer add` and the admin API (`domain::accounts`), with
    /// every problem named at once.
    fn check(&self) -> Result<Checked, Box<Errors>> {
        let mut errors = Errors::default();
        let name = ReviewerName::parse(self.name.trim())
            .map_err(|e| errors.name = Some(format!("The sign-in name {e}.")))
            .ok();
        let display_name = if self.display_name.trim().is_empty() {
            None
        } else {
            Label::parse(&self.display_name)
                .map_err(|e| errors.display_name = Some(format!("The display name {e}.")))
                .ok()
        };
        let password = if self.password.contains('\0') {
            errors.password = Some("The password must not contain U+0000.".into());
            None
        } else {
            Password::parse(&self.password)
                .map_err(|e| errors.password = Some(format!("The password {e}.")))
                .ok()
        };
        if password.is_some() && self.password_again != self.password {
            errors.password_again = Some("The two passwords differ.".into());
        }
        let team = TeamName::parse(self.team.trim())
            .map_err(|e| errors.team = Some(format!("The team name {e}.")))
            .ok();
        if let (Some(n), Some(t)) = (&name, &team) {
            if n.as_str() == t.as_str() {
                errors.team = Some(
                    "The team name must differ from the sign-in name: a takeover's assignee names a team or a reviewer.".into(),
                );
            }
        }
        let key_name = Label::parse(&self.key_name)
            .map_err(|e| errors.key_name = Some(format!("The key's name {e}.")))
            .ok();
        match (name, password, team, key_name) {
            (Some(name), Some(password), Some(team), Some(key_name)) if !errors.any() => {
                Ok(Checked {
                    name,
                    display_name,
                    password,
                    team,
                    key_name,
                })
            }
            _ => Err(Box::new(errors)),
        }
    }
}

/// One labelled field of the form, with its hint and its error.
struct Field<'a> {
    id: &'a str,
    name: &'a str,
    label: &'a str,
    kind: &'a str,
    value: &'a str,
    autocomplete: &'a str,
    hint: Option<&'a str>,
    error: Option<&'a str>,
    required: bool,
}

fn field(f: Field<'_>) -> Markup {
    let hint_id = format!("{}-hint", f.id);
    let error_id = format!("{}-error", f.id);
    let described: Vec<&str> = [
        f.hint.map(|_| hint_id.as_str()),
        f.error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    html! {
        label for=(f.id) { (f.label) }
        input id=(f.id) name=(f.name) type=(f.kind) value=(f.value) autocomplete=(f.autocomplete)
            required[f.required] autocapitalize="none" spellcheck="false"
            aria-invalid=[f.error.map(|_| "true")]
            aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
        @if let Some(hint) = f.hint { p.muted.small id=(hint_id) { (hint) } }
        @if let Some(error) = f.error { p.formerror id=(error_id) { (error) } }
    }
}

fn form_page(token: &str, form: &SetupForm, errors: &Errors) -> Markup {
    let chrome = Chrome {
        title: "Set up Baton",
        reviewer: None,
        csrf: None,
        page: "setup",
        session_id: None,
    };
    let key_name = if form.key_name.is_empty() && !errors.any() {
        "n8n"
    } else {
        form.key_name.as_str()
    };
    let team = if form.team.is_empty() && !errors.any() {
        "support"
    } else {
        form.team.as_str()
    };
    layout(
        &chrome,
        html! {
            section.card.setup {
                h1 { "Set up Baton" }
                p.muted { "This link works once. It creates the first admin (you), your team and an API key for n8n, then shows what to paste into n8n." }
                @if errors.any() {
                    div.error role="alert" {
                        @if let Some(general) = &errors.general { p { (general) } }
                        @else { p { "Some fields need a change; each says what below." } }
                    }
                }
                form method="post" action={ "/setup/" (token) } {
                    fieldset {
                        legend { "You, the first admin" }
                        (field(Field {
                            id: "setup-name", name: "name", label: "Sign-in name", kind: "text",
                            value: &form.name, autocomplete: "username",
                            hint: Some("Letters, digits and . _ - @, no spaces, e.g. alice."),
                            error: errors.name.as_deref(), required: true,
                        }))
                        (field(Field {
                            id: "setup-display-name", name: "display_name", label: "Display name", kind: "text",
                            value: &form.display_name, autocomplete: "name",
                            hint: Some("The name customers see, e.g. Alice (optional: the sign-in name, capitalised)."),
                            error: errors.display_name.as_deref(), required: false,
                        }))
                        (field(Field {
                            id: "setup-password", name: "password", label: "Password", kind: "password",
                            value: "", autocomplete: "new-password",
                            hint: Some("At least 8 characters."),
                            error: errors.password.as_deref(), required: true,
                        }))
                        (field(Field {
                            id: "setup-password-again", name: "password_again", label: "Password again", kind: "password",
                            value: "", autocomplete: "new-password", hint: None,
                            error: errors.password_again.as_deref(), required: true,
                        }))
                    }
                    fieldset {
                        legend { "Your team and n8n" }
                        (field(Field {
                            id: "setup-team", name: "team", label: "Team", kind: "text",
                            value: team, autocomplete: "off",
                            hint: Some("Takeovers name it as their assignee, e.g. support. You are its first member."),
                            error: errors.team.as_deref(), required: true,
                        }))
                        (field(Field {
                            id: "setup-key-name", name: "key_name", label: "Name of the API key", kind: "text",
                            value: key_name, autocomplete: "off",
                            hint: Some("A label for the key n8n will use."),
                            error: errors.key_name.as_deref(), required: true,
                        }))
                    }
                    button.primary type="submit" { "Create admin, team and API key" }
                }
            }
        },
    )
}

/// What the finished setup shows.
struct Done<'a> {
    display_name: &'a str,
    team: &'a str,
    base_url: &'a str,
    api_key: &'a str,
    signing_secret: &'a str,
}

fn done_page(d: &Done<'_>) -> Markup {
    let chrome = Chrome {
        title: "Baton is set up",
        reviewer: None,
        csrf: None,
        page: "setup",
        session_id: None,
    };
    // The labels are the fields of n8n's Baton API credential, word for word.
    let values = [
        ("n8n-base-url", "Base URL", d.base_url),
        ("n8n-api-key", "API Key", d.api_key),
        ("n8n-signing-secret", "Signing Secret", d.signing_secret),
    ];
    layout(
        &chrome,
        html! {
            section.card.setup {
                h1 { "Baton is set up" }
                p { "You are signed in as " strong { (d.display_name) } ", an admin, in team " strong { (d.team) } ". This setup link no longer works." }
                section.panel.secret aria-labelledby="n8n-title" {
                    h2 #n8n-title { "Paste these into n8n" }
                    p.small { "In n8n, add a credential of type " strong { "Baton API" } " and fill in its three fields. The API key and the signing secret are shown only now; an admin can make new keys under Admin · API keys." }
                    @for (id, label, value) in values {
                        label for=(id) { (label) }
                        div.row2 {
                            input id=(id) readonly value=(value) spellcheck="false" autocomplete="off";
                            button type="button" data-copy=(id) { "Copy " span.visually-hidden { (label) } }
                        }
                    }
                    p.muted.small { "Base URL is where n8n reaches Baton. If n8n runs on another machine or in a container, 127.0.0.1 there is not this Baton: use the address n8n reaches it at (and set BATON_PUBLIC_URL to it, so links in callbacks work too)." }
                }
                p { a.button href="/inbox" { "Open the inbox" } }
            }
        },
    )
}
