//! [`Client`]: one request, one answer, to one front end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hearsay_core::App;
use hearsay_transport::{
    Connector, ConnectorConfig, EndpointConfig, NodeCredentials, NodeSocket, QuicSocket, Role,
    Transport, wildcard_for,
};
use hearsay_wire::{FrontendRequest, FrontendResponse, decode, encode};

use crate::error::ClientError;

/// A connection to one front end. Clones share the connection (on QUIC)
/// or the node (on another transport).
#[derive(Clone, Debug)]
pub struct Client {
    /// The client's own place on the transport.
    socket: Arc<dyn NodeSocket>,
    frontend: SocketAddr,
    /// The name in the front end's certificate.
    frontend_name: String,
    /// Bounds each request; above the front end's own request budget so the
    /// front end answers "busy" before the client gives up.
    timeout: Duration,
}

impl Client {
    /// A client of the front end at `frontend` (certificate name
    /// `frontend_name`) through `connector`, on QUIC.
    pub fn new(
        connector: Connector,
        frontend: SocketAddr,
        frontend_name: impl Into<String>,
    ) -> Self {
        Self::over(
            Arc::new(QuicSocket::new(connector)),
            frontend,
            frontend_name,
        )
    }

    /// A client of the front end at `frontend` (named `frontend_name`)
    /// through `socket`, on any transport.
    pub fn over(
        socket: Arc<dyn NodeSocket>,
        frontend: SocketAddr,
        frontend_name: impl Into<String>,
    ) -> Self {
        Self {
            socket,
            frontend,
            frontend_name: frontend_name.into(),
            timeout: Duration::from_secs(8),
        }
    }

    /// A client of the front end at `frontend` (certificate name
    /// `frontend_name`) presenting `creds`, on a QUIC endpoint of its own
    /// bound to a port the system picks. Needs a tokio runtime.
    pub fn connect(
        creds: &NodeCredentials,
        frontend: SocketAddr,
        frontend_name: impl Into<String>,
    ) -> Result<Self, ClientError> {
        let any = wildcard_for(frontend);
        let endpoint = hearsay_transport::bind_client(any, creds, &EndpointConfig::default())
            .map_err(ClientError::Bind)?;
        Ok(Self::new(
            Connector::new(endpoint, ConnectorConfig::default()),
            frontend,
            frontend_name,
        ))
    }

    /// A client named `name` opened on `transport` (the in-memory
    /// [`ChannelTransport`](hearsay_transport::ChannelTransport) of a test,
    /// say), of the front end at `frontend` named `frontend_name`.
    pub fn open(
        transport: &dyn Transport,
        name: &str,
        frontend: SocketAddr,
        frontend_name: impl Into<String>,
    ) -> Result<Self, ClientError> {
        let socket = transport
            .open(name, Role::Client, wildcard_for(frontend))
            .map_err(|e| ClientError::Open(e.to_string()))?;
        Ok(Self::over(socket, frontend, frontend_name))
    }

    /// The front end's address.
    pub fn frontend(&self) -> SocketAddr {
        self.frontend
    }

    /// The front end's name.
    pub fn frontend_name(&self) -> &str {
        &self.frontend_name
    }

    /// Sends one request and waits for the answer.
    pub async fn call<A: App>(
        &self,
        request: &FrontendRequest<A>,
    ) -> Result<FrontendResponse<A>, ClientError> {
        let bytes = encode(request).map_err(|e| ClientError::Encode(e.to_string()))?;
        let answer = self
            .socket
            .request(self.frontend, &self.frontend_name, &bytes, self.timeout)
            .await
            .map_err(|source| ClientError::Unreachable {
                frontend: self.frontend,
                source,
            })?;
        decode(&answer).map_err(|e| ClientError::BadAnswer(e.to_string()))
    }
}
