//! The one error type at the HTTP edge. Handlers, domain parsing and repository code return
//! [`ApiError`]; it renders as RFC 9457 `application/problem+json` with a stable `type`.
//! Only 5xx errors log their cause (client mistakes are the client's to read, not ours to log).
//! Start-up and CLI code use `anyhow` instead: there the reader is an operator at a terminal.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// One field-level validation failure.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The JSON path of the field, e.g. `history[2].sender`.
    pub field: String,
    /// What is wrong with it and what would be accepted.
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short human-readable summary of the kind of problem.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// For validation failures: each field that was rejected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For claim conflicts: the reviewer who holds the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<String>,
}

/// The kinds of problem Baton reports, each with a fixed status, slug and title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Validation,
    MalformedJson,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    AiTurnRefused,
    AlreadyClaimed,
    OfferedToOther,
    ReplyWindowClosed,
    Conflict,
    IdempotencyMismatch,
    PayloadTooLarge,
    UriTooLong,
    UnsupportedMediaType,
    TooManyRequests,
    Unavailable,
    DatabaseUnavailable,
    DatabaseFull,
    Internal,
}

impl Kind {
    pub const ALL: [Kind; 20] = [
        Kind::Validation,
        Kind::MalformedJson,
        Kind::Unauthorized,
        Kind::Forbidden,
        Kind::NotFound,
        Kind::MethodNotAllowed,
        Kind::AiTurnRefused,
        Kind::AlreadyClaimed,
        Kind::OfferedToOther,
        Kind::ReplyWindowClosed,
        Kind::Conflict,
        Kind::IdempotencyMismatch,
        Kind::PayloadTooLarge,
        Kind::UriTooLong,
        Kind::UnsupportedMediaType,
        Kind::TooManyRequests,
        Kind::Unavailable,
        Kind::DatabaseUnavailable,
        Kind::DatabaseFull,
        Kind::Internal,
    ];

    /// The problem type of an error actix itself produced with this status. Mapped one by one:
    /// several kinds share a status (409 is `ai-turn-refused`, `already-claimed`…), and a
    /// framework's 409 is none of those.
    pub fn for_framework_status(status: StatusCode) -> Kind {
        match status.as_u16() {
            401 => Kind::Unauthorized,
            403 => Kind::Forbidden,
            404 => Kind::NotFound,
            405 => Kind::MethodNotAllowed,
            409 => Kind::Conflict,
            413 => Kind::PayloadTooLarge,
            414 => Kind::UriTooLong,
            415 => Kind::UnsupportedMediaType,
            429 => Kind::TooManyRequests,
            503 => Kind::Unavailable,
            s if s >= 500 => Kind::Internal,
            _ => Kind::MalformedJson,
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Kind::Validation | Kind::MalformedJson => StatusCode::BAD_REQUEST,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::AiTurnRefused
            | Kind::AlreadyClaimed
            | Kind::OfferedToOther
            | Kind::ReplyWindowClosed
            | Kind::Conflict => StatusCode::CONFLICT,
            Kind::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::UriTooLong => StatusCode::URI_TOO_LONG,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Kind::Unavailable | Kind::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Kind::DatabaseFull => StatusCode::INSUFFICIENT_STORAGE,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Kind::Validation => "validation",
            Kind::MalformedJson => "malformed-json",
            Kind::Unauthorized => "unauthorized",
            Kind::Forbidden => "forbidden",
            Kind::NotFound => "not-found",
            Kind::MethodNotAllowed => "method-not-allowed",
            Kind::AiTurnRefused => "ai-turn-refused",
            Kind::AlreadyClaimed => "already-claimed",
            Kind::OfferedToOther => "offered-to-another-reviewer",
            Kind::ReplyWindowClosed => "reply-window-closed",
            Kind::Conflict => "conflict",
            Kind::IdempotencyMismatch => "idempotency-key-reused",
            Kind::PayloadTooLarge => "payload-too-large",
            Kind::UriTooLong => "uri-too-long",
            Kind::UnsupportedMediaType => "unsupported-media-type",
            Kind::TooManyRequests => "too-many-requests",
            Kind::Unavailable => "unavailable",
            Kind::DatabaseUnavailable => "database-unavailable",
            Kind::DatabaseFull => "database-full",
            Kind::Internal => "internal",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::Validation => "The request has invalid fields",
            Kind::MalformedJson => "The request body is not the expected JSON",
            Kind::Unauthorized => "Missing or invalid credentials",
            Kind::Forbidden => "These credentials may not do this",
            Kind::NotFound => "No such resource",
            Kind::MethodNotAllowed => "Method not allowed here",
            Kind::AiTurnRefused => "A person owns this conversation; the AI may not reply",
            Kind::AlreadyClaimed => "Another reviewer already holds this conversation",
            Kind::OfferedToOther => "The conversation is offered to another reviewer",
            Kind::ReplyWindowClosed => "The channel's reply window has closed",
            Kind::Conflict => "The resource is not in a state that allows this",
            Kind::IdempotencyMismatch => "Idempotency-Key reused with a different request",
            Kind::PayloadTooLarge => "The request body is too large",
            Kind::UriTooLong => "The request line is too long",
            Kind::UnsupportedMediaType => "The request body must be application/json",
            Kind::TooManyRequests => "Too many requests",
            Kind::Unavailable => "A dependency is unavailable; try again",
            Kind::DatabaseUnavailable => {
                "The database is unreachable or busy; nothing was written, try again"
            }
            Kind::DatabaseFull => "The database is full; nothing was written",
            Kind::Internal => "Internal error",
        }
    }

