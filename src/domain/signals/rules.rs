//! The API types of signal evaluation, the data-driven [`SignalRules`] (defaults, validation,
//! compilation into [`CompiledRules`]) and [`evaluate`], which applies them in order: scope
//! rules, then an explicit request for a person, then confidence.

use std::collections::HashMap;
use std::fmt;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::amounts::amounts;
use super::detector::detect_or_judge;
use super::normalize::{tokenize, words_of, FastMap, PhraseSet, Token};

// ---------------------------------------------------------------------------------------------
// Request and answer
// ---------------------------------------------------------------------------------------------

/// The inbound message and the optional model signals to judge it by.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalInput {
    /// The customer's message, exactly as written.
    #[schema(max_length = 20000)]
    pub text: String,
    /// Optional language hint (ISO 639-1 such as `de`, or a tag such as `de-AT`); the detector
    /// tries this language first but still recognises the others.
    pub language: Option<String>,
    /// The model's own confidence in its answer, 0 to 1.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f64>,
    /// How well the answer is grounded in the retrieved sources, 0 to 1.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub grounding_score: Option<f64>,
    /// How many knowledge-base chunks retrieval returned for this turn.
    #[schema(minimum = 0, maximum = 4_294_967_295_u64)]
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
    #[schema(minimum = 0.0, maximum = 1.0)]
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
    /// The statistical second opinion's score, 0 to 1 (three decimals), when it judged this
    /// message: the lexicons found no request and `human_request.model` is on. It is there
    /// whether or not it reached the threshold (0.8), so a flow can ask the customer "would you
    /// like to talk to a person?" when it is close below it instead of handing off or carrying
    /// on. `null` otherwise (a scope rule decided first, the lexicons found a request, or every
    /// statement was one the lexicons found negated or in the past).
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub request_score: Option<f64>,
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
    /// Whether the statistical second opinion may also decide (default `true`): where the
    /// lexicon finds no request, a model trained on Baton's labelled messages counts one at a
    /// score of 0.8 or more (0.95 when the message mentions no person, team or bot), leaving
    /// out statements the lexicon found negated or in the past; `matched` then quotes the
    /// words that weighed most and the score.
    pub model: bool,
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
            model: true,
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
     concat!("agent|staff|employee|representative|reps?(?:\\W|$)|cashier|driver|courier|technician|",
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
///
/// Word starts are written `(?:^|\W)` rather than `\b`: a Unicode word boundary makes the
/// regex engine leave its lazy DFA for a much slower one on any message with a non-ASCII
/// character (an accent, an emoji), which made these regexes most of an evaluation's time.
/// The consumed boundary character is trimmed from `matched` (see `CompiledScope::matches`).
fn staff_complaint_regexes() -> Vec<String> {
    const START: &str = r"(?:^|\W)";
    let mut regexes: Vec<String> = STAFF_COMPLAINT_STEMS
        .iter()
        .map(|(adjective, noun, compounds)| {
            let adjective = format!(r"{START}(?:{adjective})\w*");
            // A compound's stem may sit anywhere in its word ("Servicemitarbeiter").
            let prefix = if *compounds { r"\w*" } else { START };
            let noun = format!(r"{prefix}(?:{noun})\w*");
            format!(r"{adjective}.{{0,40}}?{noun}|{noun}.{{0,40}}?{adjective}")
        })
        .collect();
    regexes.push(
        concat!(
            r"(?:^|\W)complain(?:t|ts|ing)?\s+(?:about|against|regarding)\s+(?:\w+\s+){0,2}?",
            r"(?:agent|staff|employee|representative|rep|driver|courier|manager|operator)s?(?:\W|$)",
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
/// for a person, then the confidence signals. Calls no outside model (the detector's second
/// opinion runs in process).
pub fn evaluate(rules: &CompiledRules, input: &SignalInput) -> Evaluation {
    let toks = tokenize(&input.text);
    let words: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
    let mut request_score = None;
    let decided = |reason, rule: String, matched: String, request_score| Evaluation {
        handoff: true,
        reason: Some(reason),
        rule: Some(rule),
        matched: Some(matched),
        request_score,
        rules_version: rules.version,
    };

    for cat in &rules.scope {
        if let Some(matched) = cat.matches(&input.text, &toks, &words, input.classifier.as_ref()) {
            return decided(
                HandoffReason::OutOfScope,
                format!("scope:{}", cat.name),
                matched,
                None,
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
        let request = &rules.rules.human_request;
        let hint = hint.as_deref();
        let verdict = detect_or_judge(
            &input.text,
            &toks,
            &rules.extra_phrases,
            hint,
            request.model,
        );
        request_score = verdict.score.map(|s| (s * 1000.0).round() / 1000.0);
        if let Some(m) = verdict.found {
            return decided(
                HandoffReason::UserRequested,
                format!("human_request:{}", m.lang),
                m.matched,
                request_score,
            );
        }
    }

    let c = &rules.rules.confidence;
    let low = HandoffReason::LowConfidence;
    if let Some(value) = input.confidence.filter(|v| *v < c.min_confidence) {
        let matched = format!("confidence {value} < {}", c.min_confidence);
        return decided(
            low,
            "confidence:below_threshold".into(),
            matched,
            request_score,
        );
    }
    if let Some(value) = input.grounding_score.filter(|v| *v < c.min_grounding) {
        let matched = format!("grounding {value} < {}", c.min_grounding);
        return decided(
            low,
            "confidence:low_grounding".into(),
            matched,
            request_score,
        );
    }
    if c.require_retrieved_chunks && input.retrieved_chunks == Some(0) {
        return decided(
            low,
            "confidence:no_retrieved_chunks".into(),
            "retrieved_chunks 0".into(),
            request_score,
        );
    }
    if input.tool_unsure == Some(true) {
        return decided(
            low,
            "confidence:tool_unsure".into(),
            "a tool reported it is unsure".into(),
            request_score,
        );
    }
    Evaluation {
        handoff: false,
        reason: None,
        rule: None,
        matched: None,
        request_score,
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
                    .find_map(|re| re.find(text).map(|m| trim_boundary(re, m.as_str())))
                    .map(str::to_owned)
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
/// A regex match without the boundary character a pattern consumed at either end when it
/// marks a word start with `(?:^|\W)` or uses `(?:\W|$)` for a word end (as the built-in
/// staff-complaint regexes do); other patterns' matches are reported as they are.
fn trim_boundary<'t>(re: &Regex, matched: &'t str) -> &'t str {
    let mut out = matched;
    if re.as_str().starts_with(r"(?:^|\W)") {
        if let Some(c) = out
            .chars()
            .next()
            .filter(|c| !c.is_alphanumeric() && *c != '_')
        {
            out = &out[c.len_utf8()..];
        }
    }
    if re.as_str().contains(r"(?:\W|$)") {
        if let Some(c) = out
            .chars()
            .next_back()
            .filter(|c| !c.is_alphanumeric() && *c != '_')
        {
            out = &out[..out.len() - c.len_utf8()];
        }
    }
    out
}

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
