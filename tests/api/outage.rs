//! The database goes away and comes back: PostgreSQL cut off under turn load (through
//! `testkit::Proxy`, never by restarting the shared server), SQLite locked by another process
//! past the busy timeout, SQLite full. Requests meanwhile get a problem with `Retry-After`,
//! never a hang or a 500; everything answered 2xx is there once afterwards; the outbox and the
//! timers pick up where they were.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::Connection;
use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::Proxy;

use crate::helpers::{
    baton_bin, enc, free_port, postgres_available, spawn_app_with, Backend, Options, Receiver,
    TestApp,
};

/// The most any one of these tests may take.
const BOUND: Duration = Duration::from_secs(120);

/// How soon after the database answers again Baton must answer 2xx.
const RECOVERY: Duration = Duration::from_secs(5);

/// What a client saw of one turn request.
enum Answer {
    Ok(Value),
    /// A problem: status, `type`, `Retry-After`.
    Problem(StatusCode, String, Option<String>),
}

/// Sends a turn with the caller's id `id` (a retry of a refused turn sends the same id).
async fn turn(client: &reqwest::Client, base: &str, key: &str, session: &str, id: &str) -> Answer {
    let r = client
        .post(format!("{base}/v1/sessions/{}/messages", enc(session)))
        .bearer_auth(key)
        .json(&json!({"sender": "user", "content": format!("turn {id}"), "id": id, "channel": "telegram"}))
        .send()
        .await
        .expect("an answer, not a hang (the client gives up after 30 s)");
    problem_or_ok(r).await
}

async fn problem_or_ok(r: reqwest::Response) -> Answer {
    let status = r.status();
    let retry_after = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Answer::Ok(body);
    }
    assert_eq!(
        content_type, "application/problem+json",
        "{status} without a problem document: {body}"
    );
    let kind = body["type"].as_str().unwrap_or("").to_string();
    Answer::Problem(status, kind, retry_after)
}

/// Asserts the outage problem: 503 `database-unavailable` with a whole-seconds `Retry-After`.
fn assert_unavailable(status: StatusCode, kind: &str, retry_after: &Option<String>) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{kind}");
    assert_eq!(kind, "/problems/database-unavailable");
    let seconds = retry_after
        .as_deref()
        .and_then(|s| s.parse::<u64>().ok())
        .expect("a 503 carries Retry-After in whole seconds");
    assert!(seconds >= 1, "{seconds}");
}

