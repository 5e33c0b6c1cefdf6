//! Routing rules, free of SQL: which reviewer an automatic assignment picks, and how long a
//! waiting customer should expect to wait.

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::types::str_enum;

/// How a team's waiting conversations find a reviewer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentPolicy {
    /// Reviewers claim from the queue themselves (the default).
    #[default]
    Manual,
    /// Offered to the available reviewers in turn.
    RoundRobin,
    /// Offered to the available reviewer with the fewest open conversations.
    LeastBusy,
}

/// Whether a reviewer takes conversations now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Signed in and taking conversations; automatic assignment may pick them.
    Online,
    /// Signed in but not taking new conversations (set by hand, or after the inbox has been
    /// disconnected for the grace period, or after an offer went unanswered).
    Away,
    /// Not working (the default until a reviewer says otherwise).
    #[default]
    Offline,
}

str_enum!(AssignmentPolicy { Manual => "manual", RoundRobin => "round_robin", LeastBusy => "least_busy" });
str_enum!(Availability { Online => "online", Away => "away", Offline => "offline" });

/// A reviewer automatic assignment may consider: available, a member of the team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    /// Open conversations: held, plus offered and not yet accepted.
    pub load: i64,
    /// At most this many at once; `None` means no limit.
    pub capacity: Option<i64>,
    /// When automatic assignment last picked them.
    pub last_assigned_at: Option<NaiveDateTime>,
}

impl Candidate {
    pub fn has_room(&self) -> bool {
        self.capacity.is_none_or(|c| self.load < c)
    }
}

/// Picks the reviewer for the next conversation, or `None` when nobody has room.
///
/// Round robin goes through the candidates in name order, starting after `last_assigned`
/// (the previous pick) and wrapping around; least busy takes the smallest load, then whoever
/// was picked longest ago (never first), then the name.
pub fn pick<'a>(
    policy: AssignmentPolicy,
    candidates: &'a [Candidate],
    last_assigned: Option<&str>,
) -> Option<&'a Candidate> {
    let mut open: Vec<&Candidate> = candidates.iter().filter(|c| c.has_room()).collect();
    match policy {
        AssignmentPolicy::Manual => None,
        AssignmentPolicy::RoundRobin => {
            open.sort_by(|a, b| a.name.cmp(&b.name));
            let after = last_assigned.and_then(|last| open.iter().find(|c| c.name.as_str() > last));
            after.or(open.first()).copied()
        }
        AssignmentPolicy::LeastBusy => open.into_iter().min_by(|a, b| {
            (a.load, a.last_assigned_at, &a.name).cmp(&(b.load, b.last_assigned_at, &b.name))
        }),
    }
}

/// Samples fewer than this for the hour of day fall back to the samples of every hour.
pub const MIN_HOUR_SAMPLES: usize = 5;

/// One claimed takeover of the team: when it was requested and when it was claimed.
#[derive(Clone, Copy, Debug)]
pub struct ClaimSample {
    pub requested_at: NaiveDateTime,
    pub claimed_at: NaiveDateTime,
}

/// The expected wait, in seconds, of the customer at `position` (1 = next) in a team's queue.
///
/// It is the median time-to-claim of the team's recent takeovers requested in the same hour of
/// day as `now` (UTC; all hours when that hour has fewer than [`MIN_HOUR_SAMPLES`]), times the
/// number of "rounds" ahead: `ceil(position / available reviewers)` (at least one reviewer).
/// Without any sample the wait is unknown.
pub fn expected_wait(
    samples: &[ClaimSample],
    now: NaiveDateTime,
    position: i64,
    available: i64,
) -> Option<i64> {
    let collect = |hour: Option<u32>| -> Vec<i64> {
        samples
            .iter()
            .filter(|s| hour.is_none_or(|h| s.requested_at.hour() == h))
            .map(|s| (s.claimed_at - s.requested_at).num_seconds().max(0))
            .collect()
    };
    let mut waits = collect(Some(now.hour()));
    if waits.len() < MIN_HOUR_SAMPLES {
        waits = collect(None);
    }
    let median = median(&mut waits)?;
    let rounds = (position.max(1) + available.max(1) - 1) / available.max(1);
    Some(median * rounds)
}

/// The median (the lower middle of an even count), or `None` for no values.
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

/// The sentence for a `queue.updated` callback.
pub fn queue_text(position: i64, expected_wait: Option<i64>) -> String {
    let place = if position <= 1 {
        "You are next in the queue".to_string()
    } else {
        format!("You are number {position} in the queue")
    };
    match expected_wait {
        Some(s) if s < 60 => format!("{place}; a person will be with you in less than a minute."),
        Some(s) => {
            let minutes = (s + 59) / 60;
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            format!("{place}, about {minutes} {unit}.")
        }
        None => format!("{place}."),
    }
}

