//! Canned responses: team-wide ones (admins) and personal ones (their owner), who sees which,
//! problems for bad input, the audit trail, and the conversation page that offers them to the
//! reply box with the conversation's values filled in.

use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{assert_problem, enc, spawn_app, Backend, TestApp};

backend_tests!(
    admins_manage_team_wide_canned_responses_that_the_teams_members_can_use,
    reviewers_manage_their_own_personal_canned_responses_and_nobody_else_sees_them,
    a_reviewer_who_is_not_an_admin_cannot_create_or_change_a_team_wide_one,
    a_shortcut_is_unique_within_its_team_and_within_its_owners_own,
    bad_shortcuts_long_or_empty_texts_and_nul_are_refused_with_problems,
    api_keys_and_strangers_are_refused,
    the_conversation_page_offers_its_canned_responses_filled_in,
    the_inbox_cookie_needs_its_csrf_token_to_change_canned_responses,
);

const PATH: &str = "/v1/canned-responses";

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, created) = app.post(PATH, token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    created
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (s, body) = app.get(&format!("{PATH}{query}"), token).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body.as_array().expect("a list").clone()
}

fn shortcuts(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|c| c["shortcut"].as_str().unwrap())
        .collect()
}

async fn patch(app: &TestApp, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    app.send(Method::PATCH, &format!("{PATH}/{id}"), token, body)
        .await
}