/// Sends turn `id` again until it is answered 2xx; how long that took. Panics past `within`,
/// or on any answer but 2xx and the outage problem.
async fn until_accepted(app: &TestApp, session: &str, id: &str, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        match turn(&app.client, &app.base, &app.api_key, session, id).await {
            Answer::Ok(_) => return started.elapsed(),
            Answer::Problem(status, kind, retry_after) => {
                if status != StatusCode::INSUFFICIENT_STORAGE {
                    assert_unavailable(status, &kind, &retry_after);
                }
            }
        }
        assert!(
            started.elapsed() < within,
            "turn {id} still refused after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn readyz(app: &TestApp) -> StatusCode {
    app.client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz answers")
        .status()
}

/// Every id the client was answered 2xx for is in the conversation exactly once (through the
/// API), and the table holds no more rows than that.
async fn assert_exactly_once(app: &TestApp, session: &str, acked: &[String], rows: i64) {
    let history = app.history(session).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in &history {
        if let Some(id) = m["external_id"].as_str() {
            *seen.entry(id.to_string()).or_default() += 1;
        }
    }
    for id in acked {
        assert_eq!(seen.get(id), Some(&1), "turn {id} of {session}: {seen:?}");
    }
    assert_eq!(history.len(), acked.len(), "{session}: {seen:?}");
    assert_eq!(rows, acked.len() as i64, "rows of {session}");
}

/// Rows in `messages` for a session, counted in the database itself.
fn message_rows(db_url: &str, session: &str) -> i64 {
    use diesel::sql_types::{BigInt, Text};
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = "SELECT COUNT(*) AS n FROM messages WHERE session_id = $1";
    if db_url.starts_with("postgres") {
        let mut conn = diesel::PgConnection::establish(db_url).unwrap();
        diesel::RunQueryDsl::get_result::<Count>(
            diesel::sql_query(sql).bind::<Text, _>(session),
            &mut conn,
        )
        .unwrap()
        .n
    } else {
        let mut conn = diesel::SqliteConnection::establish(db_url).unwrap();
        conn.batch_execute("PRAGMA busy_timeout = 10000;").unwrap();
        diesel::RunQueryDsl::get_result::<Count>(
            diesel::sql_query(sql.replace("$1", "?")).bind::<Text, _>(session),
            &mut conn,
        )
        .unwrap()
        .n
    }
}

/// One client sending turns to its own conversation, retrying a refused one with the same id
/// (as n8n's retry does) until told to stop.
struct Load {
    stop: Arc<AtomicBool>,
    /// Per driver: the ids answered 2xx.
    acked: Vec<Arc<Mutex<Vec<String>>>>,
    /// 503s seen (each checked: type and `Retry-After`).
    refused: Arc<Mutex<usize>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(app: &TestApp, drivers: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(Mutex::new(0));
        let mut acked = Vec::new();
        let mut tasks = Vec::new();
        for d in 0..drivers {
            let mine = Arc::new(Mutex::new(Vec::<String>::new()));
            acked.push(mine.clone());
            let (client, base, key) = (app.client.clone(), app.base.clone(), app.api_key.clone());
            let (stop, refused) = (stop.clone(), refused.clone());
            tasks.push(tokio::spawn(async move {
                let session = format!("load-{d}");
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let id = format!("{d}-{i}");
                    match turn(&client, &base, &key, &session, &id).await {
                        Answer::Ok(_) => {
                            mine.lock().unwrap().push(id);
                            i += 1;
                        }
                        Answer::Problem(status, kind, retry_after) => {
                            assert_unavailable(status, &kind, &retry_after);
                            *refused.lock().unwrap() += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            }));
        }
        Load {
            stop,
            acked,
            refused,
            tasks,
        }
    }

    fn least_acked(&self) -> usize {
        (0..self.acked.len())
            .map(|d| self.acked[d].lock().unwrap().len())
            .min()
            .unwrap_or(0)
    }

    async fn until_each_acked(&self, n: usize, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.least_acked() < n {
            assert!(Instant::now() < deadline, "{what}: load stalled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(self) -> Vec<Vec<String>> {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.tasks {
            t.await.expect("a load driver panicked");
        }
        self.acked
            .iter()
            .map(|a| a.lock().unwrap().clone())
            .collect()
    }
}

/// Restarts `app`'s Baton with `DATABASE_URL` set to `url` (the proxy) and `env`; the app's
/// helpers then talk to the new process. The CLI that seeded the database went straight to it.
fn relaunch(app: &mut TestApp, url: &str, env: &[(&str, &str)]) -> testkit::Process {
    app.kill();
    let process = testkit::Process::spawn(
        std::process::Command::new(baton_bin())
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("BATON_LOG", "info")
            .env("BATON_WORKER_POLL", "100ms")
            .env("BATON_DELIVERY_TIMEOUT", "3s")
            .envs(env.iter().copied()),
        &app.log_path,
        Duration::from_secs(60),
    )
    .unwrap_or_else(|e| panic!("baton did not start: {e:#}"));
    app.base = process.base.clone();
    process
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cut_off_under_load_answers_503_then_recovers_losing_and_doubling_nothing() {
    if !postgres_available() {
        return;
    }
    tokio::time::timeout(BOUND, postgres_cut_off())
        .await
        .expect("the test finished within its bound");
}

async fn postgres_cut_off() {
    let mut app = spawn_app_with(Backend::Postgres, Options::default()).await;
    let (proxy, proxied) = Proxy::for_postgres(&app.db.url).expect("a proxy to PostgreSQL");
    // The default BATON_DB_TIMEOUT (5 s): the recovery bound holds with what operators get.
    let schedule = ["500ms"; 60].join(",");
    let _process = relaunch(
        &mut app,
        &proxied,
        &[("BATON_RETRY_SCHEDULE", schedule.as_str())],
    );
    let alice = app.login("alice").await;

    // A callback queued before the cut: its receiver is down, so it waits in the outbox.
    let port = free_port();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let (s, body) = app.takeover("outage-reply", &hook, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, _) = app
        .post("/v1/sessions/outage-reply/claim", &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, reply) = app
        .post(
            "/v1/sessions/outage-reply/replies",
            &alice,
            json!({"content": "queued before the cut"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{reply}");

    let load = Load::start(&app, 4);
    load.until_each_acked(3, "before the cut").await;

    // A timer that comes due while the database is away.
    let timer_hook = Receiver::start();
    let (s, body) = app
        .takeover(
            "outage-timer",
            &timer_hook.url("/hook"),
            json!({"timeout": "1s"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    proxy.cut();
    let cut_at = Instant::now();
    // Not ready while the database is away, and requests are refused, not held.
    let mut ready = readyz(&app).await;
    while ready != StatusCode::SERVICE_UNAVAILABLE {
        assert!(
            cut_at.elapsed() < Duration::from_secs(15),
            "/readyz still {ready} after the cut"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        ready = readyz(&app).await;
    }
    match turn(&app.client, &app.base, &app.api_key, "probe", "probe-1").await {
        Answer::Ok(body) => panic!("a turn accepted with the database away: {body}"),
        Answer::Problem(status, kind, retry_after) => {
            assert_unavailable(status, &kind, &retry_after)
        }
    }
    while *load.refused.lock().unwrap() == 0 {
        assert!(
            cut_at.elapsed() < Duration::from_secs(15),
            "no 503 under load"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Long enough for the timer (due 1 s after it was set) to come due during the cut.
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(cut_at.elapsed())).await;
    assert!(
        Receiver::of_type(&timer_hook.received(), "takeover.timed_out").is_empty(),
        "the timer cannot fire without its database"
    );
    assert!(proxy.refused() > 0, "Baton tried to reconnect");

    proxy.restore();
    let restored_at = Instant::now();
    let recovered = until_accepted(&app, "probe", "probe-1", Duration::from_secs(15)).await;
    assert!(
        recovered <= RECOVERY,
        "first 2xx {recovered:?} after the database returned (bound {RECOVERY:?})"
    );
    let mut ready = readyz(&app).await;
    while ready != StatusCode::OK {
        assert!(restored_at.elapsed() <= RECOVERY, "/readyz still {ready}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        ready = readyz(&app).await;
    }

    // The timer fires now, and the callback queued before the cut goes out once.
    let fired = timer_hook
        .wait_for("the timer due during the cut", |g| {
            !Receiver::of_type(g, "takeover.timed_out").is_empty()
        })
        .await;
    assert!(Receiver::of_type(&fired, "takeover.timed_out")[0].at > restored_at);
    let (_, state) = app.get("/v1/sessions/outage-timer", &app.api_key).await;
    assert_eq!(state["status"], "handed_back", "{state}");
    let receiver = Receiver::start_on(port, vec![]);
    // A second reply after the return: the lane is in order, so once it arrived the first was
    // delivered and recorded, and any repeat of it would have come before.
    let (s, _) = app
        .post(
            "/v1/sessions/outage-reply/replies",
            &alice,
            json!({"content": "after the return"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let got = receiver
        .wait_for("both replies", |g| Receiver::of_type(g, "reply").len() >= 2)
        .await;
    let replies = Receiver::of_type(&got, "reply");
    assert_eq!(replies.len(), 2, "each reply once");
    assert_eq!(
        replies[0].webhook_id,
        reply["delivery_id"].as_str().unwrap()
    );
    assert_eq!(
        replies[0].body["message"]["content"],
        "queued before the cut"
    );

    let before = load.least_acked();
    load.until_each_acked(before + 3, "after the return").await;
    let refused = *load.refused.lock().unwrap();
    let acked = load.stop().await;
    assert!(refused > 0);
    for (d, ids) in acked.iter().enumerate() {
        let session = format!("load-{d}");
        assert_exactly_once(&app, &session, ids, message_rows(&app.db.url, &session)).await;
    }
    assert_exactly_once(
        &app,
        "probe",
        &["probe-1".to_string()],
        message_rows(&app.db.url, "probe"),
    )
    .await;
    let log = app.log();
    assert!(log.contains("database unreachable"), "{log}");
    assert!(log.contains("database reachable again"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_locked_by_another_process_answers_503_then_recovers_when_it_lets_go() {
    tokio::time::timeout(BOUND, sqlite_locked())
        .await
        .expect("the test finished within its bound");
}

/// Holds SQLite's write lock from another connection until told to let go.
fn hold_write_lock(path: &str) -> std::sync::mpsc::Sender<()> {
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let path = path.to_string();
    std::thread::spawn(move || {
        let mut conn = diesel::SqliteConnection::establish(&path).unwrap();
        conn.batch_execute("PRAGMA busy_timeout = 10000; BEGIN EXCLUSIVE;")
            .unwrap();
        locked_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(BOUND);
        conn.batch_execute("ROLLBACK").unwrap();
    });
    locked_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the lock taken");
    release_tx
}

async fn sqlite_locked() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options::with(&[("BATON_DB_BUSY_TIMEOUT", "300ms")]),
    )
    .await;
    assert!(matches!(
        turn(&app.client, &app.base, &app.api_key, "locked", "l-0").await,
        Answer::Ok(_)
    ));
    let release = hold_write_lock(&app.db.url);
    // Turns at once while the lock is held: each refused with the outage problem, none waits
    // for the lock in a queue behind the others.
    let started = Instant::now();
    let attempts = (1..=8).map(|i| {
        let (client, base, key) = (app.client.clone(), app.base.clone(), app.api_key.clone());
        async move { turn(&client, &base, &key, "locked", &format!("l-{i}")).await }
    });
    for answer in futures_util::future::join_all(attempts).await {
        match answer {
            Answer::Ok(body) => panic!("a turn written past another process's lock: {body}"),
            Answer::Problem(status, kind, retry_after) => {
                assert_unavailable(status, &kind, &retry_after)
            }
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused, not held: {:?}",
        started.elapsed()
    );
    // Reads go on beside the lock (WAL).
    assert_eq!(app.history("locked").await.len(), 1);
    assert_eq!(readyz(&app).await, StatusCode::OK);

    release.send(()).unwrap();
    let mut acked = vec!["l-0".to_string()];
    for i in 1..=8 {
        let id = format!("l-{i}");
        let waited = until_accepted(&app, "locked", &id, Duration::from_secs(15)).await;
        if i == 1 {
            assert!(waited <= RECOVERY, "{waited:?} after the lock was released");
        }
        acked.push(id);
    }
    assert_exactly_once(&app, "locked", &acked, message_rows(&app.db.url, "locked")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_full_answers_507_keeps_serving_reads_and_recovers_when_room_is_made() {
    tokio::time::timeout(BOUND, sqlite_full())
        .await
        .expect("the test finished within its bound");
}

async fn sqlite_full() {
    const PAGES: i64 = 4000;
    let app = spawn_app_with(
        Backend::Sqlite,
        Options::with(&[("BATON_SQLITE_MAX_PAGES", &PAGES.to_string())]),
    )
    .await;
    assert!(matches!(
        turn(&app.client, &app.base, &app.api_key, "full", "f-0").await,
        Answer::Ok(_)
    ));
    // Another process fills the file up to Baton's limit.
    {
        use diesel::sql_types::BigInt;
        #[derive(diesel::QueryableByName)]
        struct Pages {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = diesel::SqliteConnection::establish(&app.db.url).unwrap();
        conn.batch_execute("PRAGMA busy_timeout = 10000; CREATE TABLE outage_filler (b BLOB);")
            .unwrap();
        let pages = || -> i64 {
            let mut c = diesel::SqliteConnection::establish(&app.db.url).unwrap();
            diesel::RunQueryDsl::get_result::<Pages>(
                diesel::sql_query("SELECT page_count AS n FROM pragma_page_count()"),
                &mut c,
            )
            .unwrap()
            .n
        };
        let mut n = pages();
        while n < PAGES {
            let bytes = ((PAGES - n).min(500) * 4000).max(4000);
            conn.batch_execute(&format!(
                "INSERT INTO outage_filler VALUES (zeroblob({bytes}))"
            ))
            .unwrap();
            n = pages();
        }
    }
    // Turns until one finds no room: the full problem, never a 500.
    let big = "x".repeat(6000);
    let mut acked = vec!["f-0".to_string()];
    let mut refused = None;
    for i in 1..=50 {
        let id = format!("f-{i}");
        let r = app
            .client
            .post(app.url("/v1/sessions/full/messages"))
            .bearer_auth(&app.api_key)
            .json(&json!({"sender": "user", "content": big, "id": id, "channel": "telegram"}))
            .send()
            .await
            .unwrap();
        match problem_or_ok(r).await {
            Answer::Ok(_) => acked.push(id),
            Answer::Problem(status, kind, _) => {
                assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{kind}");
                assert_eq!(kind, "/problems/database-full");
                refused = Some(id);
                break;
            }
        }
    }
    let refused = refused.expect("the database filled up");
    // Reads still work, and the instance stays ready: it can serve them.
    assert_eq!(app.history("full").await.len(), acked.len());
    assert_eq!(readyz(&app).await, StatusCode::OK);
    let (s, _) = app.get("/v1/sessions/full", &app.api_key).await;
    assert_eq!(s, StatusCode::OK);

    // Room is made: the refused turn goes through when sent again.
    crate::helpers::exec_sql(&app.db, "DROP TABLE outage_filler");
    let waited = until_accepted(&app, "full", &refused, Duration::from_secs(15)).await;
    assert!(waited <= RECOVERY, "{waited:?}");
    acked.push(refused);
    assert_exactly_once(&app, "full", &acked, message_rows(&app.db.url, "full")).await;
}

/// PostgreSQL undoes one transaction of a deadlock. When it undoes Baton's (a staff turn that
/// locked its conversation, then waits for a message another transaction is inserting under the
/// same caller id, while that transaction waits for the conversation), the caller gets the
/// outage problem with `Retry-After`, never a 500, and the same turn sent again is recorded
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_undone_in_a_deadlock_is_a_503_to_send_again_not_a_500() {
    if !postgres_available() {
        return;
    }
    let app = spawn_app_with(Backend::Postgres, Options::default()).await;
    let (status, body) = app.turn("wa-dl", "user", "hello").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let url = app.db.url.clone();
    let (inserted, is_inserted) = std::sync::mpsc::channel();
    let (go, told) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        let mut conn = diesel::PgConnection::establish(&url).expect("connect");
        // This side waits long before looking for a cycle: Baton's side finds it, and is undone.
        conn.batch_execute("SET deadlock_timeout = '60s'; BEGIN;")
            .expect("begin");
        conn.batch_execute(
            "INSERT INTO messages (id, session_id, seq, sender, content, external_id, at, recorded_at) \
             VALUES ('held-elsewhere', 'wa-dl', 1000, 'staff:Maria', 'x', 'staff-1', now(), now())",
        )
        .expect("insert under the caller id");
        inserted.send(()).unwrap();
        told.recv().unwrap();
        let locked = conn.batch_execute("SELECT 1 FROM sessions WHERE id = 'wa-dl' FOR UPDATE");
        conn.batch_execute("ROLLBACK").expect("rollback");
        locked
    });
    is_inserted.recv().unwrap();

    let staff = json!({"sender": "staff:Maria", "content": "Maria here", "id": "staff-1",
                       "reply_webhook": "http://127.0.0.1:9/hook"});
    let request = tokio::spawn({
        let (client, base, key, staff) = (
            app.client.clone(),
            app.base.clone(),
            app.api_key.clone(),
            staff.clone(),
        );
        async move {
            let r = client
                .post(format!("{base}/v1/sessions/wa-dl/messages"))
                .bearer_auth(key)
                .json(&staff)
                .send()
                .await
                .expect("an answer");
            problem_or_ok(r).await
        }
    });
    // Baton's turn has locked the conversation once it waits for the other transaction's row.
    use diesel::RunQueryDsl as _;
    let mut watcher = diesel::PgConnection::establish(&app.db.url).expect("connect");
    let started = Instant::now();
    loop {
        let waiting: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
              WHERE l.locktype = 'transactionid' AND NOT l.granted \
              AND a.datname = current_database())",
        ))
        .get_result(&mut watcher)
        .expect("pg_locks");
        if waiting > 0 {
            break;
        }
        assert!(
            started.elapsed() < BOUND,
            "the staff turn never waited for the other transaction"
        );
        assert!(!request.is_finished(), "the staff turn did not wait");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    go.send(()).unwrap();

    match tokio::time::timeout(BOUND, request)
        .await
        .expect("an answer in time")
        .unwrap()
    {
        Answer::Problem(status, kind, retry_after) => {
            assert_unavailable(status, &kind, &retry_after)
        }
        Answer::Ok(body) => panic!("the deadlock undid nothing of Baton's: {body}"),
    }
    other
        .join()
        .unwrap()
        .expect("the other transaction locked the conversation once Baton's was undone");

    let (status, body) = app
        .post("/v1/sessions/wa-dl/messages", &app.api_key, staff.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["seq"], 2, "{body}");
    let (status, body) = app
        .post("/v1/sessions/wa-dl/messages", &app.api_key, staff)
        .await;
    assert_eq!(status, StatusCode::OK, "sent a third time: {body}");
    assert_eq!(body["duplicate"], true, "{body}");
    let history = app.history("wa-dl").await;
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[1]["external_id"], "staff-1", "{history:?}");
}
