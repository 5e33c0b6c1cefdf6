//! Reviewer alerts by e-mail: a real SMTP server (Python's aiosmtpd from the cached venv, as
//! `fuzz.rs` uses for schemathesis) receives what Baton sends through its outbox. The mail's
//! content, a re-alert at each escalation step to that step's people and none after the claim,
//! an offer's alert, quiet hours, an SMTP server down then up, and bad SMTP settings at start.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::fuzz::under_ci;
use crate::helpers::*;

backend_tests!(
    each_escalation_step_mails_its_people_with_customer_reason_summary_wait_and_link,
    no_alert_follows_the_claim_and_a_queued_one_is_dropped_visibly,
    an_offer_alerts_the_offered_reviewer_by_mail,
    quiet_hours_hold_a_reviewers_alert_while_others_get_theirs,
    smtp_down_then_up_is_retried_and_delivered_once,
    reviewers_set_their_own_alerts_and_admins_anyones,
);

const AIOSMTPD: &str = "aiosmtpd==1.4.6";

/// Receives mail on 127.0.0.1 and appends each as one JSON line (envelope, decoded subject and
/// text body) to a file.
const SERVER: &str = r#"
import email, email.policy, json, sys, threading
from aiosmtpd.controller import Controller

class Keep:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "message_id": str(msg["message-id"]),
            "body": msg.get_body(preferencelist=("plain",)).get_content(),
        }
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"

controller = Controller(Keep(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
threading.Event().wait()
"#;

/// The venv's python with aiosmtpd, installing it on first use; `None` (SKIPPED) when that is
/// impossible, except under CI, where it fails.
fn python() -> Option<PathBuf> {
    let _venv = crate::fuzz::venv_lock();
    let venv = std::env::var_os("BATON_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/baton-venv")))?;
    let py = venv.join("bin/python");
    let has = |py: &Path| {
        Command::new(py)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has(&py) {
        return Some(py);
    }
    let install = || -> Result<(), String> {
        if !venv.join("bin/pip").exists() {
            let out = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into_owned());
            }
        }
        let out = Command::new(venv.join("bin/pip"))
            .args(["install", "-q", AIOSMTPD])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(())
    };
    match install() {
        Ok(()) if has(&py) => Some(py),
        Ok(()) => panic!(
            "aiosmtpd installed but not importable from {}",
            py.display()
        ),
        Err(e) if under_ci() => panic!("aiosmtpd is required under CI: {e}"),
        Err(e) => {
            eprintln!("SKIPPED (aiosmtpd unavailable: {e}; set CI=true to make this a failure)");
            None
        }
    }
}

/// A real SMTP server on 127.0.0.1, stopped on drop.
struct MailServer {
    port: u16,
    spool: PathBuf,
    child: Option<Child>,
    python: PathBuf,
    script: PathBuf,
}

impl MailServer {
    /// A server on a free port, not started yet (the port refuses connections).
    fn on_free_port(python: PathBuf, dir: &Path) -> MailServer {
        let script = dir.join("smtp_server.py");
        std::fs::write(&script, SERVER).unwrap();
        MailServer {
            port: free_port(),
            spool: dir.join("mail.jsonl"),
            child: None,
            python,
            script,
        }
    }

    fn start(&mut self) {
        let mut child = Command::new(&self.python)
            .arg(&self.script)
            .arg(self.port.to_string())
            .arg(&self.spool)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP server");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        self.child = Some(child);
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.spool)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The mails received once `done` holds for them (fails after 20 s).
    async fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            assert!(
                Instant::now() < until,
                "timed out waiting for {what}: {got:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The mails to `address`.
fn to<'a>(mails: &'a [Value], address: &str) -> Vec<&'a Value> {
    mails.iter().filter(|m| m["to"][0] == address).collect()
}

