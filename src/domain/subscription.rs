//! Which events a `/v1/webhooks` subscription receives: the rule behind "one delivery per event
//! per workflow". A subscription chooses event types, optionally channels, and a scope; a
//! takeover whose own callbacks already go to a subscription's URL is not copied to it again.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whose sessions a subscription hears about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionScope {
    /// Every session's events (the default, and the behaviour of subscriptions made before
    /// scopes existed).
    #[default]
    All,
    /// Only the events of takeovers made with the subscription's API key whose `reply_webhook`
    /// or `handback_signal` is the subscription's `url` (the takeovers its own n8n workflow
    /// requested), and the events of sessions that never had a takeover. An event outside a
    /// takeover (an idle close, a visitor's message after a handback) belongs to the session's
    /// latest takeover.
    OwnTakeovers,
}

impl SubscriptionScope {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionScope::All => "all",
            SubscriptionScope::OwnTakeovers => "own_takeovers",
        }
    }

    /// The stored text; anything unknown reads as `All`, the behaviour before scopes.
    pub fn parse(s: &str) -> SubscriptionScope {
        match s {
            "own_takeovers" => SubscriptionScope::OwnTakeovers,
            _ => SubscriptionScope::All,
        }
    }
}

/// The takeover an event belongs to: who made it and where its callbacks go.
#[derive(Clone, Copy, Debug)]
pub struct TakeoverTarget<'a> {
    pub api_key_id: &'a str,
    pub reply_webhook: &'a str,
    pub handback_signal: Option<&'a str>,
}

impl TakeoverTarget<'_> {
    /// Whether the takeover's callbacks (replies, or its handback) go to `url`.
    pub fn points_at(&self, url: &str) -> bool {
        self.reply_webhook == url || self.handback_signal == Some(url)
    }
}

/// A subscription, as far as the rule needs it.
#[derive(Clone, Copy, Debug)]
pub struct Subscription<'a> {
    pub api_key_id: &'a str,
    pub url: &'a str,
    /// Event type names, or `*`.
    pub events: &'a [String],
    /// `None`: every channel.
    pub channels: Option<&'a [String]>,
    pub scope: SubscriptionScope,
}

/// The event to fan out.
#[derive(Clone, Copy, Debug)]
pub struct Fanout<'a> {
    pub event_type: &'a str,
    pub channel: Option<&'a str>,
    /// The takeover the event belongs to (for an event outside one, the session's latest);
    /// `None` when the session never had a takeover.
    pub takeover: Option<TakeoverTarget<'a>>,
    /// Where the takeover's own callback of this event goes, and the key that signs it; `None`
    /// for events only subscriptions receive.
    pub destination: Option<(&'a str, &'a str)>,
}

/// Whether `sub` gets its own copy of the event.
pub fn receives(sub: &Subscription<'_>, ev: &Fanout<'_>) -> bool {
    if !sub.events.iter().any(|e| e == ev.event_type || e == "*") {
        return false;
    }
    if let Some(channels) = sub.channels {
        if !ev.channel.is_some_and(|c| channels.iter().any(|x| x == c)) {
            return false;
        }
    }
    // The takeover's own callback already goes to this URL for this key (it is signed with
    // the subscription's secret too): a copy would reach the same workflow twice.
    if ev.destination == Some((sub.url, sub.api_key_id)) {
        return false;
    }
    match (sub.scope, ev.takeover) {
        (SubscriptionScope::All, _) | (SubscriptionScope::OwnTakeovers, None) => true,
        (SubscriptionScope::OwnTakeovers, Some(t)) => {
            t.api_key_id == sub.api_key_id && t.points_at(sub.url)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOOK: &str = "http://n8n:5678/webhook/baton";
    const OTHER: &str = "http://n8n:5678/webhook/other";

    fn sub<'a>(events: &'a [String], scope: SubscriptionScope) -> Subscription<'a> {
        Subscription {
            api_key_id: "k1",
            url: HOOK,
            events,
            channels: None,
            scope,
        }
    }

    fn takeover(url: &str) -> TakeoverTarget<'_> {
        TakeoverTarget {
            api_key_id: "k1",
            reply_webhook: url,
            handback_signal: None,
        }
    }

    fn reply<'a>(
        takeover: Option<TakeoverTarget<'a>>,
        destination: Option<(&'a str, &'a str)>,
    ) -> Fanout<'a> {
        Fanout {
            event_type: "reply",
            channel: Some("telegram"),
            takeover,
            destination,
        }
    }

    #[test]
    fn a_subscription_without_scope_hears_every_takeover() {
        let events = vec!["reply".to_string()];
        let s = sub(&events, SubscriptionScope::All);
        assert!(receives(
            &s,
            &reply(Some(takeover(OTHER)), Some((OTHER, "k1")))
        ));
        assert!(receives(&s, &reply(None, None)));
    }

    #[test]
    fn a_scoped_subscription_hears_only_the_takeovers_pointing_at_it() {
        let events = vec!["*".to_string()];
        let s = sub(&events, SubscriptionScope::OwnTakeovers);
        assert!(!receives(
            &s,
            &reply(Some(takeover(OTHER)), Some((OTHER, "k1")))
        ));
        let mut handback_here = takeover(OTHER);
        handback_here.handback_signal = Some(HOOK);
        assert!(receives(
            &s,
            &reply(Some(handback_here), Some((OTHER, "k1")))
        ));
        let mut other_key = takeover(HOOK);
        other_key.api_key_id = "k2";
        assert!(!receives(&s, &reply(Some(other_key), None)));
        // A session that never had a takeover (a web visitor's first message) is everyone's.
        assert!(receives(&s, &reply(None, None)));
    }

    #[test]
    fn the_takeovers_own_callback_to_the_same_url_is_the_only_copy() {
        let events = vec!["reply".to_string()];
        for scope in [SubscriptionScope::All, SubscriptionScope::OwnTakeovers] {
            let s = sub(&events, scope);
            assert!(!receives(
                &s,
                &reply(Some(takeover(HOOK)), Some((HOOK, "k1")))
            ));
            // Signed by another key, the callback is not one this subscription can stand for.
            let mut other_key = takeover(HOOK);
            other_key.api_key_id = "k2";
            assert_eq!(
                receives(&s, &reply(Some(other_key), Some((HOOK, "k2")))),
                scope == SubscriptionScope::All
            );
        }
    }

    #[test]
    fn channels_and_event_types_narrow_what_arrives() {
        let events = vec!["takeover.claimed".to_string()];
        let channels = vec!["web".to_string()];
        let mut s = sub(&events, SubscriptionScope::All);
        assert!(!receives(&s, &reply(None, None)));
        let events = vec!["reply".to_string()];
        s.events = &events;
        s.channels = Some(&channels);
        assert!(!receives(&s, &reply(None, None)));
        let web = Fanout {
            channel: Some("web"),
            ..reply(None, None)
        };
        assert!(receives(&s, &web));
        let none = Fanout {
            channel: None,
            ..reply(None, None)
        };
        assert!(!receives(&s, &none));
    }

    #[test]
    fn unknown_stored_scopes_read_as_all() {
        assert_eq!(
            SubscriptionScope::parse("own_takeovers"),
            SubscriptionScope::OwnTakeovers
        );
        assert_eq!(SubscriptionScope::parse("all"), SubscriptionScope::All);
        assert_eq!(SubscriptionScope::parse(""), SubscriptionScope::All);
    }
}
