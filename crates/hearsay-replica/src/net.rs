//! The replica on the network: QUIC in, gossip out.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hearsay_activity::Activity;
use hearsay_core::{App, PeerMessage, ReplicaId};
use hearsay_transport::{Connector, RequestContext, ServeConfig};
use hearsay_wire::{PeerFrame, ReplicaRequest, ReplicaResponse, decode, encode};
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::actor::Outbound;
use crate::handle::ReplicaHandle;
use crate::isolation::Isolation;

/// Where each peer listens; shared with whatever keeps it current (flags, the
/// tracker's peer list).
pub type AddressBook = Arc<RwLock<BTreeMap<ReplicaId, SocketAddr>>>;

/// Messages queued for one peer before new ones are dropped (anti-entropy
/// repairs what is dropped).
const PER_PEER_QUEUE: usize = 1024;

/// How long one gossip message may take to reach a peer.
const SEND_TIMEOUT: Duration = Duration::from_secs(2);

/// Serves the replica's QUIC endpoint until `shutdown`: peer frames on
/// one-way streams, front-end requests on bidirectional ones.
pub async fn serve_quic<A>(
    handle: ReplicaHandle<A>,
    endpoint: quinn::Endpoint,
    config: ServeConfig,
    isolation: Isolation,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let handler = move |ctx: RequestContext, bytes: Vec<u8>| {
        let handle = handle.clone();
        let isolation = isolation.clone();
        async move {
            if ctx.oneway {
                if isolation.is_on() {
                    return None;
                }
                match decode::<PeerFrame<A>>(&bytes) {
                    Ok(frame) if *frame.from.as_str() == *ctx.peer => {
                        handle.peer(frame.from, frame.msg).await
                    }
                    Ok(frame) => {
                        warn!(peer = %ctx.peer, claimed = %frame.from, "dropped a peer frame speaking for another node")
                    }
                    Err(e) => warn!(peer = %ctx.peer, error = %e, "dropped a malformed peer frame"),
                }
                return None;
            }
            let response = match decode::<ReplicaRequest<A>>(&bytes) {
                Ok(request) => crate::serve_from(&handle, &ctx.peer, request).await,
                Err(e) => ReplicaResponse::Error {
                    reason: format!("malformed request: {e}"),
                },
            };
            encode(&response).ok()
        }
    };
    hearsay_transport::serve(endpoint, handler, config, shutdown).await;
}

/// Delivers the replica's outbound gossip: one ordered queue and task per
/// peer, so a slow or dead peer delays no one else, and records reach each
/// peer in the order they were sent (out-of-order records would be dropped
/// and repaired later). Every message delivered, or not, is counted in
/// `activity`.
pub async fn send_gossip<A>(
    from: ReplicaId,
    mut outbound: mpsc::Receiver<Outbound<A>>,
    connector: Connector,
    book: AddressBook,
    isolation: Isolation,
    activity: Activity,
) where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    let mut queues: HashMap<ReplicaId, mpsc::Sender<Message>> = HashMap::new();
    while let Some(Outbound { to, msg }) = outbound.recv().await {
        if isolation.is_on() {
            continue;
        }
        let digest = matches!(msg, PeerMessage::Digest { .. });
        let frame = PeerFrame {
            from: from.clone(),
            msg,
        };
        let bytes = match encode(&frame) {
            Ok(b) => b,
            Err(e) => {
                warn!(peer = %to, error = %e, "could not encode gossip");
                continue;
            }
        };
        let queue = queues.entry(to.clone()).or_insert_with(|| {
            let (tx, rx) = mpsc::channel(PER_PEER_QUEUE);
            tokio::spawn(peer_sender(
                to.clone(),
                rx,
                connector.clone(),
                book.clone(),
                activity.clone(),
            ));
            tx
        });
        let len = bytes.len();
        if queue.try_send(Message { bytes, digest }).is_err() {
            // Full: dropped; anti-entropy repairs.
            activity.gossip(to.as_str(), len, digest, false);
        }
    }
}

/// One encoded gossip message for a peer.
struct Message {
    bytes: Vec<u8>,
    /// An anti-entropy digest (for the activity log's rounds).
    digest: bool,
}

async fn peer_sender(
    peer: ReplicaId,
    mut rx: mpsc::Receiver<Message>,
    connector: Connector,
    book: AddressBook,
    activity: Activity,
) {
    // Logged once per change between reachable and not, not per attempt.
    let mut reachable = true;
    while let Some(Message { bytes, digest }) = rx.recv().await {
        let addr = book.read().ok().and_then(|b| b.get(&peer).copied());
        let Some(addr) = addr else {
            activity.gossip(peer.as_str(), bytes.len(), digest, false);
            if reachable {
                warn!(%peer, "no address known for peer; gossip to it is dropped");
                reachable = false;
            }
            continue;
        };
        match connector
            .send_oneway(addr, peer.as_str(), &bytes, SEND_TIMEOUT)
            .await
        {
            Ok(()) => {
                activity.gossip(peer.as_str(), bytes.len(), digest, true);
                if !reachable {
                    info!(%peer, %addr, "peer reachable again");
                    reachable = true;
                }
            }
            Err(e) => {
                activity.gossip(peer.as_str(), bytes.len(), digest, false);
                if reachable {
                    warn!(%peer, %addr, error = %e, "peer unreachable; will keep trying");
                    reachable = false;
                }
            }
        }
    }
}
