//! Starting nodes: certificates, endpoints, replicas and front ends on QUIC.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cluster::ClusterApp;
use anyhow::Context;
use hearsay_activity::{Activity, ActivityConfig};
use hearsay_apps::movies::Movies;
use hearsay_claims::ClaimTally;
use hearsay_core::ReplicaId;
use hearsay_frontend::FrontendNode;
use hearsay_replica::{DataEntry, DataPage, ReplicaHandle, ReplicaNode};
use hearsay_transport::{Connector, ConnectorConfig, EndpointConfig, NodeCredentials, Role};
use tokio::sync::watch;

/// Node names the development certificates cover besides the replicas.
const OTHER_NODES: [(&str, Role); 3] = [
    ("fe", Role::Frontend),
    ("client", Role::Client),
    ("tracker", Role::Tracker),
];

/// Makes development certificates in `dir` when they are missing, saying so
/// on stderr. With no CA there yet, it makes the whole usual set (the
/// replicas r1-r3, `fe`, `client`, `tracker`, and `nodes`); with a CA, only the
/// certificates of `nodes`, the nodes this process runs (each in its role),
/// and only if the CA's key is there. So separate processes starting together
/// never write the same file, and a node given just the CA certificate and its
/// own pair starts without the CA's key.
pub fn ensure_certs(dir: &Path, nodes: &[(&str, Role)]) -> anyhow::Result<()> {
    let first_run = !dir.join(hearsay_transport::certs::CA_CERT_FILE).exists();
    let mut wanted: Vec<(String, Role)> = Vec::new();
    let usual = OTHER_NODES
        .iter()
        .map(|(n, r)| (n.to_string(), *r))
        .chain((1..=3).map(|n| (format!("r{n}"), Role::Replica)));
    // This process's own nodes first: a name given twice keeps their role.
    let candidates = nodes.iter().map(|(n, r)| (n.to_string(), *r));
    for (name, role) in candidates.chain(usual.filter(|_| first_run)) {
        if !wanted.iter().any(|(n, _)| *n == name) {
            wanted.push((name, role));
        }
    }
    let made = hearsay_transport::certs::ensure_dev_certs(dir, &wanted)
        .with_context(|| format!("preparing certificates in {}", dir.display()))?;
    if made {
        eprintln!(
            "hearsay: made development certificates in {} (for real deployments run `hearsay certs init`)",
            dir.display()
        );
    }
    Ok(())
}

/// Loads node `name`'s credentials from `dir`; its certificate must be for `role`.
pub fn credentials(dir: &Path, name: &str, role: Role) -> anyhow::Result<NodeCredentials> {
    NodeCredentials::load_as(dir, name, role)
        .with_context(|| format!("loading the certificate of {name} from {}", dir.display()))
}

/// Stops every node started with it.
#[derive(Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A switch not yet triggered.
    pub fn new() -> Self {
        Self {
            tx: Arc::new(watch::channel(false).0),
        }
    }

    /// Tells every node to stop.
    pub fn trigger(&self) {
        let _ = self.tx.send(true);
    }

    /// Completes once [`trigger`](Self::trigger) was called.
    pub fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }
}

