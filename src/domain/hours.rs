//! A team's business hours: the weekly schedule in its time zone, holidays, and what a customer
//! is told outside them. Pure: the clock is always a parameter.
//!
//! # How a local time becomes an instant
//! Every time of day in a schedule (an opening, a closing, `24:00`) means **the first instant at
//! which the team's wall clock shows that time or a later one** on that date. So:
//! - an ordinary time is the one instant the clock shows it;
//! - a time that does not exist (the spring-forward gap, e.g. 02:30 on the last Sunday of March in
//!   Europe/Berlin) is the first instant after the gap (03:00 CEST);
//! - a time that happens twice (the fall-back hour) is the earlier of the two, for an opening and a
//!   closing alike: `02:30-04:00` on the last Sunday of October in Berlin opens at 02:30 CEST and
//!   runs through the repeated hour, `01:00-02:30` closes at the first 02:30 (CEST).
//!
//! The rule maps later local times to later (or equal) instants, so intervals never turn inside
//! out, and `24:00` of one day is exactly `00:00` of the next: intervals that touch, within a day
//! or across midnight, form one continuous open period.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How far ahead an opening or a closing is looked for.
pub const HORIZON_DAYS: i64 = 400;
/// At most this many holiday dates.
pub const MAX_HOLIDAYS: usize = 366;
/// At most this many intervals on one day.
pub const MAX_INTERVALS_PER_DAY: usize = 48;
/// The off-hours message's length limit, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1000;

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MINUTES_PER_DAY: u16 = 24 * 60;

// ---------------------------------------------------------------------------------------------
// Request body
// ---------------------------------------------------------------------------------------------

/// A team's business hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "timezone": "Europe/Berlin",
    "weekly": {
        "mon": [{"open": "09:00", "close": "12:30"}, {"open": "13:30", "close": "17:30"}],
        "tue": [{"open": "09:00", "close": "17:30"}],
        "wed": [{"open": "09:00", "close": "17:30"}],
        "thu": [{"open": "09:00", "close": "17:30"}],
        "fri": [{"open": "09:00", "close": "16:00"}],
        "sat": [],
        "sun": []
    },
    "holidays": ["2026-12-25", "2026-12-26"],
    "off_hours_message": "We're closed right now. A person will answer from {opens_at}.",
    "off_hours_action": "queue"
}))]
pub struct BusinessHoursBody {
    /// IANA time zone the schedule and the holidays are written in, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Opening intervals per weekday, in local time. A day left out or empty is closed. At
    /// least one interval in the week is required.
    #[serde(default)]
    pub weekly: WeeklyHoursBody,
    /// Local dates (`YYYY-MM-DD`, at most 366) on which the team is closed all day.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Sent to the customer through `reply_webhook` when a person is asked for outside business
    /// hours, 1 to 1000 characters. `{opens_at}` is replaced by the next opening in the team's
    /// local time, e.g. `tomorrow 09:00 (Europe/Berlin)`, or by `the next opening` if there is
    /// none within 400 days.
    #[serde(default = "default_off_hours_message")]
    pub off_hours_message: String,
    /// What happens to a takeover requested outside business hours.
    #[serde(default)]
    pub off_hours_action: OffHoursAction,
}

/// Opening intervals for each day of the week.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHoursBody {
    /// Monday.
    #[serde(default)]
    pub mon: Vec<OpeningIntervalBody>,
    /// Tuesday.
    #[serde(default)]
    pub tue: Vec<OpeningIntervalBody>,
    /// Wednesday.
    #[serde(default)]
    pub wed: Vec<OpeningIntervalBody>,
    /// Thursday.
    #[serde(default)]
    pub thu: Vec<OpeningIntervalBody>,
    /// Friday.
    #[serde(default)]
    pub fri: Vec<OpeningIntervalBody>,
    /// Saturday.
    #[serde(default)]
    pub sat: Vec<OpeningIntervalBody>,
    /// Sunday.
    #[serde(default)]
    pub sun: Vec<OpeningIntervalBody>,
}

impl WeeklyHoursBody {
    fn days(&self) -> [&Vec<OpeningIntervalBody>; 7] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
    }
}

/// One opening interval within a day, local time. It may not run past midnight: write
/// `22:00-24:00` on one day and `00:00-06:00` on the next, which count as one open period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningIntervalBody {
    /// Opening time, `HH:MM` (inclusive).
    #[schema(example = "09:00")]
    pub open: String,
    /// Closing time, `HH:MM`, after `open`; `24:00` is the end of the day (exclusive).
    #[schema(example = "17:30")]
    pub close: String,
}

/// What a takeover requested outside business hours does after the off-hours message is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OffHoursAction {
    /// The takeover waits in the queue for the next opening.
    #[default]
    Queue,
    /// The AI takes the conversation back at once.
    Handback,
}

impl OffHoursAction {
    pub fn as_str(self) -> &'static str {
        match self {
            OffHoursAction::Queue => "queue",
            OffHoursAction::Handback => "handback",
        }
    }

    pub fn parse(s: &str) -> Option<OffHoursAction> {
        match s {
            "queue" => Some(OffHoursAction::Queue),
            "handback" => Some(OffHoursAction::Handback),
            _ => None,
        }
    }
}

