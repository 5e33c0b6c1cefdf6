//! Takeovers: the request, the reviewer's actions on it (claim, reply, release, transfer,
//! hand back, close), and the queue. Each action locks the session row first, asks the state
//! machine, then writes the new state, the audit entry and the outbound callback in one
//! transaction.

use chrono::Utc;
use diesel::prelude::*;

use super::models::{NoteRow, SessionRow, TakeoverRow};
use super::schema::{deliveries, messages, notes, takeovers};
use super::sessions::{self, status_of, NewTurn, SessionFields};
use super::{accounts, audit, now, DbConnection};
use crate::auth::{Caller, ReviewerAuth};
use crate::delivery::event::{CallbackEvent, CallbackMessage, EventType, ReviewerRef};
use crate::delivery::outbox::{self, Destination};
use crate::domain::session::{transition, SessionEvent, SessionStatus};
use crate::domain::takeover::{new_history_items, TakeoverSpec};
use crate::domain::types::{Outcome, Sender, TakeoverId, TakeoverStatus};
use crate::error::{ApiError, Kind};

/// What a takeover request came to.
pub struct Requested {
    pub takeover: TakeoverRow,
    /// False when an open takeover (or the same idempotent request) was returned.
    pub created: bool,
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<TakeoverRow>, ApiError> {
    Ok(takeovers::table.find(id).first(conn).optional()?)
}

/// May this reviewer see and act on this takeover?
pub fn can_see(r: &ReviewerAuth, t: &TakeoverRow) -> bool {
    if r.is_admin {
        return true;
    }
    match (&t.assignee_team_id, &t.assignee_reviewer_id) {
        (None, None) => true,
        (team, reviewer) => {
            team.as_ref().is_some_and(|team| r.team_ids.contains(team))
                || reviewer.as_ref().is_some_and(|id| *id == r.id)
        }
    }
}

/// The newest takeover of a session (open or not).
pub fn latest_for_session(
    conn: &mut DbConnection,
    session_id: &str,
) -> Result<Option<TakeoverRow>, ApiError> {
    Ok(takeovers::table
        .filter(takeovers::session_id.eq(session_id))
        .order(takeovers::created_at.desc())
        .first(conn)
        .optional()?)
}

/// May this caller read this session?
pub fn can_read_session(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
) -> Result<bool, ApiError> {
    match caller {
        Caller::ApiKey(_) => Ok(true),
        Caller::Reviewer(r) if r.is_admin => Ok(true),
        Caller::Reviewer(r) => {
            Ok(latest_for_session(conn, session_id)?.is_some_and(|t| can_see(r, &t)))
        }
    }
}

fn event(kind: EventType, s: &SessionRow, t: &TakeoverRow) -> CallbackEvent {
    CallbackEvent {
        id: String::new(),
        event_type: kind,
        occurred_at: Utc::now(),
        session_id: s.id.clone(),
        channel: s.channel.clone(),
        channel_ref: s.channel_ref.clone(),
        takeover_id: Some(t.id.clone()),
        reviewer: None,
        message: None,
        text: None,
        summary: None,
        decision: None,
        edited: None,
        comment: None,
    }
}

fn reviewer_ref(r: &ReviewerAuth) -> ReviewerRef {
    ReviewerRef {
        name: r.name.clone(),
        display_name: r.display_name.clone(),
    }
}

/// Queues an event for the takeover's integration (and matching subscriptions).
fn send(
    conn: &mut DbConnection,
    ev: &CallbackEvent,
    t: &TakeoverRow,
    message_id: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let url = if ev.event_type.is_handback() {
        t.handback_signal.as_deref().unwrap_or(&t.reply_webhook)
    } else {
        &t.reply_webhook
    };
    outbox::enqueue(
        conn,
        ev,
        Some(Destination {
            url,
            api_key_id: &t.api_key_id,
        }),
        message_id,
    )
}

/// The open takeover of a locked session, or 409.
fn open_takeover(conn: &mut DbConnection, s: &SessionRow) -> Result<TakeoverRow, ApiError> {
    let id = s.open_takeover_id.as_deref().ok_or_else(|| {
        ApiError::conflict(format!(
            "session {:?} has no open takeover (status {})",
            s.id, s.status
        ))
    })?;
    get(conn, id)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("open takeover {id} is missing")))
}

