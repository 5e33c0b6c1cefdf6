//! WhatsApp message templates: what a team's approved template may hold (WhatsApp's own rules
//! for names, languages, categories, numbered parameters, headers and buttons), and how one is
//! filled for a reply after the 24-hour window (`visibility::reply_window_closes_at`): the
//! rendered text Baton records as the turn, and the Cloud API's `template` object the workflow
//! sends as is. Pure: `db::templates` stores them, `routes::templates` and `inbox::templates`
//! call these rules.
//!
//! Baton does not talk to Meta: an admin registers a template that Meta has approved, with the
//! same name, language and text, and Baton checks only what WhatsApp would refuse in its shape.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::credentials::ReviewerAuth;

/// A template name's rule, as the OpenAPI document states it.
pub const NAME_PATTERN: &str = "^[a-z0-9_]{1,512}$";
/// The longest name WhatsApp accepts.
pub const MAX_NAME: usize = 512;
/// A language code's rule: `en`, `en_US`, `pt_BR`, `fil`.
pub const LANGUAGE_PATTERN: &str = "^[a-z]{2,3}(_[A-Z]{2})?$";
/// The longest body, in characters.
pub const MAX_BODY: usize = 1024;
/// The longest header text and footer, in characters.
pub const MAX_HEADER_TEXT: usize = 60;
/// The longest footer, in characters.
pub const MAX_FOOTER: usize = 60;
/// The longest button label, in characters.
pub const MAX_BUTTON_TEXT: usize = 25;
/// The longest URL of a button, in characters.
pub const MAX_URL: usize = 2000;
/// At most this many buttons, of which at most two URL buttons and one phone number button.
pub const MAX_BUTTONS: usize = 10;
/// The longest value of one parameter, in characters.
pub const MAX_PARAMETER: usize = 1024;

/// May this reviewer send a template of `template_team` in a conversation of
/// `conversation_team`? Their own teams' templates only (admins: any team's), and in a
/// conversation that has a team, that team's only: a template belongs to one WhatsApp number.
pub fn may_send(r: &ReviewerAuth, conversation_team: Option<&str>, template_team: &str) -> bool {
    (r.is_admin || r.team_ids.iter().any(|t| t == template_team))
        && conversation_team.is_none_or(|c| c == template_team)
}

/// One rejected field: its JSON path and what is wrong with it.
pub type FieldProblem = (String, String);

fn problem(field: impl Into<String>, message: impl Into<String>) -> FieldProblem {
    (field.into(), message.into())
}

/// A template's name as WhatsApp spells it: lowercase letters, digits and `_`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateName(String);

