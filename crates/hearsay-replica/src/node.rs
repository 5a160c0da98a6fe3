//! [`ReplicaNode`]: one replica on the network, started by a builder that
//! owns opening it on its transport, gossip, serving and HTTP.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hearsay_activity::Activity;
use hearsay_core::{App, ForcedConfig, ReplicaConfig, ReplicaId};
use hearsay_transport::{
    CredentialSource, NodeCredentials, NodeSocket, OpenError, QuicTransport, Role, ServeConfig,
    StopSignal, StopSwitch, Transport,
};
use tokio::task::JoinHandle;

use crate::actor::{AppliedHook, ReplicaServerConfig};
use crate::admission::{Admission, AllOf};
use crate::data_view::{DataPage, DataView};
use crate::handle::ReplicaHandle;
use crate::net::{AddressBook, GossipSender};
use crate::node_error::NodeError;
use crate::observe::RequestObserver;
use crate::wire_stats::WireCounters;

/// Outbound peer messages queued before the replica drops them (the gossip
/// sender drains this continuously; anti-entropy repairs what is dropped).
const OUTBOUND_QUEUE: usize = 8192;

/// How long the gossip sender gets at shutdown to deliver what it holds.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// A replica on the network: its actor, gossip sender, server and
/// (optionally) HTTP server. The network is QUIC unless the builder is
/// given another [`Transport`] (the in-memory
/// [`ChannelTransport`](hearsay_transport::ChannelTransport), say).
///
/// ```no_run
/// # async fn run() -> Result<(), hearsay_replica::NodeError> {
/// use hearsay_core::testing::KvApp;
/// use hearsay_replica::ReplicaNode;
///
/// let node = ReplicaNode::builder(KvApp::default())
///     .name("r1")
///     .certs_dir("certs")
///     .listen("127.0.0.1:0".parse().unwrap())
///     .peer("r2", "127.0.0.1:7502".parse().unwrap())
///     .spawn()
///     .await?;
/// println!("r1 listens on {}", node.addr());
/// node.shutdown().await;
/// # Ok(()) }
/// ```
pub struct ReplicaNode<A: App> {
    handle: ReplicaHandle<A>,
    addr: SocketAddr,
    http_addr: Option<SocketAddr>,
    book: AddressBook,
    /// The node's place on its transport, shared with whatever else the
    /// node sends from (claims), so peers see one connection.
    socket: Arc<dyn NodeSocket>,
    counters: WireCounters,
    /// The gossip sender, awaited at shutdown so nothing is cut off mid-send.
    sender: JoinHandle<()>,
    /// Stops the QUIC and HTTP servers.
    stop: StopSwitch,
}

impl<A> ReplicaNode<A>
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    /// A builder for a replica of `app` (its initial state).
    pub fn builder(app: A) -> ReplicaNodeBuilder<A> {
        ReplicaNodeBuilder {
            app,
            name: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            credentials: None,
            members: Vec::new(),
            voters: Vec::new(),
            forced: None,
            peers: BTreeMap::new(),
            data_dir: None,
            http: None,
            transport: None,
            admission: Vec::new(),
            max_in_flight: None,
            activity: None,
            observer: None,
            on_applied: None,
            data_view: None,
            counters: WireCounters::default(),
            stop_on: None,
            core: None,
        }
    }

    /// The handle to the running replica (requests, status, snapshots).
    pub fn handle(&self) -> &ReplicaHandle<A> {
        &self.handle
    }

    /// The replica's name.
    pub fn name(&self) -> &ReplicaId {
        self.handle.name()
    }

    /// Where it listens on its transport (the bound address: a real port
    /// even when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where its `/metrics` and `/v1/status` are served, if they are.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// Its peers' addresses, read by the gossip sender at every send: update
    /// it to tell the replica where a peer moved.
    pub fn book(&self) -> &AddressBook {
        &self.book
    }

    /// Its place on its transport: for what the caller sends beside the
    /// replica (claims).
    pub fn socket(&self) -> &Arc<dyn NodeSocket> {
        &self.socket
    }

    /// What its gossip sender has put on the wire.
    pub fn wire_counters(&self) -> &WireCounters {
        &self.counters
    }

    /// A future that completes when the node is told to stop (by
    /// [`shutdown`](Self::shutdown) or the builder's `stop_on`): for tasks
    /// the caller runs beside the node.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        self.stop.stopped()
    }

    /// Tells each of `nodes` where every other one listens (in its
    /// [`book`](Self::book)): for replicas started together on ports the
    /// system picked.
    pub fn introduce(nodes: &[ReplicaNode<A>]) {
        for n in nodes {
            // A poisoned lock only means a writer panicked mid-insert; the
            // map is still a map.
            let mut book = n.book.write().unwrap_or_else(|e| e.into_inner());
            for other in nodes.iter().filter(|o| o.name() != n.name()) {
                book.insert(other.name().clone(), other.addr);
            }
        }
    }

    /// Stops the replica, lets its gossip sender deliver what it holds
    /// (bounded), then stops its QUIC and HTTP servers.
    pub async fn shutdown(self) {
        self.handle.shutdown().await;
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, self.sender).await;
        self.stop.stop();
    }
}

