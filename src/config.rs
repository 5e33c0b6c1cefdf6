//! Typed configuration read from environment variables, validated once at start-up and passed
//! through `app_data` (never global). A bad value stops start-up with a message saying what to fix.

use std::net::SocketAddr;
use std::time::Duration;

use crate::domain::duration::parse_duration_list;
use crate::domain::policy::{FallbackAction, UrlPolicy};

/// Where the data lives, as chosen by `DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file path (from a bare path or `sqlite://path`).
    Sqlite(String),
    /// A PostgreSQL connection URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl DatabaseUrl {
    /// Reads a `DATABASE_URL` value; unset or empty means `./baton.db`.
    pub fn parse(raw: Option<&str>) -> Result<DatabaseUrl, String> {
        let raw = raw.map(str::trim).unwrap_or("");
        if raw.is_empty() {
            return Ok(DatabaseUrl::Sqlite("baton.db".into()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.into()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.is_empty() {
            return Err(
                "DATABASE_URL: `sqlite://` needs a file path, e.g. sqlite://./baton.db".into(),
            );
        }
        if path == ":memory:" {
            return Err("DATABASE_URL: an in-memory SQLite database would lose every message on restart (and each pooled connection would see its own); use a file path".into());
        }
        if raw.contains("://") && !raw.starts_with("sqlite://") {
            return Err(format!(
                "DATABASE_URL: unsupported scheme in {raw:?}; use a file path, sqlite://PATH or postgres://USER@HOST/DB"
            ));
        }
        Ok(DatabaseUrl::Sqlite(path.into()))
    }

    /// A form safe to log: the password of a PostgreSQL URL is masked.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{p}"),
            DatabaseUrl::Postgres(u) => match url::Url::parse(u) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    let _ = parsed.set_password(Some("****"));
                    parsed.to_string()
                }
                _ => u.clone(),
            },
        }
    }
}

/// How log lines are written (`BATON_LOG_FORMAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `fields`, `target`, and the request's
    /// span (`span.request_id`) while a request is handled.
    Json,
}

/// When an SQLite commit counts as done (`PRAGMA synchronous`, in WAL mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqliteSync {
    /// The write-ahead log is flushed to the disk at every commit, before any caller is
    /// answered: an acknowledged turn survives a power cut or a crash of the machine. Turns that
    /// arrive together share the flush (the group commit).
    Full,
    /// The log is flushed only at checkpoints: an acknowledged turn survives a crash of Baton,
    /// but a crash of the machine may undo the last commits. Faster where a flush is slow.
    Normal,
}

impl SqliteSync {
    /// The pragma's value.
    pub fn pragma(self) -> &'static str {
        match self {
            SqliteSync::Full => "FULL",
            SqliteSync::Normal => "NORMAL",
        }
    }
}

