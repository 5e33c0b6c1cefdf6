//! Who may see a conversation, and when a channel still lets a person write to its customer:
//! the two rules every view and action asks. Written once here; the SQL filters that list
//! conversations (`db::takeovers`, `db::insights`) state the same rule for the database, and the
//! queue-count test compares them with it.

use chrono::NaiveDateTime;

use super::credentials::ReviewerAuth;

/// May this reviewer see and act on a takeover assigned to this team and/or reviewer? Admins see
/// everything; an unassigned takeover is everyone's; otherwise a member of its team or the
/// reviewer it names.
pub fn can_see(r: &ReviewerAuth, team_id: Option<&str>, reviewer_id: Option<&str>) -> bool {
    if r.is_admin {
        return true;
    }
    match (team_id, reviewer_id) {
        (None, None) => true,
        (team, reviewer) => {
            team.is_some_and(|team| r.team_ids.iter().any(|t| t == team))
                || reviewer.is_some_and(|id| id == r.id)
        }
    }
}

/// WhatsApp only lets a business send free text within 24 hours of the customer's last message.
pub const WHATSAPP_WINDOW_HOURS: i64 = 24;

/// When a conversation's reply window closes, for channels that have one (WhatsApp): 24 hours
/// after the customer last wrote, or after the session began if they never did.
pub fn reply_window_closes_at(
    channel: Option<&str>,
    last_user_message_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
) -> Option<NaiveDateTime> {
    if !channel.is_some_and(|c| c.eq_ignore_ascii_case("whatsapp")) {
        return None;
    }
    Some(
        last_user_message_at.unwrap_or(created_at) + chrono::Duration::hours(WHATSAPP_WINDOW_HOURS),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reviewer(is_admin: bool) -> ReviewerAuth {
        ReviewerAuth {
            id: "r1".into(),
            name: "bob".into(),
            display_name: "Bob".into(),
            is_admin,
            team_ids: vec!["t1".into()],
            team_names: vec!["support".into()],
        }
    }

    #[test]
    fn a_reviewer_sees_their_teams_their_own_and_unassigned_conversations_only() {
        let bob = reviewer(false);
        assert!(can_see(&bob, None, None));
        assert!(can_see(&bob, Some("t1"), None));
        assert!(can_see(&bob, None, Some("r1")));
        assert!(can_see(&bob, Some("t2"), Some("r1")));
        assert!(!can_see(&bob, Some("t2"), None));
        assert!(!can_see(&bob, None, Some("r2")));
        assert!(can_see(&reviewer(true), Some("t2"), Some("r2")));
    }

    #[test]
    fn only_whatsapp_has_a_window_and_it_runs_from_the_customers_last_message() {
        let start = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
        let wrote = start + chrono::Duration::hours(5);
        assert_eq!(
            reply_window_closes_at(Some("telegram"), Some(wrote), start),
            None
        );
        assert_eq!(
            reply_window_closes_at(Some("WhatsApp"), Some(wrote), start),
            Some(wrote + chrono::Duration::hours(24))
        );
        assert_eq!(
            reply_window_closes_at(Some("whatsapp"), None, start),
            Some(start + chrono::Duration::hours(24))
        );
    }
}
