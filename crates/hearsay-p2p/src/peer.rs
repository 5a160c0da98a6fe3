//! [`Peer`]: one member of the peer network, a replica of `PeerApp<A>`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hearsay_core::{
    App, ClientId, ClientReply, ClientRequest, ReplicaId, UpdateId, VectorTimestamp,
};
use hearsay_replica::{AddressBook, ReplicaHandle, ReplicaNode};
use hearsay_transport::certs::{self, NodeCredentials, Role};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::app::{PeerApp, PeerUpdate};
use crate::config::PeerConfig;
use crate::error::P2pError;
use crate::join::{JoinOutcome, ask_roster};
use crate::name::peer_name;
use crate::roster::{Presence, Roster};
use crate::topology::neighbours;

/// How long an update may wait for the replica to take it (it waits only
/// while catching up from a snapshot).
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(5);

/// One peer: a replica of `PeerApp<A>` on QUIC, its links, and the task
/// that keeps them (re-linking, heartbeats, the crash timeout).
///
/// ```no_run
/// # async fn run() -> Result<(), hearsay_p2p::P2pError> {
/// use hearsay_core::testing::KvApp;
/// use hearsay_p2p::{Peer, PeerConfig};
///
/// let mut peer = Peer::start(PeerConfig::new("certs"), KvApp::default()).await?;
/// println!("listening on {}", peer.addr());
/// let outcome = peer.join(Some("127.0.0.1:7000")).await;
/// eprintln!("{outcome:?}");
/// peer.leave().await;
/// # Ok(()) }
/// ```
pub struct Peer<A: App> {
    node: ReplicaNode<PeerApp<A>>,
    shared: Arc<Shared<A>>,
    config: PeerConfig,
    /// The upkeep task and its stop switch, once joined.
    upkeep: Option<(JoinHandle<()>, watch::Sender<bool>)>,
}

/// What the peer and its upkeep task share.
pub(crate) struct Shared<A: App> {
    pub(crate) me: ReplicaId,
    pub(crate) addr: SocketAddr,
    pub(crate) handle: ReplicaHandle<PeerApp<A>>,
    pub(crate) book: AddressBook,
    pub(crate) connector: std::sync::Arc<dyn hearsay_transport::NodeSocket>,
    /// This peer's update ids are `(client, seq)`: random per start, so
    /// two lives of one peer never reuse an id.
    client: ClientId,
    seq: AtomicU64,
    /// This life's incarnation; raised when the peer finds itself wrongly
    /// withdrawn.
    pub(crate) incarnation: AtomicU64,
    /// The peer list as this peer knows it: the replicated list merged with
    /// what the peer asked at join answered (which the replica may not have
    /// received yet). Only ever grows in the roster's order.
    pub(crate) view: Mutex<Roster>,
    /// Current neighbours (the replica's members).
    pub(crate) links: Mutex<BTreeSet<ReplicaId>>,
    /// Peers withdrawn as crashed that answer heartbeats after all: linked
    /// too, until they have announced themselves again. Without this, two
    /// peers that wrongly withdrew each other (a stall longer than the
    /// crash timeout) would never gossip again: neither links to the other,
    /// so neither learns it was withdrawn.
    pub(crate) revived: Mutex<BTreeSet<ReplicaId>>,
    /// Peers each peer links to after itself.
    pub(crate) k: usize,
}

