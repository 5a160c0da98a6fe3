//! `hearsay up`: a whole local cluster in one process (tracker, replicas,
//! front end), then the REPL.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use hearsay_core::ReplicaId;
use hearsay_discovery::{TrackerUrl, fixed_status};
use hearsay_wire::tracker::{PeerRole, RegisterPeer};

use crate::discover;
use crate::node::{self, ReplicaSpec, Shutdown};
use crate::tracker;

/// The tracker's port unless `port` is 0 or `tracker_listen` says otherwise.
const TRACKER_PORT: u16 = 7400;

/// The cluster `hearsay up` starts: the binary fills it from its flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many replicas (named r1, r2, ...).
    pub replicas: u16,
    /// Start the cluster and wait for ctrl-c instead of opening the REPL.
    pub no_repl: bool,
    /// Chance (0 to 1) that a replica refuses a request as overloaded.
    pub overload_probability: f64,
    /// The address to listen on.
    pub host: IpAddr,
    /// The front end's port; replicas take the next ones, the front end's
    /// HTTP 7600 and the replicas' 7601 on. 0 lets the system choose every port.
    pub port: u16,
    /// MovieLens-format movies.csv (and ratings.csv) to load instead of the sample.
    pub data: Option<PathBuf>,
    /// Directory of the cluster's certificates (made on first run if missing).
    pub certs: PathBuf,
    /// Where the replicas keep their state, one directory each (and the
    /// tracker its own, `tracker`).
    pub data_dir: PathBuf,
    /// Where the tracker serves HTTP (`None`: the host at port 7400, or a
    /// port the system picks when `port` is 0).
    pub tracker_listen: Option<SocketAddr>,
    /// How every replica presents claims to its peers.
    pub claims: hearsay_claims::ClaimConfig,
    /// The voters of the forced order (`--voters`); `None`: the first
    /// three replicas (r1..r3, or all when fewer); empty: no forced order.
    pub voters: Option<Vec<ReplicaId>>,
    /// The REPL's settings (unused with `no_repl`).
    pub repl: crate::repl::Options,
}

