//! `baton-bench`: the load generator. Starts the release `baton` binary on a fresh database and,
//! in the same run, a **floor server** (a bare actix-web handler doing one durable insert through
//! baton's own `Db` pool into the same kind of database), drives both with the same client, and
//! prints every Baton figure as a ratio to the floor. Writes the results as JSON.
//!
//! `cargo run --release -p baton-bench -- --quick` (see docs/PERFORMANCE.md). Fresh databases,
//! the server processes and the callback receiver come from `testkit`, shared with the API tests.
//!
//! To add a scenario: write an `async fn` returning `Vec<Row>` and call it from `run_backend`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, HttpResponse};
use baton::config::DatabaseUrl;
use baton::db::{Db, DbConnection};
use clap::{Parser, Subcommand};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{json, Value};
use testkit::{login, Backend, Process, Received, Receiver, TestDb};

mod detector;
mod failover;
mod migrations;
mod outage;
mod search;
mod wait;
mod widget;

#[derive(Parser)]
#[command(about = "Baton's benchmark harness: Baton against the floor of this machine")]
struct Args {
    #[command(subcommand)]
    role: Option<Role>,
    /// CI-sized run: short windows, small seeds (about a minute per backend).
    #[arg(long)]
    quick: bool,
    /// `sqlite`, `postgres` or `both`.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Concurrent clients on the turn gate.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Distinct sessions the turn gate load is spread over.
    #[arg(long, default_value_t = 10_000)]
    sessions: usize,
    /// Open takeovers seeded for the queue page (default 100 000; 5 000 with --quick).
    #[arg(long)]
    takeovers: Option<usize>,
    /// Messages seeded across those sessions (default 10 000 000; 100 000 with --quick).
    #[arg(long)]
    messages: Option<usize>,
    /// Server-sent-event clients connected for the live fan-out.
    #[arg(long, default_value_t = 1_000)]
    fanout_clients: usize,
    /// Web chat visitors the widget relay's replies go round (at most 30: Baton starts 30
    /// conversations per client address in 10 minutes, and the bench has one address).
    #[arg(long, default_value_t = 20)]
    widget_visitors: usize,
    /// Idle visitor streams held open on one process (default 5 000; 500 with --quick).
    #[arg(long)]
    idle_streams: Option<usize>,
    /// Messages written for the search scenario (default 1 000 000; 100 000 with --quick).
    #[arg(long)]
    search_messages: Option<usize>,
    /// Conversations arriving at once in the customer's-wait scenario (`--only wait`), one
    /// round each.
    #[arg(long, value_delimiter = ',', default_values_t = [100, 1000])]
    wait_conversations: Vec<usize>,
    /// Customers arriving a second in the customer's-wait scenario; 0 sends them all at once.
    #[arg(long, default_value_t = 100.0)]
    wait_rate: f64,
    /// Client counts of the turn-gate comparison (`--only turns`).
    #[arg(long, value_delimiter = ',', default_values_t = [8, 64])]
    turn_clients: Vec<usize>,
    /// Rounds of the turn-gate comparison (`--only turns`); the medians are reported.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Conversations the failover scenario's load goes round (`--only failover`).
    #[arg(long, default_value_t = 20)]
    failover_sessions: usize,
    /// Concurrent clients of the failover scenario.
    #[arg(long, default_value_t = 16)]
    failover_clients: usize,
    /// Messages in the database the upgrade scenario migrates (`--only migrations`).
    #[arg(long, default_value_t = 1_000_000)]
    migration_messages: u64,
    /// Run only this scenario (`search`, `queue`, `wait`, `widget`, `turns`, `outage`, `failover`,
    /// `migrations` or `detector`), not the whole bench.
    #[arg(long)]
    only: Option<String>,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench-results.json")]
    out: PathBuf,
    /// PostgreSQL server for the runs (a fresh database is created and dropped per server).
    #[arg(long, env = "BATON_BENCH_PG_URL", default_value = testkit::DEFAULT_PG_URL)]
    pg: String,
}

#[derive(Subcommand)]
enum Role {
    /// Internal: run the floor server on DATABASE_URL and print its address.
    #[command(hide = true)]
    Floor {
        #[arg(long)]
        database: String,
        #[arg(long, default_value_t = 16)]
        pool: u32,
    },
}

/// The sizes of one run.
#[derive(Clone, Copy)]
struct Plan {
    warmup: Duration,
    window: Duration,
    concurrency: usize,
    sessions: usize,
    relay_requests: usize,
    takeovers: usize,
    messages: usize,
    page_requests: usize,
    fanout_clients: usize,
    fanout_events: usize,
    startups: usize,
    widget_visitors: usize,
    widget_replies: usize,
    idle_streams: usize,
    idle_hold: Duration,
    file_fetches: usize,
    search_messages: usize,
}

/// One line of the results table.
#[derive(serde::Serialize, Clone)]
struct Row {
    backend: &'static str,
    scenario: &'static str,
    metric: &'static str,
    unit: &'static str,
    baton: f64,
    floor: Option<f64>,
    /// baton / floor.
    ratio: Option<f64>,
    target: &'static str,
}

