//! Reviewer alert settings, and alert e-mails in the outbox. The timers' alert pass (`sweep`)
//! finds each occasion once (a waiting takeover's request and every escalation step it reaches,
//! an offer), marks it in `alert_marks` in the same transaction that queues the mails, and drops
//! queued alerts of takeovers that were claimed meanwhile. The rules (addresses, quiet hours,
//! the words) are `domain::alerts`; the delivery worker sends what is queued over SMTP.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{
    alert_marks, deliveries, reviewer_alerts, reviewers, sessions, takeover_offers, takeovers,
    team_members,
};
use super::{audit, customers, now, DbConnection};
use crate::db::models::{DeliveryRow, NewDelivery};
use crate::domain::alerts::{
    compose, is_waiting_alert, offer_mark, pointless_because, step_mark, AlertFacts, AlertKind,
    AlertMail, EmailAddress, QuietHours, QuietHoursBody, MAILTO,
};
use crate::domain::types::{DeliveryStatus, RecordId, TakeoverStatus};
use crate::error::ApiError;

/// How many occasions one pass looks at.
const BATCH: i64 = 200;

/// A reviewer's stored alert settings.
#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = reviewer_alerts)]
pub struct ReviewerAlertRow {
    pub reviewer_id: String,
    pub email: Option<String>,
    pub enabled: bool,
    pub quiet_start: Option<String>,
    pub quiet_end: Option<String>,
    pub quiet_timezone: Option<String>,
    pub updated_at: NaiveDateTime,
}

impl ReviewerAlertRow {
    /// The stored quiet hours (checked when they were stored; unreadable ones count as none).
    pub fn quiet_hours(&self) -> Option<QuietHours> {
        let (Some(start), Some(end), Some(timezone)) =
            (&self.quiet_start, &self.quiet_end, &self.quiet_timezone)
        else {
            return None;
        };
        QuietHours::parse(&QuietHoursBody {
            timezone: timezone.clone(),
            start: start.clone(),
            end: end.clone(),
        })
        .ok()
    }
}

/// Checked settings to store.
pub struct AlertSettings {
    pub email: Option<EmailAddress>,
    pub enabled: bool,
    pub quiet_hours: Option<QuietHours>,
}

/// A reviewer's settings; `None` when never set (alerts off).
pub fn settings(
    conn: &mut DbConnection,
    reviewer_id: &str,
) -> Result<Option<ReviewerAlertRow>, ApiError> {
    Ok(reviewer_alerts::table
        .find(reviewer_id)
        .select(reviewer_alerts::all_columns)
        .first(conn)
        .optional()?)
}

/// Stores a reviewer's settings, with an audit entry naming who changed them.
pub fn put_settings(
    conn: &mut DbConnection,
    reviewer_id: &str,
    s: &AlertSettings,
    actor: &str,
) -> Result<ReviewerAlertRow, ApiError> {
    let quiet = s.quiet_hours.as_ref().map(|q| q.body().clone());
    let row = ReviewerAlertRow {
        reviewer_id: reviewer_id.to_string(),
        email: s.email.as_ref().map(|e| e.as_str().to_string()),
        enabled: s.enabled,
        quiet_start: quiet.as_ref().map(|q| q.start.clone()),
        quiet_end: quiet.as_ref().map(|q| q.end.clone()),
        quiet_timezone: quiet.as_ref().map(|q| q.timezone.clone()),
        updated_at: now(),
    };
    diesel::delete(reviewer_alerts::table.find(reviewer_id)).execute(conn)?;
    diesel::insert_into(reviewer_alerts::table)
        .values(&row)
        .execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "reviewer.alerts_changed",
            session_id: None,
            takeover_id: None,
            from_status: None,
            to_status: None,
            detail: Some(serde_json::json!({
                "reviewer_id": reviewer_id,
                "enabled": row.enabled,
                "email_set": row.email.is_some(),
                "quiet_hours": quiet.is_some(),
            })),
        },
    )?;
    Ok(row)
}

/// Someone to alert: where, and their quiet hours.
struct Recipient {
    reviewer_id: String,
    email: EmailAddress,
    quiet: Option<QuietHours>,
}

/// The enabled reviewers with alerts on and an address, among `reviewer_id` and the members of
/// `team_id`.
fn recipients(
    conn: &mut DbConnection,
    team_id: Option<&str>,
    reviewer_id: Option<&str>,
    reviewer_name: Option<&str>,
) -> Result<Vec<Recipient>, ApiError> {
    let mut ids: Vec<String> = reviewer_id.into_iter().map(str::to_string).collect();
    if let Some(name) = reviewer_name {
        ids.extend(
            reviewers::table
                .filter(reviewers::name.eq(name))
                .select(reviewers::id)
                .load::<String>(conn)?,
        );
    }
    if let Some(team) = team_id {
        ids.extend(
            team_members::table
                .filter(team_members::team_id.eq(team))
                .select(team_members::reviewer_id)
                .load::<String>(conn)?,
        );
    }
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<ReviewerAlertRow> = reviewer_alerts::table
        .inner_join(reviewers::table)
        .filter(reviewer_alerts::reviewer_id.eq_any(&ids))
        .filter(reviewer_alerts::enabled.eq(true))
        .filter(reviewers::disabled_at.is_null())
        .order(reviewers::name.asc())
        .select(reviewer_alerts::all_columns)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let email = EmailAddress::parse(r.email.as_deref()?).ok()?;
            Some(Recipient {
                quiet: r.quiet_hours(),
                reviewer_id: r.reviewer_id,
                email,
            })
        })
        .collect())
}