    pub fn type_uri(self) -> String {
        format!("/problems/{}", self.slug())
    }
}

/// Seconds a client is told to wait (`Retry-After`) when the database is unavailable: about how
/// long the pool takes to notice it is back (see `db::Db`).
pub const DATABASE_RETRY_AFTER: u64 = 2;

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub struct ApiError {
    pub kind: Kind,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub held_by: Option<String>,
    /// Seconds the client should wait before trying again (`Retry-After`).
    pub retry_after: Option<u64>,
    /// The methods the endpoint does answer (`Allow`, with a 405).
    pub allow: Option<Box<str>>,
    /// The underlying cause of a 5xx, logged but never sent.
    cause: Option<anyhow::Error>,
}

impl ApiError {
    pub fn new(kind: Kind, detail: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            held_by: None,
            retry_after: None,
            allow: None,
            cause: None,
        }
    }

    /// A validation failure naming each rejected field.
    pub fn validation(errors: Vec<FieldError>) -> ApiError {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        ApiError {
            errors,
            ..ApiError::new(Kind::Validation, detail)
        }
    }

    /// A validation failure of one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(Kind::NotFound, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(Kind::Conflict, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(Kind::Forbidden, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(Kind::Unauthorized, detail)
    }

    pub fn already_claimed(by: &str) -> ApiError {
        ApiError {
            held_by: Some(by.to_string()),
            ..ApiError::new(
                Kind::AlreadyClaimed,
                format!("{by} already holds this conversation"),
            )
        }
    }

    /// Tells the client, in `Retry-After`, how many seconds to wait.
    /// The same problem again, for each caller of a write that shared one failed transaction
    /// (group commit): kind, detail and `Retry-After` kept; the cause was logged once.
    pub fn for_each_caller(&self) -> ApiError {
        ApiError {
            errors: self.errors.clone(),
            held_by: self.held_by.clone(),
            retry_after: self.retry_after,
            allow: self.allow.clone(),
            ..ApiError::new(self.kind, self.detail.clone())
        }
    }

    pub fn with_retry_after(self, seconds: u64) -> ApiError {
        ApiError {
            retry_after: Some(seconds.max(1)),
            ..self
        }
    }

    /// Tells the client, in `Allow`, which methods the endpoint answers (with a 405).
    pub fn with_allow(self, methods: String) -> ApiError {
        ApiError {
            allow: Some(methods.into()),
            ..self
        }
    }

    /// Names the reviewer involved (`held_by` in the problem).
    pub fn with_held_by(self, by: &str) -> ApiError {
        ApiError {
            held_by: Some(by.to_string()),
            ..self
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        ApiError::new(Kind::Unavailable, detail)
    }

    /// The database cannot be reached, or is locked by another process: a 503 the client
    /// retries after [`DATABASE_RETRY_AFTER`] seconds (a turn with the same message id).
    pub fn database_unavailable(detail: impl Into<String>) -> ApiError {
        ApiError::new(Kind::DatabaseUnavailable, detail).with_retry_after(DATABASE_RETRY_AFTER)
    }

    pub fn internal(cause: anyhow::Error) -> ApiError {
        ApiError {
            cause: Some(cause),
            ..ApiError::new(
                Kind::Internal,
                "an internal error occurred; it has been logged",
            )
        }
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: self.kind.type_uri(),
            title: self.kind.title().to_string(),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
            held_by: self.held_by.clone(),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        use diesel::result::{DatabaseErrorKind, Error};
        match outage(&e) {
            Some(Outage::Unreachable) => {
                return ApiError::database_unavailable(format!("database: {e}"))
            }
            Some(Outage::Full) => {
                return ApiError::new(
                    Kind::DatabaseFull,
                    "the database has no room for this write; reads still work. \
                     An operator must make room (see docs/OPERATIONS.md)",
                )
            }
            None => {}
        }
        match e {
            Error::NotFound => ApiError::not_found("no such resource"),
            // A serialization failure or lost race: safe for the client to retry.
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                ApiError::conflict(format!("concurrent update, retry: {}", info.message()))
            }
            // PostgreSQL broke a cycle of lock waits by undoing this transaction (SQLSTATE
            // 40P01, which diesel does not name): nothing of it was written, and the same
            // request sent again goes through, so the caller is told to retry, as in an outage.
            Error::DatabaseError(_, info) if info.message().starts_with("deadlock detected") => {
                ApiError::database_unavailable(
                    "database: this write met another in a deadlock and was undone; \
                     nothing was written, send it again",
                )
            }
            other => ApiError::internal(anyhow::Error::new(other).context("database query")),
        }
    }
}

