//! A takeover request once checked: every field already holds a valid value.

use chrono::NaiveDateTime;

use super::duration::Timeout;
use super::types::{Mode, Reason, Sender, SessionId, WebhookUrl};

/// One history turn to import.
#[derive(Clone, Debug)]
pub struct HistoryTurn {
    pub sender: Sender,
    pub content: String,
    pub at: Option<NaiveDateTime>,
    pub external_id: Option<String>,
    pub tool_calls: Option<String>,
    pub meta: Option<String>,
}

/// A parsed takeover request.
#[derive(Clone, Debug)]
pub struct TakeoverSpec {
    pub mode: Mode,
    pub session_id: SessionId,
    pub channel: Option<String>,
    pub channel_ref: Option<String>,
    pub user_id: Option<String>,
    pub reply_webhook: WebhookUrl,
    pub handback_signal: Option<WebhookUrl>,
    pub history: Vec<HistoryTurn>,
    pub context: Option<String>,
    pub assignee: Option<String>,
    pub escalation_policy: Option<String>,
    pub timeout: Timeout,
    pub reason: Reason,
    pub summary: Option<String>,
    pub priority: i32,
    pub proposal: Option<String>,
    pub decisions: Option<Vec<String>>,
    pub default_decision: Option<String>,
    pub queue_updates: bool,
    /// The customer's language, for what Baton says to them (`domain::texts`).
    pub locale: Option<super::texts::Lang>,
    /// Who the customer is, as the workflow described them.
    pub customer: Option<Customer>,
}

/// When the silent-reviewer timer (`BATON_REVIEWER_SILENCE`) puts a held conversation back in
/// the queue: `silence` after the claim or the reviewer's last reply, whichever is later (after
/// the request when neither is known); never while a person spoke last.
pub fn silent_release_at(
    claimed_at: Option<NaiveDateTime>,
    last_reply: Option<NaiveDateTime>,
    requested_at: NaiveDateTime,
    person_spoke_last: bool,
    silence: chrono::Duration,
) -> Option<NaiveDateTime> {
    if person_spoke_last {
        return None;
    }
    let reference = claimed_at
        .into_iter()
        .chain(last_reply)
        .max()
        .unwrap_or(requested_at);
    Some(reference + silence)
}

/// Whether a stored sender is a person (a reviewer's reply).
pub fn is_person(sender: &str) -> bool {
    matches!(Sender::parse(sender), Ok(Sender::Human(_)))
}

/// How many attributes a customer may carry, and how long each name and value may be.
pub const CUSTOMER_MAX_FIELDS: usize = 30;
pub const CUSTOMER_MAX_NAME_CHARS: usize = 64;
pub const CUSTOMER_MAX_VALUE_CHARS: usize = 1000;

/// The attribute names the inbox shows first, in this order (any other string attribute is
/// shown after them, by name).
pub const CUSTOMER_KNOWN: [&str; 4] = ["name", "email", "language", "plan"];

/// Who the customer is: string attributes the workflow sends with a takeover (`name`,
/// `email`, `language`, `plan`, or any other), each name 1 to 64 characters of letters,
/// digits, `_`, `-` or `.`, each value 1 to 1000 characters, at most 30.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Customer(std::collections::BTreeMap<String, String>);

impl Customer {
    /// Checks every attribute; each problem is reported as (attribute name, what is wrong).
    pub fn parse(
        fields: std::collections::BTreeMap<String, String>,
    ) -> Result<Customer, Vec<(String, String)>> {
        let mut errors = Vec::new();
        if fields.len() > CUSTOMER_MAX_FIELDS {
            errors.push((
                String::new(),
                format!(
                    "has {} attributes; the limit is {CUSTOMER_MAX_FIELDS}",
                    fields.len()
                ),
            ));
        }
        for (name, value) in &fields {
            let n = name.chars().count();
            if n == 0
                || n > CUSTOMER_MAX_NAME_CHARS
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            {
                errors.push((
                    name.clone(),
                    format!("an attribute name is 1 to {CUSTOMER_MAX_NAME_CHARS} letters, digits, _, - or ."),
                ));
            }
            let v = value.chars().count();
            if is_blank(value) || v > CUSTOMER_MAX_VALUE_CHARS || value.contains('\0') {
                errors.push((
                    name.clone(),
                    format!("must be 1 to {CUSTOMER_MAX_VALUE_CHARS} characters, not blank"),
                ));
            }
        }
        if errors.is_empty() {
            Ok(Customer(fields))
        } else {
            Err(errors)
        }
    }

    /// The stored form (a JSON object of strings), read back by [`Customer::from_stored`].
    pub fn to_stored(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }

    /// The attributes of a stored customer; an unreadable one reads as none.
    pub fn from_stored(raw: &str) -> Customer {
        Customer(serde_json::from_str(raw).unwrap_or_default())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every attribute, the known ones first in their order, then the rest by name.
    pub fn ordered(&self) -> Vec<(&str, &str)> {
        let known = CUSTOMER_KNOWN
            .iter()
            .filter_map(|k| self.0.get_key_value(*k))
            .map(|(k, v)| (k.as_str(), v.as_str()));
        let rest = self
            .0
            .iter()
            .filter(|(k, _)| !CUSTOMER_KNOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()));
        known.chain(rest).collect()
    }

    pub fn into_map(self) -> std::collections::BTreeMap<String, String> {
        self.0
    }
}

/// The decisions an approval may allow.
pub const DECISIONS: [&str; 3] = ["approve", "reject", "edit"];

