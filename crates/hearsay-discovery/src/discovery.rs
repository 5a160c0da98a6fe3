//! [`Discovery`]: a node's standing with the tracker — registered at start,
//! heartbeating with its status, following the peer list, deregistered at
//! the end.

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hearsay_wire::tracker::{Peer, PeerQuery, RegisterPeer, ReplicaStatus};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tracing::{debug, info, warn};

use crate::client::TrackerClient;
use crate::error::TrackerError;
use crate::membership::{Change, Member, Membership};

/// What a [`StatusFn`] returns.
pub type StatusFuture = Pin<Box<dyn Future<Output = Option<ReplicaStatus>> + Send>>;

/// Reports the node's status for each heartbeat (`None`: report none, as a
/// front end does).
pub type StatusFn = Arc<dyn Fn() -> StatusFuture + Send + Sync>;

/// A [`StatusFn`] that always reports `status`.
pub fn fixed_status(status: Option<ReplicaStatus>) -> StatusFn {
    Arc::new(move || Box::pin(std::future::ready(status)))
}

/// Told of every call discovery makes to the tracker: what it was
/// (`register`, `heartbeat`, `peers`, `deregister`) and its error, if it
/// failed. Nodes count these in their metrics and activity log.
#[derive(Clone)]
pub struct CallHook(pub Arc<CallFn>);

/// The function inside a [`CallHook`].
pub type CallFn = dyn Fn(&'static str, Option<&TrackerError>) + Send + Sync;

impl std::fmt::Debug for CallHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallHook")
    }
}

/// How a node takes part in discovery.
#[derive(Clone, Debug)]
pub struct DiscoveryConfig {
    /// How this node registers: its name, role and addresses.
    pub me: RegisterPeer,
    /// How often to heartbeat; well within the tracker's expiry (5 s).
    pub heartbeat_every: Duration,
    /// How often to fetch the peer list.
    pub poll_every: Duration,
    /// How long [`Discovery::start`] keeps trying to register while the
    /// tracker is not up yet (or an old registration still holds the
    /// address), before giving up.
    pub register_for: Duration,
    /// The first pause between registration attempts; doubled each time.
    pub first_backoff: Duration,
    /// The longest pause between registration attempts.
    pub max_backoff: Duration,
    /// How long to wait for the node's status before heartbeating without it.
    pub status_timeout: Duration,
    /// Told of every tracker call, if set.
    pub on_call: Option<CallHook>,
}

impl DiscoveryConfig {
    /// Tells the hook, if any, of one call.
    fn told(&self, what: &'static str, error: Option<&TrackerError>) {
        if let Some(hook) = &self.on_call {
            (hook.0)(what, error);
        }
    }
}

impl DiscoveryConfig {
    /// Every second a heartbeat and a poll; registration tried for 15 s
    /// (past the tracker's default expiry, so a predecessor's registration
    /// at the same address has expired by then).
    pub fn new(me: RegisterPeer) -> Self {
        Self {
            me,
            heartbeat_every: Duration::from_secs(1),
            poll_every: Duration::from_secs(1),
            register_for: Duration::from_secs(15),
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            status_timeout: Duration::from_millis(500),
            on_call: None,
        }
    }
}

/// Makes a running [`Discovery`] heartbeat now rather than at its next
/// tick, so that a change of the node's status reaches the tracker at once.
/// Cheap to clone; nudges while a heartbeat is already due are merged.
#[derive(Clone, Debug)]
pub struct HeartbeatNudge(Arc<Notify>);

impl HeartbeatNudge {
    /// Asks for a heartbeat as soon as the task is free.
    pub fn nudge(&self) {
        self.0.notify_one();
    }
}