/// Everything Baton reads from its environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// `BATON_BIND`: address to listen on. Default `127.0.0.1:8080`; port 0 picks a free port.
    pub bind: SocketAddr,
    /// `DATABASE_URL`: SQLite file (default `./baton.db`) or PostgreSQL URL.
    pub database_url: DatabaseUrl,
    /// `BATON_PUBLIC_URL`: how reviewers reach this server (used in `inbox_url` links).
    /// Default `http://<bind>`.
    pub public_url: Option<String>,
    /// `BATON_LOG`: tracing filter, default `info`.
    pub log: String,
    /// `BATON_LOG_FORMAT`: `text` (default) or `json` (one JSON object per line, for a log
    /// collector).
    pub log_format: LogFormat,
    /// `BATON_DB_POOL_SIZE`: pooled connections, default 16.
    pub db_pool_size: u32,
    /// `BATON_DB_TIMEOUT`: the longest a request waits for a database connection (and, on
    /// PostgreSQL, for a new connection to open) before it is answered 503, default 5 s. The
    /// pool retries a lost database at least every half of it.
    pub db_timeout: Duration,
    /// `BATON_DB_BUSY_TIMEOUT`: SQLite only; how long a write waits for a lock another process
    /// holds before it is answered 503, default 5 s.
    pub db_busy_timeout: Duration,
    /// `BATON_SQLITE_MAX_PAGES`: SQLite only; the most pages (4 KiB each) the database file may
    /// grow to (`PRAGMA max_page_count`). Unset: SQLite's own limit. A write past it is
    /// answered 507 `database-full`; reads go on.
    pub sqlite_max_pages: Option<u32>,
    /// `BATON_SQLITE_SYNC`: SQLite only; `full` (default: every commit reaches the disk before
    /// anyone is answered) or `normal` (commits survive a crash of Baton but not of the machine).
    pub sqlite_sync: SqliteSync,
    /// `BATON_MAX_BODY`: largest accepted request body in bytes, default 2 MiB.
    pub max_body_bytes: usize,
    /// `BATON_RETRY_SCHEDULE`: waits between delivery attempts after the first immediate one.
    pub retry_schedule: Vec<Duration>,
    /// `BATON_DELIVERY_TIMEOUT`: how long one callback request may take, default 15 s.
    pub delivery_timeout: Duration,
    /// `BATON_WORKER_POLL`: how often background workers look for due work, default 1 s
    /// (new work wakes them at once; polling only catches retries and other replicas' work).
    pub worker_poll: Duration,
    /// `BATON_TOKEN_TTL`: lifetime of a reviewer sign-in token, default 12 h.
    pub token_ttl: Duration,
    /// `BATON_DEFAULT_TIMEOUT`: takeover timeout when the request names none, default 5 min.
    pub default_takeover_timeout: Duration,
    /// `BATON_REVIEWER_SILENCE`: a claimed conversation whose reviewer has not answered the
    /// customer for this long goes back to the queue, default 10 min.
    pub reviewer_silence: Duration,
    /// `BATON_AWAY_GRACE`: an online reviewer whose inbox has been disconnected this long is
    /// set away, default 60 s.
    pub away_grace: Duration,
    /// `BATON_QUEUE_UPDATE_INTERVAL`: at most one `queue.updated` callback per takeover this
    /// often, default 60 s.
    pub queue_update_interval: Duration,
    /// `BATON_IDLE_CLOSE`: an AI-owned or handed-back session with no activity for this long is
    /// closed, default 24 h.
    pub idle_close: Duration,
    /// `BATON_FALLBACK_MESSAGE`: sent to the customer when nobody claims a takeover in time and
    /// its escalation policy names no message of its own.
    pub fallback_message: String,
    /// `BATON_FALLBACK_ACTION`: `handback` (default) or `close`, after the fallback message.
    pub fallback_action: FallbackAction,
    /// `BATON_WEBHOOK_ALLOW` / `BATON_WEBHOOK_DENY`: comma-separated hosts, addresses or CIDR
    /// networks callbacks may (not) go to. Default: anywhere but link-local/metadata addresses.
    pub url_policy: UrlPolicy,
    /// `BATON_DELIVERY_EXCERPTS`: `true` keeps the first 512 characters of each receiver's answer
    /// in the attempt log, shown to admins only. Default `false`: a callback URL pointed at an
    /// internal service must not make Baton a way to read that service's answers.
    pub delivery_excerpts: bool,
    /// `BATON_RETENTION_DAYS`: closed conversations untouched for this many days are purged.
    /// Unset: kept forever.
    pub retention_days: Option<u32>,
    /// `BATON_RETENTION_INTERVAL`: how often the retention timer looks for conversations past
    /// the period, default 1 h (it also looks once at start).
    pub retention_interval: Duration,
    /// `BATON_SMTP_URL` and `BATON_SMTP_FROM`: the mail server reviewer alerts go through, and
    /// the sender they come from. Unset: no alert e-mail (settings can still be stored).
    pub smtp: Option<SmtpConfig>,
}

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://host:port` (default port 587): STARTTLS, required.
    Starttls,
    /// `smtps://host:port` (default port 465): TLS from the first byte.
    Implicit,
    /// `smtp://host:port?tls=none`: plain text; only to a loopback address (a local relay).
    None,
}

