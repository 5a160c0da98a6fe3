//! The task that keeps a peer's links: it re-reads the replicated peer
//! list, re-links when it changed, heartbeats every link, and withdraws a
//! linked peer that stopped answering for the crash timeout.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use hearsay_core::{App, ReplicaId};
use hearsay_wire::{ReplicaRequest, ReplicaResponse, decode, encode};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::app::{PeerApp, PeerUpdate};
use crate::config::PeerConfig;
use crate::peer::{Shared, lock};
use crate::topology::successors;

/// Withdrawn peers probed per heartbeat round, at most.
const MAX_PROBES: usize = 4;

/// Runs until `stop` turns true (or the replica stops).
pub(crate) async fn run<A>(
    shared: Arc<Shared<A>>,
    config: PeerConfig,
    mut stop: watch::Receiver<bool>,
) where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let mut tick = tokio::time::interval(config.upkeep_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // When each link last answered a heartbeat (or was made).
    let mut heard: BTreeMap<ReplicaId, Instant> = BTreeMap::new();
    // Links with a heartbeat in flight: one at a time each, so a dead peer
    // costs one pending request, not one per round.
    let mut beating: BTreeSet<ReplicaId> = BTreeSet::new();
    let mut beats: JoinSet<(ReplicaId, bool)> = JoinSet::new();
    let mut last_round = Instant::now();
    // Where the next round's probes of withdrawn peers start.
    let mut probe_cursor = 0usize;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let Some(replicated) = shared.handle.inspect(|r, _| r.app().roster().clone()).await else {
            break; // the replica stopped
        };
        lock(&shared.view).merge(&replicated);
        come_back_if_withdrawn(&shared).await;
        shared.relink().await;

        let now = Instant::now();
        while let Some(done) = beats.try_join_next() {
            if let Ok((peer, ok)) = done {
                beating.remove(&peer);
                let gone = lock(&shared.view).get(&peer).is_some_and(|p| p.gone);
                if gone {
                    // A withdrawn peer answering is alive after all: link it
                    // until it has announced itself again.
                    let mut revived = lock(&shared.revived);
                    if ok && revived.insert(peer.clone()) {
                        info!(peer = %peer, "a peer withdrawn as crashed answers; linking it again");
                    } else if !ok {
                        revived.remove(&peer);
                    }
                } else if ok {
                    heard.insert(peer, now);
                }
            }
        }
        // Each link is watched from the peer that made it (the one before
        // it on the list): every peer is watched by its ten predecessors.
        let (watched, withdrawn) = {
            let view = lock(&shared.view);
            let mut here = view.here();
            here.insert(shared.me.clone());
            let watched: BTreeSet<ReplicaId> = successors(&here, &shared.me, shared.k)
                .into_iter()
                .collect();
            let withdrawn: Vec<ReplicaId> = view
                .iter()
                .filter(|(n, p)| p.gone && **n != shared.me)
                .map(|(n, _)| n.clone())
                .collect();
            (watched, withdrawn)
        };
        heard.retain(|p, _| watched.contains(p));
        for p in &watched {
            heard.entry(p.clone()).or_insert(now);
        }
        if now.duration_since(last_round) >= config.heartbeat_interval {
            last_round = now;
            let mut targets: Vec<(ReplicaId, std::net::SocketAddr)> = Vec::new();
            {
                let view = lock(&shared.view);
                let addr_of = |p: &ReplicaId| view.get(p).map(|x| x.addr);
                for p in &watched {
                    if let Some(a) = addr_of(p) {
                        targets.push((p.clone(), a));
                    }
                }
                // Withdrawn peers, a few per round in turn (they are
                // tombstones forever; most are really gone).
                if !withdrawn.is_empty() {
                    for i in 0..MAX_PROBES.min(withdrawn.len()) {
                        let p = &withdrawn[(probe_cursor + i) % withdrawn.len()];
                        if let Some(a) = addr_of(p) {
                            targets.push((p.clone(), a));
                        }
                    }
                    probe_cursor = (probe_cursor + MAX_PROBES) % withdrawn.len();
                }
            }
            for (peer, addr) in targets {
                if !beating.insert(peer.clone()) {
                    continue; // one heartbeat in flight per peer
                }
                let connector = shared.connector.clone();
                let timeout = config.crash_timeout;
                beats.spawn(async move {
                    let ok = heartbeat::<A>(&*connector, addr, &peer, timeout).await;
                    (peer, ok)
                });
            }
        }
        let crashed: Vec<ReplicaId> = heard
            .iter()
            .filter(|(_, at)| now.duration_since(**at) > config.crash_timeout)
            .map(|(p, _)| p.clone())
            .collect();
        for p in crashed {
            heard.remove(&p);
            withdraw(&shared, &p).await;
        }
    }
    beats.abort_all();
}

/// Asks `peer` at `addr` for its status over the link; `true` if it answered.
async fn heartbeat<A: App>(
    connector: &dyn hearsay_transport::NodeSocket,
    addr: std::net::SocketAddr,
    peer: &ReplicaId,
    timeout: std::time::Duration,
) -> bool {
    let Ok(bytes) = encode(&ReplicaRequest::<PeerApp<A>>::GetStatus) else {
        return false;
    };
    match connector
        .request(addr, peer.as_str(), &bytes, timeout)
        .await
    {
        Ok(answer) => matches!(
            decode::<ReplicaResponse<PeerApp<A>>>(&answer),
            Ok(ReplicaResponse::Status(_))
        ),
        Err(_) => false,
    }
}

/// Withdraws `peer`'s presence (its current incarnation), found crashed.
async fn withdraw<A>(shared: &Shared<A>, peer: &ReplicaId)
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let Some(mut presence) = lock(&shared.view).get(peer).copied() else {
        return;
    };
    if presence.gone {
        return;
    }
    presence.gone = true;
    warn!(peer = %peer, "a linked peer stopped answering; dropping it as crashed");
    lock(&shared.view).note(peer, presence);
    let op = PeerUpdate::Presence {
        name: peer.clone(),
        presence,
    };
    if let Err(e) = shared.submit(op, Default::default()).await {
        warn!(peer = %peer, error = %e, "could not withdraw a crashed peer");
    }
}

/// If the list says this peer is gone in its current life (a neighbour
/// thought it crashed), announces it again, one incarnation up.
async fn come_back_if_withdrawn<A>(shared: &Shared<A>)
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let mine = lock(&shared.view).get(&shared.me).copied();
    let Some(mine) = mine else { return };
    let current = shared.incarnation.load(Ordering::Relaxed);
    if !mine.gone || mine.incarnation < current {
        return;
    }
    shared
        .incarnation
        .store(mine.incarnation + 1, Ordering::Relaxed);
    let presence = shared.presence(false);
    info!(peer = %shared.me, "found itself withdrawn while alive; announcing again");
    lock(&shared.view).note(&shared.me, presence);
    if let Err(e) = shared.announce(presence).await {
        warn!(error = %e, "could not announce again");
    }
}
