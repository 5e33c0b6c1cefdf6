//! Upgrades keep data: a database made by the first migration only (the first released schema),
//! filled through that schema's own SQL, is upgraded by today's Baton at start, and every row
//! is still there and readable through the API.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{baton_bin, Backend, TestDb};

backend_tests!(
    a_database_of_the_first_schema_keeps_every_row_through_todays_migrations,
    backfills_finish_exactly_across_a_kill_while_turns_flow_and_a_customer_is_erased,
);

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The first migration's schema, filled as Baton of that time wrote it: a team with alice
/// (reviewer) and root (admin), an API key, a conversation handed back after a takeover (five
/// messages, a note, its delivered callbacks with an attempt, audit entries) and one still
/// waiting for a person.
fn first_schema_rows(key_hash: &str, alice_hash: &str, root_hash: &str) -> String {
    format!(
        "INSERT INTO api_keys (id, name, key_hash, signing_secret, created_at)
           VALUES ('0193a0c4-0003-7000-8000-000000000003', 'n8n', '{key_hash}', 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', '2026-11-25 09:00:00');
         INSERT INTO teams (id, name, created_at) VALUES ('0193a0c4-0004-7000-8000-000000000004', 'support', '2026-11-25 09:00:00');
         INSERT INTO reviewers (id, name, display_name, password_hash, is_admin, created_at)
           VALUES ('0193a0c4-0005-7000-8000-000000000005', 'alice', 'Alice', '{alice_hash}', FALSE, '2026-11-25 09:00:00'),
                  ('0193a0c4-0006-7000-8000-000000000006', 'root', 'Root', '{root_hash}', TRUE, '2026-11-25 09:00:00');
         INSERT INTO team_members (team_id, reviewer_id) VALUES ('0193a0c4-0004-7000-8000-000000000004', '0193a0c4-0005-7000-8000-000000000005');
         INSERT INTO sessions (id, channel, channel_ref, user_id, status, assigned_to, open_takeover_id,
                               next_seq, created_at, updated_at, last_user_message_at)
           VALUES ('up-1', 'telegram', '48213977', 'tg-48213977', 'handed_back', NULL, NULL, 5,
                   '2026-11-25 10:00:00', '2026-11-25 10:09:00', '2026-11-25 10:02:00'),
                  ('up-2', 'whatsapp', '+4915112345678', NULL, 'human_requested', NULL, '0193a0c4-0002-7000-8000-000000000002', 1,
                   '2026-11-25 11:00:00', '2026-11-25 11:00:01', '2026-11-25 11:00:00');
         INSERT INTO messages (id, session_id, seq, sender, content, external_id, tool_calls, meta, at, recorded_at) VALUES
           ('0193a0c4-0007-7000-8000-000000000007', 'up-1', 1, 'user', 'Where is my order 1234?', 'tg-1', NULL, NULL, '2026-11-25 10:00:00', '2026-11-25 10:00:00'),
           ('0193a0c4-0008-7000-8000-000000000008', 'up-1', 2, 'ai', 'Let me look that up.', NULL, '[{{\"name\":\"order_lookup\"}}]', '{{\"model\":\"gpt\"}}', '2026-11-25 10:00:05', '2026-11-25 10:00:05'),
           ('0193a0c4-0009-7000-8000-000000000009', 'up-1', 3, 'user', 'I want a person', 'tg-2', NULL, NULL, '2026-11-25 10:02:00', '2026-11-25 10:02:00'),
           ('0193a0c4-000a-7000-8000-00000000000a', 'up-1', 4, 'human:alice', 'Hi, I am Alice. It ships today.', NULL, NULL, NULL, '2026-11-25 10:05:00', '2026-11-25 10:05:00'),
           ('0193a0c4-000b-7000-8000-00000000000b', 'up-1', 5, 'system', 'Alice handed the conversation back: re-shipped', NULL, NULL, NULL, '2026-11-25 10:09:00', '2026-11-25 10:09:00'),
           ('0193a0c4-000c-7000-8000-00000000000c', 'up-2', 1, 'user', 'Hallo, ich brauche Hilfe', NULL, NULL, NULL, '2026-11-25 11:00:00', '2026-11-25 11:00:00');
         INSERT INTO takeovers (id, session_id, mode, status, outcome, reason, summary, priority, context, assignee,
                                assignee_team_id, assignee_reviewer_id, timeout_seconds, expires_at, reply_webhook,
                                handback_signal, proposal, decisions, api_key_id, idempotency_key, request_hash,
                                claimed_by, claimed_at, resolved_at, handback_summary, escalation_step, created_at, updated_at) VALUES
           ('0193a0c4-0001-7000-8000-000000000001', 'up-1', 'takeover', 'resolved', 'handed_back', 'user_requested', 'Order 1234 late', 0,
            '{{\"classifier\":{{\"score\":0.4}}}}', 'support', '0193a0c4-0004-7000-8000-000000000004', NULL, 300, '2026-11-25 10:07:00',
            'http://127.0.0.1:9/reply', NULL, NULL, NULL, '0193a0c4-0003-7000-8000-000000000003', 'idem-1', 'h1', 'alice',
            '2026-11-25 10:03:00', '2026-11-25 10:09:00', 're-shipped', 0, '2026-11-25 10:02:00', '2026-11-25 10:09:00'),
           ('0193a0c4-0002-7000-8000-000000000002', 'up-2', 'takeover', 'requested', NULL, 'other', 'German speaker', 1,
            NULL, 'support', '0193a0c4-0004-7000-8000-000000000004', NULL, 86400, '2099-01-01 00:00:00',
            'http://127.0.0.1:9/reply', NULL, NULL, NULL, '0193a0c4-0003-7000-8000-000000000003', NULL, NULL, NULL,
            NULL, NULL, NULL, 0, '2026-11-25 11:00:01', '2026-11-25 11:00:01');
         INSERT INTO notes (id, session_id, takeover_id, author, content, created_at)
           VALUES ('0193a0c4-000d-7000-8000-00000000000d', 'up-1', '0193a0c4-0001-7000-8000-000000000001', 'alice', 'Customer was polite', '2026-11-25 10:04:00');
         INSERT INTO deliveries (id, lane, session_id, takeover_id, event_type, api_key_id, webhook_id, message_id,
                                 url, payload, status, attempts, next_attempt_at, locked_until, last_status_code,
                                 last_error, created_at, delivered_at)
           VALUES ('evt_0193a0c4000170008000000000000001', 'up-1', 'up-1', '0193a0c4-0001-7000-8000-000000000001', 'reply', '0193a0c4-0003-7000-8000-000000000003', NULL, '0193a0c4-000a-7000-8000-00000000000a', 'http://127.0.0.1:9/reply',
                   '{{\"id\":\"evt_0193a0c4000170008000000000000001\",\"type\":\"reply\",\"occurred_at\":\"2026-11-25T10:05:00Z\",\"session_id\":\"up-1\",\"channel\":\"telegram\",\"channel_ref\":\"48213977\",\"takeover_id\":\"0193a0c4-0001-7000-8000-000000000001\",\"message\":{{\"id\":\"0193a0c4-000a-7000-8000-00000000000a\",\"seq\":4,\"content\":\"Hi, I am Alice. It ships today.\"}}}}',
                   'delivered', 1, '2026-11-25 10:05:00', NULL, 200, NULL, '2026-11-25 10:05:00', '2026-11-25 10:05:01');
         INSERT INTO delivery_attempts (id, delivery_id, attempted_at, url, status_code, latency_ms, error, response_excerpt)
           VALUES ('0193a0c4-000e-7000-8000-00000000000e', 'evt_0193a0c4000170008000000000000001', '2026-11-25 10:05:01', 'http://127.0.0.1:9/reply', 200, 12, NULL, NULL);
         INSERT INTO audit_events (id, at, actor, action, session_id, takeover_id, from_status, to_status, detail) VALUES
           ('0193a0c4-000f-7000-8000-00000000000f', '2026-11-25 10:03:00', 'reviewer:alice', 'claim', 'up-1', '0193a0c4-0001-7000-8000-000000000001', 'human_requested', 'human_active', NULL),
           ('0193a0c4-0010-7000-8000-000000000010', '2026-11-25 10:09:00', 'reviewer:alice', 'handback', 'up-1', '0193a0c4-0001-7000-8000-000000000001', 'human_active', 'handed_back', '{{\"summary\":\"re-shipped\"}}');"
    )
}

async fn a_database_of_the_first_schema_keeps_every_row_through_todays_migrations(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let key = "bk_upgrade_test_key_0123456789abcdefghijklmnopqrstu";
    let digest = baton::domain::credentials::token_digest(key);
    let alice = baton::domain::credentials::hash_password(testkit::PASSWORD).unwrap();
    let root = baton::domain::credentials::hash_password(testkit::PASSWORD).unwrap();
    let rows = first_schema_rows(&digest, &alice, &root);
    // The first migration only, then the rows through its SQL.
    let first = match backend {
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(&db.url).unwrap();
            let first = conn.run_next_migration(SQLITE).unwrap().to_string();
            assert_eq!(conn.applied_migrations().unwrap().len(), 1);
            conn.batch_execute(&rows).unwrap();
            first
        }
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
            let first = conn.run_next_migration(POSTGRES).unwrap().to_string();
            assert_eq!(conn.applied_migrations().unwrap().len(), 1);
            conn.batch_execute(&rows).unwrap();
            first
        }
    };
    assert_eq!(first, "20261125000001");

    // Today's Baton applies every later migration at start.
    let log = db.dir().join("upgrade.log");
    let server = testkit::Process::spawn(
        std::process::Command::new(baton_bin())
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("BATON_LOG", "info")
            // The old rows are days old: no idle close while the test reads them.
            .env("BATON_IDLE_CLOSE", "30d"),
        &log,
        std::time::Duration::from_secs(60),
    )
    .unwrap_or_else(|e| panic!("baton did not start on the old database: {e:#}"));
    let folder = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let all = std::fs::read_dir(format!(
        "{}/migrations/{folder}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .count();
    assert!(all > 20);
    let applied = match backend {
        Backend::Sqlite => diesel::SqliteConnection::establish(&db.url)
            .unwrap()
            .applied_migrations()
            .unwrap()
            .len(),
        Backend::Postgres => diesel::PgConnection::establish(&db.url)
            .unwrap()
            .applied_migrations()
            .unwrap()
            .len(),
    };
    assert_eq!(applied, all);

    let client = reqwest::Client::new();
    let base = server.base.clone();
    let get = |path: &str, token: &str| {
        let req = client.get(format!("{base}{path}")).bearer_auth(token);
        async move { crate::helpers::read(req.send().await.unwrap()).await }
    };
    // The key still answers, the conversations and their history are intact.
    let (s, me) = get("/v1/me", key).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    let (s, session) = get("/v1/sessions/up-1", key).await;
    assert_eq!(s, StatusCode::OK, "{session}");
    assert_eq!(session["status"], "handed_back");
    assert_eq!(session["owner"], "ai");
    assert_eq!(session["user_id"], "tg-48213977");
    assert_eq!(session["channel_ref"], "48213977");
    let (s, history) = get("/v1/sessions/up-1/messages", key).await;
    assert_eq!(s, StatusCode::OK, "{history}");
    let seen: Vec<(i64, String, String)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["seq"].as_i64().unwrap(),
                m["sender"].as_str().unwrap().to_string(),
                m["content"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, "user".into(), "Where is my order 1234?".into()),
            (2, "ai".into(), "Let me look that up.".into()),
            (3, "user".into(), "I want a person".into()),
            (
                4,
                "human:alice".into(),
                "Hi, I am Alice. It ships today.".into()
            ),
            (
                5,
                "system".into(),
                "Alice handed the conversation back: re-shipped".into()
            ),
        ]
    );
    assert_eq!(
        history["items"][1]["tool_calls"],
        json!([{"name": "order_lookup"}])
    );
    let (s, takeover) = get("/v1/takeovers/0193a0c4-0001-7000-8000-000000000001", key).await;
    assert_eq!(s, StatusCode::OK, "{takeover}");
    assert_eq!(takeover["outcome"], "handed_back");
    assert_eq!(takeover["claimed_by"], "alice");
    assert_eq!(takeover["summary"], "Order 1234 late");
    // The delivery and its attempt.
    let (s, delivery) = get("/v1/deliveries/evt_0193a0c4000170008000000000000001", key).await;
    assert_eq!(s, StatusCode::OK, "{delivery}");
    assert_eq!(delivery["status"], "delivered");
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["last_status_code"], 200);
    assert_eq!(delivery["payload"]["message"]["seq"], 4, "{delivery}");
    let attempts = delivery["attempt_log"].as_array().expect("the attempt log");
    assert_eq!(attempts.len(), 1, "{delivery}");
    assert_eq!(attempts[0]["status_code"], 200, "{delivery}");
    // The reviewers sign in with their passwords; the waiting conversation is in alice's queue
    // (the queue's counts were built from the old rows), her note on the first one is there.
    let alice = testkit::login(&client, &base, "alice").await.unwrap();
    let (s, inbox) = get("/v1/inbox", &alice).await;
    assert_eq!(s, StatusCode::OK, "{inbox}");
    let waiting: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["session"]["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(waiting, vec!["up-2"], "{inbox}");
    assert_eq!(inbox["counts"]["waiting"], 1, "{inbox}");
    let (s, notes) = get("/v1/sessions/up-1/notes", &alice).await;
    assert_eq!(s, StatusCode::OK, "{notes}");
    assert_eq!(
        notes.to_string().matches("Customer was polite").count(),
        1,
        "{notes}"
    );
    let root = testkit::login(&client, &base, "root").await.unwrap();
    let (_, audit) = get("/v1/audit?session_id=up-1", &root).await;
    assert_eq!(audit.as_array().unwrap().len(), 2, "{audit}");
    // The backfills the migrations left (the old messages' search index, the customer-turn
    // counts) finish after start; then the old conversation's words are found and its
    // customer turns counted.
    let finished = backfills_finished(backend, &db.url).await;
    assert_eq!(
        finished,
        vec!["customer_turns".to_string(), "message_search".to_string()]
    );
    let (s, found) = get("/v1/search?q=order%201234", &root).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert_eq!(found["items"][0]["session_id"], "up-1", "{found}");
    assert_eq!(
        scalar(
            backend,
            &db.url,
            "SELECT customer_turns AS n FROM sessions WHERE id = 'up-1'"
        ),
        2
    );
    // And it goes on: the next turn takes the next number.
    let r = client
        .post(format!("{base}/v1/sessions/up-1/messages"))
        .bearer_auth(key)
        .json(&json!({"sender": "user", "content": "thanks"}))
        .send()
        .await
        .unwrap();
    let (s, turn) = crate::helpers::read(r).await;
    assert!(s.is_success(), "{turn}");
    assert_eq!(turn["seq"], 6);
    assert_eq!(turn["status"], "ai");
}

