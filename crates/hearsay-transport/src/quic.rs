//! The QUIC side of the seam: today's endpoint, [`Connector`] and [`serve`]
//! behind [`Transport`] and [`NodeSocket`].

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use crate::certs::{NodeCredentials, Role};
use crate::connector::{Connector, ConnectorConfig, Delivery};
use crate::endpoint::{EndpointConfig, bind_client};
use crate::error::TransportError;
use crate::node::{CredentialSource, StopSignal, bind_node, wildcard_for};
use crate::seam::{BoxFuture, NodeSocket, OpenError, SharedHandler, Transport};
use crate::server::{ServeConfig, serve};

/// QUIC with mutual TLS 1.3: each node presents the certificate its
/// [`CredentialSource`] gives, and [`serve`] lets peers in by the role in
/// theirs ([`ServeConfig::access`]). One transport per node (its
/// credentials); the node builders make one when given no transport.
#[derive(Clone)]
pub struct QuicTransport {
    credentials: CredentialSource,
}

impl QuicTransport {
    /// A transport presenting the certificate of each node that opens on
    /// it, loaded from `credentials` (a directory: under the node's name,
    /// checked to be of its role).
    pub fn new(credentials: CredentialSource) -> Self {
        Self { credentials }
    }

    /// A transport presenting `creds`, already loaded.
    pub fn with_credentials(creds: NodeCredentials) -> Self {
        Self::new(CredentialSource::Loaded(creds))
    }
}

impl Transport for QuicTransport {
    /// Loads the node's certificate and binds its endpoint: a server on
    /// `listen`, or, for [`Role::Client`] (which nobody dials), a client
    /// endpoint on a port the system picks, of `listen`'s address family.
    fn open(
        &self,
        name: &str,
        role: Role,
        listen: SocketAddr,
    ) -> Result<Arc<dyn NodeSocket>, OpenError> {
        let creds = self.credentials.load(name, role)?;
        let endpoint = if role == Role::Client {
            bind_client(wildcard_for(listen), &creds, &EndpointConfig::default())?
        } else {
            bind_node(listen, &creds)?.0
        };
        Ok(Arc::new(QuicSocket::new(Connector::new(
            endpoint,
            ConnectorConfig::default(),
        ))))
    }
}

/// A node's QUIC endpoint: its [`Connector`] dials out, [`serve`] answers.
#[derive(Clone, Debug)]
pub struct QuicSocket {
    connector: Connector,
    /// Read once: the endpoint's address does not change.
    addr: SocketAddr,
}

impl QuicSocket {
    /// A socket over `connector`'s endpoint (which serves only if it was
    /// bound with a server configuration, as [`crate::bind`] does).
    pub fn new(connector: Connector) -> Self {
        let addr = connector
            .endpoint()
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
        Self { connector, addr }
    }

    /// Its outgoing side.
    pub fn connector(&self) -> &Connector {
        &self.connector
    }
}

impl NodeSocket for QuicSocket {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn request<'a>(
        &'a self,
        addr: SocketAddr,
        server_name: &'a str,
        request: &'a [u8],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<u8>, TransportError>> {
        Box::pin(self.connector.request(addr, server_name, request, timeout))
    }

    fn start_oneway<'a>(
        &'a self,
        addr: SocketAddr,
        server_name: &'a str,
        message: &'a [u8],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Delivery, TransportError>> {
        Box::pin(
            self.connector
                .start_oneway(addr, server_name, message, timeout),
        )
    }

    fn serve(
        &self,
        handler: SharedHandler,
        config: ServeConfig,
        shutdown: StopSignal,
    ) -> BoxFuture<'static, ()> {
        let endpoint = self.connector.endpoint().clone();
        Box::pin(serve(
            endpoint,
            move |ctx, bytes| handler(ctx, bytes),
            config,
            shutdown,
        ))
    }
}
