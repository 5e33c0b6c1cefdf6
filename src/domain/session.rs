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
    /// A person outside Baton answered (a `staff` turn); the AI stays silent until the team's
    /// quiet time passes without another staff turn, or a reviewer claims the conversation.
    StaffActive,
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
    /// A reviewer in Baton (or the queue, waiting for one).
    Human,
    /// A person answering from outside Baton.
    Staff,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 6] = [
        SessionStatus::Ai,
        SessionStatus::HumanRequested,
        SessionStatus::HumanActive,
        SessionStatus::StaffActive,
        SessionStatus::HandedBack,
        SessionStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Ai => "ai",
            SessionStatus::HumanRequested => "human_requested",
            SessionStatus::HumanActive => "human_active",
            SessionStatus::StaffActive => "staff_active",
            SessionStatus::HandedBack => "handed_back",
            SessionStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<SessionStatus> {
        Some(match s {
            "ai" => SessionStatus::Ai,
            "human_requested" => SessionStatus::HumanRequested,
            "human_active" => SessionStatus::HumanActive,
            "staff_active" => SessionStatus::StaffActive,
            "handed_back" => SessionStatus::HandedBack,
            "closed" => SessionStatus::Closed,
            _ => return None,
        })
    }

    pub fn owner(self) -> Owner {
        match self {
            SessionStatus::HumanRequested | SessionStatus::HumanActive => Owner::Human,
            SessionStatus::StaffActive => Owner::Staff,
            _ => Owner::Ai,
        }
    }

    /// True while a takeover is open on the session (a staff-answered one included).
    pub fn has_open_takeover(self) -> bool {
        self.owner() != Owner::Ai
    }

    /// True while the conversation waits for a reviewer to take it: the router offers only
    /// these (a conversation a person outside Baton answers is claimable but not offered).
    pub fn waits_for_reviewer(self) -> bool {
        self == SessionStatus::HumanRequested
    }
}

/// Something that happens to a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    UserMessage,
    AiMessage,
    SystemMessage,
    /// A person outside Baton wrote to the customer (a `staff` turn).
    StaffMessage,
    TakeoverRequested,
    Claimed,
    Released,
    HandedBack,
    /// The takeover ran out of escalation steps unclaimed.
    TimedOut,
    /// The quiet time after the last staff turn passed.
    QuietTimeOver,
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
        (S::HumanRequested | S::HumanActive | S::StaffActive, E::AiMessage) => {
            Err(Refusal::AiWhileHuman)
        }
        (_, E::AiMessage) => Ok(S::Ai),
        // A reviewer who holds the conversation keeps it; the outside turn is only recorded.
        (S::HumanActive, E::StaffMessage) => Ok(S::HumanActive),
        (_, E::StaffMessage) => Ok(S::StaffActive),
        (S::HumanRequested | S::HumanActive | S::StaffActive, E::TakeoverRequested) => {
            Err(Refusal::TakeoverAlreadyOpen)
        }
        (_, E::TakeoverRequested) => Ok(S::HumanRequested),
        (S::HumanRequested | S::StaffActive, E::Claimed) => Ok(S::HumanActive),
        (S::HumanActive, E::Claimed) => Err(Refusal::AlreadyClaimed),
        (_, E::Claimed) => Err(Refusal::NoOpenTakeover),
        (S::HumanActive, E::Released) => Ok(S::HumanRequested),
        (S::HumanRequested | S::StaffActive, E::Released) => Err(Refusal::NotClaimed),
        (_, E::Released) => Err(Refusal::NoOpenTakeover),
        (S::HumanRequested | S::HumanActive | S::StaffActive, E::HandedBack) => Ok(S::HandedBack),
        (_, E::HandedBack) => Err(Refusal::NoOpenTakeover),
        (S::HumanRequested, E::TimedOut) => Ok(S::HandedBack),
        (_, E::TimedOut) => Err(Refusal::NoOpenTakeover),
        (S::StaffActive, E::QuietTimeOver) => Ok(S::HandedBack),
        (_, E::QuietTimeOver) => Err(Refusal::NoOpenTakeover),
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
    fn a_staff_turn_silences_the_ai_until_the_quiet_time_or_a_claim() {
        for from in [
            S::Ai,
            S::HandedBack,
            S::Closed,
            S::HumanRequested,
            S::StaffActive,
        ] {
            assert_eq!(
                transition(from, E::StaffMessage),
                Ok(S::StaffActive),
                "{from:?}"
            );
        }
        // A reviewer who holds it keeps it.
        assert_eq!(
            transition(S::HumanActive, E::StaffMessage),
            Ok(S::HumanActive)
        );
        assert_eq!(
            transition(S::StaffActive, E::AiMessage),
            Err(Refusal::AiWhileHuman)
        );
        assert_eq!(
            transition(S::StaffActive, E::UserMessage),
            Ok(S::StaffActive)
        );
        assert_eq!(transition(S::StaffActive, E::Claimed), Ok(S::HumanActive));
        assert_eq!(
            transition(S::StaffActive, E::TimedOut),
            Err(Refusal::NoOpenTakeover)
        );
        assert_eq!(
            transition(S::StaffActive, E::QuietTimeOver),
            Ok(S::HandedBack)
        );
        assert_eq!(
            transition(S::HumanActive, E::QuietTimeOver),
            Err(Refusal::NoOpenTakeover)
        );
        assert_eq!(
            transition(S::StaffActive, E::TakeoverRequested),
            Err(Refusal::TakeoverAlreadyOpen)
        );
        assert_eq!(S::StaffActive.owner(), Owner::Staff);
        assert!(S::StaffActive.has_open_takeover());
        assert!(!S::StaffActive.waits_for_reviewer());
    }

    #[test]
    fn owner_follows_status() {
        for s in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::HumanRequested.owner(), Owner::Human);
        assert_eq!(S::HandedBack.owner(), Owner::Ai);
        assert_eq!(S::Closed.owner(), Owner::Ai);
    }
}