/// Locks a session a reviewer acts on; another team's session looks like a missing one.
fn lock_for_reviewer(
    conn: &mut DbConnection,
    session_id: &str,
    r: &ReviewerAuth,
) -> Result<(SessionRow, TakeoverRow), ApiError> {
    let s = sessions::lock_existing(conn, session_id)?;
    let t = match open_takeover(conn, &s) {
        Ok(t) => t,
        Err(e) => {
            let visible = latest_for_session(conn, session_id)?.is_some_and(|t| can_see(r, &t));
            return Err(if visible || r.is_admin {
                e
            } else {
                ApiError::not_found(format!("no session {session_id:?}"))
            });
        }
    };
    if !can_see(r, &t) {
        return Err(ApiError::not_found(format!("no session {session_id:?}")));
    }
    Ok((s, t))
}

/// Resolves `assignee` to (team id, reviewer id).
fn resolve_assignee(
    conn: &mut DbConnection,
    assignee: Option<&str>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let Some(name) = assignee else {
        return Ok((None, None));
    };
    if let Some(team) = accounts::find_team(conn, name)? {
        return Ok((Some(team.id), None));
    }
    if let Some(r) = accounts::find_reviewer(conn, name)? {
        return Ok((None, Some(r.id)));
    }
    Err(ApiError::field(
        "assignee",
        format!("{name:?} is neither a team nor a reviewer (create one with `baton reviewer add --team {name} ...`)"),
    ))
}

/// The takeover request: idempotent per key, one open takeover per session, history imported once.
pub fn request(
    conn: &mut DbConnection,
    api_key_id: &str,
    actor: &str,
    spec: TakeoverSpec,
    idempotency_key: Option<&str>,
    request_hash: &str,
) -> Result<Requested, ApiError> {
    if let Some(key) = idempotency_key {
        let earlier: Option<TakeoverRow> = takeovers::table
            .filter(takeovers::api_key_id.eq(api_key_id))
            .filter(takeovers::idempotency_key.eq(key))
            .first(conn)
            .optional()?;
        if let Some(t) = earlier {
            if t.request_hash.as_deref() != Some(request_hash) {
                return Err(ApiError::new(
                    Kind::IdempotencyMismatch,
                    format!(
                        "Idempotency-Key {key:?} was used for a different request; use a new key"
                    ),
                ));
            }
            return Ok(Requested {
                takeover: t,
                created: false,
            });
        }
    }
    let (team_id, reviewer_id) = resolve_assignee(conn, spec.assignee.as_deref())?;
    let fields = SessionFields {
        channel: spec.channel.clone(),
        channel_ref: spec.channel_ref.clone(),
        user_id: spec.user_id.clone(),
    };
    sessions::ensure(conn, &spec.session_id, &fields)?;
    let mut s = sessions::lock(conn, spec.session_id.as_str(), &fields)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("session vanished after creation")))?;

    import_history(conn, &mut s, &spec)?;

    let from = status_of(&s);
    let to = match transition(from, SessionEvent::TakeoverRequested) {
        Ok(to) => to,
        Err(_) => {
            let open = open_takeover(conn, &s)?;
            return Ok(Requested {
                takeover: open,
                created: false,
            });
        }
    };
    let at = now();
    let row = TakeoverRow {
        id: TakeoverId::new().to_string(),
        session_id: s.id.clone(),
        mode: spec.mode.as_str().into(),
        status: TakeoverStatus::Requested.as_str().into(),
        outcome: None,
        reason: spec.reason.as_str().into(),
        summary: spec.summary,
        priority: spec.priority,
        context: spec.context,
        assignee: spec.assignee,
        assignee_team_id: team_id,
        assignee_reviewer_id: reviewer_id,
        timeout_seconds: spec.timeout.as_secs(),
        expires_at: at + chrono::Duration::seconds(spec.timeout.as_secs()),
        reply_webhook: spec.reply_webhook.as_str().into(),
        handback_signal: spec.handback_signal.map(|u| u.as_str().to_string()),
        proposal: spec.proposal,
        decisions: spec
            .decisions
            .map(|d| serde_json::to_string(&d).unwrap_or_default()),
        api_key_id: api_key_id.into(),
        idempotency_key: idempotency_key.map(str::to_string),
        request_hash: Some(request_hash.to_string()),
        claimed_by: None,
        claimed_at: None,
        resolved_at: None,
        handback_summary: None,
        escalation_step: 0,
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(takeovers::table)
        .values(&row)
        .execute(conn)?;
    sessions::set_state(conn, &mut s, to, None, Some(row.id.clone()))?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "takeover.requested",
            session_id: Some(&s.id),
            takeover_id: Some(&row.id),
            from_status: Some(from.as_str()),
            to_status: Some(to.as_str()),
            detail: Some(
                serde_json::json!({"reason": row.reason, "assignee": row.assignee, "mode": row.mode}),
            ),
        },
    )?;
    Ok(Requested {
        takeover: row,
        created: true,
    })
}

