//! Conversation search: words in messages through each database's own full-text index (SQLite
//! FTS5 `message_search`, PostgreSQL's `messages.search` tsvector with a GIN index, both kept
//! in the transaction that records a turn: PostgreSQL by the row's trigger, SQLite by
//! [`index_pending`] just before the commit), session and user
//! ids by prefix, the filters, the caller's visibility, and the snippets of the best matches;
//! and a conversation's earlier handoffs.
//!
//! The full-text index drives the plan: a search looks at the newest [`CANDIDATES`] messages
//! holding every word, and only those are joined to their sessions, filtered and sorted. FTS5
//! walks its index by rowid, descending, and stops there. PostgreSQL's GIN index returns matches
//! unordered, so [`pg_candidates`] first reads how often the words occur among the newest
//! messages and then takes the cheapest way to the newest matches: a backward walk of the
//! time-ordered primary key for a common word, all matches of a rare one, and otherwise the
//! index asked for the words within the newest hours, then days, widening the window until it
//! holds enough (each message's index entry also holds its hour and day, see the migration
//! `search_recent_first`). The cost stays flat at any table size. On PostgreSQL the candidates'
//! sessions are then sorted first and each one's latest takeover is read, and filtered, in that
//! order until the page is full, so a page costs a few dozen takeover lookups, not one per
//! candidate.
//! Without words the search lists sessions (by id or user id prefix, or all of them, filtered).
//!
//! The SQL differs per backend only in the full-text parts, so one builder writes both, with
//! `?` or `$n` placeholders, inside the usual per-backend `match`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::fixed::Fixed;
use super::models::{SessionRow, TakeoverRow};
use super::DbConnection;
use crate::domain::credentials::Caller;
use crate::domain::search::{Search, SearchSort, StatusFilter, MARK_END, MARK_START};
use crate::domain::session::SessionStatus;
use crate::error::ApiError;

/// How many of the newest matching messages a search looks at.
pub const CANDIDATES: i64 = 2_000;
/// PostgreSQL: the document the GIN index holds for message `m`, its words and its hour and day.
const PG_DOC: &str = "(m.search || baton_search_buckets(m.recorded_at))";
/// PostgreSQL: the candidates as rows `(mid, session_id)`, from one JSON parameter (one value,
/// not two per candidate, to bind and to parse).
const PG_PAIRS: &str = "json_to_recordset(CAST(";
/// PostgreSQL: how many of the newest messages tell how common the words are now.
const SAMPLE: i64 = 4_000;
/// PostgreSQL: this many matches in the sample (10 %) make the words common: the newest
/// [`CANDIDATES`] are found within the newest `SAMPLE * CANDIDATES / DENSE` messages.
const DENSE: i64 = 400;
/// PostgreSQL: fewer matches than this in the sample (0.5 %) may mean a rare word, whose matches
/// the index gives at once when there are no more than [`CANDIDATES`].
const SPARSE: i64 = 20;
/// PostgreSQL: the most time lexemes one windowed query asks for.
const WINDOW_MAX: usize = 256;
/// How many sessions an id or user id prefix adds at most.
const PREFIX_MATCHES: i64 = 200;
/// Words of context around the match in a snippet (SQLite counts tokens, PostgreSQL words).
const SNIPPET_WORDS: i64 = 16;

/// One conversation found.
#[derive(Clone, Debug, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = Text)]
    pub session_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub channel: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub user_id: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    /// The session's last activity.
    #[diesel(sql_type = Timestamp)]
    pub updated_at: NaiveDateTime,
    /// The latest takeover.
    #[diesel(sql_type = Text)]
    pub takeover_id: String,
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome: Option<String>,
    /// The team it is assigned to, by name.
    #[diesel(sql_type = Nullable<Text>)]
    pub team: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub claimed_by: Option<String>,
    /// The best matching message (SQLite: its rowid; PostgreSQL: its id), when words matched.
    #[diesel(sql_type = Nullable<Text>)]
    best: Option<String>,
}

/// A conversation found, with its snippet.
#[derive(Clone, Debug)]
pub struct Found {
    pub hit: Hit,
    /// The best matching message's text around the words, which are wrapped in
    /// [`MARK_START`] and [`MARK_END`]; `None` when only an id matched.
    pub snippet: Option<String>,
}

#[derive(QueryableByName)]
struct SnippetRow {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Nullable<Text>)]
    text: Option<String>,
}

