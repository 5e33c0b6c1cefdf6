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
    lexicon::FILES
        .iter()
        .map(|(code, text)| {
            let spec = lexicon::parse(code, text)
                .unwrap_or_else(|e| panic!("the embedded lexicon {code}.txt: {e}"));
            Lang::compile(&spec)
        })
        .collect()
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

mod lexicon;
#[cfg(test)]
mod tests;
