//! What happens when a takeover's unclaimed wait runs out, free of SQL: the next usable step of
//! its escalation policy, or, after the last, the fallback (the apology and whether the AI takes
//! the conversation back or it closes) and the status the session ends in. `db::takeovers`
//! applies the decision under the session lock; the timers only call it.

use super::policy::{FallbackAction, StoredStep};
use super::session::{transition, Refusal, SessionEvent, SessionStatus};

/// The fallback when a takeover has no policy, or its policy does not say (from the config).
#[derive(Clone, Debug)]
pub struct FallbackDefaults {
    pub message: String,
    pub action: FallbackAction,
}

/// The next step to take after `taken` steps: the first later step whose assignee still
/// resolves (`resolve` gives what it resolved to), with the number of steps taken after it.
/// A step naming a team or reviewer that is gone or disabled is skipped. `None`: steps are
/// exhausted and the fallback applies.
pub fn next_step<T>(
    steps: &[StoredStep],
    taken: usize,
    mut resolve: impl FnMut(&StoredStep) -> Option<T>,
) -> Option<(usize, &StoredStep, T)> {
    steps
        .iter()
        .enumerate()
        .skip(taken)
        .find_map(|(i, step)| resolve(step).map(|to| (i + 1, step, to)))
}

/// The apology and action of the fallback: the policy's own when it has one, else the defaults.
/// An action the policy stores but this version does not know falls back to the default.
pub fn fallback(
    policy: Option<(&str, &str)>,
    defaults: &FallbackDefaults,
) -> (String, FallbackAction) {
    match policy {
        Some((message, action)) => (
            message.to_string(),
            FallbackAction::parse(action).unwrap_or(defaults.action),
        ),
        None => (defaults.message.clone(), defaults.action),
    }
}

/// The status a session ends in when its takeover timed out with this fallback action.
pub fn timed_out_status(
    from: SessionStatus,
    action: FallbackAction,
) -> Result<SessionStatus, Refusal> {
    let to = transition(from, SessionEvent::TimedOut)?;
    match action {
        FallbackAction::Handback => Ok(to),
        FallbackAction::Close => transition(to, SessionEvent::Closed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(assignee: &str) -> StoredStep {
        StoredStep {
            assignee: assignee.to_string(),
            wait_seconds: 60,
        }
    }

    #[test]
    fn the_next_step_skips_assignees_that_no_longer_resolve() {
        let steps = [step("tier1"), step("gone"), step("tier2")];
        let usable = |s: &StoredStep| (s.assignee != "gone").then(|| s.assignee.clone());
        let (taken, next, to) = next_step(&steps, 1, usable).expect("tier2 is left");
        assert_eq!(
            (taken, next.assignee.as_str(), to.as_str()),
            (3, "tier2", "tier2")
        );
        assert!(
            next_step(&steps, 3, usable).is_none(),
            "after the last step: fallback"
        );
    }

    #[test]
    fn the_policy_fallback_wins_over_the_defaults_and_an_unknown_action_does_not() {
        let defaults = FallbackDefaults {
            message: "Sorry".into(),
            action: FallbackAction::Handback,
        };
        assert_eq!(
            fallback(Some(("We will e-mail you", "close")), &defaults),
            ("We will e-mail you".to_string(), FallbackAction::Close)
        );
        assert_eq!(
            fallback(Some(("Hi", "explode")), &defaults).1,
            FallbackAction::Handback
        );
        assert_eq!(
            fallback(None, &defaults),
            ("Sorry".to_string(), FallbackAction::Handback)
        );
    }

    #[test]
    fn a_timed_out_takeover_hands_back_or_closes_as_its_fallback_says() {
        let waiting = SessionStatus::HumanRequested;
        let back = timed_out_status(waiting, FallbackAction::Handback).unwrap();
        let closed = timed_out_status(waiting, FallbackAction::Close).unwrap();
        assert_eq!(closed, SessionStatus::Closed);
        assert_eq!(back, SessionStatus::HandedBack);
    }
}
