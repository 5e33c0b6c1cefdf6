//! Reviewer alerts by e-mail, free of SQL and SMTP: a reviewer's checked address and quiet hours
//! (a daily window in their time zone, read with the business-hours rules of `hours.rs`, so a
//! time-zone change is handled the same way), which occasions alert whom once, when an alert
//! still queued has become pointless (the takeover was claimed), and the mail's words.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::hours::{
    BusinessHours, BusinessHoursBody, OpeningIntervalBody, Openness, WeeklyHoursBody,
};
use super::types::TakeoverStatus;

/// The scheme of a mail delivery's `url` in the outbox: `mailto:<address>`.
pub const MAILTO: &str = "mailto:";

/// An e-mail address as a reviewer or an admin typed it, checked: one `@`, a local part and a
/// domain, no spaces or characters that would break a mail header, at most 254 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<EmailAddress, String> {
        let s = raw.trim();
        let bad = || format!("{raw:?} is not an e-mail address such as alice@example.com");
        if s.is_empty() || s.chars().count() > 254 {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let forbidden =
            |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"@".contains(c);
        if local.is_empty()
            || local.len() > 64
            || domain.is_empty()
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || local.chars().any(forbidden)
            || domain.chars().any(forbidden)
        {
            return Err(bad());
        }
        Ok(EmailAddress(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Quiet hours: every day from `start` to `end` in `timezone`, no alert e-mail is sent; one that
/// comes due inside them waits for their end (and is dropped if the takeover is claimed first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursBody {
    /// IANA time zone the times are in, e.g. `Europe/Berlin`.
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    /// When quiet hours begin, local `HH:MM` (inclusive).
    #[schema(example = "22:00")]
    pub start: String,
    /// When they end, local `HH:MM` (exclusive); earlier than `start` means the next morning.
    #[schema(example = "07:00")]
    pub end: String,
}

/// Checked quiet hours: a daily window, kept as a schedule whose "open" periods are the quiet
/// ones, so daylight-saving gaps and repeats follow the business-hours rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuietHours {
    body: QuietHoursBody,
    schedule: BusinessHours,
}

fn time_of_day(raw: &str) -> Option<(u32, u32)> {
    let (h, m) = raw.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

impl QuietHours {
    /// Errors name the field (`timezone`, `start`, `end`) and what is wrong.
    pub fn parse(body: &QuietHoursBody) -> Result<QuietHours, Vec<(String, String)>> {
        let mut errors = Vec::new();
        for (field, raw) in [("start", &body.start), ("end", &body.end)] {
            if time_of_day(raw).is_none() {
                errors.push((
                    field.to_string(),
                    format!("{raw:?} is not a time of day: use HH:MM, 00:00 to 23:59"),
                ));
            }
        }
        if errors.is_empty() && body.start == body.end {
            errors.push((
                "end".to_string(),
                "must differ from start (quiet hours cannot last all day: turn alerts off instead)"
                    .to_string(),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let interval = |open: &str, close: &str| OpeningIntervalBody {
            open: open.to_string(),
            close: close.to_string(),
        };
        let day = if body.start < body.end {
            vec![interval(&body.start, &body.end)]
        } else if body.end == "00:00" {
            vec![interval(&body.start, "24:00")]
        } else {
            vec![interval("00:00", &body.end), interval(&body.start, "24:00")]
        };
        let weekly = WeeklyHoursBody {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day.clone(),
            sat: day.clone(),
            sun: day,
        };
        let schedule = BusinessHours::parse(&BusinessHoursBody {
            timezone: body.timezone.clone(),
            weekly,
            holidays: vec![],
            off_hours_message: "quiet".into(),
            off_hours_action: Default::default(),
        })
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|(field, why)| {
                    let field = if field == "timezone" {
                        field
                    } else {
                        "start".into()
                    };
                    (field, why)
                })
                .collect::<Vec<_>>()
        })?;
        Ok(QuietHours {
            body: body.clone(),
            schedule,
        })
    }

    pub fn body(&self) -> &QuietHoursBody {
        &self.body
    }

    /// `Some(end)` when `now` is inside quiet hours: no alert goes out before `end`.
    pub fn quiet_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.schedule.status_at(now) {
            Openness::Open { closes_at } => Some(closes_at.unwrap_or(now + Duration::days(1))),
            Openness::Closed { .. } => None,
        }
    }
}

/// Why a reviewer is alerted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    /// A takeover waits for them or their team (its first step).
    Requested,
    /// A takeover nobody claimed moved on to an escalation step that names them or their team.
    Escalated,
    /// The router offered them a conversation.
    Offered,
}

