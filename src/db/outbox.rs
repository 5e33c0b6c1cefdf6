//! The durable outbox. Events are written in the same transaction as the state change that
//! caused them, so an accepted reply exists exactly when its delivery does. The worker takes
//! due deliveries under a lease (a conditional UPDATE, so one replica wins each), and a lane
//! (one session's callbacks to one destination) only moves on once its head is delivered or
//! parked: callbacks arrive in order. A session's handback and close go last across lanes:
//! they wait for every earlier callback of the session, whatever its destination, so the AI
//! never gets the turn back before the customer has the person's last words.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;

use crate::db::models::{DeliveryAttemptRow, DeliveryRow, NewDelivery, WebhookRow};
use crate::db::schema::{
    api_keys, deliveries, delivery_attempts, takeovers, team_channels, webhooks,
};
use crate::db::{now, DbConnection};
use crate::domain::event::{CallbackEvent, EventType};
use crate::domain::subscription::{
    receives, Fanout, Subscription, SubscriptionScope, TakeoverTarget,
};
use crate::domain::types::{DeliveryStatus, RecordId};
use crate::error::ApiError;

/// Where a takeover's own callbacks go.
pub struct Destination<'a> {
    pub url: &'a str,
    pub api_key_id: &'a str,
}

/// Writes `event` for its destination and for every live subscription that receives it
/// (`domain::subscription::receives`: its event types, channels and scope, and never a copy to
/// the URL the takeover's own callback already goes to). Returns the id of the delivery to
/// `destination` (if any).
pub fn enqueue(
    conn: &mut DbConnection,
    event: &CallbackEvent,
    destination: Option<Destination<'_>>,
    message_id: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let mut primary = None;
    if let Some(dest) = &destination {
        let id = insert(
            conn,
            event,
            dest.url,
            Some(dest.api_key_id),
            None,
            message_id,
        )?;
        primary = Some(id);
    }
    let subs: Vec<WebhookRow> = webhooks::table
        .filter(webhooks::disabled_at.is_null())
        .filter(webhooks::deleted_at.is_null())
        .load(conn)?;
    let parsed: Vec<(Vec<String>, Option<Vec<String>>, SubscriptionScope)> = subs
        .iter()
        .map(|sub| {
            (
                serde_json::from_str(&sub.events).unwrap_or_default(),
                sub.channels
                    .as_deref()
                    .map(|c| serde_json::from_str(c).unwrap_or_default()),
                SubscriptionScope::parse(&sub.scope),
            )
        })
        .collect();
    // Only a scoped subscription needs to know whose takeover the event belongs to.
    let owner = if parsed
        .iter()
        .any(|(_, _, scope)| *scope == SubscriptionScope::OwnTakeovers)
    {
        owning_takeover(conn, event)?
    } else {
        None
    };
    let fanout = Fanout {
        event_type: event.event_type.as_str(),
        channel: event.channel.as_deref(),
        takeover: owner.as_ref().map(|(key, reply, handback)| TakeoverTarget {
            api_key_id: key,
            reply_webhook: reply,
            handback_signal: handback.as_deref(),
        }),
        destination: destination.as_ref().map(|d| (d.url, d.api_key_id)),
    };
    for (sub, (events, channels, scope)) in subs.iter().zip(&parsed) {
        let rule = Subscription {
            api_key_id: &sub.api_key_id,
            url: &sub.url,
            events,
            channels: channels.as_deref(),
            scope: *scope,
        };
        if receives(&rule, &fanout) {
            insert(conn, event, &sub.url, None, Some(&sub.id), message_id)?;
        }
    }
    Ok(primary)
}

