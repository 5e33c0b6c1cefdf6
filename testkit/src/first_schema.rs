//! A database of the first released schema (the first migration), filled as Baton of that time
//! wrote it, at any size: what the upgrade tests and the upgrade bench migrate.

use crate::Backend;

/// The first schema's rows: `messages` turns, `per_conversation` in each conversation (every
/// other one the customer's, with a caller id), and in every tenth conversation a takeover
/// handed back with a note, a delivered callback and an audit entry; one statement per table
/// from a generated series, so a million rows take seconds.
pub fn fill_sql(backend: Backend, messages: u64, per_conversation: u64) -> String {
    let sessions = messages.div_ceil(per_conversation);
    let base = "INSERT INTO api_keys (id, name, key_hash, signing_secret, created_at)
          VALUES ('k1', 'n8n', 'digest', 'whsec_c2VjcmV0', '2026-11-25 09:00:00');
        INSERT INTO teams (id, name, created_at) VALUES ('t1', 'support', '2026-11-25 09:00:00');";
    // A generated series 1..n, and how each backend writes a timestamp `s` seconds after a base.
    let (series, ts, text) = match backend {
        Backend::Sqlite => (
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {N}) SELECT n FROM g",
            "datetime('2026-11-25 10:00:00', '+' || ({S}) || ' seconds')",
            "CAST(({X}) AS TEXT)",
        ),
        Backend::Postgres => (
            "SELECT n FROM generate_series(CAST(1 AS BIGINT), {N}) AS g(n)",
            "(TIMESTAMP '2026-11-25 10:00:00' + ({S}) * INTERVAL '1 second')",
            "(({X})::text)",
        ),
    };
    let series = |n: u64| series.replace("{N}", &n.to_string());
    let ts = |s: &str| ts.replace("{S}", s);
    let text = |x: &str| text.replace("{X}", x);
    // Customer and bot lines of a few kinds, so the search index has realistic words.
    let content = format!(
        "CASE n % 5 WHEN 0 THEN 'Where is my order ' || {o} || ' it was due on monday'
                   WHEN 1 THEN 'Let me look up order ' || {o} || ' for you one moment'
                   WHEN 2 THEN 'I was charged twice for invoice ' || {o} || ' please refund'
                   WHEN 3 THEN 'The parcel ' || {o} || ' arrived damaged, the box was wet'
                   ELSE 'Thanks, your ticket ' || {o} || ' is open and a colleague will reply' END",
        o = text("n * 7919 % 100000"),
    );
    format!(
        "{base}
        INSERT INTO sessions (id, channel, channel_ref, user_id, status, assigned_to, open_takeover_id,
                              next_seq, created_at, updated_at, last_user_message_at)
          SELECT 's' || {n}, 'telegram', {n}, 'u' || {n}, 'handed_back', NULL, NULL, {per_conversation},
                 {created}, {updated}, {updated} FROM ({sessions}) AS g;
        INSERT INTO messages (id, session_id, seq, sender, content, external_id, tool_calls, meta, at, recorded_at)
          SELECT 'm' || {n}, 's' || {owner}, ((n - 1) % {per_conversation} + 1), CASE WHEN n % 2 = 0 THEN 'user' ELSE 'ai' END,
                 {content}, CASE WHEN n % 2 = 0 THEN 'x' || {n} ELSE NULL END, NULL, NULL, {at}, {at}
          FROM ({messages}) AS g;
        INSERT INTO takeovers (id, session_id, mode, status, outcome, reason, summary, priority, context, assignee,
                               assignee_team_id, assignee_reviewer_id, timeout_seconds, expires_at, reply_webhook,
                               handback_signal, proposal, decisions, api_key_id, idempotency_key, request_hash,
                               claimed_by, claimed_at, resolved_at, handback_summary, escalation_step, created_at, updated_at)
          SELECT 't' || {n}, 's' || {n}, 'takeover', 'resolved', 'handed_back', 'user_requested', 'Order late', 0,
                 NULL, 'support', 't1', NULL, 300, {updated}, 'http://127.0.0.1:9/reply', NULL, NULL, NULL, 'k1',
                 NULL, NULL, 'alice', {updated}, {updated}, 're-shipped', 0, {updated}, {updated}
          FROM ({sessions}) AS g WHERE n % 10 = 0;
        INSERT INTO notes (id, session_id, takeover_id, author, content, created_at)
          SELECT 'n' || {n}, 's' || {n}, 't' || {n}, 'alice', 'Customer was polite', {updated}
          FROM ({sessions}) AS g WHERE n % 10 = 0;
        INSERT INTO deliveries (id, lane, session_id, takeover_id, event_type, api_key_id, webhook_id, message_id,
                                url, payload, status, attempts, next_attempt_at, locked_until, last_status_code,
                                last_error, created_at, delivered_at)
          SELECT 'evt_' || {n}, 's' || {n}, 's' || {n}, 't' || {n}, 'reply', 'k1', NULL, NULL,
                 'http://127.0.0.1:9/reply', '{{}}', 'delivered', 1, {updated}, NULL, 200, NULL, {updated}, {updated}
          FROM ({sessions}) AS g WHERE n % 10 = 0;
        INSERT INTO audit_events (id, at, actor, action, session_id, takeover_id, from_status, to_status, detail)
          SELECT 'a' || {n}, {updated}, 'reviewer:alice', 'claim', 's' || {n}, 't' || {n},
                 'human_requested', 'human_active', NULL
          FROM ({sessions}) AS g WHERE n % 10 = 0;",
        n = text("n"),
        owner = text(&format!("(n - 1) / {per_conversation} + 1")),
        created = ts("n * 60"),
        updated = ts(&format!("n * 60 + {per_conversation} * 10")),
        at = ts(&format!(
            "((n - 1) / {per_conversation} + 1) * 60 + ((n - 1) % {per_conversation} + 1) * 10"
        )),
        sessions = series(sessions),
        messages = series(messages),
    )
}
