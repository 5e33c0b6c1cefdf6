//! Upgrades on a big database (issue 18 part 5, `--only migrations`): does any migration hold a
//! lock that stops the turn gate for more than a second?
//!
//! A fresh database gets the first released schema only (the first migration) and is filled
//! through that schema's SQL with `messages` conversation turns (1 000 000 by default: 50 turns
//! in each of `messages / 50` conversations, a takeover with a note, a callback and two audit
//! entries in every tenth). Then, while writers keep recording turns the way Baton of that
//! schema did (lock the conversation's row and take its next number, insert the message, one
//! transaction; as an older replica still serving during a rolling upgrade would), today's
//! migrations run one at a time, each timed. Every turn's latency is kept: the longest is the
//! longest the turn gate stood still, the figure the target is about (≤ 1 s).
//!
//! The backfills that migrations leave to Baton (work too long to do under a lock, done after
//! start in small batches) are then run to the end with Baton serving turns through its real
//! turn gate, timed the same way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use testkit::{Backend, TestDb};

use super::{row, Binaries, Row, Server};

const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Turns per conversation in the fill.
const TURNS_PER_CONVERSATION: u64 = 50;
/// Writers recording turns while the migrations run.
const WRITERS: usize = 4;

/// Either backend's connection, so one fill and one writer loop serve both.
enum Conn {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

impl Conn {
    fn open(backend: Backend, url: &str) -> anyhow::Result<Conn> {
        Ok(match backend {
            Backend::Sqlite => {
                let mut c = diesel::SqliteConnection::establish(url)?;
                // As Baton opens it; the writers wait for the lock as long as it takes, so
                // their latency is how long the migration held it.
                c.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 600000;",
                )?;
                Conn::Sqlite(c)
            }
            Backend::Postgres => Conn::Pg(diesel::PgConnection::establish(url)?),
        })
    }

    fn execute(&mut self, sql: &str) -> anyhow::Result<()> {
        match self {
            Conn::Sqlite(c) => c.batch_execute(sql)?,
            Conn::Pg(c) => c.batch_execute(sql)?,
        }
        Ok(())
    }

    /// Applies the next pending migration; its version, or `None` when none is left.
    fn next_migration(&mut self) -> anyhow::Result<Option<String>> {
        let result = match self {
            Conn::Sqlite(c) => {
                if c.has_pending_migration(SQLITE)
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                {
                    Some(c.run_next_migration(SQLITE).map(|v| v.to_string()))
                } else {
                    None
                }
            }
            Conn::Pg(c) => {
                if c.has_pending_migration(POSTGRES)
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                {
                    Some(c.run_next_migration(POSTGRES).map(|v| v.to_string()))
                } else {
                    None
                }
            }
        };
        result
            .transpose()
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
    }
}

/// One turn as Baton of the first schema recorded it: the conversation's row locked and its
/// next number taken, the message inserted, one transaction.
fn turn_sql(backend: Backend, session: &str, id: &str) -> String {
    let (begin, now) = match backend {
        Backend::Sqlite => ("BEGIN IMMEDIATE", "datetime('now')"),
        Backend::Postgres => ("BEGIN", "now()::timestamp"),
    };
    format!(
        "{begin};
         UPDATE sessions SET next_seq = next_seq + 1, updated_at = {now}, last_user_message_at = {now}
           WHERE id = '{session}';
         INSERT INTO messages (id, session_id, seq, sender, content, external_id, at, recorded_at)
           SELECT '{id}', '{session}', next_seq, 'user', 'Is there any news on my order?', NULL, {now}, {now}
           FROM sessions WHERE id = '{session}';
         COMMIT;"
    )
}

/// Latencies of the writers' turns.
type Turns = Arc<Mutex<Vec<Duration>>>;

