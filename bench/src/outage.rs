//! The database goes away under turn load and comes back (issue 18, `--only outage`).
//!
//! `concurrency` clients write turns, each to its own conversation and each with its own
//! message id; a refused turn is sent again with the same id (as n8n's retry does). On
//! PostgreSQL the database is cut off through `testkit::Proxy` (every connection dropped, new
//! ones refused; the shared server itself is never restarted); on SQLite another connection
//! holds the write lock, longer than Baton's busy timeout (set to 1 s for the run). After `outage` the database returns, and a probe sending one turn every
//! 50 ms measures the time from the return to the first 2xx. At the end the messages table is
//! read directly: every turn answered 2xx must be there (lost: 0) and none twice (doubled: 0).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde_json::json;
use testkit::{Backend, Proxy, TestDb};

use super::{row, Binaries, Row, Server};

/// Counts of what the clients were answered.
#[derive(Default)]
struct Answers {
    refused: AtomicU64,
    other_errors: AtomicU64,
}

/// Runs the scenario once on a fresh database; its rows.
pub async fn run(
    bins: &Binaries,
    db: TestDb,
    backend: Backend,
    concurrency: usize,
    outage: Duration,
) -> anyhow::Result<Vec<Row>> {
    let label = backend.as_str();
    let key = bins.prepare(&db)?;
    let proxy = match backend {
        Backend::Postgres => Some(Proxy::for_postgres(&db.url)?),
        Backend::Sqlite => None,
    };
    let url = proxy
        .as_ref()
        .map(|(_, url)| url.clone())
        .unwrap_or_else(|| db.url.clone());
    // A lock is an outage only when held past the busy timeout (shorter, writes just wait):
    // 1 s here, so the SQLite lock of a few seconds is one.
    let server = Server::spawn(
        std::process::Command::new(&bins.baton)
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("BATON_DB_BUSY_TIMEOUT", "1s"),
        &db,
    )?;
    let base = server.process.base.clone();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency + 1)
        .timeout(Duration::from_secs(60))
        .build()?;

    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Answers::default());
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for c in 0..concurrency {
        let (client, base, key) = (client.clone(), base.clone(), key.clone());
        let (stop, answers, acked) = (stop.clone(), answers.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let session = format!("outage-{c}");
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let id = format!("{c}-{i}");
                match send(&client, &base, &key, &session, &id).await {
                    Some(200..=299) => {
                        acked.lock().unwrap().push(id);
                        i += 1;
                    }
                    Some(503) => {
                        answers.refused.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    _ => {
                        answers.other_errors.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    eprintln!("   database away for {outage:?}");
    let lock = match &proxy {
        Some((proxy, _)) => {
            proxy.cut();
            None
        }
        None => Some(hold_sqlite_lock(&db.url)?),
    };
    tokio::time::sleep(outage).await;
    match (&proxy, lock) {
        (Some((proxy, _)), _) => proxy.restore(),
        (None, Some(release)) => {
            let _ = release.send(());
        }
        (None, None) => unreachable!("one of the two outages"),
    }
    let returned = Instant::now();
    let mut recovery = None;
    while returned.elapsed() < Duration::from_secs(60) {
        if let Some(200..=299) = send(&client, &base, &key, "outage-probe", "probe").await {
            recovery = Some(returned.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await?;
    }
    drop(server);

    let acked = acked.lock().unwrap().clone();
    let rows = stored_ids(&db.url)?;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &rows {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let lost = acked
        .iter()
        .filter(|id| !counts.contains_key(id.as_str()))
        .count();
    let doubled: usize = counts.values().map(|n| n - 1).sum();
    let recovery_ms = recovery.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    eprintln!(
        "   first 2xx {recovery_ms:.0} ms after the return; {} turns answered 2xx, {lost} lost, {doubled} doubled; {} answered 503, {} other errors",
        acked.len(),
        answers.refused.load(Ordering::Relaxed),
        answers.other_errors.load(Ordering::Relaxed)
    );
    Ok(vec![
        row(
            label,
            "outage",
            "first 2xx after the database returned",
            "ms",
            recovery_ms,
            None,
            "<= 5000",
        ),
        row(
            label,
            "outage",
            "turns answered 2xx then lost",
            "turns",
            lost as f64,
            None,
            "0",
        ),
        row(
            label,
            "outage",
            "turns written twice",
            "turns",
            doubled as f64,
            None,
            "0",
        ),
        row(
            label,
            "outage",
            "turns answered 503 (retried)",
            "requests",
            answers.refused.load(Ordering::Relaxed) as f64,
            None,
            "",
        ),
        row(
            label,
            "outage",
            "other error answers",
            "requests",
            answers.other_errors.load(Ordering::Relaxed) as f64,
            None,
            "0",
        ),
    ])
}

/// One turn with the caller's id; the status, or `None` when no answer came.
async fn send(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    session: &str,
    id: &str,
) -> Option<u16> {
    let r = client
        .post(format!("{base}/v1/sessions/{session}/messages"))
        .bearer_auth(key)
        .json(&json!({"sender": "user", "content": format!("turn {id}"), "id": id, "channel": "telegram"}))
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    let _ = r.bytes().await;
    Some(status)
}

/// Another connection takes SQLite's write lock and holds it until told to let go.
fn hold_sqlite_lock(path: &str) -> anyhow::Result<std::sync::mpsc::Sender<()>> {
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let path = path.to_string();
    std::thread::spawn(move || {
        let taken = diesel::SqliteConnection::establish(&path)
            .map_err(anyhow::Error::from)
            .and_then(|mut conn| {
                conn.batch_execute("PRAGMA busy_timeout = 30000; BEGIN EXCLUSIVE;")?;
                Ok(conn)
            });
        match taken {
            Ok(mut conn) => {
                let _ = locked_tx.send(Ok(()));
                let _ = release_rx.recv();
                let _ = conn.batch_execute("ROLLBACK");
            }
            Err(e) => {
                let _ = locked_tx.send(Err(e));
            }
        }
    });
    locked_rx.recv_timeout(Duration::from_secs(60))??;
    Ok(release_tx)
}

/// The caller ids of every stored turn of the scenario's conversations.
fn stored_ids(url: &str) -> anyhow::Result<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        external_id: String,
    }
    let sql = diesel::sql_query(
        "SELECT external_id FROM messages \
         WHERE session_id LIKE 'outage-%' AND session_id <> 'outage-probe' \
         AND external_id IS NOT NULL",
    );
    Ok(if url.starts_with("postgres") {
        let mut conn = diesel::PgConnection::establish(url)?;
        diesel::RunQueryDsl::load::<Id>(sql, &mut conn)?
    } else {
        let mut conn = diesel::SqliteConnection::establish(url)?;
        conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
        diesel::RunQueryDsl::load::<Id>(sql, &mut conn)?
    }
    .into_iter()
    .map(|r| r.external_id)
    .collect())
}
