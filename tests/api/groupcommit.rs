//! The turn gate's group commit (`db/batch.rs`): turns that arrive together share one commit, on
//! SQLite as savepoints of one transaction, on PostgreSQL as one statement. Each test fires
//! enough turns at once that they are grouped (checked in `/metrics`), and checks that grouping
//! changes nothing a client can see: every turn stored once under the number it was answered
//! with, refusals and repeats answered per turn, one order per session, nothing acknowledged
//! lost to a crash, and no server error between two replicas.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::Connection;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::backend_tests;
use crate::helpers::{assert_problem, enc, postgres_available, spawn_app, Backend, TestApp};
use crate::operations::count;
use crate::races::assert_contiguous;

backend_tests!(
    turns_at_once_on_many_sessions_are_stored_once_each_and_a_refusal_undoes_only_itself,
    clients_sharing_one_session_see_their_turns_numbered_in_the_order_they_sent_them,
    a_repeated_id_inside_a_group_is_answered_with_the_same_turn,
    a_sigkill_while_turns_are_grouped_loses_no_acknowledged_turn,
    grouped_turns_are_each_searchable_once_and_a_refused_one_never,
);

async fn post_turn(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    session: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = client
        .post(format!("{base}/v1/sessions/{}/messages", enc(session)))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn turn(app: &TestApp, session: &str, body: Value) -> (StatusCode, Value) {
    post_turn(&app.client, &app.base, &app.api_key, session, body).await
}

/// (transactions, turns they carried) from `/metrics`.
async fn grouped(base: &str, app: &TestApp) -> (u64, u64) {
    let metrics = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let counter = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{metrics}"))
    };
    (
        counter("baton_group_commit_transactions_total "),
        counter("baton_group_commit_writes_total "),
    )
}