fn import_history(
    conn: &mut DbConnection,
    s: &mut SessionRow,
    spec: &TakeoverSpec,
) -> Result<usize, ApiError> {
    if spec.history.is_empty() {
        return Ok(0);
    }
    let stored: Vec<(String, String, Option<String>)> = messages::table
        .filter(messages::session_id.eq(&s.id))
        .order(messages::seq.asc())
        .select((messages::sender, messages::content, messages::external_id))
        .load(conn)?;
    let fresh = new_history_items(&stored, &spec.history);
    for &i in &fresh {
        let item = &spec.history[i];
        sessions::append(
            conn,
            s,
            NewTurn {
                sender: item.sender.clone(),
                content: item.content.clone(),
                external_id: item.external_id.clone(),
                at: item.at,
                tool_calls: item.tool_calls.clone(),
                meta: item.meta.clone(),
            },
        )?;
    }
    Ok(fresh.len())
}

/// A reviewer claims a waiting conversation. Exactly one of concurrent claims wins.
pub fn claim(
    conn: &mut DbConnection,
    session_id: &str,
    r: &ReviewerAuth,
) -> Result<(SessionRow, TakeoverRow), ApiError> {
    let (mut s, t) = lock_for_reviewer(conn, session_id, r)?;
    let from = status_of(&s);
    match transition(from, SessionEvent::Claimed) {
        Ok(to) => {
            sessions::set_state(conn, &mut s, to, Some(r.name.clone()), Some(t.id.clone()))?;
            let at = now();
            diesel::update(takeovers::table.find(&t.id))
                .set((
                    takeovers::status.eq(TakeoverStatus::Claimed.as_str()),
                    takeovers::claimed_by.eq(Some(&r.name)),
                    takeovers::claimed_at.eq(Some(at)),
                    takeovers::updated_at.eq(at),
                ))
                .execute(conn)?;
            let t = get(conn, &t.id)?.unwrap_or(t);
            audit::record(
                conn,
                audit::Entry {
                    actor: &format!("reviewer:{}", r.name),
                    action: "takeover.claimed",
                    session_id: Some(&s.id),
                    takeover_id: Some(&t.id),
                    from_status: Some(from.as_str()),
                    to_status: Some(to.as_str()),
                    detail: None,
                },
            )?;
            let mut ev = event(EventType::TakeoverClaimed, &s, &t);
            ev.reviewer = Some(reviewer_ref(r));
            ev.text = Some(format!("{} joined the conversation", r.display_name));
            send(conn, &ev, &t, None)?;
            Ok((s, t))
        }
        Err(_) if s.assigned_to.as_deref() == Some(r.name.as_str()) => Ok((s, t)),
        Err(refused) => Err(sessions::refusal(refused, &s)),
    }
}

