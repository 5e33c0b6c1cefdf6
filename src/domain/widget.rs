//! Baton's own web chat, as values: the origins a widget may be embedded on, the visitor's
//! place in their conversation's feed (the cursor a reconnecting widget sends back), and who a
//! visitor sees behind each turn. No HTTP, no SQL: `routes::widgets` reads requests and
//! `db::widgets` stores them.

use base64::Engine;
use rand::RngCore;

use super::types::Sender;

/// The prefix of a widget's public key (it sits in the site's HTML, so it is no secret).
pub const PUBLIC_KEY_PREFIX: &str = "pk_";
/// The prefix of a visitor token (the one secret that reaches one conversation).
pub const VISITOR_TOKEN_PREFIX: &str = "vt_";
/// The longest text a visitor may send in one message.
pub const MAX_VISITOR_TEXT: usize = 4_000;
/// How many origins one widget may list.
pub const MAX_ORIGINS: usize = 50;

fn random_text(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A new public widget key.
pub fn generate_public_key() -> String {
    format!("{PUBLIC_KEY_PREFIX}{}", random_text(18))
}

/// A new visitor token: 256 random bits.
pub fn generate_visitor_token() -> String {
    format!("{VISITOR_TOKEN_PREFIX}{}", random_text(32))
}

/// A visitor's session id: `web_` and 24 random characters.
pub fn new_session_id() -> String {
    format!("web_{}", random_text(18))
}

/// The one tag a site pastes into its pages.
pub fn snippet(base: &str, public_key: &str) -> String {
    format!(
        "<script src=\"{}/widget.js\" data-baton-key=\"{public_key}\" async></script>",
        base.trim_end_matches('/')
    )
}

/// One allowed origin, written the way browsers send it in `Origin`: `scheme://host[:port]`,
/// lower case, no path; or `*` (any site, for trying the widget out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    pub fn parse(raw: &str) -> Result<Origin, String> {
        let t = raw.trim();
        if t == "*" {
            return Ok(Origin("*".into()));
        }
        let lower = t.to_ascii_lowercase();
        let Some((scheme, rest)) = lower.split_once("://") else {
            return Err(format!(
                "{t:?} is not an origin: write it as https://shop.example.com"
            ));
        };
        if scheme != "http" && scheme != "https" {
            return Err(format!("{t:?} is not an http or https origin"));
        }
        let host = rest.strip_suffix('/').unwrap_or(rest);
        let valid = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !valid {
            return Err(format!(
                "{t:?} is not an origin: scheme and host (and port) only, no path, as https://shop.example.com"
            ));
        }
        Ok(Origin(format!("{scheme}://{host}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The origins a widget may be embedded on: at least one, at most [`MAX_ORIGINS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<Origin>);

impl AllowedOrigins {
    pub fn parse(raw: &[String]) -> Result<AllowedOrigins, String> {
        if raw.is_empty() {
            return Err("name at least one site origin, e.g. https://shop.example.com".into());
        }
        if raw.len() > MAX_ORIGINS {
            return Err(format!("at most {MAX_ORIGINS} origins"));
        }
        let mut out: Vec<Origin> = Vec::new();
        for r in raw {
            let o = Origin::parse(r)?;
            if !out.contains(&o) {
                out.push(o);
            }
        }
        Ok(AllowedOrigins(out))
    }

    /// As stored: the origins, validated when they were written.
    pub fn from_stored(list: Vec<String>) -> AllowedOrigins {
        AllowedOrigins(list.into_iter().map(Origin).collect())
    }

    pub fn allows(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        self.0.iter().any(|o| o.0 == "*" || o.0 == origin)
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().map(|o| o.0.clone()).collect()
    }
}

/// Where a visitor's widget is in its conversation's feed: the last turn (`seq`) and the last
/// notice it has shown. Sent as the event id and sent back as `Last-Event-ID`, so a reconnect
/// or a page load neither loses nor repeats anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub message: i64,
    pub notice: i64,
}

impl Cursor {
    /// `m<seq>.n<seq>`; anything else (or nothing) is the start of the feed.
    pub fn parse(raw: &str) -> Option<Cursor> {
        let (m, n) = raw.trim().split_once('.')?;
        let message = m.strip_prefix('m')?.parse::<i64>().ok()?;
        let notice = n.strip_prefix('n')?.parse::<i64>().ok()?;
        (message >= 0 && notice >= 0).then_some(Cursor { message, notice })
    }

    pub fn id(self) -> String {
        format!("m{}.n{}", self.message, self.notice)
    }
}

/// Who the visitor sees behind a turn; `None` for turns the visitor does not see (system
/// turns: handback summaries and notes meant for the AI).
pub fn visible_author(sender: &Sender) -> Option<Author> {
    match sender {
        Sender::User => Some(Author::Visitor),
        Sender::Ai => Some(Author::Assistant),
        Sender::Human(name) => Some(Author::Agent(name.clone())),
        Sender::Staff(name) => Some(Author::Agent(
            name.clone().unwrap_or_else(|| "staff".to_string()),
        )),
        Sender::System => None,
    }
}

/// The author of a turn as the widget shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    Visitor,
    Assistant,
    /// A reviewer, by sign-in name (the widget shows their display name).
    Agent(String),
}

impl Author {
    pub fn as_str(&self) -> &'static str {
        match self {
            Author::Visitor => "visitor",
            Author::Assistant => "assistant",
            Author::Agent(_) => "agent",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_compared_the_way_browsers_send_them() {
        let o = AllowedOrigins::parse(&["HTTPS://Shop.Example.com/".into()]).unwrap();
        assert!(o.allows("https://shop.example.com"));
        assert!(!o.allows("http://shop.example.com"));
        assert!(!o.allows("https://shop.example.com.evil.test"));
        assert!(AllowedOrigins::parse(&["https://a.test/path".into()]).is_err());
        assert!(AllowedOrigins::parse(&["ftp://a.test".into()]).is_err());
        assert!(AllowedOrigins::parse(&[]).is_err());
        assert!(AllowedOrigins::parse(&["*".into()])
            .unwrap()
            .allows("http://any.test"));
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote() {
        let c = Cursor {
            message: 12,
            notice: 3,
        };
        assert_eq!(Cursor::parse(&c.id()), Some(c));
        assert_eq!(Cursor::parse("12"), None);
        assert_eq!(Cursor::parse("m-1.n0"), None);
    }

    #[test]
    fn system_turns_are_not_shown_to_visitors() {
        assert_eq!(visible_author(&Sender::System), None);
        assert_eq!(
            visible_author(&Sender::Human("alice".into())),
            Some(Author::Agent("alice".into()))
        );
    }
}