/// The takeover an event belongs to (its own, else the session's latest): its API key, reply
/// webhook and handback signal; `None` when the session never had a takeover.
fn owning_takeover(
    conn: &mut DbConnection,
    event: &CallbackEvent,
) -> Result<Option<(String, String, Option<String>)>, ApiError> {
    let columns = (
        takeovers::api_key_id,
        takeovers::reply_webhook,
        takeovers::handback_signal,
    );
    Ok(match &event.takeover_id {
        Some(id) => takeovers::table
            .find(id)
            .select(columns)
            .first(conn)
            .optional()?,
        None => takeovers::table
            .filter(takeovers::session_id.eq(&event.session_id))
            .order((takeovers::created_at.desc(), takeovers::id.desc()))
            .select(columns)
            .first(conn)
            .optional()?,
    })
}

fn insert(
    conn: &mut DbConnection,
    event: &CallbackEvent,
    url: &str,
    api_key_id: Option<&str>,
    webhook_id: Option<&str>,
    message_id: Option<&str>,
) -> Result<String, ApiError> {
    let id = format!("evt_{}", RecordId::new().to_string().replace('-', ""));
    let mut body = event.clone();
    body.id = id.clone();
    let payload = serde_json::to_string(&body)
        .map_err(|e| ApiError::internal(anyhow::Error::new(e).context("serialising a callback")))?;
    let lane = match webhook_id {
        Some(w) => format!("{}\u{1f}sub:{w}", event.session_id),
        None => format!("{}\u{1f}{url}", event.session_id),
    };
    let at = now();
    diesel::insert_into(deliveries::table)
        .values(NewDelivery {
            id: id.clone(),
            lane,
            session_id: Some(event.session_id.clone()),
            takeover_id: event.takeover_id.clone(),
            event_type: event.event_type.as_str().to_string(),
            api_key_id: api_key_id.map(str::to_string),
            webhook_id: webhook_id.map(str::to_string),
            message_id: message_id.map(str::to_string),
            url: url.to_string(),
            payload,
            status: DeliveryStatus::Pending.as_str().into(),
            attempts: 0,
            next_attempt_at: at,
            created_at: at,
            channel_id: None,
        })
        .execute(conn)?;
    Ok(id)
}

/// Queues a notification to a team channel: its own body shape (Slack, Teams, Telegram or a
/// generic signed webhook), its own lane, signed with the channel's secret.
pub fn enqueue_notification(
    conn: &mut DbConnection,
    channel_id: &str,
    url: &str,
    payload: &serde_json::Value,
    event_type: &str,
    session_id: Option<&str>,
    takeover_id: Option<&str>,
) -> Result<String, ApiError> {
    let id = format!("evt_{}", RecordId::new().to_string().replace('-', ""));
    // A generic signed notice (it has a `type`, as every callback) names itself with the id
    // it is signed under (`webhook-id`), so a receiver can deduplicate it. Slack, Teams and
    // Telegram bodies are theirs and stay as they are.
    let mut payload = payload.clone();
    if let Some(body) = payload.as_object_mut().filter(|b| b.contains_key("type")) {
        body.insert("id".into(), serde_json::Value::String(id.clone()));
    }
    let at = now();
    diesel::insert_into(deliveries::table)
        .values(NewDelivery {
            id: id.clone(),
            lane: format!("channel:{channel_id}"),
            session_id: session_id.map(str::to_string),
            takeover_id: takeover_id.map(str::to_string),
            event_type: event_type.to_string(),
            api_key_id: None,
            webhook_id: None,
            message_id: None,
            url: url.to_string(),
            payload: payload.to_string(),
            status: DeliveryStatus::Pending.as_str().into(),
            attempts: 0,
            next_attempt_at: at,
            created_at: at,
            channel_id: Some(channel_id.to_string()),
        })
        .execute(conn)?;
    Ok(id)
}

/// A delivery taken by this worker, with the secret to sign it.
#[derive(Clone, Debug)]
pub struct Leased {
    pub delivery: DeliveryRow,
    pub secret: String,
    /// More secrets that sign it too (one signature each in `webhook-signature`): a
    /// subscription's previous secret during its 24 h rotation overlap; for a takeover's own
    /// callback to the URL of a subscription of the same key, that subscription's secret(s),
    /// so the Baton Trigger there verifies it with the secret it holds.
    pub other_secrets: Vec<String>,
}