/// Waits (up to a minute) until the database has no unfinished backfill; the names of the
/// finished ones.
async fn backfills_finished(backend: Backend, url: &str) -> Vec<String> {
    for _ in 0..600 {
        let open = scalar(
            backend,
            url,
            "SELECT count(*) AS n FROM backfills WHERE finished_at IS NULL",
        );
        if open == 0 {
            return names(backend, url, "SELECT name FROM backfills ORDER BY name");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the backfills did not finish within a minute");
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Rows read straight from the database.
pub(crate) fn rows<T>(backend: Backend, url: &str, sql: &str) -> Vec<T>
where
    T: diesel::deserialize::QueryableByName<diesel::sqlite::Sqlite>
        + diesel::deserialize::QueryableByName<diesel::pg::Pg>
        + 'static,
{
    use diesel::RunQueryDsl;
    match backend {
        Backend::Sqlite => diesel::sql_query(sql)
            .load(&mut diesel::SqliteConnection::establish(url).unwrap())
            .unwrap(),
        Backend::Postgres => diesel::sql_query(sql)
            .load(&mut diesel::PgConnection::establish(url).unwrap())
            .unwrap(),
    }
}

/// One number read straight from the database (`SELECT … AS n`).
pub(crate) fn scalar(backend: Backend, url: &str, sql: &str) -> i64 {
    rows::<Count>(backend, url, sql)[0].n
}

/// Names read straight from the database (`SELECT name …`).
pub(crate) fn names(backend: Backend, url: &str, sql: &str) -> Vec<String> {
    rows::<Name>(backend, url, sql)
        .into_iter()
        .map(|r| r.name)
        .collect()
}

/// What the migrations leave to do after start on a big database (db::backfill): the search
/// index of the old messages and the customer-turn counts of the old conversations and read
/// marks. An admin erases a conversation before the backfill reached it, and Baton is killed in
/// the middle of a backfill; the next start finishes them while customers keep writing to those same conversations: afterwards every count is exact,
/// every message (old, new, none twice) is in the search index, and the erased one's are gone.
async fn backfills_finish_exactly_across_a_kill_while_turns_flow_and_a_customer_is_erased(
    backend: Backend,
) {
    const MESSAGES: u64 = 60_000;
    const PER: u64 = 30;
    let db = TestDb::new(backend);
    let fill = testkit::first_schema::fill_sql(backend, MESSAGES, PER);
    // The first schema, filled; then the migrations up to the read marks, and 100 read marks
    // (at turn 10: five customer turns each, the customer writing every even turn).
    let reads = "INSERT INTO reviewers (id, name, display_name, password_hash, is_admin, created_at)
                   VALUES ('r-old', 'olga', 'Olga', 'x', FALSE, '2026-11-25 09:00:00');
                 INSERT INTO session_reads (session_id, reviewer_id, read_seq, read_at)
                   SELECT id, 'r-old', 10, '2026-11-26 09:00:00' FROM sessions WHERE id LIKE 's1_';";
    // The migrations up to and including the read marks' (`reads_and_customers`).
    const READS: &str = "20261206000000";
    match backend {
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(&db.url).unwrap();
            conn.run_next_migration(SQLITE).unwrap();
            conn.batch_execute(&fill).unwrap();
            while conn.run_next_migration(SQLITE).unwrap().to_string() != READS {}
            conn.batch_execute(reads).unwrap();
        }
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
            conn.run_next_migration(POSTGRES).unwrap();
            conn.batch_execute(&fill).unwrap();
            while conn.run_next_migration(POSTGRES).unwrap().to_string() != READS {}
            conn.batch_execute(reads).unwrap();
        }
    }
    assert_eq!(
        scalar(backend, &db.url, "SELECT count(*) AS n FROM session_reads"),
        10
    );
    // The CLI applies the remaining migrations, which record the backfills; the server does them.
    let bin = std::path::Path::new(baton_bin());
    let key = testkit::create_api_key(bin, &db.url, "n8n").unwrap().key;
    testkit::add_reviewer(bin, &db.url, "root", "ops", &["--admin"]).unwrap();
    assert_eq!(
        names(
            backend,
            &db.url,
            "SELECT name FROM backfills WHERE finished_at IS NULL ORDER BY name"
        ),
        vec!["customer_turns".to_string(), "message_search".to_string()]
    );
    // An admin erases a conversation at the end of the table, before any old message is
    // indexed: its rows must not be taken out of an index they are not in yet.
    let erased = testkit::baton_cli(bin, &db.url, &["erase", "--session-id", "s1990"]).unwrap();
    assert_eq!(erased["messages"], PER, "{erased}");
    // A backup taken now holds a complete search index (the copy's is rebuilt) and no
    // backfill of it left to do.
    if backend == Backend::Sqlite {
        let copy = db.dir().join("copy.db");
        testkit::baton_cli(bin, &db.url, &["backup", copy.to_str().unwrap()]).unwrap();
        let copy = copy.to_string_lossy().into_owned();
        let mut conn = diesel::SqliteConnection::establish(&copy).unwrap();
        conn.batch_execute("INSERT INTO message_search(message_search) VALUES ('integrity-check')")
            .unwrap();
        assert_eq!(
            names(
                backend,
                &copy,
                "SELECT name FROM backfills WHERE finished_at IS NULL"
            ),
            vec!["customer_turns".to_string()]
        );
        assert_eq!(
            scalar(
                backend,
                &copy,
                "SELECT count(*) AS n FROM message_search WHERE message_search MATCH 'damaged'"
            ),
            ((MESSAGES - PER) / 5) as i64
        );
    }
    // A restart in the middle of a backfill picks up where it stopped: Baton is killed (SIGKILL)
    // once the search backfill has done a few batches, and the next start finishes it.
    let started = |log: &str| {
        testkit::Process::spawn(
            std::process::Command::new(baton_bin())
                .arg("serve")
                .env("DATABASE_URL", &db.url)
                .env("BATON_IDLE_CLOSE", "30d"),
            &db.dir().join(log),
            std::time::Duration::from_secs(60),
        )
        .unwrap()
    };
    let first = started("backfill-killed.log");
    let progressed = "SELECT count(*) AS n FROM backfills WHERE name = 'message_search'
                        AND finished_at IS NULL AND (after_rowid > 0 OR after_key <> '')";
    while scalar(backend, &db.url, progressed) == 0 {
        assert_eq!(
            names(
                backend,
                &db.url,
                "SELECT name FROM backfills WHERE name = 'message_search' AND finished_at IS NULL"
            ),
            vec!["message_search".to_string()],
            "the backfill finished before it could be interrupted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // An operator sees it in `/metrics` (the search backfill is not finished).
    assert_pending_backfills(&first.base, 1).await;
    drop(first);
    assert_eq!(scalar(backend, &db.url, progressed), 1);
    let server = started("backfill.log");
    let base = server.base.clone();
    let client = reqwest::Client::new();

    // Customers write to old conversations all along the backfills.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4u64 {
        let (client, base, key, stop) = (client.clone(), base.clone(), key.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut acked = 0u64;
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                // Conversations all over the table, the erased one excepted.
                let session = (i * 37 + w * 500) % (MESSAGES / PER) + 1;
                i += 1;
                if session == 1990 {
                    continue;
                }
                let r = client
                    .post(format!("{base}/v1/sessions/s{session}/messages"))
                    .bearer_auth(&key)
                    .json(&json!({"sender": "user", "content": format!("zebrafinch {w} {i}")}))
                    .send()
                    .await
                    .unwrap();
                let (s, b) = crate::helpers::read(r).await;
                assert!(s.is_success(), "{b}");
                acked += 1;
            }
            acked
        }));
    }
    // Turns answered before the backfills had finished: the case this test is about.
    let mut during = 0u64;
    loop {
        let open = scalar(
            backend,
            &db.url,
            "SELECT count(*) AS n FROM backfills WHERE finished_at IS NULL",
        );
        let written = scalar(
            backend,
            &db.url,
            "SELECT count(*) AS n FROM messages WHERE content LIKE 'zebrafinch%'",
        );
        if open == 0 {
            break;
        }
        during = written as u64;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut acked = 0;
    for w in writers {
        acked += w.await.unwrap();
    }
    assert!(during > 0, "no turn was recorded while the backfills ran");

    // Every conversation's count of customer turns is exact, old turns and new (an erased
    // conversation keeps its count under its pseudonym, as its takeovers' facts, and no message).
    assert_eq!(
        scalar(
            backend,
            &db.url,
            "SELECT count(*) AS n FROM sessions s WHERE s.id NOT LIKE 'erased:%' AND s.customer_turns <>
               (SELECT count(*) FROM messages m WHERE m.session_id = s.id AND m.sender = 'user')"
        ),
        0
    );
    assert_eq!(
        scalar(
            backend,
            &db.url,
            "SELECT count(*) AS n FROM messages WHERE session_id IN ('s1990', 'erased:s1990')"
        ),
        0
    );
    assert_eq!(
        scalar(
            backend,
            &db.url,
            "SELECT count(*) AS n FROM session_reads WHERE read_customer_turns <> 5"
        ),
        0
    );
    // Every message is in the search index once: the old and the new, not the erased.
    let new_turns = scalar(
        backend,
        &db.url,
        "SELECT count(*) AS n FROM messages WHERE content LIKE 'zebrafinch%'",
    );
    assert_eq!(new_turns as u64, acked);
    let damaged = scalar(
        backend,
        &db.url,
        "SELECT count(*) AS n FROM messages WHERE content LIKE '%damaged%'",
    );
    assert_eq!(damaged as u64, (MESSAGES - PER) / 5);
    let (found_old, found_new, unindexed) = match backend {
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(&db.url).unwrap();
            // FTS5 compares its index with the messages it indexes.
            conn.batch_execute("INSERT INTO message_search(message_search) VALUES ('integrity-check')")
                .unwrap();
            (
                "SELECT count(*) AS n FROM message_search WHERE message_search MATCH 'damaged'",
                "SELECT count(*) AS n FROM message_search WHERE message_search MATCH 'zebrafinch'",
                "SELECT count(*) - (SELECT count(*) FROM message_search) AS n FROM messages",
            )
        }
        Backend::Postgres => (
            "SELECT count(*) AS n FROM messages WHERE search @@ plainto_tsquery('simple', 'damaged')",
            "SELECT count(*) AS n FROM messages WHERE search @@ plainto_tsquery('simple', 'zebrafinch')",
            "SELECT count(*) AS n FROM messages WHERE search IS NULL",
        ),
    };
    assert_eq!(scalar(backend, &db.url, found_old), damaged);
    assert_eq!(scalar(backend, &db.url, found_new), new_turns);
    assert_eq!(scalar(backend, &db.url, unindexed), 0);
    assert_pending_backfills(&base, 0).await;
    // And the API finds an old conversation by its words.
    let root = testkit::login(&client, &base, "root").await.unwrap();
    let r = client
        .get(format!("{base}/v1/search?q=damaged%20parcel"))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    let (s, found) = crate::helpers::read(r).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert!(!found["items"].as_array().unwrap().is_empty(), "{found}");
}

