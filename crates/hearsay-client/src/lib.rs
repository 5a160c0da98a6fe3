//! The client of a hearsay front end over QUIC.
//!
//! [`Client`] sends [`hearsay_wire::FrontendRequest`]s to one front end and
//! returns its answers. The session's causal context lives in a
//! [`hearsay_core::Session`] that the caller keeps, so a client that
//! reconnects (through the same or another front end) keeps read-your-writes
//! and the other session guarantees: it presents its own `prev` every time.

use std::net::SocketAddr;
use std::time::Duration;

use hearsay_core::App;
use hearsay_transport::Connector;
use hearsay_wire::{FrontendRequest, FrontendResponse, decode, encode};

/// A connection to one front end.
#[derive(Clone, Debug)]
pub struct Client {
    connector: Connector,
    frontend: SocketAddr,
    /// The name in the front end's certificate.
    frontend_name: String,
    /// Bounds each request; above the front end's own request budget so the
    /// front end answers "busy" before the client gives up.
    timeout: Duration,
}

impl Client {
    /// A client of the front end at `frontend` (certificate name
    /// `frontend_name`) through `connector`.
    pub fn new(
        connector: Connector,
        frontend: SocketAddr,
        frontend_name: impl Into<String>,
    ) -> Self {
        Self {
            connector,
            frontend,
            frontend_name: frontend_name.into(),
            timeout: Duration::from_secs(8),
        }
    }

    /// Sends one request and waits for the answer.
    pub async fn call<A: App>(
        &self,
        request: &FrontendRequest<A>,
    ) -> Result<FrontendResponse<A>, String> {
        let bytes = encode(request).map_err(|e| e.to_string())?;
        let answer = self
            .connector
            .request(self.frontend, &self.frontend_name, &bytes, self.timeout)
            .await
            .map_err(|e| format!("cannot reach the front end at {}: {e}", self.frontend))?;
        decode(&answer).map_err(|e| format!("the front end sent a bad answer: {e}"))
    }
}
