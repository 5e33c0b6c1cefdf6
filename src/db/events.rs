//! The shared log of live change notices (`live_events`): appended by each replica's journal
//! (see `crate::live`), read back by an event stream that reconnects with `Last-Event-ID`, and
//! pruned to the newest notices. On PostgreSQL also the LISTEN/NOTIFY that carries the notices
//! between replicas.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::fixed::{Bind, Fixed};
use super::schema::live_events;
use super::{now, DbConnection};
use crate::error::ApiError;

/// Held (to the end of the transaction) while a replica appends notices, on PostgreSQL: ids are
/// then committed in the order they were drawn, so a reader that sees id N also sees every
/// notice before it, and NOTIFY (delivered in commit order) carries them in id order.
const APPEND_LOCK: i64 = 727_290;

/// PostgreSQL's channel for live notices between replicas.
pub const CHANNEL: &str = "baton_live";

/// One notice of the log.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, QueryableByName)]
pub struct StoredNotice {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub session_id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
}

struct AppendSql;
const APPEND_SQL: &str =
    "INSERT INTO live_events (session_id, kind, created_at) VALUES (?, ?, ?) RETURNING id";

/// Appends `notices` (session id, kind), in order; what was stored, with its ids, in id order.
/// On SQLite inside the caller's transaction. On PostgreSQL each also goes out on [`CHANNEL`]
/// as the row it became (`{"id", "session_id", "kind"}`), in one statement
/// ([`LOG_AND_NOTIFY_SQL`]) that, outside a transaction, commits on its own: one round trip.
pub fn append(
    conn: &mut DbConnection,
    notices: &[(String, String)],
) -> Result<Vec<StoredNotice>, ApiError> {
    if notices.is_empty() {
        return Ok(Vec::new());
    }
    let at = now();
    match conn {
        DbConnection::Postgresql(pg) => {
            let mut stored: Vec<StoredNotice> = LogAndNotify {
                sessions: notices.iter().map(|(s, _)| s.as_str()).collect(),
                kinds: notices.iter().map(|(_, k)| k.as_str()).collect(),
                at,
            }
            .load(pg)?;
            stored.sort_by_key(|n| n.id);
            Ok(stored)
        }
        DbConnection::Sqlite(_) => {
            let mut stored = Vec::with_capacity(notices.len());
            for (session_id, kind) in notices {
                // Kept prepared (`db::fixed`): every turn appends one.
                let id: i64 = Fixed::<AppendSql, BigInt>::new(
                    APPEND_SQL,
                    &[Bind::Text(session_id), Bind::Text(kind), Bind::Time(at)],
                )
                .get_result(conn)?;
                stored.push(StoredNotice {
                    id,
                    session_id: session_id.clone(),
                    kind: kind.clone(),
                });
            }
            Ok(stored)
        }
    }
}

/// What the log holds after a client's last seen id.
#[derive(Debug)]
pub struct Backlog {
    /// The oldest and newest ids kept; `None` while the log is empty.
    pub bounds: Option<(i64, i64)>,
    /// Up to `limit` notices after the seen id, oldest first.
    pub after: Vec<StoredNotice>,
}

/// The notices after `seen` (at most `limit`), and the ids the log holds.
pub fn after(conn: &mut DbConnection, seen: i64, limit: i64) -> Result<Backlog, ApiError> {
    let (oldest, newest): (Option<i64>, Option<i64>) = live_events::table
        .select((
            diesel::dsl::min(live_events::id),
            diesel::dsl::max(live_events::id),
        ))
        .first(conn)?;
    let after = live_events::table
        .filter(live_events::id.gt(seen))
        .order(live_events::id.asc())
        .limit(limit)
        .select((live_events::id, live_events::session_id, live_events::kind))
        .load(conn)?;
    Ok(Backlog {
        bounds: oldest.zip(newest),
        after,
    })
}

/// Deletes every notice `keep` or more ids older than the newest (ids are drawn one after the
/// other, so that is all but the newest `keep`, fewer when a rolled-back write left a gap); how
/// many went. Finding the newest reads one index entry, where counting `keep` back from it read
/// `keep` of them at every pruning.
pub fn prune(conn: &mut DbConnection, keep: i64) -> Result<usize, ApiError> {
    let newest: Option<i64> = live_events::table
        .select(diesel::dsl::max(live_events::id))
        .first(conn)?;
    match newest {
        Some(newest) => Ok(diesel::delete(
            live_events::table.filter(live_events::id.le(newest - keep.max(1))),
        )
        .execute(conn)?),
        None => Ok(0),
    }
}

/// PostgreSQL: starts listening on `channel` (other backends have no replicas to hear).
pub fn listen(conn: &mut DbConnection, channel: &str) -> Result<(), ApiError> {
    if let DbConnection::Postgresql(pg) = conn {
        pg.batch_execute(&format!("LISTEN {channel}"))?;
    }
    Ok(())
}