impl AlertKind {
    /// The outbox `event_type` of the mail.
    pub fn event_type(self) -> &'static str {
        match self {
            AlertKind::Requested => "alert.takeover_requested",
            AlertKind::Escalated => "alert.takeover_escalated",
            AlertKind::Offered => "alert.takeover_offered",
        }
    }

    /// The kind behind a takeover's escalation step: 0 is the request itself.
    pub fn for_step(step: i32) -> AlertKind {
        if step == 0 {
            AlertKind::Requested
        } else {
            AlertKind::Escalated
        }
    }
}

/// The one mark that says a takeover's step has been alerted (whoever it reached).
pub fn step_mark(takeover_id: &str, step: i32) -> String {
    format!("takeover:{takeover_id}:step:{step}")
}

/// The one mark that says an offer has been alerted.
pub fn offer_mark(takeover_id: &str, reviewer: &str, offered_at_micros: i64) -> String {
    format!("offer:{takeover_id}:{reviewer}:{offered_at_micros}")
}

/// The outbox event types that alert people to a waiting takeover: e-mails, and the team
/// channels' notices of a request or an escalation step.
pub fn is_waiting_alert(event_type: &str) -> bool {
    event_type.starts_with("alert.")
        || event_type == "notification.takeover_requested"
        || event_type == "notification.takeover_escalated"
}

/// Why a queued alert about a waiting takeover is no longer sent: nobody needs to come once the
/// takeover is claimed or over. `None`: it still waits, send it.
pub fn pointless_because(takeover: Option<TakeoverStatus>) -> Option<&'static str> {
    match takeover {
        Some(TakeoverStatus::Requested) => None,
        Some(TakeoverStatus::Claimed) => {
            Some("dropped: the takeover was claimed before the alert went out")
        }
        Some(TakeoverStatus::Resolved) => {
            Some("dropped: the takeover ended before the alert went out")
        }
        None => Some("dropped: the takeover no longer exists"),
    }
}

/// What the mail says about the conversation.
#[derive(Clone, Debug)]
pub struct AlertFacts<'a> {
    pub customer: &'a str,
    pub reason: &'a str,
    pub summary: Option<&'a str>,
    pub waited: Duration,
    /// The conversation in the inbox.
    pub link: &'a str,
    /// The escalation step (0: the request).
    pub step: i32,
}

