//! Parsed domain values: ids, senders, webhook URLs, takeover modes, reasons and statuses.
//! Request bodies are plain serde structs; these types are what they become once checked
//! ("parse, don't validate"), so nothing downstream can hold a bad value.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `SessionId::parse` as the OpenAPI document states it (with 1 to 255 characters).
pub const SESSION_ID_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F\uFFFD]+$";

/// The integration's conversation key: 1–255 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    pub fn parse(raw: &str) -> Result<SessionId, String> {
        let n = raw.chars().count();
        if n == 0 || n > 255 {
            return Err(format!("must be 1 to 255 characters (got {n})"));
        }
        if raw.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        // A path that percent-encodes bytes that are not UTF-8 (`%ff%fe`) is decoded with
        // U+FFFD in their place, so two different ids would land in one session.
        if raw.contains('\u{FFFD}') {
            return Err(
                "is not valid UTF-8 (percent-encode the UTF-8 bytes of the id; U+FFFD is not allowed)"
                    .into(),
            );
        }
        Ok(SessionId(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn new() -> Self {
                $name(uuid::Uuid::now_v7())
            }
            pub fn parse(raw: &str) -> Result<Self, String> {
                uuid::Uuid::parse_str(raw)
                    .map($name)
                    .map_err(|_| format!("{raw:?} is not a UUID"))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A takeover's id.
    TakeoverId
);
uuid_id!(
    /// A stored message's id.
    MessageId
);
uuid_id!(
    /// A reviewer's, team's, API key's or other record's id.
    RecordId
);

/// Who wrote a turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sender {
    User,
    Ai,
    System,
    /// A reviewer, by name.
    Human(String),
    /// A person answering from outside Baton (the WhatsApp Business app, a shared phone,
    /// another tool), with their name when the workflow knows it.
    Staff(Option<String>),
}

impl Sender {
    pub fn parse(raw: &str) -> Result<Sender, String> {
        match raw {
            "user" => Ok(Sender::User),
            "ai" => Ok(Sender::Ai),
            "system" => Ok(Sender::System),
            "staff" => Ok(Sender::Staff(None)),
            _ => {
                let named = |prefix: &str| {
                    raw.strip_prefix(prefix)
                        .filter(|name| (1..=100).contains(&name.chars().count()))
                        .map(str::to_string)
                };
                if let Some(name) = named("human:") {
                    Ok(Sender::Human(name))
                } else if let Some(name) = named("staff:") {
                    Ok(Sender::Staff(Some(name)))
                } else {
                    Err(format!(
                        "{raw:?} is not a sender: use user, ai, system, staff, staff:<name> or human:<reviewer name>"
                    ))
                }
            }
        }
    }

    pub fn as_string(&self) -> String {
        match self {
            Sender::User => "user".into(),
            Sender::Ai => "ai".into(),
            Sender::System => "system".into(),
            Sender::Human(name) => format!("human:{name}"),
            Sender::Staff(None) => "staff".into(),
            Sender::Staff(Some(name)) => format!("staff:{name}"),
        }
    }
}

/// Hosts that must never receive a callback unless explicitly allowed: cloud metadata services.
pub const METADATA_HOSTS: [&str; 3] = ["metadata.google.internal", "metadata", "instance-data"];

/// Cloud metadata services outside link-local space: Alibaba Cloud (`100.100.100.200`) and
/// Oracle Cloud (`192.0.0.192`). Link-local ones (`169.254.169.254`) are refused as link-local.
pub const METADATA_V4: [[u8; 4]; 2] = [[100, 100, 100, 200], [192, 0, 0, 192]];

/// The IPv4 address an IPv6 address stands for, if it is one written another way: IPv4-mapped
/// (`::ffff:127.0.0.1`), NAT64 (`64:ff9b::/96`) or IPv4-compatible (`::a9fe:a9fe`, but not `::`
/// or `::1`). Every allow, deny and metadata check judges this form, so a deny list of
/// `127.0.0.0/8` cannot be passed by writing the address in IPv6.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip else {
        return ip;
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return IpAddr::V4(v4);
    }
    let seg = v6.segments();
    let low = |s: &[u16]| {
        std::net::Ipv4Addr::new(
            (s[6] >> 8) as u8,
            (s[6] & 0xff) as u8,
            (s[7] >> 8) as u8,
            (s[7] & 0xff) as u8,
        )
    };
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return IpAddr::V4(low(&seg));
    }
    if seg[..6] == [0; 6] && !(seg[6] == 0 && seg[7] <= 1) {
        return IpAddr::V4(low(&seg));
    }
    ip
}

