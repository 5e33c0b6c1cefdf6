//! What an operator does over the years (docs/OPERATIONS.md): back up a live database and start
//! a second Baton on the copy, dump and restore PostgreSQL with its own tools, erase a customer
//! on request, and let retention purge old closed conversations while turns keep flowing.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::Connection;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{
    assert_problem, baton_bin, baton_cli, enc, exec_sql, postgres_available, read, spawn_app,
    spawn_app_with, Backend, Options, Receiver, TestApp, TestDb,
};

backend_tests!(
    erasing_a_customer_removes_what_they_said_and_keeps_the_analytics_counts,
    a_conversation_a_person_holds_is_not_erased,
    baton_erase_forgets_one_conversation_from_the_command_line,
    retention_purges_old_closed_conversations_in_batches_while_turns_flow,
);

/// A Baton process on any database (a restored copy), killed on drop.
fn serve_on(url: &str, log: &Path) -> testkit::Process {
    testkit::Process::spawn(
        std::process::Command::new(baton_bin())
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("BATON_LOG", "info")
            .env("BATON_WORKER_POLL", "100ms"),
        log,
        Duration::from_secs(60),
    )
    .unwrap_or_else(|e| panic!("baton did not start on {url}: {e:#}"))
}

async fn get(client: &reqwest::Client, base: &str, path: &str, token: &str) -> (StatusCode, Value) {
    read(
        client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// `SELECT count(*) …` straight on the test database: what the API no longer shows must be gone
/// from the tables too.
pub fn count(db: &TestDb, from_where: &str) -> i64 {
    use diesel::RunQueryDsl;
    let query = diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "(SELECT count(*) FROM {from_where})"
    ));
    if db.url.starts_with("postgres") {
        let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
        diesel::select(query).get_result(&mut conn).unwrap()
    } else {
        let mut conn = diesel::SqliteConnection::establish(&db.url).unwrap();
        diesel::select(query).get_result(&mut conn).unwrap()
    }
}

