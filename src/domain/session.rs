//! The session state machine: who owns the next turn. This is the only place where session
//! statuses are compared; handlers and timers call [`transition`] and the repository applies the
//! result to the locked session row in the same transaction.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a conversation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// The AI answers.
    Ai,
    /// A takeover waits in the queue; the AI must stay silent.
    HumanRequested,
    /// A reviewer holds the conversation.
    HumanActive,
    /// A reviewer handed it back; the AI answers the next turn.
    HandedBack,
    /// Closed; a new user message opens it again as `ai`.
    Closed,
}

/// Who answers the next turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Ai,
    Human,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 5] = [
        SessionStatus::Ai,
        SessionStatus::HumanRequested,
        SessionStatus::HumanActive,
        SessionStatus::HandedBack,
        SessionStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Ai => "ai",
            SessionStatus::HumanRequested => "human_requested",
            SessionStatus::HumanActive => "human_active",
            SessionStatus::HandedBack => "handed_back",
            SessionStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<SessionStatus> {
        Some(match s {
            "ai" => SessionStatus::Ai,
            "human_requested" => SessionStatus::HumanRequested,
            "human_active" => SessionStatus::HumanActive,
            "handed_back" => SessionStatus::HandedBack,
            "closed" => SessionStatus::Closed,
            _ => return None,
        })
    }

    pub fn owner(self) -> Owner {
        match self {
            SessionStatus::HumanRequested | SessionStatus::HumanActive => Owner::Human,
            _ => Owner::Ai,
        }
    }

    /// True while a takeover is open on the session.
    pub fn has_open_takeover(self) -> bool {
        self.owner() == Owner::Human
    }
}

/// Something that happens to a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    UserMessage,
    AiMessage,
    SystemMessage,
    TakeoverRequested,
    Claimed,
    Released,
    HandedBack,
    /// The takeover ran out of escalation steps unclaimed.
    TimedOut,
    Closed,
}

/// Why an event is refused in the current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The AI tried to speak while a person owns the conversation.
    AiWhileHuman,
    /// A claim on a conversation another reviewer already holds.
    AlreadyClaimed,
    /// A takeover request while one is already open (the caller returns the open one).
    TakeoverAlreadyOpen,
    /// The event needs an open takeover and there is none.
    NoOpenTakeover,
    /// Release of a conversation nobody holds.
    NotClaimed,
}

/// The pure transition function: (state, event) -> new state, or why not.
pub fn transition(from: SessionStatus, event: SessionEvent) -> Result<SessionStatus, Refusal> {
    use SessionEvent as E;
    use SessionStatus as S;
    match (from, event) {
        (S::HandedBack | S::Closed, E::UserMessage) => Ok(S::Ai),
        (s, E::UserMessage | E::SystemMessage) => Ok(s),
        (S::HumanRequested | S::HumanActive, E::AiMessage) => Err(Refusal::AiWhileHuman),
        (_, E::AiMessage) => Ok(S::Ai),
        (S::HumanRequested | S::HumanActive, E::TakeoverRequested) => {
            Err(Refusal::TakeoverAlreadyOpen)
        }
        (_, E::TakeoverRequested) => Ok(S::HumanRequested),
        (S::HumanRequested, E::Claimed) => Ok(S::HumanActive),
        (S::HumanActive, E::Claimed) => Err(Refusal::AlreadyClaimed),
        (_, E::Claimed) => Err(Refusal::NoOpenTakeover),
        (S::HumanActive, E::Released) => Ok(S::HumanRequested),
        (S::HumanRequested, E::Released) => Err(Refusal::NotClaimed),
        (_, E::Released) => Err(Refusal::NoOpenTakeover),
        (S::HumanRequested | S::HumanActive, E::HandedBack) => Ok(S::HandedBack),
        (_, E::HandedBack) => Err(Refusal::NoOpenTakeover),
        (S::HumanRequested, E::TimedOut) => Ok(S::HandedBack),
        (_, E::TimedOut) => Err(Refusal::NoOpenTakeover),
        (_, E::Closed) => Ok(S::Closed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionEvent as E;
    use SessionStatus as S;

    #[test]
    fn the_ai_never_speaks_over_a_person() {
        assert_eq!(
            transition(S::HumanRequested, E::AiMessage),
            Err(Refusal::AiWhileHuman)
        );
        assert_eq!(
            transition(S::HumanActive, E::AiMessage),
            Err(Refusal::AiWhileHuman)
        );
        assert_eq!(transition(S::Ai, E::AiMessage), Ok(S::Ai));
        assert_eq!(transition(S::HandedBack, E::AiMessage), Ok(S::Ai));
    }

    #[test]
    fn the_full_cycle_returns_the_turn_to_the_ai() {
        let mut s = S::Ai;
        for (event, expected) in [
            (E::UserMessage, S::Ai),
            (E::TakeoverRequested, S::HumanRequested),
            (E::UserMessage, S::HumanRequested),
            (E::Claimed, S::HumanActive),
            (E::UserMessage, S::HumanActive),
            (E::HandedBack, S::HandedBack),
            (E::UserMessage, S::Ai),
        ] {
            s = transition(s, event).unwrap();
            assert_eq!(s, expected, "after {event:?}");
        }
    }

    #[test]
    fn claims_and_releases_are_refused_out_of_turn() {
        assert_eq!(
            transition(S::HumanActive, E::Claimed),
            Err(Refusal::AlreadyClaimed)
        );
        assert_eq!(transition(S::Ai, E::Claimed), Err(Refusal::NoOpenTakeover));
        assert_eq!(
            transition(S::HumanActive, E::Released),
            Ok(S::HumanRequested)
        );
        assert_eq!(
            transition(S::HumanRequested, E::Released),
            Err(Refusal::NotClaimed)
        );
        assert_eq!(
            transition(S::Ai, E::HandedBack),
            Err(Refusal::NoOpenTakeover)
        );
        assert_eq!(
            transition(S::HumanActive, E::TakeoverRequested),
            Err(Refusal::TakeoverAlreadyOpen)
        );
    }

    #[test]
    fn owner_follows_status() {
        for s in [
            S::Ai,
            S::HumanRequested,
            S::HumanActive,
            S::HandedBack,
            S::Closed,
        ] {
            assert_eq!(SessionStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::HumanRequested.owner(), Owner::Human);
        assert_eq!(S::HandedBack.owner(), Owner::Ai);
        assert_eq!(S::Closed.owner(), Owner::Ai);
    }
}
