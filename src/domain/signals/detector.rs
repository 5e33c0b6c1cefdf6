//! The explicit-request detector: finds a person noun, links it to a request cue through glue
//! words, and cancels it on negation, another sense of the word or a past event, trying each
//! language's lexicon in turn.

use super::lexicon::{
    Lang, AFTER_MODIFIERS, BEFORE_MODIFIERS, KNOWN_WORDS, LANGS, LANG_COUNT, MENTION_STARTS,
    NEGATED_COPULAS, OTHER_SENSES, RELATIVE_SUBJECTS, SHORT_COPULAS, TYPO_TARGETS, VOCAB_LANGS,
};
use super::model::{model, Model, MIN_SCORE, UNMENTIONED_MIN_SCORE};
use super::normalize::{tokenize, words_of, PhraseSet, Token};

/// An explicit request for a person found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanRequestMatch {
    /// Language whose lexicon recognised the request (`en`, `de`, …).
    pub lang: &'static str,
    /// The customer's words that made the request, as written; for the statistical second
    /// opinion, the words that weighed most, quoted, and its score:
    /// `"someone", "actually help" (model score 0.91)`.
    pub matched: String,
    /// `true` when the statistical second opinion decided, not the lexicon.
    pub by_model: bool,
}

/// Finds an explicit request for a person in `text`, in any supported language, treating each
/// of `extra_phrases` as a request on its own; where the lexicon finds none, the statistical
/// second opinion decides.
pub fn detect_human_request(text: &str, extra_phrases: &[String]) -> Option<HumanRequestMatch> {
    let mut extra = PhraseSet::default();
    for phrase in extra_phrases {
        extra.add(words_of(phrase));
    }
    detect_or_judge(text, &tokenize(text), &extra, None, true).found
}

/// What the detector made of a message.
pub(super) struct Verdict {
    /// The request found, by the lexicons or the second opinion.
    pub(super) found: Option<HumanRequestMatch>,
    /// The second opinion's score when it was asked (the lexicons found no request), whether
    /// or not it reached the threshold.
    pub(super) score: Option<f64>,
}

/// The lexicon first; then, if `use_model`, the statistical second opinion at [`MIN_SCORE`]
/// or more ([`UNMENTIONED_MIN_SCORE`] for a message that mentions nobody).
pub(super) fn detect_or_judge(
    text: &str,
    toks: &[Token],
    extra: &PhraseSet,
    hint: Option<&str>,
    use_model: bool,
) -> Verdict {
    let judge = use_model.then(|| (model(), MIN_SCORE));
    detect_with(text, toks, extra, hint, judge)
}

/// [`detect_or_judge`] with a given model and minimum score (tests try others).
pub(super) fn detect_with(
    text: &str,
    toks: &[Token],
    extra: &PhraseSet,
    hint: Option<&str>,
    judge: Option<(&Model, f64)>,
) -> Verdict {
    let look = detect(text, toks, extra, hint);
    let Some((model, min_score)) = judge.filter(|_| look.found.is_none()) else {
        return Verdict {
            found: look.found,
            score: None,
        };
    };
    // The model does not read negations or tenses: a statement in which the lexicon cancelled
    // a mention ("I don't want to talk to a human", "I spoke to an agent yesterday") is left
    // out of what it judges. And a message that mentions nobody (no person, department,
    // "someone" or bot any lexicon knows) needs a near-certain score: "get me a refund" shares
    // its verbs with "get me a person" but asks for nobody.
    let cancelled: Vec<usize> = toks
        .iter()
        .zip(&look.cancelled)
        .filter(|(_, v)| **v)
        .map(|(t, _)| t.clause)
        .collect();
    let kept: Vec<usize> = (0..toks.len())
        .filter(|&i| !cancelled.contains(&toks[i].clause))
        .collect();
    if kept.is_empty() {
        return Verdict {
            found: None,
            score: None,
        };
    }
    let mentioned = kept.iter().any(|&i| look.mentions[i]);
    // The kept words, borrowed (judging copies no token).
    let words: Vec<&str> = kept.iter().map(|&i| toks[i].word.as_str()).collect();
    let clauses: Vec<usize> = kept.iter().map(|&i| toks[i].clause).collect();
    let opinion = model.judge(&words, &clauses);
    if opinion.score
        < if mentioned {
            min_score
        } else {
            UNMENTIONED_MIN_SCORE
        }
    {
        return Verdict {
            found: None,
            score: Some(opinion.score),
        };
    }
    let lang = ordered_langs(&words, hint)
        .first()
        .map_or("en", |(_, lang)| lang.code);
    // The words that weighed most; failing those, the mention that let the model judge.
    let mut evidence = opinion.evidence;
    if evidence.is_empty() {
        let first = kept.iter().position(|&i| look.mentions[i]).unwrap_or(0);
        let last = (first..kept.len())
            .take_while(|&k| look.mentions[kept[k]])
            .last()
            .unwrap_or(first);
        evidence.push((first, last + 1));
    }
    let quoted: Vec<String> = evidence
        .iter()
        .map(|&(s, e)| format!("\"{}\"", &text[toks[kept[s]].start..toks[kept[e - 1]].end]))
        .collect();
    let found = HumanRequestMatch {
        lang,
        matched: format!("{} (model score {:.2})", quoted.join(", "), opinion.score),
        by_model: true,
    };
    Verdict {
        found: Some(found),
        score: Some(opinion.score),
    }
}

