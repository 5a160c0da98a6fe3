//! [`TrackerError`]: every way a call to the tracker can fail.

use std::time::Duration;

/// Why a call to the tracker failed.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum TrackerError {
    /// The tracker URL cannot be used (says what was wrong with it).
    #[error("bad tracker URL: {0}")]
    BadUrl(String),
    /// The call writes (it needs the admin token) and the client has none.
    #[error("this tracker call needs the admin token (certs/admin.token) and none was given")]
    NoToken,
    /// The tracker could not be reached: nothing listens, the connection was
    /// reset, or the host name does not resolve. Retryable.
    #[error("tracker at {url} unreachable: {reason}")]
    Unreachable {
        /// The tracker, as `http://HOST:PORT`.
        url: String,
        /// What went wrong, from the operating system or the HTTP layer.
        reason: String,
    },
    /// No complete answer within the client's time limit. Retryable.
    #[error("tracker at {url} did not answer within {after:?}")]
    Timeout {
        /// The tracker, as `http://HOST:PORT`.
        url: String,
        /// The limit that passed.
        after: Duration,
    },
    /// The tracker answered with an error status; `error` is the reason it
    /// gave in its `{"error": ...}` body.
    #[error("tracker answered {status}: {error}")]
    Api {
        /// The HTTP status, such as 404 or 409.
        status: u16,
        /// The tracker's reason.
        error: String,
    },
    /// The answer could not be used: larger than the client accepts, or not
    /// the JSON this call expects.
    #[error("unusable answer from the tracker: {0}")]
    BadResponse(String),
}

impl TrackerError {
    /// The HTTP status, when the tracker answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the tracker said "no such peer or payload" (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether trying again later may succeed: the tracker was unreachable,
    /// slow, or failed on its side (5xx). Bad input and refusals are not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::Timeout { .. } => true,
            Self::Api { status, .. } => *status >= 500,
            Self::BadUrl(_) | Self::NoToken | Self::BadResponse(_) => false,
        }
    }
}