/// One full handoff: turns (with `user_id`), a takeover with customer attributes, alice claims,
/// replies, writes a note and hands back with a summary. Waits until the receiver has the
/// handback. The session is then `handed_back`.
async fn handoff(app: &TestApp, hook: &Receiver, session: &str, user: &str, word: &str) {
    let path = format!("/v1/sessions/{}/messages", enc(session));
    for (sender, content) in [
        ("user", format!("my {word} order is late")),
        ("ai", format!("I can check the {word} order")),
        ("user", format!("a person please, {word}")),
    ] {
        let (s, b) = app
            .post(
                &path,
                &app.api_key,
                json!({"sender": sender, "content": content, "channel": "telegram", "user_id": user}),
            )
            .await;
        assert!(s.is_success(), "{b}");
    }
    let (s, t) = app
        .takeover(
            session,
            &hook.url("/hook"),
            json!({"user_id": user, "summary": format!("{word} summary"),
                   "context": {"note": word}, "customer": {"name": word}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let alice = app.login("alice").await;
    let base = format!("/v1/sessions/{}", enc(session));
    let (s, b) = app.post(&format!("{base}/claim"), &alice, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post(
            &format!("{base}/replies"),
            &alice,
            json!({"content": format!("Hello, about {word}")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .post(
            &format!("{base}/notes"),
            &alice,
            json!({"content": format!("{word} note")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .post(
            &format!("{base}/handback"),
            &alice,
            json!({"summary": format!("{word} handled")}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let sid = session.to_string();
    hook.wait_for("the handback", |got| {
        got.iter()
            .any(|r| r.body["type"] == "session.handed_back" && r.body["session_id"] == sid)
    })
    .await;
}

/// The analytics of the last hour as `GET /v1/stats` answers them, without the two figures
/// that count conversations from their messages (`sessions_active`, `handoff_rate`) and the
/// range itself.
async fn takeover_figures(app: &TestApp) -> Value {
    let from = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let to = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let mut all = serde_json::Map::new();
    for by in ["reason", "channel", "team", "reviewer"] {
        let (s, mut stats) = app
            .get(
                &format!(
                    "/v1/stats?from={}&to={}&group_by={by}",
                    enc(&from),
                    enc(&to)
                ),
                &app.api_key,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{stats}");
        let o = stats.as_object_mut().unwrap();
        for moving in ["sessions_active", "handoff_rate", "from", "to"] {
            o.remove(moving);
        }
        all.insert(by.into(), stats);
    }
    Value::Object(all)
}

async fn erasing_a_customer_removes_what_they_said_and_keeps_the_analytics_counts(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    handoff(&app, &hook, "erase-me-1", "person-4412", "zebrafinch").await;
    let (s, _) = app
        .post(
            "/v1/sessions/erase-me-2/messages",
            &app.api_key,
            json!({"sender": "user", "content": "zebrafinch again", "user_id": "person-4412"}),
        )
        .await;
    assert!(s.is_success());
    handoff(&app, &hook, "keep-me", "person-9", "albatross").await;
    let kept = app.history("keep-me").await;
    let albatross = if backend == Backend::Sqlite {
        count(
            &app.db,
            "message_search WHERE message_search MATCH 'albatross'",
        )
    } else {
        0
    };
    assert!(kept.len() >= 4);
    let before = takeover_figures(&app).await;
    let root = app.login("root").await;

    let (s, erased) = app
        .post("/v1/erasures", &root, json!({"user_id": "person-4412"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{erased}");
    assert_eq!(erased["sessions"], 2, "{erased}");
    // 3 turns and alice's reply, the takeover's announcement, the handback; 1 turn.
    assert!(erased["messages"].as_u64().unwrap() >= 5, "{erased}");
    assert_eq!(erased["notes"], 1, "{erased}");
    assert!(erased["deliveries"].as_u64().unwrap() >= 2, "{erased}");

    // Through the API: the conversations are gone, their words are not found.
    for id in ["erase-me-1", "erase-me-2"] {
        let (s, b) = app.get(&format!("/v1/sessions/{id}"), &app.api_key).await;
        assert_problem(s, &b, StatusCode::NOT_FOUND, "not-found");
        let (s, page) = app
            .get(&format!("/v1/deliveries?session_id={id}"), &app.api_key)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(page["items"], json!([]), "{page}");
    }
    let (s, found) = app.get("/v1/search?q=zebrafinch", &root).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert_eq!(found["items"], json!([]), "{found}");
    // The other customer is untouched.
    assert_eq!(app.history("keep-me").await, kept);
    let (_, found) = app.get("/v1/search?q=albatross", &root).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");

    // One audit entry, counts only; no entry anywhere names the customer any more.
    let (s, audit) = app.get("/v1/audit?action=erasure", &root).await;
    assert_eq!(s, StatusCode::OK);
    let entries = audit.as_array().expect("an array");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["actor"], "reviewer:root");
    assert_eq!(entries[0]["session_id"], Value::Null);
    assert_eq!(entries[0]["detail"], erased, "{audit}");
    let (_, whole) = app.get("/v1/audit?limit=10000", &root).await;
    let whole = whole.to_string();
    for personal in ["erase-me", "person-4412", "zebrafinch"] {
        assert!(!whole.contains(personal), "{personal} in the audit trail");
    }

    // In the tables: nothing of theirs, their takeover's facts under a pseudonym.
    let db = &app.db;
    for probe in [
        "sessions WHERE id LIKE 'erase-me%' OR user_id = 'person-4412'",
        "messages WHERE session_id LIKE 'erase-me%' OR content LIKE '%zebrafinch%'",
        "notes WHERE content LIKE '%zebrafinch%'",
        "takeovers WHERE session_id LIKE 'erase-me%' OR summary LIKE '%zebrafinch%' \
         OR context LIKE '%zebrafinch%' OR handback_summary LIKE '%zebrafinch%'",
        "deliveries WHERE session_id LIKE 'erase-me%' OR payload LIKE '%zebrafinch%'",
        "session_customers WHERE attributes LIKE '%zebrafinch%'",
        "audit_events WHERE session_id LIKE 'erase-me%' OR detail LIKE '%zebrafinch%'",
    ] {
        assert_eq!(count(db, probe), 0, "{probe}");
    }
    if backend == Backend::Sqlite {
        assert_eq!(
            count(db, "message_search WHERE message_search MATCH 'zebrafinch'"),
            0
        );
        assert_eq!(
            count(db, "message_search WHERE message_search MATCH 'albatross'"),
            albatross
        );
        assert!(albatross >= 4);
    }
    assert_eq!(
        count(db, "takeovers WHERE session_id LIKE 'erased:%' AND outcome IS NOT NULL AND claimed_at IS NOT NULL"),
        1
    );
    assert_eq!(takeover_figures(&app).await, before);

    // Again: nothing left to erase.
    let (s, again) = app
        .post("/v1/erasures", &root, json!({"user_id": "person-4412"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        again,
        json!({"sessions": 0, "messages": 0, "notes": 0, "deliveries": 0})
    );
    // Exactly one of the two, and only for admins.
    for body in [
        json!({}),
        json!({"user_id": "a", "session_id": "b"}),
        json!({"user_id": "  "}),
        json!({"session_id": ""}),
    ] {
        let (s, b) = app.post("/v1/erasures", &root, body).await;
        assert_problem(s, &b, StatusCode::BAD_REQUEST, "validation");
    }
    let alice = app.login("alice").await;
    let (s, b) = app
        .post("/v1/erasures", &alice, json!({"session_id": "keep-me"}))
        .await;
    assert_problem(s, &b, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.history("keep-me").await, kept);
}

async fn a_conversation_a_person_holds_is_not_erased(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    let root = app.login("root").await;
    let (s, _) = app.turn("held", "user", "I need a person").await;
    assert!(s.is_success());
    let (s, t) = app.takeover("held", &hook.url("/hook"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let history = app.history("held").await;
    assert!(!history.is_empty());
    // Waiting for a person, then claimed: refused, nothing erased.
    let (s, b) = app
        .post("/v1/erasures", &root, json!({"session_id": "held"}))
        .await;
    assert_problem(s, &b, StatusCode::CONFLICT, "conflict");
    let alice = app.login("alice").await;
    let (s, _) = app.post("/v1/sessions/held/claim", &alice, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post("/v1/erasures", &root, json!({"session_id": "held"}))
        .await;
    assert_problem(s, &b, StatusCode::CONFLICT, "conflict");
    assert_eq!(app.history("held").await, history);
    let (_, audit) = app.get("/v1/audit?action=erasure", &root).await;
    assert_eq!(audit, json!([]));
    // Handed back: erased; the next turn starts a new conversation under the same id.
    let (s, _) = app
        .post(
            "/v1/sessions/held/handback",
            &alice,
            json!({"summary": "done"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post("/v1/erasures", &root, json!({"session_id": "held"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["sessions"], 1);
    let (s, b) = app.turn("held", "user", "hello again").await;
    assert!(s.is_success(), "{b}");
    assert_eq!(b["status"], "ai");
    assert_eq!(app.history("held").await.len(), 1);
}

async fn baton_erase_forgets_one_conversation_from_the_command_line(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    handoff(&app, &hook, "cli-erase", "person-77", "pelican").await;
    let erased = baton_cli(&app.db, &["erase", "--session-id", "cli-erase"]);
    assert_eq!(erased["sessions"], 1, "{erased}");
    assert_eq!(erased["notes"], 1, "{erased}");
    assert!(erased["messages"].as_u64().unwrap() >= 4, "{erased}");
    let (s, b) = app.get("/v1/sessions/cli-erase", &app.api_key).await;
    assert_problem(s, &b, StatusCode::NOT_FOUND, "not-found");
    assert_eq!(count(&app.db, "messages WHERE content LIKE '%pelican%'"), 0);
    let root = app.login("root").await;
    let (_, audit) = app.get("/v1/audit?action=erasure", &root).await;
    assert_eq!(audit[0]["actor"], "cli", "{audit}");
    // By user id, too; and never both or neither.
    let (s, _) = app
        .post(
            "/v1/sessions/cli-2/messages",
            &app.api_key,
            json!({"sender": "user", "content": "hi", "user_id": "person-78"}),
        )
        .await;
    assert!(s.is_success());
    let erased = baton_cli(&app.db, &["erase", "--user-id", "person-78"]);
    assert_eq!(erased["sessions"], 1, "{erased}");
    for args in [
        &["erase"][..],
        &["erase", "--user-id", "a", "--session-id", "b"][..],
    ] {
        let out = std::process::Command::new(baton_bin())
            .args(args)
            .env("DATABASE_URL", &app.db.url)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
    }
}

async fn retention_purges_old_closed_conversations_in_batches_while_turns_flow(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options::with(&[
            ("BATON_RETENTION_DAYS", "30"),
            ("BATON_RETENTION_INTERVAL", "300ms"),
        ]),
    )
    .await;
    let hook = Receiver::start();
    handoff(&app, &hook, "old-1", "person-1", "heron").await;
    handoff(&app, &hook, "recent-1", "person-2", "osprey").await;
    // A conversation the AI handled alone.
    let (s, _) = app.turn("old-2", "user", "heron question").await;
    assert!(s.is_success());
    for id in ["old-1", "recent-1", "old-2"] {
        let (s, b) = app
            .post(&format!("/v1/sessions/{id}/close"), &app.api_key, json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let recent = app.history("recent-1").await;
    let before = takeover_figures(&app).await;
    // Conversations active until now, counted from their messages: old-1, recent-1, old-2.
    let until_now = chrono::Utc::now();
    let active = || async {
        let from = (until_now - chrono::Duration::hours(1)).to_rfc3339();
        let (_, stats) = app
            .get(
                &format!(
                    "/v1/stats?from={}&to={}",
                    enc(&from),
                    enc(&until_now.to_rfc3339())
                ),
                &app.api_key,
            )
            .await;
        (
            stats["sessions_active"].clone(),
            stats["sessions_with_handoff"].clone(),
        )
    };
    assert_eq!(active().await, (json!(3), json!(2)));
    tokio::time::sleep(Duration::from_millis(5)).await;

    // Turns keep coming on another conversation while the purge runs.
    let stop = Arc::new(AtomicBool::new(false));
    let turns = {
        let (client, base, key, stop) = (
            app.client.clone(),
            app.base.clone(),
            app.api_key.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let r = client
                    .post(format!("{base}/v1/sessions/busy/messages"))
                    .bearer_auth(&key)
                    .json(&json!({"sender": "user", "content": format!("turn {n}")}))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                slowest = slowest.max(started.elapsed());
                n += 1;
            }
            (n, slowest)
        })
    };

    // 3 000 more messages, and the conversation last changed 40 days ago.
    let old = (chrono::Utc::now() - chrono::Duration::days(40))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    exec_sql(
        &app.db,
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) \
             INSERT INTO messages (id, session_id, seq, sender, content, at, recorded_at) \
             SELECT 'bulk-' || i, 'old-1', 1000 + i, 'user', 'heron bulk ' || i, '{old}', '{old}' FROM n; \
             UPDATE sessions SET updated_at = '{old}' WHERE id IN ('old-1', 'old-2');"
        ),
    );
    let root = app.login("root").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let entry = loop {
        let (_, audit) = app.get("/v1/audit?action=retention", &root).await;
        if let Some(e) = audit.as_array().and_then(|a| a.first()) {
            break e.clone();
        }
        assert!(Instant::now() < deadline, "no retention pass within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    stop.store(true, Ordering::Relaxed);
    let (n, slowest) = turns.await.unwrap();

    // Many small transactions, and no turn waited for the purge.
    assert_eq!(entry["actor"], "timer");
    assert_eq!(entry["session_id"], Value::Null);
    assert_eq!(entry["detail"]["sessions"], 2, "{entry}");
    assert_eq!(entry["detail"]["notes"], 1, "{entry}");
    assert!(
        entry["detail"]["messages"].as_u64().unwrap() >= 3005,
        "{entry}"
    );
    assert!(entry["detail"]["batches"].as_u64().unwrap() >= 7, "{entry}");
    assert!(
        slowest < Duration::from_secs(1),
        "a turn took {slowest:?} during the purge ({n} turns)"
    );
    assert!(n > 0);

    for id in ["old-1", "old-2"] {
        let (s, b) = app.get(&format!("/v1/sessions/{id}"), &app.api_key).await;
        assert_problem(s, &b, StatusCode::NOT_FOUND, "not-found");
    }
    for probe in [
        "messages WHERE session_id = 'old-1' OR content LIKE '%heron%'",
        "notes WHERE content LIKE '%heron%'",
        "deliveries WHERE session_id = 'old-1' OR payload LIKE '%heron%'",
        "takeovers WHERE session_id = 'old-1' OR summary LIKE '%heron%'",
        "session_customers WHERE attributes LIKE '%heron%'",
    ] {
        assert_eq!(count(&app.db, probe), 0, "{probe}");
    }
    // A conversation closed today, and the one still talking, are kept.
    assert_eq!(app.history("recent-1").await, recent);
    assert_eq!(app.history("busy").await.len() as u64, n.min(500));
    // The analytics count the purged conversation's takeover still; the count of active
    // conversations, read from messages, keeps the purged ones only when they handed off.
    assert_eq!(takeover_figures(&app).await, before);
    assert_eq!(active().await, (json!(2), json!(2)));
}

/// `baton backup` copies a live SQLite database while turns are written; a second Baton started
/// on the copy serves the same conversations, deliveries, API keys and reviewers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baton_backup_copies_a_live_sqlite_database_that_a_second_baton_serves() {
    let app = spawn_app(Backend::Sqlite).await;
    let hook = Receiver::start();
    handoff(&app, &hook, "settled", "person-5", "kestrel").await;
    let settled = app.history("settled").await;
    let (_, deliveries) = app
        .get("/v1/deliveries?session_id=settled", &app.api_key)
        .await;
    let delivery_ids: Vec<Value> = deliveries["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    assert!(delivery_ids.len() >= 3, "{deliveries}");

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (client, base, key, stop) = (
            app.client.clone(),
            app.base.clone(),
            app.api_key.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) || n < 20 {
                let r = client
                    .post(format!("{base}/v1/sessions/live/messages"))
                    .bearer_auth(&key)
                    .json(&json!({"sender": "user", "content": format!("live {n}")}))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                acked.push(format!("live {n}"));
                n += 1;
            }
            acked
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let copy = app.db.dir().join("copy.db");
    let copy_path = copy.to_string_lossy().into_owned();
    let before_backup = {
        let history = app.history("live").await;
        history.len()
    };
    let out = baton_cli(&app.db, &["backup", &copy_path]);
    assert_eq!(out["backup"], copy_path.as_str());
    assert_eq!(out["bytes"], std::fs::metadata(&copy).unwrap().len());
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let acked = writer.await.unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // A second backup to the same path is refused (it would overwrite a copy).
    let out = std::process::Command::new(baton_bin())
        .args(["backup", &copy_path])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(!out.status.success());

    let second = serve_on(&copy_path, &app.db.dir().join("copy.log"));
    let client = &app.client;
    let (s, h) = get(
        client,
        &second.base,
        "/v1/sessions/settled/messages?limit=500",
        &app.api_key,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["items"].as_array().unwrap(), &settled);
    // The live conversation as of one moment: a prefix of what was acknowledged, holding every
    // turn acknowledged before the backup began.
    let (_, h) = get(
        client,
        &second.base,
        "/v1/sessions/live/messages?limit=500",
        &app.api_key,
    )
    .await;
    let copied: Vec<&str> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert!(
        copied.len() >= before_backup && copied.len() < acked.len(),
        "{} of {}",
        copied.len(),
        acked.len()
    );
    assert_eq!(
        copied,
        acked[..copied.len()]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    // The same deliveries, the same key (its signing secret too), the same reviewers.
    let (_, d) = get(
        client,
        &second.base,
        "/v1/deliveries?session_id=settled",
        &app.api_key,
    )
    .await;
    let copied_ids: Vec<Value> = d["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    assert_eq!(copied_ids, delivery_ids);
    let root = testkit::login(client, &second.base, "root").await.unwrap();
    let (_, keys) = get(client, &second.base, "/v1/api-keys", &root).await;
    let (_, original_keys) = app.get("/v1/api-keys", &app.login("root").await).await;
    assert_eq!(keys, original_keys);
    let (s, found) = get(client, &second.base, "/v1/search?q=kestrel", &root).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    // A callback from the copy is signed with the same secret.
    let alice = testkit::login(client, &second.base, "alice").await.unwrap();
    let (s, t) = read(
        client
            .post(format!("{}/v1/takeovers", second.base))
            .bearer_auth(&app.api_key)
            .json(&json!({"session_id": "after-restore", "channel": "telegram",
                          "reply_webhook": hook.url("/restored"), "reason": "other", "assignee": "support"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, _) = read(
        client
            .post(format!("{}/v1/sessions/after-restore/claim", second.base))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let got = hook
        .wait_for("the claim from the copy", |got| {
            got.iter().any(|r| r.path == "/restored")
        })
        .await;
    let claimed = got.iter().find(|r| r.path == "/restored").unwrap();
    assert!(crate::helpers::verify_signature(
        &app.signing_secret,
        claimed
    ));
}

/// `baton backup` on PostgreSQL says to use pg_dump; the documented `pg_dump -Fc` and
/// `pg_restore` commands give a database a new Baton serves with the same data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_dump_and_pg_restore_as_documented_give_a_database_baton_serves() {
    if !postgres_available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let out = std::process::Command::new(baton_bin())
        .args(["backup", "/tmp/never-written.db"])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("pg_dump -Fc") && said.contains("pg_restore"),
        "{said}"
    );
    assert!(!Path::new("/tmp/never-written.db").exists());

    let hook = Receiver::start();
    handoff(&app, &hook, "pg-settled", "person-6", "cormorant").await;
    let settled = app.history("pg-settled").await;
    let (_, deliveries) = app
        .get("/v1/deliveries?session_id=pg-settled", &app.api_key)
        .await;
    let root = app.login("root").await;
    let (_, keys) = app.get("/v1/api-keys", &root).await;

    // The commands of docs/OPERATIONS.md, with this test's host, user and databases.
    let source = url::Url::parse(&app.db.url).unwrap();
    let (host, user, name) = (
        source.host_str().unwrap().to_string(),
        source.username().to_string(),
        source.path().trim_start_matches('/').to_string(),
    );
    let dump = app.db.dir().join("baton.dump");
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program)
            .args(args)
            .env("PGPORT", source.port().unwrap_or(5432).to_string())
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let dump_path = dump.to_string_lossy().into_owned();
    run(
        "pg_dump",
        &[
            "-Fc", "-h", &host, "-U", &user, "-d", &name, "-f", &dump_path,
        ],
    );
    let restored_name = format!("baton_restored_{}", uuid::Uuid::new_v4().simple());
    let _drop = DropDatabase(restored_name.clone());
    run("createdb", &["-h", &host, "-U", &user, &restored_name]);
    let mut restored_url = source.clone();
    restored_url.set_path(&restored_name);
    let restored_url = restored_url.to_string();
    run(
        "pg_restore",
        &["-h", &host, "-U", &user, "-d", &restored_name, &dump_path],
    );
    // Migrations already applied are recorded in the dump: none runs again.
    let out = std::process::Command::new(baton_bin())
        .arg("migrate")
        .env("DATABASE_URL", &restored_url)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("(0 migration(s) applied)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let second = serve_on(&restored_url, &app.db.dir().join("restored.log"));
    let client = &app.client;
    let (s, h) = get(
        client,
        &second.base,
        "/v1/sessions/pg-settled/messages?limit=500",
        &app.api_key,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["items"].as_array().unwrap(), &settled);
    let ids = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].clone())
            .collect()
    };
    let (_, d) = get(
        client,
        &second.base,
        "/v1/deliveries?session_id=pg-settled",
        &app.api_key,
    )
    .await;
    assert_eq!(ids(&d), ids(&deliveries));
    assert!(ids(&d).len() >= 3, "{d}");
    let root2 = testkit::login(client, &second.base, "root").await.unwrap();
    let (_, keys2) = get(client, &second.base, "/v1/api-keys", &root2).await;
    assert_eq!(keys2, keys);
    let (_, found) = get(client, &second.base, "/v1/search?q=cormorant", &root2).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    // New turns on the restored database take the next numbers (its sequences came along).
    let (s, t) = read(
        client
            .post(format!("{}/v1/sessions/pg-settled/messages", second.base))
            .bearer_auth(&app.api_key)
            .json(&json!({"sender": "user", "content": "after the restore"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(s.is_success(), "{t}");
    assert_eq!(t["seq"].as_i64().unwrap(), settled.len() as i64 + 1, "{t}");
}

/// Drops a database the test created with `createdb`, however the test ends.
struct DropDatabase(String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        if let Ok(mut admin) =
            diesel::PgConnection::establish(&format!("{}/postgres", testkit::pg_admin_url()))
        {
            let _ =
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0));
        }
    }
}
