//! Sessions and their history: creating and locking the session row, the turn gate, and
//! appending messages with an atomically assigned per-session sequence number.
//!
//! Every operation that changes a session starts with [`lock`]: an UPDATE ... RETURNING on the
//! session row, which takes the row lock on PostgreSQL (and runs under the single-writer lock on
//! SQLite). Everything after it in the transaction sees a state nobody else can change.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamp};

use super::audit;
use super::fixed::{Bind, Fixed};
use super::models::{MessageRow, SessionRow};
use super::schema::{messages, sessions};
use super::{now, DbConnection};
use crate::domain::session::{transition, Refusal, SessionEvent, SessionStatus};
use crate::domain::types::{MessageId, Sender, SessionId};
use crate::error::{ApiError, Kind};

/// Session fields an integration may set with any turn or takeover request.
#[derive(Clone, Debug, Default)]
pub struct SessionFields {
    pub channel: Option<String>,
    pub channel_ref: Option<String>,
    pub user_id: Option<String>,
}

// The session row's statements, with fixed SQL (see `db/fixed.rs`: diesel would prepare its
// own UPDATEs and upserts again on every call). The RETURNING lists are `SessionRow`'s columns
// in order; a unit test checks them against the schema.
macro_rules! session_columns {
    () => {
        "id, channel, channel_ref, user_id, status, assigned_to, open_takeover_id, next_seq, \
         created_at, updated_at, last_user_message_at, customer_turns, outside_by"
    };
}

struct EnsureSql;
const ENSURE_SQL: &str = "INSERT INTO sessions \
    (id, channel, channel_ref, user_id, status, next_seq, created_at, updated_at) \
    VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (id) DO NOTHING";

struct LockSql;
const LOCK_SQL: &str = concat!(
    "UPDATE sessions SET updated_at = ?, channel = COALESCE(?, channel), \
     channel_ref = COALESCE(?, channel_ref), user_id = COALESCE(?, user_id) \
     WHERE id = ? RETURNING ",
    session_columns!()
);

struct SetStateSql;
const SET_STATE_SQL: &str =
    "UPDATE sessions SET status = ?, assigned_to = ?, open_takeover_id = ? WHERE id = ?";

/// Takes the next sequence number of a locked session; for a customer's turn (the bind is
/// non-null) also counts it and moves `last_user_message_at` forward, never back.
struct TakeSeqSql;
const TAKE_SEQ_SQL: &str = "UPDATE sessions SET next_seq = next_seq + 1, \
    customer_turns = customer_turns + CASE WHEN ? IS NOT NULL THEN 1 ELSE 0 END, \
    last_user_message_at = CASE WHEN ? IS NOT NULL AND \
      (last_user_message_at IS NULL OR last_user_message_at < ?) \
    THEN ? ELSE last_user_message_at END \
    WHERE id = ? RETURNING next_seq, last_user_message_at, customer_turns";

/// The turn gate's one statement on the session row: creates the session on its first turn,
/// else takes its row lock (PostgreSQL's ON CONFLICT DO UPDATE locks the row; SQLite runs under
/// the single-writer lock), applies the given fields, touches `updated_at`, adds the bind
/// `next_seq` (1 takes the next sequence number, 0 only locks), and for a customer's turn moves
/// `last_user_message_at` forward and adds the bind `customer_turns` (1, else 0).
struct OpenTurnSql;
const OPEN_TURN_SQL: &str = concat!(
    "INSERT INTO sessions (id, channel, channel_ref, user_id, status, next_seq, created_at, \
       updated_at, last_user_message_at, customer_turns) \
     VALUES (?, ?, COALESCE(?, ?), ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (id) DO UPDATE SET \
       channel = COALESCE(excluded.channel, sessions.channel), \
       channel_ref = COALESCE(?, sessions.channel_ref), \
       user_id = COALESCE(excluded.user_id, sessions.user_id), \
       next_seq = sessions.next_seq + excluded.next_seq, \
       customer_turns = sessions.customer_turns + excluded.customer_turns, \
       updated_at = excluded.updated_at, \
       last_user_message_at = CASE WHEN excluded.last_user_message_at IS NOT NULL AND \
           (sessions.last_user_message_at IS NULL \
            OR sessions.last_user_message_at < excluded.last_user_message_at) \
         THEN excluded.last_user_message_at ELSE sessions.last_user_message_at END \
     RETURNING ",
    session_columns!()
);

