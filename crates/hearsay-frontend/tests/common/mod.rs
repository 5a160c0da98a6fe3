//! What the front end's integration tests share: an in-process link to real
//! replica actors.

use std::collections::BTreeMap;

use hearsay_core::ReplicaId;
use hearsay_core::testing::KvApp;
use hearsay_frontend::{BoxFuture, LinkError, ReplicaLink};
use hearsay_replica::ReplicaHandle;
use hearsay_wire::{ReplicaRequest, ReplicaResponse};

/// A replica id from a constant name.
pub(crate) fn r(n: &str) -> ReplicaId {
    ReplicaId::new(n).unwrap()
}

/// Reaches replica actors in this process, by name, without a network.
pub(crate) struct LocalLink(pub(crate) BTreeMap<ReplicaId, ReplicaHandle<KvApp>>);

impl ReplicaLink<KvApp> for LocalLink {
    fn call(
        &self,
        to: &ReplicaId,
        request: ReplicaRequest<KvApp>,
    ) -> BoxFuture<Result<ReplicaResponse<KvApp>, LinkError>> {
        let handle = self.0.get(to).cloned();
        let to = to.clone();
        Box::pin(async move {
            match handle {
                Some(h) => Ok(hearsay_replica::serve(&h, request).await),
                None => Err(LinkError::UnknownReplica(to)),
            }
        })
    }
}
