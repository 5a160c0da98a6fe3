//! What can go wrong on the network, retryable apart from fatal.

use std::net::SocketAddr;

use quinn::{ConnectionError, ReadError, ReadToEndError, VarInt, WriteError};

use crate::codes;

/// Why a request, a one-way message or an endpoint failed.
///
/// [`TransportError::is_retryable`] says which failures may go away on their
/// own (the peer is down, slow or restarting): a front end tries another
/// replica or tries again later. The others will fail the same way again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The local UDP socket could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        reason: String,
    },
    /// The local TLS or QUIC setup is unusable (bad key, bad server name, ...).
    #[error("bad TLS or QUIC setup: {0}")]
    Config(String),
    /// No connection could be made (nobody answering, handshake failed).
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        /// The peer.
        addr: SocketAddr,
        /// What went wrong.
        reason: String,
    },
    /// The TLS handshake was refused: a certificate is missing, not signed by
    /// the cluster CA, or does not name the expected node; or the protocol
    /// version (ALPN) differs.
    #[error(
        "{addr}: TLS refused ({reason}); are both nodes' certificates from the same cluster CA?"
    )]
    TlsRefused {
        /// The peer.
        addr: SocketAddr,
        /// The TLS alert or error.
        reason: String,
    },
    /// Connecting, or waiting for the answer, took longer than allowed.
    #[error("{addr}: timed out {during}")]
    TimedOut {
        /// The peer.
        addr: SocketAddr,
        /// Which step timed out.
        during: &'static str,
    },
    /// The connection closed or was lost while the request was under way.
    #[error("{addr}: connection lost: {reason}")]
    ConnectionLost {
        /// The peer.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The peer is shutting down.
    #[error("{addr} is shutting down")]
    ShuttingDown {
        /// The peer.
        addr: SocketAddr,
    },
    /// The peer refused the request for being over its size cap.
    #[error("{addr} refused a request over its size limit")]
    RequestTooLarge {
        /// The peer.
        addr: SocketAddr,
    },
    /// The answer was over our size cap.
    #[error("{addr} answered with more than {max} bytes")]
    ResponseTooLarge {
        /// The peer.
        addr: SocketAddr,
        /// The cap, in bytes.
        max: usize,
    },
    /// The peer read the request and gave no answer (it could not handle it,
    /// for example it did not decode).
    #[error("{addr} could not handle the request")]
    NoResponse {
        /// The peer.
        addr: SocketAddr,
    },
    /// The peer reset the stream with a code this version does not know.
    #[error("{addr} reset the stream (code {code})")]
    Reset {
        /// The peer.
        addr: SocketAddr,
        /// The QUIC application error code.
        code: u64,
    },
    /// The peer does not let our role (from our certificate) do this.
    #[error("{addr} refused us: {reason}")]
    Forbidden {
        /// The peer.
        addr: SocketAddr,
        /// Why, as the peer said.
        reason: String,
    },
    /// The local endpoint is closed.
    #[error("the local QUIC endpoint is closed")]
    EndpointClosed,
}

impl TransportError {
    /// Whether the same call may succeed later or elsewhere: the peer was
    /// unreachable, slow, lost or shutting down. Fatal errors (refused
    /// certificates, oversized messages, bad configuration) will recur.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. }
                | Self::TimedOut { .. }
                | Self::ConnectionLost { .. }
                | Self::ShuttingDown { .. }
        )
    }

    /// Maps a connection-level failure; `connecting` says whether the
    /// handshake was still under way.
    pub(crate) fn from_connection(addr: SocketAddr, e: &ConnectionError, connecting: bool) -> Self {
        let reason = e.to_string();
        match e {
            ConnectionError::ConnectionClosed(c) if is_tls_alert(u64::from(c.error_code)) => {
                Self::TlsRefused { addr, reason }
            }
            ConnectionError::TransportError(t) if is_tls_alert(u64::from(t.code)) => {
                Self::TlsRefused { addr, reason }
            }
            ConnectionError::ApplicationClosed(c) if c.error_code == codes::SHUTDOWN => {
                Self::ShuttingDown { addr }
            }
            ConnectionError::ApplicationClosed(c) if c.error_code == codes::FORBIDDEN => {
                Self::Forbidden {
                    addr,
                    reason: String::from_utf8_lossy(&c.reason).into_owned(),
                }
            }
            ConnectionError::ApplicationClosed(c) if c.error_code == codes::NO_NAME => {
                Self::TlsRefused { addr, reason }
            }
            _ if connecting => Self::Connect { addr, reason },
            _ => Self::ConnectionLost { addr, reason },
        }
    }

    /// Maps a stream reset or stop code sent by the peer.
    pub(crate) fn from_code(addr: SocketAddr, code: VarInt) -> Self {
        match code {
            codes::TOO_LARGE => Self::RequestTooLarge { addr },
            codes::NO_RESPONSE => Self::NoResponse { addr },
            codes::READ_TIMEOUT => Self::TimedOut {
                addr,
                during: "sending the request (the peer gave up waiting for it)",
            },
            codes::SHUTDOWN => Self::ShuttingDown { addr },
            codes::FORBIDDEN => Self::Forbidden {
                addr,
                reason: "our certificate's role may not send this".to_owned(),
            },
            other => Self::Reset {
                addr,
                code: other.into_inner(),
            },
        }
    }

    pub(crate) fn from_write(addr: SocketAddr, e: &WriteError) -> Self {
        match e {
            WriteError::Stopped(code) => Self::from_code(addr, *code),
            WriteError::ConnectionLost(c) => Self::from_connection(addr, c, false),
            other => Self::ConnectionLost {
                addr,
                reason: other.to_string(),
            },
        }
    }

    pub(crate) fn from_read(addr: SocketAddr, e: &ReadToEndError, max: usize) -> Self {
        match e {
            ReadToEndError::TooLong => Self::ResponseTooLarge { addr, max },
            ReadToEndError::Read(ReadError::Reset(code)) => Self::from_code(addr, *code),
            ReadToEndError::Read(ReadError::ConnectionLost(c)) => {
                Self::from_connection(addr, c, false)
            }
            ReadToEndError::Read(other) => Self::ConnectionLost {
                addr,
                reason: other.to_string(),
            },
        }
    }
}

/// QUIC carries TLS alerts as transport error codes 0x100 to 0x1ff.
fn is_tls_alert(code: u64) -> bool {
    (0x100..0x200).contains(&code)
}
