//! Text normalisation shared by the rules and the detector: tokenizing a message into folded
//! words (lowercase, no diacritics, stretched letters squeezed) with their byte spans and
//! clauses; [`PhraseSet`], the word-phrase index every lexicon list compiles into; and the
//! FNV-hashed maps and sets those indexes use.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone)]
pub(super) struct Token {
    /// Lowercase, accents stripped, runs of 3+ equal letters squeezed ("humaaan" -> "human").
    pub(super) word: String,
    /// Byte span in the original text, so `matched` can quote the customer's own words.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Sentence-like segment: punctuation starts a new one.
    pub(super) clause: usize,
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

/// `text` with its e-mail and web addresses blanked out, byte for byte (so spans still point
/// into the original): "compta.leblanc@orange.fr" names no accounts department, and
/// "www.agent-shop.com" asks for no agent.
fn without_addresses(text: &str) -> std::borrow::Cow<'_, str> {
    if !(text.contains('@') || text.contains("://") || text.contains("www.")) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut at = 0;
    for chunk in text.split(char::is_whitespace) {
        let lead = chunk.len()
            - chunk
                .trim_start_matches(['(', '[', '<', '"', '\'', '«'])
                .len();
        let core = chunk[lead..]
            .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '>', '"', '\'', '»']);
        let opens = |p: &str| {
            core.get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
        };
        let email = core
            .find('@')
            .is_some_and(|i| i > 0 && core[i + 1..].contains('.'));
        let web = opens("http://") || opens("https://") || opens("www.");
        if email || web {
            bytes[at + lead..at + lead + core.len()].fill(b' ');
        }
        // The separator is one whitespace character, of one byte or more.
        at += chunk.len();
        at += text[at..].chars().next().map_or(0, char::len_utf8);
    }
    std::borrow::Cow::Owned(
        String::from_utf8(bytes).expect("ASCII spaces replaced whole characters"),
    )
}

pub(super) fn tokenize(text: &str) -> Vec<Token> {
    let text = &*without_addresses(text);
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
            // "w/ whoever", "b/c": a slash after a one-letter abbreviation ends no clause.
            let abbreviation = c == '/' && word.len() == 1;
            flush_word(&mut tokens, &mut word, start, end, clause);
            let spaced_dash = matches!(c, '-' | '/')
                && !abbreviation
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

pub(super) fn words_of(phrase: &str) -> Vec<String> {
    tokenize(phrase).into_iter().map(|t| t.word).collect()
}

/// Normalised multi-word phrases, indexed by first and last word.
#[derive(Debug, Clone, Default)]
pub(super) struct PhraseSet {
    pub(super) by_first: FastMap<String, Vec<Vec<String>>>,
    pub(super) by_last: FastMap<String, Vec<Vec<String>>>,
}

impl PhraseSet {
    pub(super) fn from_list(items: &[&str]) -> Self {
        let mut set = Self::default();
        for item in items {
            set.add(words_of(item));
        }
        set
    }

    pub(super) fn add(&mut self, words: Vec<String>) {
        let (Some(first), Some(last)) = (words.first().cloned(), words.last().cloned()) else {
            return;
        };
        self.by_first.entry(first).or_default().push(words.clone());
        self.by_last.entry(last).or_default().push(words);
    }

    /// Length of the longest phrase starting at `i`.
    pub(super) fn starts_at(&self, w: &[&str], i: usize) -> Option<usize> {
        let candidates = self.by_first.get(*w.get(i)?)?;
        candidates
            .iter()
            .filter(|p| w.len() - i >= p.len() && p.iter().zip(&w[i..]).all(|(a, b)| a == b))
            .map(Vec::len)
            .max()
    }

    /// Length of the longest phrase ending just before `end`.
    pub(super) fn ends_at(&self, w: &[&str], end: usize) -> Option<usize> {
        let candidates = self.by_last.get(*w.get(end.checked_sub(1)?)?)?;
        candidates
            .iter()
            .filter(|p| p.len() <= end && p.iter().zip(&w[end - p.len()..end]).all(|(a, b)| a == b))
            .map(Vec::len)
            .max()
    }

    pub(super) fn words(&self) -> impl Iterator<Item = &String> {
        self.by_first.values().flatten().flatten()
    }
}

/// FNV-1a: the lexicon maps are keyed by short words of our own, where SipHash's flooding
/// protection buys nothing and costs most of a lookup.
#[derive(Default, Clone, Copy)]
pub(super) struct Fnv(u64);

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

pub(super) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;
pub(super) type FastSet<K> = HashSet<K, BuildHasherDefault<Fnv>>;
