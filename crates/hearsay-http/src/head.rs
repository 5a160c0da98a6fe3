//! [`HeadReader`]: reads a request head off the socket and checks it before
//! hyper sees it, so every malformed request gets a JSON answer (hyper's own
//! rejections have an empty body) and request smuggling patterns are refused.

use axum::http::{StatusCode, Uri};
use tokio::net::TcpStream;

use crate::config::ServeConfig;

/// Why a request head was refused: its status and a reason for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    /// 400, 414 or 431.
    pub(crate) status: StatusCode,
    /// What was wrong.
    pub(crate) message: String,
}

impl Rejection {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

/// Where reading a head stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// The head is incomplete: wait for more bytes.
    NeedMore,
    /// The head is complete and acceptable.
    Done,
    /// The head is unacceptable: answer this and close.
    Reject(Rejection),
    /// The client closed (or the socket failed) before the head was complete.
    Closed,
}

/// The bytes of one connection read so far (the head, perhaps the start of
/// the body), kept across cancellation so a wait can be interrupted and
/// resumed.
#[derive(Debug, Default)]
pub(crate) struct HeadReader {
    /// Everything read; handed to hyper in front of the socket.
    buf: Vec<u8>,
}

impl HeadReader {
    /// Waits until the head is complete, refused or the client gone.
    /// Cancel-safe: bytes read before a cancellation are kept.
    pub(crate) async fn read(&mut self, stream: &TcpStream, config: &ServeConfig) -> Step {
        loop {
            match check(&self.buf, config) {
                Step::NeedMore => {}
                other => return other,
            }
            if stream.readable().await.is_err() || !self.fill_now(stream, config) {
                return Step::Closed;
            }
        }
    }

    /// Takes what the socket holds now without waiting, and says where the
    /// head stands (used when the connection is about to be shed: a client
    /// whose whole head is already here is served, not dropped).
    pub(crate) fn read_buffered(&mut self, stream: &TcpStream, config: &ServeConfig) -> Step {
        if !self.fill_now(stream, config) {
            return match check(&self.buf, config) {
                Step::NeedMore => Step::Closed,
                other => other,
            };
        }
        check(&self.buf, config)
    }

    /// Everything read so far.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Reads what is ready, up to one byte past the head limit; false when
    /// the peer closed or the socket failed.
    fn fill_now(&mut self, stream: &TcpStream, config: &ServeConfig) -> bool {
        let mut chunk = [0u8; 4096];
        while self.buf.len() <= config.max_head_bytes {
            match stream.try_read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        true
    }
}

/// Where the head in `buf` stands.
pub(crate) fn check(buf: &[u8], config: &ServeConfig) -> Step {
    let line_end = buf.iter().position(|&b| b == b'\n');
    if line_end.map_or(buf.len(), |e| e) > config.max_request_line_bytes {
        return Step::Reject(Rejection::new(
            StatusCode::URI_TOO_LONG,
            format!(
                "the request line is longer than {} bytes",
                config.max_request_line_bytes
            ),
        ));
    }
    let mut headers = vec![httparse::EMPTY_HEADER; config.max_headers];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len > config.max_head_bytes => {
            Step::Reject(too_large(config))
        }
        Ok(httparse::Status::Complete(_)) => match validate(&request) {
            Ok(()) => Step::Done,
            Err(r) => Step::Reject(r),
        },
        Ok(httparse::Status::Partial) if buf.len() > config.max_head_bytes => {
            Step::Reject(too_large(config))
        }
        Ok(httparse::Status::Partial) => Step::NeedMore,
        Err(httparse::Error::TooManyHeaders) => Step::Reject(Rejection::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("more than {} header fields", config.max_headers),
        )),
        Err(e) => Step::Reject(Rejection::bad(format!("malformed request head: {e}"))),
    }
}

fn too_large(config: &ServeConfig) -> Rejection {
    Rejection::new(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        format!(
            "the request head is larger than {} bytes",
            config.max_head_bytes
        ),
    )
}

/// Checks what httparse accepts but hyper or an intermediary might read
/// differently: the target, and the body's framing.
fn validate(request: &httparse::Request<'_, '_>) -> Result<(), Rejection> {
    // A complete parse always has a path and a version (httparse's contract).
    let path = request.path.unwrap_or_default();
    if let Err(e) = path.parse::<Uri>() {
        return Err(Rejection::bad(format!("bad request target: {e}")));
    }
    let http10 = request.version == Some(0);
    let named = |name: &'static str| {
        request
            .headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
    };
    let lengths: Vec<&[u8]> = named("content-length").map(|h| h.value).collect();
    let codings: Vec<&[u8]> = named("transfer-encoding").map(|h| h.value).collect();
    if named("host").count() > 1 {
        return Err(Rejection::bad("more than one Host header"));
    }
    if !lengths.is_empty() && !codings.is_empty() {
        return Err(Rejection::bad(
            "both Content-Length and Transfer-Encoding: the body's length is ambiguous",
        ));
    }
    if lengths.len() > 1 {
        return Err(Rejection::bad("more than one Content-Length header"));
    }
    if let Some(v) = lengths.first() {
        let v = v.trim_ascii();
        let digits = !v.is_empty() && v.len() <= 18 && v.iter().all(u8::is_ascii_digit);
        if !digits {
            return Err(Rejection::bad(format!(
                "bad Content-Length: {:?}",
                String::from_utf8_lossy(v)
            )));
        }
    }
    if !codings.is_empty() {
        if http10 {
            return Err(Rejection::bad("Transfer-Encoding in an HTTP/1.0 request"));
        }
        let chunked =
            codings.len() == 1 && codings[0].trim_ascii().eq_ignore_ascii_case(b"chunked");
        if !chunked {
            return Err(Rejection::bad(
                "only `Transfer-Encoding: chunked` is accepted, once",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "head_test.rs"]
mod tests;