/// What the mail says about a takeover's conversation.
struct Waiting {
    takeover_id: String,
    session_id: String,
    reason: String,
    summary: Option<String>,
    created_at: NaiveDateTime,
    step: i32,
}

fn customer_label(conn: &mut DbConnection, session_id: &str) -> Result<String, ApiError> {
    let named = customers::get(conn, session_id)?.and_then(|c| c.get("name").map(str::to_string));
    if let Some(name) = named {
        return Ok(name);
    }
    let (user, channel_ref): (Option<String>, String) = sessions::table
        .find(session_id)
        .select((sessions::user_id, sessions::channel_ref))
        .first(conn)?;
    Ok(user.unwrap_or(channel_ref))
}

/// Queues one alert mail per recipient, each due now or at the end of their quiet hours.
fn queue_mails(
    conn: &mut DbConnection,
    kind: AlertKind,
    w: &Waiting,
    to: &[Recipient],
    public_base: &str,
) -> Result<usize, ApiError> {
    if to.is_empty() {
        return Ok(0);
    }
    let at = now();
    let customer = customer_label(conn, &w.session_id)?;
    let link = crate::domain::types::inbox_url(public_base, &w.session_id);
    for r in to {
        let mail = compose(
            kind,
            &r.email,
            &AlertFacts {
                customer: &customer,
                reason: &w.reason,
                summary: w.summary.as_deref(),
                waited: at - w.created_at,
                link: &link,
                step: w.step,
            },
        );
        let due = r
            .quiet
            .as_ref()
            .and_then(|q| q.quiet_until(at.and_utc()))
            .map_or(at, |end| end.naive_utc());
        let id = format!("evt_{}", RecordId::new().to_string().replace('-', ""));
        diesel::insert_into(deliveries::table)
            .values(NewDelivery {
                id,
                // One lane per reviewer: their alerts go out in order, and a person's alerts
                // (like a team channel's) never hold the conversation's own callbacks.
                lane: format!("mail:{}", r.reviewer_id),
                session_id: Some(w.session_id.clone()),
                takeover_id: Some(w.takeover_id.clone()),
                event_type: kind.event_type().to_string(),
                api_key_id: None,
                webhook_id: None,
                message_id: None,
                url: format!("{MAILTO}{}", r.email.as_str()),
                payload: serde_json::to_string(&mail).map_err(|e| {
                    ApiError::internal(anyhow::Error::new(e).context("serialising an alert mail"))
                })?,
                status: DeliveryStatus::Pending.as_str().into(),
                attempts: 0,
                next_attempt_at: due,
                created_at: at,
                channel_id: Some(format!("mail:{}", r.reviewer_id)),
            })
            .execute(conn)?;
    }
    Ok(to.len())
}