/// The lexicon's verdict (see [`Look`]).
fn detect(text: &str, toks: &[Token], extra: &PhraseSet, hint: Option<&str>) -> Look {
    let words: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
    if words.is_empty() {
        return Look::default();
    }
    let cands = candidates(&words, extra);
    // A mention one language cancelled (negated, another sense, past) stays cancelled: a
    // lexicon that lacks the message's own negations must not revive it.
    let mut vetoed = vec![false; words.len()];
    // Mentions that were no request and told of the past; with `vetoed`, what the statistical
    // second opinion leaves out.
    let mut told = vec![false; words.len()];
    // Where some language found a mention (a person, a department, someone, the bot).
    let mut mentioned = vec![false; words.len()];
    for (li, lang) in ordered_langs(&words, hint) {
        if !cands.starts.iter().any(|bits| bits & (1 << li) != 0) {
            continue;
        }
        let spans = clauses(lang, toks, &words);
        // "who is your manager? I want to talk to them": a clause that opens with a question
        // about a person noun, or about whoever does something ("who decides on refunds?"),
        // lets a later "them" stand for that person.
        let who_before = spans
            .iter()
            .find(|&&(a, b)| {
                lang.who.contains(words[a])
                    && (a + 1..b).any(|p| {
                        lang.persons.starts_at(&words[..b], p).is_some()
                            || lang.depts.starts_at(&words[..b], p).is_some()
                            || lang.roles.starts_at(&words[..b], p).is_some()
                    })
            })
            .map_or(usize::MAX, |(a, _)| *a);
        let pass = Pass {
            lang,
            li,
            extra,
            cands: &cands,
            who_before,
        };
        for (a, b) in spans {
            if let Some((s, e)) =
                detect_in_clause(&pass, &words, a, b, &mut vetoed, &mut told, &mut mentioned)
            {
                let matched = text[toks[s].start..toks[e - 1].end].to_owned();
                let found = HumanRequestMatch {
                    lang: lang.code,
                    matched,
                    by_model: false,
                };
                return Look {
                    found: Some(found),
                    ..Look::default()
                };
            }
        }
    }
    for (t, v) in told.iter_mut().zip(&vetoed) {
        *t |= *v;
    }
    Look {
        found: None,
        cancelled: told,
        mentions: mentioned,
    }
}

/// What the lexicon made of a message.
#[derive(Default)]
struct Look {
    /// The request it found.
    found: Option<HumanRequestMatch>,
    /// When it found none: the tokens of the person mentions it cancelled (negated, another
    /// sense, a past event) or found told of the past.
    cancelled: Vec<bool>,
    /// When it found none: the tokens of every mention some language found (a person, a
    /// department, someone, the bot), cancelled or not.
    mentions: Vec<bool>,
}