/// The events that end a stretch of the session (the turn goes back to the AI, or nobody
/// holds it): they wait for every earlier callback of the session, on any lane. Team-channel
/// alerts are the team's, not the conversation's, and do not hold them.
pub const BARRIER_EVENTS: [&str; 2] = ["session.handed_back", "session.closed"];

/// Takes up to `limit` due lane heads under a lease of `lease`.
pub fn lease_due(
    conn: &mut DbConnection,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Leased>, ApiError> {
    let at = now();
    // Only the head of each lane may go: a delivery with no pending one before it in its lane
    // (the order a session's callbacks are sent in). One query, over `deliveries_lane`.
    let (earlier, before) = diesel::alias!(deliveries as earlier, deliveries as before);
    let candidates: Vec<DeliveryRow> = deliveries::table
        .filter(deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .filter(deliveries::next_attempt_at.le(at))
        .filter(
            deliveries::locked_until
                .is_null()
                .or(deliveries::locked_until.lt(at)),
        )
        .filter(diesel::dsl::not(diesel::dsl::exists(
            earlier
                .filter(earlier.field(deliveries::lane).eq(deliveries::lane))
                .filter(
                    earlier
                        .field(deliveries::status)
                        .eq(DeliveryStatus::Pending.as_str()),
                )
                .filter(earlier.field(deliveries::position).lt(deliveries::position)),
        )))
        .filter(
            deliveries::event_type
                .ne_all(BARRIER_EVENTS)
                .or(diesel::dsl::not(diesel::dsl::exists(
                    before
                        .filter(
                            before
                                .field(deliveries::session_id)
                                .eq(deliveries::session_id),
                        )
                        .filter(
                            before
                                .field(deliveries::status)
                                .eq(DeliveryStatus::Pending.as_str()),
                        )
                        .filter(before.field(deliveries::channel_id).is_null())
                        .filter(before.field(deliveries::position).lt(deliveries::position)),
                ))),
        )
        .order(deliveries::position.asc())
        .limit(limit)
        .load(conn)?;
    if candidates.is_empty() {
        return Ok(vec![]);
    }
    let until = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let mut taken = Vec::new();
    for d in candidates {
        let won = diesel::update(
            deliveries::table
                .filter(deliveries::position.eq(d.position))
                .filter(deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                .filter(
                    deliveries::locked_until
                        .is_null()
                        .or(deliveries::locked_until.lt(at)),
                ),
        )
        .set(deliveries::locked_until.eq(Some(until)))
        .execute(conn)?;
        if won == 1 {
            match secret_for(conn, &d, at)? {
                Some((secret, other_secrets)) => taken.push(Leased {
                    delivery: d,
                    secret,
                    other_secrets,
                }),
                // Never send unsigned: the key or subscription was removed after queueing.
                None => {
                    diesel::update(deliveries::table.filter(deliveries::position.eq(d.position)))
                        .set((
                            deliveries::status.eq(DeliveryStatus::Parked.as_str()),
                            deliveries::locked_until.eq(None::<NaiveDateTime>),
                            deliveries::last_error.eq(Some(
                                "the API key or subscription that signs it was removed",
                            )),
                        ))
                        .execute(conn)?;
                }
            }
        }
    }
    Ok(taken)
}

/// Takes a delivery this transaction just wrote, when it heads its lane, so this process's
/// worker can send it the moment the transaction commits instead of finding it on its next
/// lease pass (the reply a customer waits for). `None` when an earlier callback of its lane is
/// still pending (the worker sends them in order), or nothing can sign it. The lease is the
/// worker's own: if the process dies before sending, it runs out and any worker retries.
pub fn take_if_head(
    conn: &mut DbConnection,
    id: &str,
    lease: Duration,
) -> Result<Option<Leased>, ApiError> {
    let at = now();
    let until = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let (earlier, before) = diesel::alias!(deliveries as earlier, deliveries as before);
    let taken: Option<DeliveryRow> = diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(id))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                earlier
                    .filter(earlier.field(deliveries::lane).eq(deliveries::lane))
                    .filter(
                        earlier
                            .field(deliveries::status)
                            .eq(DeliveryStatus::Pending.as_str()),
                    )
                    .filter(earlier.field(deliveries::position).lt(deliveries::position)),
            )))
            .filter(
                deliveries::event_type
                    .ne_all(BARRIER_EVENTS)
                    .or(diesel::dsl::not(diesel::dsl::exists(
                        before
                            .filter(
                                before
                                    .field(deliveries::session_id)
                                    .eq(deliveries::session_id),
                            )
                            .filter(
                                before
                                    .field(deliveries::status)
                                    .eq(DeliveryStatus::Pending.as_str()),
                            )
                            .filter(before.field(deliveries::channel_id).is_null())
                            .filter(before.field(deliveries::position).lt(deliveries::position)),
                    ))),
            ),
    )
    .set(deliveries::locked_until.eq(Some(until)))
    .get_result(conn)
    .optional()?;
    let Some(d) = taken else {
        return Ok(None);
    };
    match secret_for(conn, &d, at)? {
        Some((secret, other_secrets)) => Ok(Some(Leased {
            delivery: d,
            secret,
            other_secrets,
        })),
        None => {
            // Left to the worker's lease pass, which parks what nothing can sign.
            diesel::update(deliveries::table.filter(deliveries::position.eq(d.position)))
                .set(deliveries::locked_until.eq(None::<NaiveDateTime>))
                .execute(conn)?;
            Ok(None)
        }
    }
}