/// PostgreSQL only: the common turns of a group commit (`db/batch.rs`), all in one statement,
/// which commits on its own (one round trip and one commit for the whole group, instead of one
/// each). The turns come as arrays, one element per turn, at most one turn per session. Each
/// session upsert applies only when its turn changes no status (`kept` lists, comma-wrapped, the
/// statuses the turn leaves as they are, from the state machine's [`transition`]) and repeats no
/// caller id (the `WHERE` of `DO UPDATE`, on the row as locked); a turn whose upsert did not
/// apply wrote nothing, gets no row back, and its caller takes the full path. The rows are
/// locked in session id order, so two groups (two combiners, or two replicas) never wait on each
/// other in a cycle. A caller id recorded concurrently makes the message insert violate
/// `messages_external_id`, which undoes the whole statement: every turn of the group then takes
/// the full path, which finds the repeat.
struct TurnsAtOnceSql;
const TURNS_AT_ONCE_SQL: &str = concat!(
    "WITH i AS (SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], \
       ?::timestamp[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], \
       ?::text[], ?::timestamp[]) \
       AS t(sid, channel, channel_ref, user_id, wrote, kept, ext, msg_id, sender, content, \
            tool_calls, meta, at)), \
     s AS (INSERT INTO sessions (id, channel, channel_ref, user_id, status, next_seq, \
       created_at, updated_at, last_user_message_at, customer_turns) \
     SELECT sid, channel, COALESCE(channel_ref, sid), user_id, ?, 1, ?, ?, wrote, \
       CASE WHEN wrote IS NULL THEN 0 ELSE 1 END FROM i ORDER BY sid \
     ON CONFLICT (id) DO UPDATE SET \
       channel = COALESCE(excluded.channel, sessions.channel), \
       channel_ref = COALESCE((SELECT i.channel_ref FROM i WHERE i.sid = excluded.id), \
                              sessions.channel_ref), \
       user_id = COALESCE(excluded.user_id, sessions.user_id), \
       next_seq = sessions.next_seq + 1, \
       customer_turns = sessions.customer_turns + excluded.customer_turns, \
       updated_at = excluded.updated_at, \
       last_user_message_at = CASE WHEN excluded.last_user_message_at IS NOT NULL AND \
           (sessions.last_user_message_at IS NULL \
            OR sessions.last_user_message_at < excluded.last_user_message_at) \
         THEN excluded.last_user_message_at ELSE sessions.last_user_message_at END \
     WHERE EXISTS (SELECT 1 FROM i WHERE i.sid = excluded.id \
       AND strpos(i.kept, ',' || sessions.status || ',') > 0 \
       AND NOT EXISTS (SELECT 1 FROM messages \
                       WHERE messages.session_id = sessions.id AND messages.external_id = i.ext)) \
     RETURNING ",
    session_columns!(),
    "), m AS (INSERT INTO messages \
       (id, session_id, seq, sender, content, external_id, tool_calls, meta, at, recorded_at) \
     SELECT i.msg_id, s.id, s.next_seq, i.sender, i.content, i.ext, i.tool_calls, i.meta, i.at, ? \
     FROM s JOIN i ON i.sid = s.id) \
     SELECT ",
    session_columns!(),
    " FROM s"
);

struct InsertMessageSql;
const INSERT_MESSAGE_SQL: &str = "INSERT INTO messages \
    (id, session_id, seq, sender, content, external_id, tool_calls, meta, at, recorded_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// A turn to append.
#[derive(Clone, Debug)]
pub struct NewTurn {
    pub sender: Sender,
    pub content: String,
    pub external_id: Option<String>,
    pub at: Option<NaiveDateTime>,
    pub tool_calls: Option<String>,
    pub meta: Option<String>,
}

/// The session's status. A value this version does not know (written by a newer version, or
/// a corrupt row) is an error that is logged and answered 500, never read as some other
/// status: reading it as `closed` would silently end a customer's conversation.
pub fn status_of(s: &SessionRow) -> Result<SessionStatus, ApiError> {
    SessionStatus::parse(&s.status).ok_or_else(|| unknown_status("session", &s.id, &s.status))
}

/// The error for a stored status this version cannot read.
pub fn unknown_status(what: &str, id: &str, status: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!(
        "{what} {id:?} has status {status:?}, which this version of Baton does not know \
         (written by a newer version, or a corrupt row)"
    ))
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<SessionRow>, ApiError> {
    Ok(sessions::table.find(id).first(conn).optional()?)
}

