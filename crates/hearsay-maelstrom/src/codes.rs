//! Maelstrom error codes, numbered as Maelstrom's `doc/protocol.md` numbers them.

/// The `code` of a Maelstrom `error` body.
///
/// The numbers are Maelstrom's own (10 not supported, 11 temporarily
/// unavailable, 12 malformed request). Issue 7 listed them shifted by one;
/// the node follows Maelstrom, whose checkers read them. Both codes this node
/// sends are *definite*: the operation did not happen.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum ErrorCode {
    /// 11: the node cannot serve the request right now (not initialised, or
    /// its replica has not caught up with the client's context).
    TemporarilyUnavailable,
    /// 12: the line is not a request this node understands: missing or
    /// ill-typed fields, or an unknown `type`.
    MalformedRequest,
}

impl ErrorCode {
    /// The number that goes in the `code` field.
    pub fn code(self) -> u64 {
        match self {
            Self::TemporarilyUnavailable => 11,
            Self::MalformedRequest => 12,
        }
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
    /// A malformed-request error with `text`.
    pub(crate) fn malformed(text: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::MalformedRequest,
            text: text.into(),
        }
    }

    /// A temporarily-unavailable error with `text`.
    pub(crate) fn unavailable(text: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::TemporarilyUnavailable,
            text: text.into(),
        }
    }
}
