//! Property tests of the request parsers and the signal evaluator: any input is answered
//! (never a panic), what is accepted obeys the documented bounds, parsed values round-trip, and
//! the evaluator's answers keep the documented rule order.

use std::time::Duration;

use baton::domain::duration::{parse_duration, Timeout};
use baton::domain::signals::{
    evaluate, ClassifierSignal, CompiledRules, HandoffReason, ScopeCategory, SignalInput,
    SignalRules,
};
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
    fn session_ids_accept_exactly_the_documented_strings(raw in "\\PC{0,300}|.{0,3}[\\x00-\\x1f\\x7f].{0,3}|.{0,3}\u{FFFD}.{0,3}") {
        let n = raw.chars().count();
        // U+FFFD is what a lossy decode of non-UTF-8 path bytes leaves: refused, so two
        // different ids never land in one session.
        let lossy = raw.contains('\u{FFFD}');
        match SessionId::parse(&raw) {
            Ok(id) => {
                prop_assert!((1..=255).contains(&n));
                prop_assert!(!raw.chars().any(char::is_control));
                prop_assert!(!lossy);
                prop_assert_eq!(id.as_str(), raw.as_str());
                prop_assert_eq!(id.to_string(), raw);
            }
            Err(message) => {
                prop_assert!(n == 0 || n > 255 || raw.chars().any(char::is_control) || lossy);
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

fn default_rules() -> &'static CompiledRules {
    static RULES: std::sync::OnceLock<CompiledRules> = std::sync::OnceLock::new();
    RULES.get_or_init(|| CompiledRules::compile(&SignalRules::default(), 1).expect("defaults"))
}

/// The defaults behind a first scope category of our own, version 7.
fn zebra_rules() -> &'static CompiledRules {
    static RULES: std::sync::OnceLock<CompiledRules> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules = SignalRules::default();
        rules.scope.insert(
            0,
            ScopeCategory {
                name: "zebra".into(),
                phrases: vec!["zebra crossing*".into()],
                regexes: vec![],
                amount_threshold: None,
                classifier_topics: vec![],
                classifier_min_score: 0.7,
            },
        );
        CompiledRules::compile(&rules, 7).expect("valid rules")
    })
}

/// Any float, the awkward ones included.
fn any_score() -> impl Strategy<Value = Option<f64>> {
    prop::option::of(prop_oneof![
        0.0..=1.0f64,
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-0.0),
    ])
}

fn any_input() -> impl Strategy<Value = SignalInput> {
    (
        // Any text: unicode, accents, emoji, control-free punctuation, long words.
        "\\PC{0,160}|(?i)(I want|ich will|je veux|quiero) (a |einen |un )?(human|person|mensch|agent|humano|lawyer|refund of \\$?[0-9]{1,6}(,[0-9]{2})?)[!?. ]{0,3}",
        prop::option::of("[a-zA-Z_-]{0,8}"),
        any_score(),
        any_score(),
        prop::option::of(0u32..5),
        prop::option::of(("\\PC{0,12}", any_score())),
        prop::option::of(any::<bool>()),
    )
        .prop_map(
            |(text, language, confidence, grounding_score, retrieved_chunks, classifier, tool_unsure)| {
                SignalInput {
                    text,
                    language,
                    confidence,
                    grounding_score,
                    retrieved_chunks,
                    classifier: classifier.map(|(topic, score)| ClassifierSignal { topic, score }),
                    tool_unsure,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn the_signal_evaluator_answers_any_input_consistently(input in any_input()) {
        let rules = default_rules();
        let e = evaluate(rules, &input);
        prop_assert_eq!(&evaluate(rules, &input), &e, "not deterministic");
        prop_assert_eq!(e.rules_version, 1);
        prop_assert_eq!(e.handoff, e.reason.is_some());
        prop_assert_eq!(e.handoff, e.rule.is_some());
        prop_assert_eq!(e.handoff, e.matched.is_some());
        let rule = e.rule.clone().unwrap_or_default();
        match e.reason {
            Some(HandoffReason::OutOfScope) => prop_assert!(rule.starts_with("scope:"), "{}", rule),
            Some(HandoffReason::UserRequested) => prop_assert!(rule.starts_with("human_request:"), "{}", rule),
            Some(HandoffReason::LowConfidence) => prop_assert!(rule.starts_with("confidence:"), "{}", rule),
            None => {}
        }
        // The confidence rules are the last word: below the threshold always hands off.
        if input.confidence.is_some_and(|c| c < 0.5) {
            prop_assert!(e.handoff, "confidence {:?} did not hand off", input.confidence);
        }
        if input.tool_unsure == Some(true) || input.retrieved_chunks == Some(0) {
            prop_assert!(e.handoff);
        }
    }

    #[test]
    fn scope_rules_come_first_whatever_else_the_turn_says(
        before in "\\PC{0,40}",
        after in "\\PC{0,40}",
        confidence in any_score(),
        human in any::<bool>(),
    ) {
        let rules = zebra_rules();
        let human = if human { " I want to talk to a human. " } else { " " };
        let text = format!("{before} zebra crossings{human}{after}");
        let e = evaluate(rules, &SignalInput {
            text: text.clone(),
            language: None,
            confidence,
            grounding_score: Some(0.0),
            retrieved_chunks: Some(0),
            classifier: None,
            tool_unsure: Some(true),
        });
        prop_assert_eq!(e.reason, Some(HandoffReason::OutOfScope), "{}: {:?}", text, e);
        prop_assert_eq!(e.rule.as_deref(), Some("scope:zebra"));
        prop_assert_eq!(e.rules_version, 7);
        // What matched is quoted from the text.
        let matched = e.matched.unwrap_or_default();
        prop_assert!(text.to_lowercase().contains(&matched.to_lowercase()), "{:?} not in {:?}", matched, text);
    }

    #[test]
    fn signal_rules_from_any_json_are_refused_or_compile(value in any_json(), text in "\\PC{0,40}") {
        if let Ok(rules) = serde_json::from_value::<SignalRules>(value) {
            let valid = rules.validate().is_ok();
            match CompiledRules::compile(&rules, 2) {
                Ok(compiled) => {
                    prop_assert!(valid);
                    let input = SignalInput {
                        text, language: None, confidence: None, grounding_score: None,
                        retrieved_chunks: None, classifier: None, tool_unsure: None,
                    };
                    let _ = evaluate(&compiled, &input);
                }
                Err(errors) => {
                    prop_assert!(!valid);
                    prop_assert!(!errors.is_empty());
                }
            }
        }
    }
}
