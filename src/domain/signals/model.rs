//! The detector's statistical second opinion: a logistic regression over a message's folded
//! words, its word pairs, the first four letters of its longer words and the four-letter runs
//! inside them, trained from the labelled messages in `tests/data/signals/` (never the held-out
//! ones) the first time it is needed. It decides only where the lexicon found no request,
//! leaving out statements the lexicon cancelled, and only at a score of [`MIN_SCORE`] or more
//! ([`UNMENTIONED_MIN_SCORE`] for a message that mentions nobody); its answer names the words
//! that weighed most.
//!
//! Why a model at all: every round of hand-tuned lexicons scored 1.0 on the wording it was
//! tuned on and 0.69–0.86 recall on the next set (`tests/data/signals/README.md`). The model
//! learns from all of it at once, so wording near what people wrote before counts even where
//! no lexicon frame fits. Training is deterministic (fixed data order, L-BFGS to a tight
//! tolerance on a strictly convex objective), so a build always holds the same weights.

use std::sync::OnceLock;

use std::hash::Hasher;

use super::normalize::{Fnv, Token};

/// The score from which the model counts a message that mentions someone or the bot as a
/// request (see the signals README, "The fifth round", for how it was chosen).
pub(super) const MIN_SCORE: f64 = 0.8;

/// The score from which it counts a message that mentions nobody any lexicon knows.
pub(super) const UNMENTIONED_MIN_SCORE: f64 = 0.95;

/// Inverse strength of the L2 penalty (the loss of every message is weighed by it).
const C: f64 = 4.0;

/// Letters of a word's prefix feature; only longer words get one.
const PREFIX: usize = 4;

/// The messages the model learns from: every labelled set but the held-out ones
/// (`round12.jsonl` to `round14.jsonl`, `everyday-heldout.jsonl`).
const TRAINING: [&str; 38] = [
    include_str!("../../../tests/data/signals/dev.jsonl"),
    include_str!("../../../tests/data/signals/tune.jsonl"),
    include_str!("../../../tests/data/signals/heldout.jsonl"),
    include_str!("../../../tests/data/signals/fresh.jsonl"),
    include_str!("../../../tests/data/signals/unseen.jsonl"),
    include_str!("../../../tests/data/signals/round3.jsonl"),
    include_str!("../../../tests/data/signals/round4.jsonl"),
    include_str!("../../../tests/data/signals/round5.jsonl"),
    include_str!("../../../tests/data/signals/round6.jsonl"),
    include_str!("../../../tests/data/signals/round7.jsonl"),
    include_str!("../../../tests/data/signals/round8.jsonl"),
    include_str!("../../../tests/data/signals/round9.jsonl"),
    include_str!("../../../tests/data/signals/round10.jsonl"),
    include_str!("../../../tests/data/signals/round11.jsonl"),
    include_str!("../../../tests/data/signals/everyday.jsonl"),
    include_str!("../../../tests/data/signals/train-short.jsonl"),
    include_str!("../../../tests/data/signals/train-polite.jsonl"),
    include_str!("../../../tests/data/signals/train-hard.jsonl"),
    include_str!("../../../tests/data/signals/train-curious.jsonl"),
    include_str!("../../../tests/data/signals/train-retail.jsonl"),
    include_str!("../../../tests/data/signals/train-services.jsonl"),
    include_str!("../../../tests/data/signals/train-south.jsonl"),
    include_str!("../../../tests/data/signals/train-indirect.jsonl"),
    include_str!("../../../tests/data/signals/train-mixed.jsonl"),
    include_str!("../../../tests/data/signals/train-nordic.jsonl"),
    include_str!("../../../tests/data/signals/train-admin.jsonl"),
    include_str!("../../../tests/data/signals/train-long.jsonl"),
    include_str!("../../../tests/data/signals/train-biz.jsonl"),
    include_str!("../../../tests/data/signals/train-angry.jsonl"),
    include_str!("../../../tests/data/signals/train-formal.jsonl"),
    include_str!("../../../tests/data/signals/train-ways.jsonl"),
    include_str!("../../../tests/data/signals/train-lookalike.jsonl"),
    include_str!("../../../tests/data/signals/train-roles.jsonl"),
    include_str!("../../../tests/data/signals/train-local.jsonl"),
    include_str!("../../../tests/data/signals/train-lowlands.jsonl"),
    include_str!("../../../tests/data/signals/train-plaza.jsonl"),
    include_str!("../../../tests/data/signals/train-about.jsonl"),
    include_str!("../../../tests/data/signals/train-edges.jsonl"),
];

