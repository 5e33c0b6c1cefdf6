//! Routing: automatic assignment (round robin, least busy) with capacity and availability,
//! offers that lapse, queue positions and expected waits, queue updates, business hours.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{Timelike, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    round_robin_is_fair_over_thirty_takeovers,
    capacity_is_never_exceeded_when_twenty_arrive_at_once,
    an_unavailable_reviewer_is_skipped,
    an_unaccepted_offer_returns_to_the_queue,
    queue_positions_shift_as_sessions_are_claimed,
    expected_wait_matches_a_seeded_history,
    off_hours_request_is_told_the_opening_and_waits_for_it,
    a_holiday_counts_as_closed_and_off_hours_can_hand_back,
    queue_updates_tell_the_customer_their_place,
    a_disconnected_inbox_goes_away_after_the_grace_period,
    the_queue_page_shows_offers_and_when_a_closed_team_opens,
);

fn add_reviewer(app: &TestApp, name: &str, team: &str) {
    baton_cli(
        &app.db,
        &[
            "reviewer",
            "add",
            "--name",
            name,
            "--team",
            team,
            "--password",
            PASSWORD,
        ],
    );
}

async fn set_routing(app: &TestApp, team: &str, body: Value) -> Value {
    let (status, got) = app
        .put(&format!("/v1/teams/{team}/routing"), &app.api_key, body)
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    got
}

