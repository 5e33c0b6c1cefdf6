//! The detector's lexicons as data: one plain-text file per language in `lexicon/`, embedded at
//! build time, so a translator can edit a language without reading Rust. Each file is parsed
//! once (on the first detection) into the `LangSpec` that `Lang::compile` prepares.
//!
//! The sections (word classes), as `LangSpec` documents them: `persons` (person nouns and
//! their inflections), `suffixes` (compounds ending in these count as persons), `depts`,
//! `pronouns`, `direct` (requests on their own: "call me back"), `contact`, `participles`,
//! `desire`, `post` (cues after the noun), `verb_final`, `linkers` (glue between a cue and the
//! noun), `fillers`, `polite`, `negations`, `weak_negations`, `weak_continuations`,
//! `transparent` (words a negation scopes through), `think`, `breakers`, `post_negations`,
//! `past`, `relative`, `copulas`, `possessives`, `clause_breaks`, `bots`, `interjections`,
//! `after_modifiers`, `infinitive_endings`.

use std::collections::HashMap;

use super::{LangSpec, LANG_COUNT};

/// Every language's file, in the order the detector tries them when nothing hints otherwise.
pub(super) const FILES: [(&str, &str); LANG_COUNT] = [
    ("en", include_str!("lexicon/en.txt")),
    ("de", include_str!("lexicon/de.txt")),
    ("fr", include_str!("lexicon/fr.txt")),
    ("es", include_str!("lexicon/es.txt")),
    ("pt", include_str!("lexicon/pt.txt")),
    ("nl", include_str!("lexicon/nl.txt")),
    ("it", include_str!("lexicon/it.txt")),
    ("fi", include_str!("lexicon/fi.txt")),
    ("sv", include_str!("lexicon/sv.txt")),
    ("pl", include_str!("lexicon/pl.txt")),
    ("da", include_str!("lexicon/da.txt")),
];

/// The lexicon data lives as long as the process (it backs a `static`), so its lists are
/// leaked once instead of copied into owned strings the compiled `Lang` would not keep anyway.
fn leak(items: Vec<&'static str>) -> &'static [&'static str] {
    Vec::leak(items)
}

/// Parses one language's file. An unknown section, a word before any section or a `verb_final`
/// that is not yes/no is refused with its line number.
pub(super) fn parse(code: &'static str, text: &'static str) -> Result<LangSpec, String> {
    let mut lists: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
    let mut verb_final = false;
    let mut section: Option<&'static str> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if name != "verb_final" && !SECTIONS.contains(&name) {
                return Err(format!("line {}: unknown section [{name}]", n + 1));
            }
            section = Some(name);
            continue;
        }
        match section {
            None => {
                return Err(format!(
                    "line {}: {line:?} comes before any [section]",
                    n + 1
                ))
            }
            Some("verb_final") => {
                verb_final = match line {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(format!("line {}: verb_final must be yes or no", n + 1)),
                }
            }
            Some(name) => lists.entry(name).or_default().push(line),
        }
    }
    Ok(LangSpec {
        code,
        persons: leak(lists.remove("persons").unwrap_or_default()),
        suffixes: leak(lists.remove("suffixes").unwrap_or_default()),
        depts: leak(lists.remove("depts").unwrap_or_default()),
        pronouns: leak(lists.remove("pronouns").unwrap_or_default()),
        direct: leak(lists.remove("direct").unwrap_or_default()),
        contact: leak(lists.remove("contact").unwrap_or_default()),
        participles: leak(lists.remove("participles").unwrap_or_default()),
        desire: leak(lists.remove("desire").unwrap_or_default()),
        post: leak(lists.remove("post").unwrap_or_default()),
        linkers: leak(lists.remove("linkers").unwrap_or_default()),
        fillers: leak(lists.remove("fillers").unwrap_or_default()),
        polite: leak(lists.remove("polite").unwrap_or_default()),
        negations: leak(lists.remove("negations").unwrap_or_default()),
        weak_negations: leak(lists.remove("weak_negations").unwrap_or_default()),
        weak_continuations: leak(lists.remove("weak_continuations").unwrap_or_default()),
        transparent: leak(lists.remove("transparent").unwrap_or_default()),
        think: leak(lists.remove("think").unwrap_or_default()),
        breakers: leak(lists.remove("breakers").unwrap_or_default()),
        post_negations: leak(lists.remove("post_negations").unwrap_or_default()),
        past: leak(lists.remove("past").unwrap_or_default()),
        relative: leak(lists.remove("relative").unwrap_or_default()),
        copulas: leak(lists.remove("copulas").unwrap_or_default()),
        possessives: leak(lists.remove("possessives").unwrap_or_default()),
        clause_breaks: leak(lists.remove("clause_breaks").unwrap_or_default()),
        bots: leak(lists.remove("bots").unwrap_or_default()),
        interjections: leak(lists.remove("interjections").unwrap_or_default()),
        after_modifiers: leak(lists.remove("after_modifiers").unwrap_or_default()),
        infinitive_endings: leak(lists.remove("infinitive_endings").unwrap_or_default()),
        verb_final,
    })
}

/// The word-class sections a file may have besides `verb_final`.
const SECTIONS: [&str; 28] = [
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
    "interjections",
    "after_modifiers",
    "infinitive_endings",
];

#[cfg(test)]
mod tests {
    use super::{parse, FILES};

    #[test]
    fn every_embedded_lexicon_parses_and_names_persons_and_contact_cues() {
        for (code, text) in FILES {
            let spec = parse(code, text).unwrap_or_else(|e| panic!("{code}.txt: {e}"));
            assert_eq!(spec.code, code);
            assert!(!spec.persons.is_empty(), "{code}: no person nouns");
            assert!(!spec.contact.is_empty(), "{code}: no contact cues");
        }
    }

    #[test]
    fn a_malformed_file_is_refused_with_its_line_number() {
        let early = parse("xx", "# a comment\nagent\n[persons]\n");
        assert_eq!(
            early.err().as_deref(),
            Some("line 2: \"agent\" comes before any [section]")
        );
        let unknown = parse("xx", "[persons]\nagent\n\n[nouns]\n");
        assert_eq!(
            unknown.err().as_deref(),
            Some("line 4: unknown section [nouns]")
        );
        let flag = parse("xx", "[verb_final]\nmaybe\n");
        assert_eq!(
            flag.err().as_deref(),
            Some("line 2: verb_final must be yes or no")
        );
        let ok = parse(
            "xx",
            "[persons]\n  agent \n# not a word\n[verb_final]\nyes\n",
        )
        .unwrap();
        assert_eq!((ok.persons, ok.verb_final), (&["agent"][..], true));
    }
}
