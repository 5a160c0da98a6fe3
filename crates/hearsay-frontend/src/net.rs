//! The front end on the network (any transport): replicas reached through
//! its socket, clients served on it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hearsay_core::{App, ReplicaId};
use hearsay_transport::{
    Access, NodeSocket, RequestContext, Role, ServeConfig, SharedHandler, StopSignal,
};
use hearsay_wire::{
    FrontendRequest, FrontendResponse, ReplicaRequest, ReplicaResponse, decode, encode,
};
use tracing::warn;

use crate::actor::FrontendHandle;
use crate::link::{BoxFuture, LinkError, ReplicaLink};

/// The seam's boxed future (with a lifetime), apart from the link's.
type SeamFuture = hearsay_transport::BoxFuture<'static, ()>;

/// Where each replica listens; shared with whatever keeps it current.
pub type ReplicaAddresses = Arc<RwLock<BTreeMap<ReplicaId, SocketAddr>>>;

/// Reaches replicas through the front end's socket (on QUIC: one
/// long-lived connection each, one stream per request).
pub struct SocketLink {
    socket: Arc<dyn NodeSocket>,
    addresses: ReplicaAddresses,
    /// Bounds each call; above the routing's attempt timeout so that the
    /// routing, not the link, decides when to try elsewhere.
    timeout: Duration,
}

impl SocketLink {
    /// A link through `socket` to the replicas in `addresses`.
    pub fn new(
        socket: Arc<dyn NodeSocket>,
        addresses: ReplicaAddresses,
        timeout: Duration,
    ) -> Self {
        Self {
            socket,
            addresses,
            timeout,
        }
    }
}

impl<A> ReplicaLink<A> for SocketLink
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
        let socket = self.socket.clone();
        let timeout = self.timeout;
        let to = to.clone();
        let bytes = encode(&request).map_err(|e| LinkError::Unreachable(e.to_string()));
        Box::pin(async move {
            let addr = addr.ok_or_else(|| LinkError::UnknownReplica(to.clone()))?;
            let bytes = bytes?;
            let answer = socket
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

/// Serves clients on `socket` until `shutdown`; on QUIC, letting in only
/// the roles of [`frontend_access`] (`config.access` is replaced by it).
pub fn serve_on<A>(
    handle: FrontendHandle<A>,
    socket: &dyn NodeSocket,
    config: ServeConfig,
    shutdown: StopSignal,
) -> SeamFuture
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let config = ServeConfig {
        access: frontend_access(),
        ..config
    };
    let handler: SharedHandler = Arc::new(move |ctx: RequestContext, bytes: Vec<u8>| {
        let handle = handle.clone();
        Box::pin(async move {
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
        })
    });
    socket.serve(handler, config, shutdown)
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
