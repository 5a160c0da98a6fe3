//! QUIC transport for hearsay: mutual TLS 1.3 endpoints, certificates, and
//! one message per stream.
//!
//! # Model
//!
//! Every node (replica, front end, client, tracker) holds a certificate
//! signed by the cluster CA ([`certs`]) that names it and its [`Role`]; an
//! endpoint ([`bind`]) refuses any peer that does not present one, and only
//! speaks [`hearsay_wire::ALPN`]. [`serve`] lets a peer in by its role
//! ([`Access`]) and tells the handler both name and role.
//! Nodes keep one long-lived connection per peer ([`Connector`]) and open one
//! stream per message: a request is a bidirectional stream (one frame each
//! way, each side finishing its half), a gossip batch a one-way stream.
//! [`serve`] answers streams with a [`Handler`], one task per stream.
//!
//! This crate moves bytes; `hearsay-wire` says what they mean. Every read is
//! capped ([`ServeConfig::max_request_bytes`],
//! [`ConnectorConfig::max_response_bytes`]) and every wait is bounded
//! (connect, request, read, handshake and shutdown timeouts).
//!
//! # The seam
//!
//! Nodes reach the network through a [`Transport`] ([`Transport::open`]
//! gives a node its [`NodeSocket`]): [`QuicTransport`] is all of the above;
//! [`ChannelTransport`] carries the same bytes between the nodes of one
//! process over bounded queues, without sockets or certificates, and can
//! cut links, for tests. What it does not check is on its page.
//!
//! Tracing: a span per accepted connection (`conn`, with the peer's address and
//! certificate name) and per outgoing request; no output otherwise.

mod access;
pub mod certs;
mod channel;
mod codes;
mod connector;
mod endpoint;
mod error;
mod node;
mod quic;
mod seam;
mod server;

pub use access::Access;
pub use certs::{CertsError, NodeCredentials, Role};
pub use channel::{ChannelConfig, ChannelStats, ChannelTransport};
pub use connector::{Connector, ConnectorConfig, Delivery};
pub use endpoint::{
    EndpointConfig, bind, bind_client, client_config, peer_name, peer_role, server_config,
};
pub use error::TransportError;
pub use node::{CredentialSource, StopSignal, StopSwitch, bind_node, wildcard_for};
pub use quic::{QuicSocket, QuicTransport};
pub use seam::{BoxFuture, NodeSocket, OpenError, SharedHandler, Transport};
pub use server::{Handler, RequestContext, ServeConfig, serve};