/// A running discovery task. Stop it with [`stop`](Self::stop) to
/// deregister; dropping it stops and deregisters in the background.
pub struct Discovery {
    members: watch::Receiver<Membership>,
    registration: watch::Receiver<Option<Peer>>,
    /// Wakes the task for an early heartbeat.
    nudge: HeartbeatNudge,
    /// `true` (or dropped) stops the task.
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Discovery {
    /// Registers with the tracker — retrying with backoff for up to
    /// `config.register_for` while it is unreachable or the address is
    /// still held by an expiring registration — fetches the peer list once,
    /// and starts heartbeating and polling in the background.
    ///
    /// Fails with the last error when registration did not succeed in time,
    /// or at once when the tracker refused it for good (a wrong token, a
    /// bad name or address).
    pub async fn start(
        client: TrackerClient,
        config: DiscoveryConfig,
        status: StatusFn,
    ) -> Result<Self, TrackerError> {
        let peer = register_with_retry(&client, &config).await?;
        info!(tracker = %client.url(), id = peer.id, name = %peer.name, "registered with the tracker");
        let (members_tx, members) = watch::channel(Membership::default());
        let (registration_tx, registration) = watch::channel(Some(peer.clone()));
        let (stop, stop_rx) = watch::channel(false);
        let nudge = HeartbeatNudge(Arc::new(Notify::new()));
        let mut worker = Worker {
            nudge: nudge.clone(),
            client,
            config,
            status,
            id: Some(peer.id),
            registration: registration_tx,
            members: members_tx,
            reachable: true,
            unresolved: BTreeSet::new(),
        };
        worker.poll().await;
        let task = tokio::spawn(worker.run(stop_rx));
        Ok(Self {
            members,
            registration,
            nudge,
            stop,
            task: Some(task),
        })
    }

    /// The membership, updated when the peer list changes; unchanged while
    /// the tracker cannot be reached. Closed when discovery stops.
    pub fn members(&self) -> watch::Receiver<Membership> {
        self.members.clone()
    }

    /// A handle that makes the task heartbeat at once (say, when the node's
    /// status changed); the status sent is the [`StatusFn`]'s answer then.
    pub fn heartbeat_nudge(&self) -> HeartbeatNudge {
        self.nudge.clone()
    }

    /// This node's registration now (`None` while it is registering again).
    pub fn registration(&self) -> Option<Peer> {
        self.registration.borrow().clone()
    }

    /// Stops heartbeating and polling, deregisters (bounded by the client's
    /// timeout) and waits for the task to end.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Calls `apply` with every change of `members`, starting from an empty
/// view (so the members already there arrive as [`Change::Added`]), until
/// discovery stops.
pub async fn follow<F, Fut>(mut members: watch::Receiver<Membership>, mut apply: F)
where
    F: FnMut(Change) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut seen = Membership::default();
    loop {
        let now = members.borrow_and_update().clone();
        for change in now.changes_from(&seen) {
            apply(change).await;
        }
        seen = now;
        if members.changed().await.is_err() {
            return;
        }
    }
}

/// The first registration: bounded retries with doubling pauses.
async fn register_with_retry(
    client: &TrackerClient,
    config: &DiscoveryConfig,
) -> Result<Peer, TrackerError> {
    let deadline = Instant::now() + config.register_for;
    let mut backoff = config.first_backoff;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let result = client.register(&config.me).await;
        config.told("register", result.as_ref().err());
        match result {
            Ok(peer) => return Ok(peer),
            // 409: a registration of another name still holds the address
            // (a predecessor that was killed); it expires.
            Err(e) if e.is_transient() || e.status() == Some(409) => {
                if Instant::now() + backoff > deadline {
                    warn!(tracker = %client.url(), attempts, error = %e, "giving up registering with the tracker");
                    return Err(e);
                }
                debug!(tracker = %client.url(), error = %e, ?backoff, "registering with the tracker; will try again");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(config.max_backoff);
            }
            Err(e) => return Err(e),
        }
    }
}

/// The background half of [`Discovery`].
struct Worker {
    client: TrackerClient,
    /// Woken for an early heartbeat.
    nudge: HeartbeatNudge,
    config: DiscoveryConfig,
    status: StatusFn,
    /// The tracker's id for this node; `None` after a heartbeat got 404
    /// until registering again succeeds.
    id: Option<u64>,
    registration: watch::Sender<Option<Peer>>,
    members: watch::Sender<Membership>,
    /// Whether the last call reached the tracker, so that failures are
    /// logged once per change rather than every second.
    reachable: bool,
    /// Peers whose address did not resolve, warned about once.
    unresolved: BTreeSet<String>,
}