/// Creates the session if it is new (a concurrent creator may win; that is fine).
pub fn ensure(
    conn: &mut DbConnection,
    id: &SessionId,
    fields: &SessionFields,
) -> Result<(), ApiError> {
    let at = now();
    let channel_ref = fields.channel_ref.as_deref().unwrap_or(id.as_str());
    Fixed::<EnsureSql>::new(
        ENSURE_SQL,
        &[
            Bind::Text(id.as_str()),
            Bind::OptText(fields.channel.as_deref()),
            Bind::Text(channel_ref),
            Bind::OptText(fields.user_id.as_deref()),
            Bind::Text(SessionStatus::Ai.as_str()),
            Bind::Time(at),
            Bind::Time(at),
        ],
    )
    .execute(conn)?;
    Ok(())
}

/// Locks the session row for the rest of the transaction, applying any given fields.
pub fn lock(
    conn: &mut DbConnection,
    id: &str,
    fields: &SessionFields,
) -> Result<Option<SessionRow>, ApiError> {
    Ok(Fixed::<LockSql, sessions::SqlType>::new(
        LOCK_SQL,
        &[
            Bind::Time(now()),
            Bind::OptText(fields.channel.as_deref()),
            Bind::OptText(fields.channel_ref.as_deref()),
            Bind::OptText(fields.user_id.as_deref()),
            Bind::Text(id),
        ],
    )
    .get_result(conn)
    .optional()?)
}

/// Locks an existing session or answers 404.
pub fn lock_existing(conn: &mut DbConnection, id: &str) -> Result<SessionRow, ApiError> {
    lock(conn, id, &SessionFields::default())?
        .ok_or_else(|| ApiError::not_found(format!("no session {id:?}")))
}

/// Writes a new status (and holder / open takeover) to a locked session.
pub fn set_state(
    conn: &mut DbConnection,
    s: &mut SessionRow,
    status: SessionStatus,
    assigned_to: Option<String>,
    open_takeover_id: Option<String>,
) -> Result<(), ApiError> {
    Fixed::<SetStateSql>::new(
        SET_STATE_SQL,
        &[
            Bind::Text(status.as_str()),
            Bind::OptText(assigned_to.as_deref()),
            Bind::OptText(open_takeover_id.as_deref()),
            Bind::Text(&s.id),
        ],
    )
    .execute(conn)?;
    s.status = status.as_str().into();
    s.assigned_to = assigned_to;
    s.open_takeover_id = open_takeover_id;
    Ok(())
}

/// What a turn from this sender means to the state machine.
fn turn_event(sender: &Sender) -> SessionEvent {
    match sender {
        Sender::User => SessionEvent::UserMessage,
        Sender::Ai => SessionEvent::AiMessage,
        Sender::System | Sender::Human(_) => SessionEvent::SystemMessage,
        Sender::Staff(_) => SessionEvent::StaffMessage,
    }
}

/// When the customer wrote, for a user turn (as the channel reported it, never later than
/// `recorded_at`): the WhatsApp reply window counts from here. `None` for other senders.
fn customer_wrote(turn: &NewTurn, recorded_at: NaiveDateTime) -> Option<NaiveDateTime> {
    (turn.sender == Sender::User).then(|| turn.at.unwrap_or(recorded_at).min(recorded_at))
}

/// Appends a turn to a locked session with the next sequence number.
pub fn append(
    conn: &mut DbConnection,
    s: &mut SessionRow,
    turn: NewTurn,
) -> Result<MessageRow, ApiError> {
    let recorded_at = now();
    let wrote = customer_wrote(&turn, recorded_at);
    let (seq, last_user, customer_turns): (i64, Option<NaiveDateTime>, i64) =
        Fixed::<TakeSeqSql, (BigInt, Nullable<Timestamp>, BigInt)>::new(
            TAKE_SEQ_SQL,
            &[
                Bind::OptTime(wrote),
                Bind::OptTime(wrote),
                Bind::OptTime(wrote),
                Bind::OptTime(wrote),
                Bind::Text(&s.id),
            ],
        )
        .get_result(conn)?;
    s.next_seq = seq;
    s.last_user_message_at = last_user;
    s.customer_turns = customer_turns;
    insert_message(conn, &s.id, seq, turn, recorded_at)
}

