//! Conversation search: words in messages through each database's own full-text index (SQLite
//! FTS5 `message_search`, PostgreSQL's `messages.search` tsvector with a GIN index, both kept
//! by the migration `message_search` in the transaction that records a turn), session and user
//! ids by prefix, the filters, the caller's visibility, and the snippets of the best matches;
//! and a conversation's earlier handoffs.
//!
//! The full-text index drives the plan: it yields the newest [`CANDIDATES`] messages holding
//! every word (FTS5 walks its index by rowid, descending; PostgreSQL picks the GIN index or a
//! backward walk of the time-ordered primary key, whichever its statistics say is cheaper),
//! and only those are joined to their sessions, filtered and sorted. A word found in more
//! messages than that is searched among its newest ones: the cost stays flat at any table size.
//! Without words the search lists sessions (by id or user id prefix, or all of them, filtered).
//!
//! The SQL differs per backend only in the full-text parts, so one builder writes both, with
//! `?` or `$n` placeholders, inside the usual per-backend `match`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::models::{SessionRow, TakeoverRow};
use super::DbConnection;
use crate::domain::credentials::Caller;
use crate::domain::search::{Search, SearchSort, StatusFilter, MARK_END, MARK_START};
use crate::domain::session::SessionStatus;
use crate::error::ApiError;

/// How many of the newest matching messages a search looks at.
pub const CANDIDATES: i64 = 2_000;
/// PostgreSQL: up to this many matches are read unordered and sorted; a word found more often
/// is looked for from the newest message back.
const FEW: i64 = 10_000;
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
    let sql = hits_sql(pg, caller, s);
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

/// The search as one statement. Scores are "lower is better" on both backends (SQLite's bm25
/// is negative; PostgreSQL's `ts_rank` is negated); an id or user id match ranks first.
fn hits_sql(pg: bool, caller: &Caller, s: &Search) -> Sql {
    let mut sql = Sql::new(pg);
    let relevance = s.sort == SearchSort::Relevance;
    let words = s
        .text
        .as_ref()
        .and_then(|t| if pg { t.plain_query() } else { t.fts5_query() });
    let prefix = s.text.as_ref().and_then(|t| t.id_prefix());
    let mut parts = 0;
    if let (true, Some(words)) = (pg, &words) {
        // GIN returns matches unordered, and PostgreSQL cannot tell a word found once from one
        // found in thousands of messages (it guesses 0.5 % for any word outside its
        // statistics): ordered by id it would walk the whole table for a rare word. So first
        // take up to FEW matches unordered (an index lookup for a rare word, the first rows of
        // the table for a common one); only when there are more, walk the primary key from the
        // newest message, which then soon meets enough of them.
        sql.push(
            "WITH few AS MATERIALIZED (SELECT m.id, m.session_id, m.search FROM messages m \
                  WHERE m.search @@ plainto_tsquery('simple', ",
        )
        .text(words)
        .push(") LIMIT ")
        .bind(Bind::Int(FEW + 1))
        .push("), found AS (");
    } else {
        sql.push("WITH found AS (");
    }
    if let Some(words) = &words {
        parts += 1;
        if pg {
            sql.push("SELECT * FROM (SELECT DISTINCT ON (session_id) session_id, mid, score FROM (SELECT session_id, mid, ");
            if relevance {
                sql.push("CAST(-ts_rank(search, plainto_tsquery('simple', ")
                    .text(words)
                    .push(")) AS DOUBLE PRECISION)");
            } else {
                sql.push("CAST(0 AS DOUBLE PRECISION)");
            }
            sql.push(" AS score FROM (SELECT id AS mid, session_id, search FROM few WHERE (SELECT count(*) FROM few) <= ")
                .bind(Bind::Int(FEW))
                .push(" UNION ALL SELECT * FROM (SELECT m.id AS mid, m.session_id, m.search FROM messages m \
                       WHERE m.search @@ plainto_tsquery('simple', ")
                .text(words)
                .push(") ORDER BY m.id DESC LIMIT ")
                .bind(Bind::Int(CANDIDATES))
                .push(") many WHERE (SELECT count(*) FROM few) > ")
                .bind(Bind::Int(FEW))
                .push(" ORDER BY mid DESC LIMIT ")
                .bind(Bind::Int(CANDIDATES))
                .push(") hits) scored ORDER BY session_id, score, mid DESC) w");
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
        let mid = if pg { "CAST(NULL AS TEXT)" } else { "NULL" };
        if s.text.is_some() {
            // Text without a word and with blanks inside ("- -"): nothing can match it.
            sql.push(&format!(
                "SELECT id AS session_id, {mid} AS mid, CAST(0 AS DOUBLE PRECISION) AS score FROM sessions WHERE 1 = 0"
            ));
        } else {
            sql.push(&format!(
                "SELECT id AS session_id, {mid} AS mid, CAST(0 AS DOUBLE PRECISION) AS score FROM sessions"
            ));
        }
    }
    sql.push(
        "), cand AS (SELECT session_id, MAX(mid) AS mid, MIN(score) AS score FROM found GROUP BY session_id) \
         SELECT s.id AS session_id, s.channel, s.user_id, s.status, s.updated_at, \
         t.id AS takeover_id, t.reason, t.outcome, tm.name AS team, t.claimed_by, ",
    );
    sql.push(if pg {
        "c.mid AS best"
    } else {
        "CAST(c.mid AS TEXT) AS best"
    });
    // The latest takeover of each session: one index lookup per session (PostgreSQL's planner
    // would rather hash-join the whole table for `t.id = (subquery)`; SQLite has no LATERAL and
    // does the lookup anyway).
    sql.push(" FROM cand c JOIN sessions s ON s.id = c.session_id ");
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
    sql.push(match s.sort {
        SearchSort::Oldest => " ORDER BY s.updated_at ASC, s.id ASC",
        SearchSort::Relevance if words.is_some() || prefix.is_some() => {
            " ORDER BY c.score ASC, s.updated_at DESC, s.id DESC"
        }
        _ => " ORDER BY s.updated_at DESC, s.id DESC",
    });
    sql.push(" LIMIT ").bind(Bind::Int(s.limit));
    sql.push(" OFFSET ").bind(Bind::Int(s.offset));
    sql
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
