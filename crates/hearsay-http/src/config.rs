//! [`ServeConfig`]: the limits and timeouts of one HTTP listener.

use std::time::Duration;

/// Limits of one listener. The defaults suit the tracker and the nodes'
/// metrics alike: every legitimate client (a node's heartbeat, `curl`, a
/// scraper) sends its whole request head at once and gets a small answer.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Open connections at most (see the crate doc for shedding). Keeps a
    /// flood from taking every descriptor of the process, which also hosts
    /// QUIC endpoints, databases and the heartbeats' own connections.
    pub max_connections: usize,
    /// From accept to the end of the request head. A client that has not
    /// sent its head by then is closed (a slowloris holds no slot longer).
    pub header_timeout: Duration,
    /// For the handler, reading the body included; past it the answer is
    /// 503 with a JSON reason.
    pub request_timeout: Duration,
    /// After the handler answered, for the response to be written and the
    /// connection closed (one request per connection, so a connection never
    /// idles between requests; a client that stops reading is dropped).
    pub idle_timeout: Duration,
    /// The longest request head (request line and headers), in bytes; past
    /// it 431.
    pub max_head_bytes: usize,
    /// The longest request line, in bytes; past it 414.
    pub max_request_line_bytes: usize,
    /// The most header fields in a request; past it 431.
    pub max_headers: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            max_connections: 256,
            header_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            max_head_bytes: 16 * 1024,
            max_request_line_bytes: 8 * 1024,
            max_headers: 64,
        }
    }
}