/// PostgreSQL builds its big indexes concurrently; a build that was interrupted (a restart in
/// the middle) leaves its index INVALID, and its migration's `IF NOT EXISTS` then skips it. The
/// migration after each such build finds an invalid one and builds it again, so no database is
/// left with a caller-id check or a search index that does not work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rebuilds_an_index_whose_concurrent_build_was_interrupted() {
    if !crate::helpers::postgres_available() {
        return;
    }
    let backend = Backend::Postgres;
    let db = TestDb::new(backend);
    let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
    let migrate_until = |conn: &mut diesel::PgConnection, version: &str| {
        while conn.run_next_migration(POSTGRES).unwrap().to_string() != version {}
    };
    // What an interrupted CREATE INDEX CONCURRENTLY leaves: an index of that name, INVALID
    // (here made by a build that fails on its first row).
    let interrupted = |conn: &mut diesel::PgConnection, name: &str| {
        let failed = conn.batch_execute(&format!(
            "CREATE INDEX CONCURRENTLY {name} ON messages ((1 / (length(id) - length(id))))"
        ));
        assert!(failed.is_err());
    };
    let invalid = "SELECT count(*) AS n FROM pg_index WHERE NOT indisvalid";
    conn.run_next_migration(POSTGRES).unwrap();
    conn.batch_execute(&testkit::first_schema::fill_sql(backend, 10, 5))
        .unwrap();
    migrate_until(&mut conn, "20261126100000");
    interrupted(&mut conn, "messages_external_id_partial");
    assert_eq!(scalar(backend, &db.url, invalid), 1);
    migrate_until(&mut conn, "20261206220000");
    assert_eq!(scalar(backend, &db.url, invalid), 0);
    interrupted(&mut conn, "messages_search_recent");
    assert_eq!(scalar(backend, &db.url, invalid), 1);
    while conn.has_pending_migration(POSTGRES).unwrap() {
        conn.run_next_migration(POSTGRES).unwrap();
    }
    assert_eq!(scalar(backend, &db.url, invalid), 0);
    // The caller-id index is the partial unique one, under its name, and it checks.
    assert_eq!(
        scalar(
            backend,
            &db.url,
            "SELECT count(*) AS n FROM pg_index WHERE indexrelid = to_regclass('messages_external_id')
               AND indisunique AND indpred IS NOT NULL AND indisvalid"
        ),
        1
    );
    assert_eq!(
        scalar(
            backend,
            &db.url,
            "SELECT count(*) AS n FROM pg_class WHERE relname = 'messages_external_id_partial'"
        ),
        0
    );
    let twice = conn.batch_execute(
        "INSERT INTO messages (id, session_id, seq, sender, content, external_id, at, recorded_at)
           VALUES ('dup-1', 's1', 90, 'user', 'a', 'x2', now(), now())",
    );
    let refused = format!(
        "{:?}",
        twice.expect_err("the caller id x2 of s1 was taken twice")
    );
    assert!(refused.contains("messages_external_id"), "{refused}");
    // The search index is valid: the planner may use it.
    assert_eq!(
        scalar(
            backend,
            &db.url,
            "SELECT count(*) AS n FROM pg_index WHERE indexrelid = to_regclass('messages_search_recent') AND indisvalid"
        ),
        1
    );
}

/// `/metrics` of the Baton at `base` reports `n` unfinished backfills.
async fn assert_pending_backfills(base: &str, n: u32) {
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!("baton_backfills_pending {n}");
    assert!(metrics.lines().any(|l| l == line), "{metrics}");
}
