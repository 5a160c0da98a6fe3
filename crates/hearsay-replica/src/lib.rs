//! The replica manager as a running service: an async shell around
//! [`hearsay_core::Replica`].
//!
//! [`spawn`] starts an actor task that owns the replica and is the only code
//! touching it. Client requests, peer messages and admin commands reach it
//! through a [`ReplicaHandle`]; peer messages it wants sent leave on the
//! outbound channel given to `spawn`, so the network (QUIC in
//! `hearsay-transport`, or anything else) stays outside. Timers run on a
//! monotonic clock converted to [`hearsay_core::Time`].
//!
//! [`ReplicaNode::builder`] is the one entry point for a replica on QUIC:
//! it binds, spawns the actor, and starts gossip, the QUIC server and HTTP.

pub mod access;
mod actor;
mod coalesce;
mod data_view;
mod gossip_seen;
mod handle;
pub mod http;
mod isolation;
mod net;
mod node;
mod node_error;
mod observe;
mod overload;
mod service;
pub mod store;
mod wire_stats;

pub use actor::{AppliedFn, AppliedHook, Outbound, ReplicaServerConfig, spawn};
pub use data_view::{
    DEFAULT_DATA_LIMIT, DataEntry, DataPage, DataView, MAX_CELL_CHARS, MAX_DATA_LIMIT,
};
pub use gossip_seen::{GossipDirection, GossipEvent, GossipSeen};
pub use handle::{ReplicaHandle, ReplicaSnapshot};
pub use isolation::Isolation;
pub use net::{AddressBook, MAX_IN_FLIGHT, send_gossip, send_gossip_counted, serve_quic};
pub use node::{ReplicaNode, ReplicaNodeBuilder};
pub use node_error::NodeError;
pub use observe::{ReplyHook, RequestObserver};
pub use overload::Overload;
pub use service::{report, serve, serve_from};
pub use wire_stats::{WireCounters, WireStats};