impl TemplateName {
    pub fn parse(raw: &str) -> Result<TemplateName, String> {
        let ok = (1..=MAX_NAME).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(TemplateName(raw.to_string()))
        } else {
            Err(format!(
                "{raw:?} is not a WhatsApp template name: use 1 to {MAX_NAME} lowercase letters, digits and _, e.g. order_update"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A template's language: a language code, optionally with a country (`en`, `en_US`, `pt_BR`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Language(String);

impl Language {
    pub fn parse(raw: &str) -> Result<Language, String> {
        let (lang, country) = match raw.split_once('_') {
            Some((l, c)) => (l, Some(c)),
            None => (raw, None),
        };
        let ok = (2..=3).contains(&lang.len())
            && lang.bytes().all(|b| b.is_ascii_lowercase())
            && country.is_none_or(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()));
        if ok {
            Ok(Language(raw.to_string()))
        } else {
            Err(format!(
                "{raw:?} is not a WhatsApp language code: use e.g. en, en_US or pt_BR"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What WhatsApp bills a template as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    Marketing,
    Utility,
    Authentication,
}

impl Category {
    pub const ALL: [Category; 3] = [
        Category::Marketing,
        Category::Utility,
        Category::Authentication,
    ];

    pub fn parse(raw: &str) -> Result<Category, String> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == raw)
            .ok_or_else(|| {
                format!("{raw:?} is not a category: use MARKETING, UTILITY or AUTHENTICATION")
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Marketing => "MARKETING",
            Category::Utility => "UTILITY",
            Category::Authentication => "AUTHENTICATION",
        }
    }
}

/// What a template's header shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HeaderFormat {
    /// A line of text, with at most one parameter `{{1}}`.
    Text,
    /// An image; its link is given when the template is sent.
    Image,
    /// A video; its link is given when the template is sent.
    Video,
    /// A document (PDF); its link is given when the template is sent.
    Document,
}

impl HeaderFormat {
    pub const ALL: [HeaderFormat; 4] = [
        HeaderFormat::Text,
        HeaderFormat::Image,
        HeaderFormat::Video,
        HeaderFormat::Document,
    ];

    pub fn parse(raw: &str) -> Result<HeaderFormat, String> {
        HeaderFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == raw)
            .ok_or_else(|| {
                format!("{raw:?} is not a header format: use TEXT, IMAGE, VIDEO or DOCUMENT")
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HeaderFormat::Text => "TEXT",
            HeaderFormat::Image => "IMAGE",
            HeaderFormat::Video => "VIDEO",
            HeaderFormat::Document => "DOCUMENT",
        }
    }
}

/// A template's header: a text (with its parameter count) or a kind of media.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Header {
    Text { text: String, parameters: usize },
    Media(HeaderFormat),
}

impl Header {
    pub fn format(&self) -> HeaderFormat {
        match self {
            Header::Text { .. } => HeaderFormat::Text,
            Header::Media(f) => *f,
        }
    }

    /// How many values a reply gives the header: its text's parameters, or one link.
    pub fn parameters(&self) -> usize {
        match self {
            Header::Text { parameters, .. } => *parameters,
            Header::Media(_) => 1,
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Header::Text { text, .. } => Some(text),
            Header::Media(_) => None,
        }
    }
}

/// The kinds of button WhatsApp templates may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ButtonKind {
    /// A reply the customer taps; comes back as their message.
    QuickReply,
    /// Opens `url`; a URL ending in `{{1}}` takes its ending when the template is sent.
    Url,
    /// Calls `phone_number`.
    PhoneNumber,
}

impl ButtonKind {
    pub const ALL: [ButtonKind; 3] = [
        ButtonKind::QuickReply,
        ButtonKind::Url,
        ButtonKind::PhoneNumber,
    ];

    pub fn parse(raw: &str) -> Result<ButtonKind, String> {
        ButtonKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                format!("{raw:?} is not a button type: use QUICK_REPLY, URL or PHONE_NUMBER")
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ButtonKind::QuickReply => "QUICK_REPLY",
            ButtonKind::Url => "URL",
            ButtonKind::PhoneNumber => "PHONE_NUMBER",
        }
    }
}

/// One button, as WhatsApp defines it (and as Baton stores it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Button {
    /// `QUICK_REPLY`, `URL` or `PHONE_NUMBER`.
    #[serde(rename = "type")]
    pub kind: ButtonKind,
    /// The label, 1 to 25 characters.
    #[schema(min_length = 1, max_length = 25)]
    pub text: String,
    /// For `URL`: an `https://` (or `http://`) address; it may end in `{{1}}`, filled when the
    /// template is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, min_length = 1, max_length = 2000)]
    pub url: Option<String>,
    /// For `PHONE_NUMBER`: the number, with its country code (`+15550001234`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, pattern = r"^\+?[0-9]{6,20}$")]
    pub phone_number: Option<String>,
}

impl Button {
    /// Whether its URL ends in the parameter `{{1}}`.
    pub fn has_parameter(&self) -> bool {
        self.kind == ButtonKind::Url && self.url.as_deref().is_some_and(|u| u.ends_with("{{1}}"))
    }
}

/// A template's definition, checked: what the reply form asks for and what is rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    pub header: Option<Header>,
    pub body: String,
    /// How many parameters the body has: `{{1}}` to `{{n}}`.
    pub body_parameters: usize,
    pub footer: Option<String>,
    pub buttons: Vec<Button>,
}

/// The unchecked parts of a definition, as a request (or a stored row) has them.
#[derive(Clone, Debug, Default)]
pub struct Draft<'a> {
    pub header_format: Option<&'a str>,
    pub header_text: Option<&'a str>,
    pub body: &'a str,
    pub footer: Option<&'a str>,
    pub buttons: &'a [Button],
}

/// The numbers of the `{{n}}` placeholders in `text`, in order, or why the text is refused:
/// only `{{` digits `}}` are placeholders, and anything else between `{{` and `}}` is an error.
fn placeholders(text: &str) -> Result<Vec<usize>, String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err("has {{ without a closing }}".into());
        };
        let inner = &after[..close];
        match inner.parse::<usize>() {
            Ok(n) if n >= 1 && inner.bytes().all(|b| b.is_ascii_digit()) => found.push(n),
            _ => {
                return Err(format!(
                "{{{{{inner}}}}} is not a parameter: parameters are numbered {{{{1}}}}, {{{{2}}}}…"
            ))
            }
        }
        rest = &after[close + 2..];
    }
    Ok(found)
}

