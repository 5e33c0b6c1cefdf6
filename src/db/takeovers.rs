//! Takeovers: the request, the reviewer's actions on it (claim, reply, release, transfer,
//! hand back, close), the timers' steps and approvals (the queue's views are `db::queue`). Each action locks the session row first, asks the state
//! machine, then writes the new state, the audit entry and the outbound callback in one
//! transaction.

use diesel::prelude::*;

use crate::domain::types::DeliveryStatus;

use super::models::{NoteRow, SessionRow, TakeoverRow};
use super::schema::{deliveries, messages, notes, reviewers, takeovers};
use super::sessions::{self, status_of, NewTurn, SessionFields};
use super::{accounts, audit, escalation, now, routing, texts, DbConnection};
use crate::db::outbox::{self, Destination};
use crate::domain::credentials::{Caller, ReviewerAuth};
use crate::domain::effects::{Audience, Callback, Effects};
use crate::domain::escalation::{self as escalation_rules, FallbackDefaults};
use crate::domain::event::{CallbackEvent, CallbackMessage, EventType, ReviewerRef};
use crate::domain::hours::OffHoursAction;
use crate::domain::memory::{self, StretchTurn};
use crate::domain::notices;
use crate::domain::session::{transition, SessionEvent, SessionStatus};
use crate::domain::takeover::{new_history_items, TakeoverSpec};
use crate::domain::texts::TextKey;
use crate::domain::types::{Mode, Outcome, Sender, TakeoverId, TakeoverStatus};
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