async fn delete(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    let r = app
        .client
        .delete(app.url(&format!("{PATH}/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    crate::helpers::read(r).await
}

async fn admins_manage_team_wide_canned_responses_that_the_teams_members_can_use(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;

    let refund = create(
        &app,
        &root,
        json!({"shortcut": "refund-policy", "title": "Refund policy",
               "content": "Hi {customer_name}, {reviewer} from {team}: refunds take 5 days.",
               "team": "support"}),
    )
    .await;
    assert_eq!(refund["scope"], "team");
    assert_eq!(refund["team"], "support");
    assert!(refund.get("owner").is_none(), "{refund}");
    assert_eq!(
        refund["content"], "Hi {customer_name}, {reviewer} from {team}: refunds take 5 days.",
        "stored as written; filled in per conversation"
    );
    let id = refund["id"].as_str().unwrap().to_string();
    create(
        &app,
        &root,
        json!({"shortcut": "invoice", "title": "Invoice", "content": "See your invoice.",
               "team": "billing"}),
    )
    .await;

    // alice (support) sees support's, not billing's; carol (billing) the other way round;
    // the admin sees both.
    assert_eq!(shortcuts(&list(&app, &alice, "").await), ["refund-policy"]);
    assert_eq!(shortcuts(&list(&app, &carol, "").await), ["invoice"]);
    assert_eq!(
        shortcuts(&list(&app, &root, "").await),
        ["invoice", "refund-policy"],
        "team-wide ones by team name"
    );
    assert_eq!(
        shortcuts(&list(&app, &root, "?team=support").await),
        ["refund-policy"]
    );
    assert!(list(&app, &alice, "?team=billing").await.is_empty());
    assert!(list(&app, &root, "?team=nobody").await.is_empty());

    // Changed and deleted by an admin, with audit entries naming them.
    let (s, changed) = patch(
        &app,
        &root,
        &id,
        json!({"title": "Refunds", "content": "Refunds take 3 days.", "shortcut": null}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    assert_eq!(changed["title"], "Refunds");
    assert_eq!(changed["content"], "Refunds take 3 days.");
    assert_eq!(changed["shortcut"], "refund-policy", "null keeps a value");
    assert_eq!(list(&app, &alice, "").await[0]["title"], "Refunds");
    let (s, body) = delete(&app, &root, &id).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    assert!(list(&app, &alice, "").await.is_empty());
    let (s, body) = delete(&app, &root, &id).await;
    assert_problem(s, &body, StatusCode::NOT_FOUND, "not-found");

    let (s, audit) = app.get("/v1/audit?limit=500", &app.api_key).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let actions: Vec<(String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["action"]
                .as_str()
                .unwrap()
                .starts_with("canned_response.")
        })
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let root_did = |a: &str| (a.to_string(), "reviewer:root".to_string());
    assert_eq!(
        actions,
        [
            root_did("canned_response.created"),
            root_did("canned_response.created"),
            root_did("canned_response.updated"),
            root_did("canned_response.deleted"),
        ]
    );
}

async fn reviewers_manage_their_own_personal_canned_responses_and_nobody_else_sees_them(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;

    let mine = create(
        &app,
        &alice,
        json!({"shortcut": "hello", "title": "Greeting", "content": "Hello, I'm {reviewer}."}),
    )
    .await;
    assert_eq!(mine["scope"], "personal");
    assert_eq!(mine["owner"], "alice");
    assert!(mine.get("team").is_none(), "{mine}");
    let id = mine["id"].as_str().unwrap().to_string();
    create(
        &app,
        &root,
        json!({"shortcut": "wait", "title": "Wait", "content": "One moment.", "team": "support"}),
    )
    .await;

    // bob is in alice's team but sees only the team's, not her personal one.
    assert_eq!(shortcuts(&list(&app, &bob, "").await), ["wait"]);
    assert_eq!(shortcuts(&list(&app, &alice, "").await), ["wait", "hello"]);
    // The admin sees every one, personal ones included, to manage them.
    assert_eq!(shortcuts(&list(&app, &root, "").await), ["wait", "hello"]);

    // Another reviewer cannot change or delete it: for them it does not exist.
    let (s, body) = patch(&app, &bob, &id, json!({"title": "Mine now"})).await;
    assert_problem(s, &body, StatusCode::NOT_FOUND, "not-found");
    let (s, body) = delete(&app, &bob, &id).await;
    assert_problem(s, &body, StatusCode::NOT_FOUND, "not-found");

    // Its owner changes and deletes it.
    let (s, changed) = patch(&app, &alice, &id, json!({"shortcut": "hi"})).await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    assert_eq!(changed["shortcut"], "hi");
    assert_eq!(changed["title"], "Greeting");
    let (s, same) = patch(&app, &alice, &id, json!({})).await;
    assert_eq!(s, StatusCode::OK, "an empty change changes nothing: {same}");
    assert_eq!(same["shortcut"], "hi");
    let (s, _) = delete(&app, &alice, &id).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(shortcuts(&list(&app, &alice, "").await), ["wait"]);

    // An admin may tidy a reviewer's personal one.
    let other = create(
        &app,
        &bob,
        json!({"shortcut": "bye", "title": "Bye", "content": "Bye!"}),
    )
    .await;
    let (s, _) = delete(&app, &root, other["id"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(shortcuts(&list(&app, &bob, "").await) == ["wait"]);

    // An id that is not one is simply not found.
    let (s, body) = patch(&app, &alice, "not-an-id", json!({"title": "x"})).await;
    assert_problem(s, &body, StatusCode::NOT_FOUND, "not-found");
}

async fn a_reviewer_who_is_not_an_admin_cannot_create_or_change_a_team_wide_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;

    let (s, body) = app
        .post(
            PATH,
            &alice,
            json!({"shortcut": "x", "title": "X", "content": "x", "team": "support"}),
        )
        .await;
    assert_problem(s, &body, StatusCode::FORBIDDEN, "forbidden");
    assert!(list(&app, &alice, "").await.is_empty(), "nothing was made");

    let team = create(
        &app,
        &root,
        json!({"shortcut": "x", "title": "X", "content": "x", "team": "support"}),
    )
    .await;
    let id = team["id"].as_str().unwrap();
    // alice may use it but not change it; carol (billing) does not see it at all.
    let (s, body) = patch(&app, &alice, id, json!({"title": "Y"})).await;
    assert_problem(s, &body, StatusCode::FORBIDDEN, "forbidden");
    let (s, body) = delete(&app, &alice, id).await;
    assert_problem(s, &body, StatusCode::FORBIDDEN, "forbidden");
    let (s, body) = patch(&app, &carol, id, json!({"title": "Y"})).await;
    assert_problem(s, &body, StatusCode::NOT_FOUND, "not-found");
    assert_eq!(list(&app, &alice, "").await[0]["title"], "X");

    // An unknown team is a bad field, as elsewhere.
    let (s, body) = app
        .post(
            PATH,
            &root,
            json!({"shortcut": "x", "title": "X", "content": "x", "team": "nobody"}),
        )
        .await;
    assert_problem(s, &body, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(body["errors"][0]["field"], "team", "{body}");
}

async fn a_shortcut_is_unique_within_its_team_and_within_its_owners_own(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let body = |team: Option<&str>| {
        json!({"shortcut": "refund", "title": "Refund", "content": "Refunds take 5 days.",
               "team": team})
    };

    create(&app, &root, body(Some("support"))).await;
    let (s, problem) = app.post(PATH, &root, body(Some("support"))).await;
    assert_problem(s, &problem, StatusCode::CONFLICT, "conflict");
    // The same shortcut in another team, and as anyone's personal one, is fine.
    create(&app, &root, body(Some("billing"))).await;
    let alices = create(&app, &alice, body(None)).await;
    create(&app, &bob, body(None)).await;
    let (s, problem) = app.post(PATH, &alice, body(None)).await;
    assert_problem(s, &problem, StatusCode::CONFLICT, "conflict");

    // Renaming onto a taken shortcut is refused too; onto its own shortcut is no change.
    let other = create(
        &app,
        &alice,
        json!({"shortcut": "other", "title": "Other", "content": "Other."}),
    )
    .await;
    let (s, problem) = patch(
        &app,
        &alice,
        other["id"].as_str().unwrap(),
        json!({"shortcut": "refund"}),
    )
    .await;
    assert_problem(s, &problem, StatusCode::CONFLICT, "conflict");
    let (s, same) = patch(
        &app,
        &alice,
        alices["id"].as_str().unwrap(),
        json!({"shortcut": "refund", "title": "Refunds"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{same}");

    // Racing creations of one shortcut: exactly one wins, the others get 409, none a 500.
    let tries = (0..6).map(|_| {
        app.post(
            PATH,
            &bob,
            json!({"shortcut": "race", "title": "R", "content": "r"}),
        )
    });
    let answers = futures_util::future::join_all(tries).await;
    let won = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(won, 1, "{answers:?}");
    for (s, problem) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_problem(*s, problem, StatusCode::CONFLICT, "conflict");
    }
}

async fn bad_shortcuts_long_or_empty_texts_and_nul_are_refused_with_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.login("alice").await;
    let good = json!({"shortcut": "ok", "title": "OK", "content": "fine"});
    let with = |field: &str, value: Value| {
        let mut b = good.clone();
        b[field] = value;
        b
    };
    for (body, field) in [
        (with("shortcut", json!("Refund")), "shortcut"),
        (with("shortcut", json!("refund policy")), "shortcut"),
        (with("shortcut", json!("")), "shortcut"),
        (with("shortcut", json!("x".repeat(41))), "shortcut"),
        (with("title", json!("   ")), "title"),
        (with("title", json!("t".repeat(101))), "title"),
        (with("content", json!("c".repeat(4001))), "content"),
        (with("content", json!(" \n ")), "content"),
        (with("content", json!("a\u{0}b")), "content"),
        (with("title", json!("a\u{0}b")), "title"),
    ] {
        let (s, problem) = app.post(PATH, &alice, body.clone()).await;
        assert_problem(s, &problem, StatusCode::BAD_REQUEST, "validation");
        assert_eq!(problem["errors"][0]["field"], field, "{body} → {problem}");
    }
    let (s, problem) = app.post(PATH, &alice, json!({"shortcut": "ok"})).await;
    assert_problem(s, &problem, StatusCode::BAD_REQUEST, "validation");
    let (s, problem) = app.post(PATH, &alice, with("colour", json!("red"))).await;
    assert_problem(s, &problem, StatusCode::BAD_REQUEST, "validation");
    // Exactly at the limits is fine.
    let created = create(
        &app,
        &alice,
        json!({"shortcut": "x".repeat(40), "title": "t".repeat(100), "content": "é".repeat(4000)}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let (s, problem) = patch(&app, &alice, id, json!({"content": "c".repeat(4001)})).await;
    assert_problem(s, &problem, StatusCode::BAD_REQUEST, "validation");
    let (s, problem) = patch(&app, &alice, id, json!({"shortcut": "A B"})).await;
    assert_problem(s, &problem, StatusCode::BAD_REQUEST, "validation");
    assert!(list(&app, &alice, "").await.len() == 1);
}

async fn api_keys_and_strangers_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"shortcut": "x", "title": "X", "content": "x", "team": "support"});
    let (s, problem) = app.post(PATH, &app.api_key, body.clone()).await;
    assert_problem(s, &problem, StatusCode::FORBIDDEN, "forbidden");
    let (s, problem) = app.get(PATH, &app.api_key).await;
    assert_problem(s, &problem, StatusCode::FORBIDDEN, "forbidden");
    let (s, problem) = app.get(PATH, "nonsense").await;
    assert_problem(s, &problem, StatusCode::UNAUTHORIZED, "unauthorized");
}

/// A cookie session of a reviewer, and the page's CSRF token.
async fn cookie_and_page(app: &TestApp, name: &str, path: &str) -> (String, String) {
    let token = app.login(name).await;
    let cookie = format!("baton_session={token}");
    let page = app
        .client
        .get(app.url(path))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    (cookie, page.text().await.unwrap())
}

/// The JSON data block the reply box reads.
fn canned_block(html: &str) -> Value {
    let marker = r#"<script id="canned-data" type="application/json">"#;
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no canned data in {html}"))
        + marker.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

async fn the_conversation_page_offers_its_canned_responses_filled_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;
    create(
        &app,
        &root,
        json!({"shortcut": "refund", "title": "Refund <policy>",
               "content": "Hi {customer_name}, {reviewer} from {team} here. {order} & </script>",
               "team": "support"}),
    )
    .await;
    create(
        &app,
        &root,
        json!({"shortcut": "invoice", "title": "Invoice", "content": "x", "team": "billing"}),
    )
    .await;
    create(
        &app,
        &alice,
        json!({"shortcut": "mine", "title": "Mine", "content": "— {reviewer}"}),
    )
    .await;
    create(
        &app,
        &carol,
        json!({"shortcut": "carols", "title": "Carol's", "content": "c"}),
    )
    .await;

    let session = "canned 1";
    let (s, _) = app
        .post(
            &format!("/v1/sessions/{}/messages", enc(session)),
            &app.api_key,
            json!({"sender": "user", "content": "hi", "user_id": "dana-42"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, t) = app
        .takeover(session, "http://127.0.0.1:9/hook", json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, _) = app
        .post(
            &format!("/v1/sessions/{}/claim", enc(session)),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (_, html) =
        cookie_and_page(&app, "alice", &format!("/inbox/sessions/{}", enc(session))).await;
    assert!(
        !html.contains("</script>\","),
        "the data block cannot be closed by a text"
    );
    let offered = canned_block(&html);
    let offered = offered.as_array().unwrap();
    // Her own and the conversation's team's (support), not billing's or carol's.
    let names: Vec<&str> = offered
        .iter()
        .map(|c| c["shortcut"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mine", "refund"]);
    assert_eq!(offered[0]["text"], "— Alice");
    assert_eq!(offered[1]["title"], "Refund <policy>");
    assert_eq!(
        offered[1]["text"], "Hi dana-42, Alice from support here. {order} & </script>",
        "the user id stands in for the customer's name; unknown variables stay"
    );
    assert!(html.contains(r#"aria-controls="canned-list""#), "{html}");
}

async fn the_inbox_cookie_needs_its_csrf_token_to_change_canned_responses(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cookie, html) = cookie_and_page(&app, "alice", "/inbox/canned").await;
    assert!(html.contains("Add a canned response"), "{html}");
    let marker = r#"<meta name="csrf-token" content=""#;
    let start = html.find(marker).unwrap() + marker.len();
    let csrf = html[start..].split('"').next().unwrap().to_string();
    let body = json!({"shortcut": "hi", "title": "Hi", "content": "Hi!"});
    let post = |csrf: Option<&str>| {
        let mut r = app
            .client
            .post(app.url(PATH))
            .header(COOKIE, &cookie)
            .json(&body);
        if let Some(c) = csrf {
            r = r.header("X-CSRF-Token", c);
        }
        r.send()
    };
    let (s, problem) = crate::helpers::read(post(None).await.unwrap()).await;
    assert_problem(s, &problem, StatusCode::FORBIDDEN, "forbidden");
    let (s, created) = crate::helpers::read(post(Some(&csrf)).await.unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (_, html) = cookie_and_page(&app, "alice", "/inbox/canned").await;
    assert!(html.contains("/hi"), "the page lists it: {html}");
}
