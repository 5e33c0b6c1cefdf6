//! The weekly review: handoffs grouped by reason, and within each reason the customer messages
//! that triggered them (the last customer message before the request), repeated wordings
//! merged, so what keeps sending customers to a person stands out. Pure; tested on hand-built
//! data.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// At most this many distinct messages per reason, and conversations per message, are listed.
pub const MESSAGES_PER_REASON: usize = 25;
pub const CONVERSATIONS_PER_MESSAGE: usize = 10;

/// One handoff and what triggered it.
#[derive(Clone, Debug)]
pub struct Trigger {
    pub session_id: String,
    pub takeover_id: String,
    pub reason: String,
    pub requested_at: NaiveDateTime,
    /// The last customer message recorded before the request, if there was one.
    pub message: Option<String>,
}

/// A conversation in which a message triggered a handoff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Occurrence {
    /// The session (its inbox page is `/inbox/sessions/<session_id>`).
    pub session_id: String,
    /// The takeover it triggered.
    pub takeover_id: String,
    /// When the handoff was requested.
    pub requested_at: DateTime<Utc>,
}

/// A customer message (or the same wording, ignoring case, spacing and final punctuation) and
/// the handoffs it preceded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TriggerMessage {
    /// The newest wording seen; null when no customer message preceded the handoff.
    pub text: Option<String>,
    /// How many handoffs it preceded.
    pub count: usize,
    /// The conversations, newest first (at most 10).
    pub conversations: Vec<Occurrence>,
}

/// One reason with its trigger messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReasonGroup {
    /// `user_requested`, `low_confidence`, `out_of_scope` or `other`.
    pub reason: String,
    /// Handoffs with this reason.
    pub handoffs: usize,
    /// Their share of all handoffs in the range (0 to 1).
    pub share: f64,
    /// Distinct trigger messages, most frequent first, then newest (at most 25).
    pub messages: Vec<TriggerMessage>,
    /// How many distinct messages there were in all.
    pub distinct_messages: usize,
}

/// Case, spacing and final punctuation do not make a message different.
pub fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(|c: char| c.is_ascii_punctuation() || c == '¿' || c == '¡')
        .to_lowercase()
}

struct Bucket {
    text: Option<String>,
    newest: NaiveDateTime,
    items: Vec<Trigger>,
}

/// Groups handoffs by reason (most handoffs first) and their trigger messages by wording.
pub fn review(mut triggers: Vec<Trigger>) -> Vec<ReasonGroup> {
    let total = triggers.len();
    triggers.sort_by_key(|t| std::cmp::Reverse(t.requested_at));
    let mut by_reason: BTreeMap<String, Vec<Trigger>> = BTreeMap::new();
    for t in triggers {
        by_reason.entry(t.reason.clone()).or_default().push(t);
    }
    let mut groups: Vec<ReasonGroup> = by_reason
        .into_iter()
        .map(|(reason, items)| {
            let handoffs = items.len();
            // Keyed by normalised wording; items arrive newest first, so the first text kept
            // for a key is its newest wording.
            let mut buckets: BTreeMap<Option<String>, Bucket> = BTreeMap::new();
            for t in items {
                let key = t.message.as_deref().map(normalise);
                let bucket = buckets.entry(key).or_insert_with(|| Bucket {
                    text: t.message.clone(),
                    newest: t.requested_at,
                    items: Vec::new(),
                });
                bucket.items.push(t);
            }
            let distinct_messages = buckets.len();
            let mut messages: Vec<Bucket> = buckets.into_values().collect();
            messages.sort_by(|a, b| {
                b.items
                    .len()
                    .cmp(&a.items.len())
                    .then(b.newest.cmp(&a.newest))
            });
            ReasonGroup {
                reason,
                handoffs,
                share: handoffs as f64 / total.max(1) as f64,
                distinct_messages,
                messages: messages
                    .into_iter()
                    .take(MESSAGES_PER_REASON)
                    .map(|b| TriggerMessage {
                        text: b.text,
                        count: b.items.len(),
                        conversations: b
                            .items
                            .iter()
                            .take(CONVERSATIONS_PER_MESSAGE)
                            .map(|t| Occurrence {
                                session_id: t.session_id.clone(),
                                takeover_id: t.takeover_id.clone(),
                                requested_at: t.requested_at.and_utc(),
                            })
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        b.handoffs
            .cmp(&a.handoffs)
            .then_with(|| a.reason.cmp(&b.reason))
    });
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> NaiveDateTime {
        DateTime::from_timestamp(1_700_000_000 + minute * 60, 0)
            .unwrap()
            .naive_utc()
    }

    fn trigger(session: &str, reason: &str, minute: i64, message: Option<&str>) -> Trigger {
        Trigger {
            session_id: session.into(),
            takeover_id: format!("t-{session}-{minute}"),
            reason: reason.into(),
            requested_at: at(minute),
            message: message.map(str::to_string),
        }
    }

    #[test]
    fn wording_differences_do_not_split_a_recurring_message() {
        assert_eq!(normalise("  Where is   my ORDER?? "), "where is my order");
        assert_eq!(normalise("¿Dónde está mi pedido?"), "¿dónde está mi pedido");
        assert_eq!(normalise("refund!"), normalise("Refund"));
    }

    #[test]
    fn reasons_are_ranked_and_their_messages_grouped_and_counted() {
        let groups = review(vec![
            trigger("a", "out_of_scope", 1, Some("I want a refund of 250 EUR")),
            trigger("b", "user_requested", 2, Some("Can I talk to a human?")),
            trigger("c", "out_of_scope", 3, Some("i want a refund of 250 eur!")),
            trigger("d", "out_of_scope", 4, Some("Is this legal advice?")),
            trigger("e", "low_confidence", 5, None),
            trigger("f", "out_of_scope", 6, Some("I want a refund of 250 EUR")),
        ]);
        let reasons: Vec<(&str, usize)> = groups
            .iter()
            .map(|g| (g.reason.as_str(), g.handoffs))
            .collect();
        // Most handoffs first; ties by name.
        assert_eq!(
            reasons,
            [
                ("out_of_scope", 4),
                ("low_confidence", 1),
                ("user_requested", 1)
            ]
        );
        let scope = &groups[0];
        assert!((scope.share - 4.0 / 6.0).abs() < 1e-9);
        assert_eq!(scope.distinct_messages, 2);
        // The refund wording recurs three times; the newest wording is shown, newest first.
        assert_eq!(
            scope.messages[0].text.as_deref(),
            Some("I want a refund of 250 EUR")
        );
        assert_eq!(scope.messages[0].count, 3);
        let sessions: Vec<&str> = scope.messages[0]
            .conversations
            .iter()
            .map(|o| o.session_id.as_str())
            .collect();
        assert_eq!(sessions, ["f", "c", "a"]);
        assert_eq!(scope.messages[1].count, 1);
        // A handoff without a customer message is listed as such.
        assert_eq!(groups[1].messages[0].text, None);
        assert!(review(Vec::new()).is_empty());
    }
}
