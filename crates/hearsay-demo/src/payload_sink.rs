//! The tracker's [`PayloadSink`] over QUIC: payloads written at the tracker
//! become `Put` updates sent through a registered front end, as node
//! `tracker`, so every replica ends up with them by gossip.

use std::net::SocketAddr;

use crate::cluster::{ClusterApp, ClusterUpdate};
use hearsay_apps::payloads::PayloadUpdate;
use hearsay_client::{SessionClient, SessionError};
use hearsay_core::{ClientId, Session};
use hearsay_tracker::{PayloadSink, SinkFuture};
use hearsay_transport::Connector;
use hearsay_wire::tracker::Peer;

/// Writes payloads through front ends with the tracker's certificate.
pub struct QuicPayloadSink {
    connector: Connector,
    /// One causal session for every write, so the tracker's writes are
    /// ordered among themselves like any client's; `None` until the first
    /// write names a front end to reach.
    session: tokio::sync::Mutex<Option<SessionClient<ClusterApp>>>,
    /// The session's id, drawn once.
    id: ClientId,
}

impl QuicPayloadSink {
    /// A sink writing through `connector` (the tracker's QUIC client).
    pub fn new(connector: Connector) -> Self {
        Self {
            connector,
            session: tokio::sync::Mutex::new(None),
            id: ClientId(rand::Rng::random(
                &mut <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng(),
            )),
        }
    }

    async fn write_one(&self, frontend: &Peer, payload: &str) -> Result<(), String> {
        let addr: SocketAddr = frontend.addr.parse().map_err(|_| {
            format!(
                "front end {} has a bad address {:?}",
                frontend.name, frontend.addr
            )
        })?;
        let client =
            hearsay_client::Client::new(self.connector.clone(), addr, frontend.name.clone());
        let mut guard = self.session.lock().await;
        let session = guard.get_or_insert_with(|| {
            SessionClient::resume(client.clone(), Session::new(self.id)).retries(0)
        });
        session.reconnect(client);
        let op = ClusterUpdate::Payload(PayloadUpdate::Put {
            payload: payload.to_owned(),
        });
        match session.update(op).await {
            Ok(_) => Ok(()),
            Err(SessionError::Rejected(reason)) => {
                Err(format!("the cluster refused a payload: {reason}"))
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

impl PayloadSink for QuicPayloadSink {
    fn write<'a>(&'a self, frontend: &'a Peer, payloads: &'a [String]) -> SinkFuture<'a> {
        Box::pin(async move {
            for p in payloads {
                self.write_one(frontend, p).await?;
            }
            Ok(())
        })
    }
}
