//! The reviewer inbox end to end in a real headless Chromium (Debian's `chromium`, driven by
//! `playwright-core` from tests/browser/), against the real binary and a real callback receiver.
//! Without Chromium the test fails under CI and is skipped (with a message) elsewhere.

#[path = "api/helpers.rs"]
#[expect(
    dead_code,
    reason = "shared with the API tests; this test uses a few helpers"
)]
mod helpers;

use std::path::{Path, PathBuf};
use std::process::Command;

use helpers::{spawn_app, spawn_new_app, Backend, Receiver, TestApp, PASSWORD};

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

fn chromium() -> Option<PathBuf> {
    let path =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    path.exists().then_some(path)
}

/// Installs the pinned test packages when they are missing.
fn ensure_packages(dir: &Path) {
    if dir.join("node_modules/playwright-core").exists()
        && dir.join("node_modules/axe-core").exists()
    {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("run npm (Node.js and npm are needed for the browser tests)");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_takes_a_conversation_and_hands_it_back_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            !under_ci(),
            "Chromium is required under CI: apt-get install -y chromium"
        );
        eprintln!("SKIPPED (no Chromium at /usr/bin/chromium; set CHROMIUM or install it)");
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/browser");
    ensure_packages(&dir);

    let app = spawn_app(Backend::Sqlite).await;
    let receiver = Receiver::start();
    let reply = "Hi, I'm looking into parcel 1234 for you right now.";
    let summary =
        "Opened carrier investigation INV-77; tell the customer to expect news within 48 h.";
    let comment = "Lowered to 200: the box was only partly damaged.";
    let out = tokio::process::Command::new("node")
        .arg("inbox.test.mjs")
        .current_dir(&dir)
        .env("BATON_URL", &app.base)
        .env("BATON_API_KEY", &app.api_key)
        .env("BATON_PASSWORD", PASSWORD)
        .env("RECEIVER_URL", receiver.url(""))
        .env("REPLY_TEXT", reply)
        .env("SUMMARY_TEXT", summary)
        .env("APPROVAL_COMMENT", comment)
        .env("ARTIFACTS", root.join("artifacts"))
        .env("CHROMIUM", &chromium)
        .output()
        .await
        .expect("run node");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "the browser tests failed:\n{}\n{}\nbaton log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        app.log()
    );

    // What the reviewer typed reached the integration's webhook, and so did the handback.
    let got = receiver
        .wait_for("the reply and the handback", |got| {
            Receiver::of_type(got, "session.handed_back")
                .iter()
                .any(|r| r.body["summary"] == summary)
        })
        .await;
    let replies = Receiver::of_type(&got, "reply");
    assert_eq!(replies.len(), 1, "exactly one reply was sent");
    assert_eq!(replies[0].body["message"]["content"], reply);
    assert_eq!(replies[0].path, "/reply");
    let handback = Receiver::of_type(&got, "session.handed_back");
    assert_eq!(handback[0].path, "/handback");
    assert_eq!(
        Receiver::of_type(&got, "takeover.claimed").len(),
        1,
        "one claim won"
    );

    // The approval edited in the browser reached the workflow's resume URL.
    let got = receiver
        .wait_for("the approval decision", |got| {
            !Receiver::of_type(got, "approval.decided").is_empty()
        })
        .await;
    let decided = &Receiver::of_type(&got, "approval.decided")[0];
    assert_eq!(decided.path, "/resume");
    assert_eq!(decided.body["decision"], "edit");
    assert_eq!(
        decided.body["edited"],
        serde_json::json!({"refund": {"order": 1234, "amount": 200}})
    );
    assert_eq!(decided.body["comment"], comment);
    assert!(helpers::verify_signature(&app.signing_secret, decided));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_routing_and_a_reviewer_is_offered_a_conversation_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            !under_ci(),
            "Chromium is required under CI: apt-get install -y chromium"
        );
        eprintln!("SKIPPED (no Chromium at /usr/bin/chromium; set CHROMIUM or install it)");
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/browser");
    ensure_packages(&dir);
    let app = spawn_app(Backend::Sqlite).await;
    let receiver = Receiver::start();
    let out = tokio::process::Command::new("node")
        .arg("routing.test.mjs")
        .current_dir(&dir)
        .env("BATON_URL", &app.base)
        .env("BATON_API_KEY", &app.api_key)
        .env("BATON_PASSWORD", PASSWORD)
        .env("RECEIVER_URL", receiver.url(""))
        .env("ARTIFACTS", root.join("artifacts"))
        .env("CHROMIUM", &chromium)
        .output()
        .await
        .expect("run node");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "the routing browser tests failed:\n{}\n{}\nbaton log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        app.log()
    );
    // The claim in the browser reached the integration.
    receiver
        .wait_for("the claim", |got| {
            !Receiver::of_type(got, "takeover.claimed").is_empty()
        })
        .await;
}

