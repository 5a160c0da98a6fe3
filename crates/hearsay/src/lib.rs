//! hearsay: lazy replication (Ladin, Liskov, Shrira and Ghemawat's gossip
//! architecture) for your own state machine, over QUIC.
//!
//! This crate gathers the public API of the workspace, as `tokio` or `quinn`
//! do for theirs:
//!
//! - Implement [`App`] for your state (its correctness contract is on the
//!   trait; [`conformance::check_convergence`] tests it).
//! - Start replicas with [`ReplicaNode::builder`] and a front end with
//!   [`FrontendNode::builder`]; each binds, gossips, serves QUIC (mutual TLS
//!   with certificates from [`certs`]) and, if asked, HTTP metrics.
//! - In tests, give every node (and [`Client::open`]) one in-memory
//!   [`ChannelTransport`] with `.transport(..)`: the same nodes run in one
//!   process without sockets or certificates, and the test can cut links.
//! - Decide which requests a replica takes and which peer messages pass
//!   with an [`Admission`] policy (`.admission(..)`).
//! - Talk to the front end with a [`SessionClient`]: it keeps the session's
//!   causal context, so a session reads its own writes from any replica.
//! - Run the deterministic fault simulation with [`sim`].
//!
//! The crate's `examples/` run a shopping cart this way:
//! `cargo run --release --example cart`.

pub use hearsay_client::{Client, ClientError, SessionClient, SessionError};
pub use hearsay_core::{
    App, ApplyContext, Arbitration, BUSY_MESSAGE, ClientId, ReplicaId, Session, Status, UpdateId,
    VectorTimestamp, conformance,
};
pub use hearsay_frontend::{FrontendNode, FrontendNodeBuilder, FrontendNodeError};
pub use hearsay_replica::{
    Admission, NodeError, PeerVerdict, ReplicaNode, ReplicaNodeBuilder, RequestVerdict,
};
pub use hearsay_transport::{
    ChannelConfig, ChannelStats, ChannelTransport, NodeCredentials, NodeSocket, QuicTransport,
    Role, Transport, certs,
};

/// The deterministic fault simulation of the core (no network, no clock).
pub mod sim {
    pub use hearsay_sim::*;
}

/// The crates behind this one, for what the re-exports above leave out.
pub mod crates {
    pub use hearsay_client as client;
    pub use hearsay_core as core;
    pub use hearsay_frontend as frontend;
    pub use hearsay_replica as replica;
    pub use hearsay_sim as sim;
    pub use hearsay_transport as transport;
}
