//! A replica dies: two Baton processes on one PostgreSQL behind a loopback balancer
//! (`testkit::Balancer`), one killed with SIGKILL under load. Nothing acknowledged is lost, the
//! dead replica's leased callbacks are sent by the survivor once its lease runs out, and a
//! reviewer's event stream that reconnects to the survivor with `Last-Event-ID` replays exactly
//! what it missed from the shared log. On either backend: the log survives a restart, and an id
//! older than the log keeps gets `event: reset`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::Balancer;

use crate::backend_tests;
use crate::helpers::{enc, exec_sql, postgres_available, spawn_app, Backend, Receiver};
use crate::races::assert_contiguous;
use crate::upgrade::{names, scalar};

backend_tests!(the_event_log_replays_after_a_restart_and_resets_an_id_older_than_it_keeps,);

/// One server-sent event.
#[derive(Clone, Debug, PartialEq)]
struct Event {
    id: Option<u64>,
    name: String,
    data: Value,
}

/// Reads a `GET /v1/events` stream into a shared list until it ends.
struct Stream {
    events: Arc<std::sync::Mutex<Vec<Event>>>,
    ended: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Stream {
    /// Opens the stream at `base` (no request timeout: it lives as long as the test).
    async fn open(base: &str, token: &str, last_id: Option<&str>) -> Stream {
        let client = reqwest::Client::new();
        let mut req = client.get(format!("{base}/v1/events")).bearer_auth(token);
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id);
        }
        let mut res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let ended = Arc::new(AtomicBool::new(false));
        let (list, done) = (events.clone(), ended.clone());
        let task = tokio::spawn(async move {
            let mut buf = String::new();
            while let Ok(Some(bytes)) = res.chunk().await {
                buf.push_str(&String::from_utf8_lossy(&bytes));
                while let Some(end) = buf.find("\n\n") {
                    let block: String = buf.drain(..end + 2).collect();
                    let mut event = Event {
                        id: None,
                        name: String::new(),
                        data: Value::Null,
                    };
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("id: ") {
                            event.id = v.parse().ok();
                        } else if let Some(v) = line.strip_prefix("event: ") {
                            event.name = v.to_string();
                        } else if let Some(v) = line.strip_prefix("data: ") {
                            event.data = serde_json::from_str(v).unwrap();
                        }
                    }
                    if !event.name.is_empty() {
                        list.lock().unwrap().push(event);
                    }
                }
            }
            done.store(true, Ordering::Release);
        });
        Stream {
            events,
            ended,
            task,
        }
    }

    fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// Waits (up to `within`) until `pred` holds for the events so far.
    async fn wait_for(&self, what: &str, within: Duration, pred: impl Fn(&[Event]) -> bool) {
        let deadline = Instant::now() + within;
        while !pred(&self.events()) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:#?}",
                self.events()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until no event arrived for `quiet` (at most 30 s); the events.
    async fn settle(&self, quiet: Duration) -> Vec<Event> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = self.events().len();
        let mut since = Instant::now();
        while since.elapsed() < quiet && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.events().len();
            if now != seen {
                seen = now;
                since = Instant::now();
            }
        }
        self.events()
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `(id, session, kind)` of the session notices, in the order they came.
fn notices(events: &[Event]) -> Vec<(u64, String, String)> {
    events
        .iter()
        .filter(|e| e.name == "session")
        .map(|e| {
            (
                e.id.unwrap(),
                e.data["session_id"].as_str().unwrap().to_string(),
                e.data["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Posts `make(i)` for i = 0, 1, ... until `stop`; a request that fails (its replica died under
/// it) is simply not acknowledged, and the next one goes through the balancer again. The
/// acknowledged contents and their `seq`.
async fn drive(
    base: String,
    path: String,
    token: String,
    prefix: String,
    stop: Arc<AtomicBool>,
) -> Vec<(String, i64)> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut acked = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::Acquire) {
        let content = format!("{prefix} {i}");
        i += 1;
        let body = if path.ends_with("/replies") {
            json!({"content": content})
        } else {
            json!({"sender": "user", "content": content})
        };
        let sent = client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await;
        let Ok(r) = sent else { continue };
        let status = r.status();
        let Ok(body) = r.json::<Value>().await else {
            continue;
        };
        if status.is_success() {
            let seq = body["seq"]
                .as_i64()
                .or(body["message"]["seq"].as_i64())
                .expect("seq");
            acked.push((content, seq));
        } else {
            // The survivor answers everything; only a dying replica may fail a request.
            assert!(status.is_server_error(), "{path}: {status} {body}");
        }
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_under_load_loses_nothing_and_the_survivor_takes_its_callbacks_and_streams(
) {
    if !postgres_available() {
        return;
    }
    let mut app = spawn_app(Backend::Postgres).await;
    let survivor = app.spawn_replica();
    let balancer = Balancer::start(&[&app.base, &survivor.base]).unwrap();
    let lb = balancer.base.clone();
    let receiver = Receiver::start();
    let alice = app.login("alice").await;
    let root = app.login("root").await;

    let sessions: Vec<String> = (0..3).map(|n| format!("failover-{n}")).collect();
    for s in &sessions {
        let (status, _) = app.takeover(s, &receiver.url("/reply"), json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = app
            .post(&format!("/v1/sessions/{}/claim", enc(s)), &alice, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }

    // A quiet conversation, for the reply the dead replica will be holding.
    let (status, _) = app
        .takeover("failover-held", &receiver.url("/reply"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post("/v1/sessions/failover-held/claim", &alice, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);

    // An admin's stream on the replica that will die, and one on the survivor all along.
    let on_doomed = Stream::open(&app.base, &root, None).await;
    let on_survivor = Stream::open(&survivor.base, &root, None).await;

    // Turns and replies through the balancer, on every session at once.
    let stop = Arc::new(AtomicBool::new(false));
    let mut turn_drivers = Vec::new();
    let mut reply_drivers = Vec::new();
    for s in &sessions {
        turn_drivers.push((
            s.clone(),
            tokio::spawn(drive(
                lb.clone(),
                format!("/v1/sessions/{}/messages", enc(s)),
                app.api_key.clone(),
                format!("turn {s}"),
                stop.clone(),
            )),
        ));
        reply_drivers.push((
            s.clone(),
            tokio::spawn(drive(
                lb.clone(),
                format!("/v1/sessions/{}/replies", enc(s)),
                alice.clone(),
                format!("reply {s}"),
                stop.clone(),
            )),
        ));
    }
    receiver
        .wait_for("replies under load", |g| {
            Receiver::of_type(g, "reply").len() >= 10
        })
        .await;
    on_doomed
        .wait_for(
            "notices on the doomed replica",
            Duration::from_secs(10),
            |e| notices(e).len() >= 5,
        )
        .await;

    // The doomed replica takes one more reply and is killed while the receiver holds it: the
    // callback is leased to a process that will never record it.
    receiver.answer_after(Duration::from_secs(2));
    let mut arrivals = receiver.arrivals();
    let (status, body) = app
        .post(
            "/v1/sessions/failover-held/replies",
            &alice,
            json!({"content": "the last word of the doomed replica"}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let held = loop {
        let r = tokio::time::timeout(Duration::from_secs(20), arrivals.recv())
            .await
            .expect("the doomed replica sends its reply")
            .unwrap();
        if r.body["message"]["content"] == "the last word of the doomed replica" {
            break r;
        }
    };
    app.kill();
    let killed_at = Instant::now();
    receiver.answer_after(Duration::ZERO);

    // The load goes on through the survivor for a while, then stops.
    let before_kill = on_doomed.events();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Release);
    let mut turns = BTreeMap::new();
    for (s, t) in turn_drivers {
        turns.insert(s, t.await.unwrap());
    }
    let mut replies = BTreeMap::new();
    for (s, t) in reply_drivers {
        replies.insert(s, t.await.unwrap());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !on_doomed.ended.load(Ordering::Acquire) {
        assert!(
            Instant::now() < deadline,
            "the dead replica's stream did not end"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // No acknowledged turn or reply is lost, none is stored twice.
    let client = reqwest::Client::new();
    for s in &sessions {
        let r = client
            .get(format!("{lb}/v1/sessions/{}/messages?limit=500", enc(s)))
            .bearer_auth(&app.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let history: Vec<Value> = r.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .clone();
        assert_contiguous(&history);
        let stored: Vec<&str> = history
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        let distinct: BTreeSet<&str> = stored.iter().copied().collect();
        assert_eq!(distinct.len(), stored.len(), "{s}: a turn is stored twice");
        for (content, seq) in turns[s].iter().chain(&replies[s]) {
            let m = history
                .iter()
                .find(|m| m["seq"] == *seq)
                .unwrap_or_else(|| panic!("{s}: acknowledged seq {seq} ({content}) is lost"));
            assert_eq!(m["content"], content.as_str());
        }
        assert!(!turns[s].is_empty() && !replies[s].is_empty());
    }

    // Every acknowledged reply reaches the receiver; the held one again, from the survivor,
    // once the dead replica's lease ran out; after the kill each callback arrives once, and
    // no reply ever arrives under two delivery ids.
    let acked_replies: Vec<String> = replies
        .values()
        .flatten()
        .map(|(c, _)| c.clone())
        .chain(std::iter::once(
            "the last word of the doomed replica".to_string(),
        ))
        .collect();
    let got = receiver
        .wait_for_within(
            "every acknowledged reply, and the held one again",
            Duration::from_secs(60),
            |g| {
                let contents: BTreeSet<String> = Receiver::of_type(g, "reply")
                    .iter()
                    .filter_map(|r| r.body["message"]["content"].as_str().map(str::to_string))
                    .collect();
                let again = g.iter().filter(|r| r.webhook_id == held.webhook_id).count();
                again >= 2 && acked_replies.iter().all(|c| contents.contains(c))
            },
        )
        .await;
    let mut ids_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut after_kill: BTreeMap<String, usize> = BTreeMap::new();
    for r in Receiver::of_type(&got, "reply") {
        let content = r.body["message"]["content"].as_str().unwrap().to_string();
        ids_of
            .entry(content)
            .or_default()
            .insert(r.webhook_id.clone());
        if r.at > killed_at {
            *after_kill.entry(r.webhook_id.clone()).or_default() += 1;
        }
    }
    for (content, ids) in &ids_of {
        assert_eq!(
            ids.len(),
            1,
            "{content} was delivered under several ids: {ids:?}"
        );
    }
    for (id, n) in &after_kill {
        assert_eq!(*n, 1, "callback {id} arrived {n} times after the kill");
    }
    assert_eq!(after_kill.get(&held.webhook_id), Some(&1));

    // The reviewer's stream reconnects, through the balancer, to the survivor with the last id
    // it got from the dead replica: it replays exactly what the survivor's own stream carried
    // after that id, in order (the notices the dead replica never sent, and those since).
    let last = notices(&before_kill).last().unwrap().0;
    let reconnected = Stream::open(&lb, &root, Some(&last.to_string())).await;
    let all = notices(&on_survivor.settle(Duration::from_secs(2)).await);
    let missed: Vec<_> = all.into_iter().filter(|(id, _, _)| *id > last).collect();
    assert!(!missed.is_empty(), "the load after the kill made notices");
    reconnected
        .wait_for("the replay", Duration::from_secs(10), |e| {
            notices(e).len() >= missed.len()
        })
        .await;
    let replayed = reconnected.settle(Duration::from_secs(1)).await;
    assert!(replayed.iter().all(|e| e.name != "reset"), "{replayed:#?}");
    // Compared up to the newest notice both have (a timer may announce one meanwhile).
    let control: Vec<_> = notices(&on_survivor.settle(Duration::from_millis(500)).await)
        .into_iter()
        .filter(|(id, _, _)| *id > last)
        .collect();
    let replayed = notices(&replayed);
    let upto = replayed.last().unwrap().0.min(control.last().unwrap().0);
    let upto_of = |v: &[(u64, String, String)]| -> Vec<(u64, String, String)> {
        v.iter().filter(|n| n.0 <= upto).cloned().collect()
    };
    assert!(upto >= missed.last().unwrap().0);
    assert_eq!(upto_of(&replayed), upto_of(&control));
    // What the dead replica had sent is the survivor's too: the ids are the log's.
    let early: Vec<_> = notices(&on_survivor.events())
        .into_iter()
        .filter(|(id, _, _)| *id <= last)
        .collect();
    let doomed_saw = notices(&before_kill);
    assert!(
        doomed_saw.iter().all(|n| early.contains(n)),
        "the dead replica's notices are not the log's"
    );

    // An id older than anything kept (or unknown) gets a reset.
    let stale = Stream::open(&lb, &root, Some("1")).await;
    stale
        .wait_for("a reset", Duration::from_secs(10), |e| !e.is_empty())
        .await;
    assert_eq!(stale.events()[0].name, "reset");
    assert!(
        balancer.served().iter().all(|&n| n > 0),
        "{:?}",
        balancer.served()
    );
}

async fn the_event_log_replays_after_a_restart_and_resets_an_id_older_than_it_keeps(
    backend: Backend,
) {
    let mut app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let root = app.login("root").await;
    let first = Stream::open(&app.base, &root, None).await;
    let (status, _) = app
        .takeover("logged", &receiver.url("/reply"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for n in 0..3 {
        let (status, _) = app.turn("logged", "user", &format!("before {n}")).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    first
        .wait_for("four notices", Duration::from_secs(10), |e| {
            notices(e).len() >= 4
        })
        .await;
    let before = notices(&first.events());
    drop(first);

    app.restart();
    let root = app.login("root").await;
    let (status, _) = app.turn("logged", "user", "after").await;
    assert_eq!(status, StatusCode::CREATED);
    // A stream that saw only the first notice gets the rest, then the one made after the
    // restart, with the same ids as before.
    let again = Stream::open(&app.base, &root, Some(&before[0].0.to_string())).await;
    again
        .wait_for("the replay", Duration::from_secs(10), |e| {
            notices(e).len() >= before.len()
        })
        .await;
    let replayed = notices(&again.settle(Duration::from_millis(500)).await);
    assert_eq!(replayed[..before.len() - 1], before[1..], "{replayed:?}");
    assert!(replayed.windows(2).all(|w| w[0].0 < w[1].0), "{replayed:?}");
    assert!(
        replayed[before.len() - 1..]
            .iter()
            .any(|(id, s, kind)| *id > before.last().unwrap().0
                && s == "logged"
                && kind == "message"),
        "the turn after the restart: {replayed:?}"
    );

    // The log drops its oldest notices (as pruning does): an id from before them gets a reset,
    // not a replay with a hole; so does an id it never held.
    exec_sql(
        &app.db,
        &format!("DELETE FROM live_events WHERE id <= {}", before[1].0),
    );
    for stale_id in [before[0].0.to_string(), "1".into(), "not-an-id".into()] {
        let stale = Stream::open(&app.base, &root, Some(&stale_id)).await;
        stale
            .wait_for("a reset", Duration::from_secs(10), |e| !e.is_empty())
            .await;
        assert_eq!(stale.events()[0].name, "reset", "{stale_id}");
    }
    // The id just before the oldest kept still replays.
    let fine = Stream::open(&app.base, &root, Some(&before[1].0.to_string())).await;
    fine.wait_for("the replay", Duration::from_secs(10), |e| !e.is_empty())
        .await;
    assert_eq!(fine.events()[0].name, "session");
    assert_eq!(notices(&fine.events())[0], replayed[1]);
}

/// On PostgreSQL the log is an unlogged table: a crash of PostgreSQL empties it and starts its
/// sequence over (done here by hand, while Baton is down, as crash recovery does). The journal
/// then numbers from the clock, above every id it gave before, so a stream that reconnects with
/// an id from before the crash is told to reset and never replayed a stranger's notices under a
/// number it already saw. A sequence in use is left alone by a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_log_emptied_by_a_crash_goes_on_with_higher_ids_and_reconnects_reset() {
    if !postgres_available() {
        return;
    }
    let mut app = spawn_app(Backend::Postgres).await;
    assert_eq!(
        names(
            Backend::Postgres,
            &app.db.url,
            "SELECT relpersistence::text AS name FROM pg_class WHERE relname = 'live_events'"
        ),
        ["u"],
        "the log writes no WAL"
    );
    let root = app.login("root").await;
    let first = Stream::open(&app.base, &root, None).await;
    for n in 0..3 {
        let (status, _) = app.turn("crashed", "user", &format!("before {n}")).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    first
        .wait_for("three notices", Duration::from_secs(10), |e| {
            notices(e).len() >= 3
        })
        .await;
    let before = notices(&first.events());
    drop(first);
    let highest = before.iter().map(|n| n.0).max().unwrap();

    // A restart keeps numbering where it was.
    app.restart();
    let (status, _) = app.turn("crashed", "user", "after a restart").await;
    assert_eq!(status, StatusCode::CREATED);
    let root = app.login("root").await;
    let kept = Stream::open(&app.base, &root, Some(&highest.to_string())).await;
    kept.wait_for("the turn after the restart", Duration::from_secs(10), |e| {
        !notices(e).is_empty()
    })
    .await;
    let next = notices(&kept.events())[0].0;
    assert_eq!(next, highest + 1, "{:?}", kept.events());
    drop(kept);

    // What crash recovery does to an unlogged table and its sequence.
    app.kill();
    let sequence = "pg_get_serial_sequence('live_events', 'id')";
    exec_sql(
        &app.db,
        &format!("TRUNCATE live_events; SELECT setval({sequence}, 1000, false);"),
    );
    assert_eq!(
        scalar(
            Backend::Postgres,
            &app.db.url,
            &format!(
                "SELECT count(*) AS n WHERE pg_sequence_last_value({sequence}::regclass) IS NULL"
            )
        ),
        1,
        "the sequence starts over"
    );
    app.start();
    let root = app.login("root").await;
    // The id from before the crash: the log holds nothing it could replay after it.
    let stale = Stream::open(&app.base, &root, Some(&next.to_string())).await;
    let fresh = Stream::open(&app.base, &root, None).await;
    let (status, _) = app.turn("crashed", "user", "after the crash").await;
    assert_eq!(status, StatusCode::CREATED);
    stale
        .wait_for("a reset", Duration::from_secs(10), |e| !e.is_empty())
        .await;
    assert_eq!(stale.events()[0].name, "reset", "{:?}", stale.events());
    fresh
        .wait_for("the turn after the crash", Duration::from_secs(10), |e| {
            !notices(e).is_empty()
        })
        .await;
    let after = notices(&fresh.events())[0].0;
    assert!(after > next, "{after} after the crash, {next} before it");
    let millis_then = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap();
    assert!(
        after / 1000 <= millis_then && after / 1000 + 60_000 > millis_then,
        "numbered from the clock: {after}"
    );
}
