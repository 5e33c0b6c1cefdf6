//! Conversation search (`GET /v1/search`) over a large, directly written message table: p50 and
//! p99 of one request at a time, for a rare word, a word in 1 % of the messages, a word in every
//! message, two words with a team filter, an id prefix, and a reviewer who sees one team of two.
//!
//! The seed writes `sessions` (half support, half billing, each with a takeover) and `messages`
//! with set-based SQL: the full-text index is filled by the same triggers (SQLite) or generated
//! column (PostgreSQL) that a turn fills. Message ids grow with time, as Baton's UUIDv7 ids do.

use std::time::Instant;

use baton::config::DatabaseUrl;
use baton::db::{Db, DbConnection};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use testkit::{login, TestDb};

use super::{row, serial, Binaries, Row, Server};

/// Messages per session in the seed.
const PER_SESSION: usize = 20;

/// Writes `messages` messages over `messages / 20` sessions; the seconds it took.
pub fn seed(db: &TestDb, messages: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let url = DatabaseUrl::parse(Some(&db.url)).map_err(anyhow::Error::msg)?;
    let pool = Db::connect(&url, 1)?;
    let mut conn = pool.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let conn: &mut DbConnection = &mut conn;
    use baton::db::schema::{api_keys, teams};
    let team = |name: &str, conn: &mut DbConnection| -> anyhow::Result<String> {
        Ok(teams::table
            .filter(teams::name.eq(name))
            .select(teams::id)
            .first(conn)?)
    };
    let support = team("support", conn)?;
    let billing = team("billing", conn)?;
    let key: String = api_keys::table.select(api_keys::id).first(conn)?;
    let sessions = (messages / PER_SESSION).max(1);
    let pg = matches!(conn, DbConnection::Postgresql(_));
    let series = |count: usize| {
        if pg {
            format!("(SELECT generate_series(1, {count}) AS n) g")
        } else {
            format!("(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {count}) SELECT n FROM c) g")
        }
    };
    let text = |e: &str| {
        if pg {
            format!("({e})::text")
        } else {
            format!("CAST({e} AS TEXT)")
        }
    };
    let padded = |e: &str| {
        if pg {
            format!("lpad(({e})::text, 10, '0')")
        } else {
            format!("printf('%010d', {e})")
        }
    };
    // Times: session n's last activity is n seconds after the start; messages likewise.
    let at = |e: &str| {
        if pg {
            format!("TIMESTAMP '2026-01-01 00:00:00' + ({e}) * INTERVAL '1 second'")
        } else {
            format!("datetime('2026-01-01 00:00:00', '+' || ({e}) || ' seconds')")
        }
    };
    let sid = format!("'srch-' || {}", text("n"));
    let sql = format!(
        "BEGIN;
         INSERT INTO sessions (id, channel, channel_ref, user_id, status, next_seq, customer_turns, created_at, updated_at)
           SELECT {sid}, CASE WHEN n % 3 = 0 THEN 'whatsapp' ELSE 'telegram' END, {sid},
             'user-' || {user}, CASE WHEN n % 2 = 0 THEN 'closed' ELSE 'handed_back' END, {PER_SESSION}, {PER_SESSION},
             {at_n}, {at_n} FROM {g};
         INSERT INTO takeovers (id, session_id, mode, status, outcome, reason, priority, assignee, assignee_team_id,
             timeout_seconds, expires_at, reply_webhook, api_key_id, claimed_by, escalation_step, created_at, updated_at)
           SELECT 'st-' || {n}, {sid}, 'takeover', 'resolved',
             CASE WHEN n % 2 = 0 THEN 'closed' ELSE 'handed_back' END, 'user_requested', 0,
             CASE WHEN n % 2 = 0 THEN 'support' ELSE 'billing' END,
             CASE WHEN n % 2 = 0 THEN '{support}' ELSE '{billing}' END,
             600, {at_n}, 'http://127.0.0.1:9/hook', '{key}',
             CASE WHEN n % 2 = 0 THEN 'alice' ELSE 'carol' END, 0, {at_n}, {at_n} FROM {g};
         COMMIT;",
        n = text("n"),
        user = text("n % 50000"),
        at_n = at("n"),
        g = series(sessions),
    );
    conn.batch_execute(&sql)?;
    // Messages in batches, so that neither backend holds one huge transaction.
    let batch = 100_000;
    let mut from = 0;
    while from < sessions * PER_SESSION {
        let to = (from + batch).min(sessions * PER_SESSION);
        let m = format!("(n + {from})");
        let sql = format!(
            "INSERT INTO messages (id, session_id, seq, sender, content, at, recorded_at)
               SELECT 'msg-' || {id}, 'srch-' || {session}, (({m} - 1) % {PER_SESSION}) + 1, 'user',
                 'my parcel ' || 'order' || {rare} || ' is late, word' || {pct} || ' tag' || {tenth} || ' please help',
                 {at_m}, {at_m} FROM {g}",
            id = padded(&m),
            session = text(&format!("(({m} - 1) / {PER_SESSION}) + 1")),
            rare = text(&m),
            pct = text(&format!("{m} % 100")),
            tenth = text(&format!("{m} % 10")),
            at_m = at(&format!("({m} - 1) / {PER_SESSION} + 1")),
            g = series(to - from),
        );
        conn.batch_execute(&sql)?;
        from = to;
    }
    if pg {
        conn.batch_execute("VACUUM ANALYZE")?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Seeds a fresh database, starts Baton on it and measures the searches.
pub async fn run(
    client: &reqwest::Client,
    bins: &Binaries,
    db: TestDb,
    backend: &'static str,
    messages: usize,
    requests: usize,
) -> anyhow::Result<Vec<Row>> {
    let key = bins.prepare(&db)?;
    eprintln!("   search: writing {messages} messages");
    let seconds = seed(&db, messages)?;
    eprintln!("   search: seeded in {seconds:.0} s");
    let mut baton = Server::baton_bare(bins, &db)?;
    baton.api_key = key;
    let base = baton.process.base.clone();
    let alice = login(client, &base, "alice").await?;
    let mut rows = vec![
        row(
            backend,
            "search",
            "messages",
            "",
            messages as f64,
            None,
            "10 M goal",
        ),
        row(backend, "search", "seed", "s", seconds, None, ""),
    ];
    let cases: [(&'static str, String, &str); 8] = [
        (
            "rare word (1 message)",
            format!("q=order{}", messages / 2),
            &baton.api_key,
        ),
        ("word in 1 %", "q=word42".into(), &baton.api_key),
        (
            "word in 10 %, relevance",
            "q=tag7&sort=relevance".into(),
            &baton.api_key,
        ),
        ("word in every message", "q=parcel".into(), &baton.api_key),
        (
            "two words + team",
            "q=parcel%20word42&team=support".into(),
            &baton.api_key,
        ),
        ("user id prefix", "q=user-4242".into(), &baton.api_key),
        ("reviewer, one team of two", "q=word43".into(), &alice),
        // No words: every session is read and sorted (no index on the last activity).
        (
            "no words, channel filter",
            "channel=whatsapp".into(),
            &baton.api_key,
        ),
    ];
    for (name, query, token) in cases {
        let url = format!("{base}/v1/search?{query}");
        // One check that the search finds something, before timing it.
        let r = client.get(&url).bearer_auth(token).send().await?;
        anyhow::ensure!(r.status().is_success(), "GET {url}: {}", r.status());
        let body: serde_json::Value = r.json().await?;
        let found = body["items"].as_array().map(Vec::len).unwrap_or(0);
        anyhow::ensure!(
            found > 0 || name.starts_with("reviewer"),
            "{name}: nothing found"
        );
        eprintln!("   search: {name} ({found} found)");
        // Without words every session is read: a tenth of the requests is enough to see it.
        let n = if name.starts_with("no words") {
            (requests / 10).max(10)
        } else {
            requests
        };
        let s = serial(client, &url, token, n).await?;
        rows.push(row(
            backend,
            "search",
            leak(format!("{name} p50")),
            "ms",
            s.p(50.0),
            None,
            "",
        ));
        rows.push(row(
            backend,
            "search",
            leak(format!("{name} p99")),
            "ms",
            s.p(99.0),
            None,
            "≤ 50 ms",
        ));
    }
    if std::env::var("BENCH_KEEP_DB").is_ok() {
        eprintln!("   search: kept database {}", db.url);
        std::mem::forget(db);
    }
    Ok(rows)
}

/// Row names are `&'static str`; a handful of them per run.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
