//! The per-language lexicons of the explicit-request detector: parsing the data files in
//! `lexicon/` (one per language, embedded at build time), compiling them into normalised
//! [`Lang`] tables, and the cross-language word lists and indexes built from them.
//!
//! The lists live in data files so that a translator can review or extend a language without
//! reading Rust; the format is described at the top of every file and in [`parse_lexicon`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use super::detector::Kind;
use super::normalize::{words_of, FastMap, FastSet, PhraseSet};

/// One language's lexicon as written in its data file (natural spelling; normalised when
/// compiled). What each list means is explained above its section in the data files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct LangSpec<'a> {
    pub(super) code: &'a str,
    pub(super) persons: Vec<&'a str>,
    pub(super) suffixes: Vec<&'a str>,
    pub(super) depts: Vec<&'a str>,
    pub(super) pronouns: Vec<&'a str>,
    pub(super) direct: Vec<&'a str>,
    pub(super) contact: Vec<&'a str>,
    pub(super) participles: Vec<&'a str>,
    pub(super) desire: Vec<&'a str>,
    pub(super) post: Vec<&'a str>,
    pub(super) verb_final: bool,
    pub(super) linkers: Vec<&'a str>,
    pub(super) fillers: Vec<&'a str>,
    pub(super) polite: Vec<&'a str>,
    pub(super) negations: Vec<&'a str>,
    pub(super) weak_negations: Vec<&'a str>,
    pub(super) weak_continuations: Vec<&'a str>,
    pub(super) transparent: Vec<&'a str>,
    pub(super) think: Vec<&'a str>,
    pub(super) breakers: Vec<&'a str>,
    pub(super) post_negations: Vec<&'a str>,
    pub(super) past: Vec<&'a str>,
    pub(super) relative: Vec<&'a str>,
    pub(super) copulas: Vec<&'a str>,
    pub(super) possessives: Vec<&'a str>,
    pub(super) clause_breaks: Vec<&'a str>,
    pub(super) bots: Vec<&'a str>,
    pub(super) bot_stops: Vec<&'a str>,
    pub(super) anaphora: Vec<&'a str>,
    pub(super) who: Vec<&'a str>,
    pub(super) roles: Vec<&'a str>,
    pub(super) interjections: Vec<&'a str>,
    pub(super) after_modifiers: Vec<&'a str>,
    pub(super) infinitive_endings: Vec<&'a str>,
}

/// The section names a lexicon file must contain, each once.
pub(super) const SECTIONS: [&str; 32] = [
    "persons",
    "suffixes",
    "depts",
    "pronouns",
    "direct",
    "contact",
    "participles",
    "desire",
    "post",
    "linkers",
    "fillers",
    "polite",
    "negations",
    "weak_negations",
    "weak_continuations",
    "transparent",
    "think",
    "breakers",
    "post_negations",
    "past",
    "relative",
    "copulas",
    "possessives",
    "clause_breaks",
    "bots",
    "bot_stops",
    "anaphora",
    "who",
    "roles",
    "interjections",
    "after_modifiers",
    "infinitive_endings",
];

impl<'a> LangSpec<'a> {
    fn section(&mut self, name: &str) -> Option<&mut Vec<&'a str>> {
        Some(match name {
            "persons" => &mut self.persons,
            "suffixes" => &mut self.suffixes,
            "depts" => &mut self.depts,
            "pronouns" => &mut self.pronouns,
            "direct" => &mut self.direct,
            "contact" => &mut self.contact,
            "participles" => &mut self.participles,
            "desire" => &mut self.desire,
            "post" => &mut self.post,
            "linkers" => &mut self.linkers,
            "fillers" => &mut self.fillers,
            "polite" => &mut self.polite,
            "negations" => &mut self.negations,
            "weak_negations" => &mut self.weak_negations,
            "weak_continuations" => &mut self.weak_continuations,
            "transparent" => &mut self.transparent,
            "think" => &mut self.think,
            "breakers" => &mut self.breakers,
            "post_negations" => &mut self.post_negations,
            "past" => &mut self.past,
            "relative" => &mut self.relative,
            "copulas" => &mut self.copulas,
            "possessives" => &mut self.possessives,
            "clause_breaks" => &mut self.clause_breaks,
            "bots" => &mut self.bots,
            "bot_stops" => &mut self.bot_stops,
            "anaphora" => &mut self.anaphora,
            "who" => &mut self.who,
            "roles" => &mut self.roles,
            "interjections" => &mut self.interjections,
            "after_modifiers" => &mut self.after_modifiers,
            "infinitive_endings" => &mut self.infinitive_endings,
            _ => return None,
        })
    }
}

