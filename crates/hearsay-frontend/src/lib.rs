//! The front end as a running service: an async shell around
//! [`hearsay_core::FrontEnd`].
//!
//! [`spawn`] starts an actor that owns the routing state. Clients' requests
//! come in through a [`FrontendHandle`]; requests to replicas go out through a
//! [`ReplicaLink`] — QUIC in production, direct calls in tests — so the
//! routing logic never knows which. [`http::router`] serves its status,
//! metrics and activity log over HTTP.

mod actor;
mod availability;
pub mod http;
mod link;
mod quic;

pub use actor::{FrontendConfig, FrontendHandle, spawn};
pub use link::{BoxFuture, LinkError, ReplicaLink};
pub use quic::{QuicLink, ReplicaAddresses, frontend_access, serve_quic};