/// Fails unless the reviewer holds the conversation (admins may act on any).
fn require_holder(s: &SessionRow, r: &ReviewerAuth) -> Result<(), ApiError> {
    match (status_of(s), s.assigned_to.as_deref()) {
        (SessionStatus::HumanActive, Some(holder)) if holder == r.name => Ok(()),
        (SessionStatus::HumanActive, Some(_)) if r.is_admin => Ok(()),
        (SessionStatus::HumanActive, Some(holder)) => Err(ApiError::already_claimed(holder)),
        _ => Err(ApiError::conflict(format!(
            "you do not hold session {:?} (status {}); claim it first",
            s.id, s.status
        ))),
    }
}

/// A reviewer's reply: stored in the history and queued for `reply_webhook` in one transaction.
pub fn reply(
    conn: &mut DbConnection,
    session_id: &str,
    r: &ReviewerAuth,
    content: &str,
) -> Result<(super::models::MessageRow, String), ApiError> {
    let (mut s, t) = lock_for_reviewer(conn, session_id, r)?;
    require_holder(&s, r)?;
    let m = sessions::append(
        conn,
        &mut s,
        NewTurn {
            sender: Sender::Human(r.name.clone()),
            content: content.to_string(),
            external_id: None,
            at: None,
            tool_calls: None,
            meta: None,
        },
    )?;
    let mut ev = event(EventType::Reply, &s, &t);
    ev.reviewer = Some(reviewer_ref(r));
    ev.message = Some(CallbackMessage {
        id: m.id.clone(),
        seq: m.seq,
        content: m.content.clone(),
        prefixed_content: format!("[{}] {}", r.display_name, m.content),
    });
    let delivery = send(conn, &ev, &t, Some(&m.id))?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("reply was not queued")))?;
    Ok((m, delivery))
}

/// Puts a held conversation back in the queue.
pub fn release(
    conn: &mut DbConnection,
    session_id: &str,
    r: &ReviewerAuth,
) -> Result<SessionRow, ApiError> {
    let (mut s, t) = lock_for_reviewer(conn, session_id, r)?;
    require_holder(&s, r)?;
    let from = status_of(&s);
    let to = transition(from, SessionEvent::Released).map_err(|e| sessions::refusal(e, &s))?;
    sessions::set_state(conn, &mut s, to, None, Some(t.id.clone()))?;
    diesel::update(takeovers::table.find(&t.id))
        .set((
            takeovers::status.eq(TakeoverStatus::Requested.as_str()),
            takeovers::claimed_by.eq(None::<String>),
            takeovers::claimed_at.eq(None::<chrono::NaiveDateTime>),
            takeovers::updated_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            actor: &format!("reviewer:{}", r.name),
            action: "takeover.released",
            session_id: Some(&s.id),
            takeover_id: Some(&t.id),
            from_status: Some(from.as_str()),
            to_status: Some(to.as_str()),
            detail: None,
        },
    )?;
    let mut ev = event(EventType::TakeoverReleased, &s, &t);
    ev.reviewer = Some(reviewer_ref(r));
    // Released is for subscribers (dashboards); the customer's channel hears nothing.
    outbox::enqueue(conn, &ev, None, None)?;
    Ok(s)
}

