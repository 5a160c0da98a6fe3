//! Every message that crosses a hearsay QUIC stream, and how it is encoded.
//!
//! # The format
//!
//! Each stream carries exactly one *frame*: one value of a [`Frame`] type,
//! encoded with [postcard](https://docs.rs/postcard) and nothing around it (the
//! stream's end delimits it). [`encode`] and [`decode`] are the only way in and
//! out; both enforce the frame kind's size cap ([`Frame::MAX_BYTES`], never more
//! than [`MAX_FRAME_BYTES`]), and `decode` never panics, whatever the bytes.
//!
//! | who talks | request | answer |
//! | --- | --- | --- |
//! | replica → replica | [`PeerFrame`] (one-way) | none |
//! | front end → replica | [`ReplicaRequest`] | [`ReplicaResponse`] |
//! | client → front end | [`FrontendRequest`] | [`FrontendResponse`] |
//!
//! # Compatibility rules
//!
//! postcard is not self-describing: an enum variant is encoded as its *index*
//! and a struct as its fields in order, with no names. So, within one
//! [`PROTOCOL_VERSION`]:
//!
//! - enum variants are only ever **appended**, never reordered, removed or
//!   changed;
//! - struct fields are never added, removed or reordered;
//! - the golden vectors in `tests/golden.rs` pin the bytes of every message, and
//!   a change that breaks one of them needs a new protocol version.
//!
//! The version travels in the TLS ALPN ([`ALPN`]), so two nodes that speak
//! different versions fail the handshake instead of misreading each other.
//! The core's types ([`hearsay_core::ClientRequest`], [`hearsay_core::PeerMessage`],
//! ...) are part of this format, and the same rules bind them.

mod codec;
mod error;
mod frontend;
pub mod node;
mod peer;
mod replica;
mod report;
pub mod tracker;

pub use codec::{
    Frame, MAX_FRAME_BYTES, MAX_REPLY_BYTES, MAX_REQUEST_BYTES, decode, encode, encode_into,
};
pub use error::WireError;
pub use frontend::{FrontendRequest, FrontendResponse, ReplicaEntry, SessionRequest};
pub use peer::PeerFrame;
pub use replica::{ReplicaRequest, ReplicaResponse};
pub use report::{ForcedReport, StatusReport};

/// The version of this format; bump it on any change the rules above forbid.
/// Version 3 (issue #13): update records carry `refused` (a forced update
/// the order refused); the forced-order variants are appended (peer `Vr`,
/// `Forward`, `ForwardReply`; client `ForcedQuery`; replies `Forced`,
/// `ForcedUnavailable`, `Reconfigured`); [`StatusReport`] ends with the
/// replica's part in the forced order ([`ForcedReport`]).
pub const PROTOCOL_VERSION: u32 = 3;

/// The TLS application protocol name: `hearsay/` and [`PROTOCOL_VERSION`].
pub const ALPN: &[u8] = b"hearsay/3";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_names_the_protocol_version() {
        assert_eq!(ALPN, format!("hearsay/{PROTOCOL_VERSION}").as_bytes());
    }
}