/// A feature key is already an FNV-1a hash, so the maps keyed by it use it as it is (hashing
/// it again cost a few microseconds of a long message's judging).
#[derive(Default, Clone, Copy)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map from feature keys.
type ByKey<V> = std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<Prehashed>>;

/// The trained weights: one per feature seen in training (by its key), and the bias.
pub(super) struct Model {
    weights: ByKey<f64>,
    bias: f64,
}

/// The model's verdict on one message.
pub(super) struct Opinion {
    /// The probability the message asks for a person, 0 to 1.
    pub(super) score: f64,
    /// Token ranges `(start, end)` of the features that pushed the score up most, in text
    /// order (at most three).
    pub(super) evidence: Vec<(usize, usize)>,
}

static MODEL: OnceLock<Model> = OnceLock::new();

/// The model, trained on first use (under a second in a release build; start-up does it in the
/// background, [`super::prepare`]).
pub(super) fn model() -> &'static Model {
    MODEL.get_or_init(|| Model::train(&training_cases(&TRAINING)))
}

/// One feature of a message: the FNV-1a hash of its name (`w:word`, `b:previous word`,
/// `p:pref`, `c:<run`; hashed, so judging a message allocates no strings) and the token range
/// it stands for.
struct Feature {
    key: u64,
    span: (usize, usize),
}

fn key(parts: &[&[u8]]) -> u64 {
    let mut hash = Fnv::default();
    for part in parts {
        hash.write(part);
    }
    hash.finish()
}

/// Words, word pairs (with the message's start and end as words), long words' prefixes and
/// letter runs, each once, in text order (a repeated feature keeps its first place).
fn features(words: &[&str]) -> Vec<Feature> {
    let mut out = Vec::with_capacity(words.len() * 10 + 1);
    let mut bounds: Vec<usize> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        out.push(Feature {
            key: key(&[b"w:", w.as_bytes()]),
            span: (i, i + 1),
        });
        let prev = if i == 0 { "^" } else { words[i - 1] };
        out.push(Feature {
            key: key(&[b"b:", prev.as_bytes(), b" ", w.as_bytes()]),
            span: (i.saturating_sub(1), i + 1),
        });
        if let Some((end, _)) = w.char_indices().nth(PREFIX) {
            out.push(Feature {
                key: key(&[b"p:", &w.as_bytes()[..end]]),
                span: (i, i + 1),
            });
        }
        grams(w, i, &mut bounds, &mut out);
    }
    if let Some(last) = words.last() {
        let n = words.len();
        out.push(Feature {
            key: key(&[b"b:", last.as_bytes(), b" $"]),
            span: (n - 1, n),
        });
    }
    // Sorted by key and then place, a repeated feature's first place comes first; one of each.
    out.sort_unstable_by_key(|f| (f.key, f.span));
    out.dedup_by_key(|f| f.key);
    out
}

/// Letters in a word's letter-run features.
const GRAM: usize = 4;

/// The runs of [`GRAM`] letters of a word at least [`GRAM_MIN_WORD`] letters long, its start
/// and end counted as letters (`<mitarbeiter>`: `<mit`, `mita`, … `ter>`): a compound, an
/// inflection or a typo shares most of them with the word the model learned.
fn grams(w: &str, i: usize, bounds: &mut Vec<usize>, out: &mut Vec<Feature>) {
    bounds.clear();
    bounds.extend(w.char_indices().map(|(at, _)| at));
    if bounds.len() < GRAM_MIN_WORD {
        return;
    }
    bounds.push(w.len());
    let b = w.as_bytes();
    let n = bounds.len() - 1; // letters
                              // Runs over "<" + w + ">": position k covers letters k-1 .. k-1+GRAM of the padded word.
    for k in 0..=(n + 2 - GRAM) {
        let (lo, hi) = (k.saturating_sub(1), (k + GRAM - 1).min(n));
        let head: &[u8] = if k == 0 { b"<" } else { b"" };
        let tail: &[u8] = if k + GRAM - 1 > n { b">" } else { b"" };
        out.push(Feature {
            key: key(&[b"c:", head, &b[bounds[lo]..bounds[hi]], tail]),
            span: (i, i + 1),
        });
    }
}