enum Bind {
    Text(String),
    Int(i64),
    At(NaiveDateTime),
}

/// SQL text with its values, numbered for PostgreSQL (`$1`) or not for SQLite (`?`).
struct Sql {
    text: String,
    binds: Vec<Bind>,
    pg: bool,
}

impl Sql {
    fn new(pg: bool) -> Sql {
        Sql {
            text: String::new(),
            binds: Vec::new(),
            pg,
        }
    }

    fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    fn bind(&mut self, b: Bind) -> &mut Sql {
        self.binds.push(b);
        if self.pg {
            self.text.push_str(&format!("${}", self.binds.len()));
        } else {
            self.text.push('?');
        }
        self
    }

    fn text(&mut self, s: &str) -> &mut Sql {
        self.bind(Bind::Text(s.to_string()))
    }
}

macro_rules! load {
    ($conn:expr, $db:ty, $sql:expr, $row:ty) => {{
        let Sql { text, binds, .. } = $sql;
        let mut q = diesel::sql_query(text).into_boxed::<$db>();
        for b in binds {
            q = match b {
                Bind::Text(v) => q.bind::<Text, _>(v),
                Bind::Int(v) => q.bind::<BigInt, _>(v),
                Bind::At(v) => q.bind::<Timestamp, _>(v),
            };
        }
        q.load::<$row>($conn)?
    }};
}

/// The conversations the caller may see that match the search, in its order, with snippets.
/// Conversations that never reached a person (no takeover) are not listed.
pub fn search(
    conn: &mut DbConnection,
    caller: &Caller,
    s: &Search,
) -> Result<Vec<Found>, ApiError> {
    let pg = matches!(conn, DbConnection::Postgresql(_));
    let newest = match (&mut *conn, s.text.as_ref().map(|t| t.words())) {
        (DbConnection::Postgresql(c), Some(words)) if !words.is_empty() => {
            Some(pg_candidates(c, words)?)
        }
        _ => None,
    };
    let sql = if s.text.is_none() {
        listing_sql(pg, caller, s)
    } else {
        hits_sql(pg, caller, s, newest.as_deref())
    };
    let hits: Vec<Hit> = match conn {
        DbConnection::Postgresql(c) => load!(c, diesel::pg::Pg, sql, Hit),
        DbConnection::Sqlite(c) => load!(c, diesel::sqlite::Sqlite, sql, Hit),
    };
    let keys: Vec<String> = hits.iter().filter_map(|h| h.best.clone()).collect();
    let text = match &s.text {
        Some(text) if !keys.is_empty() => text,
        _ => {
            return Ok(hits
                .into_iter()
                .map(|hit| Found { hit, snippet: None })
                .collect())
        }
    };
    let marks = (MARK_START.to_string(), MARK_END.to_string());
    let snippets: Vec<SnippetRow> = match conn {
        DbConnection::Postgresql(c) => {
            let mut sql = Sql::new(true);
            sql.push(
                "SELECT m.id AS key, ts_headline('simple', m.content, plainto_tsquery('simple', ",
            )
            .text(&text.plain_query().unwrap_or_default())
            .push("), ")
            .text(&format!(
                "StartSel={}, StopSel={}, MaxWords={SNIPPET_WORDS}, MinWords=8, ShortWord=0",
                marks.0, marks.1
            ))
            .push(") AS text FROM messages m WHERE m.id IN (");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(k);
            }
            sql.push(")");
            load!(c, diesel::pg::Pg, sql, SnippetRow)
        }
        DbConnection::Sqlite(c) => {
            let mut sql = Sql::new(false);
            sql.push("SELECT CAST(rowid AS TEXT) AS key, snippet(message_search, 0, ")
                .text(&marks.0)
                .push(", ")
                .text(&marks.1)
                .push(&format!(
                    ", '…', {SNIPPET_WORDS}) AS text FROM message_search WHERE message_search MATCH "
                ))
                .text(&text.fts5_query().unwrap_or_default())
                .push(" AND rowid IN (");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(Bind::Int(k.parse().unwrap_or(-1)));
            }
            sql.push(")");
            load!(c, diesel::sqlite::Sqlite, sql, SnippetRow)
        }
    };
    let mut by_key: std::collections::HashMap<String, Option<String>> =
        snippets.into_iter().map(|r| (r.key, r.text)).collect();
    Ok(hits
        .into_iter()
        .map(|hit| Found {
            snippet: hit.best.as_ref().and_then(|k| by_key.remove(k)).flatten(),
            hit,
        })
        .collect())
}

