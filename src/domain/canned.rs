//! Canned responses: the short texts reviewers insert into a reply with `/shortcut`. Each is
//! team-wide (managed by admins, offered to the team's members) or personal (one reviewer's,
//! managed by that reviewer). This module owns what a canned response may hold, who may see
//! and change one, and how its `{variables}` are filled for a conversation. Pure:
//! `db::canned` stores them, `routes::canned` and `inbox::canned` call these rules.
//!
//! Variables: `{customer_name}`, `{reviewer}` and `{team}`. Any other `{…}` is left as written,
//! so a text may hold braces of its own (`{order number}`), and a value that itself contains
//! `{team}` is not filled again.

use super::takeover::is_blank;

/// The longest shortcut, in characters.
pub const MAX_SHORTCUT: usize = 40;
/// The longest title, in characters.
pub const MAX_TITLE: usize = 100;
/// The longest content, in characters.
pub const MAX_CONTENT: usize = 4000;
/// The shortcut's rule, as the OpenAPI document states it.
pub const SHORTCUT_PATTERN: &str = "^[a-z0-9-]{1,40}$";

/// The variables a canned response may use.
pub const VARIABLES: [&str; 3] = ["customer_name", "reviewer", "team"];

/// What a reviewer types after `/`: lowercase letters, digits and `-`, 1 to 40 of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortcut(String);

