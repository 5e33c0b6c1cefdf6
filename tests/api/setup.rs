//! The first-run setup: a Baton without reviewers prints a one-time link whose page makes the
//! first admin, their team and an API key, signs the admin in and shows what n8n needs; after
//! that, and on a Baton that has reviewers, every setup path is a 404.

use std::time::Instant;

use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{
    baton_cli, read, spawn_app, spawn_new_app, verify_signature, Backend, Received, TestApp,
    PASSWORD,
};

backend_tests!(
    a_new_baton_prints_a_setup_link_that_makes_the_first_admin_team_and_key_once,
    a_wrong_setup_token_is_a_404_and_leaves_the_link_working,
    a_baton_with_reviewers_prints_no_link_and_every_setup_path_is_a_404,
    a_reviewer_added_with_the_cli_kills_the_setup_link,
    the_first_reviewer_kills_every_replicas_link_and_setups_at_once_make_one_admin,
    bad_setup_input_gets_a_form_error_and_creates_nothing,
    the_setup_form_refuses_posts_from_other_sites,
);

/// What a browser sends for a page.
const HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// A page or form answer: status, headers, body text.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn content_type(&self) -> &str {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the `<input>` with this id.
    fn input(&self, id: &str) -> String {
        let re = regex::Regex::new(&format!(r#"<input id="{id}"[^>]*\svalue="([^"]*)""#)).unwrap();
        re.captures(&self.text)
            .unwrap_or_else(|| panic!("no input #{id} with a value in:\n{}", self.text))[1]
            .to_string()
    }

    /// The inbox session the answer set, as a `Cookie` header value.
    fn session(&self) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("baton_session=brt_"))
            .map(|c| c.split(';').next().unwrap().to_string())
    }
}

async fn answer(r: reqwest::RequestBuilder) -> Answer {
    let r = r.send().await.expect("request");
    Answer {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap_or_default(),
    }
}

/// A GET of the link as a browser makes it.
async fn open(app: &TestApp, link: &str) -> Answer {
    answer(app.client.get(link).header(ACCEPT, HTML)).await
}

/// The form as Chromium posts it from the page itself.
async fn submit(app: &TestApp, link: &str, fields: &[(&str, &str)]) -> Answer {
    answer(
        app.client
            .post(link)
            .header(ACCEPT, HTML)
            .header("sec-fetch-site", "same-origin")
            .header("origin", "null")
            .form(fields),
    )
    .await
}

/// A complete, valid form for an admin `name` in team `team`.
fn valid<'a>(name: &'a str, team: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("name", name),
        ("display_name", "Ada Lovelace"),
        ("password", PASSWORD),
        ("password_again", PASSWORD),
        ("team", team),
        ("key_name", "n8n"),
    ]
}

/// The single setup link the app printed.
fn the_link(app: &TestApp) -> String {
    let links = app.setup_links();
    assert_eq!(links.len(), 1, "one setup link in the log:\n{}", app.log());
    links[0].clone()
}

/// Asserts that the link is dead: a page for a browser, a problem document for others, and a
/// POST of a valid form creates nothing.
async fn assert_dead(app: &TestApp, link: &str) {
    let page = open(app, link).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text);
    assert!(
        page.content_type().starts_with("text/html"),
        "{}",
        page.content_type()
    );
    assert!(page.text.contains("No such page"), "{}", page.text);
    let (status, body) = read(app.client.get(link).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["type"], "/problems/not-found", "{body}");
    let posted = submit(app, link, &valid("mallory", "evil")).await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND, "{}", posted.text);
    assert!(posted.session().is_none());
    assert!(!posted.text.contains("bk_"));
}