/// Locks `m`; a poisoned lock only means a holder panicked mid-update of
/// plain data, which stays usable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<A> Peer<A>
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    /// Binds `config.listen`, names the peer after the address it got, takes
    /// its certificate (`<name>.pem` in `config.certs`, or one signed in
    /// memory by the CA key there), and starts its replica of `app`. The
    /// peer is alone until [`join`](Self::join).
    pub async fn start(config: PeerConfig, app: A) -> Result<Self, P2pError> {
        if config.listen.ip().is_unspecified() {
            return Err(P2pError::UnspecifiedListen(config.listen));
        }
        // The name needs the port before the certificate, and the endpoint
        // needs the certificate: learn the port from a probe socket, then
        // bind the endpoint there. (Another process could take the port in
        // between; binding then fails with a clear error.)
        let addr = std::net::UdpSocket::bind(config.listen)
            .and_then(|s| s.local_addr())
            .map_err(|source| P2pError::Bind {
                addr: config.listen,
                source,
            })?;
        let me = peer_name(addr);
        let creds = credentials(&config, &me)?;
        let mut core = config.core.clone();
        core.relay = true;
        let node = ReplicaNode::builder(PeerApp::new(app))
            .name(me.as_str())
            .credentials(creds)
            .listen(addr)
            .core_config(core)
            .spawn()
            .await?;
        let incarnation = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        let shared = Arc::new(Shared {
            me,
            addr: node.addr(),
            handle: node.handle().clone(),
            book: node.book().clone(),
            connector: node.socket().clone(),
            client: ClientId(fresh_client_id()),
            seq: AtomicU64::new(0),
            incarnation: AtomicU64::new(incarnation),
            view: Mutex::new(Roster::default()),
            links: Mutex::new(BTreeSet::new()),
            revived: Mutex::new(BTreeSet::new()),
            k: config.links,
        });
        Ok(Self {
            node,
            shared,
            config,
            upkeep: None,
        })
    }

    /// Joins the network of the peer at `target` (`HOST:PORT`): asks it for
    /// its peer list, adds this peer, links to the neighbours, and
    /// broadcasts this peer's presence. With no target, an invalid one, or
    /// nobody answering within [`PeerConfig::join_timeout`], starts a new
    /// network with only this peer; the outcome says which. Call once.
    pub async fn join(&mut self, target: Option<&str>) -> JoinOutcome {
        let outcome = match target {
            None => JoinOutcome::NewNetwork {
                reason: "no peer to join was given".into(),
            },
            Some(t) => match ask_roster::<A>(
                &*self.shared.connector,
                t,
                self.shared.addr,
                self.config.join_timeout,
            )
            .await
            {
                Ok((via, roster)) => {
                    let peers = roster.here().len();
                    lock(&self.shared.view).merge(&roster);
                    JoinOutcome::Joined { via, peers }
                }
                Err(reason) => JoinOutcome::NewNetwork { reason },
            },
        };
        let me = self.shared.presence(false);
        lock(&self.shared.view).note(&self.shared.me, me);
        self.shared.relink().await;
        info!(peer = %self.shared.me, ?outcome, "joined");
        if let Err(e) = self.shared.announce(me).await {
            tracing::warn!(error = %e, "could not broadcast presence");
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let task = tokio::spawn(crate::upkeep::run(
            self.shared.clone(),
            self.config.clone(),
            stop_rx,
        ));
        self.upkeep = Some((task, stop_tx));
        outcome
    }

    /// The peer's name (from its address).
    pub fn name(&self) -> &ReplicaId {
        &self.shared.me
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The replica node under the peer (handle, wire counters, ...).
    pub fn node(&self) -> &ReplicaNode<PeerApp<A>> {
        &self.node
    }

    /// The peer list as this peer knows it now.
    pub fn roster(&self) -> Roster {
        lock(&self.shared.view).clone()
    }

    /// The peers it is linked with now (its replica's members).
    pub fn links(&self) -> BTreeSet<ReplicaId> {
        lock(&self.shared.links).clone()
    }

    /// Submits `op` to this peer's replica after everything in `prev` (the
    /// session's causal context: what it has seen); the update's timestamp
    /// once taken. It reaches every peer by gossip.
    pub async fn submit(
        &self,
        op: A::Update,
        prev: VectorTimestamp,
    ) -> Result<VectorTimestamp, P2pError> {
        self.shared.submit(PeerUpdate::App(op), prev).await
    }

    /// Runs `f` on the application's state and its value timestamp (what
    /// the state includes), inside the replica; `None` if it has stopped.
    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&A, &VectorTimestamp) -> R + Send + 'static,
    ) -> Option<R> {
        self.shared
            .handle
            .inspect(move |r, _| f(r.app().app(), r.value_ts()))
            .await
    }

    /// Leaves: withdraws this peer's presence, waits (at most
    /// [`PeerConfig::leave_timeout`]) until a neighbour has it, and stops.
    pub async fn leave(mut self) {
        if let Some((task, stop)) = self.upkeep.take() {
            let _ = stop.send(true);
            let _ = task.await;
        }
        let gone = self.shared.presence(true);
        match self.shared.announce(gone).await {
            Ok(ts) => {
                let seq = ts.get(&self.shared.me);
                let deadline = Instant::now() + self.config.leave_timeout;
                while !self.shared.links_have(seq).await && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not withdraw presence"),
        }
        self.node.shutdown().await;
    }

    /// Stops without withdrawing (as a crash would, but in-process): its
    /// neighbours drop it after the crash timeout. For tests and demos.
    pub async fn crash(mut self) {
        if let Some((task, stop)) = self.upkeep.take() {
            let _ = stop.send(true);
            let _ = task.await;
        }
        self.node.shutdown().await;
    }
}

