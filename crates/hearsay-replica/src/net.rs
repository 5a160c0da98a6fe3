//! The replica on the network: QUIC in, gossip out.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hearsay_activity::Activity;
use hearsay_core::{App, PeerMessage, ReplicaId};
use hearsay_transport::{Connector, RequestContext, ServeConfig, TransportError};
use hearsay_wire::{PeerFrame, ReplicaRequest, ReplicaResponse, decode, encode, encode_into};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::actor::Outbound;
use crate::coalesce::Coalescer;
use crate::handle::ReplicaHandle;
use crate::isolation::Isolation;
use crate::wire_stats::{FrameKind, WireCounters};

/// Where each peer listens; shared with whatever keeps it current (flags, the
/// tracker's peer list).
pub type AddressBook = Arc<RwLock<BTreeMap<ReplicaId, SocketAddr>>>;

/// Messages queued for one peer before new ones are dropped (anti-entropy
/// repairs what is dropped).
const PER_PEER_QUEUE: usize = 1024;

/// How long one gossip message may take to reach a peer.
const SEND_TIMEOUT: Duration = Duration::from_secs(2);

/// Serves the replica's QUIC endpoint until `shutdown`: peer frames on
/// one-way streams, front-end requests on bidirectional ones. Peers are let
/// in by the role in their certificate ([`crate::access`]; `config.access`
/// is replaced by the replica's): clients are turned away, only replicas
/// gossip, and each request is checked against the sender's role.
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
    let config = ServeConfig {
        access: crate::access::replica_access(),
        ..config
    };
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
                Ok(request) => match crate::access::check_request(ctx.role, &request) {
                    Ok(()) => crate::serve_from(&handle, &ctx.peer, request).await,
                    Err(reason) => {
                        warn!(peer = %ctx.peer, role = %ctx.role, %reason, "refused a request");
                        ReplicaResponse::Error { reason }
                    }
                },
                Err(e) => ReplicaResponse::Error {
                    reason: format!("malformed request: {e}"),
                },
            };
            encode(&response).ok()
        }
    };
    hearsay_transport::serve(endpoint, handler, config, shutdown).await;
}

/// Delivers the replica's outbound gossip (see [`send_gossip_counted`]),
/// counting what goes out in `activity` (the node's `/v1/metrics` and
/// activity log).
pub async fn send_gossip<A>(
    from: ReplicaId,
    outbound: mpsc::Receiver<Outbound<A>>,
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
    send_gossip_counted(
        from,
        outbound,
        connector,
        book,
        isolation,
        WireCounters::default(),
        Some(activity),
    )
    .await;
}

/// Delivers the replica's outbound gossip: one queue and task per peer, so a
/// slow or dead peer delays no one else, counting what goes out in
/// `counters` (and in `activity`, if given: frames sent and bytes, anti-entropy
/// rounds, frames lost).
///
/// Each peer's task takes everything queued for it at once and merges it
/// into as few frames as it can (one gossip batch, one digest), then hands
/// each frame to QUIC without waiting for the peer's acknowledgement: up to
/// [`MAX_IN_FLIGHT`] frames per peer are unconfirmed at once. Frames can
/// then be processed out of order; the core holds records that arrive ahead
/// of a gap until it fills. A full queue drops messages, which anti-entropy
/// repairs. Returns once the replica has stopped (`outbound` closed) and
/// every peer's sender has finished.
pub async fn send_gossip_counted<A>(
    from: ReplicaId,
    mut outbound: mpsc::Receiver<Outbound<A>>,
    connector: Connector,
    book: AddressBook,
    isolation: Isolation,
    counters: WireCounters,
    activity: Option<Activity>,
) where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    let mut queues: BTreeMap<ReplicaId, mpsc::Sender<PeerMessage<A>>> = BTreeMap::new();
    let mut senders = JoinSet::new();
    while let Some(Outbound { to, msg }) = outbound.recv().await {
        if isolation.is_on() {
            continue;
        }
        let queue = queues.entry(to.clone()).or_insert_with(|| {
            let (tx, rx) = mpsc::channel(PER_PEER_QUEUE);
            let sender = PeerSender {
                from: from.clone(),
                peer: to.clone(),
                connector: connector.clone(),
                book: book.clone(),
                counters: counters.clone(),
                activity: activity.clone(),
                reachable: true,
                buf: Vec::new(),
                in_flight: JoinSet::new(),
            };
            senders.spawn(sender.run(rx));
            tx
        });
        let digest = matches!(msg, PeerMessage::Digest { .. });
        if queue.try_send(msg).is_err() {
            // Full: dropped; anti-entropy repairs.
            if let Some(a) = &activity {
                a.gossip(to.as_str(), 0, digest, false);
            }
        }
    }
    // The replica stopped: every peer's sender finishes what it holds (each
    // wait is bounded by the send timeout), then this returns.
    drop(queues);
    while senders.join_next().await.is_some() {}
}

/// Frames to one peer handed to QUIC and not yet confirmed, at most.
pub const MAX_IN_FLIGHT: usize = 32;