/// The stored form of a turn, under a new id.
fn message_row(
    session_id: &str,
    seq: i64,
    turn: NewTurn,
    recorded_at: NaiveDateTime,
) -> MessageRow {
    MessageRow {
        id: MessageId::new().to_string(),
        session_id: session_id.to_string(),
        seq,
        sender: turn.sender.as_string(),
        content: turn.content,
        external_id: turn.external_id,
        tool_calls: turn.tool_calls,
        meta: turn.meta,
        at: turn.at.unwrap_or(recorded_at),
        recorded_at,
    }
}

/// Inserts a turn with its sequence number (taken from the locked session row).
fn insert_message(
    conn: &mut DbConnection,
    session_id: &str,
    seq: i64,
    turn: NewTurn,
    recorded_at: NaiveDateTime,
) -> Result<MessageRow, ApiError> {
    let row = message_row(session_id, seq, turn, recorded_at);
    Fixed::<InsertMessageSql>::new(
        INSERT_MESSAGE_SQL,
        &[
            Bind::Text(&row.id),
            Bind::Text(&row.session_id),
            Bind::Int(row.seq),
            Bind::Text(&row.sender),
            Bind::Text(&row.content),
            Bind::OptText(row.external_id.as_deref()),
            Bind::OptText(row.tool_calls.as_deref()),
            Bind::OptText(row.meta.as_deref()),
            Bind::Time(row.at),
            Bind::Time(row.recorded_at),
        ],
    )
    .execute(conn)?;
    Ok(row)
}

pub fn find_by_external_id(
    conn: &mut DbConnection,
    session_id: &str,
    external_id: &str,
) -> Result<Option<MessageRow>, ApiError> {
    Ok(messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::external_id.eq(external_id))
        .first(conn)
        .optional()?)
}

/// The result of the turn gate.
pub struct TurnOutcome {
    pub session: SessionRow,
    pub message: MessageRow,
    pub duplicate: bool,
}

/// Maps a refused transition to the error the client sees.
pub fn refusal(r: Refusal, s: &SessionRow) -> ApiError {
    match r {
        Refusal::AiWhileHuman => ApiError::new(
            Kind::AiTurnRefused,
            format!(
                "session {:?} is owned by a person (status {}{}); the AI must not reply until it is handed back",
                s.id,
                s.status,
                s.assigned_to
                    .as_deref()
                    .map(|a| format!(", held by {a}"))
                    .unwrap_or_default()
            ),
        ),
        Refusal::AlreadyClaimed => ApiError::already_claimed(s.assigned_to.as_deref().unwrap_or("another reviewer")),
        Refusal::TakeoverAlreadyOpen => ApiError::conflict(format!("session {:?} already has an open takeover", s.id)),
        Refusal::NoOpenTakeover => ApiError::conflict(format!(
            "session {:?} has no open takeover (status {})",
            s.id, s.status
        )),
        Refusal::NotClaimed => ApiError::conflict(format!("session {:?} is not held by anyone", s.id)),
    }
}

