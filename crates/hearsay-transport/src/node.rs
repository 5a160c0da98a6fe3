//! What every node builder needs from the transport, written once: where its
//! certificate comes from, binding its endpoint, and its stop switch.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;

use quinn::Endpoint;
use tokio::sync::watch;

use crate::certs::{CertsError, NodeCredentials, Role};
use crate::endpoint::{EndpointConfig, bind};
use crate::error::TransportError;

/// A future that tells a node to stop (ctrl-c, say).
pub type StopSignal = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where a node's certificate comes from.
#[derive(Clone)]
pub enum CredentialSource {
    /// Loaded from this directory under the node's name, at spawn.
    Dir(PathBuf),
    /// Given, already loaded.
    Loaded(NodeCredentials),
}

impl CredentialSource {
    /// The credentials of node `name`: loaded from the directory and checked
    /// to be of `role` (a node will not run as what its certificate does not
    /// allow), or as given.
    pub fn load(&self, name: &str, role: Role) -> Result<NodeCredentials, CertsError> {
        match self {
            Self::Loaded(creds) => Ok(creds.clone()),
            Self::Dir(dir) => NodeCredentials::load_as(dir, name, role),
        }
    }
}

/// The wildcard address (port 0) of `addr`'s family: where a node that
/// only dials out (a client) binds to reach `addr`.
pub fn wildcard_for(addr: SocketAddr) -> SocketAddr {
    if addr.is_ipv6() {
        SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0))
    }
}

/// Binds a node's QUIC endpoint on `listen` (port 0: the system picks);
/// the endpoint and the address it got.
pub fn bind_node(
    listen: SocketAddr,
    creds: &NodeCredentials,
) -> Result<(Endpoint, SocketAddr), TransportError> {
    let endpoint = bind(listen, creds, &EndpointConfig::default())?;
    let addr = endpoint.local_addr().map_err(|e| TransportError::Bind {
        addr: listen,
        reason: e.to_string(),
    })?;
    Ok((endpoint, addr))
}

/// One node's stop switch: its servers wait on [`stopped`](Self::stopped);
/// [`stop`](Self::stop), or the outside signal it was made with, flips it.
pub struct StopSwitch {
    tx: watch::Sender<bool>,
}

impl StopSwitch {
    /// A switch, flipped also when `outside` completes. Needs a tokio
    /// runtime when `outside` is given.
    pub fn new(outside: Option<StopSignal>) -> Self {
        let (tx, _) = watch::channel(false);
        if let Some(signal) = outside {
            let tx = tx.clone();
            tokio::spawn(async move {
                signal.await;
                let _ = tx.send(true);
            });
        }
        Self { tx }
    }

    /// Flips the switch: everything waiting on it stops.
    pub fn stop(&self) {
        let _ = self.tx.send(true);
    }

    /// Completes once the switch is flipped.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_switch_stops_its_waiters_by_hand_or_by_the_outside_signal() {
        let switch = StopSwitch::new(None);
        let waiter = tokio::spawn(switch.stopped());
        switch.stop();
        waiter.await.expect("stopped by hand");

        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let switch = StopSwitch::new(Some(Box::pin(async move {
            let _ = rx.await;
        })));
        let waiter = tokio::spawn(switch.stopped());
        let _ = tx.send(());
        waiter.await.expect("stopped by the outside signal");
    }
}