/// A lexicon file that does not follow the format, with the place to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LexiconError {
    pub(super) file: String,
    /// 1-based; a missing section is reported at the last line.
    pub(super) line: usize,
    pub(super) message: String,
}

impl fmt::Display for LexiconError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for LexiconError {}

/// Parses one lexicon file. `#` lines are comments and blank lines are ignored; above the first
/// `[section]` only `verb_final = yes|no` may appear (exactly once); below a section header
/// every line is one entry. Every section of [`SECTIONS`] must appear exactly once, so a
/// misspelt or forgotten header is an error rather than a silently empty list.
pub(super) fn parse_lexicon<'a>(
    file: &str,
    code: &'a str,
    text: &'a str,
) -> Result<LangSpec<'a>, LexiconError> {
    let mut spec = LangSpec {
        code,
        ..LangSpec::default()
    };
    let err = |line: usize, message: String| LexiconError {
        file: file.to_owned(),
        line,
        message,
    };
    let mut verb_final: Option<bool> = None;
    let mut current: Option<&str> = None;
    let mut seen: Vec<&str> = Vec::new();
    let mut last_line = 0;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        last_line = line_no;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']').map(str::trim) else {
                return Err(err(
                    line_no,
                    format!("a section header is a whole line \"[name]\", found {line:?}"),
                ));
            };
            if spec.section(name).is_none() {
                return Err(err(
                    line_no,
                    format!(
                        "unknown section [{name}]; the sections are {}",
                        SECTIONS.join(", ")
                    ),
                ));
            }
            if seen.contains(&name) {
                return Err(err(line_no, format!("section [{name}] appears twice")));
            }
            seen.push(name);
            current = Some(name);
            continue;
        }
        match current {
            Some(name) => spec
                .section(name)
                .expect("current is a known section")
                .push(line),
            None => {
                let value = line
                    .strip_prefix("verb_final")
                    .and_then(|rest| rest.trim_start().strip_prefix('='))
                    .map(str::trim);
                let parsed = match value {
                    Some("yes") => true,
                    Some("no") => false,
                    _ => {
                        return Err(err(
                            line_no,
                            format!(
                                "expected \"verb_final = yes\" or \"verb_final = no\" or a \
                                 [section] header, found {line:?}"
                            ),
                        ))
                    }
                };
                if verb_final.replace(parsed).is_some() {
                    return Err(err(line_no, "verb_final is set twice".to_owned()));
                }
            }
        }
    }
    spec.verb_final = verb_final.ok_or_else(|| {
        err(
            last_line.max(1),
            "missing \"verb_final = yes\" or \"verb_final = no\" above the first section"
                .to_owned(),
        )
    })?;
    if let Some(missing) = SECTIONS.iter().find(|s| !seen.contains(s)) {
        return Err(err(
            last_line.max(1),
            format!("missing section [{missing}] (write the header even when the list is empty)"),
        ));
    }
    Ok(spec)
}

/// The `(file, code, text)` row of one embedded lexicon: the repository path is only for error
/// messages, so a translator is pointed at the file to fix.
macro_rules! lexicon_file {
    ($code:literal) => {
        (
            concat!("src/domain/signals/lexicon/", $code, ".txt"),
            $code,
            include_str!(concat!("lexicon/", $code, ".txt")),
        )
    };
}

pub(super) const LANG_COUNT: usize = 11;

/// Every embedded lexicon. The order is the detector's tie-break between languages and the bit
/// of each language in the per-word masks, so it must not change silently.
pub(super) const LEXICONS: [(&str, &str, &str); LANG_COUNT] = [
    lexicon_file!("en"),
    lexicon_file!("de"),
    lexicon_file!("fr"),
    lexicon_file!("es"),
    lexicon_file!("pt"),
    lexicon_file!("nl"),
    lexicon_file!("it"),
    lexicon_file!("fi"),
    lexicon_file!("sv"),
    lexicon_file!("pl"),
    lexicon_file!("da"),
];

/// The embedded lexicons, parsed once. They are part of the build, and a unit test parses them
/// all, so a malformed file is a programming error and panics with its file and line.
pub(super) static LANGS: LazyLock<Vec<Lang>> = LazyLock::new(|| {
    LEXICONS
        .iter()
        .map(|(file, code, text)| match parse_lexicon(file, code, text) {
            Ok(spec) => Lang::compile(&spec),
            Err(e) => panic!("malformed embedded lexicon: {e}"),
        })
        .collect()
});

