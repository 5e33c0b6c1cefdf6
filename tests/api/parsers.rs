//! Property tests of the request parsers: any input is answered (never a panic), what is
//! accepted obeys the documented bounds, and parsed values round-trip.

use std::time::Duration;

use baton::domain::duration::{parse_duration, Timeout};
use baton::domain::types::{Sender, SessionId, WebhookUrl};
use proptest::prelude::*;
use serde_json::{json, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".*".prop_map(Value::String),
        "[0-9]{1,12}(ms|s|m|h|d| s|w|)".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map(".{0,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn session_ids_accept_exactly_the_documented_strings(raw in "\\PC{0,300}|.{0,3}[\\x00-\\x1f\\x7f].{0,3}") {
        let n = raw.chars().count();
        match SessionId::parse(&raw) {
            Ok(id) => {
                prop_assert!((1..=255).contains(&n));
                prop_assert!(!raw.chars().any(char::is_control));
                prop_assert_eq!(id.as_str(), raw.as_str());
                prop_assert_eq!(id.to_string(), raw);
            }
            Err(message) => {
                prop_assert!(n == 0 || n > 255 || raw.chars().any(char::is_control));
                prop_assert!(!message.is_empty());
            }
        }
    }

    #[test]
    fn durations_never_panic_and_round_trip(raw in ".{0,24}", n in 0u64..10_000_000, unit in prop::sample::select(vec!["", "s", "ms", "m", "h", "d"])) {
        let _ = parse_duration(&raw);
        let expected = match unit {
            "" | "s" => Duration::from_secs(n),
            "ms" => Duration::from_millis(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3_600),
            _ => Duration::from_secs(n * 86_400),
        };
        prop_assert_eq!(parse_duration(&format!("{n}{unit}")), Ok(expected));
    }

    #[test]
    fn timeouts_are_bounded_for_any_json(value in any_json()) {
        if let Ok(t) = Timeout::parse(&value) {
            prop_assert!((1..=30 * 86_400).contains(&t.as_secs()), "{value} -> {}", t.as_secs());
        }
    }

    #[test]
    fn timeouts_in_range_round_trip(secs in 1u64..=30 * 86_400) {
        prop_assert_eq!(Timeout::parse(&json!(secs)).map(|t| t.as_secs()), Ok(secs as i64));
        prop_assert_eq!(Timeout::parse(&json!(format!("{secs}s"))).map(|t| t.as_secs()), Ok(secs as i64));
        prop_assert!(Timeout::parse(&json!(secs + 30 * 86_400)).is_err());
    }

    #[test]
    fn webhook_urls_never_panic_and_are_stable(raw in "((https?|ftp|file)://)?[a-zA-Z0-9.:@\\[\\]/%?#_-]{0,40}") {
        if let Ok(url) = WebhookUrl::parse(&raw) {
            prop_assert!(url.as_str().starts_with("http://") || url.as_str().starts_with("https://"));
            // Parsing what was accepted gives the same URL back.
            prop_assert_eq!(WebhookUrl::parse(url.as_str()), Ok(url.clone()));
        }
    }

    #[test]
    fn webhook_urls_refuse_link_local_hosts_only(a in any::<u8>(), b in any::<u8>(), c in any::<u8>(), d in any::<u8>(), port in 1u16..) {
        let ip = std::net::Ipv4Addr::new(a, b, c, d);
        let raw = format!("http://{ip}:{port}/webhook/x");
        let refused = ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast();
        prop_assert_eq!(WebhookUrl::parse(&raw).is_err(), refused, "{}", raw);
    }

    #[test]
    fn senders_never_panic_and_round_trip(raw in "(human:)?\\PC{0,120}") {
        if let Ok(sender) = Sender::parse(&raw) {
            prop_assert_eq!(sender.as_string(), raw.clone());
            prop_assert_eq!(Sender::parse(&sender.as_string()), Ok(sender));
        }
    }
}