/// Words shorter than this get no letter runs (their word and prefix features say enough).
const GRAM_MIN_WORD: usize = 5;

impl Model {
    /// The model's opinion of a message's folded `words`, each with its statement's number in
    /// `clauses` (so evidence a word or two apart is quoted as one phrase only within one).
    pub(super) fn judge(&self, words: &[&str], clauses: &[usize]) -> Opinion {
        let mut z = self.bias;
        let mut pushes: Vec<(f64, (usize, usize))> = Vec::new();
        for f in features(words) {
            if let Some(&w) = self.weights.get(&f.key) {
                z += w;
                if w > 0.0 {
                    pushes.push((w, f.span));
                }
            }
        }
        pushes.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut evidence: Vec<(usize, usize)> = Vec::new();
        for (_, span) in pushes {
            if evidence.len() == 3 {
                break;
            }
            // A word already quoted inside a pair (or the pair around a quoted word) is one piece
            // of evidence, not two.
            if let Some(e) = evidence.iter_mut().find(|e| span.0 < e.1 && e.0 < span.1) {
                *e = (e.0.min(span.0), e.1.max(span.1));
            } else {
                evidence.push(span);
            }
        }
        evidence.sort_unstable();
        // Pieces a word or two apart in one statement are quoted as one phrase.
        let mut phrases: Vec<(usize, usize)> = Vec::with_capacity(evidence.len());
        for span in evidence {
            match phrases.last_mut() {
                Some(last) if span.0 <= last.1 + 2 && clauses[span.0] == clauses[last.0] => {
                    last.1 = last.1.max(span.1);
                }
                _ => phrases.push(span),
            }
        }
        let evidence = phrases;
        Opinion {
            score: baton_logreg::sigmoid(z),
            evidence,
        }
    }

    /// Fits L2-regularised logistic regression to `cases` (text, asks for a person).
    fn train(cases: &[(Vec<Token>, bool)]) -> Model {
        let mut index: ByKey<usize> = ByKey::default();
        let mut names: Vec<u64> = Vec::new();
        let mut rows: Vec<(Vec<usize>, f64)> = Vec::with_capacity(cases.len());
        for (toks, asks) in cases {
            let words: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
            let mut row: Vec<usize> = features(&words)
                .into_iter()
                .map(|f| {
                    *index.entry(f.key).or_insert_with(|| {
                        names.push(f.key);
                        names.len() - 1
                    })
                })
                .collect();
            row.sort_unstable();
            row.dedup();
            rows.push((row, if *asks { 1.0 } else { -1.0 }));
        }
        let (x, bias) = baton_logreg::fit(&rows, names.len(), C);
        let weights = names
            .into_iter()
            .zip(&x)
            .filter(|(_, w)| w.abs() > 1e-9)
            .map(|(name, w)| (name, *w))
            .collect();
        Model { weights, bias }
    }

    /// The score of a tokenized message (tests).
    #[cfg(test)]
    pub(super) fn score_of(&self, toks: &[Token]) -> f64 {
        let words: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
        let clauses: Vec<usize> = toks.iter().map(|t| t.clause).collect();
        self.judge(&words, &clauses).score
    }
}

/// A model with no weights whose every opinion is `score` (tests of what reaches the model).
#[cfg(test)]
pub(super) fn always(score: f64) -> Model {
    Model {
        weights: ByKey::default(),
        bias: (score / (1.0 - score)).ln(),
    }
}

/// The messages of `sets`, tokenized as the detector tokenizes, with their labels.
fn training_cases(sets: &[&str]) -> Vec<(Vec<Token>, bool)> {
    #[derive(serde::Deserialize)]
    struct Case {
        text: String,
        human_request: bool,
    }
    sets.iter()
        .flat_map(|data| data.lines())
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let case: Case = serde_json::from_str(line).expect("a labelled training message");
            (super::normalize::tokenize(&case.text), case.human_request)
        })
        .collect()
}