/// `[{"mid": …, "session_id": …}, …]` for [`PG_PAIRS`].
fn pairs_json(pairs: &[(String, String)]) -> String {
    serde_json::Value::Array(
        pairs
            .iter()
            .map(|(mid, session)| serde_json::json!({"mid": mid, "session_id": session}))
            .collect(),
    )
    .to_string()
}

/// The search as one statement. Scores are "lower is better" on both backends (SQLite's bm25
/// is negative; PostgreSQL's `ts_rank` is negated); an id or user id match ranks first.
fn hits_sql(pg: bool, caller: &Caller, s: &Search, pg_newest: Option<&[(String, String)]>) -> Sql {
    let mut sql = Sql::new(pg);
    let relevance = s.sort == SearchSort::Relevance;
    let words = s
        .text
        .as_ref()
        .and_then(|t| if pg { t.plain_query() } else { t.fts5_query() });
    let prefix = s.text.as_ref().and_then(|t| t.id_prefix());
    let mut parts = 0;
    sql.push("WITH found AS (");
    if let Some(words) = &words {
        parts += 1;
        if pg {
            // The newest matching messages, found by `pg_candidates` with their sessions: the
            // newest of each session, or its best for `relevance` (which reads the messages
            // again for their rank).
            let pairs = pg_newest.unwrap_or_default();
            if pairs.is_empty() {
                sql.push("SELECT CAST(NULL AS TEXT) AS session_id, CAST(NULL AS TEXT) AS mid, CAST(0 AS DOUBLE PRECISION) AS score WHERE 1 = 0");
            } else if relevance {
                sql.push("SELECT * FROM (SELECT DISTINCT ON (session_id) session_id, mid, score FROM (SELECT m.session_id, m.id AS mid, CAST(-ts_rank(m.search, plainto_tsquery('simple', ")
                    .text(words)
                    .push(")) AS DOUBLE PRECISION) AS score FROM messages m WHERE m.id IN (SELECT v.mid FROM ")
                    .push(PG_PAIRS)
                    .text(&pairs_json(pairs))
                    .push(
                        " AS JSON)) AS v(mid TEXT, session_id TEXT))) hits ORDER BY session_id, score, mid DESC) w",
                    );
            } else {
                sql.push("SELECT v.session_id, MAX(v.mid) AS mid, CAST(0 AS DOUBLE PRECISION) AS score FROM ")
                    .push(PG_PAIRS)
                    .text(&pairs_json(pairs))
                    .push(" AS JSON)) AS v(mid TEXT, session_id TEXT) GROUP BY v.session_id");
            }
        } else {
            // With MIN, SQLite takes the row's other columns from the row that holds it.
            let (mid, score, rank) = if relevance {
                ("h.mid", "MIN(h.score)", ", bm25(message_search) AS score")
            } else {
                ("MAX(h.mid)", "0.0", "")
            };
            sql.push(&format!(
                "SELECT m.session_id AS session_id, {mid} AS mid, CAST({score} AS DOUBLE PRECISION) AS score \
                 FROM (SELECT rowid AS mid{rank} FROM message_search WHERE message_search MATCH "
            ))
            .text(words)
            .push(" ORDER BY rowid DESC LIMIT ")
            .bind(Bind::Int(CANDIDATES))
            .push(") h JOIN messages m ON m.rowid = h.mid GROUP BY m.session_id");
        }
    }
    if let Some(prefix) = prefix {
        for column in ["id", "user_id"] {
            if parts > 0 {
                sql.push(" UNION ALL ");
            }
            parts += 1;
            let mid = if pg { "CAST(NULL AS TEXT)" } else { "NULL" };
            sql.push(&format!(
                "SELECT * FROM (SELECT id AS session_id, {mid} AS mid, CAST(-1e9 AS DOUBLE PRECISION) AS score FROM sessions WHERE {column} >= "
            ))
            .text(prefix)
            .push(&format!(" AND {column} < "))
            .text(&format!("{prefix}\u{10FFFF}"));
            if pg {
                sql.push(&format!(" AND starts_with({column}, "))
                    .text(prefix)
                    .push(")");
            }
            sql.push(" LIMIT ")
                .bind(Bind::Int(PREFIX_MATCHES))
                .push(") p");
        }
    }
    if parts == 0 {
        // Text without a word and with blanks inside ("- -"): nothing can match it.
        let mid = if pg { "CAST(NULL AS TEXT)" } else { "NULL" };
        sql.push(&format!(
            "SELECT id AS session_id, {mid} AS mid, CAST(0 AS DOUBLE PRECISION) AS score FROM sessions WHERE 1 = 0"
        ));
    }
    sql.push(
        "), cand AS (SELECT session_id, MAX(mid) AS mid, MIN(score) AS score FROM found GROUP BY session_id) ",
    );
    let order = match s.sort {
        SearchSort::Oldest => "{s}.updated_at ASC, {s}.id ASC",
        SearchSort::Relevance if words.is_some() || prefix.is_some() => {
            "{c}score ASC, {s}.updated_at DESC, {s}.id DESC"
        }
        _ => "{s}.updated_at DESC, {s}.id DESC",
    };
    if pg {
        // The candidates' sessions, in the search's order; then each one's latest takeover and
        // the filters, in that order, until the page is full: the takeovers of the candidates
        // past the page are never read. (PostgreSQL would hash the whole sessions table against
        // the few candidates, its estimate of them being blind: a lateral lookup per candidate
        // keeps it to an index probe each, and `OFFSET 0` keeps the subquery from being
        // flattened back into a join.)
        let inner = order.replace("{s}", "s1").replace("{c}", "c.");
        let from = format!(
            "(SELECT c.mid AS c_mid, c.score AS c_score, s1.* FROM cand c JOIN LATERAL \
             (SELECT * FROM sessions s0 WHERE s0.id = c.session_id OFFSET 0) s1 ON TRUE \
             ORDER BY {inner}) s"
        );
        push_conversations(&mut sql, caller, s, &from, "s.c_mid");
    } else {
        push_conversations(
            &mut sql,
            caller,
            s,
            "cand c JOIN sessions s ON s.id = c.session_id",
            "CAST(c.mid AS TEXT)",
        );
    }
    let outer = order
        .replace("{s}", "s")
        .replace("{c}", if pg { "s.c_" } else { "c." });
    sql.push(&format!(" ORDER BY {outer}"));
    sql.push(" LIMIT ").bind(Bind::Int(s.limit));
    sql.push(" OFFSET ").bind(Bind::Int(s.offset));
    sql
}

