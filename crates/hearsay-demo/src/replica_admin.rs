//! The tracker's [`ReplicaAdmin`] over QUIC: a status change asked at the
//! tracker's HTTP API becomes a `ReplicaRequest::SetStatus` sent, as node
//! `tracker`, to the replica's registered address; the answer is the status
//! the replica reports.

use std::time::Duration;

use hearsay_discovery::resolve;
use hearsay_tracker::{AdminError, AdminFuture, ReplicaAdmin};
use hearsay_transport::Connector;
use hearsay_wire::tracker::{Peer, ReplicaStatus};
use hearsay_wire::{ReplicaRequest, ReplicaResponse, decode, encode};

use crate::cluster::ClusterApp;

/// How long the tracker waits for a replica to answer a status change.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);

/// Reaches replicas with the tracker's certificate.
pub struct QuicReplicaAdmin {
    connector: Connector,
}

impl QuicReplicaAdmin {
    /// An admin client reaching replicas through `connector` (the
    /// tracker's QUIC client).
    pub fn new(connector: Connector) -> Self {
        Self { connector }
    }

    async fn ask(
        &self,
        replica: &Peer,
        status: ReplicaStatus,
    ) -> Result<ReplicaStatus, AdminError> {
        let addr = resolve(&replica.addr).await.ok_or_else(|| {
            AdminError::Unreachable(format!(
                "replica {} is registered at {:?}, which does not resolve",
                replica.name, replica.addr
            ))
        })?;
        let request = ReplicaRequest::<ClusterApp>::SetStatus(status.into());
        let bytes = encode(&request)
            .map_err(|e| AdminError::Refused(format!("could not encode the request: {e}")))?;
        let answer = self
            .connector
            .request(addr, &replica.name, &bytes, ANSWER_TIMEOUT)
            .await
            .map_err(|e| {
                AdminError::Unreachable(format!("replica {} at {addr}: {e}", replica.name))
            })?;
        match decode::<ReplicaResponse<ClusterApp>>(&answer) {
            Ok(ReplicaResponse::Status(report)) => Ok(report.status.into()),
            Ok(ReplicaResponse::Error { reason }) => Err(AdminError::Refused(format!(
                "replica {} refused: {reason}",
                replica.name
            ))),
            Ok(other) => Err(AdminError::Refused(format!(
                "replica {} answered unexpectedly: {other:?}",
                replica.name
            ))),
            Err(e) => Err(AdminError::Refused(format!(
                "replica {} sent an unreadable answer: {e}",
                replica.name
            ))),
        }
    }
}

impl ReplicaAdmin for QuicReplicaAdmin {
    fn set_status<'a>(&'a self, replica: &'a Peer, status: ReplicaStatus) -> AdminFuture<'a> {
        Box::pin(self.ask(replica, status))
    }
}
