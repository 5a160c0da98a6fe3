//! [`TrackerClient`]: the tracker's HTTP JSON API from a node's side.

use std::time::Duration;

use hearsay_wire::tracker::{
    ActivityPage, ActivityQuery, ErrorBody, Health, Heartbeat, Payload, PayloadIds, PayloadPage,
    PayloadQuery, Peer, PeerList, PeerQuery, RegisterPeer, ReplicaStatus, SetStatus, StatusChanged,
    WritePayloads,
};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::TrackerError;
use crate::url::TrackerUrl;

/// How long one call may take, connection included, unless set otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest answer accepted, in bytes: a full page of the largest
/// payloads fits (1,000 × 4 KiB and their ids), anything past it is refused.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The longest error reason quoted from a tracker that did not answer JSON.
const MAX_QUOTED: usize = 200;

/// A client of one tracker. Each call opens its own HTTP/1.1 connection
/// (a node makes about two calls a second, so there is nothing to pool),
/// and is bounded as a whole by the client's timeout.
#[derive(Clone)]
pub struct TrackerClient {
    url: TrackerUrl,
    /// Sent as `Authorization: Bearer` on every write; reads go without it.
    token: Option<String>,
    timeout: Duration,
    max_response: usize,
}

impl std::fmt::Debug for TrackerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackerClient")
            .field("url", &self.url.to_string())
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Stops a spawned connection task when the call that owns it ends, even
/// when the call is dropped at its timeout.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl TrackerClient {
    /// A client of the tracker at `url`; `token` is the admin token, needed
    /// for writes (register, heartbeat, deregister, payloads, status).
    pub fn new(url: TrackerUrl, token: Option<String>) -> Self {
        Self {
            url,
            token: token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
            timeout: DEFAULT_TIMEOUT,
            max_response: MAX_RESPONSE_BYTES,
        }
    }

    /// The same client with another time limit per call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same client accepting answers of at most `bytes`.
    pub fn with_max_response(mut self, bytes: usize) -> Self {
        self.max_response = bytes;
        self
    }

    /// The tracker's URL.
    pub fn url(&self) -> &TrackerUrl {
        &self.url
    }

    /// `GET /healthz`.
    pub async fn health(&self) -> Result<Health, TrackerError> {
        self.json(Method::GET, "/healthz", None::<&()>, false).await
    }

    /// `POST /v1/peers`: registers this node (again: the same name keeps its
    /// id, and moves to the new address).
    pub async fn register(&self, me: &RegisterPeer) -> Result<Peer, TrackerError> {
        self.json(Method::POST, "/v1/peers", Some(me), true).await
    }

    /// `PUT /v1/peers/{id}/heartbeat`, reporting `status` when given. A 404
    /// means the tracker no longer knows the peer: register again.
    pub async fn heartbeat(
        &self,
        id: u64,
        status: Option<ReplicaStatus>,
    ) -> Result<(), TrackerError> {
        let path = format!("/v1/peers/{id}/heartbeat");
        self.empty(Method::PUT, &path, Some(&Heartbeat { status }))
            .await
    }

    /// `DELETE /v1/peers/{id}`.
    pub async fn deregister(&self, id: u64) -> Result<(), TrackerError> {
        self.empty(Method::DELETE, &format!("/v1/peers/{id}"), None::<&()>)
            .await
    }

    /// `GET /v1/peers`, filtered by role and status when the query says so.
    pub async fn peers(&self, q: &PeerQuery) -> Result<Vec<Peer>, TrackerError> {
        let path = format!(
            "/v1/peers{}",
            query(&[
                ("role", q.role.map(|r| r.as_str().to_owned())),
                ("status", q.status.map(|s| s.as_str().to_owned())),
            ])
        );
        let list: PeerList = self.json(Method::GET, &path, None::<&()>, false).await?;
        Ok(list.peers)
    }

    /// `GET /v1/peers/{id}`.
    pub async fn peer(&self, id: u64) -> Result<Peer, TrackerError> {
        self.json(Method::GET, &format!("/v1/peers/{id}"), None::<&()>, false)
            .await
    }

    /// `POST /v1/admin/payloads`.
    pub async fn write_payloads(&self, req: &WritePayloads) -> Result<PayloadIds, TrackerError> {
        self.json(Method::POST, "/v1/admin/payloads", Some(req), true)
            .await
    }

    /// `GET /v1/payloads/{id}`; `None` when no payload has this id.
    pub async fn payload(&self, id: &str) -> Result<Option<Payload>, TrackerError> {
        let path = format!("/v1/payloads/{}", encode(id));
        match self.json(Method::GET, &path, None::<&()>, false).await {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/payloads`: one page, in id order.
    pub async fn payloads(&self, q: &PayloadQuery) -> Result<PayloadPage, TrackerError> {
        let path = format!(
            "/v1/payloads{}",
            query(&[
                ("after", q.after.clone()),
                ("limit", q.limit.map(|l| l.to_string())),
            ])
        );
        self.json(Method::GET, &path, None::<&()>, false).await
    }

    /// `GET /v1/activity`: newest first, filtered.
    pub async fn activity(&self, q: &ActivityQuery) -> Result<ActivityPage, TrackerError> {
        let kind = match q.kind {
            // The kind's JSON name is its query-string name.
            Some(k) => Some(
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .ok_or_else(|| TrackerError::BadResponse("unnamed activity kind".into()))?,
            ),
            None => None,
        };
        let path = format!(
            "/v1/activity{}",
            query(&[
                ("peer", q.peer.clone()),
                ("kind", kind),
                ("since", q.since.map(|s| s.to_string())),
                ("limit", q.limit.map(|l| l.to_string())),
            ])
        );
        self.json(Method::GET, &path, None::<&()>, false).await
    }

    /// `PUT /v1/admin/replicas/{name}/status`: the tracker asks the replica.
    pub async fn set_status(
        &self,
        replica: &str,
        status: ReplicaStatus,
    ) -> Result<StatusChanged, TrackerError> {
        let path = format!("/v1/admin/replicas/{}/status", encode(replica));
        self.json(Method::PUT, &path, Some(&SetStatus { status }), true)
            .await
    }

    /// `GET path` on the same host, answered with JSON of type `T`: for the
    /// other JSON APIs of a cluster, such as a node's `/v1/metrics`.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, TrackerError> {
        self.json(Method::GET, path, None::<&()>, false).await
    }

    /// A call whose answer is JSON of type `T`.
    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
        write: bool,
    ) -> Result<T, TrackerError> {
        let (_, bytes) = self.call(method, path, body, write).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            TrackerError::BadResponse(format!(
                "{path}: not the JSON expected ({e}): {}",
                quote(&bytes)
            ))
        })
    }

    /// A write whose answer has no body (204).
    async fn empty(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<(), TrackerError> {
        self.call(method, path, body, true).await.map(drop)
    }

    /// One call, bounded by the timeout; an error status becomes
    /// [`TrackerError::Api`] with the tracker's reason.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
        write: bool,
    ) -> Result<(StatusCode, Bytes), TrackerError> {
        let token = if write {
            Some(self.token.as_deref().ok_or(TrackerError::NoToken)?)
        } else {
            None
        };
        let body = match body {
            Some(b) => Bytes::from(serde_json::to_vec(b).map_err(|e| {
                TrackerError::BadResponse(format!("could not encode the request: {e}"))
            })?),
            None => Bytes::new(),
        };
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.url.authority())
            .header(header::ACCEPT, "application/json");
        if !body.is_empty() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        if let Some(t) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| TrackerError::BadUrl(format!("cannot make a request for {path}: {e}")))?;
        let exchange = self.exchange(request);
        let (status, bytes) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| TrackerError::Timeout {
                url: self.url.to_string(),
                after: self.timeout,
            })??;
        if status.is_success() {
            return Ok((status, bytes));
        }
        let error = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(e) => e.error,
            Err(_) if bytes.is_empty() => status
                .canonical_reason()
                .unwrap_or("no reason given")
                .to_owned(),
            Err(_) => quote(&bytes),
        };
        Err(TrackerError::Api {
            status: status.as_u16(),
            error,
        })
    }

    /// Connects, sends `request` and reads the whole answer (bounded).
    async fn exchange(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), TrackerError> {
        let unreachable = |reason: String| TrackerError::Unreachable {
            url: self.url.to_string(),
            reason,
        };
        let stream = tokio::net::TcpStream::connect((self.url.host(), self.url.port()))
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let _ = stream.set_nodelay(true); // latency only; failure is harmless
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let _connection = AbortOnDrop(tokio::spawn(async move {
            let _ = connection.await; // its errors surface in send_request
        }));
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let status = response.status();
        let declared = response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let too_large = || {
            TrackerError::BadResponse(format!(
                "the answer is larger than the {} bytes accepted",
                self.max_response
            ))
        };
        if declared.is_some_and(|n| n > self.max_response as u64) {
            return Err(too_large());
        }
        let bytes = Limited::new(response.into_body(), self.max_response)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    too_large()
                } else {
                    unreachable(format!("reading the answer: {e}"))
                }
            })?
            .to_bytes();
        Ok((status, bytes))
    }
}

/// `bytes` as text for an error message, cut to a bounded length.
fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut cut: String = text.chars().take(MAX_QUOTED).collect();
    if text.chars().count() > MAX_QUOTED {
        cut.push_str("...");
    }
    format!("{cut:?}")
}

/// A query string (with its `?`) of the pairs that have a value.
fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_encoded() {
        assert_eq!(query(&[("a", None)]), "");
        assert_eq!(
            query(&[("peer", Some("r 1&x".into())), ("limit", Some("5".into()))]),
            "?peer=r%201%26x&limit=5"
        );
        assert_eq!(encode("a/b?"), "a%2Fb%3F");
    }

    #[test]
    fn quotes_are_bounded() {
        let long = vec![b'x'; 1000];
        assert!(quote(&long).len() < MAX_QUOTED + 10);
        assert_eq!(quote(b"hi"), "\"hi\"");
    }

    #[test]
    fn the_token_is_not_shown() {
        let c = TrackerClient::new(
            TrackerUrl::parse("127.0.0.1:1").unwrap(),
            Some("s3cret".into()),
        );
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
