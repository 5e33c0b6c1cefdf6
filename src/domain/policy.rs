//! Escalation policies and outbound URL policy, as checked values.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::duration::Timeout;

/// What happens when the last escalation step runs out unclaimed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum FallbackAction {
    /// The AI takes the conversation back (after the apology is sent).
    #[default]
    Handback,
    /// The conversation is closed.
    Close,
}

impl FallbackAction {
    pub fn as_str(self) -> &'static str {
        match self {
            FallbackAction::Handback => "handback",
            FallbackAction::Close => "close",
        }
    }

    pub fn parse(s: &str) -> Option<FallbackAction> {
        match s {
            "handback" => Some(FallbackAction::Handback),
            "close" => Some(FallbackAction::Close),
            _ => None,
        }
    }
}

/// One step as stored: who gets the takeover next and how long they have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredStep {
    pub assignee: String,
    pub wait_seconds: i64,
}

/// Parses the steps of a policy request.
pub fn parse_steps(
    raw: &[(String, serde_json::Value)],
) -> Result<Vec<StoredStep>, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut steps = Vec::new();
    if raw.len() > 20 {
        errors.push(("steps".to_string(), "at most 20 steps".to_string()));
    }
    for (i, (assignee, wait)) in raw.iter().enumerate() {
        if assignee.trim().is_empty() || assignee.len() > 100 {
            errors.push((
                format!("steps[{i}].assignee"),
                "must name a team or a reviewer".into(),
            ));
        }
        match Timeout::parse(wait) {
            Ok(t) => steps.push(StoredStep {
                assignee: assignee.clone(),
                wait_seconds: t.as_secs(),
            }),
            Err(e) => errors.push((format!("steps[{i}].wait"), e)),
        }
    }
    if errors.is_empty() {
        Ok(steps)
    } else {
        Err(errors)
    }
}

/// One entry of `BATON_WEBHOOK_ALLOW` / `BATON_WEBHOOK_DENY`: a host name, an address, or a
/// network in CIDR form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostRule {
    Any,
    Host(String),
    Net(IpAddr, u8),
}

impl HostRule {
    pub fn parse(raw: &str) -> Result<HostRule, String> {
        let raw = raw.trim();
        if raw == "*" {
            return Ok(HostRule::Any);
        }
        if let Some((ip, bits)) = raw.split_once('/') {
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| format!("{raw:?}: {ip:?} is not an IP address"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits: u8 = bits
                .parse()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| format!("{raw:?}: the prefix length must be 0 to {max}"))?;
            return Ok(HostRule::Net(ip, bits));
        }
        if let Ok(ip) = raw.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(HostRule::Net(ip, if ip.is_ipv4() { 32 } else { 128 }));
        }
        if raw.is_empty() || raw.contains(char::is_whitespace) {
            return Err(format!("{raw:?} is not a host, address or CIDR network"));
        }
        Ok(HostRule::Host(raw.to_ascii_lowercase()))
    }

    fn matches_host(&self, host: &str) -> bool {
        match self {
            HostRule::Any => true,
            HostRule::Host(h) => {
                h == host
                    || h.strip_prefix("*.")
                        .is_some_and(|suffix| host.ends_with(&format!(".{suffix}")))
            }
            HostRule::Net(..) => false,
        }
    }

    fn matches_ip(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (HostRule::Any, _) => true,
            (HostRule::Net(IpAddr::V4(net), bits), IpAddr::V4(ip)) => {
                let mask = if *bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - bits)
                };
                u32::from(*net) & mask == u32::from(ip) & mask
            }
            (HostRule::Net(IpAddr::V6(net), bits), IpAddr::V6(ip)) => {
                let mask = if *bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - bits)
                };
                u128::from(*net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Where callbacks may go. Default: anywhere but link-local and metadata addresses. With an
/// allow list, only what it names (which may then include link-local addresses on purpose);
/// the deny list always wins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    pub allow: Vec<HostRule>,
    pub deny: Vec<HostRule>,
}

impl UrlPolicy {
    pub fn parse(allow: Option<&str>, deny: Option<&str>) -> Result<UrlPolicy, String> {
        let list = |raw: Option<&str>| -> Result<Vec<HostRule>, String> {
            raw.unwrap_or("")
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(HostRule::parse)
                .collect()
        };
        Ok(UrlPolicy {
            allow: list(allow)?,
            deny: list(deny)?,
        })
    }

    /// Checks a host name (before resolution).
    pub fn check_host(&self, host: &str) -> Result<(), String> {
        // `metadata.google.internal.` (fully qualified, trailing dot) is the same host.
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if self.deny.iter().any(|r| r.matches_host(&host)) {
            return Err(format!("host {host:?} is denied by BATON_WEBHOOK_DENY"));
        }
        if !self.allow.is_empty()
            && !self
                .allow
                .iter()
                .any(|r| r.matches_host(&host) || matches!(r, HostRule::Net(..)))
        {
            return Err(format!("host {host:?} is not in BATON_WEBHOOK_ALLOW"));
        }
        if self.allow.is_empty() && super::types::METADATA_HOSTS.contains(&host.as_str()) {
            return Err(format!(
                "host {host:?} is a cloud metadata service and is refused"
            ));
        }
        Ok(())
    }