/// One alert e-mail, as it waits in the outbox (the delivery's payload).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertMail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// A wait as people say it: `45 s`, `12 min`, `2 h 5 min`.
pub fn describe_wait(waited: Duration) -> String {
    let s = waited.num_seconds().max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        _ if s % 3600 / 60 == 0 => format!("{} h", s / 3600),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// Keeps header text on one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The alert e-mail to `to`: who waits, why, the AI's summary, how long, and the link.
pub fn compose(kind: AlertKind, to: &EmailAddress, facts: &AlertFacts<'_>) -> AlertMail {
    let customer = one_line(facts.customer);
    let reason = one_line(facts.reason);
    let waited = describe_wait(facts.waited);
    let subject = match kind {
        AlertKind::Requested => format!("{customer} is waiting for a person: {reason}"),
        AlertKind::Escalated => format!(
            "Still waiting ({waited}, step {}): {customer}: {reason}",
            facts.step
        ),
        AlertKind::Offered => format!("Offered to you: {customer}: {reason}"),
    };
    let headline = match kind {
        AlertKind::Requested => "A conversation is waiting for a person.",
        AlertKind::Escalated => "Nobody has taken this conversation yet; it was escalated to you.",
        AlertKind::Offered => "This conversation was offered to you.",
    };
    let summary = facts
        .summary
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("(none)");
    let text = format!(
        "{headline}\n\nCustomer: {customer}\nReason: {reason}\nSummary: {summary}\nWaiting for: {waited}\n\nOpen it in Baton: {}\n",
        facts.link
    );
    AlertMail {
        to: to.as_str().to_string(),
        subject: subject.chars().take(200).collect(),
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn addresses_need_one_at_a_local_part_and_a_domain() {
        assert!(EmailAddress::parse(" alice@example.com ").is_ok());
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@example.com",
            "a@b@c",
            "a@.com",
            "x@y\r\nBcc: z",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quiet_hours_across_midnight_hold_the_end_of_the_night() {
        let q = QuietHours::parse(&QuietHoursBody {
            timezone: "Europe/Berlin".into(),
            start: "22:00".into(),
            end: "07:00".into(),
        })
        .unwrap();
        // 23:30 in Berlin (winter, UTC+1) is 22:30 UTC: quiet until 07:00 Berlin, 06:00 UTC.
        let late = Utc.with_ymd_and_hms(2026, 12, 7, 22, 30, 0).unwrap();
        assert_eq!(
            q.quiet_until(late),
            Some(Utc.with_ymd_and_hms(2026, 12, 8, 6, 0, 0).unwrap())
        );
        let noon = Utc.with_ymd_and_hms(2026, 12, 7, 11, 0, 0).unwrap();
        assert_eq!(q.quiet_until(noon), None);
    }

    #[test]
    fn bad_quiet_hours_name_the_field() {
        let errors = QuietHours::parse(&QuietHoursBody {
            timezone: "Mars/Olympus".into(),
            start: "25:00".into(),
            end: "07:00".into(),
        })
        .unwrap_err();
        assert_eq!(errors[0].0, "start");
        let errors = QuietHours::parse(&QuietHoursBody {
            timezone: "Mars/Olympus".into(),
            start: "22:00".into(),
            end: "07:00".into(),
        })
        .unwrap_err();
        assert_eq!(errors[0].0, "timezone");
    }

    #[test]
    fn a_claimed_takeover_drops_its_queued_alerts() {
        assert_eq!(pointless_because(Some(TakeoverStatus::Requested)), None);
        assert!(pointless_because(Some(TakeoverStatus::Claimed)).is_some());
        assert!(is_waiting_alert("alert.takeover_offered"));
        assert!(!is_waiting_alert("notification.reviewer_silent"));
    }

    #[test]
    fn the_mail_names_customer_reason_summary_wait_and_link() {
        let to = EmailAddress::parse("bob@example.com").unwrap();
        let mail = compose(
            AlertKind::Escalated,
            &to,
            &AlertFacts {
                customer: "Dana\nScully",
                reason: "refund",
                summary: Some("Wants her money back"),
                waited: Duration::seconds(125),
                link: "https://baton.test/inbox/sessions/s1",
                step: 1,
            },
        );
        assert_eq!(
            mail.subject,
            "Still waiting (2 min, step 1): Dana Scully: refund"
        );
        for part in [
            "Dana Scully",
            "refund",
            "Wants her money back",
            "2 min",
            "https://baton.test/inbox/sessions/s1",
        ] {
            assert!(mail.text.contains(part), "{part} in {}", mail.text);
        }
        assert_eq!(
            describe_wait(Duration::seconds(3 * 3600 + 120)),
            "3 h 2 min"
        );
    }
}
