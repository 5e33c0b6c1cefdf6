//! What a conversation search asks for, checked once: the typed text (its words for the
//! full-text index, written so that no user input is ever read as query syntax), the filters,
//! the order and the page size; and how a highlighted snippet is cut into plain and matched
//! parts. `db::search` turns it into SQL, `routes::search` and the inbox's search page parse
//! into it.

use chrono::NaiveDateTime;

use super::types::{Outcome, NUL_REFUSED};

/// The longest search text, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
/// Words after this many are ignored: each one narrows the result, and each costs the index a
/// posting list.
pub const MAX_WORDS: usize = 12;
/// The default and the largest page.
pub const DEFAULT_LIMIT: i64 = 25;
pub const MAX_LIMIT: i64 = 100;
/// How far a search pages: results past this many are not offered (narrow the search instead).
pub const MAX_OFFSET: i64 = 1000;

/// Where the database's highlighter starts and ends a matched word. Private-use characters
/// that the highlighted text is split on ([`highlighted`]), so that a page escapes every part
/// and only then wraps the matched ones: nothing a customer wrote can become markup.
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// The order of the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SearchSort {
    /// Last activity first (the default).
    #[default]
    Recent,
    /// Oldest last activity first.
    Oldest,
    /// Best match of the words first (as `recent` when no word was given).
    Relevance,
}

/// Open or closed conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Open,
    Closed,
}

super::types::str_enum!(SearchSort { Recent => "recent", Oldest => "oldest", Relevance => "relevance" });
super::types::str_enum!(StatusFilter { Open => "open", Closed => "closed" });

/// What was typed in the search box: the words for the full-text index, and the whole text,
/// which also finds a session id or user id that equals it or starts with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchText {
    raw: String,
    words: Vec<String>,
}

impl SearchText {
    /// `None` for a blank text. Refuses a text longer than [`MAX_TEXT_CHARS`] or holding NUL.
    pub fn parse(raw: &str) -> Result<Option<SearchText>, String> {
        if raw.contains('\0') {
            return Err(NUL_REFUSED.into());
        }
        if raw.chars().count() > MAX_TEXT_CHARS {
            return Err(format!("must be at most {MAX_TEXT_CHARS} characters"));
        }
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        // Words are cut at blanks. Inside the index's query each is a quoted string (FTS5) or
        // plain text (`plainto_tsquery`), so quotes, stars, brackets, `NEAR`, `-` or `:` are
        // only text: the index cuts them away as it cut the messages (`foo:bar` finds "foo bar").
        let mut words: Vec<String> = Vec::new();
        for word in raw
            .split(char::is_whitespace)
            .filter(|w| w.chars().any(char::is_alphanumeric))
        {
            let word = word.to_lowercase();
            if !words.contains(&word) {
                words.push(word);
            }
            if words.len() == MAX_WORDS {
                break;
            }
        }
        Ok(Some(SearchText {
            raw: raw.to_string(),
            words,
        }))
    }

