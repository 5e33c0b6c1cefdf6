//! What Baton says to customers, per team and language: the sentences in callback `text` and
//! the web chat's notices ("Alice joined the conversation", the place in the queue, the
//! off-hours answer, the handback). Each has a key, a built-in English default, built-in
//! translations (German, French, Spanish), and may be overridden by admins per team and
//! language. Pure: `db::texts` loads the overrides and asks [`choose`].
//!
//! Which template wins, for a customer whose language is `L` (the takeover's `locale`, else the
//! web chat visitor's browser language):
//! 1. the team's own text in `L`, 2. the all-teams text in `L`, 3. Baton's built-in `L` (when
//!    `L` is not English), 4. the team's own default-language text (for the off-hours answer:
//!    the message in the team's business hours), 5. the all-teams default, 6. built-in English.
//!
//! A customer with no known language starts at 4, so a team's own wording is never replaced by
//! a built-in sentence it did not choose.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

/// The sentences Baton says to customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextKey {
    /// A person was asked for (web chat).
    Connecting,
    /// `{reviewer}` took the conversation.
    Joined,
    /// `{reviewer}` hands the customer back to the assistant.
    HandedBack,
    /// Back with the assistant, nobody named.
    BackWithAssistant,
    /// The team is closed; a person answers from `{opens_at}`.
    OffHours,
    /// Place `{position}` in the queue, about `{minutes}` minutes.
    Queue,
    /// Place `{position}` in the queue, no expected wait known.
    QueueNoWait,
    /// Next in the queue.
    QueueNext,
    /// `{reviewer}` put the conversation back in the queue (or went silent and Baton did).
    Released,
    /// `{reviewer}` transferred the conversation to `{team}` (a team, or a person's name).
    Transferred,
}

impl TextKey {
    pub const ALL: [TextKey; 10] = [
        TextKey::Connecting,
        TextKey::Joined,
        TextKey::HandedBack,
        TextKey::BackWithAssistant,
        TextKey::OffHours,
        TextKey::Queue,
        TextKey::QueueNoWait,
        TextKey::QueueNext,
        TextKey::Released,
        TextKey::Transferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TextKey::Connecting => "connecting",
            TextKey::Joined => "joined",
            TextKey::HandedBack => "handed_back",
            TextKey::BackWithAssistant => "back_with_assistant",
            TextKey::OffHours => "off_hours",
            TextKey::Queue => "queue",
            TextKey::QueueNoWait => "queue_no_wait",
            TextKey::QueueNext => "queue_next",
            TextKey::Released => "released",
            TextKey::Transferred => "transferred",
        }
    }

    pub fn parse(raw: &str) -> Option<TextKey> {
        TextKey::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The `{variables}` its templates may use.
    pub fn variables(self) -> &'static [&'static str] {
        match self {
            TextKey::Joined | TextKey::HandedBack | TextKey::Released => &["reviewer"],
            TextKey::Transferred => &["reviewer", "team"],
            TextKey::OffHours => &["opens_at"],
            TextKey::Queue => &["position", "minutes"],
            TextKey::QueueNoWait => &["position"],
            TextKey::Connecting | TextKey::BackWithAssistant | TextKey::QueueNext => &[],
        }
    }

    /// When it is said.
    pub fn description(self) -> &'static str {
        match self {
            TextKey::Connecting => "A person was asked for (shown in the web chat)",
            TextKey::Joined => "A reviewer took the conversation",
            TextKey::HandedBack => "The reviewer hands the customer back to the AI",
            TextKey::BackWithAssistant => "The conversation went back to the AI without a reviewer",
            TextKey::OffHours => "The team is closed when a person is asked for",
            TextKey::Queue => "The customer's place in the queue, with the expected wait",
            TextKey::QueueNoWait => "The customer's place in the queue, no wait known yet",
            TextKey::QueueNext => "The customer is next in the queue",
            TextKey::Released => {
                "The reviewer put the conversation back in the queue (or went silent)"
            }
            TextKey::Transferred => {
                "The reviewer transferred the conversation to another team or person"
            }
        }
    }
}

/// The languages Baton ships texts in.
pub const BUILT_IN: [&str; 4] = ["en", "de", "fr", "es"];

/// A customer's language: the primary subtag of a language tag (`de-AT` → `de`), 2 or 3
/// letters, lower case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lang(String);

