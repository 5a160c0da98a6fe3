//! What travels through the simulator's network: messages between replicas
//! and front ends, addressed by [`Node`].

use hearsay_core::{App, AttemptId, ClientReply, ClientRequest, PeerMessage};

use crate::net::Packet;

/// A node of the simulated cluster. Clients are not nodes: each talks to its
/// front end in-process, as a client library linked into it would.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Node {
    /// Replica manager number `i` (named `r{i+1}`).
    Replica(usize),
    /// Front end number `i`.
    FrontEnd(usize),
}

impl Node {
    /// The node's index in the network: replicas first, then front ends.
    pub(crate) fn index(self, replicas: usize) -> usize {
        match self {
            Node::Replica(i) => i,
            Node::FrontEnd(i) => replicas + i,
        }
    }
}

/// What travels between nodes.
#[derive(Clone, Debug)]
pub(crate) enum Payload<A: App> {
    /// Replica to replica.
    Peer(PeerMessage<A>),
    /// Front end to replica: one attempt of a client's request.
    Request {
        attempt: AttemptId,
        /// The client and its request number, so that the replica-side checks
        /// can compare the answer with that very request's context.
        origin: (usize, usize),
        request: ClientRequest<A>,
    },
    /// Replica to front end.
    Reply {
        attempt: AttemptId,
        reply: ClientReply<A>,
    },
}

/// A message with its endpoints.
#[derive(Clone, Debug)]
pub(crate) struct Envelope<A: App> {
    pub(crate) from: Node,
    pub(crate) to: Node,
    pub(crate) payload: Payload<A>,
}

impl<A: App> Envelope<A> {
    /// The network's packet for this message, among `replicas` replicas.
    pub(crate) fn packet(self, replicas: usize) -> Packet<Self> {
        Packet {
            from: self.from.index(replicas),
            to: self.to.index(replicas),
            msg: self,
        }
    }
}