/// The mail server for reviewer alerts (`BATON_SMTP_URL`, `BATON_SMTP_FROM`).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// User name and password, from the URL's `user:password@` (percent-decoded).
    pub credentials: Option<(String, String)>,
    /// The sender, `alerts@example.com` or `Baton <alerts@example.com>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .field("from", &self.from)
            .finish()
    }
}

impl SmtpConfig {
    /// Reads `BATON_SMTP_URL` and `BATON_SMTP_FROM`; both unset means no mail. Errors say what
    /// to write instead.
    pub fn parse(url: Option<&str>, from: Option<&str>) -> Result<Option<SmtpConfig>, Vec<String>> {
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        let from = from.map(str::trim).filter(|f| !f.is_empty());
        let (raw, from) = match (url, from) {
            (None, None) => return Ok(None),
            (None, Some(_)) => {
                return Err(vec!["BATON_SMTP_FROM is set but BATON_SMTP_URL is not: set BATON_SMTP_URL to the mail server, e.g. smtp://user:password@mail.example.com:587".into()])
            }
            (Some(_), None) => {
                return Err(vec!["BATON_SMTP_FROM: required with BATON_SMTP_URL: the sender of alert e-mails, e.g. Baton <alerts@example.com>".into()])
            }
            (Some(u), Some(f)) => (u, f),
        };
        let mut errors = Vec::new();
        let example = "smtp://user:password@mail.example.com:587 (STARTTLS), smtps://mail.example.com:465 (TLS) or smtp://127.0.0.1:2525?tls=none (a local relay)";
        if from.parse::<lettre::message::Mailbox>().is_err() {
            errors.push(format!(
                "BATON_SMTP_FROM: {from:?} is not a sender address such as alerts@example.com or Baton <alerts@example.com>"
            ));
        }
        let parsed = match url::Url::parse(raw) {
            Ok(u) => u,
            Err(e) => {
                errors.push(format!("BATON_SMTP_URL: not a URL ({e}); use {example}"));
                return Err(errors);
            }
        };
        let shown = {
            let mut masked = parsed.clone();
            if masked.password().is_some() {
                let _ = masked.set_password(Some("****"));
            }
            masked.to_string()
        };
        let mut tls = match parsed.scheme() {
            "smtp" => SmtpTls::Starttls,
            "smtps" => SmtpTls::Implicit,
            other => {
                errors.push(format!(
                    "BATON_SMTP_URL: unsupported scheme {other:?} in {shown}; use {example}"
                ));
                return Err(errors);
            }
        };
        for (key, value) in parsed.query_pairs() {
            match (key.as_ref(), value.as_ref(), tls) {
                ("tls", "starttls", SmtpTls::Starttls) => {}
                ("tls", "none", SmtpTls::Starttls) => tls = SmtpTls::None,
                ("tls", v, _) => errors.push(format!(
                    "BATON_SMTP_URL: tls={v:?} in {shown}: use tls=starttls or tls=none with smtp://, nothing with smtps://"
                )),
                (k, _, _) => errors.push(format!(
                    "BATON_SMTP_URL: unknown parameter {k:?} in {shown}; only tls=starttls or tls=none"
                )),
            }
        }
        let host = match parsed.host_str() {
            Some(h) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']').to_string(),
            _ => {
                errors.push(format!(
                    "BATON_SMTP_URL: {shown} names no host; use {example}"
                ));
                String::new()
            }
        };
        if tls == SmtpTls::None {
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                errors.push(format!(
                    "BATON_SMTP_URL: tls=none sends the password and the alerts in plain text; it is allowed only to a loopback address (127.0.0.1, ::1, localhost), not {host:?}: use STARTTLS (smtp://) or TLS (smtps://)"
                ));
            }
        }
        if !matches!(parsed.path(), "" | "/") {
            errors.push(format!(
                "BATON_SMTP_URL: {shown} has a path; write only smtp[s]://[user:password@]host[:port]"
            ));
        }
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let credentials = match (parsed.username(), parsed.password()) {
            ("", None) => None,
            (user, Some(pass)) if !user.is_empty() => Some((decode(user), decode(pass))),
            _ => {
                errors.push(format!(
                    "BATON_SMTP_URL: {shown}: give both a user name and a password (user:password@host), or neither"
                ));
                None
            }
        };
        let port = parsed.port().unwrap_or(match tls {
            SmtpTls::Implicit => 465,
            _ => 587,
        });
        if errors.is_empty() {
            Ok(Some(SmtpConfig {
                host,
                port,
                tls,
                credentials,
                from: from.to_string(),
            }))
        } else {
            Err(errors)
        }
    }
}