/// Parses `NAME=HOST:PORT`.
pub fn parse_named_addr(s: &str) -> Result<(ReplicaId, SocketAddr), String> {
    let (name, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not NAME=HOST:PORT (for example r2=127.0.0.1:7502)"))?;
    let name = ReplicaId::new(name).map_err(|e| format!("{name:?}: {e}"))?;
    let addr = addr.parse().map_err(|_| {
        format!("{addr:?} is not an address HOST:PORT (for example 127.0.0.1:7502)")
    })?;
    Ok((name, addr))
}

/// The app a replica starts from: the movies (the sample catalog, or
/// MovieLens files from `data`) and no payloads yet.
pub fn load_app(data: Option<&PathBuf>) -> anyhow::Result<ClusterApp> {
    let movies = match data {
        None => Movies::sample(),
        Some(dir) => Movies::from_dir(dir)
            .with_context(|| format!("loading movies from {}", dir.display()))?,
    };
    Ok(ClusterApp::new(movies))
}

/// What a replica needs to start.
pub struct ReplicaSpec {
    /// Its name (also its certificate's name).
    pub name: ReplicaId,
    /// Where it serves QUIC (port 0: one the OS picks).
    pub listen: SocketAddr,
    /// Peers by name; an address may be filled in later through the book.
    pub members: Vec<ReplicaId>,
    /// Peers' addresses known at start.
    pub peers: BTreeMap<ReplicaId, SocketAddr>,
    /// Where its state is kept (`None`: memory only).
    pub data_dir: Option<PathBuf>,
    /// The test-only partition switch.
    pub isolation: crate::faults::Isolation,
    /// Where to serve `/metrics` and `/v1/status` (HTTP), if anywhere.
    pub http: Option<SocketAddr>,
    /// Chance (0 to 1) that it refuses a request as overloaded (the demo's roll).
    pub overload_probability: f64,
    /// Requests in flight past which it answers busy.
    pub max_in_flight: usize,
    /// How it presents claims to its peers.
    pub claims: hearsay_claims::ClaimConfig,
    /// The voters of the forced order (empty: none, forced requests are
    /// refused); the same at every replica of the cluster.
    pub voters: Vec<ReplicaId>,
}

/// A replica serving on QUIC.
pub struct RunningReplica {
    /// Its handle: status, membership, activity.
    pub handle: ReplicaHandle<ClusterApp>,
    /// Where it serves QUIC.
    pub addr: SocketAddr,
    /// Where its metrics are served, if they are.
    pub http_addr: Option<SocketAddr>,
    /// Its peers' addresses; may be filled after start (ports chosen by the OS).
    pub book: hearsay_replica::AddressBook,
    /// The node itself: [`ReplicaNode::shutdown`] stops it.
    pub node: ReplicaNode<ClusterApp>,
}

/// Starts a replica of the cluster app on QUIC, gossiping with `spec.peers`,
/// presenting claims to them, and stopping its servers on `shutdown`.
pub async fn start_replica(
    spec: ReplicaSpec,
    app: ClusterApp,
    certs: &Path,
    shutdown: &Shutdown,
) -> anyhow::Result<RunningReplica> {
    let activity = open_activity(spec.data_dir.as_deref())?;
    // The claim counters are the demo's: they join the node's metrics as
    // its "claims" extension, beside the library's own counters.
    let tally = ClaimTally::register(&activity).context("counting claims")?;
    let mut builder = ReplicaNode::builder(app)
        .name(spec.name.as_str())
        .certs_dir(certs)
        .listen(spec.listen)
        .admission(Arc::new(spec.isolation))
        .max_in_flight(spec.max_in_flight)
        .activity(activity.clone())
        .observer(Arc::new(hearsay_claims::ClaimObserver::new(
            activity,
            tally.clone(),
        )))
        .data_view(cluster_view)
        .stop_on(shutdown.wait());
    if spec.overload_probability > 0.0 {
        let roll = crate::faults::OverloadRoll::new(spec.overload_probability);
        builder = builder.admission(Arc::new(roll));
    }
    for m in spec.members {
        builder = builder.member(m.as_str());
    }
    for (name, addr) in spec.peers {
        builder = builder.peer(name.as_str(), addr);
    }
    if let Some(dir) = spec.data_dir {
        builder = builder.data_dir(dir);
    }
    if !spec.voters.is_empty() {
        builder = builder.voters(spec.voters.iter().map(|v| v.as_str().to_owned()));
    }
    if let Some(at) = spec.http {
        builder = builder.http(at);
    }
    let node = builder
        .spawn()
        .await
        .with_context(|| format!("starting replica {} on {}", spec.name, spec.listen))?;
    tokio::spawn(hearsay_claims::run(
        spec.name.clone(),
        node.handle().clone(),
        tally,
        node.socket().clone(),
        node.book().clone(),
        spec.claims,
        shutdown.wait(),
    ));
    Ok(RunningReplica {
        handle: node.handle().clone(),
        addr: node.addr(),
        http_addr: node.http_addr(),
        book: node.book().clone(),
        node,
    })
}

/// The cluster app's state for `/v1/data` and the tracker's monitor: the
/// ratings, then the payloads, a page at a time.
pub fn cluster_view(app: &ClusterApp, offset: usize, limit: usize) -> DataPage {
    DataPage {
        total: app.view_len() as u64,
        entries: app
            .view()
            .skip(offset)
            .take(limit)
            .map(|(k, v)| DataEntry::new(k, v))
            .collect(),
    }
}

/// A node's activity log: in `dir/activity.redb`, or in memory without a
/// directory.
pub fn open_activity(dir: Option<&Path>) -> anyhow::Result<Activity> {
    match dir {
        Some(d) => Activity::open(d, ActivityConfig::default())
            .with_context(|| format!("opening the activity log in {}", d.display())),
        None => Ok(Activity::in_memory(ActivityConfig::default())),
    }
}

/// Commits what `activity` has queued, off the async threads (at shutdown).
pub async fn flush_activity(activity: &Activity) {
    let a = activity.clone();
    let _ = tokio::task::spawn_blocking(move || a.flush()).await;
}

/// A front end serving on QUIC.
pub struct RunningFrontend {
    /// Where it serves QUIC.
    pub addr: SocketAddr,
    /// Routing: replicas are added and removed through it.
    pub handle: hearsay_frontend::FrontendHandle<ClusterApp>,
    /// Where each replica listens; kept current by discovery.
    pub addresses: hearsay_frontend::ReplicaAddresses,
    /// Where its status, metrics and activity are served, if they are.
    pub http_addr: Option<SocketAddr>,
    /// Its activity log and counters (flushed at shutdown).
    pub activity: Activity,
}

/// Starts a front end named `name` routing to `replicas`, serving HTTP on
/// `http` and keeping its activity log in `data_dir` (memory without one).
pub async fn start_frontend(
    name: &str,
    listen: SocketAddr,
    replicas: BTreeMap<ReplicaId, SocketAddr>,
    (http, data_dir): (Option<SocketAddr>, Option<&Path>),
    certs: &Path,
    shutdown: &Shutdown,
) -> anyhow::Result<RunningFrontend> {
    let activity = open_activity(data_dir)?;
    let mut builder = FrontendNode::<ClusterApp>::builder()
        .name(name)
        .certs_dir(certs)
        .listen(listen)
        .activity(activity.clone())
        .stop_on(shutdown.wait());
    for (replica, addr) in replicas {
        builder = builder.replica(replica.as_str(), addr);
    }
    if let Some(at) = http {
        builder = builder.http(at);
    }
    let node = builder
        .spawn()
        .await
        .with_context(|| format!("starting front end {name} on {listen}"))?;
    Ok(RunningFrontend {
        addr: node.addr(),
        handle: node.handle().clone(),
        addresses: node.addresses().clone(),
        http_addr: node.http_addr(),
        activity,
    })
}

/// A client of the front end at `frontend`, as node `client`.
pub fn connect_client(
    certs: &Path,
    frontend: SocketAddr,
    frontend_name: &str,
) -> anyhow::Result<hearsay_client::Client> {
    let creds = credentials(certs, "client", Role::Client)?;
    hearsay_client::Client::connect(&creds, frontend, frontend_name)
        .context("starting the QUIC client endpoint of client")
}

/// A QUIC client endpoint with node `name`'s certificate (which must be for
/// `role`), bound to a port the system picks (IPv6 if `ipv6`), for reaching
/// other nodes. Needs a tokio runtime.
pub fn client_connector(
    certs: &Path,
    (name, role): (&str, Role),
    ipv6: bool,
) -> anyhow::Result<Connector> {
    let creds = credentials(certs, name, role)?;
    let any: SocketAddr = if ipv6 { "[::]:0" } else { "0.0.0.0:0" }
        .parse()
        .context("the wildcard address")?;
    let endpoint = hearsay_transport::bind_client(any, &creds, &EndpointConfig::default())
        .with_context(|| format!("starting the QUIC client endpoint of {name}"))?;
    Ok(Connector::new(endpoint, ConnectorConfig::default()))
}

/// Completes on ctrl-c (SIGINT) or, on Unix, SIGTERM: how every long-running
/// command is asked to stop.
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