/// What a text holding U+0000 is told: it is refused everywhere, on both backends (PostgreSQL
/// cannot store it).
pub const NUL_REFUSED: &str = "must not contain the NUL character (U+0000)";

/// The instants Baton accepts from outside: years 0001 to 9999, which RFC 3339 can write and
/// both databases store (PostgreSQL refuses years before 4713 BC; chrono parses far beyond).
pub mod instant {
    use chrono::{DateTime, Datelike, Utc};
    use serde::{Deserialize, Deserializer};

    /// What a timestamp outside the range is told.
    pub const OUT_OF_RANGE: &str = "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z";

    /// Checks one instant.
    pub fn check(at: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        if (1..=9999).contains(&at.year()) {
            Ok(at)
        } else {
            Err(format!("{at} {OUT_OF_RANGE}"))
        }
    }

    /// `#[serde(deserialize_with = "instant::optional")]` for an optional RFC 3339 field.
    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<DateTime<Utc>>::deserialize(d)?
            .map(check)
            .transpose()
            .map_err(serde::de::Error::custom)
    }
}

/// A callback URL Baton may POST to: http(s), a host, and not a link-local or metadata address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Parses with the default policy (link-local and metadata targets refused).
    pub fn parse(raw: &str) -> Result<WebhookUrl, String> {
        Self::parse_with(raw, &super::policy::UrlPolicy::default())
    }

    /// Parses and checks the target against the configured policy.
    pub fn parse_with(raw: &str, policy: &super::policy::UrlPolicy) -> Result<WebhookUrl, String> {
        if raw.len() > 2048 {
            return Err("is longer than 2048 characters".into());
        }
        let url = url::Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL ({e})"))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(format!(
                "scheme {:?} is not allowed: use http or https",
                url.scheme()
            ));
        }
        let host = match url.host() {
            Some(h) => h,
            None => return Err("has no host".into()),
        };
        match host {
            url::Host::Domain(d) => policy.check_host(d)?,
            url::Host::Ipv4(ip) => policy.check_ip(IpAddr::V4(ip), None)?,
            url::Host::Ipv6(ip) => policy.check_ip(IpAddr::V6(ip), None)?,
        }
        Ok(WebhookUrl(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Refuses link-local (which includes 169.254.169.254, the usual metadata address) and
/// unspecified addresses. Loopback and private ranges are allowed: n8n often runs beside Baton.
pub fn check_ip(ip: IpAddr) -> Result<(), String> {
    let bad = match canonical_ip(ip) {
        IpAddr::V4(v4) => {
            v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || METADATA_V4.contains(&v4.octets())
        }
        IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.is_unspecified()
                || v6
                    == "fd00:ec2::254"
                        .parse::<std::net::Ipv6Addr>()
                        .expect("valid literal")
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    };
    if bad {
        Err(format!(
            "address {ip} is link-local, unspecified or a metadata address and is refused"
        ))
    } else {
        Ok(())
    }
}

/// Live takeover or pause-and-decide approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A live, two-way conversation with a waiting customer.
    #[default]
    Takeover,
    /// A proposal to approve, edit or reject; nobody waits in real time.
    Approval,
}

/// Why the bot asked for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    UserRequested,
    LowConfidence,
    OutOfScope,
    #[default]
    Other,
}

/// Where a callback in the outbox stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting to be sent, or to be retried.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Given up after the retry schedule (or refused by policy); redeliver to try again.
    Parked,
    /// Not sent, on purpose: an alert about a waiting takeover that was claimed (or ended)
    /// before it went out. `last_error` says why.
    Dropped,
}

/// Where a takeover stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TakeoverStatus {
    /// Waiting in the queue for a reviewer.
    Requested,
    /// A reviewer holds it.
    Claimed,
    /// Over; see `outcome`.
    Resolved,
}

/// How a takeover ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    HandedBack,
    Closed,
    TimedOut,
    Unanswered,
    OffHours,
    Approved,
    Rejected,
    Edited,
}

