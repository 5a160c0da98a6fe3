//! [`TrackerError`]: every way a call to the tracker can fail.

use std::time::Duration;

/// Why a call to the tracker failed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum TrackerError {
    /// The tracker URL cannot be used (says what was wrong with it).
    BadUrl(String),
    /// The call writes (it needs the admin token) and the client has none.
    NoToken,
    /// The tracker could not be reached: nothing listens, the connection was
    /// reset, or the host name does not resolve. Retryable.
    Unreachable {
        /// The tracker, as `http://HOST:PORT`.
        url: String,
        /// What went wrong, from the operating system or the HTTP layer.
        reason: String,
    },
    /// No complete answer within the client's time limit. Retryable.
    Timeout {
        /// The tracker, as `http://HOST:PORT`.
        url: String,
        /// The limit that passed.
        after: Duration,
    },
    /// The tracker answered with an error status; `error` is the reason it
    /// gave in its `{"error": ...}` body.
    Api {
        /// The HTTP status, such as 404 or 409.
        status: u16,
        /// The tracker's reason.
        error: String,
    },
    /// The answer could not be used: larger than the client accepts, or not
    /// the JSON this call expects.
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

impl std::fmt::Display for TrackerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadUrl(why) => write!(f, "bad tracker URL: {why}"),
            Self::NoToken => f.write_str(
                "this tracker call needs the admin token (certs/admin.token) and none was given",
            ),
            Self::Unreachable { url, reason } => {
                write!(f, "tracker at {url} unreachable: {reason}")
            }
            Self::Timeout { url, after } => {
                write!(f, "tracker at {url} did not answer within {after:?}")
            }
            Self::Api { status, error } => write!(f, "tracker answered {status}: {error}"),
            Self::BadResponse(why) => write!(f, "unusable answer from the tracker: {why}"),
        }
    }
}

impl std::error::Error for TrackerError {}