/// A Baton that sends alerts through `mail`, whose SMTP server is started (or not) by the test.
async fn app_with_mail(
    backend: Backend,
    extra: &[(&'static str, &str)],
) -> Option<(TestApp, MailServer)> {
    let python = python()?;
    let dir =
        std::env::temp_dir().join(format!("baton-smtp-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let mail = MailServer::on_free_port(python, &dir);
    let url = mail.url();
    let mut env: Vec<(&'static str, &str)> = vec![
        ("BATON_SMTP_URL", url.as_str()),
        ("BATON_SMTP_FROM", "Baton <alerts@baton.test>"),
        ("BATON_AWAY_GRACE", "10m"),
    ];
    env.extend_from_slice(extra);
    let app = spawn_app_with(backend, Options::with(&env)).await;
    Some((app, mail))
}

/// Turns alerts on for `name` (as the admin) to `<name>@example.com`.
async fn alerts_on(app: &TestApp, admin: &str, name: &str, quiet: Value) {
    let (status, body) = app
        .put(
            &format!("/v1/reviewers/{name}/alerts"),
            admin,
            json!({"email": format!("{name}@example.com"), "enabled": true, "quiet_hours": quiet}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enabled"], true, "{body}");
    assert_eq!(body["mail_configured"], true, "{body}");
}

async fn put_policy(app: &TestApp, steps: Value) {
    let (status, body) = app
        .put(
            "/v1/escalation-policies/support-default",
            &app.api_key,
            json!({"team": "support", "steps": steps, "fallback_message": "Sorry.", "fallback_action": "handback"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn deliveries(app: &TestApp, admin: &str) -> Vec<Value> {
    let (status, body) = app.get("/v1/deliveries?limit=200", admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn each_escalation_step_mails_its_people_with_customer_reason_summary_wait_and_link(
    backend: Backend,
) {
    let Some((app, mut mail)) = app_with_mail(backend, &[]).await else {
        return;
    };
    mail.start();
    let root = app.login("root").await;
    for name in ["alice", "bob", "carol"] {
        alerts_on(&app, &root, name, Value::Null).await;
    }
    let pager = Receiver::start();
    let (s, body) = app
        .post(
            "/v1/teams/billing/channels",
            &app.api_key,
            json!({"kind": "webhook", "url": pager.url("/page")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // Step 1: the billing team (carol); step 2: carol by name.
    put_policy(
        &app,
        json!([{"assignee": "billing", "wait": "1s"}, {"assignee": "carol", "wait": "10m"}]),
    )
    .await;
    let hook = Receiver::start();
    let (s, t) = app
        .takeover(
            "walk",
            &hook.url("/hook"),
            json!({"timeout": "1s", "summary": "Wants the March invoice refunded", "customer": {"name": "Dana Scully"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let got = mail
        .wait_for("the request and two escalation steps", |m| {
            to(m, "alice@example.com").len() == 1
                && to(m, "bob@example.com").len() == 1
                && to(m, "carol@example.com").len() == 2
        })
        .await;
    // The request went to the support team, each step to that step's people only.
    let first = to(&got, "alice@example.com")[0];
    assert_eq!(first["from"], "alerts@baton.test");
    assert_eq!(
        first["subject"],
        "Dana Scully is waiting for a person: user_requested"
    );
    let body = first["body"].as_str().unwrap();
    for part in [
        "Customer: Dana Scully",
        "Reason: user_requested",
        "Summary: Wants the March invoice refunded",
        "Waiting for: ",
        &format!("{}/inbox/sessions/walk", app.base),
    ] {
        assert!(body.contains(part), "{part:?} in {body}");
    }
    let carol = to(&got, "carol@example.com");
    assert!(
        carol[0]["subject"].as_str().unwrap().contains("step 1"),
        "{carol:?}"
    );
    assert!(
        carol[1]["subject"].as_str().unwrap().contains("step 2"),
        "{carol:?}"
    );
    // The step team's own channel heard of the escalation too.
    let pages = pager.wait_for("the page", |g| !g.is_empty()).await;
    assert_eq!(pages[0].body["type"], "notification.takeover_escalated");
    // The outbox shows each mail with its attempt (recorded just after the server's 250).
    let until = Instant::now() + Duration::from_secs(20);
    let mails: Vec<Value> = loop {
        let mails: Vec<Value> = deliveries(&app, &root)
            .await
            .into_iter()
            .filter(|d| d["url"].as_str().unwrap().starts_with("mailto:"))
            .collect();
        if mails.iter().all(|d| d["status"] == "delivered") {
            break mails;
        }
        assert!(Instant::now() < until, "{mails:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(mails.len(), 4, "{mails:#?}");
    let kinds: std::collections::BTreeSet<&str> = mails
        .iter()
        .map(|d| d["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["alert.takeover_escalated", "alert.takeover_requested"].into()
    );
    let id = mails[0]["id"].as_str().unwrap();
    let (s, one) = app.get(&format!("/v1/deliveries/{id}"), &root).await;
    assert_eq!(s, StatusCode::OK, "{one}");
    assert_eq!(one["attempt_log"].as_array().unwrap().len(), 1, "{one}");
    assert_eq!(one["attempt_log"][0]["status_code"], 250, "{one}");
    assert_eq!(
        one["payload"]["to"],
        one["url"].as_str().unwrap().trim_start_matches("mailto:")
    );
}

async fn no_alert_follows_the_claim_and_a_queued_one_is_dropped_visibly(backend: Backend) {
    let Some((app, mut mail)) = app_with_mail(backend, &[]).await else {
        return;
    };
    let root = app.login("root").await;
    for name in ["alice", "carol"] {
        alerts_on(&app, &root, name, Value::Null).await;
    }
    put_policy(&app, json!([{"assignee": "billing", "wait": "1s"}])).await;
    let hook = Receiver::start();
    // Signed in before the takeover, so that everything between the takeover and the claim is
    // Baton's own work: the claim must land before the first deadline, 10 s, even on a loaded
    // machine (with 3 s it failed once in a busy CI run).
    let alice = app.login("alice").await;
    // The mail server is down: alice's alert fails and waits for its retry.
    let (s, t) = app
        .takeover("claimed", &hook.url("/hook"), json!({"timeout": "10s"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let until = Instant::now() + Duration::from_secs(20);
    let queued = loop {
        let found = deliveries(&app, &root)
            .await
            .into_iter()
            .find(|d| d["url"] == "mailto:alice@example.com" && d["attempts"].as_i64() >= Some(1));
        if let Some(d) = found {
            break d;
        }
        assert!(Instant::now() < until, "alice's alert was never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(queued["status"], "pending", "{queued}");
    let (s, body) = app
        .post("/v1/sessions/claimed/claim", &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // Dropped, with the reason, and never sent.
    let id = queued["id"].as_str().unwrap().to_string();
    let until = Instant::now() + Duration::from_secs(20);
    let dropped = loop {
        let (_, d) = app.get(&format!("/v1/deliveries/{id}"), &root).await;
        if d["status"] == "dropped" {
            break d;
        }
        assert!(Instant::now() < until, "never dropped: {d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        dropped["last_error"].as_str().unwrap().contains("claimed"),
        "{dropped}"
    );
    mail.start();
    // A later takeover escalates to billing after its 10 s: it was made after the claim, so by
    // the time carol's mail for it has arrived, the claimed takeover's own deadline has passed too.
    let (s, _) = app
        .takeover("later", &hook.url("/hook"), json!({"timeout": "10s"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let got = mail
        .wait_for("the later takeover's escalation", |m| {
            to(m, "carol@example.com")
                .iter()
                .any(|x| x["subject"].as_str().unwrap().contains("step 1"))
        })
        .await;
    let about_claimed: Vec<&Value> = got
        .iter()
        .filter(|m| {
            m["body"]
                .as_str()
                .unwrap()
                .contains("/inbox/sessions/claimed")
        })
        .collect();
    assert!(about_claimed.is_empty(), "{about_claimed:#?}");
    let (_, t) = app
        .get(
            &format!("/v1/takeovers/{}", t["id"].as_str().unwrap()),
            &app.api_key,
        )
        .await;
    assert_eq!(
        t["escalation_step"], 0,
        "the claim stopped the escalation: {t}"
    );
}

async fn an_offer_alerts_the_offered_reviewer_by_mail(backend: Backend) {
    let Some((app, mut mail)) = app_with_mail(backend, &[]).await else {
        return;
    };
    mail.start();
    let root = app.login("root").await;
    alerts_on(&app, &root, "alice", Value::Null).await;
    let (s, body) = app
        .put(
            "/v1/teams/support/routing",
            &app.api_key,
            json!({"policy": "least_busy", "offer_timeout": "10m"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let alice = app.login("alice").await;
    let (s, body) = app
        .put(
            "/v1/me/availability",
            &alice,
            json!({"availability": "online"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let hook = Receiver::start();
    let (s, _) = app.takeover("offered", &hook.url("/hook"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    let got = mail
        .wait_for("the offer's mail", |m| {
            to(m, "alice@example.com")
                .iter()
                .any(|x| x["subject"].as_str().unwrap().starts_with("Offered to you"))
        })
        .await;
    let offer = to(&got, "alice@example.com")
        .into_iter()
        .find(|x| x["subject"].as_str().unwrap().starts_with("Offered to you"))
        .unwrap();
    assert!(
        offer["body"]
            .as_str()
            .unwrap()
            .contains("/inbox/sessions/offered"),
        "{offer}"
    );
}

/// `HH:MM` in UTC, `minutes` from now.
fn utc_in(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .format("%H:%M")
        .to_string()
}

async fn quiet_hours_hold_a_reviewers_alert_while_others_get_theirs(backend: Backend) {
    let Some((app, mut mail)) = app_with_mail(backend, &[]).await else {
        return;
    };
    mail.start();
    let root = app.login("root").await;
    // Alice is inside her quiet hours now (they began an hour ago, end in two); bob's lie
    // ahead of him.
    let inside = json!({"timezone": "Etc/UTC", "start": utc_in(-60), "end": utc_in(120)});
    let outside = json!({"timezone": "Etc/UTC", "start": utc_in(120), "end": utc_in(180)});
    alerts_on(&app, &root, "alice", inside).await;
    alerts_on(&app, &root, "bob", outside).await;
    let hook = Receiver::start();
    let (s, _) = app.takeover("night", &hook.url("/hook"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    let got = mail
        .wait_for("bob's mail", |m| !to(m, "bob@example.com").is_empty())
        .await;
    assert!(to(&got, "alice@example.com").is_empty(), "{got:#?}");
    // Alice's alert waits in the outbox for the end of her quiet hours.
    let listed = deliveries(&app, &root).await;
    let held = listed
        .iter()
        .find(|d| d["url"] == "mailto:alice@example.com")
        .unwrap_or_else(|| panic!("{listed:#?}"));
    assert_eq!(held["status"], "pending", "{held}");
    assert_eq!(held["attempts"], 0, "{held}");
    let due: chrono::DateTime<chrono::Utc> =
        held["next_attempt_at"].as_str().unwrap().parse().unwrap();
    let wait = due - chrono::Utc::now();
    assert!(
        wait > chrono::Duration::minutes(110) && wait <= chrono::Duration::minutes(121),
        "due at the end of her quiet hours: {held}"
    );
}

async fn smtp_down_then_up_is_retried_and_delivered_once(backend: Backend) {
    let Some((app, mut mail)) = app_with_mail(backend, &[]).await else {
        return;
    };
    let root = app.login("root").await;
    alerts_on(&app, &root, "bob", Value::Null).await;
    let hook = Receiver::start();
    let (s, _) = app.takeover("retry", &hook.url("/hook"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    // Two failed attempts while the server is down, then it comes up.
    let until = Instant::now() + Duration::from_secs(20);
    let id = loop {
        let found = deliveries(&app, &root)
            .await
            .into_iter()
            .find(|d| d["url"] == "mailto:bob@example.com" && d["attempts"].as_i64() >= Some(2));
        if let Some(d) = found {
            assert_eq!(d["status"], "pending", "{d}");
            assert!(
                d["last_error"].as_str().unwrap().starts_with("SMTP"),
                "the SMTP error is shown: {d}"
            );
            break d["id"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < until, "bob's alert was not retried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    mail.start();
    let until = Instant::now() + Duration::from_secs(20);
    let delivered = loop {
        let (_, d) = app.get(&format!("/v1/deliveries/{id}"), &root).await;
        if d["status"] == "delivered" {
            break d;
        }
        assert!(Instant::now() < until, "never delivered: {d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let attempts = delivered["attempt_log"].as_array().unwrap();
    assert!(attempts.len() >= 3, "{delivered}");
    assert!(
        attempts[..attempts.len() - 1]
            .iter()
            .all(|a| a["status_code"].is_null()
                && a["error"].as_str().is_some_and(|e| e.starts_with("SMTP"))),
        "{delivered}"
    );
    assert_eq!(attempts.last().unwrap()["status_code"], 250, "{delivered}");
    let got = mail.received();
    let bobs = to(&got, "bob@example.com");
    assert_eq!(bobs.len(), 1, "delivered once: {got:#?}");
    assert_eq!(bobs[0]["message_id"], format!("<{id}@baton>"));
}

async fn reviewers_set_their_own_alerts_and_admins_anyones(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.login("alice").await;
    let (s, mine) = app.get("/v1/me/alerts", &alice).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(mine["enabled"], false);
    assert_eq!(mine["mail_configured"], false, "no BATON_SMTP_URL here");
    let quiet = json!({"timezone": "Europe/Berlin", "start": "22:00", "end": "07:00"});
    let (s, mine) = app
        .put(
            "/v1/me/alerts",
            &alice,
            json!({"email": "alice@example.com", "enabled": true, "quiet_hours": quiet}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(mine["quiet_hours"], quiet);
    // Every bad field is named.
    let (s, bad) = app
        .put(
            "/v1/me/alerts",
            &alice,
            json!({"email": "not-an-address", "enabled": true,
                   "quiet_hours": {"timezone": "Mars/Olympus", "start": "25:00", "end": "07:00"}}),
        )
        .await;
    assert_problem(s, &bad, StatusCode::BAD_REQUEST, "validation");
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"email") && fields.contains(&"quiet_hours.start"),
        "{bad}"
    );
    let (s, bad) = app
        .put("/v1/me/alerts", &alice, json!({"enabled": true}))
        .await;
    assert_problem(s, &bad, StatusCode::BAD_REQUEST, "validation");
    // An admin reads and changes anyone's; a reviewer may not.
    let root = app.login("root").await;
    let (s, hers) = app.get("/v1/reviewers/alice/alerts", &root).await;
    assert_eq!(s, StatusCode::OK, "{hers}");
    assert_eq!(hers["email"], "alice@example.com");
    let (s, hers) = app
        .put(
            "/v1/reviewers/alice/alerts",
            &root,
            json!({"enabled": false, "email": "alice@example.com"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{hers}");
    assert_eq!(hers["enabled"], false);
    assert_eq!(hers["quiet_hours"], Value::Null);
    let (s, _) = app.get("/v1/reviewers/bob/alerts", &alice).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get("/v1/reviewers/nobody/alerts", &root).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let changes = app.audit_actions("reviewer.alerts_changed").await;
    assert_eq!(changes.len(), 2, "{changes:#?}");
}

#[test]
fn a_bad_smtp_setting_stops_start_up_with_what_to_fix() {
    let dir = std::env::temp_dir().join(format!("baton-smtpcfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (url, from, says) in [
        (
            "smtp://mail.example.com:25?tls=none",
            "alerts@example.com",
            "BATON_SMTP_URL: tls=none sends the password and the alerts in plain text",
        ),
        (
            "imap://mail.example.com",
            "alerts@example.com",
            "BATON_SMTP_URL: unsupported scheme \"imap\"",
        ),
        (
            "smtp://mail.example.com",
            "nobody",
            "BATON_SMTP_FROM: \"nobody\" is not a sender address",
        ),
    ] {
        let out = Command::new(baton_bin())
            .arg("serve")
            .env("DATABASE_URL", dir.join("never.db"))
            .env("BATON_BIND", "127.0.0.1:0")
            .env("BATON_SMTP_URL", url)
            .env("BATON_SMTP_FROM", from)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{url}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{url}: {stderr}");
        assert!(!dir.join("never.db").exists(), "nothing started");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