fn default_off_hours_message() -> String {
    "We're closed right now. A person will answer from {opens_at}.".to_string()
}

// ---------------------------------------------------------------------------------------------
// Checked value
// ---------------------------------------------------------------------------------------------

/// Minutes since local midnight, 0 to 1440.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Minute(u16);

impl Minute {
    /// Parses `HH:MM`, 00:00 to 24:00.
    fn parse(raw: &str) -> Result<Minute, String> {
        let bad = || format!("{raw:?} is not a time of day: use HH:MM, 00:00 to 24:00");
        let (h, m) = raw.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m > 59 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(Minute(h * 60 + m))
    }

    fn format(self) -> String {
        format!("{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// An opening interval within one local day, `open < close`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Interval {
    open: Minute,
    close: Minute,
}

/// Whether a team is open at an instant, and until or from when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Openness {
    /// Open now. `closes_at` is when the current open period ends (touching intervals count as
    /// one period); `None` if it does not end within 400 days (a team open around the clock).
    Open { closes_at: Option<DateTime<Utc>> },
    /// Closed now. `opens_at` is the next opening; `None` if there is none within 400 days.
    Closed { opens_at: Option<DateTime<Utc>> },
}

impl Openness {
    pub fn is_open(&self) -> bool {
        matches!(self, Openness::Open { .. })
    }
}

/// Checked business hours; build one from a [`BusinessHoursBody`] with [`BusinessHours::parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusinessHours {
    timezone: Tz,
    /// Indexed by `Weekday::num_days_from_monday`; sorted, never overlapping.
    weekly: [Vec<Interval>; 7],
    holidays: BTreeSet<NaiveDate>,
    off_hours_message: String,
    off_hours_action: OffHoursAction,
}

impl TryFrom<&BusinessHoursBody> for BusinessHours {
    type Error = Vec<(String, String)>;

    fn try_from(body: &BusinessHoursBody) -> Result<Self, Self::Error> {
        BusinessHours::parse(body)
    }
}

