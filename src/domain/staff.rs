//! Replies from outside Baton: a person who answers the customer from another tool (the
//! WhatsApp Business app, a shared phone) is recorded with a `staff` turn. The session then
//! belongs to them (`SessionStatus::StaffActive`, `Owner::Staff`) until the team's quiet time
//! passes without another staff turn, when the AI gets it back; a reviewer may claim it before.
//! This file holds the quiet time and the words the inbox shows; the transitions are in
//! `session.rs`.

use super::duration::Timeout;

/// The quiet time of a team that has set none: 30 minutes.
pub const DEFAULT_QUIET_SECONDS: i64 = 30 * 60;

/// The quiet time a team uses: its own setting, else the default.
pub fn quiet_seconds(team_setting: Option<i64>) -> i64 {
    team_setting.unwrap_or(DEFAULT_QUIET_SECONDS)
}

/// A team's quiet time as the API takes it: `"30m"` or seconds, 1 second to 30 days.
pub fn parse_quiet_time(value: &serde_json::Value) -> Result<i64, String> {
    Timeout::parse(value).map(|t| t.as_secs())
}

/// How the inbox names a conversation a person outside Baton answered.
pub fn answered_outside_label(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("Answered outside Baton by {name}"),
        None => "Answered outside Baton".to_string(),
    }
}

/// How the timeline names the author of a staff turn.
pub fn author_label(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{name} (outside Baton)"),
        None => "Staff (outside Baton)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_team_without_a_quiet_time_waits_thirty_minutes() {
        assert_eq!(quiet_seconds(None), 1800);
        assert_eq!(quiet_seconds(Some(5)), 5);
    }

    #[test]
    fn the_quiet_time_is_a_bounded_duration() {
        assert_eq!(parse_quiet_time(&json!("45m")), Ok(2700));
        assert_eq!(parse_quiet_time(&json!(2)), Ok(2));
        assert!(parse_quiet_time(&json!("0s")).is_err());
        assert!(parse_quiet_time(&json!("31d")).is_err());
        assert!(parse_quiet_time(&json!("soon")).is_err());
        assert!(parse_quiet_time(&json!(true)).is_err());
    }

    #[test]
    fn the_label_names_the_person_when_known() {
        assert_eq!(
            answered_outside_label(Some("Maria")),
            "Answered outside Baton by Maria"
        );
        assert_eq!(answered_outside_label(None), "Answered outside Baton");
    }
}
