//! The client of a hearsay front end over QUIC.
//!
//! [`SessionClient`] is what an application uses: a typed session of one
//! [`hearsay_core::App`] through one front end. It keeps the session's causal
//! context (`prev`), merges every reply's timestamp into it, retries an
//! update under the same update id when the front end cannot be reached
//! (so it is applied once), and says "busy" as [`SessionError::Busy`].
//!
//! [`Client`] underneath sends raw [`hearsay_wire::FrontendRequest`]s
//! (sessions, and the admin requests `ListReplicas` and `ChangeStatus`) to one
//! front end and returns its answers. A session that moves to another front
//! end ([`SessionClient::reconnect`]) keeps its context, so read-your-writes
//! and the other session guarantees hold across front ends.

mod client;
mod error;
mod session;

pub use client::Client;
pub use error::{ClientError, SessionError};
pub use session::SessionClient;
