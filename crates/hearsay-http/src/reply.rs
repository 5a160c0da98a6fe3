//! Answers written straight onto a socket, for requests refused before hyper
//! parses them: the same `{"error": ...}` shape as every other error.

use std::time::Duration;

use axum::http::StatusCode;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The JSON error shape every hearsay HTTP error uses.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

/// The bytes of a complete `Connection: close` response with a JSON error.
pub(crate) fn error_response(status: StatusCode, message: &str) -> Vec<u8> {
    let body = serde_json::to_string(&ErrorBody { error: message })
        // Serializing a struct of one string cannot fail.
        .unwrap_or_else(|_| String::from("{\"error\":\"bad request\"}"));
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes()
}

/// Writes `status` and `message` as a JSON error, then closes gently: the
/// write side first, then what the client still sends is read and dropped
/// for a moment, so the kernel does not reset the connection (and lose the
/// answer) over unread input such as the rest of a 64 KB path.
pub(crate) async fn refuse(
    mut stream: TcpStream,
    status: StatusCode,
    message: &str,
    within: Duration,
) {
    let bytes = error_response(status, message);
    let written = tokio::time::timeout(within, async {
        stream.write_all(&bytes).await?;
        stream.shutdown().await
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        return;
    }
    let mut sink = [0u8; 4096];
    let mut budget: usize = 1024 * 1024;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while budget > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => budget = budget.saturating_sub(n),
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_response_is_complete_json_and_closes() {
        let r =
            String::from_utf8(error_response(StatusCode::URI_TOO_LONG, "too \"long\"")).unwrap();
        let (head, body) = r.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(head.contains("connection: close"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"], "too \"long\"");
    }
}