/// Upper bound on one message's text, in characters.
pub const MAX_CONTENT_CHARS: usize = 32_000;

/// Checks a message text: present and not huge.
/// The characters a text may not consist of alone: Unicode white space, and the information
/// separators U+001C to U+001F that many regex engines count as space too (so the contract's
/// `NOT_BLANK_PATTERN` and the server agree on every string).
pub fn is_blank(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// "Has a character that is not blank", as the OpenAPI document states it.
pub const NOT_BLANK_PATTERN: &str =
    r"[^\t\n\x0B\x0C\r \x1C-\x1F\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

pub fn check_content(content: &str) -> Result<(), String> {
    if is_blank(content) {
        return Err("must not be empty".into());
    }
    let n = content.chars().count();
    if n > MAX_CONTENT_CHARS {
        return Err(format!(
            "is {n} characters; the limit is {MAX_CONTENT_CHARS}"
        ));
    }
    Ok(())
}

/// Which history items are new, given the stored transcript as (sender, content, external id).
/// Items with an id are new when no stored turn has that id. Items without one are matched in
/// order against stored turns with the same sender and text, so a history re-sent with every
/// takeover request (or already recorded through the turn gate) is imported once.
pub fn new_history_items(
    stored: &[(String, String, Option<String>)],
    history: &[HistoryTurn],
) -> Vec<usize> {
    let mut fresh = Vec::new();
    let mut cursor = 0usize;
    for (i, item) in history.iter().enumerate() {
        if let Some(ext) = &item.external_id {
            if stored
                .iter()
                .any(|(_, _, e)| e.as_deref() == Some(ext.as_str()))
            {
                continue;
            }
            fresh.push(i);
            continue;
        }
        let sender = item.sender.as_string();
        match stored[cursor.min(stored.len())..]
            .iter()
            .position(|(s, c, _)| *s == sender && *c == item.content)
        {
            Some(offset) => cursor += offset + 1,
            None => fresh.push(i),
        }
    }
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(sender: Sender, content: &str, id: Option<&str>) -> HistoryTurn {
        HistoryTurn {
            sender,
            content: content.into(),
            at: None,
            external_id: id.map(str::to_string),
            tool_calls: None,
            meta: None,
        }
    }

    #[test]
    fn history_already_stored_is_not_imported_again() {
        let stored = vec![
            ("user".to_string(), "hi".to_string(), None),
            ("ai".to_string(), "hello".to_string(), None),
            ("user".to_string(), "ok".to_string(), Some("m3".to_string())),
        ];
        let history = vec![
            turn(Sender::User, "hi", None),
            turn(Sender::Ai, "hello", None),
            turn(Sender::User, "ok", Some("m3")),
            turn(Sender::User, "hi", None),
            turn(Sender::User, "new", Some("m5")),
        ];
        // the second "hi" is a new turn: the stored one was already matched
        assert_eq!(new_history_items(&stored, &history), vec![3, 4]);
        assert!(new_history_items(&[], &history).len() == 5);
    }

    #[test]
    fn content_is_bounded() {
        assert!(check_content("  ").is_err());
        assert!(check_content("hello").is_ok());
        assert!(check_content(&"x".repeat(MAX_CONTENT_CHARS + 1)).is_err());
    }
}

#[cfg(test)]
mod customer_tests {
    use super::*;
    use std::collections::BTreeMap;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn known_attributes_come_first_then_the_rest_by_name() {
        let c = Customer::parse(map(&[
            ("zone", "EU"),
            ("plan", "pro"),
            ("name", "Ada"),
            ("account_id", "42"),
        ]))
        .unwrap();
        assert_eq!(
            c.ordered(),
            vec![
                ("name", "Ada"),
                ("plan", "pro"),
                ("account_id", "42"),
                ("zone", "EU")
            ]
        );
        assert_eq!(Customer::from_stored(&c.to_stored()), c);
    }

    #[test]
    fn bad_names_blank_values_and_too_many_attributes_are_each_named() {
        let errors = Customer::parse(map(&[("full name", "Ada"), ("plan", "  ")])).unwrap_err();
        let named: Vec<&str> = errors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(named, vec!["full name", "plan"]);
        let many: BTreeMap<String, String> =
            (0..31).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(Customer::parse(many).is_err());
        let long = "x".repeat(CUSTOMER_MAX_VALUE_CHARS + 1);
        assert!(Customer::parse(map(&[("note", &long)])).is_err());
    }

    #[test]
    fn an_unreadable_stored_customer_reads_as_none() {
        assert!(Customer::from_stored("not json").is_empty());
    }
}

#[cfg(test)]
mod silence_tests {
    use super::*;

    fn at(min: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000 + min * 60, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn the_deadline_counts_from_the_later_of_the_claim_and_the_last_reply() {
        let ten = chrono::Duration::minutes(10);
        assert_eq!(
            silent_release_at(Some(at(5)), Some(at(8)), at(0), false, ten),
            Some(at(18))
        );
        assert_eq!(
            silent_release_at(Some(at(5)), None, at(0), false, ten),
            Some(at(15))
        );
        assert_eq!(
            silent_release_at(None, None, at(0), false, ten),
            Some(at(10))
        );
        assert_eq!(
            silent_release_at(Some(at(5)), Some(at(8)), at(0), true, ten),
            None
        );
        assert!(is_person("human:alice"));
        assert!(!is_person("user") && !is_person("ai") && !is_person("human:"));
    }
}
