//! Maelstrom error codes, numbered as Maelstrom's `doc/protocol.md` numbers them.

/// The `code` of a Maelstrom `error` body.
///
/// The numbers are Maelstrom's own (0 timeout, 10 not supported, 11 temporarily
/// unavailable, 12 malformed request, 20 key does not exist, 22 precondition
/// failed). Issue 7 listed them shifted by one; the node follows Maelstrom, whose
/// checkers read them. Every code but [`ErrorCode::Timeout`] is *definite*: the
/// operation did not happen. A timeout is *indefinite*: it may have happened, and
/// Maelstrom's checkers treat it as possibly taking effect at any later time.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum ErrorCode {
    /// 0: no answer within the node's budget, and the operation may still take
    /// effect (a forced write sent towards a primary that did not confirm it).
    Timeout,
    /// 11: the node cannot serve the request right now (not initialised, its
    /// replica has not caught up with the client's context, or a forced *read*
    /// found no quorum), and nothing happened.
    TemporarilyUnavailable,
    /// 12: the line is not a request this node understands: missing or
    /// ill-typed fields, or an unknown `type`.
    MalformedRequest,
    /// 20: lin-kv: the key was never written (a read, or a compare-and-set).
    KeyDoesNotExist,
    /// 22: lin-kv: a compare-and-set found a value other than its `from`.
    PreconditionFailed,
}

impl ErrorCode {
    /// The number that goes in the `code` field.
    pub fn code(self) -> u64 {
        match self {
            Self::Timeout => 0,
            Self::TemporarilyUnavailable => 11,
            Self::MalformedRequest => 12,
            Self::KeyDoesNotExist => 20,
            Self::PreconditionFailed => 22,
        }
    }

    /// Whether Maelstrom reads this code as "the operation did not happen".
    pub fn is_definite(self) -> bool {
        self != Self::Timeout
    }
}

/// Why a request could not be served: what goes into an `error` reply.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct RequestError {
    /// The error's code.
    pub(crate) code: ErrorCode,
    /// Human-readable detail for the `text` field.
    pub(crate) text: String,
}

impl RequestError {
    /// An error with `code` and `text`.
    pub(crate) fn new(code: ErrorCode, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
        }
    }

    /// A malformed-request error with `text`.
    pub(crate) fn malformed(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedRequest, text)
    }

    /// A temporarily-unavailable error with `text`.
    pub(crate) fn unavailable(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::TemporarilyUnavailable, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_timeout_is_indefinite() {
        assert_eq!(ErrorCode::Timeout.code(), 0);
        assert!(!ErrorCode::Timeout.is_definite());
        for c in [
            ErrorCode::TemporarilyUnavailable,
            ErrorCode::MalformedRequest,
            ErrorCode::KeyDoesNotExist,
            ErrorCode::PreconditionFailed,
        ] {
            assert!(c.is_definite(), "{c:?}");
        }
    }
}
