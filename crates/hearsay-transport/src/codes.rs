//! Application error codes on QUIC streams and connections.
//!
//! A server that refuses one request resets that stream with one of these, so
//! the requester can tell why without the connection closing.

use quinn::VarInt;

/// The handler gave no answer (for example, the request did not decode).
pub(crate) const NO_RESPONSE: VarInt = VarInt::from_u32(1);
/// The request was over the server's size cap.
pub(crate) const TOO_LARGE: VarInt = VarInt::from_u32(2);
/// The requester took too long to send its request.
pub(crate) const READ_TIMEOUT: VarInt = VarInt::from_u32(3);
/// The server is shutting down (stream reset, or connection close).
pub(crate) const SHUTDOWN: VarInt = VarInt::from_u32(4);
/// The peer's certificate names no node (connection close).
pub(crate) const NO_NAME: VarInt = VarInt::from_u32(5);
/// The peer's role may not do this: a connection close (the reason says
/// why), or a one-way stream stopped unread.
pub(crate) const FORBIDDEN: VarInt = VarInt::from_u32(6);
/// A client closing its connections because it is done (connection close).
pub(crate) const DONE: VarInt = VarInt::from_u32(0);