/// Runs the scenario once on `db` (fresh); its rows.
pub async fn run(
    bins: &Binaries,
    db: &TestDb,
    backend: Backend,
    messages: u64,
) -> anyhow::Result<Vec<Row>> {
    let label = backend.as_str();
    let mut conn = Conn::open(backend, &db.url)?;
    let first = conn
        .next_migration()?
        .ok_or_else(|| anyhow::anyhow!("no migration to apply"))?;
    eprintln!("   first schema ({first}); filling {messages} messages");
    let started = Instant::now();
    conn.execute(&testkit::first_schema::fill_sql(
        backend,
        messages,
        TURNS_PER_CONVERSATION,
    ))?;
    if backend == Backend::Postgres {
        conn.execute("ANALYZE")?;
    }
    let fill = started.elapsed();
    eprintln!("   filled in {:.1} s", fill.as_secs_f64());

    // Writers record turns on conversations spread over the whole table until told to stop.
    let sessions = messages.div_ceil(TURNS_PER_CONVERSATION);
    let stop = Arc::new(AtomicBool::new(false));
    let turns: Turns = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (stop, turns, errors, url) =
            (stop.clone(), turns.clone(), errors.clone(), db.url.clone());
        writers.push(std::thread::spawn(move || {
            let mut conn = match Conn::open(backend, &url) {
                Ok(c) => c,
                Err(e) => return errors.lock().unwrap().push(format!("{e:#}")),
            };
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let session = format!("s{}", (i * 7_919 + w as u64 * 104_729) % sessions + 1);
                let id = format!("w{w}-{i}");
                let at = Instant::now();
                if let Err(e) = conn.execute(&turn_sql(backend, &session, &id)) {
                    // A failed turn is not a stall: note it and go on on a clean connection.
                    errors.lock().unwrap().push(format!("{e:#}"));
                    let _ = conn.execute("ROLLBACK");
                }
                turns.lock().unwrap().push(at.elapsed());
                i += 1;
                // A steady trickle, as a shop's traffic: about 200 turns a second in all.
                std::thread::sleep(Duration::from_millis(20));
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(500));

    let mut rows = Vec::new();
    let mut spans = Vec::new();
    let all = Instant::now();
    loop {
        let begun = Instant::now();
        let Some(version) = conn.next_migration()? else {
            break;
        };
        spans.push((version, begun.elapsed()));
    }
    let total = all.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        let _ = w.join();
    }
    let turns = std::mem::take(&mut *turns.lock().unwrap());
    let errors = std::mem::take(&mut *errors.lock().unwrap());
    if let Some(e) = errors.first() {
        eprintln!(
            "   {} turns failed during the migrations; the first: {e}",
            errors.len()
        );
    }

    let mut slowest = spans.clone();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.1));
    for (version, took) in slowest.iter().take(5) {
        eprintln!("   migration {version}: {:.0} ms", took.as_secs_f64() * 1e3);
    }
    let longest = slowest.first().map(|s| s.1).unwrap_or_default();
    let mut latencies: Vec<f64> = turns.iter().map(|l| l.as_secs_f64() * 1e3).collect();
    latencies.sort_by(f64::total_cmp);
    let stall = latencies.last().copied().unwrap_or(0.0);
    let p99 = latencies
        .get((latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0);
    let during = "migrations";
    rows.push(row(
        label,
        during,
        "messages at the first schema",
        "rows",
        messages as f64,
        None,
        "",
    ));
    rows.push(row(
        label,
        during,
        "fill at the first schema",
        "s",
        fill.as_secs_f64(),
        None,
        "",
    ));
    rows.push(row(
        label,
        during,
        "all migrations",
        "s",
        total.as_secs_f64(),
        None,
        "",
    ));
    rows.push(row(
        label,
        during,
        "longest migration",
        "ms",
        longest.as_secs_f64() * 1e3,
        None,
        "",
    ));
    rows.push(row(
        label,
        during,
        "turns recorded meanwhile",
        "turns",
        turns.len() as f64,
        None,
        "",
    ));
    rows.push(row(
        label,
        during,
        "turns failed meanwhile",
        "turns",
        errors.len() as f64,
        None,
        "0",
    ));
    rows.push(row(label, during, "turn p99", "ms", p99, None, ""));
    rows.push(row(
        label,
        during,
        "longest turn (gate stood still)",
        "ms",
        stall,
        None,
        "≤ 1000 ms",
    ));
    rows.extend(backfills(bins, db, backend, sessions).await?);
    Ok(rows)
}

/// Today's Baton started on the migrated database, finishing the backfills the migrations left
/// while 8 clients send customer turns through its turn gate to the old conversations, each
/// about 50 a second; until every backfill is finished.
async fn backfills(
    bins: &Binaries,
    db: &TestDb,
    backend: Backend,
    sessions: u64,
) -> anyhow::Result<Vec<Row>> {
    let label = backend.as_str();
    let key = testkit::create_api_key(&bins.baton, &db.url, "bench")?.key;
    let started = Instant::now();
    let server = Server::spawn(
        std::process::Command::new(&bins.baton)
            .arg("serve")
            .env("DATABASE_URL", &db.url),
        db,
    )?;
    let base = server.process.base.clone();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..8u64 {
        let (client, base, key, stop) = (client.clone(), base.clone(), key.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let (mut latencies, mut failed) = (Vec::new(), 0u64);
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let session = (i * 7_919 + c * 104_729) % sessions + 1;
                let at = Instant::now();
                let answer = client
                    .post(format!("{base}/v1/sessions/s{session}/messages"))
                    .bearer_auth(&key)
                    .json(
                        &serde_json::json!({"sender": "user", "content": "any news on my order?"}),
                    )
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().is_success() => {
                        latencies.push(at.elapsed().as_secs_f64() * 1e3)
                    }
                    _ => failed += 1,
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (latencies, failed)
        }));
    }
    // Until no backfill is left unfinished.
    let url = db.url.clone();
    let unfinished = move || -> anyhow::Result<bool> {
        let sql = "SELECT name FROM backfills WHERE finished_at IS NULL";
        let open: Vec<Name> = match &mut Conn::open(backend, &url)? {
            Conn::Sqlite(c) => diesel::RunQueryDsl::load(diesel::sql_query(sql), c)?,
            Conn::Pg(c) => diesel::RunQueryDsl::load(diesel::sql_query(sql), c)?,
        };
        Ok(!open.is_empty())
    };
    let mut polls = 0;
    while tokio::task::spawn_blocking(unfinished.clone()).await?? {
        polls += 1;
        anyhow::ensure!(polls < 6_000, "the backfills did not finish in 20 minutes");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let (mut latencies, mut failed) = (Vec::new(), 0);
    for c in clients {
        let (l, f) = c.await?;
        latencies.extend(l);
        failed += f;
    }
    drop(server);
    latencies.sort_by(f64::total_cmp);
    let at = |q: usize| {
        latencies
            .get((latencies.len() * q / 100).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let during = "backfills";
    Ok(vec![
        row(
            label,
            during,
            "start to all backfills finished",
            "s",
            took.as_secs_f64(),
            None,
            "",
        ),
        row(
            label,
            during,
            "turns answered meanwhile",
            "turns",
            latencies.len() as f64,
            None,
            "",
        ),
        row(
            label,
            during,
            "turns failed meanwhile",
            "turns",
            failed as f64,
            None,
            "0",
        ),
        row(label, during, "turn p50", "ms", at(50), None, ""),
        row(label, during, "turn p99", "ms", at(99), None, ""),
        row(
            label,
            during,
            "longest turn",
            "ms",
            latencies.last().copied().unwrap_or(0.0),
            None,
            "≤ 1000 ms",
        ),
    ])
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(dead_code)]
    name: String,
}
