//! Signal evaluation: the model-free handoff decision (scope rules, then an explicit request
//! for a person, then confidence) and the data-driven [`SignalRules`] behind it.
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
//! to a person yesterday").

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;

// ---------------------------------------------------------------------------------------------
// Request and answer
// ---------------------------------------------------------------------------------------------

/// The inbound message and the optional model signals to judge it by.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalInput {
    /// The customer's message, exactly as written.
    pub text: String,
    /// Optional language hint (ISO 639-1 such as `de`, or a tag such as `de-AT`); the detector
    /// tries this language first but still recognises the others.
    pub language: Option<String>,
    /// The model's own confidence in its answer, 0 to 1.
    pub confidence: Option<f64>,
    /// How well the answer is grounded in the retrieved sources, 0 to 1.
    pub grounding_score: Option<f64>,
    /// How many knowledge-base chunks retrieval returned for this turn.
    pub retrieved_chunks: Option<u32>,
    /// The upstream topic classifier's verdict, if one ran.
    pub classifier: Option<ClassifierSignal>,
    /// `true` when a tool or guardrail reported it is unsure about this turn.
    pub tool_unsure: Option<bool>,
}

/// A topic classifier's verdict on the message.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifierSignal {
    /// The topic label the classifier chose, e.g. `legal`.
    pub topic: String,
    /// The classifier's score for that topic, 0 to 1; when absent the topic counts as certain.
    pub score: Option<f64>,
}

/// The handoff decision for one message.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Evaluation {
    /// Whether the conversation should go to a person now.
    pub handoff: bool,
    /// Why, when `handoff` is true.
    pub reason: Option<HandoffReason>,
    /// The rule that fired: `scope:<category>`, `human_request:<language>` or
    /// `confidence:below_threshold|low_grounding|no_retrieved_chunks|tool_unsure`.
    pub rule: Option<String>,
    /// The text fragment that matched, or a short description such as `confidence 0.31 < 0.5`.
    pub matched: Option<String>,
    /// Version of the rules this decision was made with.
    pub rules_version: i64,
}

/// Why a message should go to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// A scope rule matched: a topic the bot must not handle.
    OutOfScope,
    /// The customer explicitly asked for a person.
    UserRequested,
    /// The model's signals say its answer cannot be trusted.
    LowConfidence,
}

// ---------------------------------------------------------------------------------------------
// Rules as data
// ---------------------------------------------------------------------------------------------

/// The deployment's signal rules, read and replaced through `GET/PUT /v1/signal-rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalRules {
    /// Out-of-scope categories, checked first and in order; the first one that matches decides.
    #[serde(default)]
    pub scope: Vec<ScopeCategory>,
    /// The explicit-request detector, checked after the scope rules.
    #[serde(default)]
    pub human_request: HumanRequestRules,
    /// Thresholds on the model's signals, checked last.
    #[serde(default)]
    pub confidence: ConfidenceRules,
}

/// One out-of-scope topic. It fires when a phrase, a regex or the classifier matches and,
/// if `amount_threshold` is set, the text also mentions an amount above it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeCategory {
    /// Category name, unique, letters, digits, `_` and `-`; reported as `scope:<name>`.
    pub name: String,
    /// Words or phrases matched whole-word, ignoring case, accents and punctuation; a trailing
    /// `*` matches any word ending (`refund*` matches `refunds`, `refunded`).
    #[serde(default)]
    pub phrases: Vec<String>,
    /// Regular expressions (Rust `regex` syntax) matched case-insensitively on the original text.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// When set, the category fires only if the text also mentions an amount strictly greater
    /// than this (`$250`, `250 EUR`, `250,00 €`, `1.200` are understood).
    #[serde(default)]
    pub amount_threshold: Option<f64>,
    /// Classifier topics (case-insensitive) that also trigger this category.
    #[serde(default)]
    pub classifier_topics: Vec<String>,
    /// Minimum classifier score for `classifier_topics` to count, 0 to 1.
    #[serde(default = "default_classifier_min_score")]
    pub classifier_min_score: f64,
}

/// Settings of the explicit-request detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HumanRequestRules {
    /// Extra phrases that count as a request for a person on their own (e.g. a brand's
    /// "talk to a Baton buddy"); negations and past events still cancel them.
    pub extra_phrases: Vec<String>,
    /// Whether explicit requests for a person hand off at all.
    pub enabled: bool,
}

/// Thresholds on the model's signals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ConfidenceRules {
    /// Hand off when `confidence` is below this (0 to 1; 0 disables).
    pub min_confidence: f64,
    /// Hand off when `grounding_score` is below this (0 to 1; 0 disables).
    pub min_grounding: f64,
    /// Hand off when `retrieved_chunks` is reported as 0.
    pub require_retrieved_chunks: bool,
}

/// A rules validation failure, naming the field path (`scope[2].regexes[0]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RuleError {
    /// Path of the offending field, e.g. `scope[2].regexes[0]`.
    pub field: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for RuleError {}

fn default_classifier_min_score() -> f64 {
    0.7
}

impl Default for HumanRequestRules {
    fn default() -> Self {
        Self {
            extra_phrases: Vec::new(),
            enabled: true,
        }
    }
}

impl Default for ConfidenceRules {
    fn default() -> Self {
        Self {
            min_confidence: 0.5,
            min_grounding: 0.3,
            require_retrieved_chunks: true,
        }
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for SignalRules {
    /// Built-in rules: legal advice, pricing negotiation, refunds above 100 and complaints
    /// about staff, in the eleven supported languages where a keyword list is cheap.
    #[rustfmt::skip]
    fn default() -> Self {
        let legal = ScopeCategory {
            name: "legal_advice".into(),
            phrases: strings(&[
                "lawyer*", "attorney*", "solicitor*", "sue", "suing", "lawsuit*", "legal action",
                "legal advice", "legal steps", "to court", "in court", "court case", "litigation",
                "small claims", "anwalt*", "rechtsanwalt*", "anwältin*", "verklagen", "verklage",
                "klage einreichen", "rechtliche schritte", "vor gericht", "rechtsberatung",
                "avocat*", "poursuivre en justice", "poursuites judiciaires", "action en justice",
                "tribunal*", "conseil juridique", "abogad*", "demandar*", "demanda judicial",
                "acciones legales", "acción legal", "asesoría legal", "advogad*",
                "processo judicial", "ação judicial", "ações judiciais", "procon",
                "assessoria jurídica", "advoca*", "rechtszaak", "juridische stappen",
                "naar de rechter", "aanklagen", "juridisch advies", "avvocat*", "fare causa",
                "faccio causa", "causa legale", "vie legali", "azioni legali", "tribunale",
                "consulenza legale", "asianajaj*", "lakimie*", "oikeuteen", "haastan oikeuteen",
                "oikeusjuttu*", "oikeustoim*", "advokat*", "rättsliga åtgärder", "domstol*",
                "juridisk rådgivning", "prawnik*", "adwokat*", "pozew", "pozwę", "pozwać",
                "do sądu", "kroki prawne", "porada prawna", "sagsøg*", "retssag*",
                "retlige skridt",
            ]),
            regexes: Vec::new(),
            amount_threshold: None,
            classifier_topics: strings(&["legal", "legal_advice"]),
            classifier_min_score: default_classifier_min_score(),
        };
        let pricing = ScopeCategory {
            name: "pricing_negotiation".into(),
            phrases: strings(&[
                "discount*", "negotiat*", "better price", "best price", "lower price",
                "cheaper price", "price match*", "special price", "reduce the price",
                "lower the price", "haggle", "rabatt*", "preisnachlass", "verhandeln",
                "verhandelbar", "besseren preis", "besserer preis", "günstigeren preis", "remise*",
                "réduction*", "rabais", "négocier", "négociable", "meilleur prix", "prix plus bas",
                "descuento*", "negociar", "negociable", "mejor precio", "precio más bajo",
                "rebaja*", "desconto*", "negociável", "melhor preço", "preço menor",
                "abatimento", "korting*", "onderhandel*", "betere prijs", "lagere prijs",
                "sconto*", "scontare", "negoziare", "trattare il prezzo", "prezzo migliore",
                "miglior prezzo", "prezzo più basso", "alennu*", "neuvotella", "parempi hinta",
                "halvempi hinta", "förhandla*", "bättre pris", "lägre pris", "rabat*", "zniżk*",
                "upust*", "negocj*", "lepsza cena", "lepszą cenę", "niższa cena", "forhandl*",
                "bedre pris", "lavere pris",
            ]),
            regexes: Vec::new(),
            amount_threshold: None,
            classifier_topics: strings(&["pricing_negotiation", "negotiation", "discount"]),
            classifier_min_score: default_classifier_min_score(),
        };
        let refund = ScopeCategory {
            name: "refund".into(),
            phrases: strings(&[
                "refund*", "money back", "reimburs*", "chargeback", "charge back", "erstattung*",
                "rückerstattung*", "erstatten", "geld zurück", "rückzahlung*", "rembours*",
                "reembols*", "devolver el dinero", "devolución del dinero", "estorno*", "estornar",
                "dinheiro de volta", "devolução do dinheiro", "terugbetal*", "geld terug",
                "restitutie", "rimbors*", "soldi indietro", "hyvity*", "rahat takaisin",
                "rahojen palautus", "återbetal*", "pengarna tillbaka", "pengar tillbaka",
                "zwrot pieniędzy", "zwrotu pieniędzy", "zwrot środków", "refusion*",
                "tilbagebetal*", "pengene tilbage", "penge tilbage",
            ]),
            regexes: Vec::new(),
            amount_threshold: Some(100.0),
            classifier_topics: strings(&["refund"]),
            classifier_min_score: default_classifier_min_score(),
        };
        let staff = ScopeCategory {
            name: "staff_complaint".into(),
            phrases: strings(&["complaint about your staff", "complaint about an employee"]),
            regexes: staff_complaint_regexes(),
            amount_threshold: None,
            classifier_topics: strings(&["staff_complaint", "complaint"]),
            classifier_min_score: default_classifier_min_score(),
        };
        Self {
            scope: vec![legal, pricing, refund, staff],
            human_request: HumanRequestRules::default(),
            confidence: ConfidenceRules::default(),
        }
    }
}

/// Per language, stems of "rude"-like words, of staff nouns, and whether staff nouns form
/// compounds ("Servicemitarbeiter"). Either order within a few words counts ("rude agent",
/// "the driver was so rude"), so a rude *bot* or a rude *price* is not about a person.
#[rustfmt::skip]
const STAFF_COMPLAINT_STEMS: &[(&str, &str, bool)] = &[
    (concat!("rude|impolite|unfriendly|incompetent|unprofessional|disrespectful|arrogant|",
             "condescending|hostile"),
     concat!("agent|staff|employee|representative|reps?\\b|cashier|driver|courier|technician|",
             "manager|operator|salesperson|worker|colleague"), false),
    ("unfreundlich|unhöflich|inkompetent|frech|respektlos|arrogant|unverschämt",
     "mitarbeiter|berater|fahrer|verkäufer|angestellte", true),
    ("impoli|désagréable|incompétent|irrespectueu|grossier|grossièr|malpoli|arrogant",
     "conseill|agent|employé|personnel|livreu|vendeu", false),
    ("groser|maleducad|irrespetuos|incompetente|descortés|prepotente",
     "agente|asesor|emplead|repartidor|operador|vendedor", false),
    ("grosseir|mal-educad|mal educad|incompetente|desrespeitos|arrogante",
     "atendente|funcionári|agente|consultor|entregador|vendedor", false),
    ("onbeleefd|onvriendelijk|incompetent|brutaal|brutale|respectlo|arrogant",
     "medewerk|personeel|bezorger|chauffeur|verkoper", true),
    ("maleducat|scortes|incompetent|sgarbat|irrispettos|arrogant",
     "operator|operatric|addett|impiegat|personale|corrier|consulent|commess", false),
    ("epäkohtelia|töykeä|epäystävällis|epäpätevä|ylimielis",
     "asiakaspalvelij|työntekij|myyj|kuljettaj|henkilökun|virkailij", true),
    ("otrevlig|oförskämd|inkompetent|oartig|respektlös|arrogant",
     "personal|anställd|handläggar|medarbetar|chaufför|säljar", true),
    ("niegrzeczn|nieuprzejm|niekompetentn|chamsk|bezczeln|arogan",
     "konsultant|pracowni|obsług|kurier|sprzedaw|doradc", false),
    ("uhøflig|uforskammet|inkompetent|uvenlig|respektløs|arrogant",
     "medarbejder|personale|ansat|chauffør|sælger|konsulent", true),
];

/// The built-in staff-complaint regexes: every row of [`STAFF_COMPLAINT_STEMS`] in either
/// order, plus English "complaint about an agent".
fn staff_complaint_regexes() -> Vec<String> {
    let mut regexes: Vec<String> = STAFF_COMPLAINT_STEMS
        .iter()
        .map(|(adjective, noun, compounds)| {
            let adjective = format!(r"\b(?:{adjective})\w*");
            let prefix = if *compounds { r"\w*" } else { "" };
            let noun = format!(r"\b{prefix}(?:{noun})\w*");
            format!(r"{adjective}.{{0,40}}?{noun}|{noun}.{{0,40}}?{adjective}")
        })
        .collect();
    regexes.push(
        concat!(
            r"\bcomplain(?:t|ts|ing)?\s+(?:about|against|regarding)\s+(?:\w+\s+){0,2}?",
            r"(?:agent|staff|employee|representative|rep|driver|courier|manager|operator)s?\b",
        )
        .to_owned(),
    );
    regexes
}

const MAX_SCOPE_CATEGORIES: usize = 100;
const MAX_LIST_ITEMS: usize = 2_000;
const MAX_ITEM_CHARS: usize = 500;
const MAX_NAME_CHARS: usize = 64;
/// Bounds the compiled size of one user regex, so a rules update cannot exhaust memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl SignalRules {
    /// Checks every field and reports all problems at once, each naming its field path.
    pub fn validate(&self) -> Result<(), Vec<RuleError>> {
        let (errors, _) = self.check();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Validates and compiles in one pass, so regexes are built once.
    fn check(&self) -> (Vec<RuleError>, Vec<CompiledScope>) {
        let mut errors = Vec::new();
        let mut compiled = Vec::with_capacity(self.scope.len());
        let mut err = |field: String, message: &str| {
            errors.push(RuleError {
                field,
                message: message.to_owned(),
            });
        };
        if self.scope.len() > MAX_SCOPE_CATEGORIES {
            err(
                "scope".into(),
                &format!("at most {MAX_SCOPE_CATEGORIES} categories are allowed"),
            );
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, cat) in self.scope.iter().enumerate() {
            let at = format!("scope[{i}]");
            let name = cat.name.trim();
            if name.is_empty() {
                err(format!("{at}.name"), "must not be empty");
            } else if name.chars().count() > MAX_NAME_CHARS {
                err(
                    format!("{at}.name"),
                    &format!("must be at most {MAX_NAME_CHARS} characters"),
                );
            } else if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                err(
                    format!("{at}.name"),
                    "may contain only ASCII letters, digits, '_' and '-'",
                );
            } else if let Some(first) = seen.insert(name.to_ascii_lowercase(), i) {
                err(
                    format!("{at}.name"),
                    &format!("duplicates the name of scope[{first}]"),
                );
            }
            if cat.phrases.is_empty() && cat.regexes.is_empty() && cat.classifier_topics.is_empty()
            {
                err(
                    at.clone(),
                    "needs at least one of phrases, regexes or classifier_topics",
                );
            }
            for (list, field) in [
                (&cat.phrases, "phrases"),
                (&cat.regexes, "regexes"),
                (&cat.classifier_topics, "classifier_topics"),
            ] {
                if list.len() > MAX_LIST_ITEMS {
                    err(
                        format!("{at}.{field}"),
                        &format!("at most {MAX_LIST_ITEMS} entries are allowed"),
                    );
                }
            }
            let mut phrases = ScopePhrases::default();
            for (k, phrase) in cat.phrases.iter().enumerate() {
                let field = format!("{at}.phrases[{k}]");
                if phrase.chars().count() > MAX_ITEM_CHARS {
                    err(
                        field,
                        &format!("must be at most {MAX_ITEM_CHARS} characters"),
                    );
                    continue;
                }
                let words = scope_phrase(phrase);
                if words.is_empty() {
                    err(field, "must contain at least one letter or digit");
                } else {
                    phrases.push(words);
                }
            }
            let mut regexes = Vec::with_capacity(cat.regexes.len());
            for (k, pattern) in cat.regexes.iter().enumerate() {
                let field = format!("{at}.regexes[{k}]");
                if pattern.trim().is_empty() {
                    err(field, "must not be empty");
                    continue;
                }
                if pattern.chars().count() > MAX_ITEM_CHARS * 4 {
                    err(
                        field,
                        &format!("must be at most {} characters", MAX_ITEM_CHARS * 4),
                    );
                    continue;
                }
                match RegexBuilder::new(pattern)
                    .case_insensitive(true)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                {
                    Ok(re) if re.is_match("") => {
                        err(
                            field,
                            "matches the empty string, so it would fire on every message",
                        );
                    }
                    Ok(re) => regexes.push(re),
                    Err(e) => {
                        let detail = e
                            .to_string()
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ");
                        err(
                            field,
                            &format!("is not a valid regular expression: {detail}"),
                        );
                    }
                }
            }
            if let Some(t) = cat.amount_threshold {
                if !t.is_finite() || t < 0.0 {
                    err(
                        format!("{at}.amount_threshold"),
                        "must be a finite number >= 0",
                    );
                }
            }
            let mut topics = Vec::with_capacity(cat.classifier_topics.len());
            for (k, topic) in cat.classifier_topics.iter().enumerate() {
                if topic.trim().is_empty() {
                    err(format!("{at}.classifier_topics[{k}]"), "must not be empty");
                } else {
                    topics.push(topic.trim().to_lowercase());
                }
            }
            if !(0.0..=1.0).contains(&cat.classifier_min_score) {
                err(
                    format!("{at}.classifier_min_score"),
                    "must be between 0 and 1",
                );
            }
            compiled.push(CompiledScope {
                name: name.to_owned(),
                phrases,
                regexes,
                amount_threshold: cat.amount_threshold,
                topics,
                min_score: cat.classifier_min_score,
            });
        }
        if self.human_request.extra_phrases.len() > MAX_LIST_ITEMS {
            err(
                "human_request.extra_phrases".into(),
                &format!("at most {MAX_LIST_ITEMS} entries are allowed"),
            );
        }
        for (k, phrase) in self.human_request.extra_phrases.iter().enumerate() {
            let field = format!("human_request.extra_phrases[{k}]");
            if phrase.chars().count() > MAX_ITEM_CHARS {
                err(
                    field,
                    &format!("must be at most {MAX_ITEM_CHARS} characters"),
                );
            } else if words_of(phrase).is_empty() {
                err(field, "must contain at least one letter or digit");
            }
        }
        for (value, field) in [
            (self.confidence.min_confidence, "confidence.min_confidence"),
            (self.confidence.min_grounding, "confidence.min_grounding"),
        ] {
            if !(0.0..=1.0).contains(&value) {
                err(field.into(), "must be between 0 and 1");
            }
        }
        (errors, compiled)
    }
}

/// Rules prepared for evaluation: regexes compiled, phrases normalised.
#[derive(Debug, Clone)]
pub struct CompiledRules {
    version: i64,
    rules: SignalRules,
    scope: Vec<CompiledScope>,
    extra_phrases: PhraseSet,
}

#[derive(Debug, Clone)]
struct CompiledScope {
    name: String,
    phrases: ScopePhrases,
    regexes: Vec<Regex>,
    amount_threshold: Option<f64>,
    topics: Vec<String>,
    min_score: f64,
}

impl CompiledRules {
    /// Validates `rules` and prepares them for [`evaluate`]; `version` is reported back in
    /// every [`Evaluation`].
    pub fn compile(rules: &SignalRules, version: i64) -> Result<CompiledRules, Vec<RuleError>> {
        let (errors, scope) = rules.check();
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut extra_phrases = PhraseSet::default();
        for phrase in &rules.human_request.extra_phrases {
            extra_phrases.add(words_of(phrase));
        }
        Ok(CompiledRules {
            version,
            rules: rules.clone(),
            scope,
            extra_phrases,
        })
    }