type Secrets = (String, Vec<String>);

/// A subscription's secret and, during its rotation overlap, its previous one.
fn subscription_secrets(
    row: (String, Option<String>, Option<NaiveDateTime>),
    at: NaiveDateTime,
) -> Vec<String> {
    let (secret, previous, until) = row;
    std::iter::once(secret)
        .chain(previous.filter(|_| until.is_some_and(|u| u > at)))
        .collect()
}

fn secret_for(
    conn: &mut DbConnection,
    d: &DeliveryRow,
    at: NaiveDateTime,
) -> Result<Option<Secrets>, ApiError> {
    let sub_columns = (
        webhooks::secret,
        webhooks::previous_secret,
        webhooks::previous_secret_expires_at,
    );
    if let Some(key) = &d.api_key_id {
        let Some(secret) = api_keys::table
            .find(key)
            .select(api_keys::signing_secret)
            .first::<String>(conn)
            .optional()?
        else {
            return Ok(None);
        };
        // The subscription this callback stands for (no copy was queued for it): its URL and
        // key are the callback's. Looked up at send time, so a trigger that re-subscribed with a
        // new secret verifies the retries too.
        let subs: Vec<(String, Option<String>, Option<NaiveDateTime>)> = webhooks::table
            .filter(webhooks::api_key_id.eq(key))
            .filter(webhooks::url.eq(&d.url))
            .filter(webhooks::disabled_at.is_null())
            .filter(webhooks::deleted_at.is_null())
            .select(sub_columns)
            .load(conn)?;
        let others = subs
            .into_iter()
            .flat_map(|row| subscription_secrets(row, at))
            .filter(|s| *s != secret)
            .collect();
        return Ok(Some((secret, others)));
    }
    if let Some(w) = &d.webhook_id {
        let row: Option<(String, Option<String>, Option<NaiveDateTime>)> = webhooks::table
            .find(w)
            .filter(webhooks::disabled_at.is_null())
            .select(sub_columns)
            .first(conn)
            .optional()?;
        return Ok(row.map(|row| {
            let mut all = subscription_secrets(row, at);
            let secret = all.remove(0);
            (secret, all)
        }));
    }
    // An alert e-mail is not signed: it goes to a person's mailbox over SMTP.
    if d.url.starts_with(crate::domain::alerts::MAILTO) {
        return Ok(Some((String::new(), vec![])));
    }
    if let Some(c) = &d.channel_id {
        return Ok(team_channels::table
            .find(c)
            .select(team_channels::secret)
            .first::<String>(conn)
            .optional()?
            .map(|s| (s, vec![])));
    }
    Ok(None)
}