fn row(
    backend: &'static str,
    scenario: &'static str,
    metric: &'static str,
    unit: &'static str,
    baton: f64,
    floor: Option<f64>,
    target: &'static str,
) -> Row {
    Row {
        backend,
        scenario,
        metric,
        unit,
        baton,
        floor,
        ratio: floor.filter(|f| *f > 0.0).map(|f| baton / f),
        target,
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(Role::Floor { database, pool }) = &args.role {
        return floor::serve(database, *pool);
    }
    let plan = if args.quick {
        Plan {
            warmup: Duration::from_secs(2),
            window: Duration::from_secs(5),
            concurrency: args.concurrency,
            sessions: args.sessions,
            relay_requests: 200,
            takeovers: args.takeovers.unwrap_or(5_000),
            messages: args.messages.unwrap_or(100_000),
            page_requests: 200,
            fanout_clients: args.fanout_clients,
            fanout_events: 20,
            startups: 3,
            widget_visitors: args.widget_visitors,
            widget_replies: 200,
            idle_streams: args.idle_streams.unwrap_or(500),
            idle_hold: Duration::from_secs(11),
            file_fetches: 200,
            search_messages: args.search_messages.unwrap_or(100_000),
        }
    } else {
        Plan {
            warmup: Duration::from_secs(5),
            window: Duration::from_secs(20),
            concurrency: args.concurrency,
            sessions: args.sessions,
            relay_requests: 1_000,
            takeovers: args.takeovers.unwrap_or(100_000),
            messages: args.messages.unwrap_or(10_000_000),
            page_requests: 500,
            fanout_clients: args.fanout_clients,
            fanout_events: 100,
            startups: 5,
            widget_visitors: args.widget_visitors,
            widget_replies: 1_000,
            idle_streams: args.idle_streams.unwrap_or(5_000),
            idle_hold: Duration::from_secs(16),
            file_fetches: 500,
            search_messages: args.search_messages.unwrap_or(1_000_000),
        }
    };
    if args.only.as_deref() == Some("detector") {
        // In process, no server or database: the per-message cost of signal evaluation.
        let rows = detector::run(args.quick)?;
        print_table(&rows);
        return Ok(());
    }
    let bins = Binaries::locate()?;
    let backends = match args.backend.as_str() {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![Backend::Postgres],
        "both" => vec![Backend::Sqlite, Backend::Postgres],
        other => anyhow::bail!("--backend {other:?}: use sqlite, postgres or both"),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut rows = Vec::new();
    for backend in backends {
        eprintln!("== {}", backend.as_str());
        let result = match args.only.as_deref() {
            None => rt.block_on(run_backend(&bins, backend, &args.pg, plan)),
            Some("search") => rt.block_on(search_only(&bins, backend, &args.pg, plan)),
            Some("wait") => rt.block_on(async {
                let mut rows = Vec::new();
                for &n in &args.wait_conversations {
                    eprintln!("   customer's wait: {n} conversations");
                    let db = TestDb::create(backend, &args.pg, "baton_bench")?;
                    rows.extend(wait::run(&bins, db, backend.as_str(), n, args.wait_rate).await?);
                }
                anyhow::Ok(rows)
            }),
            Some("turns") => rt.block_on(turns_only(
                &bins,
                backend,
                &args.pg,
                plan,
                &args.turn_clients,
                args.repeat,
            )),
            Some("widget") => rt.block_on(async {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()?;
                let db = TestDb::create(backend, &args.pg, "baton_bench")?;
                let baton = Server::baton(&bins, &db)?;
                widget_relay(&client, &baton, backend.as_str(), plan).await
            }),
            Some("queue") => rt.block_on(async {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()?;
                queue_pages(&bins, backend, &args.pg, &client, plan).await
            }),
            Some("outage") => rt.block_on(async {
                let db = TestDb::create(backend, &args.pg, "baton_bench")?;
                let away = if args.quick { 3 } else { 5 };
                outage::run(
                    &bins,
                    db,
                    backend,
                    args.concurrency,
                    Duration::from_secs(away),
                )
                .await
            }),
            Some("failover") if backend == Backend::Postgres => rt.block_on(async {
                let db = TestDb::create(backend, &args.pg, "baton_bench")?;
                failover::run(
                    &bins,
                    db,
                    backend.as_str(),
                    args.failover_sessions,
                    args.failover_clients,
                )
                .await
            }),
            Some("migrations") => rt.block_on(async {
                let db = TestDb::create(backend, &args.pg, "baton_bench")?;
                migrations::run(&bins, &db, backend, args.migration_messages).await
            }),
            // Replicas need PostgreSQL: SQLite is one process.
            Some("failover") => Ok(Vec::new()),
            Some(other) => {
                anyhow::bail!(
                    "--only {other:?}: the scenarios run alone are search, queue, wait, turns, outage, failover, migrations and detector"
                )
            }
        };
        rows.extend(result?);
    }
    print_table(&rows);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let machine = machine();
    std::fs::write(
        &args.out,
        serde_json::to_string_pretty(&json!({
            "quick": args.quick,
            "machine": machine,
            "plan": {
                "concurrency": plan.concurrency, "sessions": plan.sessions,
                "warmup_s": plan.warmup.as_secs_f64(), "window_s": plan.window.as_secs_f64(),
                "relay_requests": plan.relay_requests, "takeovers": plan.takeovers,
                "messages": plan.messages, "page_requests": plan.page_requests,
                "widget_visitors": plan.widget_visitors, "widget_replies": plan.widget_replies,
                "idle_streams": plan.idle_streams, "idle_hold_s": plan.idle_hold.as_secs_f64(),
                "file_fetches": plan.file_fetches, "search_messages": plan.search_messages,
            },
            "results": rows,
        }))?,
    )?;
    eprintln!("results written to {}", args.out.display());
    Ok(())
}

/// How Baton's turn gate grouped its turns so far, from its `/metrics`: "N turns in M
/// commits (K a commit)", or why that is not known.
async fn group_commit(client: &reqwest::Client, base: &str) -> String {
    let text = match client.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(e) => return format!("group commit unknown ({e})"),
    };
    let counter = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
    };
    match (
        counter("baton_group_commit_writes_total "),
        counter("baton_group_commit_transactions_total "),
    ) {
        (Some(turns), Some(commits)) if commits > 0.0 => format!(
            "{turns:.0} turns in {commits:.0} commits ({:.2} a commit)",
            turns / commits
        ),
        _ => "group commit unknown (no counters in /metrics)".to_string(),
    }
}