    /// The text as typed (trimmed).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The words to find in messages (lowercase, distinct, as typed between blanks); may be
    /// empty (`"--"`).
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// An FTS5 `MATCH` expression that finds messages holding every word: each word a quoted
    /// string, so `NEAR`, `AND`, `*`, `:` or `-` are only text. `None` without words.
    pub fn fts5_query(&self) -> Option<String> {
        if self.words.is_empty() {
            return None;
        }
        Some(
            self.words
                .iter()
                .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    /// The text PostgreSQL's `plainto_tsquery` reads (it has no syntax, only words). `None`
    /// without words.
    pub fn plain_query(&self) -> Option<String> {
        (!self.words.is_empty()).then(|| self.words.join(" "))
    }

    /// The text as a session id or user id prefix, when it could be one (no blank inside).
    pub fn id_prefix(&self) -> Option<&str> {
        (!self.raw.contains(char::is_whitespace)).then_some(self.raw.as_str())
    }
}

/// A whole search, checked.
#[derive(Clone, Debug, Default)]
pub struct Search {
    pub text: Option<SearchText>,
    /// The team (by name) the latest takeover is assigned to.
    pub team: Option<String>,
    pub channel: Option<String>,
    /// The latest takeover's reason.
    pub reason: Option<String>,
    /// The latest takeover's outcome.
    pub outcome: Option<Outcome>,
    /// A reviewer (by name) who held any of the conversation's takeovers.
    pub reviewer: Option<String>,
    pub status: Option<StatusFilter>,
    /// Last activity at or after.
    pub from: Option<NaiveDateTime>,
    /// Last activity before.
    pub to: Option<NaiveDateTime>,
    pub sort: SearchSort,
    pub limit: i64,
    /// How many results to skip (the next page starts at `offset + limit`).
    pub offset: i64,
}

/// A filter value: a blank one filters nothing.
pub fn filter_value(v: Option<&str>) -> Option<String> {
    v.map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

/// Checks a page size: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn limit(v: Option<i64>) -> Result<i64, String> {
    match v {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(format!("must be 1 to {MAX_LIMIT}")),
    }
}

/// A search as it arrives: every value as typed (from a query string or the inbox's form). A
/// blank free text (`q`, `team`, `channel`, `reviewer`) filters nothing; any other value must
/// be valid as given (a form leaves out what it does not set).
#[derive(Clone, Debug, Default)]
pub struct RawSearch<'a> {
    pub q: Option<&'a str>,
    pub team: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub reviewer: Option<&'a str>,
    pub status: Option<&'a str>,
    /// RFC 3339.
    pub from: Option<&'a str>,
    /// RFC 3339.
    pub to: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub offset: Option<&'a str>,
}

/// One value refused: the field and what is wrong with it.
pub type FieldProblem = (&'static str, String);

fn one_of<T>(
    field: &'static str,
    raw: Option<&str>,
    parse: fn(&str) -> Option<T>,
    names: &[&str],
    problems: &mut Vec<FieldProblem>,
) -> Option<T> {
    let raw = raw?;
    let parsed = parse(raw);
    if parsed.is_none() {
        problems.push((field, format!("must be one of {}", names.join(", "))));
    }
    parsed
}

fn instant(
    field: &'static str,
    raw: Option<&str>,
    problems: &mut Vec<FieldProblem>,
) -> Option<NaiveDateTime> {
    let raw = raw?;
    match raw
        .parse::<chrono::DateTime<chrono::Utc>>()
        .map_err(|_| format!("{raw:?} is not an RFC 3339 time such as 2026-12-06T09:30:00Z"))
        .and_then(super::types::instant::check)
    {
        Ok(at) => Some(at.naive_utc()),
        Err(e) => {
            problems.push((field, e));
            None
        }
    }
}

impl Search {
    /// Checks every value, and names each one refused.
    pub fn parse(raw: &RawSearch<'_>) -> Result<Search, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let text = match raw.q.map(SearchText::parse).transpose() {
            Ok(t) => t.flatten(),
            Err(e) => {
                problems.push(("q", e));
                None
            }
        };
        let mut free = |field: &'static str, v: Option<&str>| {
            let v = filter_value(v);
            if v.as_deref().is_some_and(|v| v.contains('\0')) {
                problems.push((field, NUL_REFUSED.to_string()));
            }
            v
        };
        let team = free("team", raw.team);
        let channel = free("channel", raw.channel);
        let reviewer = free("reviewer", raw.reviewer);
        let reason = one_of(
            "reason",
            raw.reason,
            super::types::Reason::parse,
            super::types::Reason::NAMES,
            &mut problems,
        )
        .map(|r| r.as_str().to_string());
        let outcome = one_of(
            "outcome",
            raw.outcome,
            Outcome::parse,
            Outcome::NAMES,
            &mut problems,
        );
        let status = one_of(
            "status",
            raw.status,
            StatusFilter::parse,
            StatusFilter::NAMES,
            &mut problems,
        );
        let sort = one_of(
            "sort",
            raw.sort,
            SearchSort::parse,
            SearchSort::NAMES,
            &mut problems,
        )
        .unwrap_or_default();
        let from = instant("from", raw.from, &mut problems);
        let to = instant("to", raw.to, &mut problems);
        let limit = match raw.limit {
            None => limit(None),
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| format!("{v:?} is not a whole number; use 1 to {MAX_LIMIT}"))
                .and_then(|n| limit(Some(n))),
        }
        .unwrap_or_else(|e| {
            problems.push(("limit", e));
            DEFAULT_LIMIT
        });
        let offset = match raw.offset {
            None => Ok(0),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=MAX_OFFSET).contains(n))
                .ok_or_else(|| format!("{v:?} is not 0 to {MAX_OFFSET}")),
        }
        .unwrap_or_else(|e| {
            problems.push(("offset", e));
            0
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Search {
            text,
            team,
            channel,
            reason,
            outcome,
            reviewer,
            status,
            from,
            to,
            sort,
            limit,
            offset,
        })
    }
}

