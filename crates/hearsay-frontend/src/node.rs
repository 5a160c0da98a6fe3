//! [`FrontendNode`]: one front end on the network, started by a builder that
//! owns opening it on its transport, the replica link, serving and HTTP.

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hearsay_activity::Activity;
use hearsay_core::{App, FrontEndConfig, ReplicaId};
use hearsay_transport::{
    CredentialSource, NodeCredentials, OpenError, QuicTransport, Role, ServeConfig, StopSignal,
    StopSwitch, Transport,
};

use crate::actor::{FrontendConfig, FrontendHandle};
use crate::net::{ReplicaAddresses, SocketLink};
use crate::node_error::FrontendNodeError;

/// Bounds each call to a replica; above the routing's attempt timeout so
/// that the routing, not the link, decides when to try elsewhere.
const LINK_TIMEOUT: Duration = Duration::from_secs(3);

/// A front end serving clients and reaching replicas on its transport:
/// QUIC, unless the builder is given another [`Transport`] (the in-memory
/// [`ChannelTransport`](hearsay_transport::ChannelTransport), say).
///
/// ```no_run
/// # async fn run() -> Result<(), hearsay_frontend::FrontendNodeError> {
/// use hearsay_core::testing::KvApp;
/// use hearsay_frontend::FrontendNode;
///
/// let fe = FrontendNode::<KvApp>::builder()
///     .name("fe")
///     .certs_dir("certs")
///     .replica("r1", "127.0.0.1:7501".parse().unwrap())
///     .spawn()
///     .await?;
/// println!("clients connect to {}", fe.addr());
/// fe.shutdown().await;
/// # Ok(()) }
/// ```
pub struct FrontendNode<A: App> {
    name: String,
    addr: SocketAddr,
    http_addr: Option<SocketAddr>,
    handle: FrontendHandle<A>,
    addresses: ReplicaAddresses,
    /// Stops the QUIC and HTTP servers.
    stop: StopSwitch,
}

impl<A> FrontendNode<A>
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    /// A builder for a front end named `fe`, listening on `127.0.0.1:0`.
    pub fn builder() -> FrontendNodeBuilder<A> {
        FrontendNodeBuilder {
            name: "fe".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            credentials: None,
            transport: None,
            replicas: BTreeMap::new(),
            http: None,
            activity: None,
            core: None,
            stop_on: None,
            _app: PhantomData,
        }
    }

    /// The front end's name (the one in its certificate).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where clients reach it (the bound address).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where its status, metrics and activity are served, if they are.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// The routing actor: replicas are added and removed through it.
    pub fn handle(&self) -> &FrontendHandle<A> {
        &self.handle
    }

    /// Where each replica listens, read at every call: update it when a
    /// replica moves (discovery does).
    pub fn addresses(&self) -> &ReplicaAddresses {
        &self.addresses
    }

    /// Its activity log and counters.
    pub fn activity(&self) -> &Activity {
        self.handle.activity()
    }

    /// Stops its servers (clients and HTTP); the routing actor ends when the
    /// last handle to it is dropped.
    pub async fn shutdown(self) {
        self.stop.stop();
        tokio::task::yield_now().await;
    }
}

/// Sets up a [`FrontendNode`]; [`spawn`](Self::spawn) starts it.
pub struct FrontendNodeBuilder<A: App> {
    name: String,
    listen: SocketAddr,
    credentials: Option<CredentialSource>,
    /// `None`: QUIC with the credentials given.
    transport: Option<Arc<dyn Transport>>,
    replicas: BTreeMap<String, SocketAddr>,
    http: Option<SocketAddr>,
    activity: Option<Activity>,
    /// Routing timeouts, when not the defaults.
    core: Option<FrontEndConfig>,
    stop_on: Option<StopSignal>,
    _app: PhantomData<fn() -> A>,
}

