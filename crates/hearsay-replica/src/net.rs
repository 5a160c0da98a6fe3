//! The replica on the network (any transport): requests and gossip in,
//! gossip out.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hearsay_activity::Activity;
use hearsay_core::{App, PeerMessage, ReplicaId};
use hearsay_transport::{
    BoxFuture, NodeSocket, RequestContext, ServeConfig, SharedHandler, StopSignal, TransportError,
};
use hearsay_wire::{PeerFrame, ReplicaRequest, ReplicaResponse, decode, encode, encode_into};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::actor::Outbound;
use crate::admission::{Admission, PeerVerdict};
use crate::coalesce::Coalescer;
use crate::handle::ReplicaHandle;
use crate::wire_stats::{FrameKind, WireCounters};

/// Where each peer listens; shared with whatever keeps it current (flags, the
/// tracker's peer list).
pub type AddressBook = Arc<RwLock<BTreeMap<ReplicaId, SocketAddr>>>;

/// Messages queued for one peer before new ones are dropped (anti-entropy
/// repairs what is dropped).
const PER_PEER_QUEUE: usize = 1024;

/// How long one gossip message may take to reach a peer.
const SEND_TIMEOUT: Duration = Duration::from_secs(2);

/// Serves the replica on `socket` until `shutdown`: peer frames as one-way
/// messages, front-end requests as requests. On QUIC, peers are let in by
/// the role in their certificate ([`crate::access`]; `config.access` is
/// replaced by the replica's): clients are turned away and only replicas
/// gossip. On every transport, a peer frame must come from the node it
/// names, and each request is checked against the sender's role.
pub fn serve_on<A>(
    handle: ReplicaHandle<A>,
    socket: &dyn NodeSocket,
    config: ServeConfig,
    shutdown: StopSignal,
) -> BoxFuture<'static, ()>
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let config = ServeConfig {
        access: crate::access::replica_access(),
        ..config
    };
    let handler: SharedHandler = Arc::new(move |ctx: RequestContext, bytes: Vec<u8>| {
        let handle = handle.clone();
        Box::pin(async move {
            if ctx.oneway {
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
        })
    });
    socket.serve(handler, config, shutdown)
}

/// Delivers a replica's outbound gossip over its socket: one queue and task
/// per peer, so a slow or dead peer delays no one else.
///
/// Each peer's task takes everything queued for it at once and merges it
/// into as few frames as it can (one gossip batch, one digest), then hands
/// each frame to the transport without waiting for the peer's
/// acknowledgement: up to [`MAX_IN_FLIGHT`] frames per peer are unconfirmed
/// at once. Frames can then be processed out of order; the core holds
/// records that arrive ahead of a gap until it fills. A full queue drops
/// messages, which anti-entropy repairs.
pub struct GossipSender<A: App> {
    /// The replica's name, on every frame.
    pub from: ReplicaId,
    /// Where frames leave.
    pub socket: Arc<dyn NodeSocket>,
    /// Where each peer is, read at every send.
    pub book: AddressBook,
    /// Frames and bytes sent, by kind.
    pub counters: WireCounters,
    /// The node's activity counters, if it keeps them (frames sent and
    /// bytes, anti-entropy rounds, frames lost).
    pub activity: Option<Activity>,
    /// The service's policy: a message it drops never leaves.
    pub admission: Option<Arc<dyn Admission<A>>>,
}

impl<A> GossipSender<A>
where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    /// Sends what arrives on `outbound` until the replica stops (`outbound`
    /// closed) and every peer's sender has finished.
    pub async fn run(self, mut outbound: mpsc::Receiver<Outbound<A>>) {
        let mut queues: BTreeMap<ReplicaId, mpsc::Sender<PeerMessage<A>>> = BTreeMap::new();
        let mut senders = JoinSet::new();
        while let Some(Outbound { to, msg }) = outbound.recv().await {
            if let Some(a) = &self.admission {
                if a.send(&to, &msg) == PeerVerdict::Drop {
                    continue;
                }
            }
            let queue = queues.entry(to.clone()).or_insert_with(|| {
                let (tx, rx) = mpsc::channel(PER_PEER_QUEUE);
                let sender = PeerSender {
                    from: self.from.clone(),
                    peer: to.clone(),
                    socket: self.socket.clone(),
                    book: self.book.clone(),
                    counters: self.counters.clone(),
                    activity: self.activity.clone(),
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
                if let Some(a) = &self.activity {
                    a.gossip(to.as_str(), 0, digest, false);
                }
            }
        }
        // The replica stopped: every peer's sender finishes what it holds
        // (each wait is bounded by the send timeout), then this returns.
        drop(queues);
        while senders.join_next().await.is_some() {}
    }
}

/// Frames to one peer handed to the transport and not yet confirmed, at most.
pub const MAX_IN_FLIGHT: usize = 32;

/// Bytes of records merged into one frame, at most (far below the frame cap).
const MAX_MERGED_BYTES: usize = 4 * 1024 * 1024;

/// The task that sends one peer its messages.
struct PeerSender {
    from: ReplicaId,
    peer: ReplicaId,
    socket: Arc<dyn NodeSocket>,
    book: AddressBook,
    counters: WireCounters,
    /// The node's activity counters, if it keeps them.
    activity: Option<Activity>,
    /// Logged once per change between reachable and not, not per attempt.
    reachable: bool,
    /// Reused for every frame's encoding.
    buf: Vec<u8>,
    /// Frames handed to the transport, waiting for the peer's acknowledgement.
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
            PeerMessage::Digest { .. }
            | PeerMessage::Vr(_)
            | PeerMessage::Forward(_)
            | PeerMessage::ForwardReply { .. } => false,
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
            .socket
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