/// Moves a conversation to another team or reviewer; it waits in their queue.
pub fn transfer(
    conn: &mut DbConnection,
    session_id: &str,
    r: &ReviewerAuth,
    to_name: &str,
    note: Option<&str>,
) -> Result<SessionRow, ApiError> {
    let (mut s, t) = lock_for_reviewer(conn, session_id, r)?;
    let from = status_of(&s);
    if from == SessionStatus::HumanActive {
        require_holder(&s, r)?;
    }
    let (team_id, reviewer_id) = resolve_assignee(conn, Some(to_name)).map_err(|_| {
        ApiError::field(
            "to",
            format!("{to_name:?} is neither a team nor a reviewer"),
        )
    })?;
    sessions::set_state(
        conn,
        &mut s,
        SessionStatus::HumanRequested,
        None,
        Some(t.id.clone()),
    )?;
    diesel::update(takeovers::table.find(&t.id))
        .set((
            takeovers::status.eq(TakeoverStatus::Requested.as_str()),
            takeovers::assignee.eq(Some(to_name)),
            takeovers::assignee_team_id.eq(team_id),
            takeovers::assignee_reviewer_id.eq(reviewer_id),
            takeovers::claimed_by.eq(None::<String>),
            takeovers::claimed_at.eq(None::<chrono::NaiveDateTime>),
            takeovers::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if let Some(text) = note.filter(|n| !n.trim().is_empty()) {
        add_note_row(conn, &s.id, Some(&t.id), &r.name, text)?;
    }
    audit::record(
        conn,
        audit::Entry {
            actor: &format!("reviewer:{}", r.name),
            action: "takeover.transferred",
            session_id: Some(&s.id),
            takeover_id: Some(&t.id),
            from_status: Some(from.as_str()),
            to_status: Some(SessionStatus::HumanRequested.as_str()),
            detail: Some(serde_json::json!({"to": to_name})),
        },
    )?;
    Ok(s)
}

/// Who is handing back, and the text the AI will read.
pub fn handback(
    conn: &mut DbConnection,
    session_id: &str,
    caller: &Caller,
    summary: Option<&str>,
) -> Result<SessionRow, ApiError> {
    let (mut s, t) = match caller {
        Caller::Reviewer(r) => {
            let (s, t) = lock_for_reviewer(conn, session_id, r)?;
            if status_of(&s) == SessionStatus::HumanActive {
                require_holder(&s, r)?;
            }
            (s, t)
        }
        Caller::ApiKey(_) => {
            let s = sessions::lock_existing(conn, session_id)?;
            let t = open_takeover(conn, &s)?;
            (s, t)
        }
    };
    let from = status_of(&s);
    let to = transition(from, SessionEvent::HandedBack).map_err(|e| sessions::refusal(e, &s))?;
    let summary = summary.map(str::trim).filter(|x| !x.is_empty());
    let reviewer = match caller {
        Caller::Reviewer(r) => Some(r),
        Caller::ApiKey(_) => None,
    };
    if let Some(text) = summary {
        let by = reviewer
            .map(|r| r.display_name.as_str())
            .unwrap_or("the integration");
        sessions::append(
            conn,
            &mut s,
            NewTurn {
                sender: Sender::System,
                content: format!("Handback summary from {by}: {text}"),
                external_id: None,
                at: None,
                tool_calls: None,
                meta: Some(
                    serde_json::json!({"kind": "handback_summary", "summary": text, "by": reviewer.map(|r| r.name.clone())})
                        .to_string(),
                ),
            },
        )?;
    }
    sessions::set_state(conn, &mut s, to, None, None)?;
    let at = now();
    diesel::update(takeovers::table.find(&t.id))
        .set((
            takeovers::status.eq(TakeoverStatus::Resolved.as_str()),
            takeovers::outcome.eq(Some(Outcome::HandedBack.as_str())),
            takeovers::resolved_at.eq(Some(at)),
            takeovers::handback_summary.eq(summary),
            takeovers::updated_at.eq(at),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            actor: &caller.actor(),
            action: "session.handed_back",
            session_id: Some(&s.id),
            takeover_id: Some(&t.id),
            from_status: Some(from.as_str()),
            to_status: Some(to.as_str()),
            detail: None,
        },
    )?;
    let mut ev = event(EventType::SessionHandedBack, &s, &t);
    ev.reviewer = reviewer.map(reviewer_ref);
    ev.summary = summary.map(str::to_string);
    ev.text = Some(match reviewer {
        Some(r) => format!("{} is handing you back to the assistant", r.display_name),
        None => "You are back with the assistant".to_string(),
    });
    send(conn, &ev, &t, None)?;
    Ok(s)
}

/// Closes a conversation (and its open takeover, if any).
pub fn close(
    conn: &mut DbConnection,
    session_id: &str,
    caller: &Caller,
    reason: Option<&str>,
) -> Result<SessionRow, ApiError> {
    let (mut s, t) = match caller {
        Caller::Reviewer(r) => {
            let (s, t) = lock_for_reviewer(conn, session_id, r)?;
            if status_of(&s) == SessionStatus::HumanActive {
                require_holder(&s, r)?;
            }
            (s, Some(t))
        }
        Caller::ApiKey(_) => {
            let s = sessions::lock_existing(conn, session_id)?;
            let t = match &s.open_takeover_id {
                Some(id) => get(conn, id)?,
                None => None,
            };
            (s, t)
        }
    };
    let from = status_of(&s);
    let to = transition(from, SessionEvent::Closed).map_err(|e| sessions::refusal(e, &s))?;
    sessions::set_state(conn, &mut s, to, None, None)?;
    if let Some(t) = &t {
        let at = now();
        diesel::update(takeovers::table.find(&t.id))
            .set((
                takeovers::status.eq(TakeoverStatus::Resolved.as_str()),
                takeovers::outcome.eq(Some(Outcome::Closed.as_str())),
                takeovers::resolved_at.eq(Some(at)),
                takeovers::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    audit::record(
        conn,
        audit::Entry {
            actor: &caller.actor(),
            action: "session.closed",
            session_id: Some(&s.id),
            takeover_id: t.as_ref().map(|t| t.id.as_str()),
            from_status: Some(from.as_str()),
            to_status: Some(to.as_str()),
            detail: reason.map(|r| serde_json::json!({"reason": r})),
        },
    )?;
    if let Some(t) = &t {
        let mut ev = event(EventType::SessionClosed, &s, t);
        if let Caller::Reviewer(r) = caller {
            ev.reviewer = Some(reviewer_ref(r));
        }
        send(conn, &ev, t, None)?;
    }
    Ok(s)
}

fn add_note_row(
    conn: &mut DbConnection,
    session_id: &str,
    takeover_id: Option<&str>,
    author: &str,
    content: &str,
) -> Result<NoteRow, ApiError> {
    let row = NoteRow {
        id: crate::domain::types::RecordId::new().to_string(),
        session_id: session_id.to_string(),
        takeover_id: takeover_id.map(str::to_string),
        author: author.to_string(),
        content: content.to_string(),
        created_at: now(),
    };
    diesel::insert_into(notes::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// An internal note: kept with the session, never sent to the customer or shown to the AI.
pub fn add_note(
    conn: &mut DbConnection,
    session_id: &str,
    r: &ReviewerAuth,
    content: &str,
) -> Result<NoteRow, ApiError> {
    let (s, t) = lock_for_reviewer(conn, session_id, r)?;
    add_note_row(conn, &s.id, Some(&t.id), &r.name, content)
}

pub fn list_notes(conn: &mut DbConnection, session_id: &str) -> Result<Vec<NoteRow>, ApiError> {
    Ok(notes::table
        .filter(notes::session_id.eq(session_id))
        .order(notes::created_at.asc())
        .load(conn)?)
}

/// Minimum gap between two typing callbacks of one session.
const TYPING_GAP_SECS: i64 = 3;

/// Forwards "the reviewer is typing", at most once per 3 s per session. Returns whether a
/// callback was queued.
pub fn typing(
    conn: &mut DbConnection,
    session_id: &str,
    r: &ReviewerAuth,
) -> Result<bool, ApiError> {
    let (s, t) = lock_for_reviewer(conn, session_id, r)?;
    require_holder(&s, r)?;
    let since = now() - chrono::Duration::seconds(TYPING_GAP_SECS);
    let recent: i64 = deliveries::table
        .filter(deliveries::session_id.eq(&s.id))
        .filter(deliveries::event_type.eq(EventType::Typing.as_str()))
        .filter(deliveries::created_at.gt(since))
        .count()
        .get_result(conn)?;
    if recent > 0 {
        return Ok(false);
    }
    let mut ev = event(EventType::Typing, &s, &t);
    ev.reviewer = Some(reviewer_ref(r));
    send(conn, &ev, &t, None)?;
    Ok(true)
}

/// Which part of the queue to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum InboxView {
    /// Waiting for a reviewer.
    #[default]
    Waiting,
    /// Held by me.
    Mine,
    /// Everything open that I may see.
    Team,
    /// Handed back to the AI in the last 24 hours, newest first.
    HandedBack,
}

/// How many takeovers each view of the queue holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct QueueCounts {
    pub waiting: i64,
    pub mine: i64,
    pub team: i64,
    pub handed_back: i64,
}

/// The size of every view of the reviewer's queue.
pub fn inbox_counts(conn: &mut DbConnection, r: &ReviewerAuth) -> Result<QueueCounts, ApiError> {
    let open = inbox(conn, r, InboxView::Team, 10_000)?;
    Ok(QueueCounts {
        waiting: open
            .iter()
            .filter(|(t, _)| TakeoverStatus::parse(&t.status) == Some(TakeoverStatus::Requested))
            .count() as i64,
        mine: open
            .iter()
            .filter(|(t, _)| t.claimed_by.as_deref() == Some(r.name.as_str()))
            .count() as i64,
        team: open.len() as i64,
        handed_back: inbox(conn, r, InboxView::HandedBack, 10_000)?.len() as i64,
    })
}

/// Open takeovers visible to the reviewer, highest priority first, then longest waiting.
pub fn inbox(
    conn: &mut DbConnection,
    r: &ReviewerAuth,
    view: InboxView,
    limit: i64,
) -> Result<Vec<(TakeoverRow, SessionRow)>, ApiError> {
    use super::schema::sessions;
    let mut q = takeovers::table.inner_join(sessions::table).into_boxed();
    q = if view == InboxView::HandedBack {
        q.filter(takeovers::status.eq(TakeoverStatus::Resolved.as_str()))
            .filter(takeovers::outcome.eq(Outcome::HandedBack.as_str()))
            .filter(takeovers::resolved_at.gt(now() - chrono::Duration::hours(24)))
    } else {
        q.filter(takeovers::status.ne(TakeoverStatus::Resolved.as_str()))
    };
    if !r.is_admin {
        q = q.filter(
            takeovers::assignee_team_id
                .eq_any(r.team_ids.clone())
                .or(takeovers::assignee_reviewer_id.eq(r.id.clone()))
                .or(takeovers::assignee_team_id
                    .is_null()
                    .and(takeovers::assignee_reviewer_id.is_null())),
        );
    }
    q = match view {
        InboxView::Waiting => q.filter(takeovers::status.eq(TakeoverStatus::Requested.as_str())),
        InboxView::Mine => q.filter(takeovers::claimed_by.eq(r.name.clone())),
        InboxView::Team => q,
        InboxView::HandedBack => q.order(takeovers::resolved_at.desc()),
    };
    Ok(
        q.then_order_by((takeovers::priority.desc(), takeovers::created_at.asc()))
            .limit(limit)
            .select((takeovers::all_columns, sessions::all_columns))
            .load(conn)?,
    )
}
