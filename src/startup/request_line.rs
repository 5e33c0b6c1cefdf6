//! Each connection's first request line, looked at before actix-http parses it. A line longer
//! than [`MAX_REQUEST_LINE`] is answered with a `414` problem ([`Kind::UriTooLong`]) and the
//! connection closed; the answer carries a new `X-Request-Id`, also logged with the refusal.
//! Without this, actix-http answers a URI the `http` crate cannot hold (64 KiB and more) with a
//! bare `400` and an empty body, before any middleware could turn it into a problem.
//!
//! The line is only peeked at: the bytes stay in the socket for actix-http to read. A line
//! that arrives in pieces is peeked at again until it is complete, too long, or
//! [`LINE_WAIT`] has passed (then actix-http's own request timeout applies).

use std::io;
use std::time::Duration;

use actix_web::rt::net::TcpStream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{ApiError, Kind};

/// The longest request line served: method, target and version. Baton's longest URLs (a search
/// with every filter) stay under 1 KiB.
pub const MAX_REQUEST_LINE: usize = 16 * 1024;
/// How long a request line may take to arrive before it is left to actix-http.
const LINE_WAIT: Duration = Duration::from_secs(5);
/// How often an incomplete line is peeked at again.
const PEEK_AGAIN: Duration = Duration::from_millis(2);
/// What is read and dropped after the answer, so that closing with unread bytes does not reset
/// the connection before the client has read it.
const DRAIN_LIMIT: usize = 1024 * 1024;
const DRAIN_WAIT: Duration = Duration::from_secs(2);

/// The connection, to be served; or `None` when its first request line was refused (answered
/// and closed here).
pub async fn check(io: TcpStream) -> io::Result<Option<TcpStream>> {
    let mut seen = vec![0u8; MAX_REQUEST_LINE + 1];
    let waited = tokio::time::Instant::now();
    loop {
        let n = io.peek(&mut seen).await?;
        if n == 0 || seen[..n].contains(&b'\n') {
            return Ok(Some(io));
        }
        if n > MAX_REQUEST_LINE {
            refuse(io).await;
            return Ok(None);
        }
        if waited.elapsed() >= LINE_WAIT {
            return Ok(Some(io));
        }
        tokio::time::sleep(PEEK_AGAIN).await;
    }
}

/// The answer to a request line that is too long, as bytes on the wire, with its request id
/// (a new one: the caller's headers come after the line and are not read).
fn answer(request_id: &str) -> Vec<u8> {
    let problem = ApiError::new(
        Kind::UriTooLong,
        format!(
            "the request line is longer than {MAX_REQUEST_LINE} bytes: send long values in a \
             request body"
        ),
    )
    .problem();
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 414 URI Too Long\r\ncontent-type: application/problem+json\r\n\
         content-length: {}\r\nx-content-type-options: nosniff\r\n{}: {request_id}\r\n\
         connection: close\r\n\r\n",
        body.len(),
        super::request_id::HEADER,
    )
    .into_bytes();
    out.extend(body);
    out
}

async fn refuse(mut io: TcpStream) {
    let request_id = super::request_id::fresh();
    tracing::info!(
        request_id = %request_id,
        status = 414,
        "a request line longer than {MAX_REQUEST_LINE} bytes was refused"
    );
    if io.write_all(&answer(&request_id)).await.is_err() || io.shutdown().await.is_err() {
        return;
    }
    let mut sink = [0u8; 8192];
    let _ = tokio::time::timeout(DRAIN_WAIT, async {
        let mut drained = 0;
        while drained < DRAIN_LIMIT {
            match io.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
}
