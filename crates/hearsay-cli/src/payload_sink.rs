//! The tracker's [`PayloadSink`] over QUIC: payloads written at the tracker
//! become `Put` updates sent through a registered front end, as node
//! `tracker`, so every replica ends up with them by gossip.

use std::net::SocketAddr;
use std::sync::Mutex;

use hearsay_apps::cluster::{ClusterApp, ClusterUpdate};
use hearsay_apps::payloads::PayloadUpdate;
use hearsay_core::{ClientId, ClientReply, Session};
use hearsay_tracker::{PayloadSink, SinkFuture};
use hearsay_transport::Connector;
use hearsay_wire::tracker::Peer;
use hearsay_wire::{FrontendRequest, FrontendResponse, SessionRequest};

/// Writes payloads through front ends with the tracker's certificate.
pub(crate) struct QuicPayloadSink {
    connector: Connector,
    /// One causal session for every write, so the tracker's writes are
    /// ordered among themselves like any client's.
    session: Mutex<Session>,
}

impl QuicPayloadSink {
    /// A sink writing through `connector` (the tracker's QUIC client).
    pub(crate) fn new(connector: Connector) -> Self {
        Self {
            connector,
            session: Mutex::new(Session::new(ClientId(rand::Rng::random(
                &mut <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng(),
            )))),
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
        let (client_id, request) = {
            let mut s = self.session.lock().unwrap_or_else(|e| e.into_inner());
            let op = ClusterUpdate::Payload(PayloadUpdate::Put {
                payload: payload.to_owned(),
            });
            (s.client(), s.update::<ClusterApp>(op))
        };
        let answer = client
            .call(&FrontendRequest::<ClusterApp>::Session(SessionRequest {
                client: client_id,
                request,
                prefer: None,
            }))
            .await?;
        match answer {
            FrontendResponse::Reply(reply @ ClientReply::Accepted { .. }) => {
                self.session
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .observe(&reply);
                Ok(())
            }
            FrontendResponse::Reply(ClientReply::Rejected { reason }) => {
                Err(format!("the cluster refused a payload: {reason}"))
            }
            FrontendResponse::Busy { message } => Err(message),
            FrontendResponse::Error { reason } => Err(reason),
            other => Err(format!("unexpected answer {other:?}")),
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