/// Bytes of records merged into one frame, at most (far below the frame cap).
const MAX_MERGED_BYTES: usize = 4 * 1024 * 1024;

/// The task that sends one peer its messages.
struct PeerSender {
    from: ReplicaId,
    peer: ReplicaId,
    connector: Connector,
    book: AddressBook,
    counters: WireCounters,
    /// The node's activity counters, if it keeps them.
    activity: Option<Activity>,
    /// Logged once per change between reachable and not, not per attempt.
    reachable: bool,
    /// Reused for every frame's encoding.
    buf: Vec<u8>,
    /// Frames handed to QUIC, waiting for the peer's acknowledgement.
    in_flight: JoinSet<Result<(), TransportError>>,
}

impl PeerSender {
    async fn run<A>(mut self, mut rx: mpsc::Receiver<PeerMessage<A>>)
    where
        A: App + Send + 'static,
    {
        let mut merged = Coalescer::<A>::default();
        while let Some(first) = rx.recv().await {
            merged.add(first);
            while merged.bytes() < MAX_MERGED_BYTES {
                match rx.try_recv() {
                    Ok(msg) => merged.add(msg),
                    Err(_) => break,
                }
            }
            let taken = merged.messages();
            let frames = merged.take();
            self.counters.merged(taken - frames.len());
            for msg in frames {
                self.send(msg).await;
            }
        }
        // The replica stopped: let what is in flight finish, within bounds.
        while self.in_flight.join_next().await.is_some() {}
    }

    async fn send<A: App>(&mut self, msg: PeerMessage<A>) {
        let kind = match &msg {
            PeerMessage::Gossip(_) => FrameKind::Gossip,
            PeerMessage::Digest { .. } => FrameKind::Digest,
            PeerMessage::Snapshot(_) => FrameKind::Snapshot,
            // Forced-order messages are counted with gossip until the shell
            // gives them counters of their own (issue #13, part 2).
            PeerMessage::Vr(_) | PeerMessage::Forward(_) | PeerMessage::ForwardReply { .. } => {
                FrameKind::Gossip
            }
        };
        let digest = kind == FrameKind::Digest;
        let carries = match &msg {
            PeerMessage::Gossip(g) => !g.records.is_empty(),
            PeerMessage::Snapshot(_) => true,
            PeerMessage::Digest { .. } => false,
        };
        let frame = PeerFrame {
            from: self.from.clone(),
            msg,
        };
        if let Err(e) = encode_into(&frame, &mut self.buf) {
            warn!(peer = %self.peer, error = %e, "could not encode gossip");
            return;
        }
        let addr = self
            .book
            .read()
            .ok()
            .and_then(|b| b.get(&self.peer).copied());
        let Some(addr) = addr else {
            self.tell(self.buf.len(), digest, false);
            if self.reachable {
                warn!(peer = %self.peer, "no address known for peer; gossip to it is dropped");
                self.reachable = false;
            }
            return;
        };
        // Make room: collect what has been confirmed, and wait for the oldest
        // while the window is full.
        while let Some(done) = self.in_flight.try_join_next() {
            self.note(addr, done);
        }
        while self.in_flight.len() >= MAX_IN_FLIGHT {
            if let Some(done) = self.in_flight.join_next().await {
                self.note(addr, done);
            }
        }
        match self
            .connector
            .start_oneway(addr, self.peer.as_str(), &self.buf, SEND_TIMEOUT)
            .await
        {
            Ok(delivery) => {
                self.counters.sent(kind, self.buf.len());
                if carries {
                    self.counters.gossiped(self.peer.as_str());
                }
                self.tell(self.buf.len(), digest, true);
                self.in_flight.spawn(delivery.confirmed(SEND_TIMEOUT));
            }
            Err(e) => {
                self.tell(self.buf.len(), digest, false);
                self.failed(addr, &e);
            }
        }
        // A huge frame (a snapshot) should not pin its buffer forever.
        if self.buf.capacity() > MAX_MERGED_BYTES {
            self.buf = Vec::new();
        }
    }

    /// Counts one frame in the node's activity, if it keeps one.
    fn tell(&self, bytes: usize, digest: bool, sent: bool) {
        if let Some(a) = &self.activity {
            a.gossip(self.peer.as_str(), bytes, digest, sent);
        }
    }

    fn note(
        &mut self,
        addr: SocketAddr,
        done: Result<Result<(), TransportError>, tokio::task::JoinError>,
    ) {
        match done {
            Ok(Ok(())) => {
                if !self.reachable {
                    info!(peer = %self.peer, %addr, "peer reachable again");
                    self.reachable = true;
                }
            }
            Ok(Err(e)) => self.failed(addr, &e),
            Err(_) => {} // the task was cancelled: only at shutdown
        }
    }

    fn failed(&mut self, addr: SocketAddr, e: &TransportError) {
        self.counters.failed();
        if self.reachable {
            warn!(peer = %self.peer, %addr, error = %e, "peer unreachable; will keep trying");
            self.reachable = false;
        }
    }
}