/// The reviewer workspace (issue 14): no sideways scrolling on a phone or a laptop, times in
/// the reviewer's zone, approvals that preselect the request's default and show what was
/// decided, keyboard shortcuts, the small fixes, and a page that says when its conversation
/// moved away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reviewer_workspace_fits_phones_speaks_local_time_and_has_shortcuts_in_chromium() {
    let Some((_app, receiver)) = run_script("workspace.test.mjs", "workspace").await else {
        return;
    };
    // The decision edited in the browser reached the workflow with its comment.
    let got = receiver
        .wait_for("the approval decision", |got| {
            !Receiver::of_type(got, "approval.decided").is_empty()
        })
        .await;
    let decided = &Receiver::of_type(&got, "approval.decided")[0];
    assert_eq!(decided.body["decision"], "edit");
    assert_eq!(decided.body["comment"], "Half, as agreed on the phone.");
}

/// Search (issue 14): a reviewer finds a closed conversation by a word in it and opens it, with
/// its earlier handoffs; the search page fits a phone and a laptop and is axe-clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_searches_a_word_and_opens_the_closed_conversation_in_chromium() {
    run_script("search.test.mjs", "search").await;
}

/// Replies from outside Baton (issue 16): a `staff:Maria` turn shows as "Answered outside Baton
/// by Maria" in the list and on the conversation, a reviewer claims it from the page, and an
/// admin sets the team's quiet time; every page fits a phone and a laptop, axe-clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_answered_outside_baton_says_so_and_can_be_claimed_in_chromium() {
    run_script("staff.test.mjs", "outside-Baton").await;
}

/// Runs `script` in `tests/browser` against a fresh Baton on SQLite (with an API key, the test
/// reviewers and a callback receiver) and fails with both logs when it does; `None` when there
/// is no Chromium outside CI.
async fn run_script(script: &str, what: &str) -> Option<(TestApp, Receiver)> {
    run_script_with(script, what, &[]).await
}

/// [`run_script`] with more environment variables for the script (the texts it must type or
/// see).
async fn run_script_with(
    script: &str,
    what: &str,
    env: &[(&str, &str)],
) -> Option<(TestApp, Receiver)> {
    let Some(chromium) = chromium() else {
        assert!(
            !under_ci(),
            "Chromium is required under CI: apt-get install -y chromium"
        );
        eprintln!("SKIPPED (no Chromium at /usr/bin/chromium; set CHROMIUM or install it)");
        return None;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/browser");
    ensure_packages(&dir);
    let app = spawn_app(Backend::Sqlite).await;
    let receiver = Receiver::start();
    let out = tokio::process::Command::new("node")
        .arg(script)
        .current_dir(&dir)
        .envs(env.iter().copied())
        .env("BATON_URL", &app.base)
        .env("BATON_API_KEY", &app.api_key)
        .env("BATON_PASSWORD", PASSWORD)
        .env("RECEIVER_URL", receiver.url(""))
        .env("ARTIFACTS", root.join("artifacts"))
        .env("CHROMIUM", &chromium)
        .output()
        .await
        .expect("run node");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "the {what} browser tests failed:\n{}\n{}\nbaton log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        app.log()
    );
    Some((app, receiver))
}

