//! One bounded `GET` of a node's JSON over plain HTTP/1.1 (the nodes' status
//! and data endpoints are served by `hearsay-http` on loopback or a LAN).

use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::{Request, header};
use hyper_util::rt::TokioIo;

/// Why a node could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    /// Nothing answered in time (connect, request and body together).
    #[error("no answer within {0} ms")]
    Timeout(u128),
    /// The connection failed.
    #[error("connection failed: {0}")]
    Connect(std::io::Error),
    /// HTTP went wrong (a bad answer, a closed connection).
    #[error("HTTP: {0}")]
    Http(String),
    /// The answer was larger than allowed.
    #[error("answer larger than {0} bytes")]
    TooLarge(usize),
    /// The answer was not JSON.
    #[error("answer is not JSON: {0}")]
    NotJson(serde_json::Error),
}

/// `GET path` at `addr` (`HOST:PORT`): the status code and the body as
/// JSON, within `timeout` and `max_bytes`.
pub(crate) async fn get_json(
    addr: &str,
    path: &str,
    timeout: Duration,
    max_bytes: usize,
) -> Result<(u16, serde_json::Value), FetchError> {
    tokio::time::timeout(timeout, get(addr, path, max_bytes))
        .await
        .map_err(|_| FetchError::Timeout(timeout.as_millis()))?
}

async fn get(
    addr: &str,
    path: &str,
    max_bytes: usize,
) -> Result<(u16, serde_json::Value), FetchError> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(FetchError::Connect)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| FetchError::Http(e.to_string()))?;
    // The connection task ends when the answer is read or the request is
    // dropped (timeout): it holds nothing past this call.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let request = Request::get(path)
        .header(header::HOST, addr)
        .header(header::ACCEPT, "application/json")
        .body(Empty::<Bytes>::new())
        .map_err(|e| FetchError::Http(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| FetchError::Http(e.to_string()))?;
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), max_bytes)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                FetchError::TooLarge(max_bytes)
            } else {
                FetchError::Http(e.to_string())
            }
        })?
        .to_bytes();
    let json = serde_json::from_slice(&body).map_err(FetchError::NotJson)?;
    Ok((status, json))
}