impl Worker {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let start = Instant::now();
        let mut beat = tokio::time::interval_at(
            start + self.config.heartbeat_every,
            self.config.heartbeat_every,
        );
        beat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut poll =
            tokio::time::interval_at(start + self.config.poll_every, self.config.poll_every);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let nudged = self.nudge.0.clone();
        loop {
            tokio::select! {
                biased;
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
                _ = beat.tick() => self.beat().await,
                () = nudged.notified() => {
                    self.beat().await;
                    // The next regular one a full period after this one.
                    beat.reset();
                }
                _ = poll.tick() => self.poll().await,
            }
        }
        if let Some(id) = self.id {
            let result = self.client.deregister(id).await;
            self.config.told("deregister", result.as_ref().err());
            match result {
                Ok(()) => info!(tracker = %self.client.url(), id, "deregistered from the tracker"),
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    warn!(tracker = %self.client.url(), error = %e, "could not deregister; the tracker will expire this node")
                }
            }
        }
    }

    /// One heartbeat, or one registration attempt when not registered.
    async fn beat(&mut self) {
        let Some(id) = self.id else {
            self.register_once().await;
            return;
        };
        let status = tokio::time::timeout(self.config.status_timeout, (self.status)())
            .await
            .ok()
            .flatten();
        let result = self.client.heartbeat(id, status).await;
        self.config.told("heartbeat", result.as_ref().err());
        match result {
            Ok(()) => self.reached(),
            Err(e) if e.is_not_found() => {
                self.reached();
                info!(tracker = %self.client.url(), id, "the tracker no longer knows this node (expired, or the tracker lost its data); registering again");
                self.id = None;
                self.registration.send_replace(None);
                self.register_once().await;
            }
            Err(e) => self.failed("heartbeat", &e),
        }
    }

    async fn register_once(&mut self) {
        let result = self.client.register(&self.config.me).await;
        self.config.told("register", result.as_ref().err());
        match result {
            Ok(peer) => {
                self.reached();
                info!(tracker = %self.client.url(), id = peer.id, "registered with the tracker again");
                self.id = Some(peer.id);
                self.registration.send_replace(Some(peer));
            }
            Err(e) => self.failed("registering", &e),
        }
    }

    /// Fetches the peer list; on failure the membership stays as it was,
    /// so a tracker that blinks never empties it.
    async fn poll(&mut self) {
        let result = self.client.peers(&PeerQuery::default()).await;
        self.config.told("peers", result.as_ref().err());
        let peers = match result {
            Ok(p) => p,
            Err(e) => {
                self.failed("listing peers", &e);
                return;
            }
        };
        self.reached();
        // A tracker that lost its data hands ids out from the start again, so
        // this node's id may now be another node's, and heartbeats under it
        // succeed for the wrong peer. The list tells: register again when it
        // does not show this node under its id.
        if let Some(id) = self.id {
            let listed = peers
                .iter()
                .any(|p| p.id == id && p.name == self.config.me.name);
            if !listed {
                info!(tracker = %self.client.url(), id, "the peer list does not show this node under its id; registering again");
                self.id = None;
                self.registration.send_replace(None);
                self.register_once().await;
            }
        }
        let mut members = Vec::with_capacity(peers.len());
        let mut unresolved = BTreeSet::new();
        for p in peers {
            if p.name == self.config.me.name {
                continue;
            }
            match resolve(&p.addr).await {
                Some(addr) => members.push(Member {
                    name: p.name,
                    role: p.role,
                    addr,
                    http_addr: p.http_addr,
                    status: p.status,
                }),
                None => {
                    if !self.unresolved.contains(&p.name) {
                        warn!(peer = %p.name, addr = %p.addr, "a peer's address does not resolve; left out");
                    }
                    unresolved.insert(p.name);
                }
            }
        }
        self.unresolved = unresolved;
        let view = Membership::new(members);
        self.members.send_if_modified(|m| {
            if *m == view {
                false
            } else {
                for c in view.changes_from(m) {
                    info!(change = ?c, "membership changed");
                }
                *m = view;
                true
            }
        });
    }

    fn reached(&mut self) {
        if !self.reachable {
            info!(tracker = %self.client.url(), "tracker reachable again");
            self.reachable = true;
        }
    }

    fn failed(&mut self, what: &str, e: &TrackerError) {
        if self.reachable {
            warn!(tracker = %self.client.url(), error = %e, "{what} failed; membership left as it is, will keep trying");
            self.reachable = false;
        } else {
            debug!(tracker = %self.client.url(), error = %e, "{what} failed again");
        }
    }
}

/// A peer's `HOST:PORT`, as the tracker lists it, as a socket address (host
/// names are looked up, bounded by a second); `None` when it does not
/// resolve. Discovery uses it for the peer list, and the tracker's QUIC
/// admin for the replica it asks.
pub async fn resolve(addr: &str) -> Option<SocketAddr> {
    if let Ok(a) = addr.parse() {
        return Some(a);
    }
    tokio::time::timeout(Duration::from_secs(1), tokio::net::lookup_host(addr))
        .await
        .ok()?
        .ok()?
        .next()
}