impl Shortcut {
    pub fn parse(raw: &str) -> Result<Shortcut, String> {
        let ok = (1..=MAX_SHORTCUT).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Shortcut(raw.to_string()))
        } else {
            Err(format!(
                "{raw:?} is not a shortcut: use 1 to {MAX_SHORTCUT} lowercase letters, digits and -, e.g. refund-policy"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A title for people: 1 to 100 characters, not blank; kept without surrounding spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(raw: &str) -> Result<Title, String> {
        let t = raw.trim();
        if is_blank(t) {
            return Err("must not be empty".into());
        }
        if raw.chars().count() > MAX_TITLE {
            return Err(format!("must be at most {MAX_TITLE} characters"));
        }
        Ok(Title(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text inserted into the reply: 1 to 4 000 characters, not blank, kept as written (its
/// line breaks matter). NUL is refused before it gets here (`routes::parse_json`), and again
/// here for callers that do not go through it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content(String);

impl Content {
    pub fn parse(raw: &str) -> Result<Content, String> {
        if raw.contains('\0') {
            return Err(super::types::NUL_REFUSED.into());
        }
        if is_blank(raw) {
            return Err("must not be empty".into());
        }
        let n = raw.chars().count();
        if n > MAX_CONTENT {
            return Err(format!("is {n} characters; the limit is {MAX_CONTENT}"));
        }
        Ok(Content(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whose a canned response is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner<'a> {
    /// Team-wide: the team's id.
    Team(&'a str),
    /// Personal: the reviewer's id.
    Reviewer(&'a str),
}

/// The reviewer asking.
#[derive(Clone, Copy, Debug)]
pub struct Viewer<'a> {
    pub id: &'a str,
    pub is_admin: bool,
    pub team_ids: &'a [String],
}

/// What a reviewer may do with one canned response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// It does not exist for them (another reviewer's, another team's): 404.
    Hidden,
    /// They may use it but not change it (a member and a team-wide one): 403 on a change.
    Use,
    /// They may change and delete it: its owner, or an admin.
    Manage,
}

/// Admins see and manage every canned response; a reviewer uses their teams' and manages
/// their own.
pub fn access(owner: Owner<'_>, v: Viewer<'_>) -> Access {
    match owner {
        _ if v.is_admin => Access::Manage,
        Owner::Reviewer(id) if id == v.id => Access::Manage,
        Owner::Team(team) if v.team_ids.iter().any(|t| t == team) => Access::Use,
        _ => Access::Hidden,
    }
}

/// Whether a reviewer may create one with this owner: any reviewer a personal one of their
/// own, admins any.
pub fn may_create(owner: Owner<'_>, v: Viewer<'_>) -> bool {
    v.is_admin || owner == Owner::Reviewer(v.id)
}

/// The values of the variables in one conversation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Vars<'a> {
    /// The customer's name if known (else the session's user id, when the caller has one);
    /// `None` fills in nothing.
    pub customer_name: Option<&'a str>,
    /// The reviewer's display name.
    pub reviewer: &'a str,
    /// The conversation's team; `None` fills in nothing.
    pub team: Option<&'a str>,
}

/// The content with `{customer_name}`, `{reviewer}` and `{team}` filled in, in one pass: a
/// filled-in value is never read again, and any other `{…}` stays as written.
pub fn fill(content: &str, vars: &Vars<'_>) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let v = match &after[..close] {
                "customer_name" => vars.customer_name.unwrap_or(""),
                "reviewer" => vars.reviewer,
                "team" => vars.team.unwrap_or(""),
                _ => return None,
            };
            Some((v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(customer: Option<&'a str>, team: Option<&'a str>) -> Vars<'a> {
        Vars {
            customer_name: customer,
            reviewer: "Alice A.",
            team,
        }
    }

    #[test]
    fn every_variable_is_filled_in() {
        assert_eq!(
            fill(
                "Hi {customer_name}, {reviewer} from {team} here. {reviewer} again.",
                &vars(Some("Dana"), Some("billing"))
            ),
            "Hi Dana, Alice A. from billing here. Alice A. again."
        );
    }

    #[test]
    fn an_unknown_customer_or_team_fills_in_nothing() {
        assert_eq!(
            fill("Hi {customer_name}! ({team})", &vars(None, None)),
            "Hi ! ()"
        );
    }

    #[test]
    fn unknown_and_unclosed_braces_stay_as_written() {
        assert_eq!(
            fill(
                "Your {order number} and {Team} and {} and {team",
                &vars(None, Some("support"))
            ),
            "Your {order number} and {Team} and {} and {team"
        );
        assert_eq!(
            fill("{{reviewer}}", &vars(None, None)),
            "{Alice A.}",
            "the inner pair is the variable"
        );
        assert_eq!(fill("a { b {team}", &vars(None, Some("t"))), "a { b t");
    }

    #[test]
    fn a_filled_in_value_is_not_filled_again() {
        let v = Vars {
            customer_name: Some("{team}"),
            reviewer: "{customer_name}",
            team: Some("support"),
        };
        assert_eq!(
            fill("{customer_name} {reviewer}", &v),
            "{team} {customer_name}"
        );
    }

    #[test]
    fn text_outside_the_ascii_range_survives() {
        assert_eq!(
            fill("Grüße, {reviewer} — 🙂 {team}", &vars(None, Some("Ünter"))),
            "Grüße, Alice A. — 🙂 Ünter"
        );
    }

    #[test]
    fn shortcuts_are_short_lowercase_words() {
        assert!(Shortcut::parse("refund-policy").is_ok());
        assert!(Shortcut::parse("a").is_ok());
        assert!(Shortcut::parse(&"x".repeat(40)).is_ok());
        for bad in [
            "",
            "Refund",
            "refund policy",
            "refund_policy",
            "/refund",
            "réfund",
        ] {
            assert!(Shortcut::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Shortcut::parse(&"x".repeat(41)).is_err());
    }

    #[test]
    fn content_is_bounded_and_not_blank() {
        assert!(Content::parse("Hello\n\nThanks").is_ok());
        assert!(Content::parse(&"é".repeat(4000)).is_ok());
        assert!(Content::parse(&"é".repeat(4001)).is_err());
        assert!(Content::parse(" \n\t").is_err());
        assert!(Content::parse("a\0b").is_err());
        assert_eq!(Title::parse("  Refunds ").unwrap().as_str(), "Refunds");
        assert!(Title::parse("   ").is_err());
        assert!(Title::parse(&"t".repeat(101)).is_err());
    }

    #[test]
    fn reviewers_manage_their_own_and_use_their_teams() {
        let teams = vec!["t-support".to_string()];
        let alice = Viewer {
            id: "alice",
            is_admin: false,
            team_ids: &teams,
        };
        let root = Viewer {
            id: "root",
            is_admin: true,
            team_ids: &[],
        };
        assert_eq!(access(Owner::Reviewer("alice"), alice), Access::Manage);
        assert_eq!(access(Owner::Reviewer("bob"), alice), Access::Hidden);
        assert_eq!(access(Owner::Team("t-support"), alice), Access::Use);
        assert_eq!(access(Owner::Team("t-billing"), alice), Access::Hidden);
        assert_eq!(access(Owner::Team("t-billing"), root), Access::Manage);
        assert_eq!(access(Owner::Reviewer("alice"), root), Access::Manage);
        assert!(may_create(Owner::Reviewer("alice"), alice));
        assert!(!may_create(Owner::Reviewer("bob"), alice));
        assert!(!may_create(Owner::Team("t-support"), alice));
        assert!(may_create(Owner::Team("t-support"), root));
    }
}
