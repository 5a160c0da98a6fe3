//! How a front end reaches replicas.

use std::future::Future;
use std::pin::Pin;

use hearsay_core::{App, ReplicaId};
use hearsay_wire::{ReplicaRequest, ReplicaResponse};

/// A boxed, sendable future (what trait methods return here).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Why a replica could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// No address is known for that replica.
    #[error("no replica named {0}")]
    UnknownReplica(ReplicaId),
    /// It could not be reached or did not answer in time.
    #[error("replica unreachable: {0}")]
    Unreachable(String),
}

/// Sends one request to one replica and waits for its answer.
pub trait ReplicaLink<A: App>: Send + Sync + 'static {
    /// Asks `to`; implementations bound the wait themselves.
    fn call(
        &self,
        to: &ReplicaId,
        request: ReplicaRequest<A>,
    ) -> BoxFuture<Result<ReplicaResponse<A>, LinkError>>;
}