/// The turn gate: records a turn and answers who owns the next one.
///
/// The common turn (no caller `id`) costs two statements: one upsert that creates or locks the
/// session row, applies the fields and takes the sequence number ([`OPEN_TURN_SQL`]), and the
/// message insert. A turn with the caller's `id` may be a repeat, so it locks the row without
/// taking a number, looks for the id, and only then appends: a repeat leaves no gap.
pub fn record_turn(
    conn: &mut DbConnection,
    id: &SessionId,
    fields: &SessionFields,
    turn: NewTurn,
    actor: &str,
) -> Result<TurnOutcome, ApiError> {
    if matches!(turn.sender, Sender::Staff(_)) {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a staff turn is recorded by db::staff::record_turn, which opens its quiet time"
        )));
    }
    let recorded_at = now();
    let dedupe = turn.external_id.is_some();
    let wrote = customer_wrote(&turn, recorded_at).filter(|_| !dedupe);
    let channel_ref = fields.channel_ref.as_deref();
    let mut s: SessionRow = Fixed::<OpenTurnSql, sessions::SqlType>::new(
        OPEN_TURN_SQL,
        &[
            Bind::Text(id.as_str()),
            Bind::OptText(fields.channel.as_deref()),
            Bind::OptText(channel_ref),
            Bind::Text(id.as_str()),
            Bind::OptText(fields.user_id.as_deref()),
            Bind::Text(SessionStatus::Ai.as_str()),
            Bind::Int(if dedupe { 0 } else { 1 }),
            Bind::Time(recorded_at),
            Bind::Time(recorded_at),
            Bind::OptTime(wrote),
            Bind::Int(i64::from(wrote.is_some())),
            Bind::OptText(channel_ref),
        ],
    )
    .get_result(conn)?;
    if let Some(ext) = &turn.external_id {
        if let Some(existing) = find_by_external_id(conn, &s.id, ext)? {
            return Ok(TurnOutcome {
                session: s,
                message: existing,
                duplicate: true,
            });
        }
    }
    let from = status_of(&s)?;
    let event = turn_event(&turn.sender);
    // A refusal rolls the transaction back, sequence number included.
    let to = transition(from, event).map_err(|r| refusal(r, &s))?;
    if to != from {
        let assigned = if to.owner() == from.owner() {
            s.assigned_to.clone()
        } else {
            None
        };
        let open = s.open_takeover_id.clone();
        set_state(conn, &mut s, to, assigned, open)?;
        audit::record(
            conn,
            audit::Entry {
                actor,
                action: "session.reopened",
                session_id: Some(&s.id),
                from_status: Some(from.as_str()),
                to_status: Some(to.as_str()),
                ..Default::default()
            },
        )?;
    }
    let message = if dedupe {
        append(conn, &mut s, turn)?
    } else {
        let seq = s.next_seq;
        insert_message(conn, &s.id, seq, turn, recorded_at)?
    };
    Ok(TurnOutcome {
        session: s,
        message,
        duplicate: false,
    })
}

/// A turn waiting for the turn gate's group commit on PostgreSQL (`db/batch.rs`).
#[derive(Clone, Debug)]
pub struct PendingTurn {
    pub id: SessionId,
    pub fields: SessionFields,
    pub turn: NewTurn,
}

/// The group commit's statement ([`TURNS_AT_ONCE_SQL`]) with its array binds.
struct TurnsAtOnce<'a> {
    sid: Vec<&'a str>,
    channel: Vec<Option<&'a str>>,
    channel_ref: Vec<Option<&'a str>>,
    user_id: Vec<Option<&'a str>>,
    wrote: Vec<Option<NaiveDateTime>>,
    kept: Vec<String>,
    ext: Vec<Option<&'a str>>,
    msg_id: Vec<String>,
    sender: Vec<String>,
    content: Vec<&'a str>,
    tool_calls: Vec<Option<&'a str>>,
    meta: Vec<Option<&'a str>>,
    at: Vec<NaiveDateTime>,
    recorded_at: NaiveDateTime,
}

impl diesel::query_builder::QueryId for TurnsAtOnce<'_> {
    type QueryId = TurnsAtOnceSql;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for TurnsAtOnce<'_> {
    type SqlType = sessions::SqlType;
}

impl RunQueryDsl<diesel::PgConnection> for TurnsAtOnce<'_> {}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for TurnsAtOnce<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, Text};
        type OptText = Nullable<Text>;
        super::fixed::walk_marked(
            TURNS_AT_ONCE_SQL,
            "TURNS_AT_ONCE_SQL",
            &mut out,
            |k, out| {
                match k {
                    0 => out.push_bind_param::<Array<Text>, _>(&self.sid)?,
                    1 => out.push_bind_param::<Array<OptText>, _>(&self.channel)?,
                    2 => out.push_bind_param::<Array<OptText>, _>(&self.channel_ref)?,
                    3 => out.push_bind_param::<Array<OptText>, _>(&self.user_id)?,
                    4 => out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&self.wrote)?,
                    5 => out.push_bind_param::<Array<Text>, _>(&self.kept)?,
                    6 => out.push_bind_param::<Array<OptText>, _>(&self.ext)?,
                    7 => out.push_bind_param::<Array<Text>, _>(&self.msg_id)?,
                    8 => out.push_bind_param::<Array<Text>, _>(&self.sender)?,
                    9 => out.push_bind_param::<Array<Text>, _>(&self.content)?,
                    10 => out.push_bind_param::<Array<OptText>, _>(&self.tool_calls)?,
                    11 => out.push_bind_param::<Array<OptText>, _>(&self.meta)?,
                    12 => out.push_bind_param::<Array<Timestamp>, _>(&self.at)?,
                    13 => out.push_bind_param::<Text, _>(SessionStatus::Ai.as_str())?,
                    14..=16 => out.push_bind_param::<Timestamp, _>(&self.recorded_at)?,
                    _ => return Ok(false),
                }
                Ok(true)
            },
        )
    }
}