/// May this reviewer see and act on this takeover? (`domain::visibility::can_see`)
pub fn can_see(r: &ReviewerAuth, t: &TakeoverRow) -> bool {
    crate::domain::visibility::can_see(
        r,
        t.assignee_team_id.as_deref(),
        t.assignee_reviewer_id.as_deref(),
    )
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

/// [`latest_for_session`] for several sessions in one query: each session's latest takeover,
/// by session id (sessions without one are absent).
pub fn latest_for_sessions(
    conn: &mut DbConnection,
    session_ids: &[String],
) -> Result<std::collections::HashMap<String, TakeoverRow>, ApiError> {
    let rows: Vec<TakeoverRow> = takeovers::table
        .filter(takeovers::session_id.eq_any(session_ids))
        .order(takeovers::created_at.desc())
        .load(conn)?;
    let mut latest = std::collections::HashMap::new();
    for row in rows {
        latest.entry(row.session_id.clone()).or_insert(row);
    }
    Ok(latest)
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

pub fn event(kind: EventType, s: &SessionRow, t: &TakeoverRow) -> CallbackEvent {
    CallbackEvent::new(
        kind,
        &s.id,
        s.channel.clone(),
        &s.channel_ref,
        Some(t.id.clone()),
    )
}

/// The audit trail's name of a reviewer.
fn reviewer_actor(r: &ReviewerAuth) -> String {
    format!("reviewer:{}", r.name)
}

pub fn reviewer_ref(r: &ReviewerAuth) -> ReviewerRef {
    ReviewerRef {
        name: r.name.clone(),
        display_name: r.display_name.clone(),
    }
}

/// Queues an event for the takeover's integration (and matching subscriptions), and shows a
/// web chat visitor its sentence for the customer.
pub fn send(
    conn: &mut DbConnection,
    ev: &CallbackEvent,
    t: &TakeoverRow,
    message_id: Option<&str>,
) -> Result<Option<String>, ApiError> {
    super::widgets::on_channel_event(conn, ev)?;
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

/// Writes what a step decided besides the session's state: its audit entry and its callback.
pub fn apply_effects(
    conn: &mut DbConnection,
    s: &SessionRow,
    t: Option<&TakeoverRow>,
    effects: Effects,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        audit::Entry {
            actor: &effects.actor,
            action: effects.action,
            session_id: Some(&s.id),
            takeover_id: t.map(|t| t.id.as_str()),
            from_status: Some(effects.from.as_str()),
            to_status: Some(effects.to.as_str()),
            detail: effects.detail,
        },
    )?;
    if let (Some(cb), Some(t)) = (effects.callback, t) {
        let mut ev = event(cb.event, s, t);
        ev.reviewer = cb.reviewer;
        ev.text = cb.text;
        ev.summary = cb.summary;
        ev.memory_messages = cb.memory_messages;
        if cb.assignee.is_some() {
            ev.assignee = cb.assignee;
        }
        match cb.audience {
            Audience::Channel => send(conn, &ev, t, None)?,
            Audience::Subscribers => outbox::enqueue(conn, &ev, None, None)?,
        };
    }
    Ok(())
}

/// The open takeover of a locked session, or 409.
pub fn open_takeover(conn: &mut DbConnection, s: &SessionRow) -> Result<TakeoverRow, ApiError> {
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

/// "Retry now" on a reviewer's reply whose delivery is failing or has failed: a parked one
/// is queued again with a fresh schedule (same webhook-id); a pending one waiting for its next
/// try goes at once. Any reviewer who can see the conversation may, held or not (the person who
/// wrote it may have handed it back since).
pub fn retry_reply(
    conn: &mut DbConnection,
    session_id: &str,
    message_id: &str,
    r: &ReviewerAuth,
) -> Result<super::models::DeliveryRow, ApiError> {
    let visible = latest_for_session(conn, session_id)?.is_some_and(|t| can_see(r, &t));
    if !visible && !r.is_admin {
        return Err(ApiError::not_found(format!("no session {session_id:?}")));
    }
    let Some(d) = outbox::reply_delivery(conn, session_id, message_id)? else {
        return Err(ApiError::not_found(format!(
            "no reply {message_id:?} in this conversation"
        )));
    };
    match DeliveryStatus::parse(&d.status) {
        Some(DeliveryStatus::Delivered) => Err(ApiError::conflict("this reply was delivered")),
        Some(DeliveryStatus::Parked) => outbox::redeliver(conn, d.position),
        _ if d.locked_until.is_some_and(|until| until > now()) => {
            Err(ApiError::conflict("this reply is being sent right now"))
        }
        _ => outbox::retry_now(conn, d.position),
    }
}

/// Resolves `assignee` to (team id, reviewer id).
pub fn resolve_assignee(
    conn: &mut DbConnection,
    field: &str,
    assignee: Option<&str>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let Some(name) = assignee else {
        return Ok((None, None));
    };
    if let Some(team) = accounts::find_team(conn, name)? {
        return Ok((Some(team.id), None));
    }
    match accounts::find_reviewer(conn, name)? {
        // A disabled reviewer cannot sign in: nobody would ever see the conversation.
        Some(r) if r.disabled_at.is_some() => Err(ApiError::field(
            field,
            format!("reviewer {name:?} is disabled; name a team or an enabled reviewer"),
        )),
        Some(r) => Ok((None, Some(r.id))),
        None => Err(ApiError::field(
            field,
            format!("{name:?} is neither a team nor a reviewer (create one with `baton reviewer add --team {name} ...`)"),
        )),
    }
}

/// The takeover request: idempotent per key, one open takeover per session, history imported once.
pub fn request(
    conn: &mut DbConnection,
    api_key_id: &str,
    actor: &str,
    spec: TakeoverSpec,
    idempotency_key: Option<&str>,
    request_hash: &str,
    public_base: &str,
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
    let (team_id, reviewer_id) = resolve_assignee(conn, "assignee", spec.assignee.as_deref())?;
    let policy_id = match (&spec.escalation_policy, &team_id) {
        (Some(name), _) => Some(
            escalation::find_policy(conn, name)?
                .ok_or_else(|| {
                    ApiError::field(
                        "escalation_policy",
                        format!("no escalation policy named {name:?}"),
                    )
                })?
                .id,
        ),
        (None, Some(team)) => escalation::policy_for_team(conn, team)?.map(|p| p.id),
        (None, None) => None,
    };
    let fields = SessionFields {
        channel: spec.channel.clone(),
        channel_ref: spec.channel_ref.clone(),
        user_id: spec.user_id.clone(),
    };
    sessions::ensure(conn, &spec.session_id, &fields)?;
    let mut s = sessions::lock(conn, spec.session_id.as_str(), &fields)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("session vanished after creation")))?;

    import_history(conn, &mut s, &spec)?;

    let from = status_of(&s)?;
    // An approval pauses nobody: the conversation keeps its owner and the turn gate is untouched.
    let to = if spec.mode == Mode::Approval {
        from
    } else {
        match transition(from, SessionEvent::TakeoverRequested) {
            Ok(to) => to,
            Err(_) => {
                let open = open_takeover(conn, &s)?;
                return Ok(Requested {
                    takeover: open,
                    created: false,
                });
            }
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
        escalation_policy_id: policy_id,
        default_decision: spec.default_decision,
        decision_payload: None,
        locale: spec.locale.map(|l| l.as_str().to_string()),
    };
    diesel::insert_into(takeovers::table)
        .values(&row)
        .execute(conn)?;
    if let Some(customer) = &spec.customer {
        super::customers::set(conn, &s.id, customer)?;
    }
    if spec.mode != Mode::Approval {
        sessions::set_state(conn, &mut s, to, None, Some(row.id.clone()))?;
    }
    // A web chat visitor is always told their place in the queue: the widget is their channel.
    let web_chat = super::widgets::widget_of_session(conn, &s.id)?.is_some();
    if (spec.queue_updates || web_chat) && spec.mode == Mode::Takeover {
        routing::watch(conn, &row.id)?;
    }
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
    if spec.mode == Mode::Takeover {
        let text = texts::say(conn, &row, TextKey::Connecting, &[])?;
        super::widgets::notice(conn, &s.id, "takeover.requested", &text, None)?;
    }
    if let Some(team) = &row.assignee_team_id {
        let text = notices::team_new_request(&row.mode, &row.reason, &s.id, s.channel.as_deref());
        let link = crate::domain::types::inbox_url(public_base, &s.id);
        escalation::notify_team(
            conn,
            team,
            "takeover_requested",
            &text,
            &s.id,
            &row.id,
            &link,
        )?;
    }
    let row = match off_hours(conn, &mut s, row, actor)? {
        Some(row) => row,
        None => return Err(ApiError::internal(anyhow::anyhow!("takeover vanished"))),
    };
    Ok(Requested {
        takeover: row,
        created: true,
    })
}

/// A live takeover requested while its team is closed: the customer is told at once when the
/// team opens (`takeover.off_hours` with the team's message), and the takeover either waits for
/// the opening, its timeout counted from then, or goes straight back to the AI.
fn off_hours(
    conn: &mut DbConnection,
    s: &mut SessionRow,
    t: TakeoverRow,
    actor: &str,
) -> Result<Option<TakeoverRow>, ApiError> {
    let (Some(team_id), Mode::Takeover) = (
        t.assignee_team_id.as_deref(),
        Mode::parse(&t.mode).unwrap_or_default(),
    ) else {
        return Ok(Some(t));
    };
    let Some(team) = routing::team_routing(conn, team_id)? else {
        return Ok(Some(t));
    };
    let Some(hours) = routing::hours_of(&team) else {
        return Ok(Some(t));
    };
    let at = now();
    let Some(opens_at) = routing::opens_at_if_closed(&team, at) else {
        return Ok(Some(t));
    };
    let who = texts::listener(conn, &t)?;
    let template = texts::template(
        conn,
        &who,
        TextKey::OffHours,
        Some(hours.off_hours_message()),
    )?;
    let opening = match opens_at {
        Some(o) => crate::domain::texts::describe_opening(
            who.lang.as_ref(),
            utc_of(o),
            utc_of(at),
            hours.zone(),
        ),
        None => crate::domain::texts::next_opening(who.lang.as_ref()).to_string(),
    };
    let text = crate::domain::texts::render(&template, &[("opens_at", &opening)]);
    let mut ev = event(EventType::TakeoverOffHours, s, &t);
    ev.text = Some(text.clone());
    ev.opens_at = opens_at.map(utc_of);
    send(conn, &ev, &t, None)?;
    let action = hours.off_hours_action();
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "takeover.off_hours",
            session_id: Some(&s.id),
            takeover_id: Some(&t.id),
            from_status: Some(&s.status),
            to_status: Some(&s.status),
            detail: Some(serde_json::json!({
                "opens_at": opens_at.map(utc_of), "action": action.as_str(), "text": text,
            })),
        },
    )?;
    match action {
        OffHoursAction::Queue => {
            let opening = opens_at.unwrap_or(at);
            diesel::update(takeovers::table.find(&t.id))
                .set(
                    takeovers::expires_at
                        .eq(opening + chrono::Duration::seconds(t.timeout_seconds)),
                )
                .execute(conn)?;
        }
        OffHoursAction::Handback => {
            let from = status_of(s)?;
            let to =
                transition(from, SessionEvent::TimedOut).map_err(|e| sessions::refusal(e, s))?;
            sessions::set_state(conn, s, to, None, None)?;
            Resolution::new(Outcome::OffHours, at).apply(conn, &t.id)?;
        }
    }
    get(conn, &t.id)
}