/// The listing without words: conversations by last activity, filtered. One branch per session
/// status walks that status's index on last activity (SQLite `sessions_status (status,
/// updated_at)`, PostgreSQL `sessions_idle (status, active_minute)`, the minute then sorted
/// within) and stops after `offset + limit` that pass the filters; the branches are then merged.
/// The cost follows the page asked for, not the number of sessions.
fn listing_sql(pg: bool, caller: &Caller, s: &Search) -> Sql {
    let mut sql = Sql::new(pg);
    let dir = if s.sort == SearchSort::Oldest {
        "ASC"
    } else {
        "DESC"
    };
    let statuses: Vec<SessionStatus> = SessionStatus::ALL
        .into_iter()
        .filter(|st| match s.status {
            Some(StatusFilter::Closed) => *st == SessionStatus::Closed,
            Some(StatusFilter::Open) => *st != SessionStatus::Closed,
            None => true,
        })
        .collect();
    let best = if pg { "CAST(NULL AS TEXT)" } else { "NULL" };
    sql.push("SELECT * FROM (");
    for (i, status) in statuses.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT * FROM (");
        push_conversations(&mut sql, caller, s, "sessions s", best);
        sql.push(" AND s.status = ").text(status.as_str());
        if pg {
            sql.push(&format!(
                " ORDER BY s.active_minute {dir}, s.updated_at {dir}, s.id {dir}"
            ));
        } else {
            sql.push(&format!(" ORDER BY s.updated_at {dir}, s.id {dir}"));
        }
        sql.push(" LIMIT ").bind(Bind::Int(s.offset + s.limit));
        sql.push(&format!(") b{i}"));
    }
    sql.push(&format!(
        ") listed ORDER BY updated_at {dir}, session_id {dir} LIMIT "
    ))
    .bind(Bind::Int(s.limit));
    sql.push(" OFFSET ").bind(Bind::Int(s.offset));
    sql
}

