//! Backfills: the part of an upgrade too long to do under a migration's lock.
//!
//! A migration that adds something derived from every old row (the search index of every
//! message, each conversation's count of customer turns) makes the change to the schema only,
//! which takes no time whatever the table's size, and records a row in `backfills`. New rows
//! are kept right from then on by the turn gate itself (or a trigger). The old rows are done
//! here after start, a small batch per transaction in key order, each transaction holding its
//! rows' locks only for the batch, so turns wait at most for one batch
//! (`baton-bench --only migrations` measures it on a million messages).
//!
//! Each batch is exact whatever runs beside it: it locks its conversations first and then
//! counts what is committed, so a turn recorded meanwhile is counted once (by the turn gate
//! before the batch, or by the batch). A batch that is done twice does the same thing twice.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::fixed::{Bind, Fixed};
use super::schema::backfills;
use super::DbConnection;
use crate::domain::types::Sender;
use crate::error::ApiError;

/// The most rows one transaction of a backfill does.
pub const BATCH: i64 = 500;

/// The SQLite full-text index of messages written before it existed (`message_search`).
pub const MESSAGE_SEARCH: &str = "message_search";
/// Each conversation's count of customer turns and each read mark's, for unread counts
/// (`unread_counts`).
pub const CUSTOMER_TURNS: &str = "customer_turns";

/// A backfill still to finish.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = backfills)]
pub struct Pending {
    pub name: String,
    pub after_key: String,
    pub after_rowid: i64,
    pub until_rowid: i64,
}

/// The backfills not finished yet, by name.
pub fn pending(conn: &mut DbConnection) -> Result<Vec<Pending>, ApiError> {
    Ok(backfills::table
        .filter(backfills::finished_at.is_null())
        .order(backfills::name)
        .select(Pending::as_select())
        .load(conn)?)
}

/// What one transaction of a backfill did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Did this many rows; there are more.
    Did(u64),
    /// Did this many rows, the last ones: the backfill is finished.
    Finished(u64),
    /// Unknown or already finished: nothing was done.
    Nothing,
}

/// One transaction of backfill `name`: its next batch, under its row's lock (so replicas take
/// turns and never do the same batch at once).
pub fn step(conn: &mut DbConnection, name: &str) -> Result<Step, ApiError> {
    let row = lock(conn, name)?;
    let Some(row) = row else {
        return Ok(Step::Nothing);
    };
    match row.name.as_str() {
        MESSAGE_SEARCH => search_batch(conn, &row),
        CUSTOMER_TURNS => turns_batch(conn, &row),
        // A backfill of a newer Baton (a replica not upgraded yet): left to it.
        _ => Ok(Step::Nothing),
    }
}

fn lock(conn: &mut DbConnection, name: &str) -> Result<Option<Pending>, ApiError> {
    let query = || {
        backfills::table
            .filter(backfills::name.eq(name.to_string()))
            .filter(backfills::finished_at.is_null())
    };
    Ok(match conn {
        // SQLite: the write transaction is the lock.
        DbConnection::Sqlite(c) => query().select(Pending::as_select()).first(c).optional()?,
        DbConnection::Postgresql(c) => query()
            .select(Pending::as_select())
            .for_update()
            .first(c)
            .optional()?,
    })
}