/// Why a query failed when the fault is the database's state, not the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// The connection is gone (PostgreSQL restarted, the network cut) or another process holds
    /// SQLite's write lock past the busy timeout: retrying later works.
    Unreachable,
    /// SQLite reached `max_page_count` or the disk is full: retrying works once room is made.
    Full,
}

/// Classifies a diesel error as an outage. SQLite reports `SQLITE_BUSY`, `SQLITE_LOCKED` and
/// `SQLITE_FULL` only by their fixed messages (diesel keeps no result code for them);
/// PostgreSQL's lost connections are diesel's `ClosedConnection`, plus the server's own words
/// when it shuts a session down.
pub fn outage(e: &diesel::result::Error) -> Option<Outage> {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => Some(Outage::Unreachable),
        Error::DatabaseError(_, info) => {
            let message = info.message();
            // libpq's words for a lost server (a query that could not even be sent is
            // `UnableToSendCommand`, also used for one with too many binds: the words decide).
            const UNREACHABLE: [&str; 9] = [
                "database is locked",
                "database table is locked",
                "database schema is locked",
                "server closed the connection",
                "no connection to the server",
                "could not send data to server",
                "could not receive data from server",
                "terminating connection due to administrator command",
                "the database system is",
            ];
            if message.contains("database or disk is full") {
                Some(Outage::Full)
            } else if UNREACHABLE.iter().any(|m| message.contains(m)) {
                Some(Outage::Unreachable)
            } else {
                None
            }
        }
        // The connection died inside a transaction and its rollback failed too.
        Error::BrokenTransactionManager => Some(Outage::Unreachable),
        Error::RollbackErrorOnCommit { commit_error, .. } => outage(commit_error),
        _ => None,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        if self.kind.status().is_server_error() {
            match &self.cause {
                Some(cause) => tracing::error!(error = ?cause, "request failed"),
                None => tracing::warn!(detail = %self.detail, "request failed"),
            }
        }
        let mut response = HttpResponse::build(self.kind.status());
        response.content_type("application/problem+json");
        if self.kind == Kind::Unauthorized {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        // Every 503 says when to come back, whichever path made it.
        let retry_after = self
            .retry_after
            .or((self.kind.status() == StatusCode::SERVICE_UNAVAILABLE)
                .then_some(DATABASE_RETRY_AFTER));
        if let Some(seconds) = retry_after {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        if let Some(methods) = &self.allow {
            response.insert_header(("Allow", &**methods));
        }
        response.json(self.problem())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_framework_409_is_a_plain_conflict_not_a_refused_ai_turn() {
        assert_eq!(
            Kind::for_framework_status(StatusCode::CONFLICT),
            Kind::Conflict
        );
        assert_eq!(
            Kind::for_framework_status(StatusCode::METHOD_NOT_ALLOWED),
            Kind::MethodNotAllowed
        );
        assert_eq!(
            Kind::for_framework_status(StatusCode::BAD_GATEWAY),
            Kind::Internal
        );
        // every kind a framework status maps to answers with that same status, except the
        // catch-all for other client errors
        for code in [401, 403, 404, 405, 409, 413, 415, 429, 500, 503] {
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(Kind::for_framework_status(status).status(), status);
        }
    }

    fn database_error(message: &str) -> diesel::result::Error {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new(message.to_string()),
        )
    }

    #[test]
    fn a_locked_or_lost_database_is_a_503_and_a_full_one_a_507_never_a_500() {
        for (message, kind) in [
            ("database is locked", Kind::DatabaseUnavailable),
            (
                "server closed the connection unexpectedly",
                Kind::DatabaseUnavailable,
            ),
            (
                "terminating connection due to administrator command",
                Kind::DatabaseUnavailable,
            ),
            ("database or disk is full", Kind::DatabaseFull),
            ("no such table: canned_responses", Kind::Internal),
        ] {
            assert_eq!(
                ApiError::from(database_error(message)).kind,
                kind,
                "{message}"
            );
        }
        let lost = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            Box::new(String::new()),
        );
        let e = ApiError::from(lost);
        assert_eq!(e.kind.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.retry_after, Some(DATABASE_RETRY_AFTER));
        assert_eq!(Kind::DatabaseFull.status().as_u16(), 507);
    }

    #[test]
    fn every_503_says_when_to_come_back() {
        for e in [
            ApiError::unavailable("no connection for the write"),
            ApiError::database_unavailable("lost"),
        ] {
            let response = e.error_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                response.headers().get("Retry-After").unwrap(),
                &DATABASE_RETRY_AFTER.to_string()
            );
        }
    }
}