/// Each session's history is gapless and holds exactly the turns answered 201, each under the
/// number it was answered with.
async fn assert_stored_as_answered(app: &TestApp, answered: HashMap<String, Vec<(i64, String)>>) {
    for (session, mut turns) in answered {
        let history = app.history(&session).await;
        assert_contiguous(&history);
        turns.sort();
        let stored: Vec<(i64, String)> = history
            .iter()
            .map(|m| {
                (
                    m["seq"].as_i64().unwrap(),
                    m["content"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(stored, turns, "{session}: stored as answered");
    }
}

/// 300 turns at once over 30 sessions, user and AI turns, and among them AI turns into a session
/// a person owns (refused) and user turns into it (kept): the groups carry them all.
async fn turns_at_once_on_many_sessions_are_stored_once_each_and_a_refusal_undoes_only_itself(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (status, _) = app.turn("held", "user", "a person, please").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, t) = app
        .takeover("held", "http://127.0.0.1:9/hook", json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let held_before = app.history("held").await;
    let before = grouped(&app.base, &app).await;

    let requests = (0..300).map(|i| {
        let app = &app;
        async move {
            let (session, sender) = match i % 10 {
                0 => ("held".to_string(), "ai"),
                5 => ("held".to_string(), "user"),
                n => (
                    format!("many-{}", i % 30),
                    if n % 2 == 0 { "ai" } else { "user" },
                ),
            };
            let content = format!("turn {i}");
            let (status, body) =
                turn(app, &session, json!({"sender": sender, "content": content})).await;
            (session, sender, content, status, body)
        }
    });
    let results = futures_util::future::join_all(requests).await;

    let mut answered: HashMap<String, Vec<(i64, String)>> = Default::default();
    answered.insert(
        "held".into(),
        held_before
            .iter()
            .map(|m| {
                (
                    m["seq"].as_i64().unwrap(),
                    m["content"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
    );
    for (session, sender, content, status, body) in results {
        if session == "held" && sender == "ai" {
            assert_problem(status, &body, StatusCode::CONFLICT, "ai-turn-refused");
            continue;
        }
        assert_eq!(status, StatusCode::CREATED, "{session} {sender}: {body}");
        answered
            .entry(session)
            .or_default()
            .push((body["seq"].as_i64().unwrap(), content));
    }
    assert_eq!(answered.len(), 25, "24 sessions and the held one");
    assert_eq!(answered["held"].len(), held_before.len() + 30);
    assert_stored_as_answered(&app, answered).await;

    let (transactions, writes) = grouped(&app.base, &app).await;
    let (transactions, writes) = (transactions - before.0, writes - before.1);
    assert!(
        writes >= 300,
        "{writes} turns went through the group commit"
    );
    assert!(
        transactions < writes,
        "{transactions} transactions for {writes} turns: nothing was grouped"
    );
}

/// Eight clients share one session, each sending 25 turns one after another: every client's turns
/// are numbered in the order it sent them, and all 200 are gapless. Then 100 turns at once on
/// one session: each number is given once.
async fn clients_sharing_one_session_see_their_turns_numbered_in_the_order_they_sent_them(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let clients = (0..8).map(|c| {
        let app = &app;
        async move {
            let mut seqs = Vec::new();
            for i in 0..25 {
                let sender = if (c + i) % 2 == 0 { "user" } else { "ai" };
                let (status, body) = turn(
                    app,
                    "shared",
                    json!({"sender": sender, "content": format!("client {c} turn {i}")}),
                )
                .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                seqs.push((
                    body["seq"].as_i64().unwrap(),
                    format!("client {c} turn {i}"),
                ));
            }
            seqs
        }
    });
    let per_client = futures_util::future::join_all(clients).await;
    for seqs in &per_client {
        assert!(
            seqs.windows(2).all(|w| w[0].0 < w[1].0),
            "a client's turns were numbered out of its order: {seqs:?}"
        );
    }
    assert_stored_as_answered(
        &app,
        HashMap::from([("shared".to_string(), per_client.concat())]),
    )
    .await;

    let burst = (0..100).map(|i| {
        let app = &app;
        async move {
            let content = format!("burst {i}");
            let (status, body) =
                turn(app, "burst", json!({"sender": "user", "content": content})).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            (body["seq"].as_i64().unwrap(), content)
        }
    });
    let burst = futures_util::future::join_all(burst).await;
    assert_stored_as_answered(&app, HashMap::from([("burst".to_string(), burst)])).await;
}

/// Ten sessions each get five copies of one caller id and five plain turns, all at once: the
/// copies that share a group with the first are answered as repeats of the same turn, and each
/// id is stored once.
async fn a_repeated_id_inside_a_group_is_answered_with_the_same_turn(backend: Backend) {
    let app = spawn_app(backend).await;
    let requests = (0..100).map(|i| {
        let app = &app;
        async move {
            let session = format!("dup-{}", i % 10);
            let body = if i % 20 < 10 {
                json!({"sender": "user", "content": "once", "id": format!("ext-{session}")})
            } else {
                json!({"sender": "user", "content": format!("plain {i}")})
            };
            let (status, answer) = turn(app, &session, body.clone()).await;
            (session, body, status, answer)
        }
    });
    let results = futures_util::future::join_all(requests).await;
    let mut by_session: HashMap<String, Vec<(Value, StatusCode, Value)>> = Default::default();
    for (session, body, status, answer) in results {
        by_session
            .entry(session)
            .or_default()
            .push((body, status, answer));
    }
    for (session, results) in by_session {
        let copies: Vec<&(Value, StatusCode, Value)> = results
            .iter()
            .filter(|(b, _, _)| b["id"].is_string())
            .collect();
        assert_eq!(copies.len(), 5);
        let created: Vec<&Value> = copies
            .iter()
            .filter(|(_, s, _)| *s == StatusCode::CREATED)
            .map(|(_, _, a)| a)
            .collect();
        assert_eq!(created.len(), 1, "{session}: {copies:?}");
        for (_, status, answer) in &copies {
            assert!(
                *status == StatusCode::CREATED || *status == StatusCode::OK,
                "{session}: {status} {answer}"
            );
            assert_eq!(answer["message_id"], created[0]["message_id"], "{session}");
            assert_eq!(answer["seq"], created[0]["seq"], "{session}");
            assert_eq!(answer["duplicate"], *status == StatusCode::OK, "{answer}");
        }
        let history = app.history(&session).await;
        assert_contiguous(&history);
        assert_eq!(history.len(), 6, "{session}: one copy and five plain turns");
        assert_eq!(
            history.iter().filter(|m| m["content"] == "once").count(),
            1,
            "{session}"
        );
        for (body, status, answer) in &results {
            assert!(status.is_success(), "{status} {answer}");
            let stored = history
                .iter()
                .find(|m| m["seq"] == answer["seq"])
                .expect("answered number stored");
            assert_eq!(stored["content"], body["content"]);
        }
    }
}

/// Sixteen clients over four sessions keep sending until the server is killed (SIGKILL) while
/// their turns are being grouped: after the restart every acknowledged turn is there, under its
/// number, once.
async fn a_sigkill_while_turns_are_grouped_loses_no_acknowledged_turn(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let enough = Arc::new(Notify::new());
    let acked_total = Arc::new(AtomicUsize::new(0));
    let client = app.client.clone();
    let drivers: Vec<_> = (0..16)
        .map(|d| {
            let (client, base, key) = (client.clone(), app.base.clone(), app.api_key.clone());
            let (enough, acked_total) = (enough.clone(), acked_total.clone());
            tokio::spawn(async move {
                let session = format!("kill-{}", d % 4);
                let mut acked = Vec::new();
                for i in 0.. {
                    let content = format!("driver {d} turn {i}");
                    let r = client
                        .post(format!("{base}/v1/sessions/{}/messages", enc(&session)))
                        .bearer_auth(&key)
                        .json(&json!({"sender": "user", "content": content}))
                        .send()
                        .await;
                    let Ok(r) = r else { break };
                    let status = r.status();
                    let Ok(body) = r.json::<Value>().await else {
                        break;
                    };
                    assert_eq!(status, StatusCode::CREATED, "{body} before the crash");
                    acked.push((session.clone(), body["seq"].as_i64().unwrap(), content));
                    if acked_total.fetch_add(1, Ordering::AcqRel) + 1 == 400 {
                        enough.notify_one();
                    }
                }
                acked
            })
        })
        .collect();
    enough.notified().await;
    let (transactions, writes) = grouped(&app.base, &app).await;
    assert!(
        transactions < writes,
        "{transactions} transactions for {writes} turns: nothing was grouped before the kill"
    );
    app.kill();
    let mut acked = Vec::new();
    for d in drivers {
        acked.extend(d.await.unwrap());
    }

    app.restart();
    for s in 0..4 {
        let session = format!("kill-{s}");
        let history = app.history(&session).await;
        assert_contiguous(&history);
        for (_, seq, content) in acked.iter().filter(|(x, _, _)| *x == session) {
            let stored = history
                .iter()
                .find(|m| m["seq"] == *seq)
                .unwrap_or_else(|| panic!("{session}: acknowledged seq {seq} is missing"));
            assert_eq!(stored["content"], content.as_str(), "{session} seq {seq}");
        }
        let mut contents: Vec<&str> = history
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        let n = contents.len();
        contents.sort_unstable();
        contents.dedup();
        assert_eq!(n, contents.len(), "{session}: a turn is stored twice");
    }
}

/// Two Baton processes on one PostgreSQL, each grouping its own turns, over the same sessions:
/// user and AI turns, AI turns refused in a session a person owns, and caller ids sent to both.
/// Their groups lock the same rows; none may end in a server error (a deadlock between them
/// would), and every session stays gapless, holding exactly what was answered 201.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_grouping_turns_on_the_same_sessions_answer_no_server_error() {
    if !postgres_available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let replica = app.spawn_replica();
    let (status, _) = app.turn("both-held", "user", "a person, please").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, t) = app
        .takeover("both-held", "http://127.0.0.1:9/hook", json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let before = app.history("both-held").await;

    let client = app.client.clone();
    let bases = [app.base.clone(), replica.base.clone()];
    let mut answered: HashMap<String, Vec<(i64, String)>> = Default::default();
    answered.insert(
        "both-held".into(),
        before
            .iter()
            .map(|m| {
                (
                    m["seq"].as_i64().unwrap(),
                    m["content"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
    );
    for round in 0..3 {
        let requests = (0..400).map(|i| {
            let (client, base, key) = (&client, &bases[i % 2], &app.api_key);
            async move {
                let (session, body) = match i % 8 {
                    0 => (
                        "both-held".to_string(),
                        json!({"sender": "ai", "content": format!("r{round} ai {i}")}),
                    ),
                    // The same id through both replicas (i and i + 1 go to different ones).
                    1 | 2 => (
                        format!("both-{}", (i / 8) % 12),
                        json!({"sender": "user", "content": format!("r{round} id {}", i / 8),
                               "id": format!("r{round}-{}", i / 8)}),
                    ),
                    n => (
                        // Sessions in both orders, so two groups meet their rows crosswise.
                        format!("both-{}", if n % 2 == 0 { i % 12 } else { 11 - i % 12 }),
                        json!({"sender": if n % 2 == 0 { "user" } else { "ai" },
                               "content": format!("r{round} turn {i}")}),
                    ),
                };
                let (status, answer) = post_turn(client, base, key, &session, body.clone()).await;
                (session, body, status, answer)
            }
        });
        for (session, body, status, answer) in futures_util::future::join_all(requests).await {
            assert!(
                !status.is_server_error(),
                "{session}: {status} {answer} ({body})"
            );
            match status {
                StatusCode::CONFLICT => {
                    assert_eq!(session, "both-held");
                    assert_problem(status, &answer, StatusCode::CONFLICT, "ai-turn-refused");
                }
                StatusCode::OK => assert_eq!(answer["duplicate"], true, "{answer}"),
                _ => {
                    assert_eq!(status, StatusCode::CREATED, "{session}: {answer}");
                    answered.entry(session).or_default().push((
                        answer["seq"].as_i64().unwrap(),
                        body["content"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
    }
    assert_stored_as_answered(&app, answered).await;
    let (transactions, writes) = grouped(&app.base, &app).await;
    assert!(
        transactions < writes,
        "{transactions} / {writes}: nothing was grouped"
    );
}

/// PostgreSQL runs one combiner; a group waiting on a row another transaction holds must not
/// hold up the turns of other sessions: once the combiner has stalled, a turn arriving starts
/// another one (`db::batch::STALLED`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_stuck_on_a_locked_session_holds_up_only_its_own_turns() {
    if !postgres_available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    for session in ["stuck", "free"] {
        let (status, answer) = app.turn(session, "user", "hello").await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    // Another transaction holds the row of "stuck" until told to let go.
    let rows = hold_rows(&app.db.url, &["stuck"]);
    let stuck = spawn_turn(&app, "stuck", "still there?");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        !stuck.is_finished(),
        "the turn did not wait for the locked row"
    );

    let free = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        turn(
            &app,
            "free",
            json!({"sender": "user", "content": "and me?"}),
        ),
    )
    .await
    .expect("another session's turn waited behind the stuck group");
    assert_eq!(free.0, StatusCode::CREATED, "{}", free.1);
    assert_eq!(free.1["seq"], 2, "{}", free.1);
    assert!(!stuck.is_finished(), "the row was let go too early");

    let_go(rows);
    let (status, answer) = stuck.await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["seq"], 2, "{answer}");
    assert_eq!(app.history("stuck").await.len(), 2);
}

/// A customer's turn sent in the background.
fn spawn_turn(
    app: &TestApp,
    session: &'static str,
    content: &'static str,
) -> tokio::task::JoinHandle<(StatusCode, Value)> {
    let (client, base, key) = (app.client.clone(), app.base.clone(), app.api_key.clone());
    tokio::spawn(async move {
        post_turn(
            &client,
            &base,
            &key,
            session,
            json!({"sender": "user", "content": content}),
        )
        .await
    })
}

/// Another transaction takes these sessions' rows and holds them until the sender is dropped or
/// sent to.
fn hold_rows(
    url: &str,
    ids: &[&str],
) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    use diesel::RunQueryDsl as _;
    let (url, list) = (
        url.to_string(),
        ids.iter()
            .map(|id| format!("'{id}'"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let (locked, is_locked) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let mut conn = diesel::PgConnection::establish(&url).expect("connect");
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            diesel::sql_query(format!(
                "SELECT id FROM sessions WHERE id IN ({list}) FOR UPDATE"
            ))
            .execute(c)?;
            locked.send(()).unwrap();
            let _ = released.recv_timeout(std::time::Duration::from_secs(60));
            Ok(())
        })
        .expect("hold the rows");
    });
    is_locked.recv().unwrap();
    (release, holder)
}

/// Ends a [`hold_rows`] transaction and waits until it has let go.
fn let_go((release, holder): (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)) {
    release.send(()).unwrap();
    holder.join().unwrap();
}

/// Waits until `n` of Baton's statements wait on a row lock.
async fn until_waiting_on_locks(app: &TestApp, n: i64) {
    let sql = "SELECT count(*) AS n FROM pg_stat_activity \
               WHERE datname = current_database() AND wait_event_type = 'Lock'";
    for _ in 0..400 {
        if crate::upgrade::scalar(Backend::Postgres, &app.db.url, sql) == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{n} statements never came to wait on a lock");
}

/// When a group is stuck (waiting on a row another transaction holds) before it reached one of
/// its sessions, and another combiner starts beside it, that session's next turn must not run
/// in the other combiner's group and be numbered first: a session's turns wait for the turn of
/// theirs in flight. Four stuck groups take all four combiners; a fifth group holding the turns
/// of "w" (locked) and "x" (free, locked after "w") is stuck on "w"; x's next turn arrives and a
/// combiner comes free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sessions_next_turn_waits_for_its_turn_in_a_stuck_group() {
    if !postgres_available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    for session in ["z", "y", "v", "u", "w", "x"] {
        let (status, answer) = app.turn(session, "user", "hello").await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let send = |session: &'static str, content: &'static str| spawn_turn(&app, session, content);
    let pause = || tokio::time::sleep(batch_stalled() * 10);
    let settle = || tokio::time::sleep(std::time::Duration::from_millis(500));
    let z_rows = hold_rows(&app.db.url, &["z"]);
    let y_rows = hold_rows(&app.db.url, &["y"]);
    let rest_rows = hold_rows(&app.db.url, &["v", "u", "w"]);
    // One stuck group per combiner: each turn arrives after the combiners stalled.
    let mut stuck = Vec::new();
    for (k, session) in ["z", "y", "v", "u"].into_iter().enumerate() {
        stuck.push(send(session, "stuck"));
        until_waiting_on_locks(&app, k as i64 + 1).await;
        pause().await;
    }
    // No combiner is free: these two queue, in this order, and become one group once "z" is
    // let go; that group locks "w" first (sessions are locked in id order) and waits there.
    // (Each is given half a second to reach the queue, so that they are both in it when a
    // combiner comes free, however busy the machine.)
    let w1 = send("w", "w's second");
    settle().await;
    let x1 = send("x", "x's second");
    settle().await;
    let_go(z_rows);
    let (status, answer) = stuck.remove(0).await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    until_waiting_on_locks(&app, 4).await;
    pause().await;
    assert!(
        !x1.is_finished(),
        "x's turn did not wait in the group stuck on w"
    );

    // x's next turn queues; a combiner comes free (y's row is let go) while the group holding
    // x's previous turn is still stuck.
    let x2 = send("x", "x's third");
    settle().await;
    let_go(y_rows);
    let (status, answer) = stuck.remove(0).await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    pause().await;
    pause().await;
    assert!(
        !x2.is_finished(),
        "x's next turn was recorded while its previous turn was still in a stuck group"
    );

    let_go(rest_rows);
    for (turn, session, seq) in [(w1, "w", 2), (x1, "x", 2), (x2, "x", 3)] {
        let (status, answer) = turn.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{session}: {answer}");
        assert_eq!(answer["seq"], seq, "{session}: {answer}");
    }
    for t in stuck {
        let (status, answer) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let history = app.history("x").await;
    let contents: Vec<&str> = history
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["hello", "x's second", "x's third"]);
}

/// How long the combiners may go without progress before another starts.
fn batch_stalled() -> std::time::Duration {
    baton::db::batch::STALLED
}

/// A word only the `i`th turn holds (letters only, one token for both full-text parsers).
fn only_word(i: usize) -> String {
    let letter = |n: usize| char::from(b'a' + (n % 26) as u8);
    format!("quince{}{}", letter(i / 26), letter(i))
}

/// 120 turns at once into 12 conversations waiting for a person (search lists only those that
/// reached one), the AI's among them refused (each in a savepoint rolled back alone), then one
/// conversation erased. Every stored turn is found by its own word as soon as it is answered,
/// and a refused or erased one never; on SQLite, where a group's messages are indexed once, just
/// before its commit, the index holds exactly the stored messages (FTS5's integrity check) and
/// nothing is left waiting.
async fn grouped_turns_are_each_searchable_once_and_a_refused_one_never(backend: Backend) {
    let app = spawn_app(backend).await;
    for n in 0..12 {
        let (status, t) = app
            .takeover(&format!("fruit-{n}"), "http://127.0.0.1:9/hook", json!({}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
    }
    let (alice, root) = (app.login("alice").await, app.login("root").await);
    let before = grouped(&app.base, &app).await;

    let requests = (0..120).map(|i| {
        let app = &app;
        async move {
            let session = format!("fruit-{}", i % 12);
            let sender = if i % 10 == 0 { "ai" } else { "user" };
            let (status, body) = turn(
                app,
                &session,
                json!({"sender": sender, "content": format!("about the {} order", only_word(i))}),
            )
            .await;
            (i, session, sender, status, body)
        }
    });
    let results = futures_util::future::join_all(requests).await;
    let (transactions, writes) = grouped(&app.base, &app).await;
    assert!(
        transactions - before.0 < writes - before.1,
        "nothing was grouped: {:?} -> {:?}",
        before,
        (transactions, writes)
    );
    // Searched before anything else is written: the groups' own commits indexed the turns.
    let found = |i: usize| {
        let (app, root) = (&app, &root);
        async move {
            let (s, found) = app
                .get(&format!("/v1/search?q={}", only_word(i)), root)
                .await;
            assert_eq!(s, StatusCode::OK, "{found}");
            found["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["session_id"].as_str().unwrap().to_string())
                .collect::<Vec<String>>()
        }
    };
    for (i, session, sender, status, body) in &results {
        let expected: Vec<String> = if *sender == "ai" {
            assert_problem(*status, body, StatusCode::CONFLICT, "ai-turn-refused");
            vec![]
        } else {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            vec![session.clone()]
        };
        assert_eq!(found(*i).await, expected, "turn {i} ({session}, {sender})");
    }

    // Erasure waits until no person holds the conversation.
    for (step, body) in [
        ("claim", json!({})),
        ("handback", json!({"summary": "done"})),
    ] {
        let (s, b) = app
            .post(&format!("/v1/sessions/fruit-3/{step}"), &alice, body)
            .await;
        assert_eq!(s, StatusCode::OK, "{step}: {b}");
    }
    let (s, erased) = app
        .post("/v1/erasures", &root, json!({"session_id": "fruit-3"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{erased}");
    assert!(erased["messages"].as_u64().unwrap() > 0, "{erased}");
    for (i, session, sender, ..) in &results {
        if session == "fruit-3" && *sender == "user" {
            assert_eq!(found(*i).await, Vec::<String>::new(), "turn {i} erased");
        }
    }

    if backend == Backend::Sqlite {
        assert_eq!(count(&app.db, "message_search_pending"), 0);
        let mut conn = diesel::SqliteConnection::establish(&app.db.url).unwrap();
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "INSERT INTO message_search(message_search) VALUES ('integrity-check')",
        )
        .expect("the full-text index holds exactly the stored messages");
    }
}
