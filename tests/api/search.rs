//! Conversation search (`GET /v1/search` and the inbox's Search page): words in messages of open
//! and closed conversations, found as soon as their turn is recorded; ids; filters; the team
//! boundary; query syntax that must stay text; bad parameters.

use reqwest::header::COOKIE;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;
use crate::inbox::{inbox_sign_in, no_redirects};

backend_tests!(
    a_word_in_a_closed_conversation_is_found,
    a_word_written_after_the_takeover_is_found_at_once,
    filters_and_order_narrow_the_results,
    a_reviewer_never_finds_another_teams_conversations,
    a_session_id_or_user_id_finds_its_conversations,
    query_syntax_is_only_text_and_never_a_server_error,
    bad_parameters_are_refused_with_a_problem_naming_them,
    the_search_page_marks_the_words_and_escapes_the_rest,
    the_newest_matches_are_found_however_common_the_words_are,
);

const HOOK: &str = "http://127.0.0.1:9/hook";

async fn turn(app: &TestApp, session: &str, channel: &str, user: &str, content: &str) {
    let (s, body) = app
        .post(
            &format!("/v1/sessions/{}/messages", enc(session)),
            &app.api_key,
            json!({"sender": "user", "content": content, "channel": channel, "user_id": user}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

/// Three conversations:
/// - `parcel-1` (telegram, user `cust-1`, support): claimed by alice, then closed;
/// - `refund-2` (whatsapp, user `cust-2`, billing): waiting, low confidence;
/// - `hello-3` (telegram, user `cust-1`, support): claimed by bob, handed back.
async fn seed(app: &TestApp) {
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;

    turn(
        app,
        "parcel-1",
        "telegram",
        "cust-1",
        "My parcel never arrived, tracking ZEBRA123",
    )
    .await;
    let (s, t) = app.takeover("parcel-1", HOOK, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, b) = app
        .post("/v1/sessions/parcel-1/claim", &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post("/v1/sessions/parcel-1/close", &app.api_key, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    turn(
        app,
        "refund-2",
        "whatsapp",
        "cust-2",
        "zebra123 refund please, the box was empty",
    )
    .await;
    let (s, t) = app
        .takeover(
            "refund-2",
            HOOK,
            json!({"assignee": "billing", "reason": "low_confidence", "channel": "whatsapp"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");

    turn(
        app,
        "hello-3",
        "telegram",
        "cust-1",
        "hello again, where is my parcel",
    )
    .await;
    let (s, t) = app.takeover("hello-3", HOOK, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, b) = app
        .post("/v1/sessions/hello-3/claim", &bob, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post(
            "/v1/sessions/hello-3/handback",
            &bob,
            json!({"summary": "told them where it is"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// The session ids found, in order.
async fn found(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (s, body) = search(app, token, query).await;
    assert_eq!(s, StatusCode::OK, "{query}: {body}");
    ids(&body)
}

async fn search(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    app.get(&format!("/v1/search?{query}"), token).await
}

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {body}"))
        .iter()
        .map(|i| i["session_id"].as_str().unwrap().to_string())
        .collect()
}

async fn a_word_in_a_closed_conversation_is_found(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let alice = app.login("alice").await;

    let (s, body) = search(&app, &alice, "q=zebra123").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(ids(&body), ["parcel-1"], "alice is not in billing: {body}");
    let hit = &body["items"][0];
    assert_eq!(hit["status"], "closed");
    assert_eq!(hit["channel"], "telegram");
    assert_eq!(hit["user_id"], "cust-1");
    assert_eq!(hit["latest_takeover"]["outcome"], "closed");
    assert_eq!(hit["latest_takeover"]["team"], "support");
    assert_eq!(hit["latest_takeover"]["claimed_by"], "alice");
    assert_eq!(hit["latest_takeover"]["reason"], "user_requested");
    assert!(hit["inbox_url"]
        .as_str()
        .unwrap()
        .ends_with("/inbox/sessions/parcel-1"));
    let matched: Vec<&str> = hit["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["matched"] == true)
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(matched, ["ZEBRA123"], "{hit}");
    let whole: String = hit["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert!(whole.contains("parcel never arrived"), "{whole}");

    // Every word must be in the conversation; case does not matter.
    assert_eq!(
        found(&app, &alice, "q=Parcel%20zebra123").await,
        ["parcel-1"]
    );
    assert!(found(&app, &alice, "q=parcel%20refund").await.is_empty());

    // Admins and API keys see every team.
    let root = app.login("root").await;
    let mut all = found(&app, &root, "q=zebra123").await;
    all.sort();
    assert_eq!(all, ["parcel-1", "refund-2"]);
    assert_eq!(found(&app, &app.api_key, "q=zebra123").await.len(), 2);

    // The closed conversation's page opens.
    let client = no_redirects();
    let cookie = inbox_sign_in(&app, &client, "alice").await;
    let res = client
        .get(app.url("/inbox/sessions/parcel-1"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("ZEBRA123"));
}

async fn a_word_written_after_the_takeover_is_found_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let alice = app.login("alice").await;
    assert!(found(&app, &alice, "q=kumquat").await.is_empty());
    let (s, t) = app.takeover("later-4", HOOK, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, b) = app
        .post("/v1/sessions/later-4/claim", &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    turn(
        &app,
        "later-4",
        "telegram",
        "cust-4",
        "I would like a kumquat instead",
    )
    .await;
    // No wait: the index is written in the turn's own transaction.
    assert_eq!(found(&app, &alice, "q=kumquat").await, ["later-4"]);
    // A reviewer's reply is a message too.
    let (s, b) = app
        .post(
            "/v1/sessions/later-4/replies",
            &alice,
            json!({"content": "A persimmon is on its way"}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    assert_eq!(found(&app, &alice, "q=persimmon").await, ["later-4"]);
}

async fn filters_and_order_narrow_the_results(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let root = app.login("root").await;
    let mut everything = found(&app, &root, "").await;
    everything.sort();
    assert_eq!(everything, ["hello-3", "parcel-1", "refund-2"]);

    // Last activity: hello-3 changed last, parcel-1 first.
    let recent = found(&app, &root, "sort=recent").await;
    assert_eq!(recent, ["hello-3", "refund-2", "parcel-1"]);
    let oldest = found(&app, &root, "sort=oldest").await;
    assert_eq!(oldest, ["parcel-1", "refund-2", "hello-3"]);
    assert_eq!(found(&app, &root, "limit=1").await, ["hello-3"]);
    // Pages of the same search follow on without overlap.
    assert_eq!(
        found(&app, &root, "limit=2&offset=1").await,
        ["refund-2", "parcel-1"]
    );
    assert_eq!(found(&app, &root, "limit=2&offset=2").await, ["parcel-1"]);
    assert_eq!(found(&app, &root, "offset=3").await, Vec::<String>::new());

    assert_eq!(found(&app, &root, "team=billing").await, ["refund-2"]);
    assert_eq!(
        found(&app, &root, "team=nobody").await,
        Vec::<String>::new()
    );
    assert_eq!(found(&app, &root, "channel=whatsapp").await, ["refund-2"]);
    assert_eq!(
        found(&app, &root, "reason=low_confidence").await,
        ["refund-2"]
    );
    assert_eq!(found(&app, &root, "outcome=handed_back").await, ["hello-3"]);
    assert_eq!(found(&app, &root, "outcome=closed").await, ["parcel-1"]);
    assert_eq!(found(&app, &root, "reviewer=bob").await, ["hello-3"]);
    assert_eq!(found(&app, &root, "reviewer=alice").await, ["parcel-1"]);
    assert_eq!(found(&app, &root, "status=closed").await, ["parcel-1"]);
    assert_eq!(
        found(&app, &root, "status=open").await,
        ["hello-3", "refund-2"]
    );
    assert_eq!(
        found(&app, &root, "q=parcel&team=support&status=open").await,
        ["hello-3"]
    );
    // Blank values filter nothing.
    assert_eq!(
        found(&app, &root, "team=&q=%20&channel=&reviewer=")
            .await
            .len(),
        3
    );

    // Dates apply to the last activity.
    exec_sql(
        &app.db,
        "UPDATE sessions SET updated_at = '2020-06-01 12:00:00' WHERE id = 'parcel-1'",
    );
    assert_eq!(
        found(&app, &root, "to=2021-01-01T00:00:00Z").await,
        ["parcel-1"]
    );
    assert_eq!(
        found(&app, &root, "from=2021-01-01T00:00:00Z").await,
        ["hello-3", "refund-2"]
    );
    assert_eq!(
        found(
            &app,
            &root,
            "from=2020-06-01T00:00:00%2B00:00&to=2020-06-02T00:00:00Z&q=zebra123"
        )
        .await,
        ["parcel-1"]
    );
    assert!(found(&app, &root, "from=2999-01-01T00:00:00Z")
        .await
        .is_empty());

    // Relevance puts an id match first, then the words' best match.
    let by_relevance = found(&app, &root, "q=parcel&sort=relevance").await;
    assert_eq!(by_relevance.len(), 2, "{by_relevance:?}");
}

async fn a_reviewer_never_finds_another_teams_conversations(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    // carol (billing) finds her team's conversation, never support's.
    assert_eq!(found(&app, &carol, "q=zebra123").await, ["refund-2"]);
    assert!(found(&app, &carol, "q=parcel").await.is_empty());
    assert!(found(&app, &carol, "q=parcel-1").await.is_empty());
    assert!(found(&app, &carol, "q=cust-1").await.is_empty());
    assert!(found(&app, &carol, "team=support").await.is_empty());
    assert_eq!(found(&app, &carol, "").await, ["refund-2"]);
    // alice (support) never sees billing's, whatever she types.
    assert!(found(&app, &alice, "q=refund").await.is_empty());
    assert!(found(&app, &alice, "q=refund-2").await.is_empty());
    assert!(found(&app, &alice, "team=billing").await.is_empty());

    // Moved to billing, a support conversation leaves alice's results.
    let (s, b) = app
        .post(
            "/v1/sessions/hello-3/messages",
            &app.api_key,
            json!({"sender": "user", "content": "one more question about my parcel"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, t) = app
        .takeover("hello-3", HOOK, json!({"assignee": "billing"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(found(&app, &alice, "q=parcel").await, ["parcel-1"]);
    let mut carols = found(&app, &carol, "q=parcel").await;
    carols.sort();
    assert_eq!(carols, ["hello-3"]);
}

async fn a_session_id_or_user_id_finds_its_conversations(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let alice = app.login("alice").await;
    assert_eq!(found(&app, &alice, "q=parcel-1").await, ["parcel-1"]);
    assert_eq!(found(&app, &alice, "q=parc").await, ["parcel-1"]);
    assert_eq!(found(&app, &alice, "q=hello-3").await, ["hello-3"]);
    assert_eq!(
        found(&app, &alice, "q=cust-1").await,
        ["hello-3", "parcel-1"]
    );
    assert_eq!(
        found(&app, &alice, "q=cust-").await,
        ["hello-3", "parcel-1"]
    );
    // Ids are exact about case and prefix only: no match in the middle.
    assert!(found(&app, &alice, "q=arcel-1").await.is_empty());
}

async fn query_syntax_is_only_text_and_never_a_server_error(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let root = app.login("root").await;
    for q in [
        "\"",
        "\"zebra123",
        "zebra123\"",
        "zebra*",
        "*",
        "(",
        "zebra123)",
        "NEAR",
        "NEAR(zebra123 parcel)",
        "zebra123 NOT parcel",
        "-zebra123",
        "content:zebra123",
        ":",
        "^zebra123",
        "zebra123 OR",
        "AND",
        "'",
        "\\",
        "!!&|<->",
        "zebra123 & !parcel",
        "%",
        "_",
        "😀",
    ] {
        let (s, body) = app.get(&format!("/v1/search?q={}", enc(q)), &root).await;
        assert_eq!(s, StatusCode::OK, "{q:?}: {body}");
        assert!(body["items"].is_array(), "{q:?}: {body}");
    }
    // Punctuation around a word is not an operator: the word is still found.
    for q in [
        "\"zebra123\"",
        "(zebra123)",
        "zebra123*",
        "-zebra123",
        "ZEBRA123!",
    ] {
        let got = found(&app, &root, &format!("q={}", enc(q))).await;
        assert_eq!(got.len(), 2, "{q:?}: {got:?}");
    }
}

async fn bad_parameters_are_refused_with_a_problem_naming_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let long = "a".repeat(201);
    for (query, field) in [
        ("sort=newest", "sort"),
        ("from=yesterday", "from"),
        ("to=2026-13-40T00:00:00Z", "to"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("offset=1001", "offset"),
        (&format!("q={long}") as &str, "q"),
        ("q=a%00b", "q"),
        ("outcome=won", "outcome"),
        ("status=ajar", "status"),
        ("reason=bored", "reason"),
        ("team=a%00", "team"),
        // Blank is no value of a list or a number: only free texts may be left blank.
        ("outcome=", "outcome"),
        ("sort=", "sort"),
        ("limit=", "limit"),
        ("from=", "from"),
    ] {
        let (s, body) = search(&app, &root, query).await;
        assert_problem(s, &body, StatusCode::BAD_REQUEST, "validation");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    let (s, body) = search(&app, &root, "colour=red").await;
    assert_problem(s, &body, StatusCode::BAD_REQUEST, "validation");
    // 200 characters are fine, however many bytes they take.
    let (s, body) = search(&app, &root, &format!("q={}", enc(&"é".repeat(200)))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = search(&app, "", "q=x").await;
    assert_problem(s, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn the_search_page_marks_the_words_and_escapes_the_rest(backend: Backend) {
    let app = spawn_app(backend).await;
    turn(
        &app,
        "markup-5",
        "web",
        "cust-5",
        "zebra123 said 1<2 & <script>alert(1)</script>",
    )
    .await;
    let (s, t) = app.takeover("markup-5", HOOK, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let client = no_redirects();
    let cookie = inbox_sign_in(&app, &client, "alice").await;
    let res = client
        .get(app.url("/inbox/search?q=zebra123&status=open&from=2000-01-01&to=2999-01-01"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("<mark>zebra123</mark>"), "{html}");
    // (PostgreSQL's highlighter drops what looks like an HTML tag; SQLite's keeps it as text.)
    assert!(html.contains("1&lt;2 &amp;"), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        html.contains(r#"href="/inbox/sessions/markup-5""#),
        "{html}"
    );

    // An empty form lists nothing (it would read every conversation).
    let res = client
        .get(app.url("/inbox/search"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Type words"), "{html}");
    assert!(!html.contains("markup-5"), "{html}");

    let res = client
        .get(app.url("/inbox/search?from=someday"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("is not a date"));

    let carol = inbox_sign_in(&app, &client, "carol").await;
    let res = client
        .get(app.url("/inbox/search?q=zebra123"))
        .header(COOKIE, &carol)
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("markup-5"),
        "carol is not in support: {html}"
    );
}

/// Message `i` of [`seed_many`] (1 to [`MANY`]): which of the test words it holds.
fn holds(words: &str, i: usize) -> bool {
    words.split(' ').all(|word| holds_one(word, i))
}

fn holds_one(word: &str, i: usize) -> bool {
    match word {
        "dense" => i % 2 == 0,
        "middle" => i % 13 == 0,
        "sparse" => i % 250 == 0,
        "olden" => i <= 10_000 && i % 2 == 0,
        _ => unreachable!(),
    }
}

const MANY: usize = 30_000;

/// 1 500 closed conversations of 20 customer messages each, message `i` recorded `30 * i`
/// seconds after 2026-01-01 (so over ten days), written straight into the tables as the turn gate
/// would have (the full-text index is kept by the same triggers, and on SQLite indexed before the
/// commit as Baton's writes do).
fn seed_many(app: &TestApp) {
    let pg = app.db.url.starts_with("postgres");
    let series = |n: usize| {
        if pg {
            format!("(SELECT g AS n FROM generate_series(1, {n}) g) s")
        } else {
            format!(
                "(WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {n}) \
                 SELECT n FROM g) s"
            )
        }
    };
    let pad = |e: &str, w: usize| {
        if pg {
            format!("lpad(({e})::text, {w}, '0')")
        } else {
            format!("printf('%0{w}d', {e})")
        }
    };
    let at = |e: &str| {
        if pg {
            format!("TIMESTAMP '2026-01-01 00:00:00' + ({e}) * INTERVAL '30 seconds'")
        } else {
            format!("datetime('2026-01-01 00:00:00', '+' || (({e}) * 30) || ' seconds')")
        }
    };
    let word = |w: &str, cond: &str| format!("CASE WHEN {cond} THEN ' {w}' ELSE '' END");
    let sql = format!(
        "INSERT INTO sessions (id, channel, channel_ref, status, next_seq, customer_turns, created_at, updated_at)
           SELECT 'w-' || {sid}, 'telegram', 'w-' || {sid}, 'closed', 20, 20, {first}, {last} FROM {g};
         INSERT INTO takeovers (id, session_id, mode, status, outcome, reason, priority, timeout_seconds,
             expires_at, reply_webhook, api_key_id, escalation_step, created_at, updated_at)
           SELECT 'wt-' || {sid}, 'w-' || {sid}, 'takeover', 'resolved', 'closed', 'user_requested', 0, 600,
             {last}, 'http://127.0.0.1:9/hook', (SELECT id FROM api_keys LIMIT 1), 0, {first}, {last} FROM {g};
         INSERT INTO messages (id, session_id, seq, sender, content, at, recorded_at)
           SELECT 'wm-' || {mid}, 'w-' || {msid}, ((n - 1) % 20) + 1, 'user',
             'msg' || {dense} || {middle} || {sparse} || {olden}, {at_m}, {at_m} FROM {gm};",
        sid = pad("n", 5),
        first = at("n * 20 - 19"),
        last = at("n * 20"),
        g = series(MANY / 20),
        mid = pad("n", 6),
        msid = pad("(n - 1) / 20 + 1", 5),
        dense = word("dense", "n % 2 = 0"),
        middle = word("middle", "n % 13 = 0"),
        sparse = word("sparse", "n % 250 = 0"),
        olden = word("olden", "n <= 10000 AND n % 2 = 0"),
        at_m = at("n"),
        gm = series(MANY),
    );
    exec_sql(&app.db, &sql);
    if !pg {
        // As Baton's own write transactions do before their commit (db::search::index_pending).
        exec_sql(
            &app.db,
            "INSERT INTO message_search(rowid, content) SELECT m.rowid, m.content \
               FROM message_search_pending p JOIN messages m ON m.rowid = p.message_rowid; \
             DELETE FROM message_search_pending;",
        );
    }
}

/// A search looks at the newest 2 000 messages holding its words. PostgreSQL reaches them in
/// four ways depending on how common the words are (db::search::pg_candidates): a word in every
/// other message, one in every 13th (more than 2 000, too few among the newest to walk to
/// them), one in 120 messages, and one found 5 000 times but only in the oldest third; and two
/// pairs of them. Newest first and oldest first show both ends of what was looked at.
async fn the_newest_matches_are_found_however_common_the_words_are(backend: Backend) {
    let app = spawn_app(backend).await;
    seed_many(&app);
    // Two words: one common and one not (the index is asked for the second only), and two
    // uncommon ones.
    for word in [
        "dense",
        "middle",
        "sparse",
        "olden",
        "dense middle",
        "middle olden",
    ] {
        let matches: Vec<usize> = (1..=MANY).filter(|&i| holds(word, i)).collect();
        let newest = &matches[matches.len().saturating_sub(2_000)..];
        let mut sessions: Vec<usize> = newest.iter().map(|i| (i - 1) / 20 + 1).collect();
        sessions.dedup();
        let name = |k: &usize| format!("w-{k:05}");
        let recent: Vec<String> = sessions.iter().rev().take(50).map(name).collect();
        let oldest: Vec<String> = sessions.iter().take(50).map(name).collect();
        let got = found(&app, &app.api_key, &format!("q={}&limit=50", enc(word))).await;
        assert_eq!(got, recent, "{word}, newest first");
        let got = found(
            &app,
            &app.api_key,
            &format!("q={}&limit=50&sort=oldest", enc(word)),
        )
        .await;
        assert_eq!(
            got, oldest,
            "{word}, oldest first: the oldest of the newest 2 000 matches"
        );
    }
    // Without words: every conversation by last activity, a page at a time, either way.
    let name = |k: usize| format!("w-{k:05}");
    let got = found(&app, &app.api_key, "limit=50&offset=100").await;
    assert_eq!(
        got,
        (1..=1500)
            .rev()
            .skip(100)
            .take(50)
            .map(name)
            .collect::<Vec<_>>()
    );
    let got = found(
        &app,
        &app.api_key,
        "sort=oldest&limit=20&offset=40&status=closed",
    )
    .await;
    assert_eq!(got, (41..=60).map(name).collect::<Vec<_>>());
    let got = found(&app, &app.api_key, "status=open").await;
    assert!(got.is_empty(), "{got:?}");
}

/// On PostgreSQL a turn's words go straight into the search index: none waits in the index's
/// pending list, which some later turn would have to merge while its customer waits, and which
/// every search would read whole (`migrations/postgres/…_search_index_direct`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_indexes_a_turns_words_at_once_leaving_nothing_pending() {
    use diesel::{Connection as _, RunQueryDsl as _};
    if !postgres_available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    for i in 0..40 {
        let (status, body) = app
            .turn(
                &format!("pending-{}", i % 4),
                "user",
                &format!("where is my parcel number {i} please"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mut conn = diesel::PgConnection::establish(&app.db.url).expect("connect");
    diesel::sql_query("CREATE EXTENSION IF NOT EXISTS pageinspect")
        .execute(&mut conn)
        .expect("pageinspect (PostgreSQL's contrib)");
    let pending: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT n_pending_tuples FROM gin_metapage_info(get_raw_page('messages_search_recent', 0)))",
    ))
    .get_result(&mut conn)
    .expect("the index's metapage");
    assert_eq!(pending, 0, "words waiting in the pending list");
    // So they are in the index itself: read through it alone, every turn is found.
    diesel::sql_query("SET enable_seqscan = off")
        .execute(&mut conn)
        .expect("set");
    let found: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM messages WHERE (search || baton_search_buckets(recorded_at)) \
          @@ plainto_tsquery('simple', 'parcel'))",
    ))
    .get_result(&mut conn)
    .expect("a search through the index");
    assert_eq!(found, 40);
}
