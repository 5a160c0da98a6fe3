//! What can go wrong for a client: on the way ([`ClientError`]) and in a
//! session's answer ([`SessionError`]).

use std::fmt;
use std::net::SocketAddr;

use hearsay_transport::TransportError;

/// Why [`crate::Client::call`] got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The client's own QUIC endpoint could not be set up.
    Bind(TransportError),
    /// The client could not be opened on its transport (its certificate,
    /// or its address).
    Open(String),
    /// The request could not be encoded (too large for a frame).
    Encode(String),
    /// The front end could not be reached, or did not answer in time.
    Unreachable {
        /// The front end's address.
        frontend: SocketAddr,
        /// What the transport said.
        source: TransportError,
    },
    /// The front end's answer could not be decoded.
    BadAnswer(String),
}

impl ClientError {
    /// Whether the same call may succeed later: the front end was down,
    /// slow or restarting.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unreachable { source, .. } if source.is_retryable())
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind(e) => write!(f, "starting the client's QUIC endpoint: {e}"),
            Self::Open(e) => write!(f, "opening the client on its transport: {e}"),
            Self::Encode(e) => write!(f, "the request could not be encoded: {e}"),
            Self::Unreachable { frontend, source } => {
                write!(f, "cannot reach the front end at {frontend}: {source}")
            }
            Self::BadAnswer(e) => write!(f, "the front end sent a bad answer: {e}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unreachable { source, .. } | Self::Bind(source) => Some(source),
            _ => None,
        }
    }
}

/// Why a [`crate::SessionClient`] operation did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// No replica could serve the request in time; `message` is the front
    /// end's line ([`hearsay_core::BUSY_MESSAGE`]). Retryable later.
    Busy(String),
    /// The request itself is wrong (the app's `validate` refused it, say);
    /// retrying will not help.
    Rejected(String),
    /// The front end refused the request (malformed, unknown replica).
    Refused(String),
    /// The front end was not reached, even after the retries.
    Client(ClientError),
    /// A forced update was ordered and the app's decision refused it
    /// ([`hearsay_core::App::decide_forced`]): it changed nothing anywhere,
    /// and the session's context covers it. Retrying the same operation
    /// gets the same answer unless the state changes.
    Denied(String),
    /// The forced order could not serve a forced update or forced query in
    /// time; the reason is "unavailable: no quorum" when the voters
    /// reachable are not a majority. Causal operations still work.
    /// Retryable later (a forced update answered so may still commit).
    Unavailable(String),
    /// The front end answered something a session request never gets.
    Unexpected(String),
}

impl SessionError {
    /// Whether trying the same operation later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Busy(_) | Self::Unavailable(_) => true,
            Self::Client(e) => e.is_retryable(),
            Self::Rejected(_) | Self::Refused(_) | Self::Denied(_) | Self::Unexpected(_) => false,
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Busy(message) => f.write_str(message),
            Self::Rejected(reason) | Self::Refused(reason) | Self::Unavailable(reason) => {
                f.write_str(reason)
            }
            Self::Denied(reason) => write!(f, "refused: {reason}"),
            Self::Client(e) => e.fmt(f),
            Self::Unexpected(what) => write!(f, "unexpected answer from the front end: {what}"),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Client(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ClientError> for SessionError {
    fn from(e: ClientError) -> Self {
        Self::Client(e)
    }
}