    /// The version these rules were compiled with.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The rules as written.
    pub fn rules(&self) -> &SignalRules {
        &self.rules
    }
}

/// Decides whether `input` should go to a person: scope rules first, then an explicit request
/// for a person, then the confidence signals. Calls no model.
pub fn evaluate(rules: &CompiledRules, input: &SignalInput) -> Evaluation {
    let toks = tokenize(&input.text);
    let words: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
    let decided = |reason, rule: String, matched: String| Evaluation {
        handoff: true,
        reason: Some(reason),
        rule: Some(rule),
        matched: Some(matched),
        rules_version: rules.version,
    };

    for cat in &rules.scope {
        if let Some(matched) = cat.matches(&input.text, &toks, &words, input.classifier.as_ref()) {
            return decided(
                HandoffReason::OutOfScope,
                format!("scope:{}", cat.name),
                matched,
            );
        }
    }

    if rules.rules.human_request.enabled {
        let hint = input.language.as_deref().map(|l| {
            l.split(['-', '_'])
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
        if let Some(m) = detect(&input.text, &toks, &rules.extra_phrases, hint.as_deref()) {
            return decided(
                HandoffReason::UserRequested,
                format!("human_request:{}", m.lang),
                m.matched,
            );
        }
    }

    let c = &rules.rules.confidence;
    let low = HandoffReason::LowConfidence;
    if let Some(value) = input.confidence.filter(|v| *v < c.min_confidence) {
        let matched = format!("confidence {value} < {}", c.min_confidence);
        return decided(low, "confidence:below_threshold".into(), matched);
    }
    if let Some(value) = input.grounding_score.filter(|v| *v < c.min_grounding) {
        let matched = format!("grounding {value} < {}", c.min_grounding);
        return decided(low, "confidence:low_grounding".into(), matched);
    }
    if c.require_retrieved_chunks && input.retrieved_chunks == Some(0) {
        return decided(
            low,
            "confidence:no_retrieved_chunks".into(),
            "retrieved_chunks 0".into(),
        );
    }
    if input.tool_unsure == Some(true) {
        return decided(
            low,
            "confidence:tool_unsure".into(),
            "a tool reported it is unsure".into(),
        );
    }
    Evaluation {
        handoff: false,
        reason: None,
        rule: None,
        matched: None,
        rules_version: rules.version,
    }
}

impl CompiledScope {
    fn matches(
        &self,
        text: &str,
        toks: &[Token],
        words: &[&str],
        classifier: Option<&ClassifierSignal>,
    ) -> Option<String> {
        let trigger = self
            .phrases
            .find(words)
            .map(|(s, e)| text[toks[s].start..toks[e - 1].end].to_owned())
            .or_else(|| {
                self.regexes
                    .iter()
                    .find_map(|re| re.find(text))
                    .map(|m| m.as_str().to_owned())
            })
            .or_else(|| {
                let c = classifier?;
                let topic = c.topic.trim().to_lowercase();
                let score = c.score.unwrap_or(1.0);
                (self.topics.contains(&topic) && score >= self.min_score)
                    .then(|| format!("classifier topic {topic} ({score})"))
            })?;
        match self.amount_threshold {
            None => Some(trigger),
            Some(threshold) => {
                let amount = amounts(text).into_iter().find(|a| a.value > threshold)?;
                Some(format!("{trigger} + {}", amount.text))
            }
        }
    }
}

/// A scope phrase as words; `true` marks a trailing-`*` prefix word.
fn scope_phrase(phrase: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for piece in phrase.split_whitespace() {
        let prefix = piece.ends_with('*');
        let mut words: Vec<(String, bool)> = words_of(piece.trim_end_matches('*'))
            .into_iter()
            .map(|w| (w, false))
            .collect();
        if let Some(last) = words.last_mut() {
            last.1 = prefix;
        }
        out.extend(words);
    }
    out
}

/// Scope phrases indexed by first word, so matching costs one lookup per message word.
#[derive(Debug, Clone, Default)]
struct ScopePhrases {
    phrases: Vec<Vec<(String, bool)>>,
    exact_first: FastMap<String, Vec<usize>>,
    /// Phrases starting with a `word*` stem, by the stem's first three letters.
    prefix_first: FastMap<String, Vec<usize>>,
    /// Phrases whose first stem is shorter than three letters.
    short_prefix_first: Vec<usize>,
}

/// The first `n` characters of `word`, or `None` when it is shorter.
fn first_chars(word: &str, n: usize) -> Option<&str> {
    let end = word
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .nth(n.checked_sub(1)?)?;
    Some(&word[..end])
}

impl ScopePhrases {
    fn push(&mut self, phrase: Vec<(String, bool)>) {
        let index = self.phrases.len();
        match phrase.first() {
            Some((first, false)) => self
                .exact_first
                .entry(first.clone())
                .or_default()
                .push(index),
            Some((stem, true)) => match first_chars(stem, 3) {
                Some(key) => self
                    .prefix_first
                    .entry(key.to_owned())
                    .or_default()
                    .push(index),
                None => self.short_prefix_first.push(index),
            },
            None => return,
        }
        self.phrases.push(phrase);
    }

    /// The first place in `words` where any phrase matches.
    fn find(&self, words: &[&str]) -> Option<(usize, usize)> {
        words.iter().enumerate().find_map(|(i, w)| {
            let exact = self.exact_first.get(*w).into_iter().flatten();
            let by_stem = first_chars(w, 3).and_then(|k| self.prefix_first.get(k));
            let prefix = by_stem
                .into_iter()
                .flatten()
                .chain(&self.short_prefix_first)
                .filter(|&&k| w.starts_with(self.phrases[k][0].0.as_str()));
            exact.chain(prefix).find_map(|&k| {
                let phrase = &self.phrases[k];
                let end = i + phrase.len();
                let hit = end <= words.len()
                    && phrase.iter().zip(&words[i..end]).all(|((p, prefix), w)| {
                        if *prefix {
                            w.starts_with(p.as_str())
                        } else {
                            p == w
                        }
                    });
                hit.then_some((i, end))
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Amount {
    value: f64,
    text: String,
}

static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?P<pre>[$€£¥]|\b(?:usd|eur|gbp|chf|sek|dkk|nok|pln|cad|aud)\b)?\s?",
        r"(?P<num>\d{1,3}(?:[.,'’\x{202F}\x{A0}]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)",
        r"(?P<post>\s?(?:[$€£¥]|(?:usd|eur|euros?|gbp|chf|sek|dkk|nok|pln|zł|zl|złotych|zlotych",
        r"|kr|kronor|kroner|dollars?|bucks|pounds?|francs?)\b))?",
    ))
    .expect("the amount pattern is valid")
});

/// Words after which a bare number is an identifier, not money ("order 12345").
#[rustfmt::skip]
const ID_WORDS: &[&str] = &[
    "order", "orders", "no", "nr", "num", "number", "id", "ticket", "invoice", "ref", "reference",
    "case", "tracking", "item", "sku", "account", "customer", "code", "zip", "postcode",
    "bestellung",
    "bestellnummer", "auftrag", "rechnung", "kundennummer", "commande", "facture", "numero",
    "pedido",
    "factura", "encomenda", "fatura", "bestelling", "factuur", "ordine", "fattura", "tilaus",
    "tilausnumero", "lasku", "bestallning", "ordernummer", "faktura", "zamowienie", "zamowienia",
    "ordre", "ordrenummer", "version", "v",
];

/// Words after which a bare number counts something other than money ("3 days").
#[rustfmt::skip]
const UNIT_WORDS: &[&str] = &[
    "day", "days", "item", "items", "piece", "pieces", "pcs", "pc", "times", "minute", "minutes",
    "min", "mins", "hour", "hours", "hrs", "h", "week", "weeks", "month", "months", "year", "years",
    "km", "kg", "g", "cm", "mm", "m", "l", "ml", "gb", "mb", "x", "tage", "tagen", "stuck",
    "stunden", "wochen", "jours", "heures", "semaines", "dias", "horas", "semanas", "dagen", "uren",
    "weken", "giorni", "ore", "settimane", "paivaa", "paivan", "tuntia", "dagar", "timmar",
    "veckor",
    "dni", "godzin", "tygodni", "dage", "timer", "uger", "percent", "prozent", "pourcent",
];

/// Money amounts in `text`, in order. Bare numbers count only when they do not look like a
/// date, time, year, identifier or quantity; numbers with a currency always count.
fn amounts(text: &str) -> Vec<Amount> {
    let mut out = Vec::new();
    for caps in AMOUNT.captures_iter(text) {
        let Some(num) = caps.name("num") else {
            continue;
        };
        let has_currency = caps.name("pre").is_some() || caps.name("post").is_some();
        let before = &text[..num.start()];
        let after = &text[num.end()..];
        if glued_before(before) || glued_after(after) {
            continue;
        }
        if !has_currency {
            let digits = num.as_str().chars().filter(char::is_ascii_digit).count();
            let prev = last_word(before);
            let next = first_word(after);
            let year_like = digits == 4
                && num.as_str().chars().all(|c| c.is_ascii_digit())
                && (1900..=2100).contains(&num.as_str().parse::<u32>().unwrap_or(0));
            if digits > 7
                || year_like
                || before
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || matches!(c, '#' | '+'))
                || after.starts_with('%')
                || prev.as_deref().is_some_and(|w| ID_WORDS.contains(&w))
                || next.as_deref().is_some_and(|w| UNIT_WORDS.contains(&w))
            {
                continue;
            }
        }
        if let Some(value) = parse_number(num.as_str()) {
            let whole = caps.get(0).map_or(num.as_str(), |m| m.as_str()).trim();
            out.push(Amount {
                value,
                text: whole.to_owned(),
            });
        }
    }
    out
}

/// A number that continues a date, time, version or id ("12.05.2024", "10:30", "A-123").
fn glued_before(before: &str) -> bool {
    let mut rev = before.chars().rev();
    match (rev.next(), rev.next()) {
        (Some(c), _) if c.is_alphabetic() => true,
        (Some(sep), Some(d))
            if matches!(sep, '.' | ',' | ':' | '/' | '-') && d.is_ascii_digit() =>
        {
            true
        }
        _ => false,
    }
}

fn glued_after(after: &str) -> bool {
    let mut it = after.chars();
    matches!(
        (it.next(), it.next()),
        (Some('.' | ',' | ':' | '/' | '-'), Some(d)) if d.is_ascii_digit()
    )
}

fn last_word(s: &str) -> Option<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .rfind(|w| !w.is_empty())
        .and_then(|w| words_of(w).pop())
}

fn first_word(s: &str) -> Option<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '%')
        .find(|w| !w.is_empty())
        .and_then(|w| words_of(w).into_iter().next())
}

/// Reads "1.200", "1,200.50", "250,00" and "19.99": with both separators the last one is the
/// decimal mark; with one kind, a single separator followed by one or two digits is decimal.
fn parse_number(raw: &str) -> Option<f64> {
    let s: String = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
        .collect();
    let normalized = match (s.rfind('.'), s.rfind(',')) {
        (Some(d), Some(c)) => {
            let (decimal, thousands) = if d > c { ('.', ',') } else { (',', '.') };
            s.replace(thousands, "").replace(decimal, ".")
        }
        (Some(p), None) | (None, Some(p)) => {
            let sep = if s.as_bytes()[p] == b'.' { '.' } else { ',' };
            let count = s.matches(sep).count();
            let digits_after = s.len() - p - 1;
            if count == 1 && digits_after != 3 {
                s.replace(sep, ".")
            } else {
                s.replace(sep, "")
            }
        }
        (None, None) => s,
    };
    normalized.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Token {
    /// Lowercase, accents stripped, runs of 3+ equal letters squeezed ("humaaan" -> "human").
    word: String,
    /// Byte span in the original text, so `matched` can quote the customer's own words.
    start: usize,
    end: usize,
    /// Sentence-like segment: punctuation starts a new one.
    clause: usize,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '`' | '´')
}

fn is_clause_mark(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | '¿'
            | '¡'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '"'
            | '“'
            | '”'
            | '„'
            | '«'
            | '»'
            | '…'
            | '—'
            | '–'
            | '\n'
            | '\r'
            | '|'
    )
}

/// Lowercases and strips diacritics; letters NFKD cannot decompose are mapped by hand.
fn fold_char(c: char, out: &mut String) {
    for l in c.to_lowercase() {
        match l {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'ł' => out.push('l'),
            'đ' | 'ð' => out.push('d'),
            'þ' => out.push_str("th"),
            'ı' => out.push('i'),
            _ => out.extend(std::iter::once(l).nfkd().filter(|d| !is_combining_mark(*d))),
        }
    }
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let (mut start, mut end, mut clause) = (0, 0, 0);
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    let mut folded = String::new();
    while let Some((pos, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        if c.is_ascii_alphanumeric() {
            if word.is_empty() {
                start = pos;
            }
            word.push(c.to_ascii_lowercase());
            end = pos + 1;
            prev = Some(c);
            continue;
        }
        folded.clear();
        if !c.is_ascii() {
            fold_char(c, &mut folded);
        }
        if !folded.is_empty() && folded.chars().all(char::is_alphanumeric) {
            if word.is_empty() {
                start = pos;
            }
            word.push_str(&folded);
            end = pos + c.len_utf8();
        } else if is_combining_mark(c) {
            // Text typed in decomposed form: the mark belongs to the letter before it.
            end = pos + c.len_utf8();
        } else if is_apostrophe(c)
            && word.ends_with('n')
            && next.is_some_and(|n| n.eq_ignore_ascii_case(&'t'))
            && text[pos + c.len_utf8()..]
                .chars()
                .nth(1)
                .is_none_or(|a| !a.is_alphanumeric())
        {
            // Keep English "don't" as one word "dont", the spelling people also type.
        } else {
            flush_word(&mut tokens, &mut word, start, end, clause);
            let spaced_dash = matches!(c, '-' | '/')
                && (prev.is_none_or(char::is_whitespace) || next.is_none_or(char::is_whitespace));
            if is_clause_mark(c) || spaced_dash {
                clause += 1;
            }
        }
        prev = Some(c);
    }
    flush_word(&mut tokens, &mut word, start, end, clause);
    tokens
}

fn flush_word(tokens: &mut Vec<Token>, word: &mut String, start: usize, end: usize, clause: usize) {
    if word.is_empty() {
        return;
    }
    let mut squeezed = String::with_capacity(word.len());
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        let mut run = 1;
        while chars.next_if_eq(&c).is_some() {
            run += 1;
        }
        let keep = if run >= 3 && c.is_alphabetic() {
            1
        } else {
            run
        };
        squeezed.extend(std::iter::repeat_n(c, keep));
    }
    tokens.push(Token {
        word: squeezed,
        start,
        end,
        clause,
    });
    word.clear();
}