/// What one attempt came to.
#[derive(Clone, Debug)]
pub struct AttemptResult {
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
    /// A `Retry-After` the receiver asked for (429/503).
    pub retry_after: Option<Duration>,
}

/// Records an attempt and moves the delivery on: delivered, rescheduled, or parked.
pub fn record_attempt(
    conn: &mut DbConnection,
    d: &DeliveryRow,
    result: &AttemptResult,
    schedule: &[Duration],
) -> Result<&'static str, ApiError> {
    diesel::insert_into(delivery_attempts::table)
        .values(DeliveryAttemptRow {
            id: RecordId::new().to_string(),
            delivery_id: d.id.clone(),
            attempted_at: result.attempted_at,
            url: d.url.clone(),
            status_code: result.status_code.map(i32::from),
            latency_ms: result.latency_ms,
            error: result.error.clone(),
            response_excerpt: result.response_excerpt.clone(),
        })
        .execute(conn)?;
    let attempts = d.attempts + 1;
    let at = now();
    let target = deliveries::table.filter(deliveries::position.eq(d.position));
    let error_text = result.error.clone().or_else(|| {
        result
            .status_code
            .map(|c| format!("receiver answered HTTP {c}"))
    });
    if result.status_code.is_some_and(|c| (200..300).contains(&c)) {
        diesel::update(target)
            .set((
                deliveries::status.eq(DeliveryStatus::Delivered.as_str()),
                deliveries::attempts.eq(attempts),
                deliveries::locked_until.eq(None::<NaiveDateTime>),
                deliveries::last_status_code.eq(result.status_code.map(i32::from)),
                deliveries::last_error.eq(None::<String>),
                deliveries::delivered_at.eq(Some(at)),
            ))
            .execute(conn)?;
        return Ok(DeliveryStatus::Delivered.as_str());
    }
    let gone = result.status_code == Some(410);
    if gone {
        // 410 Gone: the endpoint will not come back. Stop sending anything else to it.
        if let Some(w) = &d.webhook_id {
            diesel::update(webhooks::table.find(w))
                .set(webhooks::disabled_at.eq(Some(at)))
                .execute(conn)?;
        }
        diesel::update(
            deliveries::table
                .filter(deliveries::url.eq(&d.url))
                .filter(deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                .filter(deliveries::position.ne(d.position)),
        )
        .set((
            deliveries::status.eq(DeliveryStatus::Parked.as_str()),
            deliveries::last_error.eq(Some(
                "the endpoint answered 410 Gone to an earlier delivery",
            )),
        ))
        .execute(conn)?;
    }
    let wait = schedule.get(attempts as usize - 1).copied();
    let (status, next) = match wait {
        Some(wait) if !gone => {
            let jittered = jitter(wait);
            let wait = result.retry_after.map_or(jittered, |ra| ra.max(jittered));
            (
                DeliveryStatus::Pending.as_str(),
                at + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1)),
            )
        }
        _ => (DeliveryStatus::Parked.as_str(), at),
    };
    diesel::update(target)
        .set((
            deliveries::status.eq(status),
            deliveries::attempts.eq(attempts),
            deliveries::next_attempt_at.eq(next),
            deliveries::locked_until.eq(None::<NaiveDateTime>),
            deliveries::last_status_code.eq(result.status_code.map(i32::from)),
            deliveries::last_error.eq(error_text),
        ))
        .execute(conn)?;
    Ok(status)
}

