//! The transport seam: what a node needs from the network, as a trait with
//! two implementations, QUIC ([`crate::QuicTransport`]) and in-memory
//! ([`crate::ChannelTransport`], for tests), on the model of chitchat's
//! `Transport` and `ChannelTransport`.
//!
//! A [`Transport`] opens one [`NodeSocket`] per node. Through its socket a
//! node serves what others send it (requests that get an answer, and one-way
//! messages) and sends its own: a request to a peer, answered, or a one-way
//! message (gossip). Both sides move bytes; `hearsay-wire` says what they
//! mean, so every node encodes and decodes the same way whatever carries it.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::certs::{CertsError, Role};
use crate::connector::Delivery;
use crate::error::TransportError;
use crate::node::StopSignal;
use crate::server::{RequestContext, ServeConfig};

/// A boxed, sendable future: what the seam's methods return, so that
/// transports can be chosen at run time (`Arc<dyn Transport>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A node's handler behind the seam: given who sent a message and its bytes,
/// the answer's bytes, or `None` to refuse (the requester sees
/// [`TransportError::NoResponse`]). A one-way message's answer is dropped.
pub type SharedHandler =
    Arc<dyn Fn(RequestContext, Vec<u8>) -> BoxFuture<'static, Option<Vec<u8>>> + Send + Sync>;

/// Why a node could not open on a transport.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Its certificate could not be loaded, or is not for its name and role.
    #[error(transparent)]
    Credentials(#[from] CertsError),
    /// Its address could not be taken.
    #[error(transparent)]
    Bind(#[from] TransportError),
}

/// A network that nodes open themselves on: QUIC ([`crate::QuicTransport`])
/// or in-memory ([`crate::ChannelTransport`]).
pub trait Transport: Send + Sync + 'static {
    /// Opens node `name`, acting as `role`, at `listen` (port 0: the
    /// transport picks one; [`NodeSocket::local_addr`] tells which).
    fn open(
        &self,
        name: &str,
        role: Role,
        listen: SocketAddr,
    ) -> Result<Arc<dyn NodeSocket>, OpenError>;
}

/// One node's place on a [`Transport`]: how others reach it and how it
/// reaches them. Every wait is bounded by the `timeout` given.
pub trait NodeSocket: Send + Sync + 'static {
    /// Where others reach this node.
    fn local_addr(&self) -> SocketAddr;

    /// Sends `request` to the node at `addr`, which must be named
    /// `server_name`, and returns its answer; `timeout` bounds the whole call.
    fn request<'a>(
        &'a self,
        addr: SocketAddr,
        server_name: &'a str,
        request: &'a [u8],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<u8>, TransportError>>;

    /// Hands `message` to the transport for the node at `addr` (named
    /// `server_name`) as a one-way message, and returns once it is taken;
    /// [`Delivery::confirmed`] waits until the peer has it. Messages sent
    /// this way may be processed in any order.
    fn start_oneway<'a>(
        &'a self,
        addr: SocketAddr,
        server_name: &'a str,
        message: &'a [u8],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Delivery, TransportError>>;

    /// Serves what others send this node with `handler`, one task per
    /// message, until `shutdown` completes. `config` caps sizes and waits;
    /// its [`ServeConfig::access`] is enforced where the transport can prove
    /// roles (QUIC: from certificates).
    fn serve(
        &self,
        handler: SharedHandler,
        config: ServeConfig,
        shutdown: StopSignal,
    ) -> BoxFuture<'static, ()>;
}

impl std::fmt::Debug for dyn NodeSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeSocket")
            .field("local_addr", &self.local_addr())
            .finish()
    }
}