/// The turn gate's group commit on PostgreSQL: records these turns (at most one per session,
/// none from staff) in one statement that commits on its own ([`TURNS_AT_ONCE_SQL`]). For each
/// turn, in order, its outcome, or `None` when nothing was written for it and it needs the full
/// path (a new status, a refusal, a repeated id). An error means the statement did not apply at
/// all, or (a lost connection) that it is unknown whether it did.
pub fn record_turns_at_once(
    conn: &mut diesel::PgConnection,
    turns: &[&PendingTurn],
) -> QueryResult<Vec<Option<TurnOutcome>>> {
    let recorded_at = now();
    let n = turns.len();
    let mut q = TurnsAtOnce {
        sid: Vec::with_capacity(n),
        channel: Vec::with_capacity(n),
        channel_ref: Vec::with_capacity(n),
        user_id: Vec::with_capacity(n),
        wrote: Vec::with_capacity(n),
        kept: Vec::with_capacity(n),
        ext: Vec::with_capacity(n),
        msg_id: Vec::with_capacity(n),
        sender: Vec::with_capacity(n),
        content: Vec::with_capacity(n),
        tool_calls: Vec::with_capacity(n),
        meta: Vec::with_capacity(n),
        at: Vec::with_capacity(n),
        recorded_at,
    };
    for p in turns {
        let event = turn_event(&p.turn.sender);
        // The statuses this turn leaves as they are, as the state machine says.
        let kept: String = SessionStatus::ALL
            .into_iter()
            .filter(|s| transition(*s, event) == Ok(*s))
            .map(|s| format!(",{}", s.as_str()))
            .collect();
        q.sid.push(p.id.as_str());
        q.channel.push(p.fields.channel.as_deref());
        q.channel_ref.push(p.fields.channel_ref.as_deref());
        q.user_id.push(p.fields.user_id.as_deref());
        q.wrote.push(customer_wrote(&p.turn, recorded_at));
        q.kept.push(format!("{kept},"));
        q.ext.push(p.turn.external_id.as_deref());
        q.msg_id.push(MessageId::new().to_string());
        q.sender.push(p.turn.sender.as_string());
        q.content.push(&p.turn.content);
        q.tool_calls.push(p.turn.tool_calls.as_deref());
        q.meta.push(p.turn.meta.as_deref());
        q.at.push(p.turn.at.unwrap_or(recorded_at));
    }
    let (msg_ids, ats) = (q.msg_id.clone(), q.at.clone());
    let mut written: std::collections::HashMap<String, SessionRow> = q
        .load::<SessionRow>(conn)?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    Ok(turns
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let session = written.remove(p.id.as_str())?;
            let message = MessageRow {
                id: msg_ids[k].clone(),
                session_id: session.id.clone(),
                seq: session.next_seq,
                sender: p.turn.sender.as_string(),
                content: p.turn.content.clone(),
                external_id: p.turn.external_id.clone(),
                tool_calls: p.turn.tool_calls.clone(),
                meta: p.turn.meta.clone(),
                at: ats[k],
                recorded_at,
            };
            Some(TurnOutcome {
                session,
                message,
                duplicate: false,
            })
        })
        .collect())
}

/// One page of history after `after`, oldest first.
pub fn page(
    conn: &mut DbConnection,
    session_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, ApiError> {
    Ok(messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::seq.gt(after))
        .order(messages::seq.asc())
        .limit(limit)
        .load(conn)?)
}

/// The last message of a session.
pub fn last_message(
    conn: &mut DbConnection,
    session_id: &str,
) -> Result<Option<MessageRow>, ApiError> {
    Ok(messages::table
        .filter(messages::session_id.eq(session_id))
        .order(messages::seq.desc())
        .first(conn)
        .optional()?)
}

