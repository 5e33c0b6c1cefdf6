//! What each reviewer has read: one mark per (conversation, reviewer), the seq of the last turn
//! they saw. A customer message above the mark is unread for them; with no mark, every
//! customer message is. The inbox's unread badges, page title and alerts are counted here.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use super::schema::{messages, session_reads, sessions, takeover_offers, takeovers};
use super::{now, DbConnection};
use crate::domain::credentials::ReviewerAuth;
use crate::domain::types::TakeoverStatus;
use crate::error::ApiError;

diesel::define_sql_function!(fn coalesce(x: Nullable<BigInt>, y: BigInt) -> BigInt);

/// The sender of a customer's turn, as stored.
const CUSTOMER: &str = "user";

/// Moves the reviewer's mark up to `seq` (never down: an older tab cannot un-read what a newer
/// one showed), capped at the conversation's last turn. Returns the mark now stored.
///
/// The mark also keeps how many customer turns it covers, so that an unread count is the
/// session's `customer_turns` minus that, with no message counted (turns are never renumbered
/// or removed, so the number below a mark never changes).
pub fn mark(
    conn: &mut DbConnection,
    session_id: &str,
    reviewer_id: &str,
    seq: i64,
) -> Result<i64, ApiError> {
    let last: Option<i64> = messages::table
        .filter(messages::session_id.eq(session_id))
        .select(diesel::dsl::max(messages::seq))
        .first(conn)?;
    let seq = seq.min(last.unwrap_or(0)).max(0);
    let covered: i64 = messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::sender.eq(CUSTOMER))
        .filter(messages::seq.le(seq))
        .count()
        .get_result(conn)?;
    let at = now();
    let mine = session_reads::table
        .filter(session_reads::session_id.eq(session_id))
        .filter(session_reads::reviewer_id.eq(reviewer_id));
    let moved = diesel::update(mine.filter(session_reads::read_seq.lt(seq)))
        .set((
            session_reads::read_seq.eq(seq),
            session_reads::read_at.eq(at),
            session_reads::read_customer_turns.eq(covered),
        ))
        .execute(conn)?;
    if moved == 0 {
        let exists: i64 = mine.count().get_result(conn)?;
        // In a savepoint: a second tab's insert winning the race must not spoil the
        // transaction (PostgreSQL aborts it on a failed statement).
        let inserted = if exists == 0 {
            conn.transaction(|c| {
                diesel::insert_into(session_reads::table)
                    .values((
                        session_reads::session_id.eq(session_id),
                        session_reads::reviewer_id.eq(reviewer_id),
                        session_reads::read_seq.eq(seq),
                        session_reads::read_at.eq(at),
                        session_reads::read_customer_turns.eq(covered),
                    ))
                    .execute(c)
            })
        } else {
            Ok(0)
        };
        match inserted {
            // A mark already there (at or above `seq`), or written by a second tab meanwhile.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            other => {
                other?;
            }
        }
    }
    Ok(mine
        .select(session_reads::read_seq)
        .first(conn)
        .optional()?
        .unwrap_or(seq))
}

/// How many customer turns the reviewer's mark covers, for the session in the query (0 without
/// a mark).
macro_rules! covered_by_mark {
    ($reviewer:expr) => {
        coalesce(
            session_reads::table
                .filter(session_reads::session_id.eq(sessions::id))
                .filter(session_reads::reviewer_id.eq($reviewer))
                .select(session_reads::read_customer_turns)
                .single_value(),
            0,
        )
    };
}

/// Unread customer messages per conversation, for the reviewer (conversations with none are
/// left out).
pub fn unread_counts(
    conn: &mut DbConnection,
    reviewer_id: &str,
    session_ids: &[&str],
) -> Result<HashMap<String, i64>, ApiError> {
    if session_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let covered = covered_by_mark!(reviewer_id.to_string());
    let rows: Vec<(String, i64, i64)> = sessions::table
        .filter(sessions::id.eq_any(session_ids))
        .select((sessions::id, sessions::customer_turns, covered))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, turns, covered)| turns > covered)
        .map(|(id, turns, covered)| (id, turns - covered))
        .collect())
}

/// An open conversation with something the reviewer has not read.
#[derive(Clone, Debug)]
pub struct Unread {
    pub session_id: String,
    pub takeover_id: String,
    /// Waiting for a reviewer (else someone holds it).
    pub waiting: bool,
    /// The reviewer holds it.
    pub held_by_me: bool,
    /// Automatic assignment offered it to the reviewer.
    pub offered_to_me: bool,
    /// How many customer messages they have not read.
    pub messages: i64,
}

impl Unread {
    /// The reviewer holds it or was offered it.
    pub fn is_mine(&self) -> bool {
        self.held_by_me || self.offered_to_me
    }
}

/// Conversations with unread messages in each view of the queue.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    pub waiting: i64,
    pub mine: i64,
    pub team: i64,
    /// Waiting or mine: what the page title counts.
    pub needs_you: i64,
}

pub fn tally(rows: &[Unread]) -> Tally {
    let count = |f: &dyn Fn(&Unread) -> bool| rows.iter().filter(|u| f(u)).count() as i64;
    Tally {
        waiting: count(&|u| u.waiting),
        mine: count(&|u| u.is_mine()),
        team: rows.len() as i64,
        needs_you: count(&|u| u.waiting || u.is_mine()),
    }
}

/// Every open conversation the reviewer may see that has a customer message they have not read,
/// newest request first, with its unread count.
pub fn open_unread(conn: &mut DbConnection, r: &ReviewerAuth) -> Result<Vec<Unread>, ApiError> {
    let rows: Vec<(String, String, String, Option<String>, i64)> = takeovers::table
        .inner_join(sessions::table.on(sessions::id.eq(takeovers::session_id)))
        .filter(takeovers::status.ne(TakeoverStatus::Resolved.as_str()))
        .filter(sessions::customer_turns.gt(covered_by_mark!(r.id.clone())))
        .filter(super::queue::visible_to!(r))
        .order(takeovers::created_at.desc())
        .limit(1000)
        .select((
            takeovers::id,
            takeovers::session_id,
            takeovers::status,
            takeovers::claimed_by,
            sessions::customer_turns - covered_by_mark!(r.id.clone()),
        ))
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|(id, ..)| id.clone()).collect();
    let offered: Vec<String> = takeover_offers::table
        .filter(takeover_offers::takeover_id.eq_any(&ids))
        .filter(takeover_offers::reviewer_name.eq(&r.name))
        .select(takeover_offers::takeover_id)
        .load(conn)?;
    Ok(rows
        .iter()
        .map(|(id, session, status, holder, unread)| Unread {
            session_id: session.clone(),
            takeover_id: id.clone(),
            waiting: TakeoverStatus::parse(status) == Some(TakeoverStatus::Requested),
            held_by_me: holder.as_deref() == Some(r.name.as_str()),
            offered_to_me: offered.contains(id),
            messages: *unread,
        })
        .collect())
}

/// When each of these conversations last had a reply from a person (for the silent-reviewer
/// countdown).
pub fn last_human_replies(
    conn: &mut DbConnection,
    session_ids: &[&str],
) -> Result<HashMap<String, chrono::NaiveDateTime>, ApiError> {
    if session_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Option<chrono::NaiveDateTime>)> = messages::table
        .filter(messages::session_id.eq_any(session_ids))
        .filter(messages::sender.like("human:%"))
        .group_by(messages::session_id)
        .select((
            messages::session_id,
            diesel::dsl::max(messages::recorded_at),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, at)| at.map(|at| (s, at)))
        .collect())
}
