//! Durations as the API and the configuration write them: `"90s"`, `"30m"`, `"2h"`, `"1d"`,
//! `"500ms"` (configuration only) or a whole number of seconds.

use std::time::Duration;

/// Parses one duration written with a unit suffix, or bare seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("is empty".into());
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{raw:?} does not start with a whole number"))?;
    let ms = match unit.trim() {
        "" | "s" => n.checked_mul(1_000),
        "ms" => Some(n),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        other => {
            return Err(format!(
                "{raw:?} has unknown unit {other:?}; use ms, s, m, h or d"
            ))
        }
    }
    .ok_or_else(|| format!("{raw:?} is too large"))?;
    Ok(Duration::from_millis(ms))
}

/// Parses a comma-separated list of durations (a retry schedule).
pub fn parse_duration_list(raw: &str) -> Result<Vec<Duration>, String> {
    raw.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(parse_duration)
        .collect()
}

/// A timeout as the API takes it in a string: 1 second to 30 days, with an optional unit and
/// spaces or line breaks around; the OpenAPI document states this same pattern, and the server
/// checks it, so the contract and the server accept exactly the same strings.
pub const TIMEOUT_PATTERN: &str = concat!(
    r"^[ \t\n\r]*0*(?:",
    r"(?:[1-9][0-9]{0,5}|1[0-9]{6}|2[0-4][0-9]{5}|25[0-8][0-9]{4}|259[01][0-9]{3}|2592000)[ \t\n\r]*s?",
    r"|(?:[1-9][0-9]{0,3}|[1-3][0-9]{4}|4[0-2][0-9]{3}|43[01][0-9]{2}|43200)[ \t\n\r]*m",
    r"|(?:[1-9][0-9]?|[1-6][0-9]{2}|7[01][0-9]|720)[ \t\n\r]*h",
    r"|(?:[1-9]|[12][0-9]|30)[ \t\n\r]*d",
    r")[ \t\n\r]*$"
);

/// A whole number written in JSON, `596` or `596.0` alike (JSON Schema counts both as integers).
pub fn whole_number(n: &serde_json::Number) -> Option<u64> {
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
            .map(|f| f as u64)
    })
}

/// A takeover timeout: 1 second to 30 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout(Duration);

impl Timeout {
    pub const MIN: Duration = Duration::from_secs(1);
    pub const MAX: Duration = Duration::from_secs(30 * 86_400);

    /// Accepts a JSON string with a unit or a JSON integer of seconds.
    pub fn parse(value: &serde_json::Value) -> Result<Timeout, String> {
        let d = match value {
            serde_json::Value::String(s) => {
                if s.trim().ends_with("ms") {
                    return Err("must be whole seconds or more: use s, m, h or d".into());
                }
                let d = parse_duration(s)?;
                static PATTERN: std::sync::LazyLock<regex::Regex> =
                    std::sync::LazyLock::new(|| {
                        regex::Regex::new(TIMEOUT_PATTERN).expect("pattern")
                    });
                if !PATTERN.is_match(s) {
                    // In range or not, say which (a malformed one was refused above).
                    Timeout::new(d)?;
                    return Err(format!(
                        "{s:?} must be written as a whole number and a unit, e.g. \"90s\", \"30m\", \"2h\" or \"1d\""
                    ));
                }
                d
            }
            serde_json::Value::Number(n) => match whole_number(n) {
                Some(secs) => Duration::from_secs(secs),
                None => return Err(format!("{n} is not a whole, positive number of seconds")),
            },
            _ => return Err(
                "must be a string like \"90s\", \"30m\", \"2h\", \"1d\" or an integer of seconds"
                    .into(),
            ),
        };
        Timeout::new(d)
    }

    pub fn new(d: Duration) -> Result<Timeout, String> {
        if d < Self::MIN || d > Self::MAX {
            return Err(format!(
                "{}s is out of range: a timeout is 1 second to 30 days",
                d.as_secs()
            ));
        }
        Ok(Timeout(d))
    }

    pub fn as_secs(self) -> i64 {
        self.0.as_secs() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn units_and_bare_seconds_are_understood() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("42"), Ok(Duration::from_secs(42)));
        assert!(parse_duration("2w").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn timeouts_are_bounded() {
        assert_eq!(Timeout::parse(&json!("90s")).unwrap().as_secs(), 90);
        assert_eq!(Timeout::parse(&json!(120)).unwrap().as_secs(), 120);
        assert!(Timeout::parse(&json!(0)).is_err());
        assert!(Timeout::parse(&json!("31d")).is_err());
        assert!(Timeout::parse(&json!(-3)).is_err());
        assert!(Timeout::parse(&json!(1.5)).is_err());
        assert!(Timeout::parse(&json!("500ms")).is_err());
        assert!(Timeout::parse(&json!(true)).is_err());
    }
}
