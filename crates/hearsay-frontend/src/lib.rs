//! The front end as a running service: an async shell around
//! [`hearsay_core::FrontEnd`].
//!
//! [`spawn`] starts an actor that owns the routing state. Clients' requests
//! come in through a [`FrontendHandle`]; requests to replicas go out through a
//! [`ReplicaLink`] — QUIC in production, direct calls in tests — so the
//! routing logic never knows which. [`http::router`] serves its status,
//! metrics and activity log over HTTP. [`FrontendNode::builder`] is the one
//! entry point for a front end on QUIC: it binds, links to the replicas, and
//! serves clients and HTTP.

mod actor;
mod availability;
pub mod http;
mod link;
mod node;
mod node_error;
mod quic;

pub use actor::{FrontendConfig, FrontendHandle, spawn};
pub use link::{BoxFuture, LinkError, ReplicaLink};
pub use node::{FrontendNode, FrontendNodeBuilder};
pub use node_error::FrontendNodeError;
pub use quic::{QuicLink, ReplicaAddresses, frontend_access, serve_quic};