/// `SELECT` of [`Hit`]'s columns from `from` (which names the session `s`), with the session's
/// latest takeover and its team, `WHERE` the caller may see it and the search's filters hold.
fn push_conversations(sql: &mut Sql, caller: &Caller, s: &Search, from: &str, best: &str) {
    let pg = sql.pg;
    sql.push(&format!(
        "SELECT s.id AS session_id, s.channel, s.user_id, s.status, s.updated_at, \
         t.id AS takeover_id, t.reason, t.outcome, tm.name AS team, t.claimed_by, {best} AS best \
         FROM {from} "
    ));
    // The latest takeover of each session: one index lookup per session (PostgreSQL's planner
    // would rather hash-join the whole table for `t.id = (subquery)`; SQLite has no LATERAL and
    // does the lookup anyway).
    sql.push(if pg {
        "JOIN LATERAL (SELECT * FROM takeovers t2 WHERE t2.session_id = s.id \
         ORDER BY t2.created_at DESC LIMIT 1) t ON TRUE"
    } else {
        "JOIN takeovers t ON t.id = (SELECT t2.id FROM takeovers t2 WHERE t2.session_id = s.id \
         ORDER BY t2.created_at DESC LIMIT 1)"
    });
    sql.push(" LEFT JOIN teams tm ON tm.id = t.assignee_team_id WHERE 1 = 1");
    // Who may see it: the rule of `domain::visibility::can_see`, on the latest takeover.
    if let Caller::Reviewer(r) = caller {
        if !r.is_admin {
            sql.push(" AND (");
            if !r.team_ids.is_empty() {
                sql.push("t.assignee_team_id IN (");
                for (i, team) in r.team_ids.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.text(team);
                }
                sql.push(") OR ");
            }
            sql.push("t.assignee_reviewer_id = ")
                .text(&r.id)
                .push(" OR (t.assignee_team_id IS NULL AND t.assignee_reviewer_id IS NULL))");
        }
    }
    if let Some(team) = &s.team {
        sql.push(" AND tm.name = ").text(team);
    }
    if let Some(channel) = &s.channel {
        sql.push(" AND s.channel = ").text(channel);
    }
    if let Some(reason) = &s.reason {
        sql.push(" AND t.reason = ").text(reason);
    }
    if let Some(outcome) = s.outcome {
        sql.push(" AND t.outcome = ").text(outcome.as_str());
    }
    if let Some(reviewer) = &s.reviewer {
        sql.push(" AND EXISTS (SELECT 1 FROM takeovers t3 WHERE t3.session_id = s.id AND t3.claimed_by = ")
            .text(reviewer)
            .push(")");
    }
    match s.status {
        Some(StatusFilter::Closed) => {
            sql.push(" AND s.status = ")
                .text(SessionStatus::Closed.as_str());
        }
        Some(StatusFilter::Open) => {
            sql.push(" AND s.status <> ")
                .text(SessionStatus::Closed.as_str());
        }
        None => {}
    }
    if let Some(from) = s.from {
        sql.push(" AND s.updated_at >= ").bind(Bind::At(from));
    }
    if let Some(to) = s.to {
        sql.push(" AND s.updated_at < ").bind(Bind::At(to));
    }
}

#[derive(QueryableByName)]
struct MessageKey {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    session_id: String,
}

#[derive(QueryableByName)]
struct TermHits {
    #[diesel(sql_type = BigInt)]
    term: i64,
    #[diesel(sql_type = BigInt)]
    hits: i64,
}

#[derive(QueryableByName)]
struct Newest {
    #[diesel(sql_type = Timestamp)]
    recorded_at: NaiveDateTime,
}

#[derive(QueryableByName)]
struct Oldest {
    #[diesel(sql_type = Timestamp)]
    recorded_at: NaiveDateTime,
}