/// How Baton waits on its database: the `BATON_DB_*` settings, as `db::Db::connect` takes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbSettings {
    /// Pooled connections.
    pub pool_size: u32,
    /// The longest wait for a pooled connection, or for a new PostgreSQL connection to open.
    pub timeout: Duration,
    /// SQLite: the longest wait for a lock another process holds.
    pub busy_timeout: Duration,
    /// SQLite: `PRAGMA max_page_count`, when set.
    pub sqlite_max_pages: Option<u32>,
    /// SQLite: when a commit counts as done.
    pub sqlite_sync: SqliteSync,
}

impl DbSettings {
    /// The defaults, with `pool_size` connections (the CLI's small pool).
    pub fn with_pool_size(pool_size: u32) -> DbSettings {
        DbSettings {
            pool_size,
            timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
            sqlite_max_pages: None,
            sqlite_sync: SqliteSync::Full,
        }
    }
}

/// The default apology when nobody answers in time.
pub const DEFAULT_FALLBACK_MESSAGE: &str =
    "Our team isn't available right now. We'll get back to you as soon as we can.";

/// Default delivery retry schedule, as Standard Webhooks / Svix use.
pub const DEFAULT_RETRY_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,10h";

impl Config {
    /// Reads and validates the configuration from the process environment.
    pub fn from_env() -> Result<Config, Vec<String>> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads and validates the configuration from any variable lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, Vec<String>> {
        let mut errors = Vec::new();
        let take = |name: &str, default: &str| -> String {
            get(name)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        let bind_raw = take("BATON_BIND", "127.0.0.1:8080");
        let bind = bind_raw.parse::<SocketAddr>().unwrap_or_else(|_| {
            errors.push(format!(
                "BATON_BIND: {bind_raw:?} is not an address:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080"
            ));
            SocketAddr::from(([127, 0, 0, 1], 8080))
        });
        let database_url = DatabaseUrl::parse(get("DATABASE_URL").as_deref()).unwrap_or_else(|e| {
            errors.push(e);
            DatabaseUrl::Sqlite("baton.db".into())
        });
        let public_url = get("BATON_PUBLIC_URL")
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().trim_end_matches('/').to_string());
        if let Some(u) = &public_url {
            match url::Url::parse(u) {
                Ok(p) if p.scheme() == "http" || p.scheme() == "https" => {}
                _ => errors.push(format!(
                    "BATON_PUBLIC_URL: {u:?} must be an http(s) URL such as https://baton.example.com"
                )),
            }
        }
        let log = take("BATON_LOG", "info");
        let format_raw = take("BATON_LOG_FORMAT", "text");
        let log_format = match format_raw.trim() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                errors.push(format!("BATON_LOG_FORMAT: {other:?} must be text or json"));
                LogFormat::Text
            }
        };
        let db_pool_size = parse_num(
            &take("BATON_DB_POOL_SIZE", "16"),
            "BATON_DB_POOL_SIZE",
            1,
            512,
            &mut errors,
        );
        let max_body_bytes = parse_num(
            &take("BATON_MAX_BODY", "2097152"),
            "BATON_MAX_BODY",
            1024,
            64 << 20,
            &mut errors,
        ) as usize;
        let retry_schedule =
            parse_duration_list(&take("BATON_RETRY_SCHEDULE", DEFAULT_RETRY_SCHEDULE))
                .unwrap_or_else(|e| {
                    errors.push(format!(
                        "BATON_RETRY_SCHEDULE: {e} (e.g. {DEFAULT_RETRY_SCHEDULE})"
                    ));
                    vec![]
                });
        let mut one = |name: &str, default: &str| -> Duration {
            let raw = take(name, default);
            match parse_duration_list(&raw) {
                Ok(v) if v.len() == 1 => v[0],
                _ => {
                    errors.push(format!(
                        "{name}: {raw:?} is not a duration like 500ms, 15s, 5m or 2h"
                    ));
                    Duration::from_secs(1)
                }
            }
        };
        let delivery_timeout = one("BATON_DELIVERY_TIMEOUT", "15s");
        let worker_poll = one("BATON_WORKER_POLL", "1s");
        let token_ttl = one("BATON_TOKEN_TTL", "12h");
        let default_takeover_timeout = one("BATON_DEFAULT_TIMEOUT", "5m");
        let reviewer_silence = one("BATON_REVIEWER_SILENCE", "10m");
        let idle_close = one("BATON_IDLE_CLOSE", "24h");
        let away_grace = one("BATON_AWAY_GRACE", "60s");
        let queue_update_interval = one("BATON_QUEUE_UPDATE_INTERVAL", "60s");
        let retention_interval = one("BATON_RETENTION_INTERVAL", "1h");
        let db_timeout = one("BATON_DB_TIMEOUT", "5s");
        let db_busy_timeout = one("BATON_DB_BUSY_TIMEOUT", "5s");
        for (name, value, min) in [
            ("BATON_DB_TIMEOUT", db_timeout, Duration::from_millis(100)),
            (
                "BATON_DB_BUSY_TIMEOUT",
                db_busy_timeout,
                Duration::from_millis(10),
            ),
        ] {
            if value < min || value > Duration::from_secs(300) {
                errors.push(format!(
                    "{name}: {value:?} must be from {min:?} to 5m (a request waits this long at most)"
                ));
            }
        }
        let sqlite_max_pages = get("BATON_SQLITE_MAX_PAGES")
            .filter(|v| !v.trim().is_empty())
            .map(|raw| {
                parse_num(
                    &raw,
                    "BATON_SQLITE_MAX_PAGES",
                    16,
                    u64::from(u32::MAX - 1),
                    &mut errors,
                )
            });
        let sync_raw = take("BATON_SQLITE_SYNC", "full");
        let sqlite_sync = match sync_raw.trim() {
            "full" => SqliteSync::Full,
            "normal" => SqliteSync::Normal,
            other => {
                errors.push(format!(
                    "BATON_SQLITE_SYNC: {other:?} must be full or normal"
                ));
                SqliteSync::Full
            }
        };
        let fallback_message = take("BATON_FALLBACK_MESSAGE", DEFAULT_FALLBACK_MESSAGE);
        let action_raw = take("BATON_FALLBACK_ACTION", "handback");
        let fallback_action = FallbackAction::parse(action_raw.trim()).unwrap_or_else(|| {
            errors.push(format!(
                "BATON_FALLBACK_ACTION: {action_raw:?} must be handback or close"
            ));
            FallbackAction::Handback
        });
        let url_policy = UrlPolicy::parse(
            get("BATON_WEBHOOK_ALLOW").as_deref(),
            get("BATON_WEBHOOK_DENY").as_deref(),
        )
        .unwrap_or_else(|e| {
            errors.push(format!("BATON_WEBHOOK_ALLOW/DENY: {e}"));
            UrlPolicy::default()
        });
        let excerpts_raw = take("BATON_DELIVERY_EXCERPTS", "false");
        let delivery_excerpts = match excerpts_raw.trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            other => {
                errors.push(format!(
                    "BATON_DELIVERY_EXCERPTS: {other:?} must be true or false"
                ));
                false
            }
        };
        let retention_days = get("BATON_RETENTION_DAYS")
            .filter(|v| !v.trim().is_empty())
            .map(|raw| parse_num(&raw, "BATON_RETENTION_DAYS", 1, 36_500, &mut errors));
        let smtp = SmtpConfig::parse(
            get("BATON_SMTP_URL").as_deref(),
            get("BATON_SMTP_FROM").as_deref(),
        )
        .unwrap_or_else(|e| {
            errors.extend(e);
            None
        });
        if errors.is_empty() {
            Ok(Config {
                bind,
                database_url,
                public_url,
                log,
                log_format,
                db_pool_size,
                db_timeout,
                db_busy_timeout,
                sqlite_max_pages,
                sqlite_sync,
                max_body_bytes,
                retry_schedule,
                delivery_timeout,
                worker_poll,
                token_ttl,
                default_takeover_timeout,
                reviewer_silence,
                idle_close,
                away_grace,
                queue_update_interval,
                fallback_message,
                fallback_action,
                url_policy,
                delivery_excerpts,
                retention_days,
                retention_interval,
                smtp,
            })
        } else {
            Err(errors)
        }
    }

    /// The database settings, as `db::Db::connect` takes them.
    pub fn db_settings(&self) -> DbSettings {
        DbSettings {
            pool_size: self.db_pool_size,
            timeout: self.db_timeout,
            busy_timeout: self.db_busy_timeout,
            sqlite_max_pages: self.sqlite_max_pages,
            sqlite_sync: self.sqlite_sync,
        }
    }

    /// The base URL for links to this server.
    pub fn public_base(&self, bound: SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }
}