/// Where a waiting customer stands.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueInfo {
    /// The team whose queue it waits in (null: a reviewer's own queue, or anyone's).
    pub team: Option<String>,
    /// 1 means next to be served: higher priority first, then longest waiting.
    pub position: i64,
    /// Live takeovers waiting in the same queue.
    pub waiting: i64,
    /// Expected wait in seconds: the median time-to-claim of this queue's takeovers requested
    /// in the same hour of day over the last 28 days (all hours when that hour has fewer than
    /// 5), times `ceil(position / available reviewers)`, plus the time until the team opens
    /// when it is closed. Null when there is no history yet.
    pub expected_wait_seconds: Option<i64>,
    /// Whether the team is within its business hours (always true without a schedule).
    pub open: bool,
    /// When a closed team opens next.
    pub opens_at: Option<DateTime<Utc>>,
    /// The reviewer automatic assignment has offered it to, until they accept or the offer
    /// lapses.
    pub offered_to: Option<String>,
    /// When that offer lapses and the conversation goes back to the queue.
    pub offer_expires_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
            .unwrap()
            .and_hms_opt(h, m, s)
            .unwrap()
    }

    fn cand(name: &str, load: i64, capacity: Option<i64>) -> Candidate {
        Candidate {
            name: name.into(),
            load,
            capacity,
            last_assigned_at: None,
        }
    }

    #[test]
    fn round_robin_goes_in_name_order_after_the_last_pick_and_wraps() {
        let c = [
            cand("carol", 0, None),
            cand("alice", 0, None),
            cand("bob", 0, None),
        ];
        let rr = AssignmentPolicy::RoundRobin;
        assert_eq!(pick(rr, &c, None).unwrap().name, "alice");
        assert_eq!(pick(rr, &c, Some("alice")).unwrap().name, "bob");
        assert_eq!(pick(rr, &c, Some("bob")).unwrap().name, "carol");
        assert_eq!(pick(rr, &c, Some("carol")).unwrap().name, "alice");
        // The last pick left the team: the next name after it still comes next.
        assert_eq!(pick(rr, &c, Some("bobby")).unwrap().name, "carol");
    }

    #[test]
    fn full_reviewers_are_skipped_and_nobody_with_room_means_no_pick() {
        let c = [cand("alice", 3, Some(3)), cand("bob", 2, Some(3))];
        assert_eq!(
            pick(AssignmentPolicy::RoundRobin, &c, Some("zed"))
                .unwrap()
                .name,
            "bob"
        );
        let full = [cand("alice", 3, Some(3)), cand("bob", 4, Some(3))];
        assert!(pick(AssignmentPolicy::RoundRobin, &full, None).is_none());
        assert!(pick(AssignmentPolicy::LeastBusy, &full, None).is_none());
        assert!(pick(AssignmentPolicy::Manual, &c, None).is_none());
    }

    #[test]
    fn least_busy_takes_the_smallest_load_then_the_longest_unpicked() {
        let mut c = vec![
            cand("alice", 2, None),
            cand("bob", 1, None),
            cand("carol", 1, None),
        ];
        assert_eq!(
            pick(AssignmentPolicy::LeastBusy, &c, None).unwrap().name,
            "bob"
        );
        c[1].last_assigned_at = Some(at(10, 0, 0));
        c[2].last_assigned_at = Some(at(9, 0, 0));
        assert_eq!(
            pick(AssignmentPolicy::LeastBusy, &c, None).unwrap().name,
            "carol"
        );
    }

    #[test]
    fn expected_wait_is_the_hour_median_times_the_rounds_ahead() {
        // Six claims requested in the 14:00 hour: waits 60, 120, 180, 240, 300, 600 s; the
        // lower median is 180 s. Two claims at 09:00 must not count.
        let mut samples: Vec<ClaimSample> = [60, 120, 180, 240, 300, 600]
            .iter()
            .map(|w| ClaimSample {
                requested_at: at(14, 5, 0),
                claimed_at: at(14, 5, 0) + chrono::Duration::seconds(*w),
            })
            .collect();
        samples.push(ClaimSample {
            requested_at: at(9, 0, 0),
            claimed_at: at(10, 0, 0),
        });
        let now = at(14, 30, 0);
        assert_eq!(expected_wait(&samples, now, 1, 2), Some(180));
        assert_eq!(expected_wait(&samples, now, 2, 2), Some(180));
        assert_eq!(expected_wait(&samples, now, 3, 2), Some(360));
        assert_eq!(expected_wait(&samples, now, 3, 0), Some(540));
        // At 09:30 the hour has one sample: every hour counts (7 waits, median 240 s).
        assert_eq!(expected_wait(&samples, at(9, 30, 0), 1, 1), Some(240));
        assert_eq!(expected_wait(&[], now, 1, 1), None);
    }

    #[test]
    fn queue_text_reads_naturally() {
        assert_eq!(
            queue_text(3, Some(230)),
            "You are number 3 in the queue, about 4 minutes."
        );
        assert_eq!(
            queue_text(1, Some(30)),
            "You are next in the queue; a person will be with you in less than a minute."
        );
        assert_eq!(
            queue_text(2, Some(60)),
            "You are number 2 in the queue, about 1 minute."
        );
        assert_eq!(queue_text(2, None), "You are number 2 in the queue.");
    }
}
