//! Replica to replica: gossip, digests and snapshots.

use hearsay_core::{App, PeerMessage, ReplicaId};
use serde::{Deserialize, Serialize};

use crate::codec::{Frame, MAX_FRAME_BYTES};

/// One message from a replica to a peer, sent one-way (no answer on the stream;
/// the peer answers, if at all, with a frame of its own).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct PeerFrame<A: App> {
    /// The sending replica. The receiver also knows the sender's certificate
    /// name; comparing the two is how it refuses a node speaking for another.
    pub from: ReplicaId,
    /// The message.
    pub msg: PeerMessage<A>,
}

impl<A: App> Frame for PeerFrame<A> {
    const KIND: &'static str = "peer";
    const TAG: u8 = 1;
    const MAX_BYTES: usize = MAX_FRAME_BYTES;
}
