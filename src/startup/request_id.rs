//! A request id for every HTTP request: the caller's `X-Request-Id` when it is short and plain,
//! else a new one. It goes back in the `X-Request-Id` response header (problems too) and every
//! log line written while the request is handled carries it (the `request` span's
//! `request_id`), so an operator can find a client's failed call in the logs.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// An incoming id is kept when it is 1 to 64 characters of `[A-Za-z0-9._:-]`: nothing that
/// could forge a log line or smuggle markup into a log viewer.
pub fn plain(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// A new request id, for a request that brought no plain one of its own.
pub fn fresh() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The middleware: outermost, so every answer of the application carries the header.
pub async fn tag(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| plain(v))
        .map(str::to_string)
        .unwrap_or_else(fresh);
    let span = tracing::info_span!("request", request_id = %id);
    let started = Instant::now();
    let method = req.method().clone();
    let value = HeaderValue::from_str(&id).expect("a plain id is a header value");
    let mut res = match next.call(req).instrument(span.clone()).await {
        Ok(res) => res,
        // An error not yet turned into a response: its response carries the id too.
        Err(e) => {
            let mut response = e.error_response();
            response
                .headers_mut()
                .insert(HeaderName::from_static(HEADER), value);
            return Err(actix_web::error::InternalError::from_response(e, response).into());
        }
    };
    res.headers_mut()
        .insert(HeaderName::from_static(HEADER), value);
    // The route's pattern, never the path: paths hold ids and one-time tokens.
    let route = res.request().match_pattern();
    span.in_scope(|| {
        tracing::debug!(
            method = %method,
            route = route.as_deref().unwrap_or("unmatched"),
            status = res.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request answered"
        )
    });
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(plain("abc-123_X.y:z"));
        assert!(plain(&"a".repeat(64)));
        assert!(!plain(""));
        assert!(!plain(&"a".repeat(65)));
        assert!(!plain("a b"));
        assert!(!plain("a\"b"));
        assert!(!plain("<script>"));
        assert!(!plain("é"));
    }
}