/// Runs `query` with only the plans `plans` allows (PostgreSQL's planner cannot know how often
/// a word occurs among the newest messages; [`pg_candidates`] has just measured it).
fn planned<T>(
    c: &mut diesel::PgConnection,
    plans: &str,
    query: impl FnOnce(&mut diesel::PgConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    use diesel::connection::SimpleConnection;
    c.transaction(|c| {
        c.batch_execute(plans)?;
        query(c)
    })
}

/// Only the primary key, walked backward.
const WALK: &str = "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off";
/// Only the full-text index.
const INDEX: &str = "SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off";

/// The hour and day lexemes the migration `search_recent_first` adds to each message's index
/// entry, from the newest back: the hours of the newest message's day, then earlier days to the
/// oldest message's.
fn time_lexemes(newest: NaiveDateTime, oldest: NaiveDateTime) -> Vec<String> {
    let hours = |t: NaiveDateTime| t.and_utc().timestamp().div_euclid(3600);
    let (newest_hour, oldest_day) = (hours(newest), hours(oldest).div_euclid(24));
    let day = newest_hour.div_euclid(24);
    let mut lexemes: Vec<String> = (day * 24..=newest_hour)
        .rev()
        .map(|h| format!("~h{h}"))
        .collect();
    lexemes.extend((oldest_day..day).rev().map(|d| format!("~d{d}")));
    lexemes
}

/// PostgreSQL: the ids of the newest [`CANDIDATES`] messages that hold every one of `words`,
/// each with its session (in no particular order).
fn pg_candidates(
    c: &mut diesel::PgConnection,
    words: &[String],
) -> QueryResult<Vec<(String, String)>> {
    use diesel::sql_query;
    use diesel::sql_types::Array;
    let ids = |rows: Vec<MessageKey>| {
        rows.into_iter()
            .map(|r| (r.id, r.session_id))
            .collect::<Vec<_>>()
    };
    let all_words = words.join(" ");
    let Some(newest) = sql_query("SELECT m.recorded_at FROM messages m ORDER BY m.id DESC LIMIT 1")
        .get_result::<Newest>(c)
        .optional()?
    else {
        return Ok(Vec::new());
    };
    // How common the words are among the newest messages: all of them together (term 0), and
    // each alone when there are several. Each query is parsed once, not once per message
    // (`OFFSET 0` keeps the planner from moving the parse into the count).
    let mut terms = vec![all_words.clone()];
    if words.len() > 1 {
        terms.extend(words.iter().cloned());
    }
    let mut hits = vec![0; terms.len()];
    for row in sql_query(
        "SELECT w.term - 1 AS term, count(*) FILTER (WHERE r.search @@ w.query) AS hits \
         FROM (SELECT m.search FROM messages m ORDER BY m.id DESC LIMIT $2) r, \
         (SELECT u.term, plainto_tsquery('simple', u.text) AS query \
          FROM unnest($1) WITH ORDINALITY AS u(text, term) OFFSET 0) w GROUP BY w.term",
    )
    .bind::<Array<Text>, _>(&terms)
    .bind::<BigInt, _>(SAMPLE)
    .load::<TermHits>(c)?
    {
        hits[row.term as usize] = row.hits;
    }
    if hits[0] >= DENSE {
        // Common: the newest messages hold enough of them.
        return planned(c, WALK, |c| {
            sql_query(
                "SELECT m.id, m.session_id FROM messages m WHERE m.search @@ plainto_tsquery('simple', $1) \
                 ORDER BY m.id DESC LIMIT $2",
            )
            .bind::<Text, _>(&all_words)
            .bind::<BigInt, _>(CANDIDATES)
            .load(c)
            .map(ids)
        });
    }
    // The index is asked for the words that narrow the search (a word in a tenth or more of the
    // newest messages would only make it read a long list: the recheck of all the words
    // handles it), the rarest at least.
    // Each word's own count (a single word's is the whole search's).
    let each = if words.len() > 1 {
        &hits[1..]
    } else {
        &hits[..1]
    };
    let mut narrow: Vec<&str> = words
        .iter()
        .zip(each)
        .filter(|(_, h)| **h < DENSE)
        .map(|(w, _)| w.as_str())
        .collect();
    if narrow.is_empty() {
        // Every word is common on its own, not together: the rarest.
        narrow.extend(
            words
                .iter()
                .zip(each)
                .min_by_key(|(_, h)| **h)
                .map(|(w, _)| w.as_str()),
        );
    }
    let index_words = narrow.join(" ");
    let matches = format!(
        "{PG_DOC} @@ plainto_tsquery('simple', $1) AND m.search @@ plainto_tsquery('simple', $2)"
    );
    if hits[0] < SPARSE {
        // Perhaps rare: all of its matches, when there are no more than we look at.
        let all = planned(c, INDEX, |c| {
            sql_query(format!(
                "SELECT m.id, m.session_id FROM messages m WHERE {matches} LIMIT $3"
            ))
            .bind::<Text, _>(&index_words)
            .bind::<Text, _>(&all_words)
            .bind::<BigInt, _>(CANDIDATES + 1)
            .load(c)
            .map(ids)
        })?;
        if all.len() as i64 <= CANDIDATES {
            return Ok(all);
        }
    }
    // In between: the words within the newest hours, then days, each window twice the last.
    let oldest: Oldest =
        sql_query("SELECT m.recorded_at FROM messages m ORDER BY m.id ASC LIMIT 1")
            .get_result(c)?;
    let lexemes = time_lexemes(newest.recorded_at, oldest.recorded_at);
    let mut found = Vec::new();
    let (mut from, mut size) = (0, 1);
    while from < lexemes.len() && (found.len() as i64) < CANDIDATES {
        let to = (from + size).min(lexemes.len());
        let window = lexemes[from..to]
            .iter()
            .map(|l| format!("'{l}'"))
            .collect::<Vec<_>>()
            .join(" | ");
        let need = CANDIDATES - found.len() as i64;
        let more = planned(c, INDEX, |c| {
            sql_query(format!(
                "SELECT m.id, m.session_id FROM messages m WHERE {PG_DOC} @@ \
                 (plainto_tsquery('simple', $1) && CAST($2 AS tsquery)) \
                 AND m.search @@ plainto_tsquery('simple', $3) \
                 ORDER BY m.id DESC LIMIT $4"
            ))
            .bind::<Text, _>(&index_words)
            .bind::<Text, _>(window)
            .bind::<Text, _>(&all_words)
            .bind::<BigInt, _>(need)
            .load(c)
            .map(ids)
        })?;
        found.extend(more);
        from = to;
        size = (size * 2).min(WINDOW_MAX);
    }
    Ok(found)
}

/// A conversation's history around it: its takeovers before the latest one (newest first), and
/// the customer's other sessions the reviewer may see (newest activity first).
pub struct Earlier {
    pub takeovers: Vec<TakeoverRow>,
    pub sessions: Vec<SessionRow>,
}

/// What [`Earlier`] holds for this session, at most `limit` of each.
pub fn earlier(
    conn: &mut DbConnection,
    caller: &Caller,
    session: &SessionRow,
    limit: i64,
) -> Result<Earlier, ApiError> {
    use super::schema::{sessions, takeovers};
    let mut past: Vec<TakeoverRow> = takeovers::table
        .filter(takeovers::session_id.eq(&session.id))
        .order(takeovers::created_at.desc())
        .limit(limit + 1)
        .load(conn)?;
    // The latest is the one the page is about.
    if !past.is_empty() {
        past.remove(0);
    }
    let mut others = Vec::new();
    if let Some(user) = &session.user_id {
        let candidates: Vec<SessionRow> = sessions::table
            .filter(sessions::user_id.eq(user))
            .filter(sessions::id.ne(&session.id))
            .order(sessions::updated_at.desc())
            .limit(limit * 4)
            .load(conn)?;
        for s in candidates {
            if others.len() as i64 == limit {
                break;
            }
            if super::takeovers::can_read_session(conn, caller, &s.id)? {
                others.push(s);
            }
        }
    }
    Ok(Earlier {
        takeovers: past,
        sessions: others,
    })
}

/// SQLite: indexes the messages the transaction added (noted in `message_search_pending` by the
/// trigger `messages_search_insert`), just before its COMMIT; every write transaction calls it
/// (`Db::write_blocking` and the group commit), so a message is searchable once its write is
/// acknowledged. FTS5 writes its pending terms to disk at every savepoint it took part in, and
/// the group commit runs each turn in its own savepoint: indexing once per transaction, after
/// them, writes one segment per group instead of one per turn (migration `search_pending`).
/// On PostgreSQL there is nothing to do.
pub fn index_pending(conn: &mut DbConnection) -> Result<(), ApiError> {
    match conn {
        DbConnection::Postgresql(_) => Ok(()),
        DbConnection::Sqlite(_) => {
            if Fixed::<IndexPendingSql>::new(INDEX_PENDING_SQL, &[]).execute(conn)? > 0 {
                Fixed::<ClearPendingSql>::new(CLEAR_PENDING_SQL, &[]).execute(conn)?;
            }
            Ok(())
        }
    }
}

struct IndexPendingSql;
const INDEX_PENDING_SQL: &str = "INSERT INTO message_search(rowid, content) \
    SELECT m.rowid, m.content FROM message_search_pending p \
    JOIN messages m ON m.rowid = p.message_rowid ORDER BY p.message_rowid";
struct ClearPendingSql;
const CLEAR_PENDING_SQL: &str = "DELETE FROM message_search_pending";