fn utc_of(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
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
/// `take_over`: an admin takes a conversation another reviewer holds (a lead stepping in); the
/// holder loses it at once, the audit names both, and the customer hears who joined.
pub fn claim(
    conn: &mut DbConnection,
    session_id: &str,
    r: &ReviewerAuth,
    take_over: bool,
) -> Result<(SessionRow, TakeoverRow), ApiError> {
    let (s, t) = lock_for_reviewer(conn, session_id, r)?;
    let from = status_of(&s)?;
    let offer = routing::live_offer(conn, &t)?;
    if let Some(o) = &offer {
        if o.reviewer_name != r.name && !r.is_admin && from == SessionStatus::HumanRequested {
            return Err(ApiError::new(
                Kind::OfferedToOther,
                format!(
                    "session {:?} is offered to {} until {}; it comes back to the queue if they do not accept",
                    s.id,
                    o.reviewer_name,
                    utc_of(o.expires_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            )
            .with_held_by(&o.reviewer_name));
        }
    }
    match transition(from, SessionEvent::Claimed) {
        Ok(to) => {
            if offer.is_some() {
                routing::clear_offer(conn, &t.id)?;
            }
            let effects = Effects::new(reviewer_actor(r), "takeover.claimed", from, to);
            hold(conn, s, t, r, effects)
        }
        Err(_) if s.assigned_to.as_deref() == Some(r.name.as_str()) => Ok((s, t)),
        Err(_) if take_over && from == SessionStatus::HumanActive => {
            if !r.is_admin {
                return Err(ApiError::forbidden(
                    "only an admin may take over a conversation another reviewer holds",
                ));
            }
            let effects = Effects::new(reviewer_actor(r), "takeover.taken_over", from, from)
                .detail(serde_json::json!({"from": s.assigned_to}));
            hold(conn, s, t, r, effects)
        }
        Err(refused) => Err(sessions::refusal(refused, &s)),
    }
}

/// Makes `r` the holder (the session goes to `effects`' status, the takeover is claimed by
/// them) and tells the customer who joined.
fn hold(
    conn: &mut DbConnection,
    mut s: SessionRow,
    t: TakeoverRow,
    r: &ReviewerAuth,
    effects: Effects,
) -> Result<(SessionRow, TakeoverRow), ApiError> {
    sessions::set_state(
        conn,
        &mut s,
        effects.to,
        Some(r.name.clone()),
        Some(t.id.clone()),
    )?;
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
    let joined = Callback {
        reviewer: Some(reviewer_ref(r)),
        text: Some(texts::say(
            conn,
            &t,
            TextKey::Joined,
            &[("reviewer", &r.display_name)],
        )?),
        ..Callback::new(EventType::TakeoverClaimed, Audience::Channel)
    };
    apply_effects(conn, &s, Some(&t), effects.announce(joined))?;
    Ok((s, t))
}

/// Fails unless the reviewer holds the conversation (admins may act on any).
fn require_holder(s: &SessionRow, r: &ReviewerAuth) -> Result<(), ApiError> {
    match (status_of(s)?, s.assigned_to.as_deref()) {
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
    lease: std::time::Duration,
) -> Result<(super::models::MessageRow, String, Option<outbox::Leased>), ApiError> {
    let (s, t) = lock_for_reviewer(conn, session_id, r)?;
    require_holder(&s, r)?;
    if let Some(closed_at) = sessions::reply_window_closed(&s, now()) {
        return Err(ApiError::new(
            Kind::ReplyWindowClosed,
            format!(
                "WhatsApp's 24-hour customer-service window closed at {}; a free-text reply can no longer reach the customer (a template message is needed until they write again: POST /v1/sessions/{}/template-replies)",
                closed_at.and_utc().to_rfc3339(),
                s.id
            ),
        ));
    }
    record_reply(conn, s, &t, r, content.to_string(), None, None, lease)
}

/// Which template a template reply uses.
pub enum TemplatePick<'a> {
    Id(&'a str),
    Named { name: &'a str, language: &'a str },
}

/// A reviewer's template reply (WhatsApp; allowed whether or not the reply window is open):
/// the template of the conversation's team filled with the reviewer's values, stored as the
/// rendered text with the template kept in the turn's `meta`, and queued for `reply_webhook`
/// with the Cloud API's `template` object, in one transaction.
pub fn reply_template(
    conn: &mut DbConnection,
    session_id: &str,
    r: &ReviewerAuth,
    pick: TemplatePick<'_>,
    values: &crate::domain::templates::Values<'_>,
    lease: std::time::Duration,
) -> Result<(super::models::MessageRow, String, Option<outbox::Leased>), ApiError> {
    let (s, t) = lock_for_reviewer(conn, session_id, r)?;
    require_holder(&s, r)?;
    // The conversation's team's templates; without a team, those of the reviewer's teams
    // (admins: any team's). Another team's is answered as a missing one.
    let team = t.assignee_team_id.as_deref();
    let may_send = |x: &super::templates::Template| {
        crate::domain::templates::may_send(r, team, &x.row.team_id)
    };
    let template = match pick {
        TemplatePick::Id(id) => super::templates::get(conn, id)?
            .filter(may_send)
            .ok_or_else(|| {
                ApiError::field(
                    "template_id",
                    format!("no template {id:?} of this conversation's team"),
                )
            })?,
        TemplatePick::Named { name, language } => {
            let mut found = super::templates::find(conn, name, language)?;
            found.retain(may_send);
            match found.len() {
                0 => {
                    return Err(ApiError::field(
                        "name",
                        format!("no template {name:?} in {language} of this conversation's team"),
                    ))
                }
                1 => found.remove(0),
                _ => {
                    return Err(ApiError::field(
                        "name",
                        format!("several teams have a template {name:?} in {language}; give its template_id"),
                    ))
                }
            }
        }
    };
    let rendered = template
        .row
        .definition()?
        .render(&template.row.name, &template.row.language, values)
        .map_err(|problems| {
            ApiError::validation(
                problems
                    .into_iter()
                    .map(|(field, message)| crate::error::FieldError { field, message })
                    .collect(),
            )
        })?;
    let category = template.row.category();
    let meta = serde_json::json!({
        "kind": "template",
        "template_id": template.row.id,
        "template": rendered.template,
        "template_category": category,
    })
    .to_string();
    record_reply(
        conn,
        s,
        &t,
        r,
        rendered.content,
        Some(meta),
        Some((rendered.template, category)),
        lease,
    )
}

/// Stores a reply the reviewer may send and queues its `reply` callback.
#[expect(
    clippy::too_many_arguments,
    reason = "one private step of two reply kinds"
)]
fn record_reply(
    conn: &mut DbConnection,
    mut s: SessionRow,
    t: &TakeoverRow,
    r: &ReviewerAuth,
    content: String,
    meta: Option<String>,
    template: Option<(
        crate::domain::templates::CloudTemplate,
        crate::domain::templates::Category,
    )>,
    lease: std::time::Duration,
) -> Result<(super::models::MessageRow, String, Option<outbox::Leased>), ApiError> {
    let m = sessions::append(
        conn,
        &mut s,
        NewTurn {
            sender: Sender::Human(r.name.clone()),
            content,
            external_id: None,
            at: None,
            tool_calls: None,
            meta,
        },
    )?;
    let mut ev = event(EventType::Reply, &s, t);
    ev.reviewer = Some(reviewer_ref(r));
    let (template, template_category) = match template {
        Some((tpl, category)) => (Some(tpl), Some(category)),
        None => (None, None),
    };
    ev.message = Some(CallbackMessage {
        id: m.id.clone(),
        seq: m.seq,
        content: m.content.clone(),
        prefixed_content: format!("[{}] {}", r.display_name, m.content),
        template,
        template_category,
    });
    let delivery = send(conn, &ev, t, Some(&m.id))?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("reply was not queued")))?;
    let taken = outbox::take_if_head(conn, &delivery, lease)?;
    Ok((m, delivery, taken))
}