/// The turn gate against the floor alone (`--only turns`): for each client count, `repeat`
/// rounds of the floor then Baton, each on its own fresh database, one after the other in one
/// sitting; the medians of the rounds' throughput and p99 are reported with their ratios (the
/// machine is noisy, so one round says little).
async fn turns_only(
    bins: &Binaries,
    db_backend: Backend,
    pg: &str,
    plan: Plan,
    clients: &[usize],
    repeat: usize,
) -> anyhow::Result<Vec<Row>> {
    let backend = db_backend.as_str();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut rows = Vec::new();
    for &concurrency in clients {
        let plan = Plan {
            concurrency,
            ..plan
        };
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency * 2)
            .timeout(Duration::from_secs(60))
            .build()?;
        let body =
            json!({"sender": "user", "content": "hello from the bench", "channel": "telegram"});
        let (mut b_rps, mut f_rps, mut b_p99, mut f_p99) = (vec![], vec![], vec![], vec![]);
        for round in 1..=repeat.max(1) {
            let fdb = TestDb::create(db_backend, pg, "baton_bench")?;
            let floor = Server::floor(bins, &fdb)?;
            let f = load(
                &client,
                plan,
                |i| format!("{}/floor/bench-{i}", floor.process.base),
                &body,
                "",
            )
            .await;
            drop(floor);
            let bdb = TestDb::create(db_backend, pg, "baton_bench")?;
            let baton = Server::baton(bins, &bdb)?;
            let b = load(
                &client,
                plan,
                |i| format!("{}/v1/sessions/bench-{i}/messages", baton.process.base),
                &body,
                &baton.api_key,
            )
            .await;
            let groups = group_commit(&client, &baton.process.base).await;
            drop(baton);
            anyhow::ensure!(
                b.errors == 0 && f.errors == 0,
                "turn gate errors: baton {}, floor {}",
                b.errors,
                f.errors
            );
            eprintln!(
                "   turn gate, {concurrency} clients, round {round}: baton {:.0} req/s p99 {:.2} ms \
                 p99.9 {:.2} ms, floor {:.0} req/s p99 {:.2} ms p99.9 {:.2} ms ({:.2}x, p99 {:.2}x); \
                 {groups}",
                b.rps,
                b.p(99.0),
                b.p(99.9),
                f.rps,
                f.p(99.0),
                f.p(99.9),
                b.rps / f.rps,
                b.p(99.0) / f.p(99.0)
            );
            b_rps.push(b.rps);
            f_rps.push(f.rps);
            b_p99.push(b.p(99.0));
            f_p99.push(f.p(99.0));
        }
        let scenario: &'static str = match concurrency {
            8 => "turn gate, 8 clients (median)",
            64 => "turn gate, 64 clients (median)",
            _ => "turn gate, --turn-clients (median)",
        };
        let p99_target = match db_backend {
            Backend::Sqlite => "≤ 1.0× floor",
            Backend::Postgres => "≤ 1.2× floor",
        };
        rows.push(row(
            backend,
            scenario,
            "throughput",
            "req/s",
            median(b_rps),
            Some(median(f_rps)),
            "≥ 1.2× floor",
        ));
        rows.push(row(
            backend,
            scenario,
            "p99",
            "ms",
            median(b_p99),
            Some(median(f_p99)),
            p99_target,
        ));
    }
    Ok(rows)
}

/// The search scenario alone (`--only search`).
async fn search_only(
    bins: &Binaries,
    db_backend: Backend,
    pg: &str,
    plan: Plan,
) -> anyhow::Result<Vec<Row>> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let db = TestDb::create(db_backend, pg, "baton_bench")?;
    search::run(
        &client,
        bins,
        db,
        db_backend.as_str(),
        plan.search_messages,
        plan.page_requests,
    )
    .await
}

/// The queue with many open takeovers, seeded directly: the API's queue, the unread counts and
/// the inbox's list page (also alone: `--only queue`).
async fn queue_pages(
    bins: &Binaries,
    db_backend: Backend,
    pg: &str,
    client: &reqwest::Client,
    plan: Plan,
) -> anyhow::Result<Vec<Row>> {
    let backend = db_backend.as_str();
    let mut rows = Vec::new();
    let bdb = TestDb::create(db_backend, pg, "baton_bench")?;
    let key = bins.prepare(&bdb)?;
    eprintln!(
        "   seeding {} takeovers, {} messages",
        plan.takeovers, plan.messages
    );
    let seeded = Instant::now();
    seed(&bdb, plan.takeovers, plan.messages)?;
    eprintln!("   seeded in {:.1}s", seeded.elapsed().as_secs_f64());
    let mut baton = Server::baton_bare(bins, &bdb)?;
    baton.api_key = key;
    let floor = Server::floor(bins, &bdb)?;
    let token = login(client, &baton.process.base, "alice").await?;
    let b = serial(
        client,
        &format!("{}/v1/inbox?view=waiting", baton.process.base),
        &token,
        plan.page_requests,
    )
    .await?;
    let f = serial(
        client,
        &format!("{}/page", floor.process.base),
        "",
        plan.page_requests,
    )
    .await?;
    // What needs a reviewer (every live change asks) and the inbox's own list page, as
    // HTML with its unread counts, over the same open conversations.
    let unread = serial(
        client,
        &format!("{}/v1/inbox/unread", baton.process.base),
        &token,
        plan.page_requests,
    )
    .await?;
    let cookie = format!("{}={token}", baton::domain::credentials::SESSION_COOKIE);
    let list = serial_with_cookie(
        client,
        &format!("{}/inbox?view=team", baton.process.base),
        &cookie,
        plan.page_requests,
    )
    .await?;
    for (scenario, s) in [("unread counts", &unread), ("inbox list page", &list)] {
        rows.push(row(backend, scenario, "p50", "ms", s.p(50.0), None, ""));
        rows.push(row(
            backend,
            scenario,
            "p99",
            "ms",
            s.p(99.0),
            None,
            "≤ 20 ms",
        ));
    }
    let q = "queue page";
    rows.push(row(backend, q, "p50", "ms", b.p(50.0), Some(f.p(50.0)), ""));
    rows.push(row(
        backend,
        q,
        "p99",
        "ms",
        b.p(99.0),
        Some(f.p(99.0)),
        "≤ 20 ms",
    ));
    rows.push(row(
        backend,
        q,
        "RSS",
        "MB",
        baton.rss_mb(),
        Some(floor.rss_mb()),
        "≤ 150 MB",
    ));
    Ok(rows)
}

/// The widget relay's rows: a reviewer's reply until it is on the visitor's stream.
async fn widget_relay(
    client: &reqwest::Client,
    baton: &Server,
    backend: &'static str,
    plan: Plan,
) -> anyhow::Result<Vec<Row>> {
    let (b, ba) = widget::relay(client, baton, plan.widget_visitors, plan.widget_replies).await?;
    let w = "widget relay";
    Ok(vec![
        row(backend, w, "p50", "ms", b.p(50.0), None, "≤ 5 ms"),
        row(backend, w, "p99", "ms", b.p(99.0), None, "≤ 50 ms"),
        row(backend, w, "answered p50", "ms", ba.p(50.0), None, ""),
    ])
}