/// [`append`]'s statement on PostgreSQL: one round trip that commits on its own. The lock
/// comes first (the insert's rows join it), the ids are drawn in the notices' order, the
/// inserted rows come back in that order, and each goes out on the channel as it comes back, so
/// in id order, when the statement commits.
const LOG_AND_NOTIFY_SQL: &str =
    "WITH lock AS (SELECT pg_advisory_xact_lock(?)), \
     stored AS (INSERT INTO live_events (session_id, kind, created_at) \
       SELECT t.s, t.k, ? FROM lock, unnest(?::text[], ?::text[]) WITH ORDINALITY AS t(s, k, n) \
       ORDER BY t.n RETURNING id, session_id, kind) \
     SELECT id, session_id, kind, \
       pg_notify(?, json_build_object('id', id, 'session_id', session_id, 'kind', kind)::text)::text \
         AS sent \
     FROM stored";

/// [`LOG_AND_NOTIFY_SQL`] with its binds; a static query id keeps it prepared.
struct LogAndNotify<'a> {
    sessions: Vec<&'a str>,
    kinds: Vec<&'a str>,
    at: chrono::NaiveDateTime,
}

impl diesel::query_builder::QueryId for LogAndNotify<'_> {
    type QueryId = LogAndNotify<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for LogAndNotify<'_> {
    type SqlType = diesel::sql_types::Untyped;
}

impl RunQueryDsl<diesel::PgConnection> for LogAndNotify<'_> {}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for LogAndNotify<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        super::fixed::walk_marked(
            LOG_AND_NOTIFY_SQL,
            "LOG_AND_NOTIFY_SQL",
            &mut out,
            |k, out| {
                match k {
                    0 => out.push_bind_param::<BigInt, _>(&APPEND_LOCK)?,
                    1 => out.push_bind_param::<diesel::sql_types::Timestamp, _>(&self.at)?,
                    2 => out.push_bind_param::<Array<Text>, _>(&self.sessions)?,
                    3 => out.push_bind_param::<Array<Text>, _>(&self.kinds)?,
                    4 => out.push_bind_param::<Text, _>(&CHANNEL)?,
                    _ => return Ok(false),
                }
                Ok(true)
            },
        )
    }
}

/// Numbers the log from the clock when its sequence starts over, on PostgreSQL: the log is an
/// unlogged table (migration `live_events_unlogged`), so a crash of PostgreSQL empties it and
/// resets its sequence, and ids drawn again from the start would name notices a reconnecting
/// stream already saw. The first id after a reset is the time in milliseconds times 1 000,
/// above every id given before as long as fewer than a million notices a second were logged
/// (and below 2^53 until the 23rd century, so a browser reads it exactly). A sequence in use is
/// left alone. Run by each replica's journal when it connects, under the log's lock.
pub fn renumber_after_reset(pg: &mut diesel::PgConnection) -> Result<(), ApiError> {
    pg.transaction(|pg| {
        pg.batch_execute(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"))?;
        diesel::sql_query(
            "SELECT setval(q.s, (extract(epoch FROM clock_timestamp()) * 1000)::bigint * 1000) \
             FROM (SELECT pg_get_serial_sequence('live_events', 'id')::regclass AS s) AS q \
             WHERE pg_sequence_last_value(q.s) IS NULL",
        )
        .execute(pg)?;
        Ok(())
    })
}

/// PostgreSQL: sends `payloads` on `channel`, in order; inside a transaction they go out when
/// it commits.
pub fn notify(
    conn: &mut DbConnection,
    channel: &str,
    payloads: Vec<String>,
) -> Result<(), ApiError> {
    if payloads.is_empty() {
        return Ok(());
    }
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
            .bind::<Text, _>(channel)
            .bind::<Array<Text>, _>(payloads)
            .execute(pg)?;
    }
    Ok(())
}

/// PostgreSQL: the notifications this connection has received so far, oldest first.
pub fn notifications(conn: &mut DbConnection) -> Result<Vec<String>, ApiError> {
    match conn {
        DbConnection::Postgresql(pg) => Ok(pg
            .notifications_iter()
            .map(|n| n.map(|n| n.payload))
            .collect::<Result<_, _>>()?),
        DbConnection::Sqlite(_) => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseUrl;
    use crate::db::Db;

    #[test]
    fn pruning_keeps_the_newest_notices() {
        let dir = std::env::temp_dir().join(format!("baton-events-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("baton.db").to_string_lossy().to_string();
        let db = Db::connect(&DatabaseUrl::Sqlite(path), 1).unwrap();
        let notices: Vec<(String, String)> = (0..30)
            .map(|i| (format!("s{i}"), "message".to_string()))
            .collect();
        let stored = db.write_blocking(|c| append(c, &notices)).unwrap();
        // Ids start at 1000 and follow each other.
        assert_eq!(stored[0].id, 1000);
        assert!(stored.windows(2).all(|w| w[1].id == w[0].id + 1));
        assert_eq!(db.write_blocking(|c| prune(c, 10)).unwrap(), 20);
        let kept = db.write_blocking(|c| after(c, 0, 100)).unwrap();
        assert_eq!(kept.bounds, Some((stored[20].id, stored[29].id)));
        assert_eq!(kept.after, stored[20..]);
        // Ids go on after the newest.
        let next = db.write_blocking(|c| append(c, &notices[..1])).unwrap();
        assert_eq!(next[0].id, stored[29].id + 1);
        drop(db);
        let _ = std::fs::remove_dir_all(dir);
    }
}