/// Sets up a [`ReplicaNode`]; [`spawn`](Self::spawn) starts it.
pub struct ReplicaNodeBuilder<A: App> {
    app: A,
    name: Option<String>,
    listen: SocketAddr,
    credentials: Option<CredentialSource>,
    /// Peers known by name only: their addresses come later, through the
    /// book (ports the system picks, discovery).
    members: Vec<String>,
    /// The voters of the forced order (issue #13); empty: no forced order,
    /// and forced requests are refused.
    voters: Vec<String>,
    /// The forced order's timers and bounds; defaults when `None`.
    forced: Option<ForcedConfig>,
    peers: BTreeMap<String, SocketAddr>,
    data_dir: Option<PathBuf>,
    http: Option<SocketAddr>,
    /// `None`: QUIC with the credentials given.
    transport: Option<Arc<dyn Transport>>,
    /// The service's policies; all must let a request or message pass.
    admission: Vec<Arc<dyn Admission<A>>>,
    max_in_flight: Option<usize>,
    /// Given by the caller: then gossip is counted in it too.
    activity: Option<Activity>,
    observer: Option<Arc<dyn RequestObserver<A>>>,
    on_applied: Option<AppliedHook>,
    /// Shows the app's state (`/v1/data`, the tracker's monitor); the core's
    /// `App` has no such method, so the embedder gives one if it wants.
    data_view: Option<DataView<A>>,
    counters: WireCounters,
    stop_on: Option<StopSignal>,
    /// The algorithm's tunables, when the caller's topology needs other
    /// ones (relaying over a non-full mesh); the spec's defaults otherwise.
    core: Option<ReplicaConfig>,
}