/// Puts a held conversation back in the queue.
pub fn release(
    conn: &mut DbConnection,
    session_id: &str,
    r: &ReviewerAuth,
) -> Result<SessionRow, ApiError> {
    let (mut s, t) = lock_for_reviewer(conn, session_id, r)?;
    require_holder(&s, r)?;
    let from = status_of(&s)?;
    let to = transition(from, SessionEvent::Released).map_err(|e| sessions::refusal(e, &s))?;
    sessions::set_state(conn, &mut s, to, None, Some(t.id.clone()))?;
    requeue(conn, &t, now())?;
    // The customer hears that the person stepped away and someone else will answer.
    let released = Callback {
        reviewer: Some(reviewer_ref(r)),
        text: Some(texts::say(
            conn,
            &t,
            TextKey::Released,
            &[("reviewer", &r.display_name)],
        )?),
        ..Callback::new(EventType::TakeoverReleased, Audience::Channel)
    };
    let effects = Effects::new(reviewer_actor(r), "takeover.released", from, to);
    apply_effects(conn, &s, Some(&t), effects.announce(released))?;
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
    let from = status_of(&s)?;
    if from == SessionStatus::HumanActive {
        require_holder(&s, r)?;
    }
    let (team_id, reviewer_id) = resolve_assignee(conn, "to", Some(to_name))?;
    let to_person = reviewer_id.is_some();
    sessions::set_state(
        conn,
        &mut s,
        SessionStatus::HumanRequested,
        None,
        Some(t.id.clone()),
    )?;
    diesel::update(takeovers::table.find(&t.id))
        .set((
            takeovers::assignee.eq(Some(to_name)),
            takeovers::assignee_team_id.eq(team_id),
            takeovers::assignee_reviewer_id.eq(reviewer_id),
        ))
        .execute(conn)?;
    requeue(conn, &t, now())?;
    if let Some(text) = note.filter(|n| !n.trim().is_empty()) {
        add_note_row(conn, &s.id, Some(&t.id), &r.name, text)?;
    }
    let effects = Effects::new(
        reviewer_actor(r),
        "takeover.transferred",
        from,
        SessionStatus::HumanRequested,
    )
    .detail(serde_json::json!({
        "to": to_name,
        "note": note.map(str::trim).filter(|n| !n.is_empty()),
    }));
    // The customer hears where they are going (the note stays between reviewers); the
    // callback reads the takeover as it is now, assigned to its new team or person.
    let t = get(conn, &t.id)?.unwrap_or(t);
    let target = if to_person {
        super::accounts::find_reviewer(conn, to_name)?
            .map(|x| x.display_name)
            .unwrap_or_else(|| to_name.to_string())
    } else {
        to_name.to_string()
    };
    let transferred = Callback {
        reviewer: Some(reviewer_ref(r)),
        text: Some(texts::say(
            conn,
            &t,
            TextKey::Transferred,
            &[("reviewer", &r.display_name), ("team", &target)],
        )?),
        ..Callback::new(EventType::TakeoverTransferred, Audience::Channel)
    };
    apply_effects(conn, &s, Some(&t), effects.announce(transferred))?;
    Ok(s)
}