impl BusinessHours {
    /// Checks a request body. Errors name the field (`weekly.mon[0].close`) and what is wrong.
    pub fn parse(body: &BusinessHoursBody) -> Result<BusinessHours, Vec<(String, String)>> {
        let mut errors: Vec<(String, String)> = Vec::new();

        let timezone = match body.timezone.parse::<Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                errors.push((
                    "timezone".into(),
                    format!(
                        "{:?} is not an IANA time zone name such as Europe/Berlin",
                        body.timezone
                    ),
                ));
                None
            }
        };

        let mut weekly: [Vec<Interval>; 7] = Default::default();
        for (day, raw) in body.weekly.days().into_iter().enumerate() {
            let name = DAY_NAMES[day];
            if raw.len() > MAX_INTERVALS_PER_DAY {
                errors.push((
                    format!("weekly.{name}"),
                    format!("at most {MAX_INTERVALS_PER_DAY} intervals a day"),
                ));
                continue;
            }
            // (index in the request, interval) so an overlap names the entry that caused it
            let mut parsed: Vec<(usize, Interval)> = Vec::new();
            for (i, iv) in raw.iter().enumerate() {
                match (Minute::parse(&iv.open), Minute::parse(&iv.close)) {
                    (Ok(open), Ok(close)) if close <= open => errors.push((
                        format!("weekly.{name}[{i}].close"),
                        format!(
                            "must be after the opening time {}; an interval cannot run past \
                             midnight: end it at 24:00 and continue at 00:00 the next day",
                            open.format()
                        ),
                    )),
                    (Ok(open), Ok(close)) => parsed.push((i, Interval { open, close })),
                    (open, close) => {
                        if let Err(e) = open {
                            errors.push((format!("weekly.{name}[{i}].open"), e));
                        }
                        if let Err(e) = close {
                            errors.push((format!("weekly.{name}[{i}].close"), e));
                        }
                    }
                }
            }
            parsed.sort_by_key(|(_, iv)| iv.open);
            for pair in parsed.windows(2) {
                let ((i, a), (j, b)) = (pair[0], pair[1]);
                if b.open < a.close {
                    errors.push((
                        format!("weekly.{name}[{j}]"),
                        format!(
                            "overlaps weekly.{name}[{i}] ({}-{})",
                            a.open.format(),
                            a.close.format()
                        ),
                    ));
                }
            }
            weekly[day] = parsed.into_iter().map(|(_, iv)| iv).collect();
        }
        let has_interval = body.weekly.days().iter().any(|d| !d.is_empty());
        if !has_interval {
            errors.push((
                "weekly".into(),
                "needs at least one opening interval in the week".into(),
            ));
        }

        let mut holidays = BTreeSet::new();
        if body.holidays.len() > MAX_HOLIDAYS {
            errors.push(("holidays".into(), format!("at most {MAX_HOLIDAYS} dates")));
        }
        for (i, raw) in body.holidays.iter().enumerate().take(MAX_HOLIDAYS) {
            // chrono alone would accept `2026-1-5`; the API promises YYYY-MM-DD
            let date = (raw.len() == 10)
                .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
                .flatten();
            match date {
                Some(d) => {
                    holidays.insert(d);
                }
                None => errors.push((
                    format!("holidays[{i}]"),
                    format!("{raw:?} is not a date: use YYYY-MM-DD"),
                )),
            }
        }

        let chars = body.off_hours_message.chars().count();
        if body.off_hours_message.trim().is_empty() {
            errors.push(("off_hours_message".into(), "must not be empty".into()));
        } else if chars > MAX_MESSAGE_CHARS {
            errors.push((
                "off_hours_message".into(),
                format!("at most {MAX_MESSAGE_CHARS} characters (this one has {chars})"),
            ));
        }

        match timezone {
            Some(timezone) if errors.is_empty() => Ok(BusinessHours {
                timezone,
                weekly,
                holidays,
                off_hours_message: body.off_hours_message.clone(),
                off_hours_action: body.off_hours_action,
            }),
            _ => Err(errors),
        }
    }

    /// The body to answer a GET with: what was set, holidays sorted and without repeats.
    pub fn to_body(&self) -> BusinessHoursBody {
        let day = |d: usize| -> Vec<OpeningIntervalBody> {
            self.weekly[d]
                .iter()
                .map(|iv| OpeningIntervalBody {
                    open: iv.open.format(),
                    close: iv.close.format(),
                })
                .collect()
        };
        BusinessHoursBody {
            timezone: self.timezone.name().to_string(),
            weekly: WeeklyHoursBody {
                mon: day(0),
                tue: day(1),
                wed: day(2),
                thu: day(3),
                fri: day(4),
                sat: day(5),
                sun: day(6),
            },
            holidays: self
                .holidays
                .iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect(),
            off_hours_message: self.off_hours_message.clone(),
            off_hours_action: self.off_hours_action,
        }
    }

    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    pub fn off_hours_action(&self) -> OffHoursAction {
        self.off_hours_action
    }

    /// The team's time zone.
    pub fn zone(&self) -> Tz {
        self.timezone
    }

    /// The message as configured, `{opens_at}` not yet replaced (see [`Self::render_message`]).
    pub fn off_hours_message(&self) -> &str {
        &self.off_hours_message
    }

    /// Whether the team is open at `now` (opening inclusive, closing exclusive), and when that
    /// changes next.
    pub fn status_at(&self, now: DateTime<Utc>) -> Openness {
        let (periods, horizon_end) = self.periods_around(now);
        for (start, end) in periods {
            if end <= now {
                continue;
            }
            if start > now {
                return Openness::Closed {
                    opens_at: Some(start),
                };
            }
            // the period may have been cut by the horizon rather than by a closing
            let closes_at = (end < horizon_end).then_some(end);
            return Openness::Open { closes_at };
        }
        Openness::Closed { opens_at: None }
    }

    /// The start of the first open period that begins strictly after `now`: when closed, the
    /// next opening; when open, the reopening after the current period closes. `None` if there
    /// is none within 400 days.
    pub fn next_open_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (mut periods, _) = self.periods_around(now);
        periods
            .find(|(start, _)| *start > now)
            .map(|(start, _)| start)
    }

    /// The instant at which `open_time` of business hours has passed since `from` (time while
    /// closed does not count): a deadline for timers that only run while the team is open.
    /// `None` if that takes more than the next 400 days.
    pub fn add_open_time(&self, from: DateTime<Utc>, open_time: Duration) -> Option<DateTime<Utc>> {
        if open_time <= Duration::zero() {
            return Some(from);
        }
        let mut left = open_time;
        let (periods, horizon_end) = self.periods_around(from);
        for (start, end) in periods {
            if end <= from {
                continue;
            }
            let start = start.max(from);
            if end - start >= left && start + left < horizon_end {
                return Some(start + left);
            }
            left -= end - start;
        }
        None
    }

    /// The off-hours message with `{opens_at}` replaced by the opening in the team's local time,
    /// relative to `now`: `today 09:00 (Europe/Berlin)`, `tomorrow 09:00 (…)`, within a week
    /// `Monday 09:00 (…)`, later `Monday 4 January 09:00 (…)` (with the year if it is not
    /// `now`'s); `the next opening` for `None`.
    pub fn render_message(&self, opens_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
        let text = match opens_at {
            None => super::texts::next_opening(None).to_string(),
            Some(at) => super::texts::describe_opening(None, at, now, self.timezone),
        };
        self.off_hours_message.replace("{opens_at}", &text)
    }

    /// The open periods, in order and merged where they touch, from two local days before
    /// `now` to [`HORIZON_DAYS`] after it; and the instant where that range ends.
    fn periods_around(
        &self,
        now: DateTime<Utc>,
    ) -> (
        impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_,
        DateTime<Utc>,
    ) {
        let today = now.with_timezone(&self.timezone).date_naive();
        // two days back: a period that began before `now` must be seen whole
        let first = today - Duration::days(2);
        let last = today + Duration::days(HORIZON_DAYS);
        let horizon_end = self.instant(last + Duration::days(1), Minute(0));
        let intervals = first
            .iter_days()
            .take_while(move |d| *d <= last)
            .filter(|d| !self.holidays.contains(d))
            .flat_map(move |d| {
                self.weekly[d.weekday().num_days_from_monday() as usize]
                    .iter()
                    .map(move |iv| (self.instant(d, iv.open), self.instant(d, iv.close)))
            })
            // an interval entirely inside a spring-forward gap never happens
            .filter(|(start, end)| start < end);
        (Merged::new(intervals), horizon_end)
    }

    /// The instant a local time of day on `date` stands for (see the module documentation).
    fn instant(&self, date: NaiveDate, minute: Minute) -> DateTime<Utc> {
        let local = date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute.0));
        first_instant_showing(self.timezone, local)
    }
}