/// Names of what an admin token lists at `path` (reviewers, teams, API keys).
async fn names(app: &TestApp, admin: &str, path: &str) -> Vec<String> {
    let (s, list) = app.get(path, admin).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

async fn a_new_baton_prints_a_setup_link_that_makes_the_first_admin_team_and_key_once(
    backend: Backend,
) {
    let mut app = spawn_new_app(backend).await;
    let link = the_link(&app);
    let token = link
        .strip_prefix(&format!("{}/setup/", app.base))
        .unwrap_or_else(|| panic!("{link} is not under {}", app.base))
        .to_string();
    assert!(token.len() >= 43, "a long random token: {token}");
    let log = app.log();
    assert!(log.contains("Baton has no reviewer yet"), "{log}");
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains(&format!("setup_link={link}"))),
        "a log line with the link:\n{log}"
    );

    // The page: a form, under the inbox's security headers.
    let page = open(&app, &link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.content_type().starts_with("text/html"));
    assert!(
        page.text.contains(&format!(r#"action="/setup/{token}""#)),
        "{}",
        page.text
    );
    assert!(page
        .header("content-security-policy")
        .contains("script-src 'self'"));
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert_eq!(page.header("cache-control"), "no-store");

    // Submitting it makes the admin, the team and the key, and signs the admin in.
    let done = submit(&app, &link, &valid("ada", "Front desk")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.header("cache-control"), "no-store");
    let base_url = done.input("n8n-base-url");
    let key = done.input("n8n-api-key");
    let secret = done.input("n8n-signing-secret");
    assert_eq!(base_url, app.base);
    assert!(key.starts_with("bk_"), "{key}");
    assert!(secret.starts_with("whsec_"), "{secret}");
    for label in ["Base URL", "API Key", "Signing Secret"] {
        assert!(
            done.text.contains(&format!(">{label}</label>")),
            "n8n's field name {label} labels its value"
        );
    }
    assert_eq!(
        done.text.matches("data-copy=").count(),
        3,
        "a copy button each"
    );

    // The key works, and the signing secret is the key's.
    let (s, me) = app.get("/v1/me", &key).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["kind"], "api_key");
    assert_eq!(me["name"], "n8n");
    let (s, test) = app.post("/v1/signature-tests", &key, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{test}");
    let raw = test["body"].as_str().unwrap().to_string();
    let signed = Received {
        path: String::new(),
        webhook_id: test["webhook_id"].as_str().unwrap().to_string(),
        timestamp: test["webhook_timestamp"].as_str().unwrap().to_string(),
        signature: test["webhook_signature"].as_str().unwrap().to_string(),
        body: serde_json::from_str(&raw).unwrap(),
        raw,
        at: Instant::now(),
    };
    assert!(
        verify_signature(&secret, &signed),
        "the shown secret verifies"
    );

    // The browser is signed in as the new admin, in the new team.
    let cookie = done.session().expect("a session cookie");
    let me: Value = app
        .client
        .get(app.url("/v1/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["kind"], "reviewer", "{me}");
    assert_eq!(me["reviewer"]["name"], "ada");
    assert_eq!(me["reviewer"]["display_name"], "Ada Lovelace");
    assert_eq!(me["reviewer"]["is_admin"], true);
    assert_eq!(me["reviewer"]["teams"], json!(["Front desk"]));
    let queue = answer(app.client.get(app.url("/inbox")).header("cookie", &cookie)).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.text.contains("Ada Lovelace"), "{}", queue.text);

    // The password works at the sign-in, and exactly one of each thing exists.
    let admin = app.login("ada").await;
    assert_eq!(names(&app, &admin, "/v1/reviewers").await, ["ada"]);
    assert_eq!(names(&app, &admin, "/v1/teams").await, ["Front desk"]);
    assert_eq!(names(&app, &admin, "/v1/api-keys").await, ["n8n"]);
    let (s, audit) = app.get("/v1/audit?limit=50", &admin).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let by_setup = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "setup")
        .count();
    assert_eq!(
        by_setup, 3,
        "team, reviewer and key are in the audit trail: {audit}"
    );

    // The link is dead now, and stays dead across a restart (which prints no new one).
    assert_dead(&app, &link).await;
    app.restart();
    assert_eq!(app.setup_links(), [link.as_str()], "{}", app.log());
    assert_dead(&app, &app.url(&format!("/setup/{token}"))).await;
    assert_eq!(names(&app, &admin, "/v1/reviewers").await, ["ada"]);
}

async fn a_wrong_setup_token_is_a_404_and_leaves_the_link_working(backend: Backend) {
    let app = spawn_new_app(backend).await;
    let link = the_link(&app);
    let token = link.rsplit('/').next().unwrap();
    let mut wrong = token.to_string();
    let last = if wrong.ends_with('A') { "B" } else { "A" };
    wrong.replace_range(wrong.len() - 1.., last);
    for path in [
        format!("/setup/{wrong}"),
        format!("/setup/{}", &token[..token.len() - 1]),
        format!("/setup/{token}x"),
        format!("/setup/{token}/"),
        "/setup/".to_string(),
        "/setup".to_string(),
    ] {
        assert_dead(&app, &app.url(&path)).await;
    }
    // The right token still works, and still makes the admin.
    let page = open(&app, &link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let done = submit(&app, &link, &valid("ada", "support")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let admin = app.login("ada").await;
    assert_eq!(names(&app, &admin, "/v1/reviewers").await, ["ada"]);
}

async fn a_baton_with_reviewers_prints_no_link_and_every_setup_path_is_a_404(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.setup_links().is_empty(), "{}", app.log());
    assert!(!app.log().contains("/setup/"), "{}", app.log());
    let random = "q8Yk3nB0vC2xZ7wL5tR9pM1sD4fG6hJ0kA2zX8cV3bN";
    for path in [
        format!("/setup/{random}"),
        "/setup/x".to_string(),
        "/setup".to_string(),
    ] {
        assert_dead(&app, &app.url(&path)).await;
    }
    let root = app.login("root").await;
    assert_eq!(
        names(&app, &root, "/v1/reviewers").await,
        ["alice", "bob", "carol", "root"],
        "nothing was added"
    );
}

/// A reviewer made another way (here the CLI, as on another replica's database) closes the
/// link of a running process: it asks the database, not only itself.
async fn a_reviewer_added_with_the_cli_kills_the_setup_link(backend: Backend) {
    let app = spawn_new_app(backend).await;
    let link = the_link(&app);
    assert_eq!(open(&app, &link).await.status, StatusCode::OK);
    baton_cli(
        &app.db,
        &[
            "reviewer",
            "add",
            "--name",
            "root",
            "--team",
            "ops",
            "--password",
            PASSWORD,
            "--admin",
        ],
    );
    assert_dead(&app, &link).await;
    let root = app.login("root").await;
    assert_eq!(names(&app, &root, "/v1/reviewers").await, ["root"]);
    assert!(names(&app, &root, "/v1/api-keys").await.is_empty());
}

/// Every replica prints its own link (PostgreSQL; one SQLite file belongs to one process), and
/// the first admin made through any of them kills them all. Forms sent at the same moment make
/// one admin; the others are 404s.
async fn the_first_reviewer_kills_every_replicas_link_and_setups_at_once_make_one_admin(
    backend: Backend,
) {
    let app = spawn_new_app(backend).await;
    let replica = (backend == Backend::Postgres).then(|| app.spawn_replica());
    let links = match &replica {
        Some(replica) => {
            let links = app.setup_links();
            assert_eq!(
                links.len(),
                2,
                "each process prints its own link:\n{}",
                app.log()
            );
            assert!(links[1].starts_with(&replica.base), "{links:?}");
            links
        }
        None => vec![the_link(&app); 2],
    };
    // Both links work until a reviewer exists.
    for link in &links {
        assert_eq!(open(&app, link).await.status, StatusCode::OK, "{link}");
    }
    // Four forms at the same moment through the first link: one admin is made, the other forms
    // find the link dead (without the lock, PostgreSQL's transactions would each see no
    // reviewer and make one). The second process never hears of it but from the database.
    let people = [
        ("ada", "support"),
        ("grace", "billing"),
        ("hedy", "sales"),
        ("joan", "ops"),
    ];
    let forms: Vec<_> = people
        .iter()
        .map(|(name, team)| valid(name, team))
        .collect();
    let answers =
        futures_util::future::join_all(forms.iter().map(|form| submit(&app, &links[0], form)))
            .await;
    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status).collect();
    let won: Vec<&str> = people
        .iter()
        .zip(&answers)
        .filter(|(_, a)| a.status == StatusCode::OK)
        .map(|((name, _), _)| *name)
        .collect();
    assert_eq!(won.len(), 1, "one setup wins: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::NOT_FOUND),
        "the others are 404s: {statuses:?}"
    );
    let winner = won[0];
    let admin = app.login(winner).await;
    assert_eq!(names(&app, &admin, "/v1/reviewers").await, [winner]);
    assert_eq!(names(&app, &admin, "/v1/api-keys").await, ["n8n"]);
    assert_eq!(names(&app, &admin, "/v1/teams").await.len(), 1);
    // And both replicas' links are dead, the one that took no form first.
    assert_dead(&app, &links[1]).await;
    assert_dead(&app, &links[0]).await;
}

/// What is wrong, the fields that make it so, and the message the form shows.
type BadInput = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

async fn bad_setup_input_gets_a_form_error_and_creates_nothing(backend: Backend) {
    let app = spawn_new_app(backend).await;
    let link = the_link(&app);
    let cases: Vec<BadInput> = vec![
        (
            "blank name",
            vec![("name", "  ")],
            "The sign-in name must be 1 to 100 characters",
        ),
        (
            "a name with a space",
            vec![("name", "ada lovelace")],
            "The sign-in name may hold letters, digits and . _ - @ only",
        ),
        (
            "a short password",
            vec![("password", "short"), ("password_again", "short")],
            "The password must be at least 8 characters",
        ),
        (
            "passwords that differ",
            vec![("password_again", "another long password")],
            "The two passwords differ",
        ),
        (
            "a team name with a slash",
            vec![("team", "support/tier2")],
            "The team name must not contain control characters or `/`",
        ),
        (
            "a blank team",
            vec![("team", "")],
            "The team name must be 1 to 100 characters",
        ),
        (
            "a team named like the admin",
            vec![("team", "ada")],
            "The team name must differ from the sign-in name",
        ),
        (
            "a blank key name",
            vec![("key_name", " ")],
            "The key's name must be 1 to 100 characters",
        ),
        (
            "nothing at all",
            vec![],
            "The sign-in name must be 1 to 100 characters",
        ),
    ];
    for (what, changes, message) in cases {
        let mut fields: Vec<(&str, &str)> = if what == "nothing at all" {
            Vec::new()
        } else {
            valid("ada", "support")
        };
        for (k, v) in changes {
            fields.retain(|(name, _)| *name != k);
            fields.push((k, v));
        }
        let page = submit(&app, &link, &fields).await;
        assert_eq!(
            page.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            page.text
        );
        assert!(page.content_type().starts_with("text/html"), "{what}");
        assert!(
            page.text.contains(message),
            "{what}: no {message:?} in\n{}",
            page.text
        );
        assert!(page.text.contains(r#"role="alert""#), "{what}");
        assert!(page.text.contains(r#"aria-invalid="true""#), "{what}");
        assert!(page.session().is_none(), "{what}: nobody is signed in");
        assert!(
            !page.text.contains(PASSWORD),
            "{what}: the password is not sent back"
        );
        assert!(!page.text.contains("bk_"), "{what}: no key");
    }
    // What was typed comes back (but the passwords).
    let page = submit(&app, &link, &[("name", "ada"), ("team", "Front desk")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(page.input("setup-name"), "ada");
    assert_eq!(page.input("setup-team"), "Front desk");

    // Nothing was made: nobody can sign in, and the link still works, once.
    let (s, _) = app
        .post(
            "/v1/auth/login",
            "",
            json!({"name": "ada", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let done = submit(&app, &link, &valid("grace", "billing")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let admin = app.login("grace").await;
    assert_eq!(names(&app, &admin, "/v1/reviewers").await, ["grace"]);
    assert_eq!(names(&app, &admin, "/v1/teams").await, ["billing"]);
    assert_eq!(names(&app, &admin, "/v1/api-keys").await, ["n8n"]);
}

/// The setup form signs its sender in: like the inbox's sign-in form, another site may not post
/// it, whether the browser says so (Sec-Fetch-Site) or only sends its Origin.
async fn the_setup_form_refuses_posts_from_other_sites(backend: Backend) {
    let app = spawn_new_app(backend).await;
    let link = the_link(&app);
    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site"), ("origin", "null")],
        vec![("origin", "https://attacker.example")],
    ] {
        let mut r = app.client.post(&link).form(&valid("mallory", "evil"));
        for (k, v) in &headers {
            r = r.header(*k, *v);
        }
        let refused = answer(r).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{headers:?}: {}",
            refused.text
        );
        assert!(refused.session().is_none(), "{headers:?}");
    }
    // Nothing was made; the page's own post (Origin is Baton's) still works.
    let (s, _) = app
        .post(
            "/v1/auth/login",
            "",
            json!({"name": "mallory", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let done = answer(
        app.client
            .post(&link)
            .header("origin", &app.base)
            .form(&valid("ada", "support")),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.session().is_some());
}