async fn run_backend(
    bins: &Binaries,
    db_backend: Backend,
    pg: &str,
    plan: Plan,
) -> anyhow::Result<Vec<Row>> {
    let backend = db_backend.as_str();
    let fresh_db = || TestDb::create(db_backend, pg, "baton_bench");
    let mut rows = Vec::new();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(plan.concurrency * 2)
        .timeout(Duration::from_secs(60))
        .build()?;

    // 1. Turn gate, 2. reply relay: one Baton and one floor, each on its own fresh database.
    {
        let bdb = fresh_db()?;
        let fdb = fresh_db()?;
        let baton = Server::baton(bins, &bdb)?;
        let floor = Server::floor(bins, &fdb)?;
        let body =
            json!({"sender": "user", "content": "hello from the bench", "channel": "telegram"});
        eprintln!("   turn gate: floor");
        let f = load(
            &client,
            plan,
            |i| format!("{}/floor/bench-{i}", floor.process.base),
            &body,
            "",
        )
        .await;
        eprintln!("   turn gate: baton");
        let b = load(
            &client,
            plan,
            |i| format!("{}/v1/sessions/bench-{i}/messages", baton.process.base),
            &body,
            &baton.api_key,
        )
        .await;
        anyhow::ensure!(
            b.errors == 0 && f.errors == 0,
            "turn gate errors: baton {}, floor {}",
            b.errors,
            f.errors
        );
        let t = "turn gate";
        rows.push(row(
            backend,
            t,
            "throughput",
            "req/s",
            b.rps,
            Some(f.rps),
            "≥ 0.7× floor",
        ));
        rows.push(row(backend, t, "p50", "ms", b.p(50.0), Some(f.p(50.0)), ""));
        rows.push(row(
            backend,
            t,
            "p99",
            "ms",
            b.p(99.0),
            Some(f.p(99.0)),
            "≤ 1.5× floor",
        ));
        rows.push(row(
            backend,
            t,
            "p99.9",
            "ms",
            b.p(99.9),
            Some(f.p(99.9)),
            "",
        ));

        eprintln!("   reply relay");
        let ((b, f), (ba, fa)) = relay(&client, &baton, &floor, plan.relay_requests).await?;
        let r = "reply relay";
        rows.push(row(
            backend,
            r,
            "p50",
            "ms",
            b.p(50.0),
            Some(f.p(50.0)),
            "≤ 3 ms",
        ));
        rows.push(row(
            backend,
            r,
            "p99",
            "ms",
            b.p(99.0),
            Some(f.p(99.0)),
            "≤ 20 ms",
        ));
        // Where the relay's time goes: until the reply request is answered (the rest is the
        // callback's way to the receiver).
        rows.push(row(
            backend,
            r,
            "answered p50",
            "ms",
            ba.p(50.0),
            Some(fa.p(50.0)),
            "",
        ));
    }

    // 3. Queue page with many open takeovers, seeded directly.
    rows.extend(queue_pages(bins, db_backend, pg, &client, plan).await?);

    // 4. Live fan-out: N reviewers on `GET /v1/events`, one change raised through the API, the
    // time until the last of them has it.
    {
        let bdb = fresh_db()?;
        let baton = Server::baton(bins, &bdb)?;
        let root = login(&client, &baton.process.base, "root").await?;
        let alice = login(&client, &baton.process.base, "alice").await?;
        eprintln!(
            "   fan-out: {} admin clients, a turn per event",
            plan.fanout_clients
        );
        let admin = fanout::run(
            &baton,
            &root,
            plan.fanout_clients,
            plan.fanout_events,
            |k| fanout::Raise::Turn(format!("fan-{k}")),
        )
        .await?;
        eprintln!(
            "   fan-out: {} team clients, a takeover per event",
            plan.fanout_clients
        );
        let team = fanout::run(
            &baton,
            &alice,
            plan.fanout_clients,
            plan.fanout_events,
            |k| fanout::Raise::Takeover(format!("fan-team-{k}")),
        )
        .await?;
        for (scenario, s) in [("fan-out", &admin), ("fan-out team", &team)] {
            rows.push(row(backend, scenario, "p50", "ms", s.p(50.0), None, ""));
            rows.push(row(
                backend,
                scenario,
                "p99",
                "ms",
                s.p(99.0),
                None,
                "≤ 50 ms",
            ));
        }
    }

    // 5. Start-up to ready, migrations applied, on a fresh database each time.
    {
        let mut b = Vec::new();
        let mut f = Vec::new();
        for _ in 0..plan.startups {
            let db = fresh_db()?;
            b.push(Server::baton_bare(bins, &db)?.process.startup.as_secs_f64() * 1000.0);
            let db = fresh_db()?;
            f.push(Server::floor(bins, &db)?.process.startup.as_secs_f64() * 1000.0);
        }
        b.sort_by(f64::total_cmp);
        f.sort_by(f64::total_cmp);
        let med = |v: &[f64]| v[v.len() / 2];
        rows.push(row(
            backend,
            "start-up",
            "median",
            "ms",
            med(&b),
            Some(med(&f)),
            "≤ 300 ms",
        ));
    }

    // 6. Web chat: a reviewer's reply until it is on the visitor's stream; the widget's files.
    {
        let bdb = fresh_db()?;
        let baton = Server::baton(bins, &bdb)?;
        eprintln!(
            "   widget relay: {} visitors, {} replies",
            plan.widget_visitors, plan.widget_replies
        );
        rows.extend(widget_relay(&client, &baton, backend, plan).await?);

        eprintln!("   widget files");
        let (served, gzipped, encoded, t) =
            widget::files(&baton.process.base, plan.file_fetches).await?;
        let f = "widget files";
        rows.push(row(
            backend,
            f,
            "gzip size",
            "KB",
            gzipped as f64 / 1024.0,
            None,
            "≤ 25 KB",
        ));
        rows.push(row(
            backend,
            f,
            "as served",
            "KB",
            served as f64 / 1024.0,
            None,
            if encoded {
                "gzip on the wire"
            } else {
                "not compressed on the wire"
            },
        ));
        rows.push(row(backend, f, "fetch both p50", "ms", t.p(50.0), None, ""));
        rows.push(row(
            backend,
            f,
            "fetch both p99",
            "ms",
            t.p(99.0),
            None,
            "paint: Chromium test",
        ));
    }

    // 7. Idle visitor streams on one process, against as many idle streams on the floor.
    {
        let bdb = fresh_db()?;
        let key = bins.prepare(&bdb)?;
        let tokens = widget::seed_visitors(&bdb, plan.idle_streams)?;
        let mut baton = Server::baton_bare(bins, &bdb)?;
        baton.api_key = key;
        let fdb = fresh_db()?;
        let floor = Server::floor(bins, &fdb)?;
        eprintln!("   idle streams: {} on baton", plan.idle_streams);
        let b = widget::hold_streams(&baton, &tokens, plan.idle_streams, plan.idle_hold).await?;
        // The floor's streams have no timers: a short hold shows their whole cost.
        eprintln!("   idle streams: {} on the floor", plan.idle_streams);
        let f =
            widget::hold_streams(&floor, &[], plan.idle_streams, Duration::from_secs(3)).await?;
        let i = "idle streams";
        let n = plan.idle_streams as f64;
        rows.push(row(backend, i, "streams", "", n, Some(n), ""));
        rows.push(row(
            backend,
            i,
            "RSS before",
            "MB",
            b.baseline,
            Some(f.baseline),
            "",
        ));
        rows.push(row(
            backend,
            i,
            "RSS growth",
            "MB",
            b.growth(),
            Some(f.growth()),
            "≤ 100 MB at 5 000",
        ));
        rows.push(row(
            backend,
            i,
            "per stream",
            "KB",
            b.growth() * 1024.0 / n,
            Some(f.growth() * 1024.0 / n),
            "≤ 20 KB",
        ));
        rows.push(row(
            backend,
            i,
            "open all",
            "s",
            b.connect.as_secs_f64(),
            Some(f.connect.as_secs_f64()),
            "",
        ));
        rows.push(row(backend, i, "CPU held", "cores", b.cpu, Some(f.cpu), ""));
    }

    // 8. Search over a large message table.
    rows.extend(
        search::run(
            &client,
            bins,
            fresh_db()?,
            backend,
            plan.search_messages,
            plan.page_requests,
        )
        .await?,
    );
    Ok(rows)
}

