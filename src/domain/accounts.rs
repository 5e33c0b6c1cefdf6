//! Checked values for administration: reviewer and team names, display names, passwords and
//! API key names. Reviewer and team names share one namespace (a takeover's `assignee` names
//! either), so the storage layer also refuses a name the other kind already uses.

use std::fmt;

/// Longest name, display name or key name, in characters.
const MAX_NAME: usize = 100;
/// Passwords people choose: long enough to resist guessing, short enough to hash quickly.
const MIN_PASSWORD: usize = 8;
const MAX_PASSWORD: usize = 1024;

fn length(raw: &str, max: usize) -> Result<(), String> {
    let n = raw.chars().count();
    if n == 0 || n > max {
        return Err(format!("must be 1 to {max} characters (got {n})"));
    }
    Ok(())
}

/// A reviewer's sign-in name: letters, digits and `.`, `_`, `-`, `@`; it appears in history as
/// `human:<name>` and in URL paths, so it holds no spaces or separators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewerName(String);

impl ReviewerName {
    pub fn parse(raw: &str) -> Result<ReviewerName, String> {
        length(raw, MAX_NAME)?;
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
        {
            return Err(format!(
                "may hold letters, digits and . _ - @ only (found {bad:?})"
            ));
        }
        Ok(ReviewerName(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReviewerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `TeamName::parse` as a pattern (with 1 to 100 characters): no control character or `/`,
/// and no white space at either end.
pub const TEAM_NAME_PATTERN: &str = concat!(
    r"^(?:[^\x00-\x20/\x7F-\x9F\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]",
    r"|[^\x00-\x20/\x7F-\x9F\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]",
    r"[^\x00-\x1F/\x7F-\x9F]*",
    r"[^\x00-\x20/\x7F-\x9F\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])$"
);

/// A team's name: 1–100 characters, no control characters, no `/`, no surrounding spaces
/// ("Tier 2 support" is fine).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamName(String);

impl TeamName {
    pub fn parse(raw: &str) -> Result<TeamName, String> {
        length(raw, MAX_NAME)?;
        if raw.trim() != raw {
            return Err("must not start or end with spaces".into());
        }
        if raw.chars().any(|c| c.is_control() || c == '/') {
            return Err("must not contain control characters or `/`".into());
        }
        Ok(TeamName(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TeamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name customers see ("Alice"), or an API key's label: 1–100 characters of text, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label(String);

impl Label {
    pub fn parse(raw: &str) -> Result<Label, String> {
        let trimmed = raw.trim();
        length(trimmed, MAX_NAME)?;
        if trimmed.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Label(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password, checked but never displayed (its `Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Password, String> {
        let n = raw.chars().count();
        if n < MIN_PASSWORD {
            return Err(format!("must be at least {MIN_PASSWORD} characters"));
        }
        if n > MAX_PASSWORD {
            return Err(format!("must be at most {MAX_PASSWORD} characters"));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviewer_names_are_single_words() {
        for ok in ["alice", "bob.smith", "j_doe-2", "ana@support", "jürgen"] {
            assert!(ReviewerName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "two words",
            "a/b",
            "tab\there",
            "human:x",
            &"x".repeat(101),
        ] {
            assert!(ReviewerName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn team_names_may_have_inner_spaces() {
        assert!(TeamName::parse("Tier 2 support").is_ok());
        for bad in ["", " support", "support ", "a/b", "line\nbreak"] {
            assert!(TeamName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn labels_are_trimmed_and_passwords_hidden() {
        assert_eq!(Label::parse("  Alice ").unwrap().as_str(), "Alice");
        assert!(Label::parse("   ").is_err());
        assert!(Password::parse("short").is_err());
        let p = Password::parse("a long password").unwrap();
        assert_eq!(format!("{p:?}"), "Password(…)");
        assert_eq!(p.expose(), "a long password");
    }
}