/// The last message of each of these sessions, in one query: the message whose sequence number
/// is its session's `next_seq` (both are written in the same transaction), found through the
/// primary key and the `(session_id, seq)` index.
pub fn last_messages(
    conn: &mut DbConnection,
    session_ids: &[&str],
) -> Result<std::collections::HashMap<String, MessageRow>, ApiError> {
    if session_ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<MessageRow> = messages::table
        .inner_join(
            sessions::table.on(sessions::id
                .eq(messages::session_id)
                .and(sessions::next_seq.eq(messages::seq))),
        )
        .filter(sessions::id.eq_any(session_ids))
        .select(messages::all_columns)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|m| (m.session_id.clone(), m))
        .collect())
}

/// AI-owned or handed-back sessions untouched for `idle`.
pub fn idle_candidates(
    conn: &mut DbConnection,
    idle: std::time::Duration,
    limit: i64,
) -> Result<Vec<String>, ApiError> {
    let before = now() - chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::hours(24));
    let q = sessions::table
        .filter(sessions::status.eq_any([
            SessionStatus::Ai.as_str(),
            SessionStatus::HandedBack.as_str(),
        ]))
        .filter(sessions::updated_at.le(before))
        .select(sessions::id)
        .limit(limit);
    Ok(match conn {
        // PostgreSQL indexes the minute, not `updated_at` (so turns update the row in place):
        // `active_minute <= before` bounds the index range, `updated_at` decides.
        DbConnection::Postgresql(c) => q
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("active_minute <= ")
                    .bind::<diesel::sql_types::Timestamp, _>(before),
            )
            .load(c)?,
        DbConnection::Sqlite(c) => q.load(c)?,
    })
}

/// Closes a session idle for `idle` (a new user turn opens it again as `ai`).
pub fn close_if_idle(
    conn: &mut DbConnection,
    id: &str,
    idle: std::time::Duration,
) -> Result<bool, ApiError> {
    let before = now() - chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::hours(24));
    // Read before locking: the lock itself touches updated_at.
    let Some(current) = get(conn, id)? else {
        return Ok(false);
    };
    if current.updated_at > before {
        return Ok(false);
    }
    let mut s = lock_existing(conn, id)?;
    let from = status_of(&s)?;
    if !matches!(from, SessionStatus::Ai | SessionStatus::HandedBack) {
        return Ok(false);
    }
    let to = transition(from, SessionEvent::Closed).map_err(|r| refusal(r, &s))?;
    set_state(conn, &mut s, to, None, None)?;
    audit::record(
        conn,
        audit::Entry {
            actor: "timer",
            action: "session.closed",
            session_id: Some(&s.id),
            from_status: Some(from.as_str()),
            to_status: Some(to.as_str()),
            detail: Some(serde_json::json!({"reason": "idle"})),
            ..Default::default()
        },
    )?;
    let ev = crate::domain::event::CallbackEvent::new(
        crate::domain::event::EventType::SessionClosed,
        &s.id,
        s.channel.clone(),
        &s.channel_ref,
        None,
    );
    crate::db::outbox::enqueue(conn, &ev, None, None)?;
    Ok(true)
}

pub use crate::domain::visibility::WHATSAPP_WINDOW_HOURS;

/// When the session's reply window closes, for channels that have one (the rule is
/// `domain::visibility::reply_window_closes_at`).
pub fn reply_window_closes_at(s: &SessionRow) -> Option<NaiveDateTime> {
    crate::domain::visibility::reply_window_closes_at(
        s.channel.as_deref(),
        s.last_user_message_at,
        s.created_at,
    )
}

/// `Some(closing time)` when the window has closed at `at`.
pub fn reply_window_closed(s: &SessionRow, at: NaiveDateTime) -> Option<NaiveDateTime> {
    reply_window_closes_at(s).filter(|closes| *closes <= at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_returning_lists_name_the_session_columns_in_order() {
        // The schema's column order, as diesel itself writes it in a SELECT.
        let select = diesel::debug_query::<diesel::sqlite::Sqlite, _>(
            &sessions::table.select(sessions::all_columns),
        )
        .to_string();
        let schema: Vec<String> = select
            .trim_start_matches("SELECT ")
            .split(" FROM")
            .next()
            .unwrap()
            .split(", ")
            .map(|c| c.rsplit('.').next().unwrap().trim_matches('`').to_string())
            .collect();
        let listed: Vec<&str> = session_columns!().split(',').map(str::trim).collect();
        assert_eq!(listed, schema, "{select}");
        for sql in [LOCK_SQL, OPEN_TURN_SQL] {
            assert!(sql.ends_with(session_columns!()), "{sql}");
        }
    }
}
