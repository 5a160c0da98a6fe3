//! The replica manager as a running service: an async shell around
//! [`hearsay_core::Replica`].
//!
//! [`spawn`] starts an actor task that owns the replica and is the only code
//! touching it. Client requests, peer messages and admin commands reach it
//! through a [`ReplicaHandle`]; peer messages it wants sent leave on the
//! outbound channel given to `spawn`, so the network stays outside. Timers
//! run on a monotonic clock converted to [`hearsay_core::Time`].
//!
//! [`ReplicaNode::builder`] is the one entry point for a replica: it opens
//! the node on its transport (QUIC by default, or any
//! [`hearsay_transport::Transport`], such as the in-memory
//! [`hearsay_transport::ChannelTransport`] for tests), spawns the actor, and
//! starts gossip, serving and HTTP. The service's policy on which requests
//! and peer messages pass is an [`Admission`].

pub mod access;
mod actor;
mod admission;
mod coalesce;
mod data_view;
mod gossip_seen;
mod handle;
pub mod http;
mod net;
mod node;
mod node_error;
mod observe;
mod overload;
mod service;
pub mod store;
mod wire_stats;

pub use actor::{AppliedFn, AppliedHook, Outbound, ReplicaServerConfig, spawn};
pub use admission::{Admission, PeerVerdict, RequestVerdict};
pub use data_view::{
    DEFAULT_DATA_LIMIT, DataEntry, DataPage, DataView, MAX_CELL_CHARS, MAX_DATA_LIMIT,
};
pub use gossip_seen::{GossipDirection, GossipEvent, GossipSeen};
pub use handle::{ReplicaHandle, ReplicaSnapshot};
pub use net::{AddressBook, GossipSender, MAX_IN_FLIGHT, serve_on};
pub use node::{ReplicaNode, ReplicaNodeBuilder};
pub use node_error::NodeError;
pub use observe::{ReplyHook, RequestObserver};
pub use overload::Overload;
pub use service::{report, serve, serve_from};
pub use wire_stats::{WireCounters, WireStats};