/// How many parameters `text` has, when they are numbered 1 to n without a gap.
fn numbered(text: &str) -> Result<usize, String> {
    let found = placeholders(text)?;
    let n = found.iter().copied().max().unwrap_or(0);
    if let Some(missing) = (1..=n).find(|k| !found.contains(k)) {
        return Err(format!(
            "uses {{{{{n}}}}} but not {{{{{missing}}}}}: parameters are numbered from {{{{1}}}} without a gap"
        ));
    }
    Ok(n)
}

fn bounded(text: &str, max: usize) -> Result<(), String> {
    if text.contains('\0') {
        return Err(super::types::NUL_REFUSED.into());
    }
    if text.trim().is_empty() {
        return Err("must not be empty".into());
    }
    let n = text.chars().count();
    if n > max {
        return Err(format!("is {n} characters; the limit is {max}"));
    }
    Ok(())
}

fn web_address(raw: &str) -> Result<(), String> {
    let concrete = raw.strip_suffix("{{1}}").unwrap_or(raw);
    if concrete.contains("{{") {
        return Err("may hold a parameter only as {{1}} at its very end".into());
    }
    let probe = format!("{concrete}x");
    match url::Url::parse(&probe) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host_str().is_some() => Ok(()),
        _ => Err(format!("{raw:?} is not an http(s) address")),
    }
}

fn phone_number(raw: &str) -> Result<(), String> {
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    if (6..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "{raw:?} is not a phone number: digits with the country code, e.g. +15550001234"
        ))
    }
}