/// Latencies of one scenario, in microseconds.
struct Sample {
    micros: Vec<u64>,
    rps: f64,
    errors: u64,
}

impl Sample {
    fn p(&self, q: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        let i = ((q / 100.0) * (self.micros.len() - 1) as f64).round() as usize;
        self.micros[i.min(self.micros.len() - 1)] as f64 / 1000.0
    }
}

/// Fixed concurrency: `plan.concurrency` clients loop over the sessions; latencies are kept only
/// for requests started after the warm-up and finished inside the window.
async fn load(
    client: &reqwest::Client,
    plan: Plan,
    url: impl Fn(usize) -> String,
    body: &Value,
    token: &str,
) -> Sample {
    let body = Arc::new(serde_json::to_vec(body).expect("json"));
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let end = measure_from + plan.window;
    let urls: Arc<Vec<String>> = Arc::new((0..plan.sessions).map(url).collect());
    let mut tasks = Vec::new();
    for _ in 0..plan.concurrency {
        let (client, body, next, errors, urls) = (
            client.clone(),
            body.clone(),
            next.clone(),
            errors.clone(),
            urls.clone(),
        );
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed) as usize % urls.len();
                let mut req = client
                    .post(&urls[i])
                    .header("content-type", "application/json")
                    .body(body.as_ref().clone());
                if !token.is_empty() {
                    req = req.bearer_auth(&token);
                }
                let ok = match req.send().await {
                    Ok(r) => {
                        let ok = r.status().is_success();
                        let _ = r.bytes().await;
                        ok
                    }
                    Err(_) => false,
                };
                let t1 = Instant::now();
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                if t0 >= measure_from && t1 <= end {
                    lat.push((t1 - t0).as_micros() as u64);
                }
            }
            lat
        }));
    }
    let mut micros = Vec::new();
    for t in tasks {
        micros.extend(t.await.expect("load task"));
    }
    micros.sort_unstable();
    Sample {
        rps: micros.len() as f64 / plan.window.as_secs_f64(),
        micros,
        errors: errors.load(Ordering::Relaxed),
    }
}

/// Sequential GETs; the latency of each.
async fn serial(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    n: usize,
) -> anyhow::Result<Sample> {
    let mut micros = Vec::with_capacity(n);
    for i in 0..n + n / 10 {
        let t0 = Instant::now();
        let mut req = client.get(url);
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        let r = req.send().await?;
        anyhow::ensure!(r.status().is_success(), "GET {url}: {}", r.status());
        let _ = r.bytes().await?;
        if i >= n / 10 {
            micros.push(t0.elapsed().as_micros() as u64);
        }
    }
    micros.sort_unstable();
    Ok(Sample {
        rps: 0.0,
        micros,
        errors: 0,
    })
}

/// Sequential GETs of an inbox page with the sign-in cookie; the latency of each.
async fn serial_with_cookie(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    n: usize,
) -> anyhow::Result<Sample> {
    let mut micros = Vec::with_capacity(n);
    for i in 0..n + n / 10 {
        let t0 = Instant::now();
        let r = client.get(url).header("cookie", cookie).send().await?;
        anyhow::ensure!(r.status().is_success(), "GET {url}: {}", r.status());
        let body = r.text().await?;
        anyhow::ensure!(
            body.contains("id=\"queue\""),
            "GET {url}: not the queue page"
        );
        if i >= n / 10 {
            micros.push(t0.elapsed().as_micros() as u64);
        }
    }
    micros.sort_unstable();
    Ok(Sample {
        rps: 0.0,
        micros,
        errors: 0,
    })
}

/// Reviewer reply -> body at a real HTTP receiver, one at a time; the same through the floor's
/// durable relay (insert, then POST to the receiver).
async fn relay(
    client: &reqwest::Client,
    baton: &Server,
    floor: &Server,
    n: usize,
) -> anyhow::Result<((Sample, Sample), (Sample, Sample))> {
    let receiver = Receiver::start();
    let mut arrivals = receiver.arrivals();
    let hook = receiver.url("/hook");
    let session = "relay-1";
    expect_ok(
        client
            .post(format!("{}/v1/takeovers", baton.process.base))
            .bearer_auth(&baton.api_key)
            .json(
                &json!({"session_id": session, "channel": "telegram", "reply_webhook": hook,
                      "reason": "user_requested", "assignee": "support", "timeout": "1d"}),
            )
            .send()
            .await?,
    )
    .await?;
    let token = login(client, &baton.process.base, "alice").await?;
    expect_ok(
        client
            .post(format!(
                "{}/v1/sessions/{session}/claim",
                baton.process.base
            ))
            .bearer_auth(&token)
            .send()
            .await?,
    )
    .await?;
    // The claim sends a `takeover.claimed` callback; wait for it so it is not counted.
    arrivals.recv().await;

    let b = relay_run(
        client,
        &baton.process.base,
        Some(&token),
        session,
        &hook,
        &mut arrivals,
        n,
    )
    .await?;
    let f = relay_run(
        client,
        &floor.process.base,
        None,
        session,
        &hook,
        &mut arrivals,
        n,
    )
    .await?;
    Ok(((b.0, f.0), (b.1, f.1)))
}