impl<A> FrontendNodeBuilder<A>
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    /// The front end's name, also the name in its certificate (default `fe`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Where to listen for clients (default `127.0.0.1:0`).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Loads the node's certificate and key from `dir`.
    pub fn certs_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.credentials = Some(CredentialSource::Dir(dir.into()));
        self
    }

    /// Uses credentials already loaded.
    pub fn credentials(mut self, creds: NodeCredentials) -> Self {
        self.credentials = Some(CredentialSource::Loaded(creds));
        self
    }

    /// Opens the node on `transport` instead of QUIC: for example a
    /// [`ChannelTransport`](hearsay_transport::ChannelTransport) shared by
    /// the nodes of a test, which needs no certificate (those given are
    /// then unused).
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// A replica to route to, and where it listens.
    pub fn replica(mut self, name: impl Into<String>, addr: SocketAddr) -> Self {
        self.replicas.insert(name.into(), addr);
        self
    }

    /// Serves `/v1/status`, `/metrics` and `/v1/activity` over HTTP on `addr`.
    pub fn http(mut self, addr: SocketAddr) -> Self {
        self.http = Some(addr);
        self
    }

    /// Where the node's activity is counted and logged (memory by default).
    pub fn activity(mut self, activity: Activity) -> Self {
        self.activity = Some(activity);
        self
    }

    /// The routing timeouts.
    pub fn routing(mut self, core: FrontEndConfig) -> Self {
        self.core = Some(core);
        self
    }

    /// Stops the node's servers when `signal` completes, as well as on
    /// [`FrontendNode::shutdown`].
    pub fn stop_on(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.stop_on = Some(Box::pin(signal));
        self
    }

    /// Opens the node on its transport and starts the routing actor, the
    /// server for clients and the HTTP server (if asked). Needs a tokio
    /// runtime.
    pub async fn spawn(self) -> Result<FrontendNode<A>, FrontendNodeError> {
        let mut replicas = BTreeMap::new();
        for (name, addr) in self.replicas {
            let id = ReplicaId::new(name.clone()).map_err(|e| FrontendNodeError::ReplicaName {
                name,
                reason: e.to_string(),
            })?;
            replicas.insert(id, addr);
        }
        let transport: Arc<dyn Transport> = match self.transport {
            Some(t) => t,
            None => Arc::new(QuicTransport::new(
                self.credentials.ok_or(FrontendNodeError::NoCredentials)?,
            )),
        };
        let socket = transport
            .open(&self.name, Role::Frontend, self.listen)
            .map_err(|e| match e {
                OpenError::Credentials(e) => FrontendNodeError::Credentials(e),
                OpenError::Bind(e) => FrontendNodeError::Bind(e),
            })?;
        let addr = socket.local_addr();
        let names: Vec<ReplicaId> = replicas.keys().cloned().collect();
        let addresses: ReplicaAddresses = Arc::new(RwLock::new(replicas));
        let link = Arc::new(SocketLink::new(
            socket.clone(),
            addresses.clone(),
            LINK_TIMEOUT,
        ));
        let mut config = FrontendConfig::default();
        if let Some(a) = self.activity {
            config.activity = a;
        }
        if let Some(core) = self.core {
            config.core = core;
        }
        let handle = crate::spawn::<A>(config, names, link);

        let stop = StopSwitch::new(self.stop_on);
        let http_addr = match self.http {
            None => None,
            Some(at) => {
                let router = crate::http::router(self.name.clone(), handle.clone());
                Some(
                    hearsay_activity::serve_http(at, router, stop.stopped())
                        .map_err(|source| FrontendNodeError::Http { addr: at, source })?,
                )
            }
        };
        tokio::spawn(crate::serve_on(
            handle.clone(),
            &*socket,
            ServeConfig::default(),
            Box::pin(stop.stopped()),
        ));
        Ok(FrontendNode {
            name: self.name,
            addr,
            http_addr,
            handle,
            addresses,
            stop,
        })
    }
}