fn parse_num(raw: &str, name: &str, min: u64, max: u64, errors: &mut Vec<String>) -> u32 {
    match raw.trim().parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => v.min(u32::MAX as u64) as u32,
        _ => {
            errors.push(format!(
                "{name}: {raw:?} must be a whole number from {min} to {max}"
            ));
            min as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_picks_the_backend_from_its_form() {
        assert_eq!(
            DatabaseUrl::parse(None),
            Ok(DatabaseUrl::Sqlite("baton.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse(Some("sqlite://./data/b.db")),
            Ok(DatabaseUrl::Sqlite("./data/b.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse(Some("/var/b.db")),
            Ok(DatabaseUrl::Sqlite("/var/b.db".into()))
        );
        assert!(matches!(
            DatabaseUrl::parse(Some("postgres://u@h/db")),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(DatabaseUrl::parse(Some("mysql://x")).is_err());
        assert!(DatabaseUrl::parse(Some(":memory:")).is_err());
    }

    #[test]
    fn bad_values_are_all_reported_with_what_to_fix() {
        let errors = Config::from_lookup(|k| match k {
            "BATON_BIND" => Some("nowhere".into()),
            "BATON_RETRY_SCHEDULE" => Some("5s,soon".into()),
            "BATON_DB_POOL_SIZE" => Some("0".into()),
            "BATON_LOG_FORMAT" => Some("yaml".into()),
            _ => None,
        })
        .unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[1].starts_with("BATON_LOG_FORMAT"), "{errors:?}");
        assert!(errors[0].starts_with("BATON_BIND"));
    }

    #[test]
    fn retention_is_off_unless_set_and_set_to_whole_days() {
        let unset = Config::from_lookup(|_| None).unwrap();
        assert_eq!(unset.retention_days, None);
        let set = Config::from_lookup(|k| (k == "BATON_RETENTION_DAYS").then(|| "30".into()));
        assert_eq!(set.unwrap().retention_days, Some(30));
        for bad in ["0", "-1", "30d", "forever", "36501"] {
            let errors = Config::from_lookup(|k| (k == "BATON_RETENTION_DAYS").then(|| bad.into()))
                .unwrap_err();
            assert!(
                errors[0].starts_with("BATON_RETENTION_DAYS") && errors[0].contains("1 to 36500"),
                "{bad}: {errors:?}"
            );
        }
    }

    #[test]
    fn database_waits_are_bounded_and_default_to_five_seconds() {
        let unset = Config::from_lookup(|_| None).unwrap().db_settings();
        assert_eq!(unset, DbSettings::with_pool_size(16));
        assert_eq!(unset.timeout, Duration::from_secs(5));
        assert_eq!(unset.sqlite_sync, SqliteSync::Full);
        let set = Config::from_lookup(|k| match k {
            "BATON_DB_TIMEOUT" => Some("2s".into()),
            "BATON_DB_BUSY_TIMEOUT" => Some("500ms".into()),
            "BATON_SQLITE_MAX_PAGES" => Some("1000".into()),
            "BATON_SQLITE_SYNC" => Some("normal".into()),
            _ => None,
        })
        .unwrap()
        .db_settings();
        assert_eq!(set.sqlite_sync, SqliteSync::Normal);
        assert_eq!(set.timeout, Duration::from_secs(2));
        assert_eq!(set.busy_timeout, Duration::from_millis(500));
        assert_eq!(set.sqlite_max_pages, Some(1000));
        let errors = Config::from_lookup(|k| match k {
            "BATON_DB_TIMEOUT" => Some("1h".into()),
            "BATON_DB_BUSY_TIMEOUT" => Some("1ms".into()),
            "BATON_SQLITE_MAX_PAGES" => Some("3".into()),
            "BATON_SQLITE_SYNC" => Some("off".into()),
            _ => None,
        })
        .unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].starts_with("BATON_DB_TIMEOUT"), "{errors:?}");
        assert!(errors[1].starts_with("BATON_DB_BUSY_TIMEOUT"), "{errors:?}");
        assert!(
            errors[2].starts_with("BATON_SQLITE_MAX_PAGES"),
            "{errors:?}"
        );
        assert!(
            errors[3].starts_with("BATON_SQLITE_SYNC") && errors[3].contains("full or normal"),
            "{errors:?}"
        );
    }

    #[test]
    fn postgres_passwords_are_masked_in_logs() {
        let url = DatabaseUrl::Postgres("postgres://u:secret@h/db".into());
        assert!(!url.redacted().contains("secret"));
    }

    #[test]
    fn smtp_urls_choose_the_protection_and_bad_ones_say_what_to_write() {
        let from = Some("Baton <alerts@example.com>");
        let c = SmtpConfig::parse(Some("smtp://al%40ice:p%2Fw@mail.example.com"), from)
            .unwrap()
            .unwrap();
        assert_eq!((c.tls, c.port), (SmtpTls::Starttls, 587));
        assert_eq!(c.credentials, Some(("al@ice".into(), "p/w".into())));
        assert!(
            !format!("{c:?}").contains("p/w"),
            "the password stays out of logs"
        );
        let c = SmtpConfig::parse(Some("smtps://mail.example.com"), from)
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.tls, c.port, c.credentials),
            (SmtpTls::Implicit, 465, None)
        );
        let c = SmtpConfig::parse(Some("smtp://127.0.0.1:2525?tls=none"), from)
            .unwrap()
            .unwrap();
        assert_eq!((c.tls, c.port), (SmtpTls::None, 2525));
        assert_eq!(SmtpConfig::parse(None, None), Ok(None));
        for (url, from, says) in [
            ("smtp://mail.example.com?tls=none", from, "loopback"),
            ("http://mail.example.com", from, "unsupported scheme"),
            ("smtp://mail.example.com", None, "BATON_SMTP_FROM"),
            (
                "smtp://mail.example.com",
                Some("not an address"),
                "BATON_SMTP_FROM",
            ),
            (
                "smtp://user@mail.example.com",
                from,
                "user name and a password",
            ),
        ] {
            let errors = SmtpConfig::parse(Some(url), from).unwrap_err();
            assert!(errors.iter().any(|e| e.contains(says)), "{url}: {errors:?}");
        }
    }
}