/// `n` replies one after another (after a tenth as warm-up): Baton's when `token` is given, else
/// through the floor's relay.
async fn relay_run(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    session: &str,
    hook: &str,
    arrivals: &mut tokio::sync::mpsc::UnboundedReceiver<Received>,
    n: usize,
) -> anyhow::Result<(Sample, Sample)> {
    let mut micros = Vec::with_capacity(n);
    let mut answered = Vec::with_capacity(n);
    let warm = n / 10;
    for i in 0..warm + n {
        let content = format!("relay-{i}");
        let t0 = Instant::now();
        let req = match token {
            Some(token) => client
                .post(format!("{base}/v1/sessions/{session}/replies"))
                .bearer_auth(token),
            None => client
                .post(format!("{base}/relay/{session}"))
                .header("x-forward-to", hook),
        };
        let r = req.json(&json!({ "content": content })).send().await?;
        anyhow::ensure!(r.status().is_success(), "relay: {}", r.status());
        let _ = r.bytes().await;
        if i >= warm {
            answered.push(t0.elapsed().as_micros() as u64);
        }
        loop {
            let got = tokio::time::timeout(Duration::from_secs(30), arrivals.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("receiver stopped"))?;
            // Baton's callback carries the reply as `message.content`, the floor's relay the
            // reply body itself.
            let got_content = got.body["message"]["content"]
                .as_str()
                .or(got.body["content"].as_str());
            if got_content == Some(content.as_str()) {
                if i >= warm {
                    micros.push((got.at - t0).as_micros() as u64);
                }
                break;
            }
        }
    }
    micros.sort_unstable();
    answered.sort_unstable();
    let sample = |micros| Sample {
        micros,
        rps: 0.0,
        errors: 0,
    };
    Ok((sample(micros), sample(answered)))
}

async fn expect_ok(r: reqwest::Response) -> anyhow::Result<()> {
    let s = r.status();
    let body = r.text().await.unwrap_or_default();
    anyhow::ensure!(s.is_success(), "{s}: {body}");
    Ok(())
}

/// The `baton` release binary next to this one (built first when run through cargo).
struct Binaries {
    baton: PathBuf,
    bench: PathBuf,
}

impl Binaries {
    fn locate() -> anyhow::Result<Binaries> {
        let bench = std::env::current_exe()?;
        let dir = bench.parent().unwrap_or(Path::new(".")).to_path_buf();
        if let Ok(cargo) = std::env::var("CARGO") {
            let release = dir.ends_with("release");
            let mut cmd = Command::new(cargo);
            // The root package of this workspace, wherever the bench was started from.
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
            cmd.args([
                "build",
                "-q",
                "-p",
                "baton",
                "--bin",
                "baton",
                "--manifest-path",
            ])
            .arg(manifest);
            if release {
                cmd.arg("--release");
            } else {
                eprintln!(
                    "warning: baton-bench is a debug build; run it with --release for real figures"
                );
            }
            anyhow::ensure!(
                cmd.status()?.success(),
                "cargo build -p baton --bin baton failed"
            );
        }
        let baton = dir.join("baton");
        anyhow::ensure!(
            baton.exists(),
            "{} not found: run `cargo build --release` first",
            baton.display()
        );
        Ok(Binaries { baton, bench })
    }

    /// Creates an API key (returned), the reviewers alice (support) and carol (billing), and
    /// root (an admin).
    fn prepare(&self, db: &TestDb) -> anyhow::Result<String> {
        let key = testkit::create_api_key(&self.baton, &db.url, "bench")?;
        for (name, team, extra) in [
            ("alice", "support", &[][..]),
            ("carol", "billing", &[]),
            ("root", "ops", &["--admin"]),
        ] {
            testkit::add_reviewer(&self.baton, &db.url, name, team, extra)?;
        }
        Ok(key.key)
    }
}

/// A running server process (Baton or the floor), killed on drop.
struct Server {
    process: Process,
    api_key: String,
}

impl Server {
    /// Baton on `db`, with an API key and the reviewers alice (support) and carol (billing).
    fn baton(bins: &Binaries, db: &TestDb) -> anyhow::Result<Server> {
        let key = bins.prepare(db)?;
        let mut s = Self::baton_bare(bins, db)?;
        s.api_key = key;
        Ok(s)
    }

    /// Baton on `db` as it is (a fresh database: start-up includes the migrations).
    fn baton_bare(bins: &Binaries, db: &TestDb) -> anyhow::Result<Server> {
        Self::spawn(
            Command::new(&bins.baton)
                .arg("serve")
                .env("DATABASE_URL", &db.url),
            db,
        )
    }

    fn floor(bins: &Binaries, db: &TestDb) -> anyhow::Result<Server> {
        Self::spawn(
            Command::new(&bins.bench).args(["floor", "--database", &db.url]),
            db,
        )
    }

    fn spawn(cmd: &mut Command, db: &TestDb) -> anyhow::Result<Server> {
        let log = db.dir().join("server.log");
        Ok(Server {
            process: Process::spawn(cmd, &log, Duration::from_secs(120))?,
            api_key: String::new(),
        })
    }

    fn rss_mb(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.process.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    }
}

