//! The handoff detector alone (`--only detector`): no server and no database. Times
//! `detect_human_request`, and the whole default `evaluate` (scope rules, then the detector,
//! then confidence), over every labelled message in `tests/data/signals/`, per message.

use std::time::Instant;

use baton::domain::signals::{
    detect_human_request, evaluate, prepare, CompiledRules, SignalInput, SignalRules,
};

use crate::{row, Row};

/// Every labelled set in the repository, embedded so the scenario needs no paths.
const SETS: [&str; 17] = [
    include_str!("../../tests/data/signals/dev.jsonl"),
    include_str!("../../tests/data/signals/tune.jsonl"),
    include_str!("../../tests/data/signals/heldout.jsonl"),
    include_str!("../../tests/data/signals/fresh.jsonl"),
    include_str!("../../tests/data/signals/unseen.jsonl"),
    include_str!("../../tests/data/signals/round3.jsonl"),
    include_str!("../../tests/data/signals/round4.jsonl"),
    include_str!("../../tests/data/signals/round5.jsonl"),
    include_str!("../../tests/data/signals/round6.jsonl"),
    include_str!("../../tests/data/signals/everyday.jsonl"),
    include_str!("../../tests/data/signals/everyday-heldout.jsonl"),
    include_str!("../../tests/data/signals/train-short.jsonl"),
    include_str!("../../tests/data/signals/train-polite.jsonl"),
    include_str!("../../tests/data/signals/train-hard.jsonl"),
    include_str!("../../tests/data/signals/train-curious.jsonl"),
    include_str!("../../tests/data/signals/train-retail.jsonl"),
    include_str!("../../tests/data/signals/train-services.jsonl"),
];

const TARGET: &str = "<= 50 µs per message";

fn texts() -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for set in SETS {
        for line in set.lines().filter(|l| !l.trim().is_empty()) {
            let case: serde_json::Value = serde_json::from_str(line)?;
            let text = case["text"]
                .as_str()
                .ok_or_else(|| anyhow::anyhow!("a labelled case without text: {line}"))?;
            out.push(text.to_owned());
        }
    }
    Ok(out)
}

/// Per-message times in µs, each message timed alone, `rounds` times over the set.
fn time_each(texts: &[String], rounds: usize, f: impl Fn(&str) -> bool) -> (Vec<f64>, usize) {
    let mut times = Vec::with_capacity(texts.len() * rounds);
    let mut hits = 0;
    for _ in 0..rounds {
        for text in texts {
            let start = Instant::now();
            let hit = std::hint::black_box(f(std::hint::black_box(text)));
            times.push(start.elapsed().as_secs_f64() * 1e6);
            hits += usize::from(hit);
        }
    }
    times.sort_by(f64::total_cmp);
    (times, hits / rounds.max(1))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn run(quick: bool) -> anyhow::Result<Vec<Row>> {
    let texts = texts()?;
    let rounds = if quick { 20 } else { 200 };
    let rules = CompiledRules::compile(&SignalRules::default(), 1)
        .map_err(|e| anyhow::anyhow!("the default signal rules do not compile: {e:?}"))?;
    // Build the lexicons and train the second opinion (timed once: what start-up pays), then
    // warm the lazily built indexes outside the timed runs.
    let start = Instant::now();
    prepare();
    let prepared_ms = start.elapsed().as_secs_f64() * 1e3;
    for text in &texts {
        detect_human_request(text, &[]);
    }
    let input = |text: &str| SignalInput {
        text: text.to_owned(),
        language: None,
        confidence: None,
        grounding_score: None,
        retrieved_chunks: None,
        classifier: None,
        tool_unsure: None,
    };
    let (detect, hits) = time_each(&texts, rounds, |t| detect_human_request(t, &[]).is_some());
    let (whole, _) = time_each(&texts, rounds, |t| evaluate(&rules, &input(t)).handoff);
    eprintln!(
        "   {} labelled messages x {rounds} rounds; {hits} found as requests",
        texts.len()
    );
    let mut rows = vec![row(
        "-",
        "detector",
        "prepare (lexicons + training, once at start)",
        "ms",
        prepared_ms,
        None,
        "",
    )];
    for (scenario, times) in [("detector", &detect), ("evaluate", &whole)] {
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        rows.push(row("-", scenario, "mean", "µs/msg", mean, None, TARGET));
        rows.push(row(
            "-",
            scenario,
            "p50",
            "µs/msg",
            pct(times, 50.0),
            None,
            "",
        ));
        rows.push(row(
            "-",
            scenario,
            "p99",
            "µs/msg",
            pct(times, 99.0),
            None,
            "",
        ));
        rows.push(row(
            "-",
            scenario,
            "max",
            "µs/msg",
            pct(times, 100.0),
            None,
            "",
        ));
    }
    Ok(rows)
}
