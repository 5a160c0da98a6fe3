//! The front end on the network: replicas reached over QUIC, clients served
//! over QUIC.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hearsay_core::{App, ReplicaId};
use hearsay_transport::{Access, Connector, RequestContext, Role, ServeConfig};
use hearsay_wire::{
    FrontendRequest, FrontendResponse, ReplicaRequest, ReplicaResponse, decode, encode,
};
use tracing::warn;

use crate::actor::FrontendHandle;
use crate::link::{BoxFuture, LinkError, ReplicaLink};

/// Where each replica listens; shared with whatever keeps it current.
pub type ReplicaAddresses = Arc<RwLock<BTreeMap<ReplicaId, SocketAddr>>>;

/// Reaches replicas over QUIC: one long-lived connection each, one stream
/// per request.
pub struct QuicLink {
    connector: Connector,
    addresses: ReplicaAddresses,
    /// Bounds each call; above the routing's attempt timeout so that the
    /// routing, not the link, decides when to try elsewhere.
    timeout: Duration,
}

impl QuicLink {
    /// A link through `connector` to the replicas in `addresses`.
    pub fn new(connector: Connector, addresses: ReplicaAddresses, timeout: Duration) -> Self {
        Self {
            connector,
            addresses,
            timeout,
        }
    }
}

impl<A> ReplicaLink<A> for QuicLink
where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    fn call(
        &self,
        to: &ReplicaId,
        request: ReplicaRequest<A>,
    ) -> BoxFuture<Result<ReplicaResponse<A>, LinkError>> {
        let addr = self.addresses.read().ok().and_then(|b| b.get(to).copied());
        let connector = self.connector.clone();
        let timeout = self.timeout;
        let to = to.clone();
        let bytes = encode(&request).map_err(|e| LinkError::Unreachable(e.to_string()));
        Box::pin(async move {
            let addr = addr.ok_or_else(|| LinkError::UnknownReplica(to.clone()))?;
            let bytes = bytes?;
            let answer = connector
                .request(addr, to.as_str(), &bytes, timeout)
                .await
                .map_err(|e| LinkError::Unreachable(e.to_string()))?;
            decode::<ReplicaResponse<A>>(&answer)
                .map_err(|e| LinkError::Unreachable(format!("bad answer from {to}: {e}")))
        })
    }
}

/// The roles a front end's server lets connect: clients, and the tracker
/// (which writes payloads through it). Replicas and other front ends have no
/// business there; nobody opens one-way streams.
pub fn frontend_access() -> Access {
    Access {
        server: "a front end",
        connect: vec![Role::Client, Role::Tracker],
        oneway: Vec::new(),
    }
}

/// Serves clients on `endpoint` until `shutdown`, letting in the roles of
/// [`frontend_access`] (`config.access` is replaced by it).
pub async fn serve_quic<A>(
    handle: FrontendHandle<A>,
    endpoint: quinn::Endpoint,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let config = ServeConfig {
        access: frontend_access(),
        ..config
    };
    let handler = move |ctx: RequestContext, bytes: Vec<u8>| {
        let handle = handle.clone();
        async move {
            if ctx.oneway {
                warn!(peer = %ctx.peer, "ignored a one-way stream: the front end answers requests only");
                return None;
            }
            let response = match decode::<FrontendRequest<A>>(&bytes) {
                Ok(request) => {
                    handle.activity().client_request(&ctx.peer);
                    handle.handle(request).await
                }
                Err(e) => FrontendResponse::Error {
                    reason: format!("malformed request: {e}"),
                },
            };
            encode(&response).ok()
        }
    };
    hearsay_transport::serve(endpoint, handler, config, shutdown).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_front_end_lets_in_clients_and_the_tracker_only_and_takes_no_one_way_streams() {
        let access = frontend_access();
        for role in [Role::Client, Role::Tracker] {
            assert_eq!(access.check_connect(Some(role)), Ok(role));
        }
        for role in [Role::Replica, Role::Frontend] {
            let why = access.check_connect(Some(role)).expect_err("refused");
            assert!(
                why.contains(&format!("a front end does not accept {role} certificates")),
                "{why}"
            );
        }
        assert!(Role::ALL.iter().all(|r| !access.allows_oneway(*r)));
    }
}