/// Seeds `takeovers` open takeovers (team support, mixed priorities) on as many sessions, and
/// `messages` messages spread over those sessions, with set-based SQL (seconds, not hours).
fn seed(db: &TestDb, takeovers: usize, messages: usize) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(Some(&db.url)).map_err(anyhow::Error::msg)?;
    let pool = Db::connect(&url, 1)?;
    let mut conn = pool.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let conn: &mut DbConnection = &mut conn;
    let team: String = baton::db::schema::teams::table
        .filter(baton::db::schema::teams::name.eq("support"))
        .select(baton::db::schema::teams::id)
        .first(conn)?;
    let key: String = baton::db::schema::api_keys::table
        .select(baton::db::schema::api_keys::id)
        .first(conn)?;
    let per = (messages / takeovers.max(1)).max(1);
    let pg = matches!(conn, DbConnection::Postgresql(_));
    // `n` runs 1..=count; both backends get the same rows.
    let series = |count: usize| {
        if pg {
            format!("(SELECT generate_series(1, {count}) AS n) g")
        } else {
            format!("(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {count}) SELECT n FROM c) g")
        }
    };
    let t = "'2026-11-25 10:00:00'";
    let ts = if pg {
        format!("TIMESTAMP {t}")
    } else {
        t.to_string()
    };
    // Not due while the bench runs: an expired takeover would be escalated and resolved by the
    // timers under the measurement (the list would shrink and the writes would add to its tail).
    let due = if pg {
        "TIMESTAMP '2100-01-01 00:00:00'"
    } else {
        "'2100-01-01 00:00:00'"
    };
    let cat = |a: &str, b: &str| format!("{a} || {b}");
    let txt = |e: &str| {
        if pg {
            format!("({e})::text")
        } else {
            format!("({e})")
        }
    };
    let sql = format!(
        "BEGIN;
         INSERT INTO sessions (id, channel, channel_ref, status, open_takeover_id, next_seq, customer_turns, created_at, updated_at)
           SELECT {sid}, 'telegram', {sid}, 'human_requested', {tid}, {per}, {per}, {ts}, {ts} FROM {g};
         INSERT INTO takeovers (id, session_id, mode, status, reason, priority, assignee, assignee_team_id,
             timeout_seconds, expires_at, reply_webhook, api_key_id, escalation_step, created_at, updated_at)
           SELECT {tid}, {sid}, 'takeover', 'requested', 'user_requested', n % 3, 'support', '{team}',
             86400, {due}, 'http://127.0.0.1:9/hook', '{key}', 0, {ts}, {ts} FROM {g};
         INSERT INTO messages (id, session_id, seq, sender, content, at, recorded_at)
           SELECT {mid}, {msid}, ((n - 1) % {per}) + 1, 'user', 'seeded message with a little text in it', {ts}, {ts} FROM {gm};
         COMMIT;",
        sid = cat("'seed-'", &txt("n")),
        tid = cat("'to-'", &txt("n")),
        mid = cat("'m-'", &txt("n")),
        msid = cat("'seed-'", &txt(&format!("((n - 1) / {per}) + 1"))),
        g = series(takeovers),
        gm = series(per * takeovers),
    );
    conn.batch_execute(&sql)?;
    if pg {
        // What autovacuum does after a bulk load anyway: statistics, and a visibility map so
        // counts can read indexes alone.
        conn.batch_execute("VACUUM ANALYZE")?;
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:<9} {:<12} {:<17} {:>10} {:>10} {:>8}  target",
        "backend", "scenario", "metric", "baton", "floor", "ratio"
    );
    for r in rows {
        let f = r
            .floor
            .map(|f| format!("{f:.2}"))
            .unwrap_or_else(|| "-".into());
        let ratio = r
            .ratio
            .map(|x| format!("{x:.2}×"))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<9} {:<12} {:<17} {:>10} {:>10} {:>8}  {}",
            r.backend,
            r.scenario,
            format!("{} {}", r.metric, r.unit),
            format!("{:.2}", r.baton),
            f,
            ratio,
            r.target
        );
    }
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
    })
}

pub(crate) mod fanout {
    //! The live fan-out: many server-sent-event clients, one change at a time.

    use super::*;
    use tokio::sync::mpsc::unbounded_channel;

    /// How an event is raised through the API.
    pub enum Raise {
        /// A user turn on this session (every admin sees it).
        Turn(String),
        /// A takeover request for team support on this session (its reviewers see it).
        Takeover(String),
    }

    /// Connects `clients` streams as the reviewer behind `token`, then raises `events` changes
    /// one after another; for each, the time from sending the request until the last client
    /// has read the event (all of them must).
    pub async fn run(
        baton: &Server,
        token: &str,
        clients: usize,
        events: usize,
        raise: impl Fn(usize) -> Raise,
    ) -> anyhow::Result<Sample> {
        raise_fd_limit(clients);
        // Streams never end: no overall timeout, one connection per stream.
        let sse = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()?;
        let api = reqwest::Client::new();
        let (tx, mut rx) = unbounded_channel::<(String, Instant)>();
        let (ready_tx, mut ready_rx) = unbounded_channel::<()>();
        let mut tasks = Vec::new();
        for batch in 0..clients.div_ceil(100) {
            for _ in batch * 100..((batch + 1) * 100).min(clients) {
                let (sse, tx, ready) = (sse.clone(), tx.clone(), ready_tx.clone());
                let url = format!("{}/v1/events", baton.process.base);
                let token = token.to_string();
                tasks.push(tokio::spawn(async move {
                    let mut res = sse.get(url).bearer_auth(token).send().await?;
                    anyhow::ensure!(res.status().is_success(), "events: {}", res.status());
                    let mut buf = String::new();
                    let mut connected = false;
                    while let Some(chunk) = res.chunk().await? {
                        let at = Instant::now();
                        buf.push_str(std::str::from_utf8(&chunk)?);
                        while let Some(end) = buf.find("\n\n") {
                            let frame: String = buf.drain(..end + 2).collect();
                            if !connected {
                                connected = true;
                                let _ = ready.send(());
                            }
                            if let Some(data) = frame
                                .lines()
                                .find_map(|l| l.strip_prefix("data: "))
                                .filter(|_| frame.contains("event: session"))
                            {
                                let v: Value = serde_json::from_str(data)?;
                                let session = v["session_id"].as_str().unwrap_or("").to_string();
                                let _ = tx.send((session, at));
                            }
                        }
                    }
                    anyhow::Ok(())
                }));
            }
            // Let each hundred connect before the next.
            for _ in batch * 100..((batch + 1) * 100).min(clients) {
                tokio::time::timeout(Duration::from_secs(30), ready_rx.recv())
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("an event stream closed while connecting"))?;
            }
        }
        let mut micros = Vec::with_capacity(events);
        for k in 0..events {
            let session = match raise(k) {
                Raise::Turn(s) | Raise::Takeover(s) => s,
            };
            let t0 = Instant::now();
            let req = match raise(k) {
                Raise::Turn(s) => api
                    .post(format!("{}/v1/sessions/{s}/messages", baton.process.base))
                    .json(&json!({"sender": "user", "content": "fan-out"})),
                Raise::Takeover(s) => api
                    .post(format!("{}/v1/takeovers", baton.process.base))
                    .json(
                        &json!({"session_id": s, "reply_webhook": "http://127.0.0.1:9/hook",
                            "reason": "user_requested", "assignee": "support", "timeout": "1d"}),
                    ),
            };
            expect_ok(req.bearer_auth(&baton.api_key).send().await?).await?;
            let mut seen = 0;
            let mut last = t0;
            while seen < clients {
                let (got, at) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                    .await
                    .map_err(|_| anyhow::anyhow!("only {seen} of {clients} clients got event {k}"))?
                    .ok_or_else(|| anyhow::anyhow!("every event stream closed"))?;
                anyhow::ensure!(
                    got == session,
                    "event for {got} while waiting for {session}"
                );
                seen += 1;
                last = last.max(at);
            }
            micros.push((last - t0).as_micros() as u64);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for t in &tasks {
            t.abort();
        }
        micros.sort_unstable();
        Ok(Sample {
            micros,
            rps: 0.0,
            errors: 0,
        })
    }