/// Baton's web chat widget (issue 15): a page on another origin embeds it; a visitor talks to
/// the AI (a stand-in workflow) and to Alice, live, across a reload and a handback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_visitor_talks_to_the_ai_and_to_a_person_in_the_widget_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            !under_ci(),
            "Chromium is required under CI: apt-get install -y chromium"
        );
        eprintln!("SKIPPED (no Chromium at /usr/bin/chromium; set CHROMIUM or install it)");
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/browser");
    ensure_packages(&dir);
    let app = spawn_app(Backend::Sqlite).await;
    let receiver = Receiver::start();
    let out = tokio::process::Command::new("node")
        .arg("widget.test.mjs")
        .current_dir(&dir)
        .env("BATON_URL", &app.base)
        .env("BATON_API_KEY", &app.api_key)
        .env("BATON_PASSWORD", PASSWORD)
        .env("RECEIVER_URL", receiver.url(""))
        .env("ARTIFACTS", root.join("artifacts"))
        .env("CHROMIUM", &chromium)
        .output()
        .await
        .expect("run node");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "the widget browser tests failed:\n{}\n{}\nbaton log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        app.log()
    );
    // The takeover's own callbacks still reached the workflow's reply webhook.
    receiver
        .wait_for("the claim and the reply", |got| {
            !Receiver::of_type(got, "takeover.claimed").is_empty()
                && !Receiver::of_type(got, "reply").is_empty()
        })
        .await;
}

/// What needs a reviewer (issue 14): unread counts on rows and tabs that rise and clear for
/// each reviewer on their own, the page title and favicon, a highlighted new row, a browser
/// notification, the silent-reviewer countdown and the customer panel, on a laptop and a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_sees_which_conversation_needs_them_in_chromium() {
    run_script("attention.test.mjs", "attention").await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_inserts_a_canned_response_with_slash_and_sends_it_in_chromium() {
    let template =
        "Hi {customer_name}, this is {reviewer} from the {team} team: refunds take 5 days. {order}";
    let filled = "Hi dana-42, this is Alice from the support team: refunds take 5 days. {order}";
    let Some((app, receiver)) = run_script_with(
        "canned.test.mjs",
        "canned-response",
        &[("CANNED_TEMPLATE", template), ("CANNED_TEXT", filled)],
    )
    .await
    else {
        return;
    };
    // The filled-in text the reviewer sent reached the integration's reply webhook, once.
    let got = receiver
        .wait_for("the canned reply", |got| {
            !Receiver::of_type(got, "reply").is_empty()
        })
        .await;
    let replies = Receiver::of_type(&got, "reply");
    assert_eq!(replies.len(), 1, "exactly one reply was sent");
    assert_eq!(replies[0].body["message"]["content"], filled);
    assert_eq!(replies[0].path, "/reply");
    assert!(helpers::verify_signature(&app.signing_secret, &replies[0]));
}

/// WhatsApp templates (issue 16): an admin registers one in the admin page; on a WhatsApp
/// conversation whose window has closed the reviewer picks it, fills its values, sees the
/// preview and sends it; the receiver gets the reply with the Cloud API `template` object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_sends_a_whatsapp_template_after_the_window_in_chromium() {
    let rendered = "Order #123\n\nHi Ana, your order #123 is on its way.\n\nShop Inc.";
    let Some((app, receiver)) = run_script_with(
        "templates.test.mjs",
        "WhatsApp template",
        &[("TEMPLATE_TEXT", rendered)],
    )
    .await
    else {
        return;
    };
    let got = receiver
        .wait_for("the template reply", |got| {
            !Receiver::of_type(got, "reply").is_empty()
        })
        .await;
    let replies = Receiver::of_type(&got, "reply");
    assert_eq!(replies.len(), 1, "exactly one reply was sent");
    let message = &replies[0].body["message"];
    assert_eq!(message["content"], rendered);
    assert_eq!(
        message["template"],
        serde_json::json!({
            "name": "order_update",
            "language": {"code": "en_US"},
            "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "#123"}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#123"}]},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "123"}]}
            ]
        })
    );
    assert_eq!(message["template_category"], "UTILITY");
    assert!(helpers::verify_signature(&app.signing_secret, &replies[0]));
}