pub(super) struct Lang {
    pub(super) code: &'static str,
    pub(super) persons: PhraseSet,
    pub(super) depts: PhraseSet,
    pub(super) pronouns: PhraseSet,
    pub(super) direct: PhraseSet,
    pub(super) bots: PhraseSet,
    pub(super) bot_stops: PhraseSet,
    /// Every word of a `bot_stops` entry, for split verbs ("zet die bot uit").
    pub(super) bot_stop_words: FastSet<String>,
    /// "him", "them": a person named in an earlier question ("who is your manager?").
    pub(super) anaphora: PhraseSet,
    /// Question words that ask for a person ("who", "wer").
    pub(super) who: FastSet<String>,
    /// What someone does, describing a person in a question ("who *decides* on refunds?").
    pub(super) roles: PhraseSet,
    pub(super) suffixes: Vec<String>,
    pub(super) contact: PhraseSet,
    pub(super) participles: PhraseSet,
    pub(super) desire: PhraseSet,
    pub(super) post: PhraseSet,
    pub(super) verb_final: bool,
    pub(super) negations: PhraseSet,
    pub(super) post_negations: PhraseSet,
    pub(super) past: PhraseSet,
    pub(super) copulas: PhraseSet,
    pub(super) linkers: FastSet<String>,
    pub(super) fillers: FastSet<String>,
    pub(super) polite: FastSet<String>,
    pub(super) weak_negations: FastSet<String>,
    pub(super) weak_continuations: FastSet<String>,
    pub(super) transparent: FastSet<String>,
    pub(super) think: FastSet<String>,
    pub(super) breakers: FastSet<String>,
    pub(super) relative: FastSet<String>,
    pub(super) possessives: FastSet<String>,
    pub(super) clause_breaks: FastSet<String>,
    pub(super) interjections: FastSet<String>,
    pub(super) after_modifiers: FastSet<String>,
    pub(super) infinitive_endings: Vec<String>,
    pub(super) vocab: FastSet<String>,
}

fn word_set(items: &[&str]) -> FastSet<String> {
    items.iter().flat_map(|i| words_of(i)).collect()
}

impl Lang {
    fn compile(spec: &LangSpec<'static>) -> Lang {
        let persons = PhraseSet::from_list(&spec.persons);
        let depts = PhraseSet::from_list(&spec.depts);
        let pronouns = PhraseSet::from_list(&spec.pronouns);
        let mut lang = Lang {
            code: spec.code,
            persons,
            depts,
            pronouns,
            direct: PhraseSet::from_list(&spec.direct),
            bots: PhraseSet::from_list(&spec.bots),
            bot_stops: PhraseSet::from_list(&spec.bot_stops),
            bot_stop_words: word_set(&spec.bot_stops),
            anaphora: PhraseSet::from_list(&spec.anaphora),
            who: word_set(&spec.who),
            roles: PhraseSet::from_list(&spec.roles),
            suffixes: spec.suffixes.iter().flat_map(|s| words_of(s)).collect(),
            contact: PhraseSet::from_list(&spec.contact),
            participles: PhraseSet::from_list(&spec.participles),
            desire: PhraseSet::from_list(&spec.desire),
            post: PhraseSet::from_list(&spec.post),
            verb_final: spec.verb_final,
            negations: PhraseSet::from_list(&spec.negations),
            post_negations: PhraseSet::from_list(&spec.post_negations),
            past: PhraseSet::from_list(&spec.past),
            copulas: PhraseSet::from_list(&spec.copulas),
            linkers: word_set(&spec.linkers),
            fillers: word_set(&spec.fillers),
            polite: word_set(&spec.polite),
            weak_negations: word_set(&spec.weak_negations),
            weak_continuations: word_set(&spec.weak_continuations),
            transparent: word_set(&spec.transparent),
            think: word_set(&spec.think),
            breakers: word_set(&spec.breakers),
            relative: word_set(&spec.relative),
            possessives: word_set(&spec.possessives),
            clause_breaks: word_set(&spec.clause_breaks),
            interjections: word_set(&spec.interjections),
            after_modifiers: word_set(&spec.after_modifiers),
            infinitive_endings: spec
                .infinitive_endings
                .iter()
                .map(|e| (*e).to_owned())
                .collect(),
            vocab: FastSet::default(),
        };
        let mut vocab = FastSet::default();
        for set in [
            &lang.persons,
            &lang.depts,
            &lang.pronouns,
            &lang.direct,
            &lang.bots,
            &lang.bot_stops,
            &lang.contact,
            &lang.participles,
            &lang.desire,
            &lang.post,
            &lang.negations,
            &lang.post_negations,
            &lang.past,
            &lang.copulas,
        ] {
            vocab.extend(set.words().cloned());
        }
        for set in [
            &lang.linkers,
            &lang.fillers,
            &lang.transparent,
            &lang.possessives,
            &lang.clause_breaks,
            &lang.relative,
        ] {
            vocab.extend(set.iter().cloned());
        }
        lang.vocab = vocab;
        lang
    }
}