    /// Two sockets per client (the bench's and Baton's end) must fit under the open-files
    /// limit; raise the soft limit to the hard one when needed (children inherit it). Without
    /// the `prlimit` tool, run the bench under `ulimit -n 4096`.
    pub(super) fn raise_fd_limit(clients: usize) {
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let Some(line) = limits.lines().find(|l| l.starts_with("Max open files")) else {
            return;
        };
        let mut numbers = line.split_whitespace().skip(3);
        let soft: u64 = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let hard = numbers.next().unwrap_or("unlimited");
        if soft >= 2 * clients as u64 + 256 {
            return;
        }
        let pid = std::process::id().to_string();
        let ok = Command::new("prlimit")
            .args(["--pid", &pid, &format!("--nofile={hard}:{hard}")])
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "warning: the open-files limit ({soft}) is low for {clients} clients; run under `ulimit -n 4096`"
            );
        }
    }
}

mod floor {
    //! The floor: the least any durable turn gate can do here. Parses the JSON body, inserts one
    //! row through baton's own pool type (`Db::write`: same pool, same SQLite writer lock, a
    //! transaction) and answers with a small JSON body.

    use super::*;
    use baton::db::schema::takeovers;

    diesel::table! {
        floor_events (id) {
            id -> Text,
            session_id -> Text,
            sender -> Text,
            content -> Text,
            at -> Timestamp,
        }
    }

    #[derive(serde::Deserialize)]
    struct Turn {
        #[serde(default)]
        sender: String,
        content: String,
    }

    async fn insert(
        db: &Db,
        session: String,
        body: &[u8],
    ) -> Result<HttpResponse, actix_web::Error> {
        let turn: Turn = serde_json::from_slice(body).map_err(actix_web::error::ErrorBadRequest)?;
        let id = uuid::Uuid::now_v7().to_string();
        let reply = json!({"id": id, "session_id": session});
        db.write(move |conn| {
            diesel::insert_into(floor_events::table)
                .values((
                    floor_events::id.eq(id),
                    floor_events::session_id.eq(session),
                    floor_events::sender.eq(turn.sender),
                    floor_events::content.eq(turn.content),
                    floor_events::at.eq(baton::db::now()),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .map_err(actix_web::error::ErrorInternalServerError)?;
        Ok(HttpResponse::Created().json(reply))
    }

    pub fn serve(database: &str, pool: u32) -> anyhow::Result<()> {
        actix_web::rt::System::new().block_on(async move {
            let url = DatabaseUrl::parse(Some(database)).map_err(anyhow::Error::msg)?;
            let db = {
                let url = url.clone();
                tokio::task::spawn_blocking(move || Db::connect(&url, pool)).await??
            };
            db.write(|conn| {
                conn.batch_execute(
                    "CREATE TABLE IF NOT EXISTS floor_events (id TEXT PRIMARY KEY NOT NULL, \
                     session_id TEXT NOT NULL, sender TEXT NOT NULL, content TEXT NOT NULL, at TIMESTAMP NOT NULL)",
                )?;
                Ok(())
            })
            .await?;
            let client = reqwest::Client::new();
            let bind = std::env::var("BATON_BIND").unwrap_or_else(|_| "127.0.0.1:0".into());
            let server = actix_web::HttpServer::new(move || {
                actix_web::App::new()
                    .app_data(web::Data::new(db.clone()))
                    .app_data(web::Data::new(client.clone()))
                    .route(
                        "/floor/{id}",
                        web::post().to(|db: web::Data<Db>, id: web::Path<String>, body: web::Bytes| async move {
                            insert(&db, id.into_inner(), &body).await
                        }),
                    )
                    // The floor of a durable relay: store, then hand the body to the receiver.
                    .route(
                        "/relay/{id}",
                        web::post().to(
                            |db: web::Data<Db>,
                             client: web::Data<reqwest::Client>,
                             req: actix_web::HttpRequest,
                             id: web::Path<String>,
                             body: web::Bytes| async move {
                                let to = req
                                    .headers()
                                    .get("x-forward-to")
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or_default()
                                    .to_string();
                                let r = insert(&db, id.into_inner(), &body).await?;
                                client
                                    .post(to)
                                    .header("content-type", "application/json")
                                    .body(body)
                                    .send()
                                    .await
                                    .map_err(actix_web::error::ErrorBadGateway)?;
                                Ok::<_, actix_web::Error>(r)
                            },
                        ),
                    )
                    // The floor of an idle event stream: one comment, then nothing.
                    .route(
                        "/stream",
                        web::get().to(|| async {
                            HttpResponse::Ok()
                                .content_type("text/event-stream")
                                .body(widget::IdleBody::default())
                        }),
                    )
                    // The floor of a queue page: the first 100 open takeovers by the queue order.
                    .route(
                        "/page",
                        web::get().to(|db: web::Data<Db>| async move {
                            let rows: Vec<(String, String, i32)> = db
                                .read(|conn| {
                                    Ok(takeovers::table
                                        .filter(takeovers::status.eq("requested"))
                                        .order((takeovers::priority.desc(), takeovers::created_at.asc()))
                                        .limit(100)
                                        .select((takeovers::id, takeovers::session_id, takeovers::priority))
                                        .load(conn)?)
                                })
                                .await
                                .map_err(actix_web::error::ErrorInternalServerError)?;
                            Ok::<_, actix_web::Error>(HttpResponse::Ok().json(rows))
                        }),
                    )
            })
            .bind(bind)?;
            let addr = server.addrs()[0];
            println!("floor listening on http://{addr}");
            use std::io::Write;
            std::io::stdout().flush()?;
            server.run().await?;
            anyhow::Ok(())
        })
    }
}