/// Signs a reviewer in and sets them online; returns their token.
async fn go_online(app: &TestApp, name: &str) -> String {
    let token = app.login(name).await;
    let (status, body) = app
        .put(
            "/v1/me/availability",
            &token,
            json!({"availability": "online"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["availability"], "online");
    token
}

async fn queue_of(app: &TestApp, session: &str) -> Value {
    let (status, body) = app
        .get(&format!("/v1/sessions/{}", enc(session)), &app.api_key)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["queue"].clone()
}

/// Polls until every session has been offered to someone; returns session -> reviewer.
async fn wait_offers(app: &TestApp, sessions: &[String], want: usize) -> HashMap<String, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut got = HashMap::new();
        for s in sessions {
            if let Some(r) = queue_of(app, s).await["offered_to"].as_str() {
                got.insert(s.clone(), r.to_string());
            }
        }
        if got.len() >= want {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {want} offered: {got:?}\nlog tail:\n{}",
            got.len(),
            log_tail(app)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn log_tail(app: &TestApp) -> String {
    let log = app.log();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn routing_options() -> Options {
    Options::with(&[("BATON_AWAY_GRACE", "10m")])
}

async fn round_robin_is_fair_over_thirty_takeovers(backend: Backend) {
    let app = spawn_app_with(backend, routing_options()).await;
    let rx = Receiver::start();
    add_reviewer(&app, "dave", "support");
    set_routing(
        &app,
        "support",
        json!({"policy": "round_robin", "offer_timeout": "10m"}),
    )
    .await;
    for name in ["alice", "bob", "dave"] {
        go_online(&app, name).await;
    }
    let mut sessions = Vec::new();
    for i in 0..30 {
        let s = format!("rr-{i:02}");
        let (status, body) = app.takeover(&s, &rx.url("/hook"), json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        sessions.push(s);
    }
    let offers = wait_offers(&app, &sessions, 30).await;
    let mut per: HashMap<&str, usize> = HashMap::new();
    for r in offers.values() {
        *per.entry(r.as_str()).or_default() += 1;
    }
    assert_eq!(per.get("alice"), Some(&10), "{per:?}");
    assert_eq!(per.get("bob"), Some(&10), "{per:?}");
    assert_eq!(per.get("dave"), Some(&10), "{per:?}");
    // In turn: oldest first, each reviewer after the previous one.
    let order: Vec<&str> = sessions.iter().map(|s| offers[s].as_str()).collect();
    for w in order.windows(2) {
        assert_ne!(w[0], w[1], "the same reviewer twice in a row: {order:?}");
    }
    assert_eq!(&order[..3], &order[3..6], "{order:?}");
}

async fn capacity_is_never_exceeded_when_twenty_arrive_at_once(backend: Backend) {
    let app = spawn_app_with(backend, routing_options()).await;
    // With PostgreSQL a second replica's router races the first.
    let _replica = (backend == Backend::Postgres).then(|| app.spawn_replica());
    let rx = Receiver::start();
    set_routing(
        &app,
        "support",
        json!({"policy": "least_busy", "offer_timeout": "10m"}),
    )
    .await;
    for name in ["alice", "bob"] {
        let (status, body) = app
            .put(
                &format!("/v1/reviewers/{name}/routing"),
                &app.api_key,
                json!({"capacity": 3}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let alice = go_online(&app, "alice").await;
    go_online(&app, "bob").await;
    let sessions: Vec<String> = (0..20).map(|i| format!("cap-{i:02}")).collect();
    let url = rx.url("/hook");
    let results =
        futures_util::future::join_all(sessions.iter().map(|s| app.takeover(s, &url, json!({}))))
            .await;
    for (status, body) in results {
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let load = |team: Value| -> HashMap<String, i64> {
        team["reviewers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["load"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let offers = wait_offers(&app, &sessions, 6).await;
    // Let both routers run a few more passes: nothing more may be offered.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let offers_after = wait_offers(&app, &sessions, 6).await;
    assert_eq!(offers_after.len(), 6, "{offers_after:?}");
    let mut per: HashMap<&str, usize> = HashMap::new();
    for r in offers.values() {
        *per.entry(r.as_str()).or_default() += 1;
    }
    assert_eq!(per.get("alice"), Some(&3), "{per:?}");
    assert_eq!(per.get("bob"), Some(&3), "{per:?}");
    let (_, team) = app.get("/v1/teams/support/routing", &app.api_key).await;
    assert_eq!(load(team)["alice"], 3);

    // Accepting keeps the load; handing one back frees a place that is offered at once.
    let mine: Vec<&String> = offers
        .iter()
        .filter(|(_, r)| r.as_str() == "alice")
        .map(|(s, _)| s)
        .collect();
    for s in &mine {
        let (status, body) = app
            .post(&format!("/v1/sessions/{s}/claim"), &alice, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["capacity_warning"].is_null(), "{body}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, team) = app.get("/v1/teams/support/routing", &app.api_key).await;
    assert_eq!(load(team)["alice"], 3);
    let (status, body) = app
        .post(
            &format!("/v1/sessions/{}/handback", mine[0]),
            &alice,
            json!({"summary": "sorted"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Alice now holds two and is offered one more; bob still has his three offers.
    let offers = wait_offers(&app, &sessions, 4).await;
    let alice_offers = offers.values().filter(|r| r.as_str() == "alice").count();
    assert_eq!(alice_offers, 1, "{offers:?}");
    let (_, team) = app.get("/v1/teams/support/routing", &app.api_key).await;
    let load = load(team);
    assert_eq!((load["alice"], load["bob"]), (3, 3));
}

async fn an_unavailable_reviewer_is_skipped(backend: Backend) {
    let app = spawn_app_with(backend, routing_options()).await;
    let rx = Receiver::start();
    set_routing(&app, "support", json!({"policy": "round_robin"})).await;
    go_online(&app, "alice").await;
    let bob = app.login("bob").await;
    let (status, _) = app
        .put("/v1/me/availability", &bob, json!({"availability": "away"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let sessions: Vec<String> = (0..4).map(|i| format!("skip-{i}")).collect();
    for s in &sessions {
        app.takeover(s, &rx.url("/hook"), json!({})).await;
    }
    let offers = wait_offers(&app, &sessions, 4).await;
    assert!(offers.values().all(|r| r == "alice"), "{offers:?}");
    // Unknown availability is a clear 400.
    let (status, body) = app
        .put("/v1/me/availability", &bob, json!({"availability": "busy"}))
        .await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST, "validation");
    // Bob comes online: the next conversation goes to him.
    go_online(&app, "bob").await;
    app.takeover("skip-4", &rx.url("/hook"), json!({})).await;
    let offers = wait_offers(&app, &["skip-4".to_string()], 1).await;
    assert_eq!(offers["skip-4"], "bob");
}

async fn an_unaccepted_offer_returns_to_the_queue(backend: Backend) {
    let app = spawn_app_with(backend, routing_options()).await;
    let rx = Receiver::start();
    set_routing(
        &app,
        "support",
        // Long enough for the checks made while it is offered, on a loaded machine too; short
        // enough to wait for it to lapse.
        json!({"policy": "least_busy", "offer_timeout": "6s"}),
    )
    .await;
    let alice = go_online(&app, "alice").await;
    let bob = app.login("bob").await;
    app.takeover("lease-1", &rx.url("/hook"), json!({})).await;
    let offers = wait_offers(&app, &["lease-1".to_string()], 1).await;
    assert_eq!(offers["lease-1"], "alice");
    // While offered to alice, bob may not take it (an admin may).
    let (status, body) = app
        .post("/v1/sessions/lease-1/claim", &bob, json!({}))
        .await;
    assert_problem(
        status,
        &body,
        StatusCode::CONFLICT,
        "offered-to-another-reviewer",
    );
    assert_eq!(body["held_by"], "alice", "{body}");
    // The offer shows in alice's own queue.
    let (_, mine) = app.get("/v1/inbox?view=mine", &alice).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");

    // Alice does not accept: after the lease it is back in the queue and she is away.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let q = queue_of(&app, "lease-1").await;
        if q["offered_to"].is_null() {
            assert_eq!(q["position"], 1, "{q}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "offer never lapsed: {q}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, me) = app.get("/v1/me/availability", &alice).await;
    assert_eq!(me["availability"], "away", "{me}");
    let (_, audit) = app
        .get("/v1/audit?action=takeover.offer_lapsed", &app.api_key)
        .await;
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit}");
    // Now bob may claim it himself.
    let (status, body) = app
        .post("/v1/sessions/lease-1/claim", &bob, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn positions(app: &TestApp, sessions: &[&str]) -> Vec<Option<i64>> {
    let mut out = Vec::new();
    for s in sessions {
        out.push(queue_of(app, s).await["position"].as_i64());
    }
    out
}

async fn queue_positions_shift_as_sessions_are_claimed(backend: Backend) {
    let app = spawn_app_with(backend, routing_options()).await;
    let rx = Receiver::start();
    let alice = app.login("alice").await;
    for s in ["pos-a", "pos-b", "pos-c"] {
        app.takeover(s, &rx.url("/hook"), json!({})).await;
    }
    // A later but more urgent request goes first.
    let (_, urgent) = app
        .takeover("pos-urgent", &rx.url("/hook"), json!({"priority": 5}))
        .await;
    assert_eq!(urgent["queue"]["position"], 1, "{urgent}");
    assert_eq!(urgent["queue"]["waiting"], 4, "{urgent}");
    assert_eq!(urgent["queue"]["team"], "support", "{urgent}");
    assert_eq!(
        positions(&app, &["pos-urgent", "pos-a", "pos-b", "pos-c"]).await,
        vec![Some(1), Some(2), Some(3), Some(4)]
    );
    app.post("/v1/sessions/pos-a/claim", &alice, json!({}))
        .await;
    assert_eq!(
        positions(&app, &["pos-urgent", "pos-a", "pos-b", "pos-c"]).await,
        vec![Some(1), None, Some(2), Some(3)]
    );
    app.post("/v1/sessions/pos-urgent/claim", &alice, json!({}))
        .await;
    assert_eq!(
        positions(&app, &["pos-urgent", "pos-a", "pos-b", "pos-c"]).await,
        vec![None, None, Some(1), Some(2)]
    );
    // The takeover reports the same.
    let id = queue_of(&app, "pos-c").await;
    assert_eq!(id["waiting"], 2);
    // Another team's queue is separate.
    let (_, billing) = app
        .takeover(
            "pos-billing",
            &rx.url("/hook"),
            json!({"assignee": "billing"}),
        )
        .await;
    assert_eq!(billing["queue"]["position"], 1, "{billing}");
    assert_eq!(billing["queue"]["team"], "billing", "{billing}");
}

async fn expected_wait_matches_a_seeded_history(backend: Backend) {
    let app = spawn_app_with(backend, routing_options()).await;
    let rx = Receiver::start();
    let alice = app.login("alice").await;
    // A template takeover, claimed and handed back, whose row the seed copies.
    let (_, t) = app
        .takeover("seed-template", &rx.url("/hook"), json!({}))
        .await;
    let template = t["id"].as_str().unwrap().to_string();
    app.post("/v1/sessions/seed-template/claim", &alice, json!({}))
        .await;
    app.post(
        "/v1/sessions/seed-template/handback",
        &alice,
        json!({"summary": "x"}),
    )
    .await;
    exec_sql(
        &app.db,
        &format!("UPDATE takeovers SET claimed_at = NULL WHERE id = '{template}'"),
    );
    // Yesterday, in this hour and the next (a test crossing the hour still sees the same
    // figure): waits of 60, 120, 180, 240 and 300 s, median 180 s. Every other hour: 1000 s,
    // which the hour filter must leave out.
    let now = Utc::now();
    let day = now - chrono::Duration::days(1);
    let mut sql = String::new();
    for hour in 0..24u32 {
        let near = hour == now.hour() || hour == (now.hour() + 1) % 24;
        let waits: &[i64] = if near {
            &[60, 120, 180, 240, 300]
        } else {
            &[1000; 5]
        };
        for w in waits {
            let requested = day.date_naive().and_hms_opt(hour, 10, 0).unwrap();
            let claimed = requested + chrono::Duration::seconds(*w);
            let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
            sql.push_str(&format!(
                "INSERT INTO takeovers (id, session_id, mode, status, outcome, reason, priority, \
                 assignee, assignee_team_id, timeout_seconds, expires_at, reply_webhook, \
                 api_key_id, escalation_step, created_at, updated_at, claimed_by, claimed_at, \
                 resolved_at) SELECT '{}', session_id, mode, 'resolved', 'handed_back', reason, \
                 priority, assignee, assignee_team_id, timeout_seconds, expires_at, reply_webhook, \
                 api_key_id, 0, '{r}', '{r}', claimed_by, '{c}', '{c}' FROM takeovers \
                 WHERE id = '{template}';\n",
                uuid::Uuid::new_v4(),
                r = fmt(requested),
                c = fmt(claimed),
            ));
        }
    }
    exec_sql(&app.db, &sql);
    // Two reviewers online; the third customer in line waits ceil(3 / 2) = 2 rounds of 180 s.
    go_online(&app, "alice").await;
    go_online(&app, "bob").await;
    for s in ["ew-1", "ew-2", "ew-3"] {
        app.takeover(s, &rx.url("/hook"), json!({})).await;
    }
    let q = queue_of(&app, "ew-3").await;
    assert_eq!(q["position"], 3, "{q}");
    assert_eq!(q["expected_wait_seconds"], 360, "{q}");
    let q = queue_of(&app, "ew-1").await;
    assert_eq!(q["expected_wait_seconds"], 180, "{q}");
    // A queue without history has no estimate rather than a made-up one.
    let (_, billing) = app
        .takeover(
            "ew-billing",
            &rx.url("/hook"),
            json!({"assignee": "billing"}),
        )
        .await;
    assert!(
        billing["queue"]["expected_wait_seconds"].is_null(),
        "{billing}"
    );
}

/// A schedule open every day for one hour, starting three hours from now (UTC).
fn opens_in_three_hours() -> (Value, chrono::DateTime<Utc>) {
    let now = Utc::now();
    let open_hour = (now.hour() + 3) % 24;
    let close = if open_hour == 23 {
        "24:00".to_string()
    } else {
        format!("{:02}:00", open_hour + 1)
    };
    let interval = json!([{"open": format!("{open_hour:02}:00"), "close": close}]);
    let mut weekly = serde_json::Map::new();
    for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        weekly.insert(d.into(), interval.clone());
    }
    let mut opens = now
        .date_naive()
        .and_hms_opt(open_hour, 0, 0)
        .unwrap()
        .and_utc();
    if opens <= now {
        opens += chrono::Duration::days(1);
    }
    (Value::Object(weekly), opens)
}

async fn off_hours_request_is_told_the_opening_and_waits_for_it(backend: Backend) {
    let app = spawn_app_with(backend, routing_options()).await;
    let rx = Receiver::start();
    let (weekly, opens) = opens_in_three_hours();
    let team = set_routing(
        &app,
        "support",
        json!({"policy": "manual", "business_hours": {
            "timezone": "UTC", "weekly": weekly, "holidays": [],
            "off_hours_message": "We're closed. A person will answer from {opens_at}.",
            "off_hours_action": "queue",
        }}),
    )
    .await;
    assert_eq!(team["open"], false, "{team}");
    let opens_rfc = opens.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(team["opens_at"], opens_rfc, "{team}");

    let (status, t) = app
        .takeover("night-1", &rx.url("/hook"), json!({"timeout": "1s"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(t["status"], "requested");
    assert_eq!(t["queue"]["open"], false, "{t}");
    assert_eq!(t["queue"]["opens_at"], opens_rfc, "{t}");
    // The timeout counts from the opening, not from now.
    let expires: chrono::DateTime<Utc> = t["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, opens + chrono::Duration::seconds(1), "{t}");
    let got = rx
        .wait_for("the off-hours answer", |got| {
            !Receiver::of_type(got, "takeover.off_hours").is_empty()
        })
        .await;
    let off = &Receiver::of_type(&got, "takeover.off_hours")[0].body;
    assert_eq!(off["opens_at"], opens_rfc, "{off}");
    let text = off["text"].as_str().unwrap();
    assert!(
        text.starts_with("We're closed. A person will answer from "),
        "{text}"
    );
    assert!(text.contains(&format!("{:02}:00", opens.hour())), "{text}");
    assert!(!text.contains("{opens_at}"), "{text}");
    // Escalation timers stand still while closed: well past the 1 s timeout it still waits.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, t) = app
        .get(
            &format!("/v1/takeovers/{}", t["id"].as_str().unwrap()),
            &app.api_key,
        )
        .await;
    assert_eq!(t["status"], "requested", "{t}");
    let (_, s) = app.get("/v1/sessions/night-1", &app.api_key).await;
    assert_eq!(s["owner"], "human", "{s}");
    assert!(Receiver::of_type(&rx.received(), "takeover.timed_out").is_empty());

    // Bad schedules are refused with the field named.
    let (status, body) = app.put("/v1/teams/support/routing",
        &app.api_key,
        json!({"policy": "manual", "business_hours": {
            "timezone": "Mars/Olympus", "weekly": {"mon": [{"open": "18:00", "close": "09:00"}]},
            "holidays": [], "off_hours_message": "closed",
        }}),
    )
    .await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST, "validation");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"business_hours.timezone"), "{body}");
    assert!(
        fields
            .iter()
            .any(|f| f.starts_with("business_hours.weekly.mon")),
        "{body}"
    );
}

async fn a_holiday_counts_as_closed_and_off_hours_can_hand_back(backend: Backend) {
    let app = spawn_app_with(backend, routing_options()).await;
    let rx = Receiver::start();
    let all_day = json!([{"open": "00:00", "close": "24:00"}]);
    let today = Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let mut weekly = serde_json::Map::new();
    for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        weekly.insert(d.into(), all_day.clone());
    }
    let team = set_routing(
        &app,
        "support",
        json!({"policy": "manual", "business_hours": {
            "timezone": "UTC", "weekly": weekly,
            "holidays": [today.to_string(), tomorrow.to_string()],
            "off_hours_message": "Closed for the holidays; back {opens_at}.",
            "off_hours_action": "handback",
        }}),
    )
    .await;
    assert_eq!(team["open"], false, "{team}");
    let reopening = tomorrow
        .succ_opt()
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    assert_eq!(
        team["opens_at"],
        reopening.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "{team}"
    );
    let (status, t) = app.takeover("holiday-1", &rx.url("/hook"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    // Handed straight back to the AI, with the customer told when the team is back.
    assert_eq!(t["status"], "resolved", "{t}");
    assert_eq!(t["outcome"], "off_hours", "{t}");
    let (_, s) = app.get("/v1/sessions/holiday-1", &app.api_key).await;
    assert_eq!(s["owner"], "ai", "{s}");
    let got = rx
        .wait_for("the off-hours answer", |got| {
            !Receiver::of_type(got, "takeover.off_hours").is_empty()
        })
        .await;
    let text = Receiver::of_type(&got, "takeover.off_hours")[0].body["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.starts_with("Closed for the holidays; back "), "{text}");
    // The AI may answer again.
    let (status, body) = app.turn("holiday-1", "ai", "I can help meanwhile.").await;
    assert!(status.is_success(), "{body}");
}

async fn queue_updates_tell_the_customer_their_place(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options::with(&[
            ("BATON_AWAY_GRACE", "10m"),
            ("BATON_QUEUE_UPDATE_INTERVAL", "1s"),
        ]),
    )
    .await;
    let rx = Receiver::start();
    let other = Receiver::start();
    let alice = app.login("alice").await;
    app.takeover("qu-first", &other.url("/hook"), json!({}))
        .await;
    app.takeover("qu-second", &other.url("/hook"), json!({}))
        .await;
    app.takeover("qu-me", &rx.url("/hook"), json!({"queue_updates": true}))
        .await;
    let updates = |got: &[Received]| Receiver::of_type(got, "queue.updated");
    let got = rx
        .wait_for("the first queue update", |got| !updates(got).is_empty())
        .await;
    let first = &updates(&got)[0].body;
    assert_eq!(first["position"], 3, "{first}");
    assert_eq!(first["text"], "You are number 3 in the queue.", "{first}");
    assert!(verify_signature(&app.signing_secret, &updates(&got)[0]));
    app.post("/v1/sessions/qu-first/claim", &alice, json!({}))
        .await;
    let got = rx
        .wait_for("the second queue update", |got| updates(got).len() >= 2)
        .await;
    assert_eq!(updates(&got)[1].body["position"], 2);
    // Unchanged places send nothing more; nobody opted in on the other sessions.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(updates(&rx.received()).len(), 2);
    assert!(updates(&other.received()).is_empty());
}

async fn a_disconnected_inbox_goes_away_after_the_grace_period(backend: Backend) {
    let app = spawn_app_with(backend, Options::with(&[("BATON_AWAY_GRACE", "2s")])).await;
    let alice = go_online(&app, "alice").await;
    let stream = app.events(&alice).await;
    assert_eq!(stream.status(), StatusCode::OK);
    // Connected: stays online well past the grace period.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (_, me) = app.get("/v1/me/availability", &alice).await;
    assert_eq!(me["availability"], "online", "{me}");
    drop(stream);
    // The server notices a closed stream at its next write (a keep-alive at most 15 s later),
    // then the grace period runs.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, me) = app.get("/v1/me/availability", &alice).await;
        if me["availability"] == "away" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {me}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn the_queue_page_shows_offers_and_when_a_closed_team_opens(backend: Backend) {
    let app = spawn_app_with(backend, routing_options()).await;
    let rx = Receiver::start();
    set_routing(&app, "support", json!({"policy": "round_robin"})).await;
    let (weekly, opens) = opens_in_three_hours();
    set_routing(
        &app,
        "billing",
        json!({"policy": "manual", "business_hours": {"timezone": "UTC", "weekly": weekly}}),
    )
    .await;
    go_online(&app, "alice").await;
    app.takeover("page-offered", &rx.url("/hook"), json!({}))
        .await;
    wait_offers(&app, &["page-offered".to_string()], 1).await;
    app.takeover(
        "page-closed",
        &rx.url("/hook"),
        json!({"assignee": "billing"}),
    )
    .await;

    let client = crate::inbox::no_redirects();
    let page = |who: &'static str, view: &'static str| {
        let (app, client) = (&app, &client);
        async move {
            let cookie = crate::inbox::inbox_sign_in(app, client, who).await;
            let res = client
                .get(app.url(&format!("/inbox?view={view}")))
                .header(reqwest::header::COOKIE, cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.text().await.unwrap()
        }
    };
    let alice = page("alice", "mine").await;
    assert!(alice.contains("page-offered"), "{alice}");
    assert!(alice.contains("Offered to you"), "{alice}");
    assert!(alice.contains(r#"id="availability""#), "{alice}");
    let bob = page("bob", "waiting").await;
    assert!(bob.contains("Offered to <strong>Alice</strong>"), "{bob}");
    let carol = page("carol", "waiting").await;
    assert!(carol.contains("Team closed · opens"), "{carol}");
    assert!(
        carol.contains(&opens.format("%a %H:%M UTC").to_string()),
        "{carol}"
    );
}
