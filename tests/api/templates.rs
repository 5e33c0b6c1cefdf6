//! WhatsApp templates: admins register a team's approved templates (each WhatsApp rule refused
//! with a problem naming its field), reviewers list their teams' ones, and a template reply
//! reaches the customer after the 24-hour window with the Cloud API `template` object in its
//! callback, while free text stays refused until the customer answers.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    admins_register_change_and_delete_templates_that_their_teams_reviewers_list,
    each_whatsapp_rule_is_refused_with_a_problem_naming_its_field,
    a_template_reply_after_the_window_reaches_the_receiver_as_a_cloud_api_template,
    missing_or_extra_values_and_another_teams_template_are_refused,
    a_reviewer_of_another_team_cannot_see_or_use_a_template,
);

const PATH: &str = "/v1/whatsapp-templates";

fn order_update(team: &str) -> Value {
    json!({
        "team": team,
        "name": "order_update",
        "language": "en_US",
        "category": "UTILITY",
        "header": {"format": "TEXT", "text": "Order {{1}}"},
        "body": "Hi {{1}}, your order {{2}} is on its way.",
        "footer": "Shop Inc.",
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Thanks"},
            {"type": "URL", "text": "Track it", "url": "https://shop.example/track/{{1}}"},
            {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15550001234"}
        ]
    })
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, created) = app.post(PATH, token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    created
}

async fn delete(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let r = app
        .client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    read(r).await
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|t| format!("{}/{}/{}", t["team"], t["name"], t["language"]).replace('"', ""))
        .collect()
}

