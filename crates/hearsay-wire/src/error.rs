//! What can go wrong turning bytes into frames and back.

use std::fmt;

/// Why a frame could not be encoded or decoded.
///
/// None of these is retryable as such: the same bytes give the same error. A
/// receiver answers the sender with an error or closes the stream, and goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The frame is larger than its kind allows (`len` bytes, at most `max`).
    TooLarge {
        /// The frame kind ([`crate::Frame::KIND`]).
        kind: &'static str,
        /// Its size in bytes.
        len: usize,
        /// The cap for this kind.
        max: usize,
    },
    /// The bytes end before the frame does.
    Truncated {
        /// The frame kind.
        kind: &'static str,
    },
    /// The bytes do not decode as this kind of frame.
    Malformed {
        /// The frame kind.
        kind: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// A whole frame was decoded but bytes were left over after it.
    TrailingBytes {
        /// The frame kind.
        kind: &'static str,
        /// How many bytes were left.
        extra: usize,
    },
    /// The value cannot be encoded (an app type the encoder does not support).
    Unencodable {
        /// The frame kind.
        kind: &'static str,
        /// What the encoder said.
        reason: String,
    },
    /// The frame is of another kind (its first byte is another kind's tag):
    /// sent to the wrong kind of node.
    WrongKind {
        /// The frame kind expected.
        kind: &'static str,
        /// The tag found.
        tag: u8,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { kind, len, max } => {
                write!(
                    f,
                    "{kind} frame of {len} bytes is over the {max}-byte limit"
                )
            }
            Self::Truncated { kind } => write!(f, "{kind} frame is truncated"),
            Self::Malformed { kind, reason } => write!(f, "malformed {kind} frame: {reason}"),
            Self::TrailingBytes { kind, extra } => {
                write!(f, "{kind} frame has {extra} unexpected bytes after its end")
            }
            Self::Unencodable { kind, reason } => write!(f, "cannot encode {kind} frame: {reason}"),
            Self::WrongKind { kind, tag } => {
                write!(
                    f,
                    "expected a {kind} frame, got a frame of another kind (tag {tag})"
                )
            }
        }
    }
}

impl std::error::Error for WireError {}