impl<A> Shared<A>
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    /// This peer's entry in this life.
    pub(crate) fn presence(&self, gone: bool) -> Presence {
        Presence {
            incarnation: self.incarnation.load(Ordering::Relaxed),
            gone,
            addr: self.addr,
        }
    }

    /// Broadcasts this peer's `presence` (an update of the list).
    pub(crate) async fn announce(&self, presence: Presence) -> Result<VectorTimestamp, P2pError> {
        let op = PeerUpdate::Presence {
            name: self.me.clone(),
            presence,
        };
        self.submit(op, VectorTimestamp::new()).await
    }

    /// Takes `op` into the replica with a fresh id, retrying (same id) while
    /// it is catching up, within [`SUBMIT_TIMEOUT`].
    pub(crate) async fn submit(
        &self,
        op: PeerUpdate<A::Update>,
        prev: VectorTimestamp,
    ) -> Result<VectorTimestamp, P2pError> {
        let id = UpdateId {
            client: self.client,
            seq: self.seq.fetch_add(1, Ordering::Relaxed) + 1,
        };
        let deadline = Instant::now() + SUBMIT_TIMEOUT;
        loop {
            let request = ClientRequest::Update {
                id,
                prev: prev.clone(),
                op: op.clone(),
            };
            match self.handle.request(request).await {
                ClientReply::Accepted { ts } => return Ok(ts),
                ClientReply::Rejected { reason } => return Err(P2pError::Update(reason)),
                ClientReply::Answer { .. } => {
                    return Err(P2pError::Update("answered as a query".into()));
                }
                ClientReply::Forced { outcome, ts } => {
                    return outcome.map(|()| ts).map_err(P2pError::Update);
                }
                ClientReply::ForcedUnavailable { reason } => {
                    return Err(P2pError::Update(reason));
                }
                ClientReply::Reconfigured { .. } => {
                    return Err(P2pError::Update("answered as a reconfiguration".into()));
                }
                ClientReply::NotYet { .. } | ClientReply::Unavailable { .. } => {
                    if Instant::now() >= deadline {
                        return Err(P2pError::Update(format!(
                            "the replica did not take it within {SUBMIT_TIMEOUT:?}"
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// Re-links after the list changed: the neighbours of this peer on the
    /// list of peers here become the replica's members, and every peer
    /// here's address goes in the book.
    pub(crate) async fn relink(&self) {
        let (want, addrs) = {
            let view = lock(&self.view);
            let mut here = view.here();
            here.insert(self.me.clone());
            let mut want = neighbours(&here, &self.me, self.k);
            let mut revived = lock(&self.revived);
            revived.retain(|p| view.get(p).is_some_and(|x| x.gone));
            want.extend(revived.iter().cloned());
            let addrs: Vec<(ReplicaId, SocketAddr)> = view
                .iter()
                .filter(|(n, p)| (!p.gone || revived.contains(*n)) && **n != self.me)
                .map(|(n, p)| (n.clone(), p.addr))
                .collect();
            (want, addrs)
        };
        {
            // A poisoned lock only means a writer panicked mid-insert.
            let mut book = self.book.write().unwrap_or_else(|e| e.into_inner());
            book.clear();
            book.extend(addrs);
        }
        let (added, removed) = {
            let mut links = lock(&self.links);
            let added: Vec<ReplicaId> = want.difference(&links).cloned().collect();
            let removed: Vec<ReplicaId> = links.difference(&want).cloned().collect();
            *links = want;
            (added, removed)
        };
        if !added.is_empty() || !removed.is_empty() {
            info!(peer = %self.me, ?added, ?removed, "re-linked");
        }
        for p in added {
            self.handle.add_member(p).await;
        }
        for p in removed {
            self.handle.remove_member(p).await;
        }
    }

    /// Whether some neighbour reported having this peer's record `seq`
    /// (or there is no neighbour to wait for).
    async fn links_have(&self, seq: u64) -> bool {
        let me = self.me.clone();
        self.handle
            .inspect(move |r, _| {
                let table = r.timestamp_table();
                table.is_empty() || table.values().any(|ts| ts.get(&me) >= seq)
            })
            .await
            .unwrap_or(true)
    }
}

/// A random session id for this life's updates (from the OS; an id that
/// cannot be read falls back to the clock, still distinct per start).
fn fresh_client_id() -> u64 {
    use rand::TryRngCore;
    rand::rngs::OsRng.try_next_u64().unwrap_or_else(|_| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    })
}

/// The peer's credentials: its own files if the directory has them, else a
/// certificate signed now, in memory, by the CA key there.
fn credentials(config: &PeerConfig, me: &ReplicaId) -> Result<NodeCredentials, P2pError> {
    let dir = &config.certs;
    let made = if certs::cert_path(dir, me.as_str()).exists() {
        NodeCredentials::load_as(dir, me.as_str(), Role::Replica)
    } else {
        certs::issue_in_memory(dir, me.as_str(), Role::Replica)
    };
    made.map_err(|source| P2pError::Certs {
        name: me.to_string(),
        source,
    })
}
