//! Money amounts in a message ("refund of 250,00 €", "1.200 dollars"), for scope rules with an
//! `amount_threshold`; dates, times, identifiers and quantities are not money.

use std::sync::LazyLock;

use regex::Regex;

use super::normalize::words_of;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Amount {
    pub(super) value: f64,
    pub(super) text: String,
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
pub(super) fn amounts(text: &str) -> Vec<Amount> {
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
