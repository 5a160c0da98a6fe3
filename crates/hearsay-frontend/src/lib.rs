//! The front end as a running service: an async shell around
//! [`hearsay_core::FrontEnd`].
//!
//! [`spawn`] starts an actor that owns the routing state. Clients' requests
//! come in through a [`FrontendHandle`]; requests to replicas go out through a
//! [`ReplicaLink`] — a node socket in production ([`SocketLink`], QUIC or
//! any other [`hearsay_transport::Transport`]), direct calls in some tests —
//! so the routing logic never knows which. [`http::router`] serves its
//! status, metrics and activity log over HTTP. [`FrontendNode::builder`] is
//! the one entry point for a front end: it opens the node on its transport
//! (QUIC by default), links to the replicas, and serves clients and HTTP.

mod actor;
mod availability;
pub mod http;
mod link;
mod net;
mod node;
mod node_error;

pub use actor::{FrontendConfig, FrontendHandle, spawn};
pub use link::{BoxFuture, LinkError, ReplicaLink};
pub use net::{ReplicaAddresses, SocketLink, frontend_access, serve_on};
pub use node::{FrontendNode, FrontendNodeBuilder};
pub use node_error::FrontendNodeError;