async fn admins_register_change_and_delete_templates_that_their_teams_reviewers_list(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;

    let t = create(&app, &root, order_update("support")).await;
    assert_eq!(t["team"], "support");
    assert_eq!(t["category"], "UTILITY");
    assert_eq!(
        t["header"],
        json!({"format": "TEXT", "text": "Order {{1}}"})
    );
    assert_eq!(t["body_parameters"], 2);
    assert_eq!(t["header_parameters"], 1);
    assert_eq!(t["button_parameters"], 1);
    assert_eq!(t["buttons"][1]["url"], "https://shop.example/track/{{1}}");
    let id = t["id"].as_str().unwrap().to_string();
    // The same name in another language, and in another team, are other templates.
    let mut pt = order_update("support");
    pt["language"] = json!("pt_BR");
    pt["body"] = json!("Olá {{1}}, seu pedido {{2}} está a caminho.");
    create(&app, &root, pt).await;
    create(&app, &root, order_update("billing")).await;
    // ...but the same name and language in one team is a conflict.
    let (s, p) = app.post(PATH, &root, order_update("support")).await;
    assert_problem(s, &p, StatusCode::CONFLICT, "conflict");

    let (_, all) = app.get(PATH, &root).await;
    assert_eq!(
        names(&all),
        [
            "billing/order_update/en_US",
            "support/order_update/en_US",
            "support/order_update/pt_BR"
        ]
    );
    let (_, mine) = app.get(PATH, &alice).await;
    assert_eq!(
        names(&mine),
        ["support/order_update/en_US", "support/order_update/pt_BR"]
    );
    let (_, theirs) = app.get(PATH, &carol).await;
    assert_eq!(names(&theirs), ["billing/order_update/en_US"]);
    let (_, filtered) = app.get(&format!("{PATH}?team=billing"), &root).await;
    assert_eq!(names(&filtered), ["billing/order_update/en_US"]);
    let (s, got) = app.get(&format!("{PATH}/{id}"), &alice).await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_eq!(got["body"], t["body"]);

    // Only admins write; reviewers and API keys are refused.
    let (s, p) = app.post(PATH, &alice, order_update("support")).await;
    assert_problem(s, &p, StatusCode::FORBIDDEN, "forbidden");
    let (s, p) = app.post(PATH, &app.api_key, order_update("support")).await;
    assert_problem(s, &p, StatusCode::FORBIDDEN, "forbidden");
    let (s, p) = app.get(PATH, &app.api_key).await;
    assert_problem(s, &p, StatusCode::FORBIDDEN, "forbidden");

    // A replacement: new text, no header or buttons.
    let (s, changed) = app
        .put(
            &format!("{PATH}/{id}"),
            &root,
            json!({"team": "support", "name": "order_update", "language": "en_US",
                   "category": "MARKETING", "body": "Hello {{1}}!"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    assert_eq!(changed["category"], "MARKETING");
    assert_eq!(changed["body_parameters"], 1);
    assert!(changed.get("header").is_none(), "{changed}");
    assert_eq!(changed["buttons"], json!([]));
    // Renaming it onto its pt_BR sibling is a conflict.
    let mut onto = order_update("support");
    onto["language"] = json!("pt_BR");
    let (s, p) = app.put(&format!("{PATH}/{id}"), &root, onto).await;
    assert_problem(s, &p, StatusCode::CONFLICT, "conflict");
    let (s, p) = app
        .put(&format!("{PATH}/{id}"), &alice, order_update("support"))
        .await;
    assert_problem(s, &p, StatusCode::FORBIDDEN, "forbidden");

    let (s, p) = delete(&app, &alice, &format!("{PATH}/{id}")).await;
    assert_problem(s, &p, StatusCode::FORBIDDEN, "forbidden");
    let (s, body) = delete(&app, &root, &format!("{PATH}/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, p) = app.get(&format!("{PATH}/{id}"), &root).await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");
    let (s, p) = delete(&app, &root, &format!("{PATH}/{id}")).await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");

    let actions: Vec<String> = app
        .audit_actions("whatsapp_template.")
        .await
        .iter()
        .map(|e| format!("{} {}", e["action"], e["actor"]).replace('"', ""))
        .collect();
    assert_eq!(
        actions,
        [
            "whatsapp_template.created reviewer:root",
            "whatsapp_template.created reviewer:root",
            "whatsapp_template.created reviewer:root",
            "whatsapp_template.updated reviewer:root",
            "whatsapp_template.deleted reviewer:root",
        ]
    );
}

async fn each_whatsapp_rule_is_refused_with_a_problem_naming_its_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let with = |changes: Value| {
        let mut body = order_update("support");
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!({"name": "Order-Update"}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"language": "english"}), "language"),
        (json!({"language": "en-US"}), "language"),
        (json!({"category": "PROMOTION"}), "category"),
        (json!({"team": "nobody"}), "team"),
        (json!({"body": "Hi {{2}}"}), "body"),
        (json!({"body": "Hi {{1}} and {{3}}"}), "body"),
        (json!({"body": "Hi {{name}}"}), "body"),
        (json!({"body": "x".repeat(1025)}), "body"),
        (json!({"header": {"format": "GIF"}}), "header.format"),
        (json!({"header": {"format": "TEXT"}}), "header.text"),
        (
            json!({"header": {"format": "TEXT", "text": "{{1}} {{2}}"}}),
            "header.text",
        ),
        (
            json!({"header": {"format": "IMAGE", "text": "a picture"}}),
            "header.text",
        ),
        (json!({"footer": "Order {{1}}"}), "footer"),
        (
            json!({"buttons": [{"type": "CALL_ME", "text": "x"}]}),
            "buttons[0].type",
        ),
        (
            json!({"buttons": [{"type": "QUICK_REPLY", "text": "x".repeat(26)}]}),
            "buttons[0].text",
        ),
        (
            json!({"buttons": [{"type": "URL", "text": "Go"}]}),
            "buttons[0].url",
        ),
        (
            json!({"buttons": [{"type": "URL", "text": "Go", "url": "https://x.example/{{1}}/more"}]}),
            "buttons[0].url",
        ),
        (
            json!({"buttons": [{"type": "PHONE_NUMBER", "text": "Call", "phone_number": "call me"}]}),
            "buttons[0].phone_number",
        ),
        (
            json!({"buttons": [
                {"type": "URL", "text": "a", "url": "https://a.example"},
                {"type": "URL", "text": "b", "url": "https://b.example"},
                {"type": "URL", "text": "c", "url": "https://c.example"}]}),
            "buttons",
        ),
    ];
    for (changes, field) in cases {
        let (s, p) = app.post(PATH, &root, with(changes.clone())).await;
        assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
        let fields: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, [field], "{changes}: {p}");
    }
    // Every bad field at once.
    let (s, p) = app
        .post(
            PATH,
            &root,
            with(json!({"name": "Bad Name", "language": "x", "category": "?", "body": "{{2}}"})),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(p["errors"].as_array().unwrap().len(), 4, "{p}");
    let (_, list) = app.get(PATH, &root).await;
    assert_eq!(list, json!([]), "nothing was stored");
}

/// A WhatsApp conversation whose customer last wrote 25 hours ago, claimed by alice, with
/// its callbacks going to `hook`.
async fn closed_window(app: &TestApp, session: &str, hook: &Receiver, assignee: &str) -> String {
    let wrote = chrono::Utc::now() - chrono::Duration::hours(25);
    let (s, state) = app
        .post(
            &format!("/v1/sessions/{session}/messages"),
            &app.api_key,
            json!({"sender": "user", "content": "where is my order?", "channel": "whatsapp",
                   "channel_ref": "+4915112345678", "at": wrote}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{state}");
    let (s, t) = app
        .takeover(
            session,
            &hook.url("/hook"),
            json!({"channel": "whatsapp", "assignee": assignee}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let holder = if assignee == "billing" {
        "carol"
    } else {
        "alice"
    };
    let token = app.login(holder).await;
    let (s, body) = app
        .post(&format!("/v1/sessions/{session}/claim"), &token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    token
}

async fn a_template_reply_after_the_window_reaches_the_receiver_as_a_cloud_api_template(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let hook = Receiver::start();
    let t = create(&app, &root, order_update("support")).await;
    let alice = closed_window(&app, "wa-late", &hook, "support").await;

    // Free text is refused with the window's problem...
    let (s, p) = app
        .post(
            "/v1/sessions/wa-late/replies",
            &alice,
            json!({"content": "Hi Ana"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::CONFLICT, "reply-window-closed");
    assert!(
        p["detail"].as_str().unwrap().contains("template-replies"),
        "{p}"
    );

    // ...a template is not.
    let (s, sent) = app
        .post(
            "/v1/sessions/wa-late/template-replies",
            &alice,
            json!({"template_id": t["id"], "parameters": ["Ana", "#123"],
                   "header_parameters": ["#123"], "button_parameters": ["123"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    let rendered = "Order #123\n\nHi Ana, your order #123 is on its way.\n\nShop Inc.";
    assert_eq!(sent["message"]["content"], rendered);
    assert_eq!(sent["message"]["sender"], "human:alice");
    let expected_template = json!({
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "#123"}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#123"}]},
            {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "123"}]}
        ]
    });
    assert_eq!(sent["message"]["meta"]["kind"], "template");
    assert_eq!(sent["message"]["meta"]["template"], expected_template);
    assert_eq!(sent["message"]["meta"]["template_id"], t["id"]);

    let got = hook
        .wait_for("the template reply", |g| {
            !Receiver::of_type(g, "reply").is_empty()
        })
        .await;
    let reply = &Receiver::of_type(&got, "reply")[0];
    assert!(verify_signature(&app.signing_secret, reply));
    let message = &reply.body["message"];
    assert_eq!(message["id"], sent["message"]["id"]);
    assert_eq!(message["seq"], sent["message"]["seq"]);
    assert_eq!(message["content"], rendered);
    assert_eq!(message["prefixed_content"], format!("[Alice] {rendered}"));
    assert_eq!(message["template"], expected_template, "{message}");
    assert_eq!(message["template_category"], "UTILITY");
    assert_eq!(reply.body["channel"], "whatsapp");
    assert_eq!(reply.body["channel_ref"], "+4915112345678");

    // The turn is in the history, with its template.
    let history = app.history("wa-late").await;
    let last = history.last().unwrap();
    assert_eq!(last["content"], rendered);
    assert_eq!(last["meta"]["template"], expected_template);
    assert_eq!(last["meta"]["template_category"], "UTILITY");

    // Still closed for free text after the template...
    let (s, p) = app
        .post(
            "/v1/sessions/wa-late/replies",
            &alice,
            json!({"content": "anything else?"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::CONFLICT, "reply-window-closed");
    // ...until the customer answers: the window reopens and free text goes out.
    let (s, state) = app
        .post(
            "/v1/sessions/wa-late/messages",
            &app.api_key,
            json!({"sender": "user", "content": "Thanks!", "channel": "whatsapp"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{state}");
    let closes: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(state["reply_window_closes_at"].clone()).unwrap();
    assert!(closes > chrono::Utc::now() + chrono::Duration::hours(23));
    let (s, body) = app
        .post(
            "/v1/sessions/wa-late/replies",
            &alice,
            json!({"content": "You're welcome!"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // A template may be sent while the window is open too, named by name and language;
    // a template without parameters has no components.
    create(
        &app,
        &root,
        json!({"team": "support", "name": "survey", "language": "en", "category": "MARKETING",
               "body": "How did we do?"}),
    )
    .await;
    let (s, sent) = app
        .post(
            "/v1/sessions/wa-late/template-replies",
            &alice,
            json!({"name": "survey", "language": "en"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    let got = hook
        .wait_for("three replies", |g| {
            Receiver::of_type(g, "reply").len() == 3
        })
        .await;
    let replies = Receiver::of_type(&got, "reply");
    assert!(replies[1].body["message"].get("template").is_none());
    assert_eq!(
        replies[2].body["message"]["template"],
        json!({"name": "survey", "language": {"code": "en"}, "components": []})
    );
    assert_eq!(replies[2].body["message"]["template_category"], "MARKETING");
}

async fn missing_or_extra_values_and_another_teams_template_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let hook = Receiver::start();
    let t = create(&app, &root, order_update("support")).await;
    let billing = create(&app, &root, order_update("billing")).await;
    let alice = closed_window(&app, "wa-bad", &hook, "support").await;
    let send = |body: Value| {
        let app = &app;
        let alice = alice.clone();
        async move {
            app.post("/v1/sessions/wa-bad/template-replies", &alice, body)
                .await
        }
    };
    let all = json!({"template_id": t["id"], "parameters": ["Ana", "#1"],
                     "header_parameters": ["#1"], "button_parameters": ["1"]});
    let with = |k: &str, v: Value| {
        let mut b = all.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("parameters", json!(["Ana"])), "parameters"),
        (with("parameters", json!(["Ana", "#1", "x"])), "parameters"),
        (with("header_parameters", json!([])), "header_parameters"),
        (
            with("button_parameters", json!(["1", "2"])),
            "button_parameters",
        ),
        (
            with("parameters", json!(["Ana", "line\nbreak"])),
            "parameters[1]",
        ),
        (with("parameters", json!(["Ana", "  "])), "parameters[1]"),
        (json!({"parameters": []}), "template_id"),
        (with("name", json!("order_update")), "template_id"),
        (json!({"name": "order_update"}), "language"),
        (json!({"name": "nope", "language": "en_US"}), "name"),
        (json!({"name": "Nope!", "language": "en_US"}), "name"),
        (with("template_id", billing["id"].clone()), "template_id"),
        (with("template_id", json!("not-an-id")), "template_id"),
    ] {
        let (s, p) = send(body.clone()).await;
        assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
        assert_eq!(p["errors"][0]["field"], field, "{body}: {p}");
    }
    assert_eq!(
        app.history("wa-bad").await.len(),
        1,
        "nothing refused was recorded"
    );
    // Named by name and language, the conversation's team's template is the one used.
    let (s, sent) = send(json!({"name": "order_update", "language": "en_US",
        "parameters": ["Ana", "#1"], "header_parameters": ["#1"], "button_parameters": ["1"]}))
    .await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["message"]["meta"]["template_id"], t["id"]);
}

async fn a_reviewer_of_another_team_cannot_see_or_use_a_template(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let carol = app.login("carol").await;
    let hook = Receiver::start();
    let support = create(&app, &root, order_update("support")).await;
    let path = format!("{PATH}/{}", support["id"].as_str().unwrap());
    let (s, p) = app.get(&path, &carol).await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");
    let (_, list) = app.get(PATH, &carol).await;
    assert_eq!(list, json!([]));
    let (_, list) = app.get(&format!("{PATH}?team=support"), &carol).await;
    assert_eq!(list, json!([]));
    // carol holds a billing conversation: support's template is not hers to send, by id
    // or by name.
    let carol = closed_window(&app, "wa-billing", &hook, "billing").await;
    let values = json!({"parameters": ["Ana", "#1"], "header_parameters": ["#1"],
                        "button_parameters": ["1"]});
    let mut by_id = values.clone();
    by_id["template_id"] = support["id"].clone();
    let (s, p) = app
        .post("/v1/sessions/wa-billing/template-replies", &carol, by_id)
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let mut by_name = values.clone();
    by_name["name"] = json!("order_update");
    by_name["language"] = json!("en_US");
    let (s, p) = app
        .post("/v1/sessions/wa-billing/template-replies", &carol, by_name)
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(p["errors"][0]["field"], "name");
    // Nor can alice (support) reply in carol's billing conversation at all.
    let alice = app.login("alice").await;
    let mut by_id = values.clone();
    by_id["template_id"] = support["id"].clone();
    let (s, p) = app
        .post("/v1/sessions/wa-billing/template-replies", &alice, by_id)
        .await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");
    assert!(Receiver::of_type(&hook.received(), "reply").is_empty());
}