/// Spreads retries by ±10 % so a recovering receiver is not hit by every retry at once.
fn jitter(wait: Duration) -> Duration {
    let factor = rand::thread_rng().gen_range(0.9..=1.1);
    wait.mul_f64(factor)
}

/// Frees leases left by a process that died; safe only where no other replica can hold them
/// (SQLite is single-node).
/// Hands back the leases of deliveries taken but never sent (a stopping worker's).
pub fn release_leases(conn: &mut DbConnection, positions: &[i64]) -> Result<usize, ApiError> {
    Ok(
        diesel::update(deliveries::table.filter(deliveries::position.eq_any(positions)))
            .set(deliveries::locked_until.eq(None::<NaiveDateTime>))
            .execute(conn)?,
    )
}

pub fn release_all_leases(conn: &mut DbConnection) -> Result<usize, ApiError> {
    Ok(
        diesel::update(deliveries::table.filter(deliveries::locked_until.is_not_null()))
            .set(deliveries::locked_until.eq(None::<NaiveDateTime>))
            .execute(conn)?,
    )
}

/// The event types a delivery may carry, for parsing subscription filters.
pub fn known_event(name: &str) -> bool {
    name == "*" || EventType::parse(name).is_some()
}

/// Where the reply behind a message stands, for the reviewer who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyDelivery {
    /// The takeover's own destination accepted it, or (`via_subscription`) only a Baton
    /// Trigger subscription of the workflow did: the customer has it either way.
    Delivered { via_subscription: bool },
    /// Queued, not tried yet (or being tried for the first time).
    Sending,
    /// Tried and failed; tried again at `next_at`.
    Retrying {
        attempts: i32,
        next_at: NaiveDateTime,
        reason: String,
    },
    /// Every attempt failed; waiting for "Retry now".
    Failed { attempts: i32, reason: String },
}

impl ReplyDelivery {
    /// One letter per state, for the timeline's change key.
    pub fn key(&self) -> String {
        match self {
            ReplyDelivery::Delivered { .. } => "d".into(),
            ReplyDelivery::Sending => "s".into(),
            ReplyDelivery::Retrying { attempts, .. } => format!("r{attempts}"),
            ReplyDelivery::Failed { .. } => "x".into(),
        }
    }
}

/// Why the last attempt failed, in a few words: the HTTP status, or the error.
fn reason(d: &DeliveryRow) -> String {
    match (&d.last_status_code, &d.last_error) {
        (Some(code), _) => format!("the webhook answered HTTP {code}"),
        (None, Some(e)) => e.split(':').next().unwrap_or(e).trim().to_string(),
        (None, None) => "no answer".into(),
    }
}

/// The delivery state of each reply in a session, by message id: the takeover's own callback,
/// counted as delivered too when a subscription's copy of it was.
pub fn reply_deliveries(
    conn: &mut DbConnection,
    session_id: &str,
) -> Result<std::collections::HashMap<String, ReplyDelivery>, ApiError> {
    let rows: Vec<DeliveryRow> = deliveries::table
        .filter(deliveries::session_id.eq(session_id))
        .filter(deliveries::message_id.is_not_null())
        .filter(deliveries::channel_id.is_null())
        .load(conn)?;
    let by_subscription: std::collections::HashSet<&str> = rows
        .iter()
        .filter(|d| d.webhook_id.is_some() && d.status == DeliveryStatus::Delivered.as_str())
        .filter_map(|d| d.message_id.as_deref())
        .collect();
    Ok(rows
        .iter()
        .filter(|d| d.webhook_id.is_none())
        .filter_map(|d| {
            let id = d.message_id.clone()?;
            let state = match DeliveryStatus::parse(&d.status) {
                Some(DeliveryStatus::Delivered) => ReplyDelivery::Delivered {
                    via_subscription: false,
                },
                _ if by_subscription.contains(id.as_str()) => ReplyDelivery::Delivered {
                    via_subscription: true,
                },
                Some(DeliveryStatus::Parked) => ReplyDelivery::Failed {
                    attempts: d.attempts,
                    reason: reason(d),
                },
                _ if d.attempts == 0 => ReplyDelivery::Sending,
                _ => ReplyDelivery::Retrying {
                    attempts: d.attempts,
                    next_at: d.next_attempt_at,
                    reason: reason(d),
                },
            };
            Some((id, state))
        })
        .collect())
}