fn words_of(phrase: &str) -> Vec<String> {
    tokenize(phrase).into_iter().map(|t| t.word).collect()
}

/// Normalised multi-word phrases, indexed by first and last word.
#[derive(Debug, Clone, Default)]
struct PhraseSet {
    by_first: FastMap<String, Vec<Vec<String>>>,
    by_last: FastMap<String, Vec<Vec<String>>>,
}

impl PhraseSet {
    fn from_list(items: &[&str]) -> Self {
        let mut set = Self::default();
        for item in items {
            set.add(words_of(item));
        }
        set
    }

    fn add(&mut self, words: Vec<String>) {
        let (Some(first), Some(last)) = (words.first().cloned(), words.last().cloned()) else {
            return;
        };
        self.by_first.entry(first).or_default().push(words.clone());
        self.by_last.entry(last).or_default().push(words);
    }

    /// Length of the longest phrase starting at `i`.
    fn starts_at(&self, w: &[&str], i: usize) -> Option<usize> {
        let candidates = self.by_first.get(*w.get(i)?)?;
        candidates
            .iter()
            .filter(|p| w.len() - i >= p.len() && p.iter().zip(&w[i..]).all(|(a, b)| a == b))
            .map(Vec::len)
            .max()
    }

    /// Length of the longest phrase ending just before `end`.
    fn ends_at(&self, w: &[&str], end: usize) -> Option<usize> {
        let candidates = self.by_last.get(*w.get(end.checked_sub(1)?)?)?;
        candidates
            .iter()
            .filter(|p| p.len() <= end && p.iter().zip(&w[end - p.len()..end]).all(|(a, b)| a == b))
            .map(Vec::len)
            .max()
    }

    fn words(&self) -> impl Iterator<Item = &String> {
        self.by_first.values().flatten().flatten()
    }
}

// ---------------------------------------------------------------------------------------------
// Explicit request for a person
// ---------------------------------------------------------------------------------------------

/// An explicit request for a person found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanRequestMatch {
    /// Language whose lexicon recognised the request (`en`, `de`, …).
    pub lang: &'static str,
    /// The customer's words that made the request, as written.
    pub matched: String,
}

/// Finds an explicit request for a person in `text`, in any supported language, treating each
/// of `extra_phrases` as a request on its own.
pub fn detect_human_request(text: &str, extra_phrases: &[String]) -> Option<HumanRequestMatch> {
    let mut extra = PhraseSet::default();
    for phrase in extra_phrases {
        extra.add(words_of(phrase));
    }
    detect(text, &tokenize(text), &extra, None)
}

fn detect(
    text: &str,
    toks: &[Token],
    extra: &PhraseSet,
    hint: Option<&str>,
) -> Option<HumanRequestMatch> {
    let words: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
    if words.is_empty() {
        return None;
    }
    let cands = candidates(&words, extra);
    // A mention one language cancelled (negated, another sense, past) stays cancelled: a
    // lexicon that lacks the message's own negations must not revive it.
    let mut vetoed = vec![false; words.len()];
    for (li, lang) in ordered_langs(&words, hint) {
        if !cands.starts.iter().any(|bits| bits & (1 << li) != 0) {
            continue;
        }
        let pass = Pass {
            lang,
            li,
            extra,
            cands: &cands,
        };
        for (a, b) in clauses(lang, toks, &words) {
            if let Some((s, e)) = detect_in_clause(&pass, &words, a, b, &mut vetoed) {
                let matched = text[toks[s].start..toks[e - 1].end].to_owned();
                return Some(HumanRequestMatch {
                    lang: lang.code,
                    matched,
                });
            }
        }
    }
    None
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
        if i < toks.len() && lang.clause_breaks.contains(words[i]) {
            if start < i {
                out.push((start, i));
            }
            start = i + 1;
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
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
}

fn detect_in_clause(
    pass: &Pass<'_>,
    all: &[&str],
    a: usize,
    b: usize,
    vetoed: &mut [bool],
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
        if m.kind == Kind::Bot || vetoed[global.clone()].iter().any(|&v| v) {
            continue;
        }
        if neg.mentions[k]
            || (m.kind != Kind::Direct && is_other_sense(lang, w, m, &blocked))
            || post_negated(lang, all, a + m.end)
        {
            vetoed[global].fill(true);
            continue;
        }
        let back = backward_chain(lang, w, m.start, &neg.tokens);
        let fwd = forward_chain(lang, w, m.end, &neg.tokens, &mention_at, &mentions);
        // "human or agent please": other person nouns may stand beside a bare one.
        let filler = |p: usize| lang.fillers.contains(w[p]) || in_person_noun[p];
        let bare = (0..m.start).chain(m.end..n).all(filler);
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
        if !cued || (fwd.is_none() && ends_in_other_infinitive(lang, w, m)) {
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
    if pass.cands.starts[global] & (1 << pass.li) == 0 {
        return None;
    }
    let lang = pass.lang;
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
        if BEFORE_MODIFIERS.contains(prev) || lang.possessives.contains(prev) {
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
            l
        } else if lang.weak_negations.contains(w[i])
            && i + 1 < n
            && (mention_at[i + 1].is_some() || lang.weak_continuations.contains(w[i + 1]))
        {
            1
        } else {
            i += 1;
            continue;
        };
        let mut j = i + len;
        // "I want no bot", "ich will keinen Bot": the cue may stand before the negation.
        let mut cue_seen =
            cue_ending_at(lang, w, i).is_some_and(|(_, c)| c != CueClass::Participle);
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
                cue_seen = true;
                j += l;
                steps += 1;
                continue;
            }
            think |= lang.think.contains(t);
            if lang.transparent.contains(t)
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
}

/// Past events cancel: a past marker near the request ("I already talked to …", "gestern"),
/// or after the noun unless a present request cue plus a relative clause explains it
/// ("can I talk to the agent I spoke to yesterday" still asks).
fn is_past(lang: &Lang, w: &[&str], chain_start: usize, m: &Mention, present: bool) -> bool {
    let lo = chain_start.saturating_sub(3);
    if (lo..m.start).any(|p| lang.past.starts_at(w, p).is_some()) {
        return true;
    }
    (m.end..w.len()).any(|p| {
        lang.past.starts_at(w, p).is_some()
            && !(present && w[m.end..p].iter().any(|t| lang.relative.contains(*t)))
    })
}

// ---------------------------------------------------------------------------------------------
// Lexicons
// ---------------------------------------------------------------------------------------------

/// One language's lexicon as written below (natural spelling; normalised when compiled).
struct LangSpec {
    code: &'static str,
    /// Person nouns and their inflections.
    persons: &'static [&'static str],
    /// Compounds ending in these count as person nouns ("Servicemitarbeiter").
    suffixes: &'static [&'static str],
    depts: &'static [&'static str],
    pronouns: &'static [&'static str],
    /// Requests on their own ("call me back").
    direct: &'static [&'static str],
    contact: &'static [&'static str],
    participles: &'static [&'static str],
    desire: &'static [&'static str],
    /// Cues after the noun ("an agent available").
    post: &'static [&'static str],
    /// Whether contact verbs may also follow the noun ("mit einem Menschen sprechen").
    verb_final: bool,
    /// Glue between a cue and the noun: articles, prepositions, pronouns, adjectives.
    linkers: &'static [&'static str],
    /// Words that may surround a bare noun ("a human please").
    fillers: &'static [&'static str],
    /// Words that make a leading noun a request ("agent please, my order …").
    polite: &'static [&'static str],
    negations: &'static [&'static str],
    /// Negations that bind only a following noun or "need"/"thanks" ("no need", "no agent").
    weak_negations: &'static [&'static str],
    weak_continuations: &'static [&'static str],
    /// Words a negation scopes through ("don't *want to* talk").
    transparent: &'static [&'static str],
    /// "I don't think I need …": lets a negation reach past the next subject.
    think: &'static [&'static str],
    /// Subject pronouns that start a new statement and end a negation's scope.
    breakers: &'static [&'static str],
    post_negations: &'static [&'static str],
    past: &'static [&'static str],
    /// Relative-clause words ("the agent *I* spoke to yesterday").
    relative: &'static [&'static str],
    /// What someone is, not whom they want ("I am", "are you", "am I talking to").
    copulas: &'static [&'static str],
    possessives: &'static [&'static str],
    clause_breaks: &'static [&'static str],
    bots: &'static [&'static str],
    /// Person nouns that are also exclamations when they stand alone ("Mensch, …").
    interjections: &'static [&'static str],
    /// Words after a noun that make it a modifier in this language only (English "agent's").
    after_modifiers: &'static [&'static str],
    /// Infinitive endings, for verb-final languages ("hinzufügen", "toevoegen").
    infinitive_endings: &'static [&'static str],
}

struct Lang {
    code: &'static str,
    persons: PhraseSet,
    depts: PhraseSet,
    pronouns: PhraseSet,
    direct: PhraseSet,
    bots: PhraseSet,
    suffixes: Vec<String>,
    contact: PhraseSet,
    participles: PhraseSet,
    desire: PhraseSet,
    post: PhraseSet,
    verb_final: bool,
    negations: PhraseSet,
    post_negations: PhraseSet,
    past: PhraseSet,
    copulas: PhraseSet,
    linkers: FastSet<String>,
    fillers: FastSet<String>,
    polite: FastSet<String>,
    weak_negations: FastSet<String>,
    weak_continuations: FastSet<String>,
    transparent: FastSet<String>,
    think: FastSet<String>,
    breakers: FastSet<String>,
    relative: FastSet<String>,
    possessives: FastSet<String>,
    clause_breaks: FastSet<String>,
    interjections: FastSet<String>,
    after_modifiers: FastSet<String>,
    infinitive_endings: Vec<String>,
    vocab: FastSet<String>,
}

fn word_set(items: &[&str]) -> FastSet<String> {
    items.iter().flat_map(|i| words_of(i)).collect()
}

