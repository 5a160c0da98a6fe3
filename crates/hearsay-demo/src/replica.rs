//! `hearsay replica`: one replica manager of the demo's `ClusterApp`,
//! optionally joined to a tracker.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_core::ReplicaId;
use hearsay_discovery::TrackerUrl;
use hearsay_wire::tracker::{PeerRole, RegisterPeer};

use crate::discover;
use crate::node::{self, ReplicaSpec, Shutdown};

/// One replica as `hearsay replica` runs it: the binary fills it from its flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// This replica's name (its certificate's name too).
    pub name: ReplicaId,
    /// Where to listen for QUIC (UDP).
    pub listen: SocketAddr,
    /// Peers to gossip with, by name (itself is skipped).
    pub peers: Vec<(ReplicaId, SocketAddr)>,
    /// Chance (0 to 1) of refusing a client request as overloaded.
    pub overload_probability: f64,
    /// Client requests in flight before answering "overloaded".
    pub max_in_flight: usize,
    /// MovieLens-format movies.csv (and ratings.csv) to load instead of the sample.
    pub data: Option<PathBuf>,
    /// Directory of the cluster's certificates (made if missing).
    pub certs: PathBuf,
    /// Where the replica keeps its state (`None`: [`default_data_dir`]).
    pub data_dir: Option<PathBuf>,
    /// Print what the data directory holds and return, without starting.
    pub inspect: bool,
    /// Where to serve HTTP (metrics, status, activity), if anywhere.
    pub http: Option<SocketAddr>,
    /// The tracker to register with and learn gossip peers from.
    pub tracker: Option<TrackerUrl>,
    /// Test-only fault switch: while this file exists the replica drops all
    /// gossip in and out.
    pub isolate_file: Option<PathBuf>,
    /// How it presents claims to its peers.
    pub claims: hearsay_claims::ClaimConfig,
    /// The voters of the forced order (`--voters`); empty: none.
    pub voters: Vec<ReplicaId>,
}

/// The data directory of replica `name` when none is given.
pub fn default_data_dir(name: &ReplicaId) -> PathBuf {
    PathBuf::from(".hearsay").join("data").join(name.as_str())
}

/// Prints what the data directory `dir` of replica `name` holds (`--inspect`).
fn inspect(name: &ReplicaId, dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    if !dir.join(hearsay_replica::store::DB_FILE).exists() {
        anyhow::bail!("{} holds no replica state", dir.display());
    }
    let store = hearsay_replica::store::Store::open(dir, name)?;
    let i = store.inspect::<crate::cluster::ClusterApp>()?;
    println!("data directory   {}", dir.display());
    println!("replica          {}", i.replica);
    println!("format           {}", hearsay_replica::store::FORMAT);
    println!(
        "snapshot covers  {} ({} update ids remembered)",
        i.snapshot_ts, i.snapshot_executed
    );
    println!("records since    {}", i.records);
    println!("stored in all    {}", i.stored_ts);
    Ok(ExitCode::SUCCESS)
}

/// Runs `hearsay replica` until ctrl-c.
pub fn run(args: Options) -> anyhow::Result<ExitCode> {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| default_data_dir(&args.name));
    if args.inspect {
        return inspect(&args.name, &data_dir);
    }
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        node::ensure_certs(
            &args.certs,
            &[(args.name.as_str(), hearsay_transport::Role::Replica)],
        )?;
        let app = node::load_app(args.data.as_ref())?;
        let shutdown = Shutdown::new();
        let peers: BTreeMap<ReplicaId, SocketAddr> = args
            .peers
            .into_iter()
            .filter(|(n, _)| *n != args.name)
            .collect();
        let spec = ReplicaSpec {
            name: args.name.clone(),
            listen: args.listen,
            members: peers.keys().cloned().collect(),
            peers,
            data_dir: Some(data_dir.clone()),
            http: args.http,
            isolation: match args.isolate_file {
                Some(f) => crate::faults::Isolation::following_file(f),
                None => crate::faults::Isolation::default(),
            },
            overload_probability: args.overload_probability,
            max_in_flight: args.max_in_flight,
            claims: args.claims,
            voters: args.voters,
        };
        let fixed = spec.peers.keys().cloned().collect();
        let running = node::start_replica(spec, app, &args.certs, &shutdown).await?;
        // Registered before saying "listening": whoever waits for that line
        // finds the replica in the tracker's list.
        let discovery = match &args.tracker {
            None => None,
            Some(url) => {
                let me = RegisterPeer {
                    name: args.name.to_string(),
                    role: PeerRole::Replica,
                    addr: discover::advertised(running.addr, "--listen")?,
                    http_addr: match running.http_addr {
                        Some(h) => Some(discover::advertised(h, "--http")?),
                        None => None,
                    },
                };
                let status = discover::replica_status(running.handle.clone());
                let d = discover::join(
                    url,
                    &args.certs,
                    me,
                    status,
                    running.handle.activity().clone(),
                )
                .await?;
                discover::gossip_from(
                    &d,
                    args.name.clone(),
                    running.handle.clone(),
                    running.book.clone(),
                    fixed,
                );
                Some(d)
            }
        };
        println!(
            "replica {} listening on {} (QUIC), state in {}",
            args.name,
            running.addr,
            data_dir.display()
        );
        if let Some(h) = running.http_addr {
            println!("replica {} metrics on http://{h}/metrics", args.name);
        }
        if let (Some(url), Some(d)) = (&args.tracker, &discovery) {
            let id = d.registration().map_or(0, |p| p.id);
            println!(
                "replica {} registered with the tracker at {url} (peer id {id})",
                args.name
            );
        }
        node::stop_signal().await;
        eprintln!("replica {}: stopping", args.name);
        if let Some(d) = discovery {
            d.stop().await; // deregisters while the tracker can still be told
        }
        shutdown.trigger();
        let activity = running.handle.activity().clone();
        running.node.shutdown().await;
        node::flush_activity(&activity).await;
        Ok(ExitCode::SUCCESS)
    })
}
