//! Handoff analytics, computed from takeover facts: pure arithmetic, tested on hand-built data.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the analytics need to know about one takeover.
#[derive(Clone, Debug)]
pub struct Fact {
    pub session_id: String,
    pub mode: String,
    pub reason: String,
    pub channel: Option<String>,
    pub team: Option<String>,
    pub reviewer: Option<String>,
    pub outcome: Option<String>,
    pub escalated: bool,
    pub created_at: NaiveDateTime,
    pub claimed_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
}

/// p50 and p90 of a set of durations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Percentiles {
    /// How many values.
    pub count: usize,
    /// Median, seconds.
    pub p50: Option<f64>,
    /// 90th percentile, seconds.
    pub p90: Option<f64>,
}

/// Nearest-rank percentiles.
pub fn percentiles(mut values: Vec<f64>) -> Percentiles {
    values.sort_by(|a, b| a.total_cmp(b));
    let pick = |p: f64| -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
        Some(values[rank - 1])
    };
    Percentiles {
        count: values.len(),
        p50: pick(0.5),
        p90: pick(0.9),
    }
}

/// Figures for one slice of takeovers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// Live takeovers (handoffs).
    pub handoffs: usize,
    /// Approval requests.
    pub approvals: usize,
    /// Requested to claimed (the customer's wait for a person; bot time before the handoff is
    /// not counted).
    pub time_to_claim: Percentiles,
    /// Claimed to resolved (a reviewer's handling time).
    pub handling_time: Percentiles,
    /// Outcomes: handed_back, closed, unanswered, approved, rejected, edited, open.
    pub outcomes: BTreeMap<String, usize>,
    /// Takeovers that escalated at least once.
    pub escalated: usize,
}

fn secs(a: NaiveDateTime, b: NaiveDateTime) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

/// Figures over a set of takeovers.
pub fn figures<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> Figures {
    let mut f = Figures::default();
    let (mut claim, mut handle) = (Vec::new(), Vec::new());
    for t in facts {
        if t.mode == "approval" {
            f.approvals += 1;
        } else {
            f.handoffs += 1;
        }
        if let Some(c) = t.claimed_at {
            claim.push(secs(t.created_at, c));
            if let Some(r) = t.resolved_at {
                handle.push(secs(c, r));
            }
        }
        *f.outcomes
            .entry(t.outcome.clone().unwrap_or_else(|| "open".into()))
            .or_default() += 1;
        f.escalated += usize::from(t.escalated);
    }
    f.time_to_claim = percentiles(claim);
    f.handling_time = percentiles(handle);
    f
}

/// Takeovers requested within 24 hours after an earlier takeover of the same session was
/// handed back: the AI could not keep the conversation.
pub fn rehandoffs_within_24h(facts: &[Fact]) -> usize {
    facts
        .iter()
        .filter(|t| t.mode != "approval")
        .filter(|t| {
            facts.iter().any(|earlier| {
                earlier.session_id == t.session_id
                    && earlier.outcome.as_deref() == Some("handed_back")
                    && earlier
                        .resolved_at
                        .is_some_and(|r| r <= t.created_at && secs(r, t.created_at) <= 86_400.0)
            })
        })
        .count()
}

/// Splits facts by a grouping key.
pub fn group_key(t: &Fact, by: &str) -> String {
    match by {
        "reason" => t.reason.clone(),
        "channel" => t.channel.clone().unwrap_or_else(|| "(none)".into()),
        "team" => t.team.clone().unwrap_or_else(|| "(any)".into()),
        "reviewer" => t.reviewer.clone().unwrap_or_else(|| "(unclaimed)".into()),
        _ => t.created_at.date().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(m: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000 + m * 60, 0)
            .unwrap()
            .naive_utc()
    }

    fn fact(
        session: &str,
        created: i64,
        claimed: Option<i64>,
        resolved: Option<i64>,
        outcome: Option<&str>,
    ) -> Fact {
        Fact {
            session_id: session.into(),
            mode: "takeover".into(),
            reason: "user_requested".into(),
            channel: Some("telegram".into()),
            team: Some("support".into()),
            reviewer: claimed.map(|_| "alice".into()),
            outcome: outcome.map(str::to_string),
            escalated: false,
            created_at: at(created),
            claimed_at: claimed.map(at),
            resolved_at: resolved.map(at),
        }
    }

    #[test]
    fn figures_match_a_hand_computed_scenario() {
        let facts = vec![
            fact("a", 0, Some(1), Some(11), Some("handed_back")),
            fact("b", 0, Some(3), Some(5), Some("closed")),
            fact("c", 0, Some(5), None, None),
            fact("d", 0, None, Some(30), Some("unanswered")),
            fact("a", 20, Some(22), Some(25), Some("handed_back")),
        ];
        let f = figures(&facts);
        assert_eq!(f.handoffs, 5);
        // waits: 1, 3, 5, 2 minutes -> p50 = 2nd of [60,120,180,300] = 120, p90 = 300
        assert_eq!(
            f.time_to_claim,
            Percentiles {
                count: 4,
                p50: Some(120.0),
                p90: Some(300.0)
            }
        );
        // handling: 10, 2, 3 minutes -> p50 180
        assert_eq!(f.handling_time.p50, Some(180.0));
        assert_eq!(f.outcomes["handed_back"], 2);
        assert_eq!(f.outcomes["open"], 1);
        // "a" came back 9 minutes after its first handback
        assert_eq!(rehandoffs_within_24h(&facts), 1);
    }
}