/// Marks an occasion; `false` when it was marked before.
fn mark(conn: &mut DbConnection, mark: &str) -> Result<bool, ApiError> {
    let seen = alert_marks::table
        .find(mark)
        .select(alert_marks::mark)
        .first::<String>(conn)
        .optional()?
        .is_some();
    if seen {
        return Ok(false);
    }
    diesel::insert_into(alert_marks::table)
        .values((
            alert_marks::mark.eq(mark),
            alert_marks::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// A waiting takeover: id, session, reason, summary, created, step, team, reviewer.
type WaitingRow = (
    String,
    String,
    String,
    Option<String>,
    NaiveDateTime,
    i32,
    Option<String>,
    Option<String>,
);

/// An open offer: takeover, reviewer, offered at, session, reason, summary, created, step.
type OfferRow = (
    String,
    String,
    NaiveDateTime,
    String,
    String,
    Option<String>,
    NaiveDateTime,
    i32,
);

/// What one alert pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Mails queued.
    pub queued: usize,
    /// Queued alerts dropped because their takeover was claimed or ended.
    pub dropped: usize,
}

/// One alert pass: mails for each waiting takeover's step (its request, each escalation step)
/// and each offer not alerted yet, to the people they name; queued alerts of takeovers no longer
/// waiting are dropped. `mail` is false when no SMTP server is configured: occasions are still
/// marked, so configuring one later does not send a backlog.
pub fn sweep(conn: &mut DbConnection, public_base: &str, mail: bool) -> Result<Swept, ApiError> {
    let mut swept = Swept {
        dropped: drop_pointless(conn)?,
        ..Swept::default()
    };
    let waiting: Vec<WaitingRow> = takeovers::table
        .filter(takeovers::status.eq(TakeoverStatus::Requested.as_str()))
        .order(takeovers::updated_at.desc())
        .limit(BATCH)
        .select((
            takeovers::id,
            takeovers::session_id,
            takeovers::reason,
            takeovers::summary,
            takeovers::created_at,
            takeovers::escalation_step,
            takeovers::assignee_team_id,
            takeovers::assignee_reviewer_id,
        ))
        .load(conn)?;
    let marks: Vec<String> = waiting.iter().map(|t| step_mark(&t.0, t.5)).collect();
    let seen: std::collections::HashSet<String> = alert_marks::table
        .filter(alert_marks::mark.eq_any(&marks))
        .select(alert_marks::mark)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    for ((id, session_id, reason, summary, created_at, step, team, reviewer), m) in
        waiting.into_iter().zip(marks)
    {
        if seen.contains(&m) || !mark(conn, &m)? || !mail {
            continue;
        }
        let to = recipients(conn, team.as_deref(), reviewer.as_deref(), None)?;
        let w = Waiting {
            takeover_id: id,
            session_id,
            reason,
            summary,
            created_at,
            step,
        };
        swept.queued += queue_mails(conn, AlertKind::for_step(step), &w, &to, public_base)?;
    }
    let offers: Vec<OfferRow> = takeover_offers::table
        .inner_join(takeovers::table)
        .filter(takeovers::status.eq(TakeoverStatus::Requested.as_str()))
        .order(takeover_offers::offered_at.desc())
        .limit(BATCH)
        .select((
            takeover_offers::takeover_id,
            takeover_offers::reviewer_name,
            takeover_offers::offered_at,
            takeovers::session_id,
            takeovers::reason,
            takeovers::summary,
            takeovers::created_at,
            takeovers::escalation_step,
        ))
        .load(conn)?;
    for (id, reviewer, offered_at, session_id, reason, summary, created_at, step) in offers {
        let m = offer_mark(&id, &reviewer, offered_at.and_utc().timestamp_micros());
        if !mark(conn, &m)? || !mail {
            continue;
        }
        let to = recipients(conn, None, None, Some(&reviewer))?;
        let w = Waiting {
            takeover_id: id,
            session_id,
            reason,
            summary,
            created_at,
            step,
        };
        swept.queued += queue_mails(conn, AlertKind::Offered, &w, &to, public_base)?;
    }
    Ok(swept)
}

/// Drops the queued (not in flight) alerts of takeovers that no longer wait.
fn drop_pointless(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let at = now();
    let queued: Vec<(i64, String, Option<String>)> = deliveries::table
        .filter(deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .filter(deliveries::takeover_id.is_not_null())
        .filter(deliveries::channel_id.is_not_null())
        .filter(
            deliveries::locked_until
                .is_null()
                .or(deliveries::locked_until.lt(at)),
        )
        .filter(
            deliveries::takeover_id.eq_any(
                takeovers::table
                    .filter(takeovers::status.ne(TakeoverStatus::Requested.as_str()))
                    .select(takeovers::id.nullable()),
            ),
        )
        .select((
            deliveries::position,
            deliveries::event_type,
            deliveries::takeover_id,
        ))
        .limit(BATCH)
        .load(conn)?;
    let mut dropped = 0;
    for (position, event_type, takeover_id) in queued {
        if !is_waiting_alert(&event_type) {
            continue;
        }
        let status = takeover_status(conn, takeover_id.as_deref())?;
        if let Some(why) = pointless_because(status) {
            dropped += drop_delivery(conn, position, why)?;
        }
    }
    Ok(dropped)
}

fn takeover_status(
    conn: &mut DbConnection,
    takeover_id: Option<&str>,
) -> Result<Option<TakeoverStatus>, ApiError> {
    let Some(id) = takeover_id else {
        return Ok(None);
    };
    Ok(takeovers::table
        .find(id)
        .select(takeovers::status)
        .first::<String>(conn)
        .optional()?
        .and_then(|s| TakeoverStatus::parse(&s)))
}

/// Why the worker must not send this delivery after all: an alert about a takeover that is no
/// longer waiting. `None` for everything else.
pub fn pointless(
    conn: &mut DbConnection,
    d: &DeliveryRow,
) -> Result<Option<&'static str>, ApiError> {
    if !is_waiting_alert(&d.event_type) || d.takeover_id.is_none() {
        return Ok(None);
    }
    let status = takeover_status(conn, d.takeover_id.as_deref())?;
    Ok(pointless_because(status))
}

/// Marks a pending delivery dropped, with the reason; 1 when it was.
pub fn drop_delivery(conn: &mut DbConnection, position: i64, why: &str) -> Result<usize, ApiError> {
    Ok(diesel::update(
        deliveries::table
            .filter(deliveries::position.eq(position))
            .filter(deliveries::status.eq(DeliveryStatus::Pending.as_str())),
    )
    .set((
        deliveries::status.eq(DeliveryStatus::Dropped.as_str()),
        deliveries::locked_until.eq(None::<NaiveDateTime>),
        deliveries::last_error.eq(Some(why)),
    ))
    .execute(conn)?)
}

/// The mail a delivery carries, when it is an alert e-mail.
pub fn mail_of(d: &DeliveryRow) -> Option<AlertMail> {
    if !d.url.starts_with(MAILTO) {
        return None;
    }
    serde_json::from_str(&d.payload).ok()
}
