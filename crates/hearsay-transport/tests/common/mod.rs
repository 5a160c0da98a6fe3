//! A cluster's certificates in a temp dir, and servers on loopback port 0.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use hearsay_transport::certs::{self, Existing};
use hearsay_transport::{
    Connector, ConnectorConfig, EndpointConfig, Handler, NodeCredentials, ServeConfig, bind,
    bind_client, serve,
};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every test body runs under this bound.
pub(crate) const TEST_LIMIT: Duration = Duration::from_secs(30);

/// A generous per-request timeout: tests that expect success should not flake.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Runs `body` under [`TEST_LIMIT`].
pub(crate) async fn bounded<T>(body: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_LIMIT, body)
        .await
        .expect("test took too long")
}

/// A temp dir with a CA and certificates for `names`.
pub(crate) fn cluster(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    certs::init(dir.path(), names, Existing::Refuse).expect("certs init");
    dir
}

pub(crate) fn creds(dir: &Path, name: &str) -> NodeCredentials {
    NodeCredentials::load(dir, name).expect("load credentials")
}

/// A server running [`serve`] on loopback, stopped by [`Server::stop`].
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) endpoint: quinn::Endpoint,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    pub(crate) fn start(creds: &NodeCredentials, handler: impl Handler) -> Self {
        Self::start_with(
            creds,
            handler,
            EndpointConfig::default(),
            ServeConfig::default(),
        )
    }

    pub(crate) fn start_with(
        creds: &NodeCredentials,
        handler: impl Handler,
        endpoint_config: EndpointConfig,
        serve_config: ServeConfig,
    ) -> Self {
        Self::start_on(loopback(), creds, handler, endpoint_config, serve_config)
    }

    pub(crate) fn start_on(
        addr: SocketAddr,
        creds: &NodeCredentials,
        handler: impl Handler,
        endpoint_config: EndpointConfig,
        serve_config: ServeConfig,
    ) -> Self {
        let endpoint = bind(addr, creds, &endpoint_config).expect("bind server");
        let addr = endpoint.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(endpoint.clone(), handler, serve_config, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            endpoint,
            stop: Some(stop),
            task,
        }
    }

    /// Asks the server to shut down and waits until `serve` returns.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.expect("serve task");
    }

    /// Starts shutting down without waiting.
    pub(crate) fn begin_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for `serve` to return.
    pub(crate) async fn join(self) {
        self.task.await.expect("serve task");
    }
}

pub(crate) fn client(creds: &NodeCredentials) -> Connector {
    let endpoint = bind_client(loopback(), creds, &EndpointConfig::default()).expect("bind client");
    Connector::new(endpoint, ConnectorConfig::default())
}

/// Answers every request with `<peer name>:<request>`.
pub(crate) async fn echo(ctx: hearsay_transport::RequestContext, req: Vec<u8>) -> Option<Vec<u8>> {
    let mut out = format!("{}:", ctx.peer).into_bytes();
    out.extend_from_slice(&req);
    Some(out)
}

/// Waits until `addr` can be bound again: quinn's endpoint driver lets go of
/// an old socket shortly after it is replaced or its last handle dropped.
pub(crate) async fn wait_for_port(addr: SocketAddr) {
    let mut tries = 0;
    while std::net::UdpSocket::bind(addr).is_err() {
        tries += 1;
        assert!(tries < 200, "port {addr} never came free");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