impl<A> ReplicaNodeBuilder<A>
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    /// The replica's name (required); also the name in its certificate.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Where to listen (default `127.0.0.1:0`: a port the system, or the
    /// transport, picks; [`ReplicaNode::addr`] tells which).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Loads the node's certificate and key from `dir` (files named after
    /// the node, as `hearsay certs init` writes them).
    pub fn certs_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.credentials = Some(CredentialSource::Dir(dir.into()));
        self
    }

    /// Uses credentials already loaded.
    pub fn credentials(mut self, creds: NodeCredentials) -> Self {
        self.credentials = Some(CredentialSource::Loaded(creds));
        self
    }

    /// A peer replica and where it listens. A peer named like this node is
    /// ignored.
    pub fn peer(mut self, name: impl Into<String>, addr: SocketAddr) -> Self {
        self.peers.insert(name.into(), addr);
        self
    }

    /// A peer replica whose address is not known yet: set it later in
    /// [`ReplicaNode::book`].
    pub fn member(mut self, name: impl Into<String>) -> Self {
        self.members.push(name.into());
        self
    }

    /// The voters of the forced order: replicas that order forced updates
    /// and forced queries by Viewstamped Replication (a majority of them
    /// must be up for the order to go on). Every replica of a cluster must
    /// be given the same voters; a replica not among them is a *learner*
    /// that forwards forced requests to the primary. Each voter is also a
    /// member (its address can come later, as for [`member`](Self::member)).
    /// Without voters, forced requests are refused.
    pub fn voters<I, S>(mut self, voters: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.voters = voters.into_iter().map(Into::into).collect();
        self
    }

    /// The forced order's timers and bounds (heartbeat, view-change timeout,
    /// request budget, batch size); its `voters` are replaced by those of
    /// [`voters`](Self::voters). Defaults: [`ForcedConfig::new`].
    pub fn forced_config(mut self, config: ForcedConfig) -> Self {
        self.forced = Some(config);
        self
    }

    /// Keeps the replica's state in redb under `dir`, committed before each
    /// acknowledgement; without it the state is in memory only.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Serves `/metrics`, `/v1/status` and `/v1/activity` over HTTP on `addr`.
    pub fn http(mut self, addr: SocketAddr) -> Self {
        self.http = Some(addr);
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

    /// Adds a policy deciding which client requests the replica takes
    /// ("busy" answers "overloaded") and which peer messages pass, in and
    /// out. Given several times, a request or message passes only if every
    /// policy lets it.
    pub fn admission(mut self, admission: Arc<dyn Admission<A>>) -> Self {
        self.admission.push(admission);
        self
    }

    /// Client requests in flight before the replica answers "overloaded".
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = Some(n);
        self
    }

    /// Where the node's activity is counted and logged (gossip included);
    /// a memory-only log, without gossip counts, by default.
    pub fn activity(mut self, activity: Activity) -> Self {
        self.activity = Some(activity);
        self
    }

    /// Shows every client request from the network to `observer` first.
    pub fn observer(mut self, observer: Arc<dyn RequestObserver<A>>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Calls `hook` for every update the replica applies.
    pub fn on_applied(mut self, hook: AppliedHook) -> Self {
        self.on_applied = Some(hook);
        self
    }

    /// Shows the app's state as key → value text through `view`: served a
    /// page at a time at `GET /v1/data` (and so in the tracker's live
    /// monitor). Without it `/v1/data` answers 404.
    ///
    /// ```
    /// # use hearsay_core::testing::KvApp;
    /// # use hearsay_replica::{DataPage, ReplicaNode};
    /// let builder = ReplicaNode::builder(KvApp::default())
    ///     .data_view(|_app: &KvApp, _offset, _limit| DataPage::default());
    /// # drop(builder);
    /// ```
    pub fn data_view(
        mut self,
        view: impl Fn(&A, usize, usize) -> DataPage + Send + Sync + 'static,
    ) -> Self {
        self.data_view = Some(Arc::new(view));
        self
    }

    /// Counts what the gossip sender puts on the wire in `counters` (shared
    /// with the caller; [`ReplicaNode::wire_counters`] reads them too).
    pub fn wire_counters(mut self, counters: WireCounters) -> Self {
        self.counters = counters;
        self
    }

    /// Stops the node's servers when `signal` completes (ctrl-c, say), as
    /// well as on [`ReplicaNode::shutdown`].
    pub fn stop_on(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.stop_on = Some(Box::pin(signal));
        self
    }

    /// The core's tunables (anti-entropy interval and fanout, relaying,
    /// ...); the defaults of [`ReplicaConfig`] otherwise. A peer network
    /// whose members are not a full mesh sets [`ReplicaConfig::relay`].
    pub fn core_config(mut self, config: ReplicaConfig) -> Self {
        self.core = Some(config);
        self
    }

    /// Opens the node on its transport, opens the state, and starts the
    /// replica, its gossip sender, its server and its HTTP server (if
    /// asked). Needs a tokio runtime.
    pub async fn spawn(self) -> Result<ReplicaNode<A>, NodeError> {
        let raw = self.name.ok_or(NodeError::NoName)?;
        let name = ReplicaId::new(raw.clone()).map_err(|e| NodeError::Name {
            name: raw,
            reason: e.to_string(),
        })?;
        let transport: Arc<dyn Transport> = match self.transport {
            Some(t) => t,
            None => Arc::new(QuicTransport::new(
                self.credentials.ok_or(NodeError::NoCredentials)?,
            )),
        };
        let mut peers = BTreeMap::new();
        for (peer, addr) in self.peers {
            let id = ReplicaId::new(peer.clone()).map_err(|e| NodeError::Name {
                name: peer,
                reason: e.to_string(),
            })?;
            if id != name {
                peers.insert(id, addr);
            }
        }
        let mut members = Vec::with_capacity(self.members.len() + peers.len());
        for m in self.members {
            members.push(ReplicaId::new(m.clone()).map_err(|e| NodeError::Name {
                name: m,
                reason: e.to_string(),
            })?);
        }
        members.extend(peers.keys().cloned());
        let mut voters = Vec::with_capacity(self.voters.len());
        for v in self.voters {
            voters.push(ReplicaId::new(v.clone()).map_err(|e| NodeError::Name {
                name: v,
                reason: e.to_string(),
            })?);
        }
        // Voter messages go to members only: every voter is a peer.
        members.extend(voters.iter().cloned());
        members.retain(|m| *m != name);
        members.sort();
        members.dedup();

        let socket = transport
            .open(name.as_str(), Role::Replica, self.listen)
            .map_err(|e| match e {
                OpenError::Credentials(e) => NodeError::Credentials(e),
                OpenError::Bind(e) => NodeError::Bind(e),
            })?;
        let addr = socket.local_addr();

        let mut config = ReplicaServerConfig::new(name.clone());
        if let Some(core) = self.core {
            config.core = core;
        }
        if let Some(n) = self.max_in_flight {
            config.max_in_flight = n;
        }
        config.data_dir = self.data_dir;
        config.members = members;
        if !voters.is_empty() {
            let mut forced = self.forced.unwrap_or_else(|| ForcedConfig::new(Vec::new()));
            forced.voters = voters;
            if forced.seed == 0 {
                // Recovery nonces must differ across restarts of one voter
                // (a reply to an earlier recovery must not count): the
                // shell, unlike the core, may read the clock.
                forced.seed = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
                    | 1;
            }
            forced.check().map_err(NodeError::Forced)?;
            config.core.forced = Some(forced);
        }
        config.on_applied = self.on_applied;
        let gossip_activity = self.activity.clone();
        if let Some(a) = self.activity {
            config.activity = a;
        }
        let (out_tx, out_rx) = tokio::sync::mpsc::channel(OUTBOUND_QUEUE);
        let mut handle = crate::spawn(config, self.app, out_tx).map_err(NodeError::Store)?;
        if let Some(o) = self.observer {
            handle = handle.with_observer(o);
        }
        if let Some(v) = self.data_view {
            handle = handle.with_data_view(v);
        }
        let admission = AllOf::combine(self.admission);
        if let Some(a) = &admission {
            handle = handle.with_admission(a.clone());
        }

        let stop = StopSwitch::new(self.stop_on);
        let http_addr = match self.http {
            None => None,
            Some(at) => {
                let router = crate::http::router(handle.clone());
                match hearsay_activity::serve_http(at, router, stop.stopped()) {
                    Ok(bound) => Some(bound),
                    Err(source) => {
                        handle.shutdown().await;
                        return Err(NodeError::Http { addr: at, source });
                    }
                }
            }
        };

        let book: AddressBook = Arc::new(RwLock::new(peers));
        let gossip = GossipSender {
            from: name,
            socket: socket.clone(),
            book: book.clone(),
            counters: self
                .counters
                .clone()
                .with_seen(handle.gossip_seen().clone()),
            activity: gossip_activity,
            admission,
        };
        let sender = tokio::spawn(gossip.run(out_rx));
        tokio::spawn(crate::serve_on(
            handle.clone(),
            &*socket,
            ServeConfig::default(),
            Box::pin(stop.stopped()),
        ));
        Ok(ReplicaNode {
            handle,
            addr,
            http_addr,
            book,
            socket,
            counters: self.counters,
            sender,
            stop,
        })
    }
}
