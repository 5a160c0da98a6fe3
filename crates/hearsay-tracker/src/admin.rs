//! [`ReplicaAdmin`]: how the tracker asks a replica to change its status.
//!
//! The tracker speaks HTTP only; reaching a replica takes its QUIC client, so
//! the binary plugs an implementation in (`hearsay-demo`'s `replica_admin.rs`).
//! A tracker configured without one has [`Unconnected`], which answers every
//! call with a clear 503.

use std::future::Future;
use std::pin::Pin;

use hearsay_wire::tracker::{Peer, ReplicaStatus};

/// A boxed future, so that [`ReplicaAdmin`] can be a trait object.
pub type AdminFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ReplicaStatus, AdminError>> + Send + 'a>>;

/// Why a status change did not happen.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum AdminError {
    /// The replica is not known to the implementation (502).
    #[error("{0}")]
    UnknownReplica(String),
    /// The replica could not be reached, or did not answer in time (502).
    #[error("{0}")]
    Unreachable(String),
    /// The replica answered with a refusal (502).
    #[error("{0}")]
    Refused(String),
    /// The tracker has no way to reach replicas (503).
    #[error("{0}")]
    Unavailable(String),
}

/// Asks replicas to change their status.
pub trait ReplicaAdmin: Send + Sync + 'static {
    /// Asks `replica` (a registered peer of role replica) to take `status`;
    /// returns the status it reports afterwards.
    fn set_status<'a>(&'a self, replica: &'a Peer, status: ReplicaStatus) -> AdminFuture<'a>;
}

/// The [`ReplicaAdmin`] of a tracker that cannot reach replicas: every call
/// fails with [`AdminError::Unavailable`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Unconnected;

impl ReplicaAdmin for Unconnected {
    fn set_status<'a>(&'a self, replica: &'a Peer, _status: ReplicaStatus) -> AdminFuture<'a> {
        let message = format!(
            "the tracker cannot reach replica {} yet: it has no replica client; change the status with `hearsay client --exec \"change {} <status>\"`",
            replica.name, replica.name
        );
        Box::pin(async move { Err(AdminError::Unavailable(message)) })
    }
}