/// Cuts a highlighted snippet into (text, matched) parts; stray markers are dropped.
pub fn highlighted(snippet: &str) -> Vec<(String, bool)> {
    let mut parts: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    let mut inside = false;
    for c in snippet.chars() {
        if c == MARK_START || c == MARK_END {
            if !current.is_empty() {
                parts.push((std::mem::take(&mut current), inside));
            }
            inside = c == MARK_START;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        parts.push((current, inside));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(raw: &str) -> SearchText {
        SearchText::parse(raw).unwrap().unwrap()
    }

    #[test]
    fn query_syntax_typed_by_a_person_is_only_text() {
        let t = text(r#"refund" OR (NEAR* -foo:bar"#);
        assert_eq!(t.words(), ["refund\"", "or", "(near*", "-foo:bar"]);
        assert_eq!(
            t.fts5_query().unwrap(),
            r#""refund""" "or" "(near*" "-foo:bar""#
        );
        assert_eq!(t.plain_query().unwrap(), r#"refund" or (near* -foo:bar"#);
        assert_eq!(text("\" * ( ) : -").words(), Vec::<String>::new());
        assert_eq!(text("\" * ( ) : -").fts5_query(), None);
    }

    #[test]
    fn words_are_lowercase_distinct_and_any_script() {
        let t = text("Café CAFÉ ünïcode 東京 42 नमस्ते");
        assert_eq!(t.words(), ["café", "ünïcode", "東京", "42", "नमस्ते"]);
    }

    #[test]
    fn a_text_without_blanks_may_be_an_id_prefix() {
        assert_eq!(text("  sess-42 ").id_prefix(), Some("sess-42"));
        assert_eq!(text("two words").id_prefix(), None);
    }

    #[test]
    fn blank_long_or_nul_texts_are_told_apart() {
        assert_eq!(SearchText::parse("   ").unwrap(), None);
        assert!(SearchText::parse(&"a".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(SearchText::parse(&"é".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(SearchText::parse("a\0b").is_err());
    }

    #[test]
    fn many_words_are_cut_to_the_maximum() {
        let raw: Vec<String> = (0..30).map(|i| format!("w{i}")).collect();
        assert_eq!(text(&raw.join(" ")).words().len(), MAX_WORDS);
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert_eq!(limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(limit(Some(100)), Ok(100));
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
    }

    #[test]
    fn a_snippet_is_cut_at_its_markers() {
        let s = format!("a {MARK_START}refund{MARK_END} for <b>{MARK_END}");
        assert_eq!(
            highlighted(&s),
            vec![
                ("a ".to_string(), false),
                ("refund".to_string(), true),
                (" for <b>".to_string(), false),
            ]
        );
    }

    #[test]
    fn every_bad_value_is_named() {
        let raw = RawSearch {
            q: Some("a\0"),
            sort: Some("newest"),
            from: Some("yesterday"),
            to: Some("2026-12-06"),
            limit: Some("500"),
            offset: Some("-1"),
            outcome: Some("won"),
            status: Some("ajar"),
            reason: Some("bored"),
            ..Default::default()
        };
        let fields: Vec<&str> = Search::parse(&raw)
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            ["q", "reason", "outcome", "status", "sort", "from", "to", "limit", "offset"]
        );
    }

    #[test]
    fn blank_values_filter_nothing_and_good_ones_are_kept() {
        let s = Search::parse(&RawSearch {
            q: Some("  "),
            team: Some(" "),
            outcome: Some("handed_back"),
            status: Some("closed"),
            from: Some("2026-12-06T09:30:00Z"),
            sort: Some("relevance"),
            limit: Some("7"),
            offset: Some("14"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.offset, 14);
        assert_eq!(s.text, None);
        assert_eq!(s.team, None);
        assert_eq!(s.outcome, Some(Outcome::HandedBack));
        assert_eq!(s.status, Some(StatusFilter::Closed));
        assert_eq!(s.sort, SearchSort::Relevance);
        assert_eq!(s.limit, 7);
        assert_eq!(s.from.unwrap().to_string(), "2026-12-06 09:30:00");
    }
}