impl Lang {
    pub fn parse(raw: &str) -> Result<Lang, String> {
        let primary = raw.trim().split(['-', '_']).next().unwrap_or("");
        let ok =
            (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
        if ok {
            Ok(Lang(primary.to_ascii_lowercase()))
        } else {
            Err(format!(
                "{raw:?} is not a language tag: write it as en, de, de-AT, pt-BR…"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Baton's own template for a key in a language, if it ships one.
pub fn built_in(key: TextKey, lang: &str) -> Option<&'static str> {
    use TextKey::*;
    Some(match (lang, key) {
        ("en", Connecting) => "Connecting you with a person. Stay here: they will answer in this chat.",
        ("en", Joined) => "{reviewer} joined the conversation",
        ("en", HandedBack) => "{reviewer} is handing you back to the assistant",
        ("en", BackWithAssistant) => "You are back with the assistant",
        ("en", OffHours) => "We're closed right now. A person will answer from {opens_at}.",
        ("en", Queue) => "You are number {position} in the queue, about {minutes} minutes.",
        ("en", QueueNoWait) => "You are number {position} in the queue.",
        ("en", QueueNext) => "You are next in the queue.",
        ("en", Released) => "{reviewer} had to step away. The next available person will answer you here.",
        ("en", Transferred) => "{reviewer} is passing you to {team}. Someone there will answer you here shortly.",
        ("de", Connecting) => "Wir verbinden Sie mit einem Menschen. Bleiben Sie hier: Die Antwort kommt in diesem Chat.",
        ("de", Joined) => "{reviewer} ist dem Gespräch beigetreten",
        ("de", HandedBack) => "{reviewer} übergibt Sie wieder an den Assistenten",
        ("de", BackWithAssistant) => "Sie sind wieder beim Assistenten",
        ("de", OffHours) => "Wir sind gerade nicht erreichbar. Ab {opens_at} antwortet Ihnen ein Mensch.",
        ("de", Queue) => "Sie sind Nummer {position} in der Warteschlange, etwa {minutes} Minuten.",
        ("de", QueueNoWait) => "Sie sind Nummer {position} in der Warteschlange.",
        ("de", QueueNext) => "Sie sind als Nächstes an der Reihe.",
        ("de", Released) => "{reviewer} musste das Gespräch abgeben. Die nächste verfügbare Person antwortet Ihnen hier.",
        ("de", Transferred) => "{reviewer} leitet Sie an {team} weiter. Dort antwortet Ihnen gleich jemand in diesem Chat.",
        ("fr", Connecting) => "Nous vous mettons en relation avec une personne. Restez ici : la réponse arrivera dans ce chat.",
        ("fr", Joined) => "{reviewer} a rejoint la conversation",
        ("fr", HandedBack) => "{reviewer} vous redirige vers l’assistant",
        ("fr", BackWithAssistant) => "Vous êtes de retour avec l’assistant",
        ("fr", OffHours) => "Nous sommes fermés pour le moment. Une personne vous répondra à partir de {opens_at}.",
        ("fr", Queue) => "Vous êtes numéro {position} dans la file d’attente, environ {minutes} minutes.",
        ("fr", QueueNoWait) => "Vous êtes numéro {position} dans la file d’attente.",
        ("fr", QueueNext) => "Vous êtes le prochain dans la file d’attente.",
        ("fr", Released) => "{reviewer} a dû s’absenter. La prochaine personne disponible vous répondra ici.",
        ("fr", Transferred) => "{reviewer} vous transfère à {team}. Quelqu’un vous répondra ici sous peu.",
        ("es", Connecting) => "Te estamos conectando con una persona. Quédate aquí: te responderá en este chat.",
        ("es", Joined) => "{reviewer} se ha unido a la conversación",
        ("es", HandedBack) => "{reviewer} te devuelve al asistente",
        ("es", BackWithAssistant) => "Vuelves a estar con el asistente",
        ("es", OffHours) => "Ahora estamos cerrados. Una persona te responderá a partir de {opens_at}.",
        ("es", Queue) => "Eres el número {position} en la cola, unos {minutes} minutos.",
        ("es", QueueNoWait) => "Eres el número {position} en la cola.",
        ("es", QueueNext) => "Eres el siguiente en la cola.",
        ("es", Released) => "{reviewer} ha tenido que ausentarse. La próxima persona disponible te responderá aquí.",
        ("es", Transferred) => "{reviewer} te pasa con {team}. Alguien te responderá aquí en breve.",
        _ => return None,
    })
}

/// An admin's template, as stored: `team` and `locale` empty for "all teams" and "the default
/// language".
#[derive(Clone, Debug)]
pub struct Override {
    pub team: String,
    pub locale: String,
    pub key: String,
    pub template: String,
}

/// The template for `key`, following the order in the module's documentation.
/// `team_default` is a team's own wording kept elsewhere (the off-hours message).
pub fn choose(
    key: TextKey,
    lang: Option<&Lang>,
    team: Option<&str>,
    overrides: &[Override],
    team_default: Option<&str>,
) -> String {
    let find = |team: &str, locale: &str| {
        overrides
            .iter()
            .find(|o| o.key == key.as_str() && o.team == team && o.locale == locale)
            .map(|o| o.template.clone())
    };
    let team = team.unwrap_or("");
    if let Some(lang) = lang.map(Lang::as_str) {
        let specific = (!team.is_empty())
            .then(|| find(team, lang))
            .flatten()
            .or_else(|| find("", lang))
            .or_else(|| {
                (lang != "en")
                    .then(|| built_in(key, lang).map(str::to_string))
                    .flatten()
            });
        if let Some(t) = specific {
            return t;
        }
    }
    (!team.is_empty())
        .then(|| find(team, ""))
        .flatten()
        .or_else(|| team_default.map(str::to_string))
        .or_else(|| find("", ""))
        .unwrap_or_else(|| built_in(key, "en").unwrap_or_default().to_string())
}

/// Fills `{name}` placeholders; unknown ones stay as written.
pub fn render(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The `{placeholders}` of a template that `key` does not offer.
pub fn unknown_variables(key: TextKey, template: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !key.variables().contains(&name)
        {
            unknown.push(name.to_string());
        }
        rest = &after[close + 1..];
    }
    unknown
}

/// `{opens_at}` when no opening is known within the schedule's horizon.
pub fn next_opening(lang: Option<&Lang>) -> &'static str {
    match lang.map(Lang::as_str) {
        Some("de") => "der nächsten Öffnung",
        Some("fr") => "la prochaine ouverture",
        Some("es") => "la próxima apertura",
        _ => "the next opening",
    }
}

const DAYS: [(&str, [&str; 7]); 4] = [
    (
        "en",
        [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
    ),
    (
        "de",
        [
            "Montag",
            "Dienstag",
            "Mittwoch",
            "Donnerstag",
            "Freitag",
            "Samstag",
            "Sonntag",
        ],
    ),
    (
        "fr",
        [
            "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        ],
    ),
    (
        "es",
        [
            "lunes",
            "martes",
            "miércoles",
            "jueves",
            "viernes",
            "sábado",
            "domingo",
        ],
    ),
];

const MONTHS: [(&str, [&str; 12]); 4] = [
    (
        "en",
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
    ),
    (
        "de",
        [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
    ),
    (
        "fr",
        [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
    ),
    (
        "es",
        [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
    ),
];

/// When the team opens, in its own time zone and the customer's language (English for a
/// language Baton does not ship): `morgen 09:00 (Europe/Berlin)`, `Monday 09:00 (…)`, later
/// `Monday 4 January 09:00 (…)`, with the year when it is not this year.
pub fn describe_opening(
    lang: Option<&Lang>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    zone: Tz,
) -> String {
    let lang = lang
        .map(Lang::as_str)
        .filter(|l| BUILT_IN.contains(l))
        .unwrap_or("en");
    let days = DAYS
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, d)| d)
        .unwrap_or(&DAYS[0].1);
    let months = MONTHS
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, m)| m)
        .unwrap_or(&MONTHS[0].1);
    let at = at.with_timezone(&zone);
    let today = now.with_timezone(&zone).date_naive();
    let date = at.date_naive();
    let day = days[date.weekday().num_days_from_monday() as usize];
    let month = months[date.month0() as usize];
    let d = date.day();
    let mut text = match ((date - today).num_days(), lang) {
        (0, "de") => "heute".to_string(),
        (0, "fr") => "aujourd’hui".to_string(),
        (0, "es") => "hoy".to_string(),
        (0, _) => "today".to_string(),
        (1, "de") => "morgen".to_string(),
        (1, "fr") => "demain".to_string(),
        (1, "es") => "mañana".to_string(),
        (1, _) => "tomorrow".to_string(),
        (2..=6, _) => day.to_string(),
        (_, "de") => format!("{day}, {d}. {month}"),
        (_, "es") => format!("{day} {d} de {month}"),
        (_, _) => format!("{day} {d} {month}"),
    };
    if (date - today).num_days() > 6 && date.year() != today.year() {
        text.push_str(&format!(" {}", date.year()));
    }
    text.push_str(&format!(" {} ({})", at.format("%H:%M"), zone.name()));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(team: &str, locale: &str, key: &str, template: &str) -> Override {
        Override {
            team: team.into(),
            locale: locale.into(),
            key: key.into(),
            template: template.into(),
        }
    }

    #[test]
    fn the_most_specific_template_wins_and_a_teams_own_wording_is_kept_without_a_language() {
        let de = Lang::parse("de-AT").unwrap();
        let en = Lang::parse("en-GB").unwrap();
        let none: Vec<Override> = Vec::new();
        let k = TextKey::OffHours;
        let team_msg = Some("Closed; back {opens_at}.");
        // No language: the team's own off-hours message, not a built-in sentence.
        assert_eq!(
            choose(k, None, Some("support"), &none, team_msg),
            "Closed; back {opens_at}."
        );
        // English asked for: still the team's own English wording.
        assert_eq!(
            choose(k, Some(&en), Some("support"), &none, team_msg),
            "Closed; back {opens_at}."
        );
        // German: Baton's German text, unless the admin wrote one.
        assert!(choose(k, Some(&de), Some("support"), &none, team_msg).starts_with("Wir sind"));
        let set = vec![
            o("", "de", "off_hours", "Alle: {opens_at}"),
            o("support", "de", "off_hours", "Support: {opens_at}"),
            o("", "", "joined", "{reviewer} is here"),
        ];
        assert_eq!(
            choose(k, Some(&de), Some("support"), &set, team_msg),
            "Support: {opens_at}"
        );
        assert_eq!(
            choose(k, Some(&de), Some("billing"), &set, None),
            "Alle: {opens_at}"
        );
        assert_eq!(
            choose(TextKey::Joined, None, Some("billing"), &set, None),
            "{reviewer} is here"
        );
        assert_eq!(
            choose(
                TextKey::Joined,
                Some(&Lang::parse("ja").unwrap()),
                None,
                &none,
                None
            ),
            "{reviewer} joined the conversation"
        );
    }

    #[test]
    fn templates_name_only_their_own_variables() {
        assert!(unknown_variables(TextKey::Joined, "{reviewer} hier").is_empty());
        assert_eq!(
            unknown_variables(TextKey::Joined, "{reviewr} {x}"),
            ["reviewr", "x"]
        );
        assert_eq!(
            render("{reviewer} hier", &[("reviewer", "Alice")]),
            "Alice hier"
        );
        assert!(Lang::parse("deutsch!").is_err());
    }

    #[test]
    fn the_opening_is_written_in_the_customers_language_and_the_teams_zone() {
        let zone: Tz = "Europe/Berlin".parse().unwrap();
        let now: DateTime<Utc> = "2026-12-04T21:00:00Z".parse().unwrap(); // Friday 22:00 Berlin
        let tomorrow: DateTime<Utc> = "2026-12-05T08:00:00Z".parse().unwrap();
        let monday: DateTime<Utc> = "2026-12-07T08:00:00Z".parse().unwrap();
        let later: DateTime<Utc> = "2027-01-04T08:00:00Z".parse().unwrap();
        let de = Lang::parse("de").unwrap();
        assert_eq!(
            describe_opening(Some(&de), tomorrow, now, zone),
            "morgen 09:00 (Europe/Berlin)"
        );
        assert_eq!(
            describe_opening(Some(&de), monday, now, zone),
            "Montag 09:00 (Europe/Berlin)"
        );
        assert_eq!(
            describe_opening(Some(&de), later, now, zone),
            "Montag, 4. Januar 2027 09:00 (Europe/Berlin)"
        );
        assert_eq!(
            describe_opening(None, monday, now, zone),
            "Monday 09:00 (Europe/Berlin)"
        );
    }
}