/// A single-word noun that typos are compared with, and what it is in each language.
pub(super) struct TypoTarget {
    pub(super) chars: Vec<char>,
    pub(super) kinds: [Option<Kind>; LANG_COUNT],
}

/// Typo targets by first letter, each word once however many languages share it.
pub(super) static TYPO_TARGETS: LazyLock<FastMap<char, Vec<TypoTarget>>> = LazyLock::new(|| {
    let mut by_word: BTreeMap<String, [Option<Kind>; LANG_COUNT]> = BTreeMap::new();
    for (li, lang) in LANGS.iter().enumerate() {
        for (set, kind) in [
            (&lang.persons, Kind::Person),
            (&lang.depts, Kind::Dept),
            (&lang.pronouns, Kind::Pronoun),
        ] {
            for phrase in set.by_first.values().flatten() {
                if let [single] = phrase.as_slice() {
                    if single.chars().count() >= 5 {
                        let kinds = by_word.entry(single.clone()).or_insert([None; LANG_COUNT]);
                        kinds[li].get_or_insert(kind);
                    }
                }
            }
        }
    }
    let mut targets: FastMap<char, Vec<TypoTarget>> = FastMap::default();
    for (word, kinds) in by_word {
        let chars: Vec<char> = word.chars().collect();
        targets
            .entry(chars[0])
            .or_default()
            .push(TypoTarget { chars, kinds });
    }
    targets
});

/// For each word any lexicon knows, a bit per language that knows it.
pub(super) static VOCAB_LANGS: LazyLock<FastMap<String, u16>> = LazyLock::new(|| {
    let mut langs: FastMap<String, u16> = FastMap::default();
    for (li, lang) in LANGS.iter().enumerate() {
        for word in &lang.vocab {
            *langs.entry(word.clone()).or_default() |= 1 << li;
        }
    }
    langs
});

/// For each word that starts a mention phrase in some lexicon, a bit per language.
pub(super) static MENTION_STARTS: LazyLock<FastMap<String, u16>> = LazyLock::new(|| {
    let mut starts: FastMap<String, u16> = FastMap::default();
    for (li, lang) in LANGS.iter().enumerate() {
        for set in [
            &lang.persons,
            &lang.depts,
            &lang.pronouns,
            &lang.direct,
            &lang.bots,
        ] {
            for first in set.by_first.keys() {
                *starts.entry(first.clone()).or_default() |= 1 << li;
            }
        }
    }
    starts
});

/// Every word any lexicon knows, plus real words that sit one typo away from a person noun:
/// only unknown words are treated as typos.
#[rustfmt::skip]
pub(super) static KNOWN_WORDS: LazyLock<FastSet<String>> = LazyLock::new(|| {
    let mut known: FastSet<String> = LANGS.iter().flat_map(|l| l.vocab.iter().cloned()).collect();
    known.extend(word_set(&[
        "argent", "agence", "agency", "agenda", "humor", "humour", "humane", "humid", "personal",
        "personally", "personality", "personnel", "persen", "perron", "perso", "representation",
        "represent", "manage", "managed", "manages", "managing", "manger", "supervision",
        "mitarbeit", "beraten", "beratung", "conseille", "medewerking", "atendendo", "pessoal",
        "operation", "operating", "operated", "operate", "opera", "pracownia", "personale",
        "persoonlijk", "employ", "employed", "employer", "employers", "agentur", "agentura",
        "someday", "somehow", "sometime", "consulting", "consultation", "specialty", "special",
        "trabajar", "trabajado", "trabajada", "trabajara", "levere", "leverer", "leveret",
    ]));
    known
});