/// The hinted language first, then by how many of the message's words each lexicon knows, so
/// the language the customer writes in gets to apply its own negations and senses first.
fn ordered_langs(words: &[&str], hint: Option<&str>) -> Vec<(usize, &'static Lang)> {
    let known: Vec<u16> = words
        .iter()
        .map(|w| VOCAB_LANGS.get(*w).copied().unwrap_or(0))
        .collect();
    let mut scored: Vec<(usize, usize, &'static Lang)> = LANGS
        .iter()
        .enumerate()
        .map(|(i, lang)| {
            let score = if hint == Some(lang.code) {
                usize::MAX
            } else {
                known.iter().filter(|bits| *bits & (1 << i) != 0).count()
            };
            (score, i, lang)
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i, lang)| (i, lang)).collect()
}

/// Token ranges split at punctuation and at the language's clause conjunctions ("but", "aber").
fn clauses(lang: &Lang, toks: &[Token], words: &[&str]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..=toks.len() {
        if i == toks.len() || (i > start && toks[i].clause != toks[i - 1].clause) {
            if start < i {
                out.push((start, i));
            }
            start = i;
        }
        if i < toks.len() && lang.clause_breaks.contains(words[i]) && !inside_phrase(lang, words, i)
        {
            if start < i {
                out.push((start, i));
            }
            start = i + 1;
        }
    }
    out
}

/// Whether a person or team phrase runs through position `i` ("flesh *and* blood person"), so
/// the conjunction there does not split the clause.
fn inside_phrase(lang: &Lang, words: &[&str], i: usize) -> bool {
    (i.saturating_sub(3)..i).any(|p| {
        // A contact cue may hold a conjunction too ("zet er maar een mens op").
        [&lang.persons, &lang.depts, &lang.contact]
            .into_iter()
            .any(|set| set.starts_at(words, p).is_some_and(|len| p + len > i))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    /// A request on its own ("call me back", an extra phrase).
    Direct,
    /// A person noun: alone or with any request cue it is a request.
    Person,
    /// A team or department ("customer service"): like a person noun.
    Dept,
    /// "someone", "support": too vague alone, needs a contact verb ("talk to someone").
    Pronoun,
    /// "bot", "machine": only matters when the customer refuses it ("I don't want a bot").
    Bot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CueClass {
    Contact,
    /// A contact verb in past-participle form ("transferred"): also says what already happened.
    Participle,
    Desire,
}

#[derive(Debug, Clone, Copy)]
struct Mention {
    start: usize,
    end: usize,
    kind: Kind,
}

struct Negation {
    tokens: Vec<bool>,
    mentions: Vec<bool>,
    /// "I don't want to talk to a bot": a refused bot is a request for a person.
    anti_bot: Option<(usize, usize)>,
}

#[derive(Default)]
struct Back {
    start: Option<usize>,
    cue: bool,
    contact: bool,
    present: bool,
}

/// Per token of one message: which languages could see a mention start there (a bit per
/// entry of [`LANGS`]), and the kind of noun it is a typo of, per language. Computed once so
/// that languages without any candidate are skipped and typo distances are not recomputed.
struct Candidates {
    starts: Vec<u16>,
    typos: Vec<[Option<Kind>; LANG_COUNT]>,
}

fn candidates(words: &[&str], extra: &PhraseSet) -> Candidates {
    let mut starts = Vec::with_capacity(words.len());
    let mut typos = Vec::with_capacity(words.len());
    for w in words {
        let mut bits = MENTION_STARTS.get(*w).copied().unwrap_or(0);
        if extra.by_first.contains_key(*w) {
            bits = u16::MAX;
        }
        for (li, lang) in LANGS.iter().enumerate() {
            if lang
                .suffixes
                .iter()
                .any(|s| w.len() > s.len() && w.ends_with(s.as_str()))
            {
                bits |= 1 << li;
            }
        }
        let mut typo = [None; LANG_COUNT];
        if w.len() >= 5 && !KNOWN_WORDS.contains(*w) {
            let chars: Vec<char> = w.chars().collect();
            let targets = chars.first().and_then(|c| TYPO_TARGETS.get(c));
            for target in targets.into_iter().flatten() {
                let max = if target.chars.len() >= 9 { 2 } else { 1 };
                if chars.len() >= 5 && osa_within(&chars, &target.chars, max) {
                    for (li, kind) in target.kinds.iter().enumerate() {
                        if typo[li].is_none() && kind.is_some() {
                            typo[li] = *kind;
                            bits |= 1 << li;
                        }
                    }
                }
            }
        }
        starts.push(bits);
        typos.push(typo);
    }
    Candidates { starts, typos }
}

/// One language's look at one message.
struct Pass<'a> {
    lang: &'static Lang,
    li: usize,
    extra: &'a PhraseSet,
    cands: &'a Candidates,
    /// Where the first clause asking "who …?" starts, or `usize::MAX`.
    who_before: usize,
}

fn detect_in_clause(
    pass: &Pass<'_>,
    all: &[&str],
    a: usize,
    b: usize,
    vetoed: &mut [bool],
    told: &mut [bool],
    mentioned: &mut [bool],
) -> Option<(usize, usize)> {
    let lang = pass.lang;
    let w = &all[a..b];
    let n = w.len();
    let mut mentions = Vec::new();
    let mut i = 0;
    while i < n {
        match find_mention(pass, w, i, a + i) {
            Some((len, kind)) => {
                mentions.push(Mention {
                    start: i,
                    end: i + len,
                    kind,
                });
                i += len;
            }
            None => i += 1,
        }
    }
    if mentions.is_empty() {
        return None;
    }
    for m in &mentions {
        mentioned[a + m.start..a + m.end].fill(true);
    }
    let mut mention_at = vec![None; n];
    for (k, m) in mentions.iter().enumerate() {
        mention_at[m.start] = Some(k);
    }
    let mut in_person_noun = vec![false; n];
    for m in mentions
        .iter()
        .filter(|m| matches!(m.kind, Kind::Person | Kind::Dept))
    {
        in_person_noun[m.start..m.end].fill(true);
    }
    let blocked = blocked_positions(w);
    let neg = negation_scan(lang, w, &mentions, &mention_at);

    for (k, m) in mentions.iter().enumerate() {
        let global = a + m.start..a + m.end;
        if vetoed[global.clone()].iter().any(|&v| v) {
            continue;
        }
        if m.kind == Kind::Bot {
            if let Some((s, e)) = bot_stopped(lang, w, m).filter(|_| !neg.mentions[k]) {
                if !(0..n).any(|p| lang.past.starts_at(w, p).is_some()) {
                    return Some((a + s, a + e));
                }
            }
            continue;
        }
        if neg.mentions[k]
            || (m.kind != Kind::Direct && is_other_sense(lang, w, m, &blocked))
            || (m.kind == Kind::Direct && negated_after(lang, w, m.end))
            || post_negated(lang, all, a + m.end)
        {
            vetoed[global].fill(true);
            continue;
        }
        let back = backward_chain(lang, w, m.start, &neg.tokens);
        let fwd = forward_chain(lang, w, m.end, &neg.tokens, &mention_at, &mentions);
        // "human or agent please": other person nouns may stand beside a bare one.
        let filler = |p: usize| lang.fillers.contains(w[p]) || in_person_noun[p];
        // A clause cut off by a conjunction ("specialisten | så att …") is the start of a
        // statement, not a bare noun.
        let split_after = b < all.len() && lang.clause_breaks.contains(all[b]);
        let bare = !split_after && (0..m.start).chain(m.end..n).all(filler);
        let lead_bare = (0..m.start).all(filler) && m.end < n && lang.polite.contains(w[m.end]);
        let cued = match m.kind {
            Kind::Direct => true,
            Kind::Person | Kind::Dept => {
                // "Mensch, das dauert!" is an exclamation, not a request.
                let interjection = bare
                    && n == m.end - m.start
                    && lang.interjections.contains(w[m.start])
                    && b < all.len();
                !interjection && (bare || lead_bare || back.cue || fwd.is_some())
            }
            Kind::Pronoun => back.contact || fwd.is_some(),
            Kind::Bot => false,
        };
        if !cued
            || (fwd.is_none() && ends_in_other_infinitive(lang, w, m))
            || (fwd.is_none() && !back.contact && followed_by_other_infinitive(lang, w, m))
        {
            // Not a request, and told in the past ("I spoke to an agent yesterday"): the
            // statistical second opinion must not take it for one either.
            if is_past(lang, w, back.start.unwrap_or(m.start), m, back.present) {
                told[global].fill(true);
            }
            continue;
        }
        let chain_start = back.start.unwrap_or(m.start);
        if is_past(lang, w, chain_start, m, back.present) {
            vetoed[global].fill(true);
            continue;
        }
        let (s, e) = if bare {
            (0, n)
        } else {
            (chain_start, fwd.unwrap_or(m.end))
        };
        return Some((a + s, a + e));
    }
    let (s, e) = neg.anti_bot?;
    let past = (0..n).any(|p| lang.past.starts_at(w, p).is_some());
    (!past).then_some((a + s, a + e))
}

fn find_mention(pass: &Pass<'_>, w: &[&str], i: usize, global: usize) -> Option<(usize, Kind)> {
    let lang = pass.lang;
    if pass.cands.starts[global] & (1 << pass.li) == 0 {
        // Refers back to the person asked about; like "someone", it needs a contact cue.
        let after_who = pass.who_before < global;
        return after_who
            .then(|| lang.anaphora.starts_at(w, i))
            .flatten()
            .map(|len| (len, Kind::Pronoun));
    }
    let mut best: Option<(usize, Kind)> = None;
    for (set, kind) in [
        (pass.extra, Kind::Direct),
        (&lang.direct, Kind::Direct),
        (&lang.persons, Kind::Person),
        (&lang.depts, Kind::Dept),
        (&lang.pronouns, Kind::Pronoun),
        (&lang.bots, Kind::Bot),
    ] {
        if let Some(len) = set.starts_at(w, i) {
            if best.is_none_or(|(l, _)| len > l) {
                best = Some((len, kind));
            }
        }
    }
    if best.is_some() {
        return best;
    }
    let word = w[i];
    if lang
        .suffixes
        .iter()
        .any(|s| word.len() > s.len() && word.ends_with(s.as_str()))
    {
        return Some((1, Kind::Person));
    }
    pass.cands.typos[global][pass.li].map(|k| (1, k))
}

/// Whether `a` is within `max` edits of `b`, counting a swap of neighbours as one edit
/// (optimal string alignment), on stack rows; words longer than 32 letters never match.
fn osa_within(a: &[char], b: &[char], max: usize) -> bool {
    const CAP: usize = 32;
    if a.len() > CAP || b.len() > CAP || a.len().abs_diff(b.len()) > max {
        return false;
    }
    // Each edit changes the letter counts by at most one either way, so a larger difference
    // in letter counts rules the pair out without the table.
    let mut counts = [0i16; 64];
    for c in a {
        counts[*c as usize & 63] += 1;
    }
    for c in b {
        counts[*c as usize & 63] -= 1;
    }
    let surplus: i16 = counts.iter().filter(|&&x| x > 0).sum();
    let deficit: i16 = -counts.iter().filter(|&&x| x < 0).sum::<i16>();
    if usize::try_from(surplus.max(deficit)).unwrap_or(usize::MAX) > max {
        return false;
    }
    let mut rows = [[0usize; CAP + 1]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[prev][j] + 1)
                .min(rows[cur][j - 1] + 1)
                .min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return false;
        }
    }
    rows[a.len() % 3][b.len()] <= max
}

fn blocked_positions(w: &[&str]) -> Vec<bool> {
    let mut blocked = vec![false; w.len()];
    for i in 0..w.len() {
        if let Some(len) = OTHER_SENSES.starts_at(w, i) {
            blocked[i..i + len].fill(true);
        }
    }
    blocked
}

/// The noun is used in another sense: a fixed phrase ("travel agent", "human resources"), a
/// modifier of a product thing ("agent role"), someone's own ("my agent"), or what someone is
/// ("I am a real person", "are you human").
fn is_other_sense(lang: &Lang, w: &[&str], m: &Mention, blocked: &[bool]) -> bool {
    if blocked[m.start..m.end].iter().any(|&b| b) {
        return true;
    }
    if m.start > 0 {
        let prev = w[m.start - 1];
        // "per agent" prices a seat; "par quelqu'un" (by someone), "rappelé par un
        // conseiller" (called back by) and "me passa pro supervisor" (put me through to the)
        // follow a contact verb and are no unit of anything.
        let after_contact = cue_ending_at(lang, w, m.start - 1)
            .is_some_and(|(_, class)| class != CueClass::Desire)
            || lang.participles.ends_at(w, m.start).is_some();
        let unit = BEFORE_MODIFIERS.contains(prev) && m.kind != Kind::Pronoun && !after_contact;
        if unit || lang.possessives.contains(prev) {
            return true;
        }
    }
    if m.end < w.len()
        && (AFTER_MODIFIERS.contains(w[m.end]) || lang.after_modifiers.contains(w[m.end]))
    {
        return true;
    }
    let mut p = m.start;
    loop {
        if lang.copulas.ends_at(w, p).is_some() {
            return true;
        }
        if p > 0 && lang.fillers.contains(w[p - 1]) {
            p -= 1;
        } else {
            return false;
        }
    }
}

/// "turn off the bot", "bot aus bitte", "zet die bot uit": telling the bot to stop asks for
/// a person. Only when that is the clause's whole statement (the stop verb opens it, or the
/// bot opens it and the verb closes it), so "how do I turn off the bot's e-mails" and "stop
/// the bot from messaging me" are about the product.
fn bot_stopped(lang: &Lang, w: &[&str], m: &Mention) -> Option<(usize, usize)> {
    let loose = |t: &str| lang.fillers.contains(t) || lang.polite.contains(t);
    let glue = |t: &str| loose(t) || lang.linkers.contains(t);
    let mut j = m.start;
    for _ in 0..3 {
        if let Some(len) = lang.bot_stops.ends_at(w, j) {
            let s = j - len;
            let whole = (0..s).all(|p| loose(w[p])) && (m.end..w.len()).all(|p| glue(w[p]));
            return whole.then_some((s, m.end));
        }
        if j == 0 || !lang.linkers.contains(w[j - 1]) {
            break;
        }
        j -= 1;
    }
    if !(0..m.start).all(|p| glue(w[p]) || lang.bot_stop_words.contains(w[p])) {
        return None;
    }
    for j in m.end..(m.end + 3).min(w.len()) {
        if let Some(len) = lang.bot_stops.starts_at(w, j) {
            let e = j + len;
            return (e..w.len()).all(|p| loose(w[p])).then_some((0, e));
        }
        if !lang.linkers.contains(w[j]) {
            break;
        }
    }
    None
}

/// "someone who isn't a machine", "jemand, der kein Bot ist", "qualcuno che non sia un bot":
/// a relative clause that denies being a machine describes the person wanted, so it counts
/// like a refused bot ("I don't want a bot"). The negation at `neg` must follow the relative
/// word directly or across one copula ("who is not").
fn not_a_machine(w: &[&str], neg: usize) -> bool {
    let rel = |p: usize| RELATIVE_SUBJECTS.contains(w[p]);
    (neg >= 1 && rel(neg - 1)) || (neg >= 2 && rel(neg - 2) && SHORT_COPULAS.contains(w[neg - 1]))
}

/// "Bel me aub niet", "Ring mig inte", "ring mig ikke": a negation right after a request of its
/// own (across polite words and fillers) refuses it, as the languages that put "not" after the
/// verb say "don't call me". Any language's negation counts: Danish "ring mig ikke" is
/// Swedish "ring mig" to the Swedish lexicon.
fn negated_after(lang: &Lang, w: &[&str], from: usize) -> bool {
    for j in from..(from + 3).min(w.len()) {
        if LANGS.iter().any(|l| l.negations.starts_at(w, j).is_some()) {
            return true;
        }
        if !(lang.polite.contains(w[j]) || lang.fillers.contains(w[j])) {
            return false;
        }
    }
    false
}

/// "agent? no thanks": a refusal right after the noun, even across a question mark.
fn post_negated(lang: &Lang, all: &[&str], from: usize) -> bool {
    (from..(from + 3).min(all.len())).any(|p| lang.post_negations.starts_at(all, p).is_some())
}

fn cue_starting_at(lang: &Lang, w: &[&str], j: usize) -> Option<usize> {
    [&lang.contact, &lang.participles, &lang.desire, &lang.post]
        .into_iter()
        .filter_map(|set| set.starts_at(w, j))
        .max()
}

fn cue_ending_at(lang: &Lang, w: &[&str], end: usize) -> Option<(usize, CueClass)> {
    let mut best: Option<(usize, CueClass)> = None;
    for (set, class) in [
        (&lang.contact, CueClass::Contact),
        (&lang.participles, CueClass::Participle),
        (&lang.desire, CueClass::Desire),
    ] {
        if let Some(len) = set.ends_at(w, end) {
            if best.is_none_or(|(l, _)| len > l) {
                best = Some((len, class));
            }
        }
    }
    best
}

/// Marks what each negation scopes over: it runs forward through glue words and request cues
/// ("don't want to talk to", "no need for a") and stops at the first other content word, so
/// in "it doesn't work I want a human" the negation ends at "work".
fn negation_scan(
    lang: &Lang,
    w: &[&str],
    mentions: &[Mention],
    mention_at: &[Option<usize>],
) -> Negation {
    let n = w.len();
    let mut neg = Negation {
        tokens: vec![false; n],
        mentions: vec![false; mentions.len()],
        anti_bot: None,
    };
    let mut i = 0;
    while i < n {
        let len = if let Some(l) = lang.negations.starts_at(w, i) {
            // "complain to your manager" is a contact cue that outruns "complain" (about
            // someone), which cancels like a negation.
            if cue_starting_at(lang, w, i).is_some_and(|c| c > l) {
                i += 1;
                continue;
            }
            l
        } else if (i > 0 && NEGATED_COPULAS.contains(w[i]) && RELATIVE_SUBJECTS.contains(w[i - 1]))
            || (lang.weak_negations.contains(w[i])
                && i + 1 < n
                && (mention_at[i + 1].is_some() || lang.weak_continuations.contains(w[i + 1])))
        {
            1
        } else {
            i += 1;
            continue;
        };
        let mut j = i + len;
        // "I want no bot", "ich will keinen Bot": the cue may stand before the negation.
        let relative_frame = not_a_machine(w, i);
        let mut cue_seen = cue_ending_at(lang, w, i)
            .is_some_and(|(_, c)| c != CueClass::Participle)
            || relative_frame;
        let (mut think, mut steps) = (false, 0);
        while j < n && steps < 8 {
            if let Some(k) = mention_at[j] {
                neg.mentions[k] = true;
                let bot = mentions[k];
                // Verb-final languages put the cue after the bot ("nicht mit dem Bot reden").
                let cue_after = cue_starting_at(lang, w, bot.end).filter(|_| lang.verb_final);
                if bot.kind == Kind::Bot
                    && (cue_seen || cue_after.is_some())
                    && neg.anti_bot.is_none()
                {
                    neg.anti_bot = Some((i, bot.end + cue_after.unwrap_or(0)));
                }
                break;
            }
            let t = w[j];
            if lang.breakers.contains(t) && !think {
                break;
            }
            if let Some(l) = cue_starting_at(lang, w, j) {
                neg.tokens[j..j + l].fill(true);
                // A cue may hold a request of its own ("nobody needs *to call me back*").
                for k in mention_at[j + 1..j + l].iter().flatten() {
                    neg.mentions[*k] = true;
                }
                cue_seen = true;
                j += l;
                steps += 1;
                continue;
            }
            think |= lang.think.contains(t);
            if lang.transparent.contains(t)
                || (relative_frame && SHORT_COPULAS.contains(t))
                || lang.linkers.contains(t)
                || lang.think.contains(t)
                || lang.negations.starts_at(w, j).is_some()
            {
                neg.tokens[j] = true;
                j += 1;
                steps += 1;
                continue;
            }
            break;
        }
        i += len;
    }
    neg
}

/// Walks back from the noun through glue words and request cues ("I want to talk to a").
fn backward_chain(lang: &Lang, w: &[&str], start: usize, negated: &[bool]) -> Back {
    let mut back = Back::default();
    let mut j = start;
    let mut steps = 0;
    let mut earliest: Option<(CueClass, usize)> = None;
    while j > 0 && steps < 8 {
        if let Some((len, class)) = cue_ending_at(lang, w, j) {
            let s = j - len;
            if !negated[s..j].iter().any(|&x| x) {
                back.cue = true;
                back.contact |= class != CueClass::Desire;
                back.present |= class != CueClass::Participle;
            }
            back.start = Some(s);
            earliest = Some((class, len));
            j = s;
            steps += 1;
            continue;
        }
        if lang.linkers.contains(w[j - 1]) {
            j -= 1;
            steps += 1;
            continue;
        }
        break;
    }
    // A lone talk verb with its own subject in front ("customers talk to an agent") describes
    // how things work rather than asking for anything.
    if back.start == Some(j)
        && j > 0
        && earliest.is_some_and(|(class, len)| class != CueClass::Desire && len == 1)
        && !lang.fillers.contains(w[j - 1])
    {
        back = Back {
            start: back.start,
            ..Back::default()
        };
    }
    back
}

/// Looks ahead of the noun for a post cue ("an agent available", verb-final "… sprechen").
fn forward_chain(
    lang: &Lang,
    w: &[&str],
    end: usize,
    negated: &[bool],
    mention_at: &[Option<usize>],
    mentions: &[Mention],
) -> Option<usize> {
    let mut j = end;
    let mut steps = 0;
    while j < w.len() && steps < 6 {
        let cue = if lang.verb_final {
            lang.post.starts_at(w, j).max(lang.contact.starts_at(w, j))
        } else {
            lang.post.starts_at(w, j)
        };
        if let Some(len) = cue {
            return (!negated[j..j + len].iter().any(|&x| x)).then_some(j + len);
        }
        if let Some(k) = mention_at[j] {
            j = mentions[k].end;
        } else if lang.linkers.contains(w[j]) {
            j += 1;
        } else {
            break;
        }
        steps += 1;
    }
    None
}

/// In verb-final languages a modal plus an unrelated final verb is about that verb:
/// "Wie kann ich einen Mitarbeiter hinzufügen?" adds a user, it does not ask for one.
fn ends_in_other_infinitive(lang: &Lang, w: &[&str], m: &Mention) -> bool {
    let Some(last) = w.last().filter(|_| lang.verb_final && w.len() > m.end) else {
        return false;
    };
    last.chars().count() > 4
        && lang
            .infinitive_endings
            .iter()
            .any(|e| last.ends_with(e.as_str()))
        && !lang.linkers.contains(*last)
        && !lang.fillers.contains(*last)
        && cue_starting_at(lang, w, w.len() - 1).is_none()
        // "… echte Leute oder nur Automaten": a noun, not a verb.
        && [&lang.bots, &lang.persons, &lang.depts]
            .into_iter()
            .all(|set| set.ends_at(w, w.len()).is_none())
}

/// A modal plus the noun plus an unrelated infinitive right after it is about that verb:
/// "¿Puede un técnico venir el martes?" schedules a visit and "kan ik een teamlid toevoegen
/// aan mijn account" adds a user; neither asks for a person.
fn followed_by_other_infinitive(lang: &Lang, w: &[&str], m: &Mention) -> bool {
    let Some(next) = w.get(m.end) else {
        return false;
    };
    next.chars().count() > 4
        && lang
            .infinitive_endings
            .iter()
            .any(|e| next.ends_with(e.as_str()))
        && !lang.linkers.contains(*next)
        && !lang.fillers.contains(*next)
        && !lang.polite.contains(*next)
        && cue_starting_at(lang, w, m.end).is_none()
}

/// Past events cancel: a past marker near the request ("I already talked to …", "gestern"),
/// or after the noun unless a present request cue plus a relative clause explains it
/// ("can I talk to the agent I spoke to yesterday" still asks).
fn is_past(lang: &Lang, w: &[&str], chain_start: usize, m: &Mention, present: bool) -> bool {
    let lo = chain_start.saturating_sub(3);
    // Inside a chain that holds a present cue, a participle is part of the request ("ik wil
    // geholpen worden door", "vill bli hjälpt av"), not a past event.
    let hi = if present { chain_start } else { m.start };
    if (lo..hi).any(|p| lang.past.starts_at(w, p).is_some()) {
        return true;
    }
    (m.end..w.len()).any(|p| {
        lang.past.starts_at(w, p).is_some()
            && !(present && w[m.end..p].iter().any(|t| lang.relative.contains(*t)))
    })
}