/// The first instant at which the wall clock in `tz` shows `local` or a later time.
fn first_instant_showing(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: the first local time that exists again is the end of the gap. Gaps are
            // an hour or so (a whole day at most, Pacific/Apia 2011); walk to their end by the
            // minute, then by the second for historical offsets that are not whole minutes.
            let exists = |t: NaiveDateTime| tz.from_local_datetime(&t).earliest();
            for m in 1..=(2 * i64::from(MINUTES_PER_DAY)) {
                let at = local + Duration::minutes(m);
                if exists(at).is_some() {
                    let exact = (1..60)
                        .rev()
                        .map(|s| at - Duration::seconds(s))
                        .find_map(exists)
                        .or_else(|| exists(at));
                    if let Some(t) = exact {
                        return t.with_timezone(&Utc);
                    }
                }
            }
            // no time zone has a gap this long; read the local time with the offset in force
            let offset = tz.offset_from_utc_datetime(&local).fix().local_minus_utc();
            (local - Duration::seconds(i64::from(offset))).and_utc()
        }
    }
}

/// Merges consecutive `(start, end)` periods that touch or overlap.
struct Merged<I: Iterator<Item = (DateTime<Utc>, DateTime<Utc>)>> {
    inner: std::iter::Peekable<I>,
}

impl<I: Iterator<Item = (DateTime<Utc>, DateTime<Utc>)>> Merged<I> {
    fn new(inner: I) -> Self {
        Merged {
            inner: inner.peekable(),
        }
    }
}

impl<I: Iterator<Item = (DateTime<Utc>, DateTime<Utc>)>> Iterator for Merged<I> {
    type Item = (DateTime<Utc>, DateTime<Utc>);

