//! Discovery for the binary's nodes: joining the tracker, and turning the
//! membership it reports into gossip peers (on a replica) and routing
//! targets (on a front end). Peers given by flags are never removed.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::cluster::ClusterApp;
use anyhow::Context;
use hearsay_activity::Activity;
use hearsay_core::{ReplicaId, Status};
use hearsay_discovery::{
    CallHook, Change, Discovery, DiscoveryConfig, Member, Membership, StatusFn, TrackerClient,
    TrackerUrl, follow,
};
use hearsay_frontend::{FrontendHandle, ReplicaAddresses};
use hearsay_replica::{AddressBook, ReplicaHandle};
use hearsay_wire::tracker::{PeerRole, RegisterPeer};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// Parses `--tracker`.
pub fn parse_tracker_url(s: &str) -> Result<TrackerUrl, String> {
    TrackerUrl::parse(s).map_err(|e| e.to_string())
}

/// The address a node registers: the one it is bound to, which must be one
/// others can reach (not `0.0.0.0` or `::`).
pub fn advertised(addr: SocketAddr, flag: &str) -> anyhow::Result<String> {
    if addr.ip().is_unspecified() {
        anyhow::bail!(
            "{addr} cannot be registered with the tracker: other nodes cannot reach an unspecified address; give {flag} a specific address such as 127.0.0.1"
        );
    }
    Ok(addr.to_string())
}

/// Registers `me` with the tracker at `url` (the admin token comes from
/// `certs`) and starts heartbeating and following the peer list.
pub async fn join(
    url: &TrackerUrl,
    certs: &Path,
    me: RegisterPeer,
    status: StatusFn,
    activity: Activity,
) -> anyhow::Result<Discovery> {
    let token = hearsay_transport::certs::load_admin_token(certs)
        .with_context(|| format!("loading the admin token from {}", certs.display()))?;
    let client = TrackerClient::new(url.clone(), Some(token));
    let name = me.name.clone();
    let mut config = DiscoveryConfig::new(me);
    // Every call is counted; registrations, deregistrations and failures
    // are logged too (routine heartbeats and polls would crowd the log out).
    config.on_call = Some(CallHook(Arc::new(move |what, error| match (what, error) {
        ("heartbeat" | "peers", None) => activity.tracker_call_counted(true),
        (_, None) => activity.tracker_call(true, format!("{what}: ok")),
        (_, Some(e)) => activity.tracker_call(false, format!("{what} failed: {e}")),
    })));
    Discovery::start(client, config, status)
        .await
        .with_context(|| format!("registering {name} with the tracker at {url} (is it running?)"))
}

/// Hands routing the status of every replica in the membership, each time
/// the list changes (membership or status), until discovery stops.
async fn statuses_to_routing(
    mut members: watch::Receiver<Membership>,
    handle: FrontendHandle<ClusterApp>,
) {
    loop {
        let statuses: Vec<(ReplicaId, Status)> = members
            .borrow_and_update()
            .replicas()
            .filter_map(|m| Some((ReplicaId::new(m.name.clone()).ok()?, m.status.into())))
            .collect();
        for (id, status) in statuses {
            handle.tracker_status(id, status).await;
        }
        if members.changed().await.is_err() {
            return;
        }
    }
}

/// A replica's status for its heartbeats, asked of its actor.
pub fn replica_status(handle: ReplicaHandle<ClusterApp>) -> StatusFn {
    Arc::new(move || {
        let handle = handle.clone();
        Box::pin(async move { handle.inspect(|r, _| r.status().into()).await })
    })
}

/// A replica named in the membership, if its name is a replica name.
fn replica_id(m: &Member) -> Option<ReplicaId> {
    match ReplicaId::new(m.name.clone()) {
        Ok(id) => Some(id),
        Err(e) => {
            warn!(peer = %m.name, error = %e, "the tracker lists a replica whose name is not a replica name; ignored");
            None
        }
    }
}

/// What a change means for a node that follows the replicas: one to add
/// (or move), one to drop, or nothing.
fn replica_change(change: Change) -> Option<(bool, Member)> {
    match change {
        Change::Added(m) if m.role == PeerRole::Replica => Some((true, m)),
        Change::Removed(m) if m.role == PeerRole::Replica => Some((false, m)),
        Change::Moved { now, .. } if now.role == PeerRole::Replica => Some((true, now)),
        // It stopped being a replica: as good as gone.
        Change::Moved { before, .. } if before.role == PeerRole::Replica => Some((false, before)),
        _ => None,
    }
}

/// On replica `me`: replicas joining the list become gossip peers (address
/// book and membership); replicas leaving it stop being members (so logs no
/// longer wait for them), except `fixed` ones (from `--peer`), which stay.
/// And a change of `me`'s status is heartbeated to the tracker at once,
/// not at the next tick.
pub fn gossip_from(
    discovery: &Discovery,
    me: ReplicaId,
    handle: ReplicaHandle<ClusterApp>,
    book: AddressBook,
    fixed: BTreeSet<ReplicaId>,
) -> JoinHandle<()> {
    let mut status = handle.status_changes();
    let nudge = discovery.heartbeat_nudge();
    tokio::spawn(async move {
        // Ends when the replica's handles are all gone.
        while status.changed().await.is_ok() {
            nudge.nudge();
        }
    });
    tokio::spawn(follow(discovery.members(), move |change| {
        let (me, handle, book, fixed) = (me.clone(), handle.clone(), book.clone(), fixed.clone());
        async move {
            let Some((joined, m)) = replica_change(change) else {
                return;
            };
            let Some(id) = replica_id(&m) else { return };
            if id == me {
                return;
            }
            if joined {
                if let Ok(mut b) = book.write() {
                    b.insert(id.clone(), m.addr);
                }
                info!(replica = %me, peer = %id, addr = %m.addr, "gossip peer from the tracker");
                handle.add_member(id).await;
            } else if fixed.contains(&id) {
                info!(replica = %me, peer = %id, "peer left the tracker's list; kept (given by --peer)");
            } else {
                info!(replica = %me, peer = %id, "peer left the tracker's list; no longer a gossip peer");
                // Its address stays in the book: gossip queued before the
                // removal still has somewhere to go, and nothing new is sent.
                handle.remove_member(id).await;
            }
        }
    }))
}

/// On a front end: replicas joining the list become routing targets (with
/// their addresses in the link's book); replicas leaving it are no longer
/// routed to, except `fixed` ones (from `--replica`). The status each
/// replica last heartbeated goes to routing as a hint (a replica the list
/// shows online again is asked at once whether it is back).
pub fn route_from(
    discovery: &Discovery,
    handle: FrontendHandle<ClusterApp>,
    addresses: ReplicaAddresses,
    fixed: BTreeSet<ReplicaId>,
) -> JoinHandle<()> {
    tokio::spawn(statuses_to_routing(discovery.members(), handle.clone()));
    tokio::spawn(follow(discovery.members(), move |change| {
        let (handle, addresses, fixed) = (handle.clone(), addresses.clone(), fixed.clone());
        async move {
            let Some((joined, m)) = replica_change(change) else {
                return;
            };
            let Some(id) = replica_id(&m) else { return };
            if joined {
                if let Ok(mut a) = addresses.write() {
                    a.insert(id.clone(), m.addr);
                }
                info!(replica = %id, addr = %m.addr, "routing to a replica from the tracker");
                handle.add_replica(id).await;
            } else if !fixed.contains(&id) {
                info!(replica = %id, "replica left the tracker's list; no longer routed to");
                // Its address stays: an attempt already under way may finish.
                handle.remove_replica(id).await;
            }
        }
    }))
}
