//! The words Baton says on its own: notices to customers (carried in callbacks' `text`) and to
//! a team's channel, and the system turns it writes into a conversation. Written once here so a
//! change of wording, or a translation later, has one place to go.

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

/// To a web chat visitor: a person was asked for.
pub fn customer_connecting() -> String {
    "Connecting you with a person. Stay here: they will answer in this chat.".to_string()
}

/// To the customer: a reviewer took the conversation.
pub fn customer_reviewer_joined(display_name: &str) -> String {
    format!("{display_name} joined the conversation")
}

/// To the customer: the conversation goes back to the assistant.
pub fn customer_handed_back(display_name: Option<&str>) -> String {
    match display_name {
        Some(name) => format!("{name} is handing you back to the assistant"),
        None => "You are back with the assistant".to_string(),
    }
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
        assert_eq!(
            customer_handed_back(Some("Alice")),
            "Alice is handing you back to the assistant"
        );
        assert_eq!(
            customer_handed_back(None),
            "You are back with the assistant"
        );
    }
}