/// Deliveries counted by status (for `/metrics`).
pub fn count_by_status(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, ApiError> {
    Ok(deliveries::table
        .group_by(deliveries::status)
        .select((deliveries::status, diesel::dsl::count_star()))
        .load(conn)?)
}

/// The ids of an API key's subscriptions (whose deliveries the key may see).
pub fn subscription_ids(
    conn: &mut DbConnection,
    api_key_id: &str,
) -> Result<Vec<String>, ApiError> {
    Ok(webhooks::table
        .filter(webhooks::api_key_id.eq(api_key_id))
        .select(webhooks::id)
        .load(conn)?)
}

/// Deliveries, newest first: within `scope` (a key's own callbacks and its subscriptions'; all
/// when `None`), of a status and a session when given.
pub fn list(
    conn: &mut DbConnection,
    scope: Option<(String, Vec<String>)>,
    status: Option<String>,
    session_id: Option<String>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, ApiError> {
    let mut q = deliveries::table.into_boxed();
    if let Some((key, subs)) = scope {
        q = q.filter(
            deliveries::api_key_id
                .eq(key)
                .or(deliveries::webhook_id.eq_any(subs)),
        );
    }
    if let Some(s) = status {
        q = q.filter(deliveries::status.eq(s));
    }
    if let Some(sid) = session_id {
        q = q.filter(deliveries::session_id.eq(sid));
    }
    Ok(q.order(deliveries::position.desc())
        .limit(limit)
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<DeliveryRow>, ApiError> {
    Ok(deliveries::table
        .filter(deliveries::id.eq(id))
        .first(conn)
        .optional()?)
}

/// A delivery's attempts, oldest first.
pub fn attempts_of(conn: &mut DbConnection, id: &str) -> Result<Vec<DeliveryAttemptRow>, ApiError> {
    Ok(delivery_attempts::table
        .filter(delivery_attempts::delivery_id.eq(id))
        .order(delivery_attempts::attempted_at.asc())
        .load(conn)?)
}

/// Puts a delivered or parked delivery back in the queue, due now, with its attempts reset.
/// The takeover's own delivery of a reviewer's reply (not a subscription's copy).
pub fn reply_delivery(
    conn: &mut DbConnection,
    session_id: &str,
    message_id: &str,
) -> Result<Option<DeliveryRow>, ApiError> {
    Ok(deliveries::table
        .filter(deliveries::session_id.eq(session_id))
        .filter(deliveries::message_id.eq(message_id))
        .filter(deliveries::webhook_id.is_null())
        .first(conn)
        .optional()?)
}

/// A pending delivery's next attempt, now (its attempts so far still count).
pub fn retry_now(conn: &mut DbConnection, position: i64) -> Result<DeliveryRow, ApiError> {
    diesel::update(
        deliveries::table
            .filter(deliveries::position.eq(position))
            .filter(deliveries::status.eq(DeliveryStatus::Pending.as_str())),
    )
    .set(deliveries::next_attempt_at.eq(now()))
    .execute(conn)?;
    Ok(deliveries::table
        .filter(deliveries::position.eq(position))
        .first(conn)?)
}

pub fn redeliver(conn: &mut DbConnection, position: i64) -> Result<DeliveryRow, ApiError> {
    diesel::update(deliveries::table.filter(deliveries::position.eq(position)))
        .set((
            deliveries::status.eq(DeliveryStatus::Pending.as_str()),
            deliveries::attempts.eq(0),
            deliveries::next_attempt_at.eq(now()),
            deliveries::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(deliveries::table
        .filter(deliveries::position.eq(position))
        .first(conn)?)
}