    /// Checks an address (a literal in the URL, or what a host name resolved to).
    pub fn check_ip(&self, ip: IpAddr, host: Option<&str>) -> Result<(), String> {
        // Judge an IPv4 address written as IPv6 (mapped, NAT64) as the IPv4 address it is; a
        // rule written in IPv6 form still matches the address as written.
        let written = ip;
        let ip = super::types::canonical_ip(ip);
        if self
            .deny
            .iter()
            .any(|r| r.matches_ip(ip) || r.matches_ip(written))
        {
            return Err(format!("address {ip} is denied by BATON_WEBHOOK_DENY"));
        }
        if self.allow.is_empty() {
            return super::types::check_ip(ip);
        }
        let by_host = host.is_some_and(|h| {
            self.allow
                .iter()
                .any(|r| r.matches_host(&h.to_ascii_lowercase()))
        });
        if by_host
            || self
                .allow
                .iter()
                .any(|r| r.matches_ip(ip) || r.matches_ip(written))
        {
            Ok(())
        } else {
            Err(format!("address {ip} is not in BATON_WEBHOOK_ALLOW"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_refuses_only_link_local_and_metadata() {
        let p = UrlPolicy::default();
        assert!(p.check_ip("127.0.0.1".parse().unwrap(), None).is_ok());
        assert!(p.check_ip("10.1.2.3".parse().unwrap(), None).is_ok());
        assert!(p
            .check_ip("169.254.169.254".parse().unwrap(), None)
            .is_err());
        assert!(p.check_host("metadata.google.internal").is_err());
        assert!(p.check_host("n8n.example.org").is_ok());
    }

    #[test]
    fn an_allow_list_limits_targets_and_a_deny_list_wins() {
        let p = UrlPolicy::parse(
            Some("127.0.0.0/8,n8n.internal,*.corp.example"),
            Some("127.0.0.9"),
        )
        .unwrap();
        assert!(p.check_ip("127.0.0.1".parse().unwrap(), None).is_ok());
        assert!(p.check_ip("127.0.0.9".parse().unwrap(), None).is_err());
        assert!(p.check_ip("10.0.0.1".parse().unwrap(), None).is_err());
        assert!(p
            .check_ip("10.0.0.1".parse().unwrap(), Some("n8n.internal"))
            .is_ok());
        assert!(p.check_host("a.corp.example").is_ok());
        // with networks in the list, other names are judged by the addresses they resolve to
        assert!(p.check_host("evil.example").is_ok());
        assert!(p
            .check_ip("10.0.0.1".parse().unwrap(), Some("evil.example"))
            .is_err());
        let names_only = UrlPolicy::parse(Some("n8n.internal"), None).unwrap();
        assert!(names_only.check_host("evil.example").is_err());
        assert!(names_only.check_host("n8n.internal").is_ok());
        let allow_ll = UrlPolicy::parse(Some("169.254.10.0/24"), None).unwrap();
        assert!(allow_ll
            .check_ip("169.254.10.5".parse().unwrap(), None)
            .is_ok());
        assert!(UrlPolicy::parse(Some("10.0.0.0/99"), None).is_err());
    }

    #[test]
    fn an_ipv4_address_written_as_ipv6_is_judged_as_ipv4() {
        let deny = UrlPolicy::parse(None, Some("127.0.0.0/8")).unwrap();
        for written in [
            "::ffff:127.0.0.1",
            "::ffff:7f00:1",
            "64:ff9b::7f00:1",
            "::7f00:1",
        ] {
            assert!(
                deny.check_ip(written.parse().unwrap(), None).is_err(),
                "{written} is 127.0.0.1 and must be denied"
            );
        }
        assert!(deny.check_ip("::1".parse().unwrap(), None).is_ok());
        let open = UrlPolicy::default();
        for metadata in [
            "100.100.100.200",
            "192.0.0.192",
            "::a9fe:a9fe",
            "64:ff9b::a9fe:a9fe",
            "::ffff:169.254.169.254",
        ] {
            assert!(
                open.check_ip(metadata.parse().unwrap(), None).is_err(),
                "{metadata} is a metadata address"
            );
        }
        let allow = UrlPolicy::parse(Some("10.0.0.0/8"), None).unwrap();
        assert!(allow
            .check_ip("::ffff:10.1.2.3".parse().unwrap(), None)
            .is_ok());
    }

    #[test]
    fn steps_need_assignees_and_bounded_waits() {
        let ok = parse_steps(&[
            ("support".into(), serde_json::json!("5m")),
            ("alice".into(), serde_json::json!(60)),
        ])
        .unwrap();
        assert_eq!(ok[0].wait_seconds, 300);
        let bad = parse_steps(&[("".into(), serde_json::json!("0s"))]).unwrap_err();
        assert_eq!(bad.len(), 2);
    }
}