impl Definition {
    /// Checks a template's parts by WhatsApp's rules; every rejected field is named.
    pub fn parse(d: &Draft<'_>) -> Result<Definition, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let header = match (d.header_format, d.header_text) {
            (None, None) => None,
            (None, Some(_)) => {
                problems.push(problem("header.format", "is required with a header"));
                None
            }
            (Some(raw), text) => match HeaderFormat::parse(raw) {
                Err(e) => {
                    problems.push(problem("header.format", e));
                    None
                }
                Ok(HeaderFormat::Text) => {
                    let text = text.unwrap_or("");
                    let checked =
                        bounded(text, MAX_HEADER_TEXT).and_then(|()| match numbered(text)? {
                            n @ (0 | 1) => Ok(n),
                            _ => Err("may have at most one parameter, {{1}}".to_string()),
                        });
                    match checked {
                        Ok(n) => Some(Header::Text {
                            text: text.to_string(),
                            parameters: n,
                        }),
                        Err(e) => {
                            problems.push(problem("header.text", e));
                            None
                        }
                    }
                }
                Ok(media) if text.is_some() => {
                    problems.push(problem(
                        "header.text",
                        format!("a {} header has no text", media.as_str()),
                    ));
                    None
                }
                Ok(media) => Some(Header::Media(media)),
            },
        };
        let body_parameters = match bounded(d.body, MAX_BODY).and_then(|()| numbered(d.body)) {
            Ok(n) => n,
            Err(e) => {
                problems.push(problem("body", e));
                0
            }
        };
        if let Some(footer) = d.footer {
            let checked = bounded(footer, MAX_FOOTER).and_then(|()| {
                if footer.contains("{{") {
                    Err("has no parameters".to_string())
                } else {
                    Ok(())
                }
            });
            if let Err(e) = checked {
                problems.push(problem("footer", e));
            }
        }
        if d.buttons.len() > MAX_BUTTONS {
            problems.push(problem(
                "buttons",
                format!(
                    "has {} buttons; the limit is {MAX_BUTTONS}",
                    d.buttons.len()
                ),
            ));
        }
        let count = |k: ButtonKind| d.buttons.iter().filter(|b| b.kind == k).count();
        if count(ButtonKind::Url) > 2 {
            problems.push(problem("buttons", "may have at most two URL buttons"));
        }
        if count(ButtonKind::PhoneNumber) > 1 {
            problems.push(problem(
                "buttons",
                "may have at most one PHONE_NUMBER button",
            ));
        }
        for (i, b) in d.buttons.iter().enumerate() {
            let at = |f: &str| format!("buttons[{i}].{f}");
            if let Err(e) = bounded(&b.text, MAX_BUTTON_TEXT) {
                problems.push(problem(at("text"), e));
            }
            match (b.kind, &b.url, &b.phone_number) {
                (ButtonKind::QuickReply, None, None) => {}
                (ButtonKind::QuickReply, Some(_), _) => {
                    problems.push(problem(at("url"), "only a URL button has a url"))
                }
                (ButtonKind::QuickReply, None, Some(_)) => problems.push(problem(
                    at("phone_number"),
                    "only a PHONE_NUMBER button has a phone_number",
                )),
                (ButtonKind::Url, None, _) => {
                    problems.push(problem(at("url"), "is required for a URL button"))
                }
                (ButtonKind::Url, Some(url), phone) => {
                    if let Err(e) = bounded(url, MAX_URL).and_then(|()| web_address(url)) {
                        problems.push(problem(at("url"), e));
                    }
                    if phone.is_some() {
                        problems.push(problem(
                            at("phone_number"),
                            "only a PHONE_NUMBER button has a phone_number",
                        ));
                    }
                }
                (ButtonKind::PhoneNumber, url, phone) => {
                    match phone {
                        None => problems.push(problem(
                            at("phone_number"),
                            "is required for a PHONE_NUMBER button",
                        )),
                        Some(p) => {
                            if let Err(e) = phone_number(p) {
                                problems.push(problem(at("phone_number"), e));
                            }
                        }
                    }
                    if url.is_some() {
                        problems.push(problem(at("url"), "only a URL button has a url"));
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Definition {
            header,
            body: d.body.to_string(),
            body_parameters,
            footer: d.footer.map(str::to_string),
            buttons: d.buttons.to_vec(),
        })
    }

    /// How many values the reply gives its URL buttons: one per URL ending in `{{1}}`.
    pub fn button_parameters(&self) -> usize {
        self.buttons.iter().filter(|b| b.has_parameter()).count()
    }
}

/// The values a reviewer fills a template with.
#[derive(Clone, Debug, Default)]
pub struct Values<'a> {
    /// The body's `{{1}}`..`{{n}}`, in order.
    pub body: &'a [String],
    /// The header's `{{1}}`, or a media header's link.
    pub header: &'a [String],
    /// One URL suffix per URL button ending in `{{1}}`, in button order.
    pub buttons: &'a [String],
}

/// The WhatsApp Cloud API's `template` field of a message, ready to send as is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CloudTemplate {
    /// The template's name.
    pub name: String,
    /// The template's language.
    pub language: CloudLanguage,
    /// The filled parameters: a `header`, `body` or `button` component only where that part
    /// has parameters.
    pub components: Vec<CloudComponent>,
}

/// The Cloud API's `language` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CloudLanguage {
    /// The language code, e.g. `en_US`.
    pub code: String,
}

/// Which part of the template a component fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ComponentKind {
    Header,
    Body,
    Button,
}

/// What kind of button a `button` component fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ButtonSubType {
    Url,
}

/// One component of the Cloud API's `template` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CloudComponent {
    /// `header`, `body` or `button`.
    #[serde(rename = "type")]
    pub kind: ComponentKind,
    /// For a `button`: `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub sub_type: Option<ButtonSubType>,
    /// For a `button`: its position among the template's buttons, from `"0"` (a string, as
    /// the Cloud API has it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub index: Option<String>,
    /// The values, in order.
    pub parameters: Vec<CloudParameter>,
}

/// A media header's link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MediaLink {
    /// Where WhatsApp fetches the media.
    pub link: String,
}

/// One parameter value of the Cloud API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum CloudParameter {
    Text { text: String },
    Image { image: MediaLink },
    Video { video: MediaLink },
    Document { document: MediaLink },
}

/// A filled template: the text as the customer reads it, and what the workflow sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// Header text, body and footer, filled, separated by blank lines.
    pub content: String,
    pub template: CloudTemplate,
}

