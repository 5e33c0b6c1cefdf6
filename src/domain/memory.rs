//! What the AI should remember of a person's stretch of a conversation: the turns between the
//! takeover and the handback, written as the chat-memory messages n8n's *Chat Memory Manager*
//! inserts (`{type: user | ai | system, message}`), so an AI Agent with Simple or Postgres memory
//! answers the next turn knowing what the person said and decided.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::types::Sender;

/// Whose words a chat-memory message holds, as n8n's Chat Memory Manager names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemoryRole {
    /// The customer.
    User,
    /// The assistant's side of the conversation: here, the person who answered for it.
    Ai,
    /// An instruction to the AI (the handback and its summary).
    System,
}

/// One message for the AI's chat memory, in the shape of an "Insert Messages" entry of n8n's
/// Chat Memory Manager node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemoryMessage {
    /// `user` (the customer), `ai` (the reviewer, prefixed with their name) or `system` (the
    /// closing handback note with the summary).
    #[serde(rename = "type")]
    pub role: MemoryRole,
    /// The text.
    pub message: String,
}

/// A turn of the person's stretch, with the display name of the reviewer who wrote it.
#[derive(Clone, Debug)]
pub struct StretchTurn {
    pub sender: Sender,
    pub content: String,
    /// For a reviewer's turn: how the customer saw them named (else their sign-in name is used).
    pub display_name: Option<String>,
}

/// The person's stretch as chat memory, oldest first, closed by a system message that says who
/// handed back and carries the summary. Only what the customer and the reviewers said to each
/// other counts: system turns, the AI's own turns and internal notes are left out (the AI's turns
/// are already in its memory; notes never reached the customer).
pub fn handback_memory(
    stretch: &[StretchTurn],
    handed_back_by: Option<&str>,
    summary: Option<&str>,
) -> Vec<MemoryMessage> {
    let mut out: Vec<MemoryMessage> = stretch
        .iter()
        .filter_map(|turn| match &turn.sender {
            Sender::User => Some(MemoryMessage {
                role: MemoryRole::User,
                message: turn.content.clone(),
            }),
            Sender::Human(name) => Some(MemoryMessage {
                role: MemoryRole::Ai,
                message: format!(
                    "[{}] {}",
                    turn.display_name.as_deref().unwrap_or(name),
                    turn.content
                ),
            }),
            // A person outside Baton spoke to the customer for the business, as a reviewer does.
            Sender::Staff(name) => Some(MemoryMessage {
                role: MemoryRole::Ai,
                message: format!("[{}] {}", name.as_deref().unwrap_or("Staff"), turn.content),
            }),
            Sender::Ai | Sender::System => None,
        })
        .collect();
    out.push(MemoryMessage {
        role: MemoryRole::System,
        message: closing_note(handed_back_by, summary),
    });
    out
}

/// The system message that ends the stretch.
fn closing_note(handed_back_by: Option<&str>, summary: Option<&str>) -> String {
    let who = match handed_back_by {
        Some(name) => format!("{name}, a person from the team,"),
        None => "A person from the team".to_string(),
    };
    let summary = summary.map(str::trim).filter(|s| !s.is_empty());
    match summary {
        Some(text) => format!(
            "{who} answered the customer in the messages above (their answers are marked with their name) and handed the conversation back to you. Summary: {text}"
        ),
        None => format!(
            "{who} answered the customer in the messages above (their answers are marked with their name) and handed the conversation back to you."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(sender: Sender, content: &str, display: Option<&str>) -> StretchTurn {
        StretchTurn {
            sender,
            content: content.into(),
            display_name: display.map(str::to_string),
        }
    }

    #[test]
    fn the_stretch_becomes_user_and_ai_messages_closed_by_the_summary() {
        let stretch = [
            turn(Sender::User, "Is anyone there?", None),
            turn(
                Sender::Human("alice".into()),
                "Hi, I'm Alice.",
                Some("Alice"),
            ),
            turn(Sender::System, "Handback summary from Alice: x", None),
            turn(Sender::User, "My card was charged twice", None),
            turn(Sender::Human("bob".into()), "Refunded.", None),
            turn(Sender::Ai, "stale answer", None),
        ];
        let memory = handback_memory(&stretch, Some("Bob"), Some("  Refunded order 7.  "));
        let shape: Vec<(MemoryRole, &str)> = memory
            .iter()
            .map(|m| (m.role, m.message.as_str()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (MemoryRole::User, "Is anyone there?"),
                (MemoryRole::Ai, "[Alice] Hi, I'm Alice."),
                (MemoryRole::User, "My card was charged twice"),
                (MemoryRole::Ai, "[bob] Refunded."),
                (
                    MemoryRole::System,
                    "Bob, a person from the team, answered the customer in the messages above (their answers are marked with their name) and handed the conversation back to you. Summary: Refunded order 7."
                ),
            ]
        );
    }

    #[test]
    fn without_a_summary_or_a_reviewer_the_ai_still_learns_a_person_answered() {
        let memory = handback_memory(&[], None, Some("   "));
        assert_eq!(memory.len(), 1);
        assert_eq!(memory[0].role, MemoryRole::System);
        assert_eq!(
            memory[0].message,
            "A person from the team answered the customer in the messages above (their answers are marked with their name) and handed the conversation back to you."
        );
    }

    #[test]
    fn messages_serialize_as_the_chat_memory_manager_inserts_them() {
        let m = MemoryMessage {
            role: MemoryRole::Ai,
            message: "[Alice] Done".into(),
        };
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!({"type": "ai", "message": "[Alice] Done"})
        );
    }
}