/// First-run setup (issue 17): on a Baton without reviewers, the link it printed makes the first
/// admin, their team and an API key once, shows what n8n's credential takes with working copy
/// buttons, signs the admin in, then is a 404; the pages fit a phone and a laptop, axe-clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_admin_sets_baton_up_from_the_printed_link_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            !under_ci(),
            "Chromium is required under CI: apt-get install -y chromium"
        );
        eprintln!("SKIPPED (no Chromium at /usr/bin/chromium; set CHROMIUM or install it)");
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/browser");
    ensure_packages(&dir);
    let app = spawn_new_app(Backend::Sqlite).await;
    let links = app.setup_links();
    assert_eq!(links.len(), 1, "one setup link in the log:\n{}", app.log());
    let out = tokio::process::Command::new("node")
        .arg("setup.test.mjs")
        .current_dir(&dir)
        .env("BATON_URL", &app.base)
        .env("SETUP_URL", &links[0])
        .env("BATON_PASSWORD", PASSWORD)
        .env("ARTIFACTS", root.join("artifacts"))
        .env("CHROMIUM", &chromium)
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the setup browser tests failed:\n{}\n{}\nbaton log:\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr),
        app.log()
    );
    // What the browser made, seen through the API: one admin, one team, the key it showed.
    let shown: serde_json::Value = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SETUP_DONE "))
        .map(|json| serde_json::from_str(json).expect("the values shown"))
        .expect("the script reports what the page showed");
    let admin = app.login("ada").await;
    for (path, names) in [
        ("/v1/reviewers", vec!["ada"]),
        ("/v1/teams", vec!["Front desk"]),
        ("/v1/api-keys", vec!["n8n"]),
    ] {
        let (status, list) = app.get(path, &admin).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{list}");
        let got: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert_eq!(got, names, "{path}");
    }
    let key = shown["api_key"].as_str().unwrap();
    let (status, me) = app.get("/v1/me", key).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{me}");
    let dead = reqwest::get(&links[0]).await.unwrap();
    assert_eq!(dead.status(), reqwest::StatusCode::NOT_FOUND);
}

/// Notifications (alert e-mail settings): a reviewer who is not an admin opens the page from
/// the navigation, sees the defaults and that this server sends no e-mail, gets the API's
/// problems next to the fields, saves an address with quiet hours and finds them kept; on a
/// laptop and on a phone with the keyboard, axe-clean at both sizes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_sets_their_alert_emails_on_the_notifications_page_in_chromium() {
    let Some((app, _receiver)) = run_script("alerts.test.mjs", "notifications").await else {
        return;
    };
    // What the pages saved is what the API answers each of them.
    for (name, email, timezone, start, end) in [
        (
            "alice",
            "alice@example.com",
            "America/Toronto",
            "22:00",
            "07:00",
        ),
        ("bob", "bob@example.org", "Asia/Tokyo", "12:30", "13:15"),
    ] {
        let token = app.login(name).await;
        let (status, got) = app.get("/v1/me/alerts", &token).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{got}");
        assert_eq!(got["email"], email, "{got}");
        assert_eq!(got["enabled"], true, "{got}");
        assert_eq!(
            got["quiet_hours"],
            serde_json::json!({"timezone": timezone, "start": start, "end": end})
        );
        assert_eq!(got["mail_configured"], false, "{got}");
    }
    // Carol never opened the page: still nothing set.
    let carol = app.login("carol").await;
    let (_, got) = app.get("/v1/me/alerts", &carol).await;
    assert_eq!(got["updated_at"], serde_json::Value::Null, "{got}");
}