/// `text` with `{{k}}` replaced by `values[k - 1]`, in one pass (a value is never read again).
pub fn fill(text: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let value = after.find("}}").and_then(|close| {
            let k: usize = after[..close].parse().ok()?;
            Some((values.get(k.checked_sub(1)?)?, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A text parameter: not empty, not too long, and (WhatsApp refuses these) no line break, no
/// tab and no more than four spaces in a row.
fn text_value(v: &str) -> Result<(), String> {
    bounded(v, MAX_PARAMETER)?;
    if v.contains(['\n', '\r', '\t']) {
        return Err("may not hold a line break or a tab (WhatsApp refuses them)".into());
    }
    if v.contains("     ") {
        return Err("may not hold more than four spaces in a row (WhatsApp refuses them)".into());
    }
    Ok(())
}

fn count(field: &str, given: usize, wanted: usize, what: &str) -> Result<(), FieldProblem> {
    if given == wanted {
        Ok(())
    } else {
        Err(problem(
            field,
            format!("the template's {what} takes {wanted} value(s); {given} given"),
        ))
    }
}

impl Definition {
    /// Fills the template with a reviewer's values: exactly as many as each part takes, each
    /// a value WhatsApp accepts; every rejected field is named.
    pub fn render(
        &self,
        name: &str,
        language: &str,
        values: &Values<'_>,
    ) -> Result<Rendered, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let header_wanted = self.header.as_ref().map_or(0, Header::parameters);
        let checks = [
            ("parameters", values.body, self.body_parameters, "body"),
            ("header_parameters", values.header, header_wanted, "header"),
            (
                "button_parameters",
                values.buttons,
                self.button_parameters(),
                "URL buttons",
            ),
        ];
        for (field, given, wanted, what) in checks {
            if let Err(p) = count(field, given.len(), wanted, what) {
                problems.push(p);
                continue;
            }
            for (i, v) in given.iter().enumerate() {
                let media =
                    field == "header_parameters" && matches!(self.header, Some(Header::Media(_)));
                let checked = if media {
                    bounded(v, MAX_URL).and_then(|()| match url::Url::parse(v) {
                        Ok(u) if u.scheme() == "https" => Ok(()),
                        _ => Err(format!("{v:?} is not an https:// link to the media")),
                    })
                } else if field == "button_parameters" {
                    bounded(v, MAX_URL).and_then(|()| {
                        if v.chars().any(char::is_whitespace) {
                            Err("a URL ending may not hold spaces".to_string())
                        } else {
                            Ok(())
                        }
                    })
                } else {
                    text_value(v)
                };
                if let Err(e) = checked {
                    problems.push(problem(format!("{field}[{i}]"), e));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let text = |v: &String| CloudParameter::Text { text: v.clone() };
        let mut components = Vec::new();
        let mut parts = Vec::new();
        match &self.header {
            Some(Header::Text { text: h, .. }) => {
                parts.push(fill(h, values.header));
                if !values.header.is_empty() {
                    components.push(CloudComponent {
                        kind: ComponentKind::Header,
                        sub_type: None,
                        index: None,
                        parameters: values.header.iter().map(text).collect(),
                    });
                }
            }
            Some(Header::Media(format)) => {
                let link = MediaLink {
                    link: values.header[0].clone(),
                };
                components.push(CloudComponent {
                    kind: ComponentKind::Header,
                    sub_type: None,
                    index: None,
                    parameters: vec![match format {
                        HeaderFormat::Image | HeaderFormat::Text => {
                            CloudParameter::Image { image: link }
                        }
                        HeaderFormat::Video => CloudParameter::Video { video: link },
                        HeaderFormat::Document => CloudParameter::Document { document: link },
                    }],
                });
            }
            None => {}
        }
        parts.push(fill(&self.body, values.body));
        if !values.body.is_empty() {
            components.push(CloudComponent {
                kind: ComponentKind::Body,
                sub_type: None,
                index: None,
                parameters: values.body.iter().map(text).collect(),
            });
        }
        if let Some(footer) = &self.footer {
            parts.push(footer.clone());
        }
        let mut suffixes = values.buttons.iter();
        for (i, b) in self.buttons.iter().enumerate() {
            if b.has_parameter() {
                if let Some(v) = suffixes.next() {
                    components.push(CloudComponent {
                        kind: ComponentKind::Button,
                        sub_type: Some(ButtonSubType::Url),
                        index: Some(i.to_string()),
                        parameters: vec![text(v)],
                    });
                }
            }
        }
        Ok(Rendered {
            content: parts.join("\n\n"),
            template: CloudTemplate {
                name: name.to_string(),
                language: CloudLanguage {
                    code: language.to_string(),
                },
                components,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(body: &str) -> Draft<'_> {
        Draft {
            body,
            ..Draft::default()
        }
    }

    fn fields(r: Result<Definition, Vec<FieldProblem>>) -> Vec<String> {
        r.expect_err("refused")
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_reviewer_sends_their_teams_templates_and_only_the_conversations_teams() {
        let alice = ReviewerAuth {
            id: "r1".into(),
            name: "alice".into(),
            display_name: "Alice".into(),
            is_admin: false,
            team_ids: vec!["support".into()],
            team_names: vec!["support".into()],
        };
        let root = ReviewerAuth {
            is_admin: true,
            team_ids: vec![],
            ..alice.clone()
        };
        assert!(may_send(&alice, Some("support"), "support"));
        assert!(may_send(&alice, None, "support"));
        assert!(!may_send(&alice, None, "billing"));
        assert!(!may_send(&alice, Some("billing"), "billing"));
        assert!(!may_send(&root, Some("support"), "billing"));
        assert!(may_send(&root, None, "billing"));
    }

    #[test]
    fn names_and_languages_follow_whatsapps_spelling() {
        assert!(TemplateName::parse("order_update_2").is_ok());
        for bad in ["", "Order", "order-update", "order update", "ördér"] {
            assert!(TemplateName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(TemplateName::parse(&"a".repeat(513)).is_err());
        for good in ["en", "en_US", "pt_BR", "fil"] {
            assert!(Language::parse(good).is_ok(), "{good:?}");
        }
        for bad in ["", "EN", "en-US", "en_us", "english", "e", "en_USA", "en_"] {
            assert!(Language::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Category::parse("UTILITY"), Ok(Category::Utility));
        assert!(Category::parse("utility").is_err());
    }

    #[test]
    fn body_parameters_are_numbered_from_one_without_a_gap() {
        let d = Definition::parse(&draft("Hi {{1}}, order {{2}} ({{1}})")).unwrap();
        assert_eq!(d.body_parameters, 2);
        assert_eq!(
            Definition::parse(&draft("No values"))
                .unwrap()
                .body_parameters,
            0
        );
        for bad in [
            "Hi {{2}}",
            "Hi {{1}} {{3}}",
            "Hi {{name}}",
            "Hi {{0}}",
            "Hi {{ 1 }}",
            "Hi {{1",
            "  ",
        ] {
            assert_eq!(fields(Definition::parse(&draft(bad))), ["body"], "{bad:?}");
        }
        assert_eq!(
            fields(Definition::parse(&draft(&"x".repeat(1025)))),
            ["body"]
        );
    }

    #[test]
    fn headers_footers_and_buttons_are_checked_field_by_field() {
        let b = |kind, text: &str, url: Option<&str>, phone: Option<&str>| Button {
            kind,
            text: text.into(),
            url: url.map(Into::into),
            phone_number: phone.map(Into::into),
        };
        let good = [
            b(ButtonKind::QuickReply, "Yes", None, None),
            b(
                ButtonKind::Url,
                "Track",
                Some("https://shop.example/t/{{1}}"),
                None,
            ),
            b(
                ButtonKind::PhoneNumber,
                "Call us",
                None,
                Some("+15550001234"),
            ),
        ];
        let d = Definition::parse(&Draft {
            header_format: Some("TEXT"),
            header_text: Some("Order {{1}}"),
            body: "Hi {{1}}",
            footer: Some("Shop Inc."),
            buttons: &good,
        })
        .unwrap();
        assert_eq!(d.header.as_ref().unwrap().parameters(), 1);
        assert_eq!(d.button_parameters(), 1);
        let bad = [
            b(ButtonKind::QuickReply, "", None, None),
            b(ButtonKind::Url, "Go", Some("ftp://x/{{1}}"), None),
            b(ButtonKind::Url, "Go", Some("https://x/{{1}}/a"), None),
            b(ButtonKind::PhoneNumber, "Call", None, Some("call me")),
            b(ButtonKind::QuickReply, "Ok", Some("https://x"), None),
        ];
        let got = fields(Definition::parse(&Draft {
            header_format: Some("TEXT"),
            header_text: Some("{{1}} and {{2}}"),
            body: "Hi",
            footer: Some("{{1}}"),
            buttons: &bad,
        }));
        assert_eq!(
            got,
            [
                "header.text",
                "footer",
                "buttons[0].text",
                "buttons[1].url",
                "buttons[2].url",
                "buttons[3].phone_number",
                "buttons[4].url"
            ]
        );
        assert_eq!(
            fields(Definition::parse(&Draft {
                header_format: Some("IMAGE"),
                header_text: Some("x"),
                body: "Hi",
                ..Draft::default()
            })),
            ["header.text"]
        );
        assert_eq!(
            fields(Definition::parse(&Draft {
                header_format: Some("GIF"),
                body: "Hi",
                ..Draft::default()
            })),
            ["header.format"]
        );
        let three_urls = vec![b(ButtonKind::Url, "Go", Some("https://x.example"), None); 3];
        assert_eq!(
            fields(Definition::parse(&Draft {
                body: "Hi",
                buttons: &three_urls,
                ..Draft::default()
            })),
            ["buttons"]
        );
    }

    #[test]
    fn a_filled_template_is_the_cloud_apis_template_object() {
        let buttons = [
            Button {
                kind: ButtonKind::QuickReply,
                text: "Thanks".into(),
                url: None,
                phone_number: None,
            },
            Button {
                kind: ButtonKind::Url,
                text: "Track".into(),
                url: Some("https://shop.example/t/{{1}}".into()),
                phone_number: None,
            },
        ];
        let d = Definition::parse(&Draft {
            header_format: Some("TEXT"),
            header_text: Some("Order {{1}}"),
            body: "Hi {{1}}, order {{2}} is on its way.",
            footer: Some("Shop Inc."),
            buttons: &buttons,
        })
        .unwrap();
        let r = d
            .render(
                "order_update",
                "en_US",
                &Values {
                    body: &s(&["Ana", "#123"]),
                    header: &s(&["#123"]),
                    buttons: &s(&["123"]),
                },
            )
            .unwrap();
        assert_eq!(
            r.content,
            "Order #123\n\nHi Ana, order #123 is on its way.\n\nShop Inc."
        );
        assert_eq!(
            serde_json::to_value(&r.template).unwrap(),
            json!({"name": "order_update", "language": {"code": "en_US"}, "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "#123"}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#123"}]},
                {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "123"}]}
            ]})
        );
    }

    #[test]
    fn parts_without_parameters_have_no_component_and_media_headers_take_a_link() {
        let plain = Definition::parse(&draft("We are open again.")).unwrap();
        let r = plain.render("reopen", "en", &Values::default()).unwrap();
        assert_eq!(r.template.components, []);
        let doc = Definition::parse(&Draft {
            header_format: Some("DOCUMENT"),
            body: "Your invoice",
            ..Draft::default()
        })
        .unwrap();
        let r = doc
            .render(
                "invoice",
                "pt_BR",
                &Values {
                    header: &s(&["https://files.example/i.pdf"]),
                    ..Values::default()
                },
            )
            .unwrap();
        assert_eq!(
            serde_json::to_value(&r.template.components).unwrap(),
            json!([{"type": "header", "parameters": [{"type": "document", "document": {"link": "https://files.example/i.pdf"}}]}])
        );
        assert_eq!(r.content, "Your invoice");
    }

    #[test]
    fn missing_extra_and_unsendable_values_are_refused_by_field() {
        let d = Definition::parse(&draft("Hi {{1}}, order {{2}}")).unwrap();
        let refused = |body: &[&str], header: &[&str]| -> Vec<String> {
            let (b, h) = (s(body), s(header));
            d.render(
                "n",
                "en",
                &Values {
                    body: &b,
                    header: &h,
                    buttons: &[],
                },
            )
            .expect_err("refused")
            .into_iter()
            .map(|(f, _)| f)
            .collect()
        };
        assert_eq!(refused(&["Ana"], &[]), ["parameters"]);
        assert_eq!(refused(&["Ana", "1", "2"], &[]), ["parameters"]);
        assert_eq!(refused(&["Ana", "1"], &["x"]), ["header_parameters"]);
        assert_eq!(refused(&["Ana", " "], &[]), ["parameters[1]"]);
        assert_eq!(refused(&["A\nna", "1"], &[]), ["parameters[0]"]);
        assert_eq!(refused(&["A     na", "1"], &[]), ["parameters[0]"]);
    }

    #[test]
    fn a_value_holding_a_placeholder_is_not_filled_again() {
        assert_eq!(fill("{{1}} {{2}}", &s(&["{{2}}", "b"])), "{{2}} b");
        assert_eq!(fill("{{3}} {{x}} {{", &s(&["a"])), "{{3}} {{x}} {{");
    }
}