fn finish(conn: &mut DbConnection, name: &str) -> Result<(), ApiError> {
    diesel::update(backfills::table.filter(backfills::name.eq(name)))
        .set(backfills::finished_at.eq(super::now()))
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Indexes the words of the next messages written before the index existed. SQLite: rowids
/// after `after_rowid`, up to `until_rowid` (the triggers index every later one and leave these
/// alone until they are done). PostgreSQL: by id after `after_key`, those without words yet (a
/// trigger computes every later message's).
fn search_batch(conn: &mut DbConnection, row: &Pending) -> Result<Step, ApiError> {
    let c = match conn {
        DbConnection::Sqlite(c) => c,
        DbConnection::Postgresql(c) => {
            let keys: Vec<Key> =
                diesel::sql_query("SELECT id FROM messages WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind::<Text, _>(&row.after_key)
                    .bind::<BigInt, _>(BATCH)
                    .load(c)?;
            let Some(last) = keys.last().map(|k| k.id.clone()) else {
                finish(conn, &row.name)?;
                return Ok(Step::Finished(0));
            };
            diesel::sql_query(
                "UPDATE messages SET search = to_tsvector('simple', content) \
                 WHERE id > $1 AND id <= $2 AND search IS NULL",
            )
            .bind::<Text, _>(&row.after_key)
            .bind::<Text, _>(&last)
            .execute(c)?;
            return advance(conn, &row.name, &last, keys.len());
        }
    };
    let end = (row.after_rowid + BATCH).min(row.until_rowid);
    let did = diesel::sql_query(
        "INSERT INTO message_search(rowid, content) \
         SELECT rowid, content FROM messages WHERE rowid > ? AND rowid <= ?",
    )
    .bind::<BigInt, _>(row.after_rowid)
    .bind::<BigInt, _>(end)
    .execute(c)? as u64;
    diesel::update(backfills::table.filter(backfills::name.eq(&row.name)))
        .set(backfills::after_rowid.eq(end))
        .execute(c)?;
    if end >= row.until_rowid {
        finish(conn, &row.name)?;
        return Ok(Step::Finished(did));
    }
    Ok(Step::Did(did))
}

struct CountTurnsSql;
const COUNT_TURNS_SQL: &str =
    "UPDATE sessions SET customer_turns = (SELECT count(*) FROM messages m \
       WHERE m.session_id = sessions.id AND m.sender = ?) \
     WHERE id > ? AND id <= ?";
struct CountReadTurnsSql;
const COUNT_READ_TURNS_SQL: &str =
    "UPDATE session_reads SET read_customer_turns = (SELECT count(*) FROM messages m \
       WHERE m.session_id = session_reads.session_id AND m.sender = ? \
         AND m.seq <= session_reads.read_seq) \
     WHERE session_id > ? AND session_id <= ?";

/// Both backends: counts the customer turns of the next conversations (by id, after
/// `after_key`) and of their read marks. The conversations' rows are locked before the counts
/// are read, so a turn recorded meanwhile is in the count exactly once.
fn turns_batch(conn: &mut DbConnection, row: &Pending) -> Result<Step, ApiError> {
    let lock_sql = match conn {
        DbConnection::Sqlite(_) => "SELECT id FROM sessions WHERE id > ? ORDER BY id LIMIT ?",
        DbConnection::Postgresql(_) => {
            "SELECT id FROM sessions WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE"
        }
    };
    let keys: Vec<Key> = diesel::sql_query(lock_sql)
        .bind::<Text, _>(&row.after_key)
        .bind::<BigInt, _>(BATCH)
        .load(conn)?;
    let Some(last) = keys.last().map(|k| k.id.clone()) else {
        finish(conn, &row.name)?;
        return Ok(Step::Finished(0));
    };
    let user = Sender::User.as_string();
    let binds = [
        Bind::Text(&user),
        Bind::Text(&row.after_key),
        Bind::Text(&last),
    ];
    Fixed::<CountTurnsSql>::new(COUNT_TURNS_SQL, &binds).execute(conn)?;
    Fixed::<CountReadTurnsSql>::new(COUNT_READ_TURNS_SQL, &binds).execute(conn)?;
    advance(conn, &row.name, &last, keys.len())
}

/// A key-ordered backfill did `did` rows up to key `last`: records it, and finishes the
/// backfill when the batch was not full (nothing is left after it).
fn advance(conn: &mut DbConnection, name: &str, last: &str, did: usize) -> Result<Step, ApiError> {
    diesel::update(backfills::table.filter(backfills::name.eq(name)))
        .set(backfills::after_key.eq(last))
        .execute(conn)?;
    if (did as i64) < BATCH {
        finish(conn, name)?;
        return Ok(Step::Finished(did as u64));
    }
    Ok(Step::Did(did as u64))
}