    fn next(&mut self) -> Option<Self::Item> {
        let (start, mut end) = self.inner.next()?;
        while let Some((_, next_end)) = self.inner.next_if(|(next_start, _)| *next_start <= end) {
            end = end.max(next_end);
        }
        Some((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn iv(open: &str, close: &str) -> OpeningIntervalBody {
        OpeningIntervalBody {
            open: open.into(),
            close: close.into(),
        }
    }

    /// Monday to Friday 09:00-17:00 in `tz`.
    fn office(tz: &str) -> BusinessHoursBody {
        let day = vec![iv("09:00", "17:00")];
        BusinessHoursBody {
            timezone: tz.into(),
            weekly: WeeklyHoursBody {
                mon: day.clone(),
                tue: day.clone(),
                wed: day.clone(),
                thu: day.clone(),
                fri: day,
                ..Default::default()
            },
            holidays: vec![],
            off_hours_message: default_off_hours_message(),
            off_hours_action: OffHoursAction::Queue,
        }
    }

    fn hours(body: &BusinessHoursBody) -> BusinessHours {
        BusinessHours::parse(body).unwrap()
    }

    fn open_until(at: &str) -> Openness {
        Openness::Open {
            closes_at: Some(utc(at)),
        }
    }

    fn closed_until(at: &str) -> Openness {
        Openness::Closed {
            opens_at: Some(utc(at)),
        }
    }

    fn fields(body: &BusinessHoursBody) -> Vec<String> {
        BusinessHours::parse(body)
            .unwrap_err()
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    }

    #[test]
    fn the_opening_minute_is_open_and_the_closing_minute_is_closed() {
        // 2026-06-01 is a Monday; Berlin is UTC+2 in summer
        let h = hours(&office("Europe/Berlin"));
        assert_eq!(
            h.status_at(utc("2026-06-01T06:59:59Z")),
            closed_until("2026-06-01T07:00:00Z")
        );
        assert_eq!(
            h.status_at(utc("2026-06-01T07:00:00Z")),
            open_until("2026-06-01T15:00:00Z")
        );
        assert_eq!(
            h.status_at(utc("2026-06-01T14:59:59Z")),
            open_until("2026-06-01T15:00:00Z")
        );
        assert_eq!(
            h.status_at(utc("2026-06-01T15:00:00Z")),
            closed_until("2026-06-02T07:00:00Z")
        );
    }

    #[test]
    fn a_lunch_break_splits_the_day_into_two_periods() {
        let mut body = office("UTC");
        body.weekly.mon = vec![iv("13:30", "17:00"), iv("09:00", "12:30")];
        let h = hours(&body);
        assert_eq!(
            h.status_at(utc("2026-06-01T10:00:00Z")),
            open_until("2026-06-01T12:30:00Z")
        );
        assert_eq!(
            h.status_at(utc("2026-06-01T12:30:00Z")),
            closed_until("2026-06-01T13:30:00Z")
        );
        assert_eq!(
            h.status_at(utc("2026-06-01T13:30:00Z")),
            open_until("2026-06-01T17:00:00Z")
        );
        // intervals come back sorted
        assert_eq!(h.to_body().weekly.mon[0], iv("09:00", "12:30"));
    }

    #[test]
    fn touching_intervals_are_one_period() {
        let mut body = office("UTC");
        body.weekly.mon = vec![iv("09:00", "12:00"), iv("12:00", "17:00")];
        assert_eq!(
            hours(&body).status_at(utc("2026-06-01T10:00:00Z")),
            open_until("2026-06-01T17:00:00Z")
        );
    }

    #[test]
    fn a_weekend_without_entries_is_closed_and_sunday_night_waits_for_monday() {
        let h = hours(&office("Europe/Berlin"));
        // Saturday noon
        assert_eq!(
            h.status_at(utc("2026-06-06T10:00:00Z")),
            closed_until("2026-06-08T07:00:00Z")
        );
        // Sunday 22:00 in Berlin
        assert_eq!(
            h.status_at(utc("2026-06-07T20:00:00Z")),
            closed_until("2026-06-08T07:00:00Z")
        );
        // Friday evening
        assert_eq!(
            h.next_open_after(utc("2026-06-05T16:00:00Z")),
            Some(utc("2026-06-08T07:00:00Z"))
        );
    }

    #[test]
    fn a_holiday_is_closed_all_day_and_the_next_opening_skips_it() {
        let mut body = office("Europe/Berlin");
        // Friday 25 and Monday 28 December 2026
        body.holidays = vec!["2026-12-28".into(), "2026-12-25".into()];
        let h = hours(&body);
        // Friday 25 December 10:00 in Berlin (UTC+1)
        assert_eq!(
            h.status_at(utc("2026-12-25T09:00:00Z")),
            closed_until("2026-12-29T08:00:00Z")
        );
        // Thursday 24 December 18:00
        assert_eq!(
            h.status_at(utc("2026-12-24T17:00:00Z")),
            closed_until("2026-12-29T08:00:00Z")
        );
        assert_eq!(h.to_body().holidays, vec!["2026-12-25", "2026-12-28"]);
    }

    #[test]
    fn the_same_instant_is_open_in_one_zone_and_closed_in_another() {
        // Monday 2026-06-01 08:00 UTC: 10:00 in Berlin, 04:00 in New York
        let now = utc("2026-06-01T08:00:00Z");
        assert_eq!(
            hours(&office("Europe/Berlin")).status_at(now),
            open_until("2026-06-01T15:00:00Z")
        );
        assert_eq!(
            hours(&office("America/New_York")).status_at(now),
            closed_until("2026-06-01T13:00:00Z")
        );
        // half-hour offsets: 09:00 in Kolkata is 03:30 UTC
        assert_eq!(
            hours(&office("Asia/Kolkata")).status_at(utc("2026-06-01T03:00:00Z")),
            closed_until("2026-06-01T03:30:00Z")
        );
    }

    #[test]
    fn a_nine_o_clock_opening_stays_at_nine_local_across_daylight_saving_changes() {
        let berlin = hours(&office("Europe/Berlin"));
        // spring forward on Sunday 29 March 2026: Friday opens 08:00 UTC, Monday 07:00 UTC
        assert_eq!(
            berlin.status_at(utc("2026-03-27T07:30:00Z")),
            closed_until("2026-03-27T08:00:00Z")
        );
        assert_eq!(
            berlin.status_at(utc("2026-03-28T12:00:00Z")),
            closed_until("2026-03-30T07:00:00Z")
        );
        // fall back on Sunday 25 October 2026: Friday 07:00 UTC, Monday 08:00 UTC
        assert_eq!(
            berlin.status_at(utc("2026-10-23T06:30:00Z")),
            closed_until("2026-10-23T07:00:00Z")
        );
        assert_eq!(
            berlin.status_at(utc("2026-10-24T12:00:00Z")),
            closed_until("2026-10-26T08:00:00Z")
        );

        let new_york = hours(&office("America/New_York"));
        // spring forward on Sunday 8 March 2026: EST (UTC-5) then EDT (UTC-4)
        assert_eq!(
            new_york.status_at(utc("2026-03-07T12:00:00Z")),
            closed_until("2026-03-09T13:00:00Z")
        );
        assert_eq!(
            new_york.status_at(utc("2026-03-06T15:00:00Z")),
            open_until("2026-03-06T22:00:00Z")
        );
        // fall back on Sunday 1 November 2026
        assert_eq!(
            new_york.status_at(utc("2026-10-31T12:00:00Z")),
            closed_until("2026-11-02T14:00:00Z")
        );
    }

    #[test]
    fn an_opening_inside_the_spring_forward_gap_is_the_first_instant_after_it() {
        // Berlin skips 02:00-03:00 on Sunday 29 March 2026 (01:00 UTC)
        let mut body = office("Europe/Berlin");
        body.weekly.sun = vec![iv("02:30", "05:00")];
        let h = hours(&body);
        assert_eq!(
            h.status_at(utc("2026-03-29T00:59:59Z")),
            closed_until("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            h.status_at(utc("2026-03-29T01:00:00Z")),
            open_until("2026-03-29T03:00:00Z")
        );
        // the Sunday before, in winter time, 02:30 is 01:30 UTC
        assert_eq!(
            h.status_at(utc("2026-03-22T01:00:00Z")),
            closed_until("2026-03-22T01:30:00Z")
        );

        // an interval entirely inside the gap does not happen that day
        body.weekly.sun = vec![iv("02:10", "02:50")];
        let h = hours(&body);
        assert_eq!(
            h.status_at(utc("2026-03-29T00:30:00Z")),
            closed_until("2026-03-30T07:00:00Z")
        );

        // New York skips 02:00-03:00 on Sunday 8 March 2026 (07:00 UTC)
        let mut body = office("America/New_York");
        body.weekly.sun = vec![iv("02:30", "04:00")];
        assert_eq!(
            hours(&body).status_at(utc("2026-03-08T06:00:00Z")),
            closed_until("2026-03-08T07:00:00Z")
        );
    }

    #[test]
    fn a_repeated_fall_back_time_means_its_first_occurrence() {
        // Berlin repeats 02:00-03:00 on Sunday 25 October 2026: 00:00-01:00 UTC (CEST), then
        // 01:00-02:00 UTC (CET)
        let mut body = office("Europe/Berlin");
        body.weekly.sun = vec![iv("02:30", "04:00")];
        let h = hours(&body);
        assert_eq!(
            h.status_at(utc("2026-10-25T00:29:59Z")),
            closed_until("2026-10-25T00:30:00Z")
        );
        // open through the repeated hour, until 04:00 CET
        assert_eq!(
            h.status_at(utc("2026-10-25T01:10:00Z")),
            open_until("2026-10-25T03:00:00Z")
        );

        body.weekly.sun = vec![iv("01:00", "02:30")];
        let h = hours(&body);
        assert_eq!(
            h.status_at(utc("2026-10-24T23:00:00Z")),
            open_until("2026-10-25T00:30:00Z")
        );
        // the second 02:15 (CET) is after the closing
        assert!(!h.status_at(utc("2026-10-25T01:15:00Z")).is_open());

        // New York repeats 01:00-02:00 on Sunday 1 November 2026: 05:00-06:00 UTC (EDT), then
        // 06:00-07:00 UTC (EST)
        let mut body = office("America/New_York");
        body.weekly.sun = vec![iv("01:30", "03:00")];
        assert_eq!(
            hours(&body).status_at(utc("2026-11-01T05:00:00Z")),
            closed_until("2026-11-01T05:30:00Z")
        );
        assert_eq!(
            hours(&body).status_at(utc("2026-11-01T06:45:00Z")),
            open_until("2026-11-01T08:00:00Z")
        );
    }

    #[test]
    fn intervals_touching_at_midnight_are_one_period() {
        let mut body = office("Europe/Berlin");
        body.weekly.mon = vec![iv("22:00", "24:00")];
        body.weekly.tue = vec![iv("00:00", "06:00"), iv("09:00", "17:00")];
        let h = hours(&body);
        // Monday 23:00 in Berlin: open until Tuesday 06:00
        assert_eq!(
            h.status_at(utc("2026-06-01T21:00:00Z")),
            open_until("2026-06-02T04:00:00Z")
        );
        assert_eq!(
            h.status_at(utc("2026-06-02T04:00:00Z")),
            closed_until("2026-06-02T07:00:00Z")
        );

        // 24:00 with nothing after it closes at midnight
        let mut body = office("Europe/Berlin");
        body.weekly.sun = vec![iv("20:00", "24:00")];
        let h = hours(&body);
        assert_eq!(
            h.status_at(utc("2026-06-07T19:00:00Z")),
            open_until("2026-06-07T22:00:00Z")
        );

        // and a holiday on Tuesday cuts the night short at midnight
        let mut body = office("Europe/Berlin");
        body.weekly.mon = vec![iv("22:00", "24:00")];
        body.weekly.tue = vec![iv("00:00", "06:00")];
        body.holidays = vec!["2026-06-02".into()];
        assert_eq!(
            hours(&body).status_at(utc("2026-06-01T21:00:00Z")),
            open_until("2026-06-01T22:00:00Z")
        );
    }

    #[test]
    fn a_team_open_around_the_clock_never_closes() {
        let day = vec![iv("00:00", "24:00")];
        let body = BusinessHoursBody {
            weekly: WeeklyHoursBody {
                mon: day.clone(),
                tue: day.clone(),
                wed: day.clone(),
                thu: day.clone(),
                fri: day.clone(),
                sat: day.clone(),
                sun: day,
            },
            ..office("Europe/Berlin")
        };
        let h = hours(&body);
        assert_eq!(
            h.status_at(utc("2026-03-29T01:30:00Z")),
            Openness::Open { closes_at: None }
        );
        assert_eq!(h.next_open_after(utc("2026-03-29T01:30:00Z")), None);
    }

    #[test]
    fn a_schedule_that_only_has_holidays_never_opens() {
        let mut body = office("UTC");
        body.weekly = WeeklyHoursBody {
            fri: vec![iv("09:00", "17:00")],
            ..Default::default()
        };
        // Fridays from 5 June 2026 on, 60 weeks of them
        body.holidays = (0..60)
            .map(|w| {
                (NaiveDate::from_ymd_opt(2026, 6, 5).unwrap() + Duration::weeks(w)).to_string()
            })
            .collect();
        assert_eq!(
            hours(&body).status_at(utc("2026-06-01T00:00:00Z")),
            Openness::Closed { opens_at: None }
        );
    }

    #[test]
    fn open_time_pauses_while_the_team_is_closed() {
        let h = hours(&office("Europe/Berlin"));
        // Friday 5 June 2026 16:30 Berlin + 1 hour of open time = Monday 09:30
        assert_eq!(
            h.add_open_time(utc("2026-06-05T14:30:00Z"), Duration::hours(1)),
            Some(utc("2026-06-08T07:30:00Z"))
        );
        // from Saturday: the count starts at the opening
        assert_eq!(
            h.add_open_time(utc("2026-06-06T10:00:00Z"), Duration::minutes(10)),
            Some(utc("2026-06-08T07:10:00Z"))
        );
        // within one period
        assert_eq!(
            h.add_open_time(utc("2026-06-01T08:00:00Z"), Duration::minutes(10)),
            Some(utc("2026-06-01T08:10:00Z"))
        );
        // two working days and a bit
        assert_eq!(
            h.add_open_time(utc("2026-06-01T07:00:00Z"), Duration::hours(17)),
            Some(utc("2026-06-03T08:00:00Z"))
        );
    }

    #[test]
    fn validation_errors_name_their_fields() {
        let mut body = office("Mars/Olympus_Mons");
        body.weekly.mon = vec![iv("9:00", "17:00"), iv("10:00", "24:30")];
        body.weekly.tue = vec![iv("17:00", "09:00")];
        body.weekly.wed = vec![iv("09:00", "12:00"), iv("08:00", "10:00")];
        body.weekly.thu = vec![iv("09:00", "09:00")];
        body.holidays = vec!["2026-12-25".into(), "2026-02-30".into(), "2026-1-5".into()];
        body.off_hours_message = "  ".into();
        assert_eq!(
            fields(&body),
            vec![
                "timezone",
                "weekly.mon[0].open",
                "weekly.mon[1].close",
                "weekly.tue[0].close",
                "weekly.wed[0]",
                "weekly.thu[0].close",
                "holidays[1]",
                "holidays[2]",
                "off_hours_message",
            ]
        );

        let mut body = office("UTC");
        body.weekly = WeeklyHoursBody::default();
        body.off_hours_message = "x".repeat(1001);
        body.holidays = vec!["2026-01-01".into(); 367];
        assert_eq!(
            fields(&body),
            vec!["weekly", "holidays", "off_hours_message"]
        );
        body.off_hours_message = "é".repeat(1000);
        body.holidays.truncate(366);
        body.weekly.sat = vec![iv("00:00", "24:00")];
        assert!(BusinessHours::parse(&body).is_ok());
    }

    #[test]
    fn a_request_body_is_read_with_defaults_and_written_back_unchanged() {
        let body: BusinessHoursBody = serde_json::from_value(serde_json::json!({
            "timezone": "Europe/Berlin",
            "weekly": {"mon": [{"open": "09:00", "close": "17:30"}]},
        }))
        .unwrap();
        let h = hours(&body);
        assert_eq!(h.off_hours_action(), OffHoursAction::Queue);
        assert_eq!(h.to_body(), body);
        assert_eq!(
            serde_json::to_value(h.to_body()).unwrap()["weekly"]["sun"],
            serde_json::json!([])
        );
        let unknown_day = serde_json::from_value::<BusinessHoursBody>(serde_json::json!({
            "timezone": "UTC",
            "weekly": {"monday": [{"open": "09:00", "close": "17:30"}]},
        }));
        assert!(unknown_day.is_err());
        let handback: BusinessHoursBody = serde_json::from_value(serde_json::json!({
            "timezone": "UTC",
            "weekly": {"sun": [{"open": "09:00", "close": "17:30"}]},
            "off_hours_action": "handback",
        }))
        .unwrap();
        assert_eq!(handback.off_hours_action, OffHoursAction::Handback);
        assert_eq!(
            OffHoursAction::parse("handback"),
            Some(OffHoursAction::Handback)
        );
        assert_eq!(OffHoursAction::Queue.as_str(), "queue");
    }

    #[test]
    fn the_message_tells_the_customer_when_someone_answers_in_the_teams_local_time() {
        let mut body = office("Europe/Berlin");
        body.off_hours_message = "Closed. Back {opens_at}; see you {opens_at}!".into();
        let h = hours(&body);
        // Monday 2026-06-01 07:00 Berlin
        let monday_morning = utc("2026-06-01T05:00:00Z");
        let render = |now: DateTime<Utc>| h.render_message(h.next_open_after(now), now);
        assert_eq!(
            render(monday_morning),
            "Closed. Back today 09:00 (Europe/Berlin); see you today 09:00 (Europe/Berlin)!"
        );
        // Monday 18:00 Berlin
        assert_eq!(
            render(utc("2026-06-01T16:00:00Z")),
            "Closed. Back tomorrow 09:00 (Europe/Berlin); see you tomorrow 09:00 (Europe/Berlin)!"
        );

        let h = hours(&office("Europe/Berlin"));
        // Sunday 22:00 Berlin is 20:00 UTC; Friday 18:00
        for now in ["2026-06-07T20:00:00Z", "2026-06-05T16:00:00Z"] {
            let now = utc(now);
            let text = h.render_message(h.next_open_after(now), now);
            let expected = if now.weekday() == chrono::Weekday::Sun {
                "tomorrow 09:00 (Europe/Berlin)"
            } else {
                "Monday 09:00 (Europe/Berlin)"
            };
            assert_eq!(
                text,
                format!("We're closed right now. A person will answer from {expected}.")
            );
        }

        // after Christmas, with the date; and across the new year, with the year
        let mut body = office("America/New_York");
        body.holidays = (24..=31).map(|d| format!("2026-12-{d}")).collect();
        body.off_hours_message = "{opens_at}".into();
        let h = hours(&body);
        let now = utc("2026-12-23T23:00:00Z");
        assert_eq!(
            h.render_message(h.next_open_after(now), now),
            "Friday 1 January 2027 09:00 (America/New_York)"
        );
        let now = utc("2026-06-05T23:00:00Z");
        assert_eq!(
            h.render_message(Some(utc("2026-06-22T13:00:00Z")), now),
            "Monday 22 June 09:00 (America/New_York)"
        );
        assert_eq!(h.render_message(None, now), "the next opening");
    }

    const ZONES: [&str; 8] = [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "America/Santiago",
        "Pacific/Chatham",
        "America/St_Johns",
    ];

    /// A day's intervals in quarter hours, each after a break of 0 to 3 hours: a break of 0
    /// makes intervals that touch (at 00:00 and, when clipped, at 24:00 too).
    fn day_strategy() -> impl Strategy<Value = Vec<OpeningIntervalBody>> {
        proptest::collection::vec((0u16..12, 1u16..40), 0..5).prop_map(|steps| {
            let mut intervals = Vec::new();
            let mut at = 0;
            for (pause, length) in steps {
                let open = at + pause;
                if open >= 96 {
                    break;
                }
                at = (open + length).min(96);
                intervals.push(OpeningIntervalBody {
                    open: Minute(open * 15).format(),
                    close: Minute(at * 15).format(),
                });
            }
            intervals
        })
    }

    fn schedule_strategy() -> impl Strategy<Value = BusinessHoursBody> {
        (
            proptest::sample::select(ZONES.to_vec()),
            proptest::collection::vec(day_strategy(), 7),
            proptest::collection::vec(0i64..60, 0..8),
        )
            .prop_filter_map("no interval in the week", |(tz, days, holidays)| {
                if days.iter().all(Vec::is_empty) {
                    return None;
                }
                let mut days = days.into_iter();
                let mut next = || days.next().unwrap();
                Some(BusinessHoursBody {
                    timezone: tz.to_string(),
                    weekly: WeeklyHoursBody {
                        mon: next(),
                        tue: next(),
                        wed: next(),
                        thu: next(),
                        fri: next(),
                        sat: next(),
                        sun: next(),
                    },
                    // holidays within the two months the instants are drawn from
                    holidays: holidays
                        .into_iter()
                        .map(|d| {
                            (NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + Duration::days(d))
                                .to_string()
                        })
                        .collect(),
                    off_hours_message: default_off_hours_message(),
                    off_hours_action: OffHoursAction::Queue,
                })
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn status_agrees_with_itself_at_the_instants_it_names(
            body in schedule_strategy(),
            // March and April 2026, across the northern spring and southern autumn changes
            offset in 0i64..(61 * 86_400),
        ) {
            let h = BusinessHours::parse(&body).unwrap();
            let now = utc("2026-03-01T00:00:00Z") + Duration::seconds(offset);
            let second = Duration::seconds(1);
            match h.status_at(now) {
                Openness::Closed { opens_at: Some(t) } => {
                    prop_assert!(t > now);
                    prop_assert!(h.status_at(t).is_open());
                    prop_assert!(!h.status_at(t - second).is_open());
                    prop_assert_eq!(h.status_at(t - second), Openness::Closed { opens_at: Some(t) });
                    prop_assert_eq!(h.next_open_after(now), Some(t));
                }
                Openness::Closed { opens_at: None } => {
                    prop_assert_eq!(h.next_open_after(now), None);
                }
                Openness::Open { closes_at: Some(c) } => {
                    prop_assert!(c > now);
                    prop_assert_eq!(h.status_at(c - second), Openness::Open { closes_at: Some(c) });
                    prop_assert!(!h.status_at(c).is_open());
                    // the open time up to the closing is all there is in between
                    prop_assert_eq!(h.add_open_time(now, c - now), Some(c));
                }
                Openness::Open { closes_at: None } => {}
            }
        }
    }
}