impl Lang {
    fn compile(spec: &LangSpec) -> Lang {
        let persons = PhraseSet::from_list(spec.persons);
        let depts = PhraseSet::from_list(spec.depts);
        let pronouns = PhraseSet::from_list(spec.pronouns);
        let mut lang = Lang {
            code: spec.code,
            persons,
            depts,
            pronouns,
            direct: PhraseSet::from_list(spec.direct),
            bots: PhraseSet::from_list(spec.bots),
            suffixes: spec.suffixes.iter().flat_map(|s| words_of(s)).collect(),
            contact: PhraseSet::from_list(spec.contact),
            participles: PhraseSet::from_list(spec.participles),
            desire: PhraseSet::from_list(spec.desire),
            post: PhraseSet::from_list(spec.post),
            verb_final: spec.verb_final,
            negations: PhraseSet::from_list(spec.negations),
            post_negations: PhraseSet::from_list(spec.post_negations),
            past: PhraseSet::from_list(spec.past),
            copulas: PhraseSet::from_list(spec.copulas),
            linkers: word_set(spec.linkers),
            fillers: word_set(spec.fillers),
            polite: word_set(spec.polite),
            weak_negations: word_set(spec.weak_negations),
            weak_continuations: word_set(spec.weak_continuations),
            transparent: word_set(spec.transparent),
            think: word_set(spec.think),
            breakers: word_set(spec.breakers),
            relative: word_set(spec.relative),
            possessives: word_set(spec.possessives),
            clause_breaks: word_set(spec.clause_breaks),
            interjections: word_set(spec.interjections),
            after_modifiers: word_set(spec.after_modifiers),
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

const LANG_COUNT: usize = 11;

static LANGS: LazyLock<Vec<Lang>> = LazyLock::new(|| {
    let specs: [&LangSpec; LANG_COUNT] = [&EN, &DE, &FR, &ES, &PT, &NL, &IT, &FI, &SV, &PL, &DA];
    specs.into_iter().map(Lang::compile).collect()
});

/// FNV-1a: the lexicon maps are keyed by short words of our own, where SipHash's flooding
/// protection buys nothing and costs most of a lookup.
#[derive(Default, Clone, Copy)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<Fnv>>;

/// A single-word noun that typos are compared with, and what it is in each language.
struct TypoTarget {
    chars: Vec<char>,
    kinds: [Option<Kind>; LANG_COUNT],
}

/// Typo targets by first letter, each word once however many languages share it.
static TYPO_TARGETS: LazyLock<FastMap<char, Vec<TypoTarget>>> = LazyLock::new(|| {
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
static VOCAB_LANGS: LazyLock<FastMap<String, u16>> = LazyLock::new(|| {
    let mut langs: FastMap<String, u16> = FastMap::default();
    for (li, lang) in LANGS.iter().enumerate() {
        for word in &lang.vocab {
            *langs.entry(word.clone()).or_default() |= 1 << li;
        }
    }
    langs
});

/// For each word that starts a mention phrase in some lexicon, a bit per language.
static MENTION_STARTS: LazyLock<FastMap<String, u16>> = LazyLock::new(|| {
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
static KNOWN_WORDS: LazyLock<FastSet<String>> = LazyLock::new(|| {
    let mut known: FastSet<String> = LANGS.iter().flat_map(|l| l.vocab.iter().cloned()).collect();
    known.extend(word_set(&[
        "argent", "agence", "agency", "agenda", "humor", "humour", "humane", "humid", "personal",
        "personally", "personality", "personnel", "persen", "perron", "perso", "representation",
        "represent", "manage", "managed", "manages", "managing", "manger", "supervision",
        "mitarbeit", "beraten", "beratung", "conseille", "medewerking", "atendendo", "pessoal",
        "operation", "operating", "operated", "operate", "opera", "pracownia", "personale",
        "persoonlijk", "employ", "employed", "employer", "employers", "agentur", "agentura",
        "someday", "somehow", "sometime", "consulting", "consultation", "specialty", "special",
    ]));
    known
});

/// Fixed phrases where a person noun means something else, in any language.
#[rustfmt::skip]
static OTHER_SENSES: LazyLock<PhraseSet> = LazyLock::new(|| {
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
        "plano de saúde",
    ])
});

/// Words right before a person noun that turn it into another sense ("travel agent").
#[rustfmt::skip]
static BEFORE_MODIFIERS: LazyLock<FastSet<String>> = LazyLock::new(|| {
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
static AFTER_MODIFIERS: LazyLock<FastSet<String>> = LazyLock::new(|| {
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
        "max",
    ])
});

#[rustfmt::skip]
const EN: LangSpec = LangSpec {
    code: "en",
    persons: &[
        "human", "humans", "human being", "human beings", "hooman", "person", "persons", "agent",
        "agents", "human agent", "representative", "representatives", "rep", "reps", "operator",
        "operators", "employee", "employees", "staff member", "staff members", "team member",
        "manager", "supervisor", "advisor", "adviser", "consultant", "specialist", "real people",
    ],
    suffixes: &[],
    depts: &[
        "customer service", "customer services", "customer support", "customer care",
        "support team", "support staff", "help desk", "helpdesk", "service desk", "human support",
        "live support", "live chat", "tech support", "technical support", "sales team",
        "call center", "call centre", "contact center", "someone from your team",
        "someone from the team", "someone from support", "someone from your company",
        "someone from customer service", "someone from the support team", "someone from staff",
        "someone in charge", "somebody from your team", "somebody from support",
        "anyone from your team", "anyone from support", "someone real", "somebody real",
        "someone who is real", "a real someone",
    ],
    pronouns: &["someone", "somebody", "anyone", "anybody", "support", "team", "staff", "people"],
    direct: &[
        "call me back", "callback", "put me through", "transfer me", "escalate this",
        "escalate it", "escalate my", "escalate to", "please escalate", "anyone there",
        "anybody there", "anyone here", "anybody here", "is someone there", "is somebody there",
        "someone there", "somebody there", "give me a call",
    ],
    contact: &[
        "talk", "speak", "chat", "connect", "transfer", "put me", "pass me", "hand me over",
        "hand me", "hand over", "hand off", "reach", "contact", "call", "escalate", "forward",
        "redirect", "route", "switch me", "get in touch", "talking", "speaking", "chatting",
        "send me", "take me", "loop in", "message",
    ],
    participles: &[
        "transferred", "connected", "forwarded", "redirected", "escalated", "put through", "passed",
    ],
    desire: &[
        "want", "wanna", "need", "would like", "d like", "id like", "would love", "prefer",
        "rather", "can i", "could i", "may i", "can we", "could we", "cant i", "can you",
        "could you", "would you", "will you", "get", "give me", "gimme", "bring me", "find me",
        "is there", "are there", "let me", "please", "pls", "plz", "request", "ask for",
        "asking for", "demand", "require", "where is", "where are", "help from", "looking to",
    ],
    post: &[
        "available", "online", "help me", "call me", "contact me", "get back to me", "reach out",
        "take over", "respond", "answer me", "to talk", "to speak", "to chat", "i can talk",
        "i can speak", "i can chat", "i could talk", "i could speak", "we can talk",
        "look at my", "look into my", "take a look", "review my", "handle my", "deal with my",
    ],
    verb_final: false,
    linkers: &[
        "to", "with", "a", "an", "the", "me", "us", "i", "you", "u", "please", "pls", "plz", "just",
        "only", "really", "actually", "real", "actual", "live", "proper", "another", "other",
        "different", "one", "some", "any", "your", "now", "right", "immediately", "directly",
        "quickly", "asap", "over", "through", "customer", "service", "sales", "account", "billing",
        "technical", "tech", "senior", "of", "be", "able", "have", "kindly", "finally", "urgently",
        "d", "go", "ahead", "via", "instead", "friendly", "competent", "qualified", "english",
        "speaking", "same", "first", "available", "next", "human", "or",
    ],
    fillers: &[
        "please", "pls", "plz", "plse", "pleas", "now", "asap", "right", "away", "immediately",
        "hi", "hello", "hey", "ok", "okay", "a", "an", "the", "real", "actual", "live", "just",
        "only", "thanks", "thank", "you", "or", "yes", "yeah", "urgent", "urgently", "quick",
        "quickly", "hmm", "hm", "um", "uh", "so", "well", "again", "oh", "o", "another",
    ],
    polite: &["please", "pls", "plz", "plse", "asap", "now", "thanks"],
    negations: &[
        "not", "dont", "doesnt", "didnt", "never", "without", "wont", "neednt", "shouldnt",
        "wouldnt", "do not", "does not", "did not", "will not", "would not", "rather not",
        "instead of", "rather than", "no longer", "no one", "nobody", "noone", "nor", "dnt",
    ],
    weak_negations: &["no"],
    weak_continuations: &["need", "needed", "thanks", "thank", "more"],
    transparent: &[
        "want", "wanna", "need", "needed", "to", "be", "get", "have", "go", "a", "an", "the", "any",
        "for", "with", "me", "us", "like", "bother", "necessary", "really", "even", "actually",
        "necessarily", "one", "some", "it", "this", "that", "at", "all", "more", "please", "ever",
        "trying",
    ],
    think: &["think", "believe", "guess", "suppose", "feel", "reckon"],
    breakers: &["i", "we"],
    post_negations: &[
        "not needed", "not necessary", "not required", "no thanks", "no thank you",
        "is not needed", "isnt needed", "isnt necessary", "unnecessary", "not now", "no need",
    ],
    past: &[
        "yesterday", "last week", "last time", "last month", "last night", "last year",
        "the other day", "ago", "already", "earlier", "previously", "spoke", "talked", "chatted",
        "spoken", "was talking", "was speaking", "was chatting", "were talking", "called",
        "emailed", "contacted", "was transferred", "was connected", "got transferred",
        "got connected", "been transferred", "been connected", "had a call", "had a chat",
        "had a conversation", "got a call",
    ],
    relative: &["i", "who", "that", "which", "whom", "as", "from", "like", "you"],
    copulas: &[
        "i am", "im", "i m", "are you", "r u", "are u", "ru", "is this", "is it", "is that",
        "am i talking to", "am i talking with", "am i chatting with", "am i chatting to",
        "am i speaking to", "am i speaking with", "you are", "youre", "you re", "u r", "ur",
        "are we", "as a", "as an", "talk like", "sound like", "act like", "behave like",
        "write like", "look like", "just like", "be", "become", "being", "pretend to be",
        "i am also", "im also", "i m also", "i am just", "im just",
    ],
    possessives: &["my", "our", "his", "her", "their", "mine", "ours"],
    clause_breaks: &[
        "but", "and", "because", "cause", "cuz", "since", "though", "although", "however",
        "otherwise", "so", "then", "also", "btw", "anyway",
    ],
    bots: &[
        "bot", "bots", "chatbot", "chatbots", "robot", "robots", "machine", "machines", "ai",
        "computer", "virtual assistant", "virtual agent", "algorithm", "automated system",
    ],
    interjections: &[],
    after_modifiers: &["s"],
    infinitive_endings: &[],
};

#[rustfmt::skip]
const DE: LangSpec = LangSpec {
    code: "de",
    persons: &[
        "Mensch", "Menschen", "echter Mensch", "Person", "Personen", "Mitarbeiter",
        "Mitarbeiterin", "Mitarbeitern", "Mitarbeitende", "Mitarbeitenden", "Berater",
        "Beraterin", "Beratern", "Kundenberater", "Kundenberaterin", "Sachbearbeiter",
        "Sachbearbeiterin", "Ansprechpartner", "Ansprechpartnerin", "Agent", "Agenten", "Agentin",
        "Betreuer", "Betreuerin", "Kundenbetreuer", "Kundenbetreuerin", "Vorgesetzten",
        "Vorgesetzter", "Chef", "Chefin", "Zuständigen", "Verantwortlichen", "Operator",
        "Servicekraft",
    ],
    suffixes: &["mitarbeiter", "mitarbeiterin", "mitarbeitern"],
    depts: &[
        "Kundenservice", "Kundendienst", "Kunden-Service", "Support", "Supportteam",
        "Support-Team", "Serviceteam", "Service-Team", "Hotline", "Live-Chat", "Livechat",
        "technischen Support", "Helpdesk", "Servicecenter", "jemandem vom Support",
        "jemanden vom Support", "jemand vom Support", "jemandem vom Kundenservice",
        "jemanden vom Kundenservice", "jemand vom Kundenservice", "jemandem aus dem Team",
        "jemand Echtes", "jemanden Echtes", "jemandem Echten",
    ],
    pronouns: &[
        "jemand", "jemanden", "jemandem", "irgendwer", "irgendjemand", "irgendjemanden",
        "irgendjemandem",
    ],
    direct: &[
        "Rückruf", "Rückrufbitte", "ruf mich an", "ruf mich zurück", "rufen Sie mich an",
        "rufen Sie mich zurück", "beraten lassen", "ist da jemand", "ist jemand da",
        "verbinden Sie mich", "verbinde mich", "bitte weiterleiten", "leiten Sie mich weiter",
        "stellen Sie mich durch", "mich bitte verbinden", "mich zurückrufen", "mich anrufen",
        "mich bitte zurückrufen", "mich bitte anrufen",
    ],
    contact: &[
        "sprechen", "reden", "chatten", "schreiben", "verbinden", "verbinde", "weiterleiten",
        "durchstellen", "kontaktieren", "erreichen", "erreiche", "in Kontakt", "anrufen",
        "zurückrufen", "telefonieren", "übergeben", "holen", "hol mir", "holt mir", "sprech",
        "quatschen", "unterhalten", "Kontakt zu", "Kontakt mit", "zu sprechen", "leiten Sie mich",
        "leite mich", "stell mich durch",
    ],
    participles: &["verbunden", "weitergeleitet", "durchgestellt"],
    desire: &[
        "möchte", "moechte", "will", "wollen", "würde gerne", "würde gern", "hätte gern",
        "hätte gerne", "haette gern", "haette gerne", "brauche", "bräuchte", "benötige",
        "kann ich", "könnte ich", "koennte ich", "darf ich", "können Sie", "könnten Sie",
        "koennen Sie", "kannst du", "gibt es", "gib mir", "geben Sie mir", "bitte", "wo ist",
        "wie erreiche ich", "verlange", "fordere", "Hilfe von", "ich will",
    ],
    post: &[
        "verfügbar", "erreichbar", "online", "da", "helfen", "übernehmen", "zurückrufen",
        "anrufen", "bitte", "bekommen", "kriegen", "haben", "sehen", "treffen",
    ],
    verb_final: true,
    linkers: &[
        "mit", "einem", "einen", "einer", "ein", "eine", "nem", "nen", "ner", "dem", "den", "der",
        "die", "das", "zu", "zum", "zur", "bitte", "mal", "doch", "gerne", "gern", "ich", "mir",
        "mich", "uns", "jetzt", "sofort", "echten", "echter", "echte", "echtem", "realen",
        "richtigen", "richtiger", "lebenden", "menschlichen", "menschlicher", "kurz", "direkt",
        "ihrem", "ihren", "ihrer", "ihre", "eurem", "euren", "eure", "von", "vom", "aus", "Sie",
        "du", "dir", "noch", "schnell", "endlich", "einfach", "lieber", "anderen", "an", "am",
        "irgendeinem", "kompetenten", "deutschsprachigen", "wieder", "möglich", "hier", "auch",
        "vielleicht", "überhaupt", "bei", "euch", "oder",
    ],
    fillers: &[
        "bitte", "jetzt", "sofort", "einen", "einem", "ein", "eine", "echten", "echter", "hallo",
        "hi", "hey", "danke", "nen", "mal", "schnell", "dringend", "gerne", "oder", "und", "den",
        "die", "der", "echte", "please", "ok", "okay", "ja", "nochmal",
    ],
    polite: &["bitte", "sofort", "jetzt", "danke", "dringend", "please"],
    negations: &[
        "nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "ohne", "statt",
        "anstatt", "auf keinen Fall", "niemand",
    ],
    weak_negations: &["nein"],
    weak_continuations: &["danke"],
    transparent: &[
        "möchte", "will", "brauche", "muss", "mit", "einem", "einen", "ein", "eine", "dem", "den",
        "bitte", "wirklich", "unbedingt", "extra", "nötig", "noetig", "zu", "so", "gerade", "mehr",
        "jetzt", "wieder",
    ],
    think: &["glaube", "denke", "finde"],
    breakers: &["ich", "wir"],
    post_negations: &[
        "nicht nötig", "nicht noetig", "nicht notwendig", "nicht erforderlich", "unnötig",
        "nicht gebraucht", "nein danke", "brauche ich nicht", "brauch ich nicht",
    ],
    past: &[
        "gestern", "vorgestern", "letzte Woche", "letzten", "letztes Mal", "letzte Mal", "bereits",
        "schon", "vorhin", "neulich", "damals", "gesprochen", "geredet", "gechattet",
        "telefoniert", "geschrieben", "wurde weitergeleitet", "vor einer Woche",
        "vor zwei Tagen", "vor ein paar Tagen",
    ],
    relative: &["der", "die", "den", "dem", "wie", "von"],
    copulas: &[
        "ich bin", "bin ich", "bist du", "sind Sie", "ist das", "ist es", "ist dies",
        "spreche ich mit", "rede ich mit", "chatte ich mit", "schreibe ich mit", "du bist",
        "Sie sind", "als", "wie ein", "wie eine", "sein",
    ],
    possessives: &[
        "mein", "meine", "meinem", "meinen", "meiner", "meines", "unser", "unsere", "unserem",
        "unseren", "unserer", "seinem", "seinen", "seiner",
    ],
    clause_breaks: &["aber", "und", "weil", "denn", "sondern", "obwohl", "dann", "sonst", "also"],
    bots: &[
        "Bot", "Bots", "Chatbot", "Roboter", "Maschine", "Computer", "KI", "Automat",
        "künstliche Intelligenz", "virtueller Assistent",
    ],
    interjections: &["Mensch"],
    after_modifiers: &[],
    infinitive_endings: &["en", "ern", "eln"],
};

#[rustfmt::skip]
const FR: LangSpec = LangSpec {
    code: "fr",
    persons: &[
        "humain", "humains", "être humain", "êtres humains", "personne", "personnes",
        "vraie personne", "vrai personne", "personne réelle", "conseiller", "conseillère",
        "conseillers", "conseillères", "agent", "agents", "opérateur", "opérateurs", "opératrice",
        "interlocuteur", "interlocutrice", "technicien", "technicienne", "responsable",
        "supérieur", "manager", "employé", "employée", "chargé de clientèle",
        "chargée de clientèle", "vendeur", "vendeuse", "commercial", "assistant humain",
        "quelqu'un de réel",
    ],
    suffixes: &[],
    depts: &[
        "service client", "service clients", "service clientèle", "SAV", "service après-vente",
        "hotline", "service technique", "support technique", "chat en direct", "personnel",
        "quelqu'un du service client", "quelqu'un du support", "quelqu'un de votre équipe",
        "quelqu'un de chez vous",
    ],
    pronouns: &["quelqu'un", "quelquun", "qqn", "qqun", "équipe", "support", "assistance"],
    direct: &[
        "rappelez-moi", "appelez-moi", "rappelle-moi", "y a-t-il quelqu'un",
        "il y a quelqu'un", "y a quelqu'un", "mettez-moi en relation", "transférez-moi",
        "transfère-moi", "passez-moi quelqu'un", "me rappeler", "m'appeler",
    ],
    contact: &[
        "parler", "discuter", "causer", "mettre en relation", "mettez-moi en relation",
        "mets-moi en relation", "en relation", "mettre en contact", "en contact", "passer",
        "me passer", "passez-moi", "passe-moi", "transférer", "transférez-moi", "rediriger",
        "redirigez-moi", "joindre", "contacter", "échanger", "chatter", "appeler", "rappeler",
        "m'adresser", "communiquer",
    ],
    participles: &["transféré", "transférée", "redirigé", "mis en relation", "mise en relation"],
    desire: &[
        "veux", "voudrais", "aimerais", "souhaite", "souhaiterais", "besoin", "puis-je",
        "je peux", "pourrais-je", "pouvez-vous", "peux-tu", "donnez-moi", "il me faut",
        "demande", "exige", "svp", "stp", "s'il vous plaît", "s'il te plaît", "y a-t-il",
        "il y a", "avez-vous", "où est", "obtenir", "avoir",
    ],
    post: &[
        "disponible", "dispo", "en ligne", "m'aider", "me rappeler", "me contacter",
        "me répondre", "svp", "s'il vous plaît", "stp",
    ],
    verb_final: false,
    linkers: &[
        "à", "au", "aux", "avec", "un", "une", "le", "la", "les", "l'", "d'", "de", "du", "des",
        "me", "m'", "moi", "je", "j'", "vous", "tu", "te", "t", "svp", "stp", "vrai", "vraie",
        "réel", "réelle", "directement", "tout de suite", "maintenant", "rapidement", "plutôt",
        "peux", "pourrais", "puis", "est", "ce", "que", "votre", "vos", "ton", "autre", "seulement",
        "juste", "qu'", "bien", "en", "direct", "client", "clientèle", "chez", "s'il", "plaît",
        "être", "pouvoir", "enfin", "vite", "ici", "ou", "peut", "pourrait", "pourriez",
    ],
    fillers: &[
        "svp", "stp", "s'il vous plaît", "te", "un", "une", "merci", "bonjour", "salut",
        "maintenant", "vite", "rapidement", "urgent", "vrai", "vraie", "le", "la", "l'", "ou",
        "et", "oui", "allô", "please", "ok", "d'accord",
    ],
    polite: &["svp", "stp", "s", "merci", "maintenant", "vite", "please", "urgent"],
    negations: &[
        "ne", "n'", "pas", "jamais", "sans", "aucun", "aucune", "plutôt que", "au lieu de",
        "au lieu d'",
    ],
    weak_negations: &["non"],
    weak_continuations: &["merci"],
    transparent: &[
        "veux", "voudrais", "souhaite", "aimerais", "ai", "a", "besoin", "d'", "de", "un", "une",
        "l'", "le", "la", "pas", "faut", "me", "m'", "parler", "être", "vraiment", "forcément",
        "nécessaire", "que", "qu'", "y", "en", "plus", "vous", "du", "des", "avec", "tout",
    ],
    think: &["pense", "crois", "trouve"],
    breakers: &["je", "j", "on", "nous"],
    post_negations: &[
        "pas besoin", "pas nécessaire", "inutile", "non merci", "n'est pas nécessaire",
        "pas la peine", "pas utile",
    ],
    past: &[
        "hier", "avant-hier", "déjà", "la semaine dernière", "semaine dernière", "dernière",
        "dernier", "l'autre jour", "ai parlé", "ai discuté", "ai eu", "ai été", "avons parlé",
        "ai appelé", "ai contacté", "ai demandé", "étais", "était",
    ],
    relative: &["que", "qui", "comme", "de", "d"],
    copulas: &[
        "je suis", "suis-je", "es-tu", "êtes-vous", "vous êtes", "tu es", "c'est", "est-ce",
        "comme un", "comme une", "en tant que", "je parle à", "je parle avec", "je discute avec",
        "être",
    ],
    possessives: &["mon", "ma", "mes", "notre", "nos", "son", "sa", "ses", "leur", "leurs"],
    clause_breaks: &["mais", "et", "car", "parce", "puisque", "sinon", "alors", "donc"],
    bots: &[
        "bot", "bots", "robot", "robots", "chatbot", "machine", "IA", "intelligence artificielle",
        "ordinateur", "automate", "assistant virtuel",
    ],
    interjections: &[],
    after_modifiers: &[],
    infinitive_endings: &[],
};

#[rustfmt::skip]
const ES: LangSpec = LangSpec {
    code: "es",
    persons: &[
        "persona", "personas", "persona real", "ser humano", "seres humanos", "humano",
        "humanos", "humana", "agente", "agentes", "asesor", "asesora", "asesores", "operador",
        "operadora", "operadores", "ejecutivo", "ejecutiva", "representante", "representantes",
        "supervisor", "supervisora", "encargado", "encargada", "gerente", "empleado", "empleada",
        "especialista", "asistente humano", "trabajador", "consultor",
    ],
    suffixes: &[],
    depts: &[
        "servicio al cliente", "atención al cliente", "servicio de atención al cliente",
        "soporte técnico", "equipo de soporte", "servicio técnico", "call center",
        "chat en vivo", "alguien de soporte", "alguien del equipo",
        "alguien de atención al cliente",
        "alguien del servicio al cliente", "alguien real", "alguien de verdad",
    ],
    pronouns: &["alguien", "equipo", "soporte"],
    direct: &[
        "llámame", "llámenme", "me pueden llamar", "me puede llamar", "hay alguien",
        "hay alguien ahí", "comuníqueme", "comunícame", "transfiéreme", "derívame",
        "páseme con", "pásame con", "llamarme", "me llaman", "me llamen",
    ],
    contact: &[
        "hablar", "charlar", "chatear", "conversar", "comunicar", "comunicarme", "comunicarse",
        "comuníqueme", "comunícame", "contactar", "contactarme", "ponerme en contacto", "ponme con",
        "póngame con", "pásame", "páseme", "pasar", "pasarme", "me pasas", "me pasa",
        "me puede pasar", "me puedes pasar", "transferir", "transfiéreme", "transfiera",
        "transferirme", "conectar", "conectarme", "conéctame", "conécteme", "derivar", "derívame",
        "derivarme", "escalar", "llamar", "atender", "atienda", "atiendan", "hablarle",
    ],
    participles: &[
        "transferido", "transferida", "comunicado", "conectado", "derivado", "atendido", "atendida",
    ],
    desire: &[
        "quiero", "quisiera", "necesito", "me gustaría", "puedo", "podría", "me pueden",
        "me puede", "se puede", "por favor", "porfa", "porfavor", "hay", "deme", "dame",
        "prefiero", "solicito", "pido", "exijo", "dónde está", "ayuda de", "quiero que",
        "necesito que", "cómo hablo", "cómo puedo", "cómo me comunico",
    ],
    post: &[
        "disponible", "en línea", "por favor", "que me atienda", "me atienda", "me llame",
        "me ayude", "me contacte", "me atiende", "ayudarme", "me puede ayudar", "me pueda ayudar",
    ],
    verb_final: false,
    linkers: &[
        "con", "a", "al", "un", "una", "el", "la", "los", "las", "me", "por", "favor", "real",
        "de verdad", "verdadero", "verdadera", "ahora", "ya", "yo", "que", "le", "lo", "se",
        "directamente", "rápido", "pronto", "otra", "otro", "algún", "alguna", "ustedes", "su",
        "sus", "del", "de", "ventas", "técnico", "ser", "poder", "tu", "usted", "mejor", "solo",
        "inmediatamente", "o", "puede", "pueda",
    ],
    fillers: &[
        "por", "favor", "porfa", "porfavor", "pf", "un", "una", "ahora", "ya", "hola", "gracias",
        "urgente", "rápido", "real", "de verdad", "o", "y", "el", "la", "buenas", "oiga", "please",
        "ok", "sí",
    ],
    polite: &["por", "porfa", "porfavor", "pf", "ya", "ahora", "urgente", "gracias", "please"],
    negations: &[
        "no", "nunca", "sin", "ningún", "ninguna", "ninguno", "en vez de", "en lugar de", "jamás",
        "tampoco", "ni", "nadie",
    ],
    weak_negations: &[],
    weak_continuations: &[],
    transparent: &[
        "quiero", "necesito", "quisiera", "hace", "falta", "es", "necesario", "a", "con", "un",
        "una", "el", "la", "me", "que", "lo", "hablar", "ser", "de", "para", "realmente", "más",
        "le", "se", "tengo", "hay",
    ],
    think: &["creo", "pienso"],
    breakers: &["yo"],
    post_negations: &[
        "no es necesario", "no hace falta", "no gracias", "innecesario", "no se necesita",
    ],
    past: &[
        "ayer", "anteayer", "la semana pasada", "semana pasada", "pasada", "el otro día",
        "ya hablé", "hablé", "he hablado", "hablado", "había hablado", "me atendió", "atendió",
        "me atendieron", "hace un rato", "hace dos días", "hace unos días", "previamente",
        "anteriormente",
    ],
    relative: &["que", "como", "de", "del", "quien"],
    copulas: &[
        "soy", "eres", "es usted", "usted es", "estoy hablando con", "estoy chateando con",
        "es un", "es una", "como un", "como una", "ser", "sos",
    ],
    possessives: &["mi", "mis", "nuestro", "nuestra", "nuestros", "nuestras"],
    clause_breaks: &["pero", "y", "porque", "sino", "aunque", "entonces", "e"],
    bots: &[
        "bot", "bots", "robot", "chatbot", "máquina", "IA", "inteligencia artificial",
        "computadora", "ordenador", "contestadora", "asistente virtual",
    ],
    interjections: &[],
    after_modifiers: &[],
    infinitive_endings: &[],
};

#[rustfmt::skip]
const PT: LangSpec = LangSpec {
    code: "pt",
    persons: &[
        "humano", "humanos", "humana", "pessoa", "pessoas", "pessoa real", "ser humano",
        "atendente", "atendentes", "agente", "agentes", "operador", "operadora", "consultor",
        "consultora", "consultores", "assistente humano", "funcionário", "funcionária",
        "colaborador", "colaboradora", "gerente", "supervisor", "supervisora", "representante",
        "especialista", "técnico",
    ],
    suffixes: &[],
    depts: &[
        "atendimento humano", "atendimento ao cliente", "serviço de atendimento", "SAC",
        "suporte técnico", "equipe de suporte", "central de atendimento", "alguém do suporte",
        "alguém do atendimento", "alguém da equipe", "alguém de verdade", "alguém real",
        "chat ao vivo",
    ],
    pronouns: &["alguém", "equipe", "time", "suporte", "atendimento"],
    direct: &[
        "me liga", "me liguem", "me ligue", "tem alguém aí", "alguém aí", "alguém na linha",
        "me transfere", "me transfira", "me encaminha", "me encaminhe", "me ligar", "me ligarem",
        "retornar a ligação",
    ],
    contact: &[
        "falar", "conversar", "bater papo", "me passa", "me passe", "passar", "passa", "passe",
        "transferir", "transfere", "transfira", "conectar", "me conecta", "me coloca", "colocar",
        "encaminhar", "encaminha", "encaminhe", "contatar", "contactar", "entrar em contato",
        "em contato", "ligar", "me ligar", "atender", "chamar",
    ],
    participles: &[
        "transferido", "transferida", "atendido", "atendida", "encaminhado", "conectado",
    ],
    desire: &[
        "quero", "queria", "gostaria", "preciso", "posso", "poderia", "pode me", "podem me",
        "por favor", "pfv", "pf", "pfvr", "tem como", "tem", "existe", "me dá", "me dê", "exijo",
        "solicito", "peço", "cadê", "quero que", "preciso que", "será que", "como falo",
        "como faço para", "como posso",
    ],
    post: &[
        "disponível", "online", "por favor", "pfv", "me atender", "me ajudar", "me ligar",
        "me ligue", "me atenda",
    ],
    verb_final: false,
    linkers: &[
        "com", "um", "uma", "o", "a", "os", "as", "ao", "para", "pra", "pro", "me", "eu", "de",
        "do", "da", "real", "de verdade", "verdadeiro", "agora", "já", "logo", "por", "favor",
        "seu",
        "sua", "vocês", "você", "vc", "algum", "alguma", "outro", "outra", "diretamente", "rápido",
        "ser", "no", "na", "cliente", "mais", "só", "urgente", "pelo", "pela", "possível", "ou",
        "pode", "possa",
    ],
    fillers: &[
        "por", "favor", "pfv", "pf", "pfvr", "um", "uma", "agora", "já", "oi", "olá", "obrigado",
        "obrigada", "urgente", "rápido", "real", "de verdade", "ou", "e", "o", "a", "please", "ok",
        "sim",
    ],
    polite: &[
        "por", "pfv", "pf", "pfvr", "agora", "já", "urgente", "obrigado", "obrigada", "please",
    ],
    negations: &[
        "não", "nunca", "sem", "nenhum", "nenhuma", "em vez de", "ao invés de", "jamais", "nem",
        "ninguém",
    ],
    weak_negations: &[],
    weak_continuations: &[],
    transparent: &[
        "quero", "preciso", "queria", "gostaria", "é", "precisa", "necessário", "de", "um", "uma",
        "com", "falar", "o", "a", "me", "ser", "realmente", "tenho", "há", "para", "pra",
    ],
    think: &["acho", "penso", "creio"],
    breakers: &["eu"],
    post_negations: &[
        "não precisa", "não é necessário", "desnecessário", "não obrigado", "não obrigada",
    ],
    past: &[
        "ontem", "anteontem", "semana passada", "passada", "já falei", "falei", "conversei",
        "tinha falado", "outro dia", "mais cedo", "anteriormente", "fui atendido", "fui atendida",
        "fui transferido", "fui transferida", "liguei", "me atendeu", "falou",
    ],
    relative: &["que", "como", "de", "do", "da", "quem"],
    copulas: &[
        "sou", "você é", "vc é", "você eh", "estou falando com", "tô falando com",
        "tou falando com", "como um", "como uma", "ser",
    ],
    possessives: &["meu", "minha", "meus", "minhas", "nosso", "nossa", "nossos", "nossas"],
    clause_breaks: &["mas", "porque", "pois", "porém", "então"],
    bots: &[
        "bot", "robô", "robôs", "chatbot", "máquina", "IA", "inteligência artificial",
        "computador", "assistente virtual",
    ],
    interjections: &[],
    after_modifiers: &[],
    infinitive_endings: &[],
};

#[rustfmt::skip]
const NL: LangSpec = LangSpec {
    code: "nl",
    persons: &[
        "mens", "mensen", "echt mens", "echte persoon", "echt persoon", "persoon", "personen",
        "medewerker", "medewerkers", "medewerkster", "agent", "operator", "adviseur", "adviseurs",
        "consulent", "vertegenwoordiger", "manager", "leidinggevende", "supervisor",
        "behandelaar", "levend persoon",
    ],
    suffixes: &["medewerker", "medewerkers", "medewerkster"],
    depts: &[
        "klantenservice", "klanten service", "helpdesk", "servicedesk", "supportteam",
        "support team", "klantendienst", "klantenondersteuning", "live chat", "iemand van jullie",
        "iemand van de klantenservice", "iemand van support", "iemand van het team",
        "iemand echts",
    ],
    pronouns: &["iemand", "team", "support"],
    direct: &[
        "bel me terug", "bel mij terug", "bel me", "bel mij", "terugbellen", "is er iemand",
        "iemand daar", "verbind me door", "verbind mij door", "doorverbinden", "mij terugbellen",
        "me terugbellen", "mij bellen", "me bellen",
    ],
    contact: &[
        "spreken", "praten", "chatten", "in contact", "contact met", "verbinden", "verbind",
        "doorverbinden", "doorschakelen", "doorsturen", "bellen", "terugbellen", "bereiken",
        "te woord staan", "overdragen", "te spreken", "te praten",
    ],
    participles: &["doorverbonden", "doorgeschakeld", "doorgestuurd", "verbonden"],
    desire: &[
        "wil", "ik wil", "wil graag", "graag", "zou graag", "zou ik", "kan ik", "mag ik",
        "kunt u", "kun je", "kan je", "nodig", "geef me", "geef mij", "alstublieft", "aub",
        "alsjeblieft", "ajb", "is er", "zijn er", "waar is", "hoe bereik ik", "hoe krijg ik",
        "krijgen", "vraag om", "eis", "liefst",
    ],
    post: &[
        "spreken", "praten", "beschikbaar", "online", "nodig", "aan de lijn", "bellen",
        "terugbellen", "helpen", "chatten", "te spreken", "krijgen", "aub", "alstublieft",
        "hebben",
    ],
    verb_final: true,
    linkers: &[
        "met", "een", "de", "het", "n", "ik", "me", "mij", "u", "je", "jij", "graag", "even", "nu",
        "direct", "meteen", "echt", "echte", "alstublieft", "aub", "jullie", "uw", "van", "andere",
        "kan", "kunnen", "mag", "wel", "toch", "liever", "te", "nog", "heb", "hebben", "snel",
        "zo", "ook", "eens", "gewoon", "bij", "of",
    ],
    fillers: &[
        "alstublieft", "aub", "alsjeblieft", "ajb", "graag", "een", "nu", "direct", "meteen",
        "hallo", "hoi", "dank", "bedankt", "dringend", "echte", "echt", "of", "en", "de", "het",
        "please", "ok", "ja",
    ],
    polite: &[
        "alstublieft", "aub", "alsjeblieft", "ajb", "graag", "nu", "direct", "meteen", "please",
        "dringend",
    ],
    negations: &["niet", "geen", "nooit", "zonder", "in plaats van", "hoeft", "niemand"],
    weak_negations: &["nee"],
    weak_continuations: &["dank", "bedankt"],
    transparent: &[
        "wil", "hoef", "hoeft", "nodig", "met", "een", "de", "het", "te", "echt", "perse", "per se",
        "heb", "meer", "graag",
    ],
    think: &["denk", "geloof", "vind"],
    breakers: &["ik", "wij", "we"],
    post_negations: &[
        "niet nodig", "is niet nodig", "hoeft niet", "nee dank", "nee bedankt", "onnodig",
    ],
    past: &[
        "gisteren", "eergisteren", "vorige week", "vorige", "vorige keer", "laatst", "al",
        "eerder", "gesproken", "gepraat", "gechat", "gebeld", "sprak", "werd doorverbonden",
        "daarnet", "zojuist",
    ],
    relative: &["die", "dat", "als", "van", "wie"],
    copulas: &[
        "ik ben", "ben ik", "ben je", "bent u", "ben jij", "is dit", "is het", "jij bent",
        "u bent", "je bent", "spreek ik met", "praat ik met", "chat ik met", "als", "zoals",
        "net als", "zijn",
    ],
    possessives: &["mijn", "m", "ons", "onze", "haar", "hun"],
    clause_breaks: &["maar", "en", "omdat", "want", "dus", "anders"],
    bots: &[
        "bot", "robot", "chatbot", "machine", "computer", "AI", "kunstmatige intelligentie",
        "virtuele assistent",
    ],
    interjections: &[],
    after_modifiers: &[],
    infinitive_endings: &["en"],
};

#[rustfmt::skip]
const IT: LangSpec = LangSpec {
    code: "it",
    persons: &[
        "operatore", "operatori", "operatrice", "operatrici", "persona", "persone",
        "persona reale", "persona vera", "essere umano", "umano", "umani", "agente", "agenti",
        "consulente", "consulenti", "addetto", "addetta", "rappresentante", "impiegato",
        "impiegata", "dipendente", "tecnico", "supervisore", "responsabile", "assistente umano",
    ],
    suffixes: &[],
    depts: &[
        "servizio clienti", "assistenza clienti", "supporto tecnico", "customer care",
        "call center", "chat dal vivo", "qualcuno del servizio clienti",
        "qualcuno dell'assistenza", "qualcuno del supporto", "qualcuno di reale",
        "qualcuno in carne e ossa",
    ],
    pronouns: &["qualcuno", "assistenza", "supporto"],
    direct: &[
        "richiamatemi", "chiamatemi", "mi richiamate", "mi richiami", "mi chiamate",
        "c'è qualcuno", "ce qualcuno", "passatemi qualcuno", "mettetemi in contatto", "richiamarmi",
        "chiamarmi",
    ],
    contact: &[
        "parlare", "chattare", "conversare", "mettere in contatto", "mettermi in contatto",
        "mettetemi in contatto", "mi mettete in contatto", "mi mette in contatto",
        "mi metta in contatto", "mettimi in contatto", "in contatto", "contattare", "passami",
        "passatemi", "mi passi",
        "mi passa", "mi passate", "passare", "trasferire", "trasferiscimi", "trasferitemi",
        "collegare", "collegami", "collegatemi", "chiamare", "richiamare", "sentire", "scrivere",
    ],
    participles: &["trasferito", "trasferita", "collegato", "collegata"],
    desire: &[
        "voglio", "vorrei", "ho bisogno", "bisogno", "mi serve", "serve", "posso", "potrei",
        "può", "potete", "potreste", "per favore", "per piacere", "perfavore", "pf", "c'è",
        "ci sono", "datemi", "dammi", "mi dia", "chiedo", "esigo", "preferisco", "aiuto da",
        "è possibile", "si può",
    ],
    post: &[
        "disponibile", "disponibili", "online", "per favore", "mi aiuti", "mi chiami",
        "mi richiami", "mi contatti", "in linea", "aiutarmi", "mi può aiutare",
    ],
    verb_final: false,
    linkers: &[
        "con", "un", "una", "uno", "l'", "il", "lo", "la", "i", "gli", "le", "a", "ad", "al",
        "allo",
        "alla", "mi", "me", "io", "per", "favore", "piacere", "vero", "vera", "reale", "ora",
        "adesso", "subito", "direttamente", "vostro", "vostra", "vostri", "suo", "sua", "qualche",
        "altro", "altra", "di", "del", "dell'", "della", "poter", "potere", "possibile", "è",
        "gentilmente", "cortesemente", "solo", "finalmente", "davvero", "o", "può",
    ],
    fillers: &[
        "per", "favore", "piacere", "perfavore", "pf", "un", "una", "ora", "adesso", "subito",
        "ciao", "salve", "grazie", "urgente", "vero", "vera", "reale", "o", "e", "l'", "il", "la",
        "buongiorno", "please", "ok", "sì", "gentilmente", "cortesemente",
    ],
    polite: &[
        "per", "perfavore", "pf", "grazie", "subito", "ora", "adesso", "urgente", "please",
        "gentilmente", "cortesemente",
    ],
    negations: &["non", "nessun", "nessuno", "nessuna", "senza", "mai", "invece di", "anziché"],
    weak_negations: &["no"],
    weak_continuations: &["grazie"],
    transparent: &[
        "voglio", "vorrei", "ho", "bisogno", "di", "serve", "è", "c'", "necessario", "un", "una",
        "con", "parlare", "mi", "essere", "davvero", "proprio", "che", "più", "l'", "il", "lo",
        "la",
        "d'", "per", "forza", "affatto",
    ],
    think: &["penso", "credo"],
    breakers: &["io"],
    post_negations: &[
        "non serve", "non necessario", "non è necessario", "no grazie", "non c'è bisogno",
        "inutile", "non mi serve",
    ],
    past: &[
        "ieri", "l'altro ieri", "settimana scorsa", "scorsa", "scorso", "già", "ho parlato",
        "ho già parlato", "parlato", "ho chiamato", "chiamato", "ho chattato", "chattato",
        "l'altro giorno", "mi ha risposto", "mi hanno passato",
    ],
    relative: &["che", "come", "di", "cui"],
    copulas: &[
        "io sono", "sono un", "sono una", "sei", "sei un", "sei una", "lei è",
        "sto parlando con", "sto chattando con", "sto scrivendo con", "come un", "come una",
        "essere",
    ],
    possessives: &["mio", "mia", "miei", "mie", "nostro", "nostra", "nostri", "nostre"],
    clause_breaks: &["ma", "perché", "però", "quindi", "allora"],
    bots: &[
        "bot", "robot", "chatbot", "macchina", "IA", "intelligenza artificiale", "computer",
        "assistente virtuale",
    ],
    interjections: &[],
    after_modifiers: &[],
    infinitive_endings: &[],
};

#[rustfmt::skip]
const FI: LangSpec = LangSpec {
    code: "fi",
    persons: &[
        "ihminen", "ihmisen", "ihmistä", "ihmiselle", "ihmiseen", "ihmisellä", "ihmiset",
        "ihmisiä", "oikea ihminen", "henkilö", "henkilön", "henkilöä", "henkilölle",
        "asiakaspalvelija", "asiakaspalvelijan", "asiakaspalvelijaa", "asiakaspalvelijalle",
        "asiakaspalvelijaan", "asiakaspalvelijat", "asiakaspalvelijoita",
        "asiakaspalvelijoiden", "virkailija", "virkailijan", "virkailijaa", "virkailijalle",
        "työntekijä", "työntekijän", "työntekijää", "työntekijälle", "agentti", "agentin",
        "agenttia", "agentille", "asiantuntija", "asiantuntijan", "asiantuntijaa",
        "asiantuntijalle", "myyjä", "myyjän", "myyjälle", "esimies", "esimiehen", "esimiehelle",
        "neuvoja", "neuvojan", "neuvojalle",
    ],
    suffixes: &[],
    depts: &[
        "asiakaspalvelu", "asiakaspalvelun", "asiakaspalveluun", "asiakaspalvelulle",
        "asiakastuki", "asiakastuen", "asiakastukeen", "tukihenkilö", "tukihenkilön",
        "tukihenkilölle", "live chat", "joku asiakaspalvelusta", "jonkun asiakaspalvelusta",
    ],
    pronouns: &[
        "joku", "jonkun", "jollekin", "jonkin", "joku oikea", "tuki", "tuen", "tukeen", "kenenkään",
        "ketään",
    ],
    direct: &[
        "soittakaa minulle", "soita minulle", "soittopyyntö", "onko siellä ketään",
        "onko kukaan paikalla", "onko ketään paikalla", "yhdistäkää minut", "siirtäkää minut",
        "yhdistä minut", "siirrä minut", "ohjatkaa minut", "soittaa minulle", "soittamaan minulle",
        "soittaisitteko minulle",
    ],
    contact: &[
        "puhua", "puhumaan", "jutella", "juttelemaan", "keskustella", "keskustelemaan",
        "chattailla", "yhdistä", "yhdistää", "yhdistäkää", "yhdistäisittekö", "siirrä", "siirtää",
        "siirtäkää", "siirtäisittekö", "ohjaa", "ohjatkaa", "ottaa yhteyttä", "yhteyttä",
        "soittaa", "soittakaa", "soita", "tavoittaa", "puheille", "kirjoittaa",
    ],
    participles: &["siirretty", "yhdistetty", "siirretyksi"],
    desire: &[
        "haluan", "haluaisin", "haluisin", "tarvitsen", "tarvitsisin", "voinko", "voisinko",
        "saisinko", "saanko", "voisitteko", "voitko", "voiko", "kiitos", "ole hyvä",
        "olkaa hyvä", "missä on", "antakaa", "anna", "pyydän", "vaadin", "saako",
    ],
    post: &[
        "paikalla", "saatavilla", "linjoilla", "kiitos", "puhumaan", "vastaamaan", "auttaa",
        "auttamaan", "soittaa", "yhteyttä",
    ],
    verb_final: true,
    linkers: &[
        "kanssa", "minut", "minua", "minulle", "minä", "mä", "oikea", "oikean", "oikealle",
        "oikeaan", "oikeasti", "nyt", "heti", "suoraan", "teidän", "jonkun", "jollekin",
        "kanssanne", "vaan", "mieluummin", "oikeaa", "elävän", "elävä", "voisin", "saada", "vain",
        "pian", "nopeasti", "tai",
    ],
    fillers: &[
        "kiitos", "ole hyvä", "olkaa hyvä", "nyt", "heti", "moi", "hei", "terve", "oikea",
        "oikean", "kiitti", "pliis", "please", "tai", "ja", "kiireellisesti", "ok",
    ],
    polite: &["kiitos", "nyt", "heti", "pliis", "please", "kiitti"],
    negations: &[
        "en", "et", "ei", "emme", "ette", "eivät", "älä", "älkää", "ilman", "sen sijaan", "kukaan",
    ],
    weak_negations: &[],
    weak_continuations: &[],
    transparent: &[
        "halua", "haluaisi", "tarvitse", "tarvitsisi", "tarvita", "puhua", "minä", "mä", "kanssa",
        "oikeastaan", "usko", "luule", "taida", "ole", "tarpeen", "välttämättä", "edes", "enää",
        "mitään",
    ],
    think: &["usko", "luule", "ajattele"],
    breakers: &[],
    post_negations: &[
        "ei tarvita", "ei tarvitse", "ei ole tarpeen", "ei kiitos", "tarpeeton", "ei tarpeen",
    ],
    past: &[
        "eilen", "toissapäivänä", "viime viikolla", "viime", "jo", "aiemmin", "aikaisemmin",
        "puhuin", "puhuimme", "olen puhunut", "puhunut", "juttelin", "keskustelin", "soitin",
        "olin", "siirrettiin", "viimeksi",
    ],
    relative: &["jonka", "joka", "jota", "kuin", "jolle"],
    copulas: &[
        "olen", "oletko", "olet", "olenko", "onko tämä", "onko se", "puhunko", "keskustelenko",
        "kuin", "olla", "oletteko", "olette",
    ],
    possessives: &["minun", "meidän", "hänen", "heidän"],
    clause_breaks: &["mutta", "ja", "koska", "sillä", "joten"],
    bots: &[
        "botti", "botin", "bottia", "botille", "robotti", "robotin", "robottia", "chatbot",
        "chatbotti", "chatbotin", "kone", "koneen", "koneelle", "konetta", "tekoäly",
        "tekoälyn", "tekoälyä", "automaatti",
    ],
    interjections: &[],
    after_modifiers: &[],
    infinitive_endings: &[],
};

#[rustfmt::skip]
const SV: LangSpec = LangSpec {
    code: "sv",
    persons: &[
        "människa", "människan", "människor", "riktig människa", "person", "personen",
        "personer", "riktig person", "levande person", "handläggare", "handläggaren",
        "medarbetare", "medarbetaren", "agent", "agenten", "operatör", "rådgivare",
        "rådgivaren", "kundrådgivare", "anställd", "anställda", "chef", "chefen", "tekniker",
        "säljare",
    ],
    suffixes: &["medarbetare", "handläggare", "rådgivare"],
    depts: &[
        "kundtjänst", "kundtjänsten", "kundservice", "kundservicen", "kundsupport",
        "kundsupporten", "personalen", "live chatt", "livechatt", "någon på kundtjänst",
        "någon från kundtjänst", "någon från er", "någon hos er", "någon från support",
        "någon på support",
    ],
    pronouns: &[
        "någon", "nån", "någon riktig", "någon levande", "support", "supporten", "personal",
    ],
    direct: &[
        "ring mig", "ring upp mig", "ring tillbaka", "ringa tillbaka", "är det någon där",
        "finns det någon där", "koppla mig vidare", "koppla vidare mig", "koppla mig",
        "skicka mig vidare", "ringa mig", "ringa upp mig",
    ],
    contact: &[
        "prata", "tala", "snacka", "chatta", "koppla", "koppla mig", "koppla vidare", "kopplas",
        "överföra", "överför", "skicka mig vidare", "slussa", "kontakta", "ring", "ringa",
        "komma i kontakt", "få kontakt", "få prata", "få tala", "skriva", "i kontakt",
    ],
    participles: &["kopplad", "kopplat", "överförd", "överfört"],
    desire: &[
        "vill", "jag vill", "skulle vilja", "kan jag", "får jag", "kan ni", "behöver", "behövs",
        "tack", "snälla", "ge mig", "finns det", "var är", "önskar", "begär", "vill ha",
        "hur når jag", "kan du",
    ],
    post: &[
        "tillgänglig", "tillgängliga", "ledig", "lediga", "online", "tack", "hjälpa mig",
        "ringa mig", "kontakta mig",
    ],
    verb_final: false,
    linkers: &[
        "med", "en", "ett", "till", "mig", "jag", "riktig", "riktigt", "riktiga", "levande",
        "mänsklig", "er", "era", "din", "ni", "nu", "direkt", "genast", "snabbt", "tack", "kan",
        "få", "annan", "vidare", "hellre", "hos", "bara", "ha", "på", "från", "gärna", "snälla",
        "eller",
    ],
    fillers: &[
        "tack", "snälla", "nu", "direkt", "hej", "hallå", "en", "ett", "riktig", "brådskande",
        "eller", "och", "please", "ok", "ja",
    ],
    polite: &["tack", "snälla", "nu", "direkt", "please", "brådskande"],
    negations: &["inte", "ej", "ingen", "inget", "inga", "aldrig", "utan", "istället för"],
    weak_negations: &["nej"],
    weak_continuations: &["tack"],
    transparent: &[
        "vill", "behöver", "behövs", "med", "en", "ett", "att", "prata", "tala", "verkligen",
        "egentligen", "ju", "nödvändigtvis", "få", "har", "mer",
    ],
    think: &["tror", "tycker"],
    breakers: &["jag", "vi"],
    post_negations: &["behövs inte", "inte nödvändigt", "nej tack", "onödigt", "inte nödvändig"],
    past: &[
        "igår", "i går", "förra veckan", "förra", "redan", "tidigare", "pratade", "talade",
        "chattade", "har pratat", "pratat", "talat", "ringde", "blev kopplad", "i förrgår",
        "senast", "sist",
    ],
    relative: &["som", "vilken"],
    copulas: &[
        "jag är", "är jag", "är du", "är ni", "är det", "du är", "pratar jag med",
        "chattar jag med", "talar jag med", "som en", "som ett", "vara",
    ],
    possessives: &["min", "mitt", "mina", "hans", "hennes", "deras", "vårt", "våra"],
    clause_breaks: &["men", "och", "eftersom", "så", "annars"],
    bots: &[
        "bot", "botten", "boten", "robot", "roboten", "chatbot", "chatbotten", "maskin", "maskinen",
        "AI", "dator", "datorn",
    ],
    interjections: &[],
    after_modifiers: &[],
    infinitive_endings: &[],
};

#[rustfmt::skip]
const PL: LangSpec = LangSpec {
    code: "pl",
    persons: &[
        "człowiek", "człowieka", "człowiekiem", "człowiekowi", "osoba", "osobę", "osoby",
        "osobie", "konsultant", "konsultanta", "konsultantem", "konsultantowi", "konsultantka",
        "konsultantkę", "konsultantki", "konsultantce", "pracownik", "pracownika",
        "pracownikiem", "pracownikowi", "doradca", "doradcy", "doradcę", "agent", "agenta",
        "agentem", "operator", "operatora", "operatorem", "specjalista", "specjalisty",
        "specjalistę", "kierownik", "kierownika", "kierownikiem", "przedstawiciel",
        "przedstawicielem", "przedstawiciela",
    ],
    suffixes: &[],
    depts: &[
        "obsługa klienta", "obsługą klienta", "obsługi klienta", "biuro obsługi klienta",
        "dział obsługi", "infolinia", "infolinię", "wsparcie techniczne", "ktoś z obsługi",
        "kimś z obsługi", "ktoś z supportu", "kimś z supportu", "ktoś z zespołu",
        "kimś z zespołu",
    ],
    pronouns: &[
        "ktoś", "kogoś", "kimś", "ktoś żywy", "kimś żywym", "ktoś prawdziwy", "obsługa",
        "obsługą", "obsługi", "wsparcie", "zespół", "support",
    ],
    direct: &[
        "zadzwońcie do mnie", "proszę o kontakt", "proszę o telefon", "oddzwońcie",
        "proszę oddzwonić", "jest tam ktoś", "czy jest ktoś", "przekieruj mnie", "połącz mnie",
        "połączcie mnie", "przełącz mnie", "przekierujcie mnie", "zadzwonić do mnie",
        "oddzwonić do mnie",
    ],
    contact: &[
        "rozmawiać", "porozmawiać", "rozmowy", "rozmowę", "pogadać", "gadać", "połącz",
        "połączyć", "połączcie", "połączenie", "połączenia", "przełącz", "przełączyć",
        "przekieruj", "przekierować", "przekierujcie", "kontakt", "skontaktować", "kontaktu",
        "zadzwonić", "zadzwońcie", "napisać", "pisać", "porozmawiam", "przekazać", "przekażcie",
    ],
    participles: &["połączony", "połączona", "przełączony", "przekierowany", "przekierowana"],
    desire: &[
        "chcę", "chciałbym", "chciałabym", "poproszę", "proszę", "czy mogę", "mogę", "można",
        "potrzebuję", "daj mi", "dajcie mi", "czy jest", "gdzie jest", "wymagam", "żądam",
        "wolałbym", "wolałabym", "proszę o",
    ],
    post: &[
        "dostępny", "dostępna", "dostępni", "online", "proszę", "poproszę", "zadzwonić",
        "oddzwonić", "pomóc",
    ],
    verb_final: true,
    linkers: &[
        "z", "ze", "do", "mnie", "mi", "ja", "się", "jakimś", "jakąś", "jakiegoś", "prawdziwym",
        "prawdziwą", "prawdziwy", "żywym", "żywą", "żywy", "teraz", "natychmiast", "od", "waszym",
        "waszą", "waszego", "państwa", "pana", "czy", "bezpośrednio", "szybko", "innym", "tylko",
        "jak najszybciej", "wreszcie", "w końcu", "jest", "dostępny", "dostępna", "dostępni", "lub",
        "albo",
    ],
    fillers: &[
        "proszę", "poproszę", "teraz", "natychmiast", "szybko", "cześć", "dzień dobry", "hej",
        "dziękuję", "pilne", "pilnie", "prawdziwy", "żywy", "lub", "albo", "please", "ok", "tak",
    ],
    polite: &["proszę", "poproszę", "teraz", "natychmiast", "szybko", "pilnie", "please"],
    negations: &["nie", "bez", "żaden", "żadnego", "żadnej", "żadna", "nigdy", "zamiast", "nikt"],
    weak_negations: &[],
    weak_continuations: &[],
    transparent: &[
        "chcę", "chciałbym", "chciałabym", "potrzebuję", "trzeba", "muszę", "z", "ze", "do",
        "rozmawiać", "się", "ja", "mi", "myślę", "jest", "potrzebny", "potrzebna", "koniecznie",
        "wcale", "już", "mam",
    ],
    think: &["myślę", "sądzę"],
    breakers: &["ja"],
    post_negations: &[
        "nie trzeba", "nie jest potrzebny", "nie jest potrzebna", "niepotrzebny", "niepotrzebna",
        "nie potrzebuję", "nie dziękuję",
    ],
    past: &[
        "wczoraj", "przedwczoraj", "w zeszłym tygodniu", "zeszłym", "zeszły",
        "w ubiegłym tygodniu", "ubiegłym", "ostatnio", "wcześniej", "poprzednio",
        "już rozmawiałem", "już rozmawiałam", "rozmawiałem", "rozmawiałam", "rozmawialiśmy",
        "gadałem", "gadałam", "byłem", "byłam", "dzwoniłem", "dzwoniłam", "pisałem", "pisałam",
        "przekierowano", "połączono",
    ],
    relative: &["który", "która", "którym", "którą", "jak", "co"],
    copulas: &[
        "jestem", "jesteś", "jesteście", "czy to", "to jest", "rozmawiam z", "piszę z", "jak",
        "być", "czy pan jest", "czy pani jest",
    ],
    possessives: &[
        "mój", "moja", "moje", "mojego", "mojej", "moim", "moją", "moich", "nasz", "nasza",
        "naszego", "naszym", "naszej", "jego", "jej", "ich",
    ],
    clause_breaks: &["ale", "i", "bo", "ponieważ", "więc", "a"],
    bots: &[
        "bot", "bota", "botem", "robot", "robota", "robotem", "chatbot", "chatbotem", "maszyna",
        "maszyną", "maszyny", "sztuczna inteligencja", "AI", "SI", "komputer", "komputerem",
        "automat", "automatem",
    ],
    interjections: &[],
    after_modifiers: &[],
    infinitive_endings: &[],
};

#[rustfmt::skip]
const DA: LangSpec = LangSpec {
    code: "da",
    persons: &[
        "menneske", "mennesket", "mennesker", "rigtigt menneske", "person", "personen",
        "personer", "rigtig person", "levende person", "medarbejder", "medarbejderen",
        "medarbejdere", "konsulent", "konsulenten", "rådgiver", "rådgiveren", "agent", "agenten",
        "operatør", "supporter", "sagsbehandler", "sagsbehandleren", "chef", "chefen", "ansat",
        "ansatte", "tekniker", "sælger",
    ],
    suffixes: &["medarbejder", "medarbejderen", "sagsbehandler"],
    depts: &[
        "kundeservice", "kundeservicen", "kundesupport", "personalet", "live chat", "livechat",
        "hotline", "kundecenter", "nogen fra kundeservice", "nogen fra jer", "en af jer",
        "nogen fra support",
    ],
    pronouns: &["nogen", "nogen rigtig", "support", "supporten"],
    direct: &[
        "ring mig op", "ring til mig", "ringe mig op", "er der nogen", "stil mig om",
        "stil mig videre", "viderestil mig", "send mig videre", "ringe til mig", "ringe mig",
    ],
    contact: &[
        "tale", "snakke", "chatte", "skrive", "forbind", "forbinde", "forbind mig", "stil mig om",
        "stille om", "stil mig videre", "viderestil", "viderestille", "send mig videre",
        "kontakte", "komme i kontakt", "få kontakt", "ringe", "ring", "få fat i", "i kontakt",
    ],
    participles: &["stillet om", "viderestillet", "forbundet"],
    desire: &[
        "vil", "jeg vil", "vil gerne", "gerne", "ville gerne", "kan jeg", "må jeg", "kan i",
        "har brug for", "brug for", "behov for", "giv mig", "venligst", "tak", "er der",
        "findes der", "hvor er", "ønsker", "kræver", "beder om", "kan du",
    ],
    post: &[
        "tilgængelig", "ledig", "online", "tak", "hjælpe mig", "ringe mig op", "kontakte mig",
        "i tale",
    ],
    verb_final: false,
    linkers: &[
        "med", "en", "et", "til", "mig", "jeg", "rigtig", "rigtigt", "levende", "menneskelig",
        "jeres", "din", "jer", "i", "nu", "straks", "direkte", "hurtigt", "tak", "kan", "få",
        "gerne", "lige", "anden", "andet", "hellere", "bare", "venligst", "af", "fat", "eller",
    ],
    fillers: &[
        "tak", "venligst", "nu", "straks", "hej", "hallo", "en", "et", "rigtig", "rigtigt",
        "haster", "eller", "og", "please", "ok", "ja",
    ],
    polite: &["tak", "venligst", "nu", "straks", "please", "haster"],
    negations: &["ikke", "ingen", "intet", "aldrig", "uden", "i stedet for"],
    weak_negations: &["nej"],
    weak_continuations: &["tak"],
    transparent: &[
        "vil", "har", "brug", "for", "behov", "med", "en", "et", "at", "tale", "virkelig",
        "egentlig", "nødvendigvis", "få", "mere", "nogen",
    ],
    think: &["tror", "synes"],
    breakers: &["jeg", "vi"],
    post_negations: &[
        "ikke nødvendigt", "ikke nødvendig", "er ikke nødvendig", "nej tak", "unødvendigt",
        "behøves ikke",
    ],
    past: &[
        "i går", "igår", "i forgårs", "sidste uge", "sidste", "allerede", "tidligere", "talte",
        "snakkede", "chattede", "har talt", "talt", "snakket", "var", "blev", "ringede",
    ],
    relative: &["som", "der", "jeg"],
    copulas: &[
        "jeg er", "er jeg", "er du", "er i", "er det", "du er", "taler jeg med",
        "snakker jeg med", "chatter jeg med", "som et", "som en", "være",
    ],
    possessives: &["min", "mit", "mine", "vores", "hans", "hendes", "deres"],
    clause_breaks: &["men", "og", "fordi", "så", "ellers"],
    bots: &[
        "bot", "botten", "robot", "robotten", "chatbot", "chatbotten", "maskine", "maskinen", "AI",
        "computer", "computeren", "kunstig intelligens",
    ],
    interjections: &[],
    after_modifiers: &[],
    infinitive_endings: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str) -> SignalInput {
        SignalInput {
            text: text.to_owned(),
            language: None,
            confidence: None,
            grounding_score: None,
            retrieved_chunks: None,
            classifier: None,
            tool_unsure: None,
        }
    }

    fn default_rules() -> CompiledRules {
        CompiledRules::compile(&SignalRules::default(), 7).expect("the built-in rules are valid")
    }

    /// Runs every case and reports all misses at once, so one run shows the whole picture.
    fn check_cases(lang: &str, positives: &[&str], negatives: &[&str]) {
        let mut failures = Vec::new();
        for text in positives {
            if detect_human_request(text, &[]).is_none() {
                failures.push(format!("missed request: {text:?}"));
            }
        }
        for text in negatives {
            if let Some(m) = detect_human_request(text, &[]) {
                failures.push(format!(
                    "false request: {text:?} (matched {:?} as {})",
                    m.matched, m.lang
                ));
            }
        }
        assert!(failures.is_empty(), "[{lang}]\n{}", failures.join("\n"));
    }

    #[test]
    fn english_requests_and_non_requests() {
        check_cases(
            "en",
            &[
                "Can I speak to a real person please?",
                "i need to talk to a humna",
                "get me an opertor",
                "I want a representitive",
                "HUMAN PLEASE!!!",
                "let me speak with a supervisor",
                "please transfer me to a live agent",
                "Is there anyone I can talk to?",
                "I don't want to talk to a bot, I want a human",
                "Can a human help me with this?",
                "agent please, my order is missing",
                "can someone call me back",
                "connect me to customer support",
                "I'd like to speak to a human being",
                "Can I talk to the agent I spoke to yesterday?",
                "humaaaan",
                "Why can't I talk to a person??",
                "I don't want to talk to a bot",
            ],
            &[
                "I don't want an agent",
                "I spoke to a person yesterday",
                "I already talked to an agent last week",
                "my estate agent needs the invoice",
                "agent of change is our slogan",
                "Are you a human?",
                "Can I pay in person at the store?",
                "How much is it per person?",
                "The agent seat costs 20 dollars a month",
                "Do customers talk to an agent or a bot first?",
                "You don't need to transfer me, the answer is fine",
                "Human error caused the outage",
                "I talked to an agent and it was fine",
                "I was transferred to an agent yesterday",
                "I am not a bot",
                "agent? no thanks",
                "What's the name of the person who signed for my parcel?",
                "Does live chat cost extra?",
            ],
        );
    }

    #[test]
    fn german_requests_and_non_requests() {
        check_cases(
            "de",
            &[
                "Ich will mit einem Menschen reden",
                "Bitte verbinden Sie mich mit einem Mitarbeiter",
                "Kann ich bitte einen echten Menschen sprechen?",
                "MITARBEITER!!!",
                "Mensch bitte",
                "Ich brauche einen Berater",
                "Können Sie mich an den Kundenservice weiterleiten?",
                "Ist ein Mitarbeiter verfügbar?",
                "Ich möchte mit einem Mitarbieter sprechen",
                "Ich würde gerne mit jemandem vom Support sprechen",
                "Mit einem Servicemitarbeiter sprechen bitte",
            ],
            &[
                "Ich brauche keinen Menschen, nur die Rechnung",
                "Ich möchte nicht mit einem Mitarbeiter sprechen",
                "Ich habe gestern mit einem Mitarbeiter gesprochen",
                "Mein Berater hat mir das empfohlen",
                "Bist du ein Mensch?",
                "Ein Mitarbeiter war sehr unfreundlich",
                "Wie viel kostet es pro Person?",
                "Kein Mensch nötig, danke",
                "Mensch, das dauert aber lange!",
            ],
        );
    }

    #[test]
    fn french_requests_and_non_requests() {
        check_cases(
            "fr",
            &[
                "Je veux parler à un humain",
                "Puis-je parler à un conseiller ?",
                "Mettez-moi en relation avec un opérateur",
                "CONSEILLER SVP",
                "un humain s'il vous plaît",
                "J'aimerais discuter avec quelqu'un du service client",
                "Passez-moi un agent",
                "Je voudrais parler a un operateur",
                "je veux un conseiler",
                "Est-ce qu'un conseiller est disponible ?",
            ],
            &[
                "Je n'ai pas besoin d'un conseiller",
                "Je ne veux pas parler à un humain",
                "J'ai parlé à un conseiller hier",
                "Êtes-vous un humain ?",
                "Personne ne répond au téléphone",
                "Mon agent immobilier a besoin de la facture",
                "Le prix est de 20 euros par personne",
                "Je suis une vraie personne",
            ],
        );
    }

    #[test]
    fn spanish_requests_and_non_requests() {
        check_cases(
            "es",
            &[
                "Quiero hablar con un humano",
                "Necesito un agente",
                "¿Me pasas con un asesor?",
                "Por favor, comuníqueme con un ejecutivo",
                "PERSONA REAL POR FAVOR",
                "Quisiera hablar con alguien de atención al cliente",
                "Pásame con un operador",
                "¿Hay algún agente disponible?",
                "quiero hablar con una presona",
                "¿Cómo hablo con un asesor?",
            ],
            &[
                "No necesito un agente",
                "No quiero hablar con una persona",
                "Ayer hablé con un asesor",
                "¿Eres un humano?",
                "Mi agente de viajes reservó mal el vuelo",
                "¿Cuánto cuesta por persona?",
                "El departamento de recursos humanos",
                "No hace falta un humano, solo dime el precio",
            ],
        );
    }

    #[test]
    fn portuguese_requests_and_non_requests() {
        check_cases(
            "pt",
            &[
                "Quero falar com um humano",
                "Preciso de um atendente",
                "Posso falar com uma pessoa real?",
                "me transfere para um atendente por favor",
                "ATENDENTE!!",
                "Gostaria de falar com alguém do suporte",
                "Tem algum atendente disponível?",
                "queria conversar com um consultor",
                "quero falar com um atendete",
            ],
            &[
                "Não preciso de atendente",
                "Não quero falar com um humano",
                "Ontem falei com um atendente",
                "Você é humano?",
                "Meu agente de viagens errou a reserva",
                "O preço é por pessoa?",
                "Cadastro de pessoa física",
                "Não é necessário um atendente",
            ],
        );
    }

    #[test]
    fn dutch_requests_and_non_requests() {
        check_cases(
            "nl",
            &[
                "Ik wil met een mens praten",
                "Mag ik een medewerker spreken?",
                "Kunt u mij doorverbinden met de klantenservice?",
                "MEDEWERKER AUB",
                "Ik heb een medewerker nodig",
                "Graag een echt persoon",
                "Kan ik met iemand van de klantenservice chatten?",
                "Is er een medewerker beschikbaar?",
                "ik wil een medewerkr spreken",
            ],
            &[
                "Ik heb geen medewerker nodig",
                "Ik wil niet met een medewerker praten",
                "Ik heb gisteren met een medewerker gesproken",
                "Ben je een mens?",
                "Wat kost het per persoon?",
                "De medewerker was erg vriendelijk",
                "Mijn medewerker heeft de factuur",
            ],
        );
    }

    #[test]
    fn italian_requests_and_non_requests() {
        check_cases(
            "it",
            &[
                "Voglio parlare con un operatore",
                "Posso parlare con una persona?",
                "Mi passi un operatore per favore",
                "OPERATORE!!!",
                "Ho bisogno di un operatore umano",
                "Vorrei chattare con qualcuno del servizio clienti",
                "C'è un operatore disponibile?",
                "vorrei parlare con un opratore",
                "Mettetemi in contatto con un consulente",
            ],
            &[
                "Non ho bisogno di un operatore",
                "Non voglio parlare con un operatore",
                "Ieri ho parlato con un operatore",
                "Sei un umano?",
                "Il prezzo è a persona?",
                "L'ufficio risorse umane",
                "Il mio agente immobiliare",
                "Non c'è bisogno di un operatore",
            ],
        );
    }

    #[test]
    fn finnish_requests_and_non_requests() {
        check_cases(
            "fi",
            &[
                "Haluan puhua ihmisen kanssa",
                "Voinko puhua asiakaspalvelijan kanssa?",
                "Haluaisin jutella oikean ihmisen kanssa",
                "Siirtäkää minut asiakaspalveluun",
                "ASIAKASPALVELIJA KIITOS",
                "Tarvitsen ihmisen",
                "Onko asiakaspalvelija paikalla?",
                "Saanko puhua henkilön kanssa?",
                "haluan puhua asiakaspalvelijn kanssa",
            ],
            &[
                "En halua puhua ihmisen kanssa",
                "Ei tarvitse ihmistä",
                "Puhuin eilen asiakaspalvelijan kanssa",
                "Oletko ihminen?",
                "Hinta on 20 euroa per henkilö",
                "Asiakaspalvelija oli ystävällinen",
                "En tarvitse asiakaspalvelijaa",
            ],
        );
    }

    #[test]
    fn swedish_requests_and_non_requests() {
        check_cases(
            "sv",
            &[
                "Jag vill prata med en människa",
                "Kan jag få prata med en handläggare?",
                "Koppla mig till kundtjänst",
                "MÄNNISKA TACK",
                "Jag behöver prata med någon på kundtjänst",
                "Finns det en handläggare tillgänglig?",
                "jag vill prata med en manniska",
                "Jag vill tala med en riktig person",
                "jag vill prata med en männsika",
            ],
            &[
                "Jag vill inte prata med en människa",
                "Jag behöver ingen handläggare",
                "Jag pratade med en handläggare igår",
                "Är du en människa?",
                "Det kostar 100 kr per person",
                "Handläggaren var trevlig",
                "Min handläggare sa att jag skulle skriva här",
            ],
        );
    }

    #[test]
    fn polish_requests_and_non_requests() {
        check_cases(
            "pl",
            &[
                "Chcę rozmawiać z człowiekiem",
                "Czy mogę porozmawiać z konsultantem?",
                "Proszę o połączenie z konsultantem",
                "KONSULTANT PROSZĘ",
                "Potrzebuję pracownika",
                "Chciałbym rozmawiać z żywym człowiekiem",
                "Przekieruj mnie do konsultanta",
                "Czy jest dostępny konsultant?",
                "chce rozmawiac z konsultatnem",
            ],
            &[
                "Nie chcę rozmawiać z konsultantem",
                "Nie potrzebuję konsultanta",
                "Wczoraj rozmawiałem z konsultantem",
                "Czy jesteś człowiekiem?",
                "Cena za osobę",
                "Mój doradca to polecił",
                "Konsultant był bardzo miły",
            ],
        );
    }

    #[test]
    fn danish_requests_and_non_requests() {
        check_cases(
            "da",
            &[
                "Jeg vil gerne tale med et menneske",
                "Kan jeg tale med en medarbejder?",
                "Stil mig om til kundeservice",
                "MEDARBEJDER TAK",
                "Jeg har brug for en rådgiver",
                "Må jeg snakke med en rigtig person?",
                "Er der en medarbejder ledig?",
                "jeg vil tale med en medarbjder",
            ],
            &[
                "Jeg vil ikke tale med et menneske",
                "Jeg har ikke brug for en medarbejder",
                "Jeg talte med en medarbejder i går",
                "Er du et menneske?",
                "Det koster 100 kr per person",
                "Min rådgiver anbefalede det",
                "Medarbejderen var meget venlig",
            ],
        );
    }

    #[test]
    fn a_negation_ends_at_the_next_statement() {
        check_cases(
            "negation scope",
            &[
                "it doesnt work i want a human",
                "i dont understand this let me talk to a human",
                "no i want an agent",
                "Das funktioniert nicht ich will einen Menschen",
                "ça marche pas je veux un humain",
                "no me entiendes quiero un agente",
                "Ei toimi, haluan puhua ihmisen kanssa",
            ],
            &[
                "I do not need a human, the bot is fine",
                "I would never want to speak to a human about this",
                "Never transfer me to an operator again",
                "Ich hoffe, ich brauche keinen Mitarbeiter",
                "Je n'ai plus besoin d'un conseiller",
                "Não preciso de um atendente agora",
            ],
        );
    }

    #[test]
    fn refusing_the_bot_is_a_request_for_a_person() {
        check_cases(
            "anti-bot",
            &[
                "I do not want to chat with a machine",
                "Ich will nicht mit dem Bot reden",
                "je ne veux pas parler à un robot",
                "No quiero hablar con un bot",
                "Não quero falar com robô",
            ],
            &["I am not a bot", "not a robot", "Is this a bot?"],
        );
    }

    #[test]
    fn a_modal_that_belongs_to_another_verb_is_not_a_request() {
        check_cases(
            "verb-final",
            &[
                "Kann ich einen Menschen sprechen?",
                "Kan ik een medewerker spreken?",
            ],
            &[
                "Wie kann ich einen Mitarbeiter zu meinem Konto hinzufügen?",
                "Kann ich einen Mitarbeiter einladen?",
                "Hoe kan ik een medewerker toevoegen?",
            ],
        );
    }

    #[test]
    fn accents_may_be_missing_or_decomposed_and_letters_stretched() {
        for text in [
            "parler à un opérateur",
            "parler a un operateur",
            "parler a\u{300} un ope\u{301}rateur",
            "ich möchte mit einem mitarbeiter sprechen",
            "ich mochte mit einem mitarbeiter sprechen",
            "CHCĘ ROZMAWIAĆ Z CZŁOWIEKIEM",
            "humaaaan pleaseeee",
        ] {
            assert!(detect_human_request(text, &[]).is_some(), "missed {text:?}");
        }
    }

    #[test]
    fn the_schemas_generate() {
        use utoipa::PartialSchema;
        for schema in [
            SignalRules::schema(),
            SignalInput::schema(),
            Evaluation::schema(),
            RuleError::schema(),
        ] {
            let json = serde_json::to_string(&schema).expect("a schema serialises");
            assert!(json.contains("properties"), "{json}");
        }
    }

    #[test]
    fn the_match_quotes_the_customers_words_and_names_the_language() {
        let m = detect_human_request(
            "Hi there. Ich möchte bitte mit einem Menschen sprechen!",
            &[],
        )
        .expect("a request");
        assert_eq!(m.lang, "de");
        assert_eq!(m.matched, "möchte bitte mit einem Menschen sprechen");
    }

    #[test]
    fn extra_phrases_count_as_requests_but_negations_still_cancel() {
        let extra = vec!["Baton buddy".to_owned()];
        assert!(detect_human_request("get me a baton buddy", &extra).is_some());
        assert!(detect_human_request("I don't want a Baton buddy", &extra).is_none());
        assert!(detect_human_request("get me a baton buddy", &[]).is_none());
    }

    #[test]
    fn a_refund_over_the_threshold_that_also_asks_for_a_person_is_out_of_scope() {
        let rules = default_rules();
        let e = evaluate(
            &rules,
            &input("I want a refund of 500 EUR and I want to talk to a person"),
        );
        assert!(e.handoff);
        assert_eq!(e.reason, Some(HandoffReason::OutOfScope));
        assert_eq!(e.rule.as_deref(), Some("scope:refund"));
        assert_eq!(e.rules_version, 7);

        let small = evaluate(
            &rules,
            &input("I want a refund of 50 EUR and I want to talk to a person"),
        );
        assert_eq!(small.reason, Some(HandoffReason::UserRequested));
        assert_eq!(small.rule.as_deref(), Some("human_request:en"));
    }

    #[test]
    fn scope_then_request_then_confidence() {
        let rules = default_rules();
        let mut low = input("Can I talk to a lawyer about this?");
        low.confidence = Some(0.1);
        assert_eq!(
            evaluate(&rules, &low).rule.as_deref(),
            Some("scope:legal_advice")
        );

        let mut asked = input("agent please");
        asked.confidence = Some(0.1);
        let e = evaluate(&rules, &asked);
        assert_eq!(e.reason, Some(HandoffReason::UserRequested));
        assert_eq!(e.matched.as_deref(), Some("agent please"));

        let mut unsure = input("What are your opening hours?");
        unsure.confidence = Some(0.31);
        unsure.grounding_score = Some(0.1);
        let e = evaluate(&rules, &unsure);
        assert_eq!(e.reason, Some(HandoffReason::LowConfidence));
        assert_eq!(e.rule.as_deref(), Some("confidence:below_threshold"));
        assert_eq!(e.matched.as_deref(), Some("confidence 0.31 < 0.5"));

        unsure.confidence = Some(0.9);
        assert_eq!(
            evaluate(&rules, &unsure).rule.as_deref(),
            Some("confidence:low_grounding")
        );
        unsure.grounding_score = None;
        unsure.retrieved_chunks = Some(0);
        assert_eq!(
            evaluate(&rules, &unsure).rule.as_deref(),
            Some("confidence:no_retrieved_chunks")
        );
        unsure.retrieved_chunks = Some(3);
        unsure.tool_unsure = Some(true);
        assert_eq!(
            evaluate(&rules, &unsure).rule.as_deref(),
            Some("confidence:tool_unsure")
        );
        unsure.tool_unsure = Some(false);
        let calm = evaluate(&rules, &unsure);
        assert_eq!(
            calm,
            Evaluation {
                handoff: false,
                reason: None,
                rule: None,
                matched: None,
                rules_version: 7
            }
        );
    }

    #[test]
    fn the_built_in_scope_rules_fire_on_their_topics() {
        let rules = default_rules();
        let rule = |text: &str| evaluate(&rules, &input(text)).rule;
        assert_eq!(
            rule("I will take legal action").as_deref(),
            Some("scope:legal_advice")
        );
        assert_eq!(
            rule("Ich werde meinen Anwalt einschalten").as_deref(),
            Some("scope:legal_advice")
        );
        assert_eq!(
            rule("Can you give me a better price?").as_deref(),
            Some("scope:pricing_negotiation")
        );
        assert_eq!(
            rule("Je veux un remboursement de 250,00 €").as_deref(),
            Some("scope:refund")
        );
        assert_eq!(rule("Refund my order 12345 please").as_deref(), None);
        assert_eq!(
            rule("The agent I spoke to was extremely rude").as_deref(),
            Some("scope:staff_complaint")
        );
        assert_eq!(
            rule("Der Mitarbeiter war sehr unfreundlich").as_deref(),
            Some("scope:staff_complaint")
        );
        assert_eq!(rule("the bot is rude").as_deref(), None);
        assert_eq!(rule("that reply was rude").as_deref(), None);
        assert_eq!(
            rule("El repartidor fue muy grosero").as_deref(),
            Some("scope:staff_complaint")
        );
        assert_eq!(
            rule("Kundtjänstpersonalen var otrevlig").as_deref(),
            Some("scope:staff_complaint")
        );
        assert_eq!(rule("Do you ship to Norway?").as_deref(), None);
    }

    #[test]
    fn the_classifier_triggers_a_category_above_its_minimum_score() {
        let rules = default_rules();
        let mut text = input("I have a question about my contract");
        text.classifier = Some(ClassifierSignal {
            topic: "Legal".into(),
            score: Some(0.9),
        });
        let e = evaluate(&rules, &text);
        assert_eq!(e.rule.as_deref(), Some("scope:legal_advice"));
        assert_eq!(e.matched.as_deref(), Some("classifier topic legal (0.9)"));
        text.classifier = Some(ClassifierSignal {
            topic: "legal".into(),
            score: Some(0.2),
        });
        assert_eq!(evaluate(&rules, &text).rule, None);
    }

    #[test]
    fn amounts_are_read_in_common_formats() {
        let values = |t: &str| amounts(t).into_iter().map(|a| a.value).collect::<Vec<_>>();
        assert_eq!(values("refund $250"), vec![250.0]);
        assert_eq!(values("250 EUR back"), vec![250.0]);
        assert_eq!(values("250,00 €"), vec![250.0]);
        assert_eq!(values("it cost 1.200"), vec![1200.0]);
        assert_eq!(values("€1,200.50 total"), vec![1200.5]);
        assert_eq!(values("1.200,50 zł"), vec![1200.5]);
        assert_eq!(values("19.99 dollars"), vec![19.99]);
        assert_eq!(
            values("order 12345, placed 12.05.2024 at 10:30, 3 days ago, in 2023, #998"),
            Vec::<f64>::new()
        );
    }

    #[test]
    fn validation_names_the_offending_fields() {
        let mut rules = SignalRules::default();
        rules.scope[1].name = "legal_advice".into();
        rules.scope[2].regexes = vec!["(unclosed".into(), "a*".into()];
        rules.scope[3].name = "   ".into();
        rules.scope[3].phrases = vec!["".into(), "…".into()];
        rules.scope[0].amount_threshold = Some(-1.0);
        rules.scope[0].classifier_min_score = 1.5;
        rules.confidence.min_confidence = 1.2;
        rules.confidence.min_grounding = -0.1;
        rules.human_request.extra_phrases = vec!["!!!".into()];
        rules.scope.push(ScopeCategory {
            name: "empty".into(),
            phrases: vec![],
            regexes: vec![],
            amount_threshold: None,
            classifier_topics: vec![],
            classifier_min_score: 0.5,
        });
        let errors = rules.validate().expect_err("invalid rules");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for expected in [
            "scope[1].name",
            "scope[2].regexes[0]",
            "scope[2].regexes[1]",
            "scope[3].name",
            "scope[3].phrases[0]",
            "scope[3].phrases[1]",
            "scope[0].amount_threshold",
            "scope[0].classifier_min_score",
            "confidence.min_confidence",
            "confidence.min_grounding",
            "human_request.extra_phrases[0]",
            "scope[4]",
        ] {
            assert!(
                fields.contains(&expected),
                "no error for {expected} in {errors:#?}"
            );
        }
        assert!(errors
            .iter()
            .any(|e| e.message.contains("duplicates the name of scope[0]")));
        assert!(CompiledRules::compile(&rules, 1).is_err());
    }

    #[test]
    fn rules_round_trip_as_json_and_reject_unknown_fields() {
        let rules = SignalRules::default();
        rules.validate().expect("the built-in rules are valid");
        let json = serde_json::to_string(&rules).expect("serialises");
        let back: SignalRules = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, rules);

        let minimal: SignalRules =
            serde_json::from_str(r#"{"scope":[{"name":"vip","phrases":["vip*"]}]}"#)
                .expect("defaults fill in");
        assert!(minimal.human_request.enabled);
        assert_eq!(minimal.scope[0].classifier_min_score, 0.7);
        assert!(serde_json::from_str::<SignalRules>(r#"{"scopes":[]}"#).is_err());
        assert!(serde_json::from_str::<SignalInput>(r#"{"text":"hi","confidance":0.2}"#).is_err());
    }

    #[test]
    fn custom_phrases_regexes_and_disabled_requests() {
        let rules = SignalRules {
            scope: vec![ScopeCategory {
                name: "vip".into(),
                phrases: vec!["platinum member*".into()],
                regexes: vec![r"\bVIP-\d{4}\b".into()],
                amount_threshold: None,
                classifier_topics: vec![],
                classifier_min_score: 0.5,
            }],
            human_request: HumanRequestRules {
                extra_phrases: vec![],
                enabled: false,
            },
            confidence: ConfidenceRules::default(),
        };
        let rules = CompiledRules::compile(&rules, 2).expect("valid");
        let e = evaluate(&rules, &input("As Platinum Members we expect more"));
        assert_eq!(e.matched.as_deref(), Some("Platinum Members"));
        assert_eq!(
            evaluate(&rules, &input("my code is vip-1234"))
                .matched
                .as_deref(),
            Some("vip-1234")
        );
        assert!(!evaluate(&rules, &input("human please")).handoff);
    }

    #[derive(Deserialize)]
    struct DevCase {
        text: String,
        lang: String,
        human_request: bool,
    }

    #[derive(Default)]
    struct Counts {
        tp: usize,
        fp: usize,
        fn_: usize,
        tn: usize,
    }

    impl Counts {
        fn precision(&self) -> f64 {
            if self.tp + self.fp == 0 {
                1.0
            } else {
                self.tp as f64 / (self.tp + self.fp) as f64
            }
        }

        fn recall(&self) -> f64 {
            if self.tp + self.fn_ == 0 {
                1.0
            } else {
                self.tp as f64 / (self.tp + self.fn_) as f64
            }
        }
    }

    #[test]
    fn dev_set_precision_and_recall() {
        // The project's labelled development set, vendored into the repository (see
        // tests/data/signals/README.md) so a clone in any folder runs this test.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/signals/dev.jsonl");
        let data = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read the dev set {path}: {e}"));
        let mut overall = Counts::default();
        let mut per_lang: std::collections::BTreeMap<String, Counts> = Default::default();
        let mut misses = Vec::new();
        for (line_no, line) in data
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let case: DevCase = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{path}:{}: not a dev case: {e}", line_no + 1));
            let found = detect_human_request(&case.text, &[]);
            let counts = per_lang.entry(case.lang.clone()).or_default();
            for c in [&mut overall, counts] {
                match (case.human_request, found.is_some()) {
                    (true, true) => c.tp += 1,
                    (false, true) => c.fp += 1,
                    (true, false) => c.fn_ += 1,
                    (false, false) => c.tn += 1,
                }
            }
            if case.human_request != found.is_some() {
                misses.push(format!(
                    "  expected {}: {:?} -> {:?}",
                    case.human_request, case.text, found
                ));
            }
        }
        println!("dev set {path}");
        println!("lang  cases  precision  recall");
        for (lang, c) in &per_lang {
            let n = c.tp + c.fp + c.fn_ + c.tn;
            println!(
                "{lang:<5} {n:>5}  {:>9.3}  {:>6.3}",
                c.precision(),
                c.recall()
            );
        }
        let n = overall.tp + overall.fp + overall.fn_ + overall.tn;
        println!(
            "all   {n:>5}  {:>9.3}  {:>6.3}",
            overall.precision(),
            overall.recall()
        );
        for miss in &misses {
            println!("{miss}");
        }
        assert!(n > 0, "the dev set is empty");
        assert!(
            overall.precision() >= 0.98,
            "precision {:.3} < 0.98",
            overall.precision()
        );
        assert!(
            overall.recall() >= 0.95,
            "recall {:.3} < 0.95",
            overall.recall()
        );
    }
}