/// Fixed phrases where a person noun means something else, in any language.
#[rustfmt::skip]
pub(super) static OTHER_SENSES: LazyLock<PhraseSet> = LazyLock::new(|| {
    PhraseSet::from_list(&[
        "in person", "agent of change", "agents of change", "person of interest", "en persona",
        "em pessoa", "di persona", "in persoon", "en personne", "a persona", "na osobę",
        "za osobę", "od osoby", "per henkilö", "henkilö kohden", "henkilöä kohden",
        "ihmistä kohden", "i egen person", "pr person", "per persoon", "personne ne",
        "personne n", "ressources humaines", "recursos humanos", "risorse umane",
        "derechos humanos", "direitos humanos", "diritti umani", "droits de l'homme",
        "prawa człowieka", "persona física", "persona jurídica", "personas físicas",
        "pessoa física", "pessoa jurídica", "pessoas físicas", "persona giuridica",
        "persona fisica", "personne physique", "personne morale", "osoba fizyczna",
        "osoba prawna", "osoby fizycznej", "osoby prawnej", "agent immobilier",
        "agent de voyage", "agent de voyages", "agent de change", "agent d'entretien",
        "agente de viajes", "agente de viagens", "agente de viagem", "agente inmobiliario",
        "agente immobiliare", "agente di viaggio", "agente de aduanas", "agente de seguros",
        "agente di commercio", "agent ubezpieczeniowy", "agent nieruchomości",
        "opérateur mobile", "opérateur téléphonique", "operadora de celular",
        "operadora de telefonia", "operadora do cartão", "operador móvil",
        "operatore telefonico", "operatore mobile", "operatore di rete", "operator komórkowy",
        "operator sieci", "operator telefonii", "assistente virtual", "assistente virtuale",
        "asistente virtual", "assistant virtuel", "virtual assistant", "personne âgée",
        "personnes âgées", "persona mayor", "operatore logico", "operador lógico",
        "plano de saúde", "à personne", "de personne",
    ])
});

/// Words right before a person noun that turn it into another sense ("travel agent").
#[rustfmt::skip]
pub(super) static BEFORE_MODIFIERS: LazyLock<FastSet<String>> = LazyLock::new(|| {
    word_set(&[
        "travel", "user", "estate", "insurance", "secret", "free", "double", "booking", "customs",
        "freight", "sports", "literary", "fbi", "cia", "cleaning", "chemical", "tour", "network",
        "mobile", "logical", "boolean", "bitwise", "search", "machine", "forklift", "crane",
        "telecom", "camera", "ai", "virtual", "undercover", "per", "pro", "par", "por", "each",
        "every", "first", "third", "missing", "legal", "natural", "juridical", "na", "za",
        "shipping", "ticket", "mortgage", "police", "politie", "polizei",
    ])
});

/// Words right after a person noun that make it a modifier ("agent role", "human error").
#[rustfmt::skip]
pub(super) static AFTER_MODIFIERS: LazyLock<FastSet<String>> = LazyLock::new(|| {
    word_set(&[
        "app", "apps", "role", "roles", "account", "accounts", "tool", "tools", "software",
        "plan", "plans", "license", "licence", "licenses", "licences", "seat", "seats", "dashboard",
        "view", "panel", "portal", "login", "permission", "permissions", "mode", "settings",
        "setting", "module", "modules", "string", "strings", "header", "headers", "version", "api",
        "field", "fields", "profile", "feature", "features", "resources", "resource", "rights",
        "error", "errors", "nature", "body", "hair", "trafficking", "capital", "verification",
        "readable", "hours", "number", "email", "address", "phone", "policy", "page", "status",
        "interface", "ui", "workspace", "type", "types", "id", "code", "list", "report", "reports",
        "rating", "ratings", "score", "orange", "provocateur", "smith", "nummer", "telefonnummer",
        "zeiten", "horaires", "numero", "horario", "horarios", "telefone", "telefono", "orari",
        "aukioloajat", "puhelinnumero", "oppettider", "godziny", "numer", "abningstider",
        "history", "logs", "log", "training", "sdk", "sla", "limit", "limits", "cap", "count",
        "quota", "fee", "fees", "price", "pricing", "cost", "costs", "rate", "minimum", "maximum",
        "max", "discount", "discounts",
    ])
});

/// Relative pronouns that open a clause about its subject ("someone *who* is not a bot"), in
/// any language; only read right before a negation.
#[rustfmt::skip]
pub(super) static RELATIVE_SUBJECTS: LazyLock<FastSet<String>> = LazyLock::new(|| {
    word_set(&[
        "who", "that", "which", "der", "die", "welcher", "qui", "que", "quien", "quem", "che",
        "joka", "som", "kto", "który", "która", "które",
    ])
});

/// Copulas that may stand between a relative pronoun and its negation ("who *is* not").
#[rustfmt::skip]
pub(super) static SHORT_COPULAS: LazyLock<FastSet<String>> = LazyLock::new(|| {
    word_set(&["is", "s", "are", "re", "ist", "est", "n", "es", "e", "è", "on", "är", "er", "jest"])
});

/// English copulas written with their negation, read as one only after a relative pronoun
/// ("someone who *isnt* a machine"), where they cannot negate a request.
pub(super) static NEGATED_COPULAS: LazyLock<FastSet<String>> =
    LazyLock::new(|| word_set(&["isnt", "arent", "aint"]));
