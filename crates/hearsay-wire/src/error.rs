//! What can go wrong turning bytes into frames and back.

/// Why a frame could not be encoded or decoded.
///
/// None of these is retryable as such: the same bytes give the same error. A
/// receiver answers the sender with an error or closes the stream, and goes on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The frame is larger than its kind allows (`len` bytes, at most `max`).
    #[error("{kind} frame of {len} bytes is over the {max}-byte limit")]
    TooLarge {
        /// The frame kind ([`crate::Frame::KIND`]).
        kind: &'static str,
        /// Its size in bytes.
        len: usize,
        /// The cap for this kind.
        max: usize,
    },
    /// The bytes end before the frame does.
    #[error("{kind} frame is truncated")]
    Truncated {
        /// The frame kind.
        kind: &'static str,
    },
    /// The bytes do not decode as this kind of frame.
    #[error("malformed {kind} frame: {reason}")]
    Malformed {
        /// The frame kind.
        kind: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// A whole frame was decoded but bytes were left over after it.
    #[error("{kind} frame has {extra} unexpected bytes after its end")]
    TrailingBytes {
        /// The frame kind.
        kind: &'static str,
        /// How many bytes were left.
        extra: usize,
    },
    /// The value cannot be encoded (an app type the encoder does not support).
    #[error("cannot encode {kind} frame: {reason}")]
    Unencodable {
        /// The frame kind.
        kind: &'static str,
        /// What the encoder said.
        reason: String,
    },
    /// The frame is of another kind (its first byte is another kind's tag):
    /// sent to the wrong kind of node.
    #[error("expected a {kind} frame, got a frame of another kind (tag {tag})")]
    WrongKind {
        /// The frame kind expected.
        kind: &'static str,
        /// The tag found.
        tag: u8,
    },
}
