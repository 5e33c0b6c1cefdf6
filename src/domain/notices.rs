//! The words Baton says on its own to a team's channel, and the system turns it writes into a
//! conversation. What it says to customers is in `domain::texts` (per team and language).

/// A takeover's reason as people read it (`out_of_scope` → `out of scope`).
fn spoken(reason: &str) -> String {
    reason.replace('_', " ")
}

/// To the team: a new request waits in its queue.
pub fn team_new_request(
    mode: &str,
    reason: &str,
    session_id: &str,
    channel: Option<&str>,
) -> String {
    format!(
        "New {mode} request ({}) from {session_id} on {}",
        spoken(reason),
        channel.unwrap_or("an unnamed channel")
    )
}

/// To the team an escalation step names: a takeover waited unclaimed too long.
pub fn team_escalated(session_id: &str, reason: &str) -> String {
    format!(
        "Escalated to you: {session_id} has waited unclaimed ({})",
        spoken(reason)
    )
}

/// To the team: the holder went quiet and the conversation is back in the queue.
pub fn team_reviewer_silent(holder: Option<&str>, session_id: &str) -> String {
    format!(
        "{} went quiet on {session_id}; the conversation is back in the queue",
        holder.unwrap_or("A reviewer")
    )
}

/// The system turn recorded when nobody answered and the customer got the fallback message.
pub fn turn_timed_out(fallback_message: &str) -> String {
    format!("No reviewer answered in time. The customer was told: {fallback_message}")
}

/// The system turn that carries a handback summary to the AI.
pub fn turn_handback_summary(by: &str, summary: &str) -> String {
    format!("Handback summary from {by}: {summary}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_read_the_reason_as_words_and_name_who_acted() {
        assert_eq!(
            team_new_request("live", "out_of_scope", "s1", None),
            "New live request (out of scope) from s1 on an unnamed channel"
        );
        assert_eq!(
            team_escalated("s1", "low_confidence"),
            "Escalated to you: s1 has waited unclaimed (low confidence)"
        );
        assert_eq!(
            team_reviewer_silent(None, "s1"),
            "A reviewer went quiet on s1; the conversation is back in the queue"
        );
    }
}