/// Runs `hearsay up`.
pub fn run(args: Options) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let names: Vec<ReplicaId> = (1..=args.replicas)
            .map(|i| ReplicaId::new(format!("r{i}")))
            .collect::<Result<_, _>>()
            .context("replica names")?;
        let voters: Vec<ReplicaId> = match &args.voters {
            None => names.iter().take(3).cloned().collect(),
            Some(v) => v.clone(),
        };
        if let Some(stranger) = voters.iter().find(|v| !names.contains(v)) {
            anyhow::bail!(
                "--voters names {stranger}, which is not one of this cluster's replicas (r1..r{})",
                args.replicas
            );
        }
        let name_strings: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut nodes: Vec<(&str, hearsay_transport::Role)> = name_strings.iter().map(|n| (n.as_str(), hearsay_transport::Role::Replica)).collect();
        nodes.extend([("fe", hearsay_transport::Role::Frontend), ("client", hearsay_transport::Role::Client), ("tracker", hearsay_transport::Role::Tracker)]);
        node::ensure_certs(&args.certs, &nodes)?;
        let app = node::load_app(args.data.as_ref())?;
        let shutdown = Shutdown::new();
        let port_of = |i: u16| if args.port == 0 { 0 } else { args.port.saturating_add(i) };
        let in_use = |what: String| move |e: anyhow::Error| {
            e.context(format!("{what} (is another cluster running? scripts/stop-cluster.sh stops one; --port picks others)"))
        };
        // The tracker first, so that every node can register as it starts.
        let tracker_at = args.tracker_listen.unwrap_or_else(|| {
            SocketAddr::new(args.host, if args.port == 0 { 0 } else { TRACKER_PORT })
        });
        let tracker = tracker::open(&args.certs, &args.data_dir.join("tracker"), Duration::from_secs(5))?;
        let listener = tokio::net::TcpListener::bind(tracker_at)
            .await
            .map_err(anyhow::Error::from)
            .map_err(in_use(format!("starting the tracker on {tracker_at}")))?;
        let tracker_url = TrackerUrl::from(listener.local_addr().context("reading the tracker's address")?);
        let tracker_task = tokio::spawn(hearsay_tracker::serve(tracker, listener, shutdown.wait()));
        let mut replicas = BTreeMap::new();
        for (i, name) in names.iter().enumerate() {
            let spec = ReplicaSpec {
                name: name.clone(),
                listen: SocketAddr::new(args.host, port_of(i as u16 + 1)),
                members: names.iter().filter(|n| *n != name).cloned().collect(),
                peers: BTreeMap::new(),
                data_dir: Some(args.data_dir.join(name.as_str())),
                isolation: crate::faults::Isolation::default(),
                http: Some(SocketAddr::new(args.host, if args.port == 0 { 0 } else { 7601 + i as u16 })),
                overload_probability: args.overload_probability,
                max_in_flight: 4096,
                claims: args.claims.clone(),
                voters: voters.clone(),
            };
            let running = node::start_replica(spec, app.clone(), &args.certs, &shutdown)
                .await
                .map_err(in_use(format!("starting replica {name}")))?;
            replicas.insert(name.clone(), running);
        }
        let addrs: BTreeMap<ReplicaId, SocketAddr> = replicas.iter().map(|(n, r)| (n.clone(), r.addr)).collect();
        for (name, r) in &replicas {
            if let Ok(mut book) = r.book.write() {
                book.extend(addrs.iter().filter(|(n, _)| *n != name).map(|(n, a)| (n.clone(), *a)));
            }
        }
        let fe_http = SocketAddr::new(args.host, if args.port == 0 { 0 } else { 7600 });
        let fe_data = args.data_dir.join("fe");
        let fe = node::start_frontend("fe", SocketAddr::new(args.host, port_of(0)), addrs.clone(), (Some(fe_http), Some(&fe_data)), &args.certs, &shutdown)
            .await
            .map_err(in_use("starting the front end".into()))?;
        let mut discoveries = Vec::new();
        let fixed: BTreeSet<ReplicaId> = addrs.keys().cloned().collect();
        for (name, r) in &replicas {
            let me = RegisterPeer {
                name: name.to_string(),
                role: PeerRole::Replica,
                addr: discover::advertised(r.addr, "--host")?,
                http_addr: r.http_addr.map(|h| h.to_string()),
            };
            let d = discover::join(&tracker_url, &args.certs, me, discover::replica_status(r.handle.clone()), r.handle.activity().clone()).await?;
            discover::gossip_from(&d, name.clone(), r.handle.clone(), r.book.clone(), fixed.clone());
            discoveries.push(d);
        }
        let me = RegisterPeer {
            name: "fe".into(),
            role: PeerRole::Frontend,
            addr: discover::advertised(fe.addr, "--host")?,
            http_addr: fe.http_addr.map(|h| h.to_string()),
        };
        let d = discover::join(&tracker_url, &args.certs, me, fixed_status(None), fe.activity.clone()).await?;
        discover::route_from(&d, fe.handle.clone(), fe.addresses.clone(), fixed.clone());
        discoveries.push(d);
        eprintln!("hearsay: cluster up in {} ms", started.elapsed().as_millis());
        eprintln!("  tracker       {tracker_url}");
        eprintln!("  monitor: {tracker_url}/monitor");
        match fe.http_addr {
            Some(h) => eprintln!("  front end fe  {} (QUIC), status http://{h}/v1/status", fe.addr),
            None => eprintln!("  front end fe  {} (QUIC)", fe.addr),
        }
        for (n, r) in &replicas {
            match r.http_addr {
                Some(h) => eprintln!("  replica {n:<4}  {} (QUIC), metrics http://{h}/metrics", r.addr),
                None => eprintln!("  replica {n:<4}  {} (QUIC)", r.addr),
            }
        }
        let code = if args.no_repl {
            eprintln!("hearsay: press ctrl-c to stop");
            node::stop_signal().await;
            ExitCode::SUCCESS
        } else {
            let client = node::connect_client(&args.certs, fe.addr, "fe")?;
            tokio::select! {
                code = crate::repl::run_session(client, args.repl.clone(), Some(tracker_url.clone())) => code?,
                () = node::stop_signal() => ExitCode::SUCCESS,
            }
        };
        // Deregister while the tracker still runs, then stop everything.
        for d in discoveries {
            d.stop().await;
        }
        // Replicas first and all at once: each lets its gossip drain while
        // the others still serve (stopping every server first left each
        // sender waiting out its grace period on peers that no longer
        // answer, about 3 s and a warning per peer at every `quit`).
        let mut stopping = tokio::task::JoinSet::new();
        for (_, r) in replicas {
            stopping.spawn(async move {
                let activity = r.handle.activity().clone();
                r.node.shutdown().await;
                node::flush_activity(&activity).await;
            });
        }
        while stopping.join_next().await.is_some() {}
        shutdown.trigger();
        if let Ok(Err(e)) = tracker_task.await {
            eprintln!("hearsay: the tracker stopped with an error: {e}");
        }
        node::flush_activity(&fe.activity).await;
        Ok(code)
    })
}
