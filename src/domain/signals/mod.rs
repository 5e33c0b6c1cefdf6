//! Signal evaluation: the handoff decision made in process, calling no outside model (scope
//! rules, then an explicit request for a person, then confidence) and the data-driven
//! [`SignalRules`] behind it.
//!
//! Everything here is pure and synchronous: the HTTP layer stores and versions the rules,
//! compiles them once with [`CompiledRules::compile`] and calls [`evaluate`] per message, which
//! takes microseconds because every regex and lexicon is prepared ahead of time.
//!
//! The explicit-request detector ([`detect_human_request`]) is lexicon based, per language
//! (en, de, fr, es, pt, nl, it, fi, sv, pl, da). A message counts as a request when a person
//! noun ("agent", "Mitarbeiter", "conseiller") stands alone ("agent please") or is linked to a
//! request cue ("talk to", "ich möchte … sprechen", "parler à") through small glue words, and
//! nothing cancels it: a negation scoping over it ("I don't need an agent"), another sense of
//! the word ("travel agent", "human resources", "I am a real person") or a past event ("I spoke
//! to a person yesterday"). A few frames need no person noun: telling the bot to stop ("turn
//! off the bot"), refusing it ("I don't want a bot", "someone who isn't a machine"), and a
//! pronoun standing for a person asked about earlier ("who is your manager? put them on").
//!
//! Where the lexicon finds no request, a statistical second opinion (`model`: logistic
//! regression over words, word pairs and word prefixes, trained from the labelled messages in
//! `tests/data/signals/`) may decide, leaving out statements the lexicon cancelled, at a score
//! of 0.8 or more for a message that mentions someone or the bot and 0.95 for one that does not.
//!
//! The parts: `rules` (API types, rules, validation, [`evaluate`]), `amounts` (money in a
//! message), `normalize` (tokenizer and phrase index), `detector` (the explicit-request
//! detector) and `lexicon` (the per-language word lists, kept as data files in `lexicon/*.txt`
//! so translators can edit them). Callers use the re-exports below.

mod amounts;
mod detector;
mod lexicon;
mod model;
mod normalize;
mod rules;

pub use detector::{detect_human_request, HumanRequestMatch};
pub use rules::{
    evaluate, ClassifierSignal, CompiledRules, ConfidenceRules, Evaluation, HandoffReason,
    HumanRequestRules, RuleError, ScopeCategory, SignalInput, SignalRules,
};

/// Builds the lexicons and trains the statistical second opinion now rather than at the first
/// message (under a second in a release build, a couple of seconds in a debug one, whose fit is
/// compiled optimised too; deterministic, so every replica holds the same model). An optimised
/// build calls it at start-up.
pub fn prepare() {
    // An empty text returns before the lexicons are read; a request builds them.
    let _ = detect_human_request("can I talk to a human please", &[]);
    let _ = model::model();
    PREPARED.store(true, std::sync::atomic::Ordering::Release);
}

/// Whether [`prepare`] has run to its end: until then an evaluation may have to wait for it,
/// so callers on an async thread hand the first evaluations to a blocking one.
pub fn prepared() -> bool {
    PREPARED.load(std::sync::atomic::Ordering::Acquire)
}

static PREPARED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(test)]
mod tests;
