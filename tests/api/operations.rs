//! What an operator does over the years (docs/OPERATIONS.md): back up a live database and start
//! a second Baton on the copy, dump and restore PostgreSQL with its own tools, erase a customer
//! on request, and let retention purge old closed conversations while turns keep flowing.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    baton_bin, baton_cli, enc, postgres_available, read, spawn_app, Backend, Receiver, TestApp,
};

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