macro_rules! str_enum {
    ($ty:ty { $($variant:ident => $s:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value as the API writes it.
            pub const NAMES: &'static [&'static str] = &[$($s),+];
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $s),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(<$ty>::$variant),)+ _ => None }
            }
        }
    };
}
pub(crate) use str_enum;

str_enum!(Mode { Takeover => "takeover", Approval => "approval" });
str_enum!(Reason {
    UserRequested => "user_requested",
    LowConfidence => "low_confidence",
    OutOfScope => "out_of_scope",
    Other => "other",
});
str_enum!(DeliveryStatus { Pending => "pending", Delivered => "delivered", Parked => "parked", Dropped => "dropped" });
str_enum!(TakeoverStatus { Requested => "requested", Claimed => "claimed", Resolved => "resolved" });
str_enum!(Outcome {
    HandedBack => "handed_back",
    Closed => "closed",
    TimedOut => "timed_out",
    Unanswered => "unanswered",
    OffHours => "off_hours",
    Approved => "approved",
    Rejected => "rejected",
    Edited => "edited",
});

/// A stored (UTC, naive) time as a UTC timestamp.
pub fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

/// The inbox link of a session.
pub fn inbox_url(public_base: &str, session_id: &str) -> String {
    let mut url = format!("{public_base}/inbox/sessions/");
    url.extend(url::form_urlencoded::byte_serialize(session_id.as_bytes()));
    url
}

/// A callback URL as a reviewer may see it: scheme, host and port only. The path (often a
/// secret webhook id) and any `user:password@` are the integration's credentials.
pub fn url_origin(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", u.scheme()),
            (Some(host), None) => format!("{}://{host}", u.scheme()),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// A callback URL as the delivery log shows it: whole, but without `user:password@`.
pub fn url_without_credentials(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_bounded() {
        assert!(SessionId::parse("12345").is_ok());
        assert!(SessionId::parse("+49 170 1234567").is_ok());
        assert!(SessionId::parse("").is_err());
        assert!(SessionId::parse(&"x".repeat(256)).is_err());
        assert!(SessionId::parse("a\nb").is_err());
    }

    #[test]
    fn senders_parse() {
        assert_eq!(
            Sender::parse("human:alice"),
            Ok(Sender::Human("alice".into()))
        );
        assert!(Sender::parse("human:").is_err());
        assert!(Sender::parse("bot").is_err());
        assert_eq!(Sender::parse("staff"), Ok(Sender::Staff(None)));
        assert_eq!(
            Sender::parse("staff:Maria"),
            Ok(Sender::Staff(Some("Maria".into())))
        );
        assert!(Sender::parse("staff:").is_err());
        assert!(Sender::parse(&format!("staff:{}", "x".repeat(101))).is_err());
        for raw in ["staff", "staff:Maria", "human:alice", "user"] {
            assert_eq!(Sender::parse(raw).unwrap().as_string(), raw);
        }
    }

    #[test]
    fn webhook_urls_refuse_metadata_and_odd_schemes() {
        assert!(WebhookUrl::parse("http://127.0.0.1:5678/webhook/x").is_ok());
        assert!(WebhookUrl::parse("https://n8n.internal/webhook/x").is_ok());
        assert!(WebhookUrl::parse("http://10.0.0.5/x").is_ok());
        assert!(WebhookUrl::parse("http://169.254.169.254/latest/meta-data").is_err());
        assert!(WebhookUrl::parse("http://[fe80::1]/x").is_err());
        assert!(WebhookUrl::parse("http://metadata.google.internal/").is_err());
        assert!(WebhookUrl::parse("ftp://example.org/x").is_err());
        assert!(WebhookUrl::parse("file:///etc/passwd").is_err());
        assert!(WebhookUrl::parse("not a url").is_err());
    }

    #[test]
    fn a_reviewer_sees_a_callback_urls_host_but_not_its_credentials_or_path() {
        assert_eq!(
            super::url_origin("https://bot:s3cret@n8n.example.org:5678/webhook/abc123?x=1"),
            "https://n8n.example.org:5678"
        );
        assert_eq!(super::url_origin("http://10.0.0.5/hook"), "http://10.0.0.5");
        assert_eq!(super::url_origin("not a url"), "");
        assert_eq!(
            super::url_without_credentials("https://bot:s3cret@n8n.example.org/webhook/abc?x=1"),
            "https://n8n.example.org/webhook/abc?x=1"
        );
    }
}