/// Locks a session for a handback or a close: a reviewer must see it and, while a person holds
/// it, hold it themselves (admins excepted); an integration may act on any session. Returns
/// the open takeover, if any.
fn lock_for_caller(
    conn: &mut DbConnection,
    session_id: &str,
    caller: &Caller,
) -> Result<(SessionRow, Option<TakeoverRow>), ApiError> {
    match caller {
        Caller::Reviewer(r) => {
            let (s, t) = lock_for_reviewer(conn, session_id, r)?;
            if status_of(&s)? == SessionStatus::HumanActive {
                require_holder(&s, r)?;
            }
            Ok((s, Some(t)))
        }
        Caller::ApiKey(_) => {
            let s = sessions::lock_existing(conn, session_id)?;
            let t = match &s.open_takeover_id {
                Some(id) => get(conn, id)?,
                None => None,
            };
            Ok((s, t))
        }
    }
}

/// Who is handing back, and the text the AI will read.
pub fn handback(
    conn: &mut DbConnection,
    session_id: &str,
    caller: &Caller,
    summary: Option<&str>,
) -> Result<SessionRow, ApiError> {
    let (mut s, t) = lock_for_caller(conn, session_id, caller)?;
    let t = match t {
        Some(t) => t,
        None => open_takeover(conn, &s)?,
    };
    let from = status_of(&s)?;
    let to = transition(from, SessionEvent::HandedBack).map_err(|e| sessions::refusal(e, &s))?;
    let summary = summary.map(str::trim).filter(|x| !x.is_empty());
    let reviewer = match caller {
        Caller::Reviewer(r) => Some(r),
        Caller::ApiKey(_) => None,
    };
    // Read before the summary turn is written: the stretch is what the customer and the
    // reviewers said to each other.
    let memory_messages = memory::handback_memory(
        &person_stretch(conn, &s.id, &t)?,
        reviewer.map(|r| r.display_name.as_str()),
        summary,
    );
    if let Some(text) = summary {
        let by = reviewer
            .map(|r| r.display_name.as_str())
            .unwrap_or("the integration");
        sessions::append(
            conn,
            &mut s,
            NewTurn {
                sender: Sender::System,
                content: notices::turn_handback_summary(by, text),
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
    Resolution {
        handback_summary: summary,
        ..Resolution::new(Outcome::HandedBack, now())
    }
    .apply(conn, &t.id)?;
    let handed_back = Callback {
        reviewer: reviewer.map(reviewer_ref),
        summary: summary.map(str::to_string),
        memory_messages: Some(memory_messages),
        text: Some(match reviewer {
            Some(r) => texts::say(
                conn,
                &t,
                TextKey::HandedBack,
                &[("reviewer", &r.display_name)],
            )?,
            None => texts::say(conn, &t, TextKey::BackWithAssistant, &[])?,
        }),
        ..Callback::new(EventType::SessionHandedBack, Audience::Channel)
    };
    let effects = Effects::new(caller.actor(), "session.handed_back", from, to);
    apply_effects(conn, &s, Some(&t), effects.announce(handed_back))?;
    Ok(s)
}

/// The customer's and the reviewers' turns since `t` was requested, oldest first, each reviewer
/// with the name the customer saw. History imported with the request was recorded before the
/// takeover row, so it is not part of the stretch.
fn person_stretch(
    conn: &mut DbConnection,
    session_id: &str,
    t: &TakeoverRow,
) -> Result<Vec<StretchTurn>, ApiError> {
    let rows: Vec<(String, String)> = messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::recorded_at.gt(t.created_at))
        .filter(
            messages::sender
                .eq(Sender::User.as_string())
                .or(messages::sender.like("human:%"))
                .or(messages::sender.eq(Sender::Staff(None).as_string()))
                .or(messages::sender.like("staff:%")),
        )
        .order(messages::seq.asc())
        .select((messages::sender, messages::content))
        .load(conn)?;
    let names: Vec<String> = rows
        .iter()
        .filter_map(|(sender, _)| sender.strip_prefix("human:").map(str::to_string))
        .collect();
    let display: std::collections::HashMap<String, String> = if names.is_empty() {
        Default::default()
    } else {
        reviewers::table
            .filter(reviewers::name.eq_any(&names))
            .select((reviewers::name, reviewers::display_name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .filter_map(|(sender, content)| {
            let sender = Sender::parse(&sender).ok()?;
            let display_name = match &sender {
                Sender::Human(name) => display.get(name).cloned(),
                _ => None,
            };
            Some(StretchTurn {
                sender,
                content,
                display_name,
            })
        })
        .collect())
}

/// Closes a conversation (and its open takeover, if any).
pub fn close(
    conn: &mut DbConnection,
    session_id: &str,
    caller: &Caller,
    reason: Option<&str>,
) -> Result<SessionRow, ApiError> {
    let (mut s, t) = lock_for_caller(conn, session_id, caller)?;
    let from = status_of(&s)?;
    let to = transition(from, SessionEvent::Closed).map_err(|e| sessions::refusal(e, &s))?;
    sessions::set_state(conn, &mut s, to, None, None)?;
    if let Some(t) = &t {
        Resolution::new(Outcome::Closed, now()).apply(conn, &t.id)?;
    }
    let mut effects = Effects::new(caller.actor(), "session.closed", from, to);
    effects.detail = reason.map(|r| serde_json::json!({"reason": r}));
    let closed = Callback {
        reviewer: match caller {
            Caller::Reviewer(r) => Some(reviewer_ref(r)),
            Caller::ApiKey(_) => None,
        },
        ..Callback::new(EventType::SessionClosed, Audience::Channel)
    };
    apply_effects(conn, &s, t.as_ref(), effects.announce(closed))?;
    Ok(s)
}

/// The columns a takeover's resolution sets; a `None` leaves its column as it was.
#[derive(AsChangeset)]
#[diesel(table_name = takeovers)]
pub(super) struct Resolution<'a> {
    status: &'static str,
    outcome: &'static str,
    resolved_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    handback_summary: Option<&'a str>,
    escalation_step: Option<i32>,
}

impl Resolution<'_> {
    pub(super) fn new(outcome: Outcome, at: chrono::NaiveDateTime) -> Self {
        Resolution {
            status: TakeoverStatus::Resolved.as_str(),
            outcome: outcome.as_str(),
            resolved_at: at,
            updated_at: at,
            handback_summary: None,
            escalation_step: None,
        }
    }

    pub(super) fn apply(self, conn: &mut DbConnection, takeover_id: &str) -> QueryResult<usize> {
        diesel::update(takeovers::table.find(takeover_id))
            .set(self)
            .execute(conn)
    }
}

/// Puts a takeover back in its queue, unclaimed; its unclaimed wait starts again.
fn requeue(
    conn: &mut DbConnection,
    t: &TakeoverRow,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(takeovers::table.find(&t.id))
        .set((
            takeovers::status.eq(TakeoverStatus::Requested.as_str()),
            takeovers::claimed_by.eq(None::<String>),
            takeovers::claimed_at.eq(None::<chrono::NaiveDateTime>),
            takeovers::expires_at.eq(at + chrono::Duration::seconds(t.timeout_seconds)),
            takeovers::updated_at.eq(at),
        ))
        .execute(conn)
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

/// What a due timer did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerOutcome {
    Escalated,
    TimedOut,
    /// The quiet time after a person's last turn from outside Baton passed.
    HandedBack,
}

/// The quiet time after the last `staff` turn passed: the AI gets the session back with the
/// usual `session.handed_back` callback (the outside person's stretch as chat memory), and the
/// audit names the timer and the reason.
fn hand_back_after_quiet_time(
    conn: &mut DbConnection,
    mut s: SessionRow,
    t: &TakeoverRow,
) -> Result<TimerOutcome, ApiError> {
    let from = status_of(&s)?;
    let to = transition(from, SessionEvent::QuietTimeOver).map_err(|e| sessions::refusal(e, &s))?;
    let memory_messages = memory::handback_memory(&person_stretch(conn, &s.id, t)?, None, None);
    let by = s.outside_by.clone();
    sessions::set_state(conn, &mut s, to, None, None)?;
    Resolution::new(Outcome::HandedBack, now()).apply(conn, &t.id)?;
    let handed_back = Callback {
        memory_messages: Some(memory_messages),
        text: Some(texts::say(conn, t, TextKey::BackWithAssistant, &[])?),
        ..Callback::new(EventType::SessionHandedBack, Audience::Channel)
    };
    let effects = Effects::new("timer", "session.handed_back", from, to).detail(
        serde_json::json!({"reason": "outside_quiet_time", "by": by, "quiet_seconds": accounts::quiet_seconds(conn, t.assignee_team_id.as_deref())?}),
    );
    apply_effects(conn, &s, Some(t), effects.announce(handed_back))?;
    Ok(TimerOutcome::HandedBack)
}

/// A takeover's unclaimed wait ran out: take the next step of its escalation policy, or after
/// the last one send the fallback message and hand back (or close). Runs under the session
/// lock and re-checks the deadline, so each step happens once even with several replicas.
pub fn expire(
    conn: &mut DbConnection,
    takeover_id: &str,
    defaults: &FallbackDefaults,
    public_base: &str,
) -> Result<Option<TimerOutcome>, ApiError> {
    let Some(first) = get(conn, takeover_id)? else {
        return Ok(None);
    };
    let mut s = sessions::lock_existing(conn, &first.session_id)?;
    let Some(t) = get(conn, takeover_id)? else {
        return Ok(None);
    };
    let at = now();
    let is_approval = Mode::parse(&t.mode) == Some(Mode::Approval);
    if TakeoverStatus::parse(&t.status) != Some(TakeoverStatus::Requested)
        || t.expires_at > at
        || (!is_approval && s.open_takeover_id.as_deref() != Some(t.id.as_str()))
    {
        return Ok(None);
    }
    // A person outside Baton answered: the deadline is the end of their quiet time, not an
    // escalation step (and the AI may answer whether the team is open or not).
    if status_of(&s)?.owner() == crate::domain::session::Owner::Staff {
        return hand_back_after_quiet_time(conn, s, &t).map(Some);
    }
    // Escalation timers stand still while the team is closed: the wait starts over at the
    // opening.
    if let Some(team) = match (&t.assignee_team_id, is_approval) {
        (Some(team_id), false) => routing::team_routing(conn, team_id)?,
        _ => None,
    } {
        if let Some(opens_at) = routing::opens_at_if_closed(&team, at) {
            let opening = opens_at.unwrap_or(at + chrono::Duration::days(1));
            diesel::update(takeovers::table.find(&t.id))
                .set((
                    takeovers::expires_at
                        .eq(opening + chrono::Duration::seconds(t.timeout_seconds)),
                    takeovers::updated_at.eq(at),
                ))
                .execute(conn)?;
            return Ok(None);
        }
    }
    let policy = match &t.escalation_policy_id {
        Some(id) => escalation::policy_by_id(conn, id)?,
        None => None,
    };
    let steps = policy
        .as_ref()
        .map(escalation::steps_of)
        .unwrap_or_default();
    let taken = t.escalation_step as usize;
    let next = escalation_rules::next_step(&steps, taken, |next| {
        resolve_assignee(conn, "assignee", Some(&next.assignee)).ok()
    });
    if let Some((step, next, (team_id, reviewer_id))) = next {
        diesel::update(takeovers::table.find(&t.id))
            .set((
                takeovers::assignee.eq(Some(&next.assignee)),
                takeovers::assignee_team_id.eq(&team_id),
                takeovers::assignee_reviewer_id.eq(&reviewer_id),
                takeovers::escalation_step.eq(step as i32),
                takeovers::expires_at.eq(at + chrono::Duration::seconds(next.wait_seconds)),
                takeovers::updated_at.eq(at),
            ))
            .execute(conn)?;
        let status = status_of(&s)?;
        let escalated = Callback {
            assignee: Some(next.assignee.clone()),
            ..Callback::new(EventType::TakeoverEscalated, Audience::Channel)
        };
        let effects = Effects::new("timer", "takeover.escalated", status, status)
            .detail(serde_json::json!({"from": t.assignee, "to": next.assignee, "step": step}));
        apply_effects(conn, &s, Some(&t), effects.announce(escalated))?;
        if let Some(team) = &team_id {
            let text = notices::team_escalated(&s.id, &t.reason);
            let link = crate::domain::types::inbox_url(public_base, &s.id);
            escalation::notify_team(conn, team, "takeover_escalated", &text, &s.id, &t.id, &link)?;
        }
        return Ok(Some(TimerOutcome::Escalated));
    }
    let step = steps.len().max(taken);
    if is_approval {
        return super::approvals::expire_approval(conn, &s, &t).map(Some);
    }
    let (message, action) = escalation_rules::fallback(
        policy
            .as_ref()
            .map(|p| (p.fallback_message.as_str(), p.fallback_action.as_str())),
        defaults,
    );
    let from = status_of(&s)?;
    let to =
        escalation_rules::timed_out_status(from, action).map_err(|e| sessions::refusal(e, &s))?;
    sessions::append(
        conn,
        &mut s,
        NewTurn {
            sender: Sender::System,
            content: notices::turn_timed_out(&message),
            external_id: None,
            at: None,
            tool_calls: None,
            meta: Some(
                serde_json::json!({"kind": "takeover_timed_out", "fallback_message": message})
                    .to_string(),
            ),
        },
    )?;
    sessions::set_state(conn, &mut s, to, None, None)?;
    Resolution {
        escalation_step: Some(step as i32),
        ..Resolution::new(Outcome::Unanswered, at)
    }
    .apply(conn, &t.id)?;
    let timed_out = Callback {
        text: Some(message),
        ..Callback::new(EventType::TakeoverTimedOut, Audience::Channel)
    };
    let effects = Effects::new("timer", "takeover.timed_out", from, to)
        .detail(serde_json::json!({"fallback_action": action.as_str()}));
    apply_effects(conn, &s, Some(&t), effects.announce(timed_out))?;
    Ok(Some(TimerOutcome::TimedOut))
}

/// Takeovers whose unclaimed wait has run out.
pub fn due_expiries(conn: &mut DbConnection, limit: i64) -> Result<Vec<String>, ApiError> {
    Ok(takeovers::table
        .filter(takeovers::status.eq(TakeoverStatus::Requested.as_str()))
        .filter(takeovers::expires_at.le(now()))
        .order(takeovers::expires_at.asc())
        .select(takeovers::id)
        .limit(limit)
        .load(conn)?)
}

/// Claimed takeovers old enough that their reviewer may have gone silent.
pub fn silence_candidates(
    conn: &mut DbConnection,
    silence: std::time::Duration,
    limit: i64,
) -> Result<Vec<String>, ApiError> {
    let before =
        now() - chrono::Duration::from_std(silence).unwrap_or(chrono::Duration::minutes(10));
    Ok(takeovers::table
        .filter(takeovers::status.eq(TakeoverStatus::Claimed.as_str()))
        .filter(takeovers::claimed_at.le(before))
        .select(takeovers::id)
        .limit(limit)
        .load(conn)?)
}

/// Puts a claimed conversation back in the queue when its reviewer has left the customer
/// without an answer for `silence` (the customer spoke last, or nobody spoke since the claim).
pub fn release_if_silent(
    conn: &mut DbConnection,
    takeover_id: &str,
    silence: std::time::Duration,
    public_base: &str,
) -> Result<bool, ApiError> {
    let Some(first) = get(conn, takeover_id)? else {
        return Ok(false);
    };
    let mut s = sessions::lock_existing(conn, &first.session_id)?;
    let Some(t) = get(conn, takeover_id)? else {
        return Ok(false);
    };
    if TakeoverStatus::parse(&t.status) != Some(TakeoverStatus::Claimed)
        || status_of(&s)? != SessionStatus::HumanActive
    {
        return Ok(false);
    }
    let spoke_last = sessions::last_message(conn, &s.id)?
        .is_some_and(|m| crate::domain::takeover::is_person(&m.sender));
    let last_reply: Option<chrono::NaiveDateTime> = if spoke_last {
        None
    } else {
        messages::table
            .filter(messages::session_id.eq(&s.id))
            .filter(messages::sender.like("human:%"))
            .order(messages::seq.desc())
            .select(messages::recorded_at)
            .first(conn)
            .optional()?
    };
    let silence = chrono::Duration::from_std(silence).unwrap_or(chrono::Duration::minutes(10));
    let at = now();
    match crate::domain::takeover::silent_release_at(
        t.claimed_at,
        last_reply,
        t.created_at,
        spoke_last,
        silence,
    ) {
        Some(due) if due <= at => {}
        _ => return Ok(false),
    }
    let holder = s.assigned_to.clone();
    let from = status_of(&s)?;
    let to = transition(from, SessionEvent::Released).map_err(|e| sessions::refusal(e, &s))?;
    sessions::set_state(conn, &mut s, to, None, Some(t.id.clone()))?;
    requeue(conn, &t, at)?;
    let effects = Effects::new("timer", "takeover.released", from, to)
        .detail(serde_json::json!({"reason": "reviewer_silent", "reviewer": holder}));
    // The customer hears that someone else will answer, named as they met them.
    let holder_shown = match &holder {
        Some(name) => super::accounts::find_reviewer(conn, name)?
            .map(|x| x.display_name)
            .unwrap_or_else(|| name.clone()),
        None => String::new(),
    };
    let effects = effects.announce(Callback {
        text: Some(texts::say(
            conn,
            &t,
            TextKey::Released,
            &[("reviewer", &holder_shown)],
        )?),
        ..Callback::new(EventType::TakeoverReleased, Audience::Channel)
    });
    apply_effects(conn, &s, Some(&t), effects)?;
    if let Some(team) = &t.assignee_team_id {
        let text = notices::team_reviewer_silent(holder.as_deref(), &s.id);
        let link = crate::domain::types::inbox_url(public_base, &s.id);
        escalation::notify_team(conn, team, "reviewer_silent", &text, &s.id, &t.id, &link)?;
    }
    Ok(true)
}

/// Takeovers not yet resolved, counted by status (for `/metrics`).
pub fn open_by_status(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, ApiError> {
    Ok(takeovers::table
        .filter(takeovers::status.ne(TakeoverStatus::Resolved.as_str()))
        .group_by(takeovers::status)
        .select((takeovers::status, diesel::dsl::count_star()))
        .load(conn)?)
}
