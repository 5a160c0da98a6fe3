//! The task that owns a [`Replica`] and drives it.

use std::collections::HashMap;
use std::time::Instant;

use hearsay_activity::{Activity, ActivityConfig, Counter};
use hearsay_core::{
    App, ClientReply, Journal, Output, PeerMessage, Replica, ReplicaConfig, ReplicaId,
    RequestToken, Time, UpdateId, VectorTimestamp,
};
use hearsay_wire::node::NodeActivityKind;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, warn};

use crate::store::{Store, StoreError};

use crate::handle::{Input, ReplicaHandle};
use crate::overload::Overload;

/// How a replica server behaves.
#[derive(Clone, Debug)]
pub struct ReplicaServerConfig {
    /// The replica's name.
    pub name: ReplicaId,
    /// The algorithm's tunables.
    pub core: ReplicaConfig,
    /// Client requests in flight before the replica answers "overloaded"
    /// instead of queueing without limit.
    pub max_in_flight: usize,
    /// Inputs queued for the actor; senders wait when it is full.
    pub queue: usize,
    /// Where the replica keeps its state durably; `None` keeps it in memory
    /// only (tests, the simulator's shells).
    pub data_dir: Option<std::path::PathBuf>,
    /// The peers known at start (more can be added through the handle).
    pub members: Vec<ReplicaId>,
    /// Where the replica's activity is counted and logged (`/v1/metrics`,
    /// `/v1/activity`); a memory-only log unless the node gives its own.
    pub activity: Activity,
    /// Called inside the actor for every update applied (benches measure
    /// convergence with it); `None` costs nothing.
    pub on_applied: Option<AppliedHook>,
}

/// A function told of every update a replica applies: the replica and the
/// update's id. It runs inside the replica's actor, so it must be quick.
#[derive(Clone)]
pub struct AppliedHook(pub std::sync::Arc<AppliedFn>);

/// The function inside an [`AppliedHook`].
pub type AppliedFn = dyn Fn(&ReplicaId, UpdateId) + Send + Sync;

impl std::fmt::Debug for AppliedHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppliedHook")
    }
}

impl ReplicaServerConfig {
    /// Defaults for a replica named `name`.
    pub fn new(name: ReplicaId) -> Self {
        Self {
            name,
            core: ReplicaConfig::default(),
            max_in_flight: 4096,
            queue: 8192,
            data_dir: None,
            members: Vec::new(),
            activity: Activity::in_memory(ActivityConfig::default()),
            on_applied: None,
        }
    }
}

/// A peer message the replica wants sent; the caller's network delivers it.
#[derive(Debug)]
pub struct Outbound<A: App> {
    /// The peer.
    pub to: ReplicaId,
    /// The message.
    pub msg: PeerMessage<A>,
}

/// A file in the data directory written at the first start: a voter that
/// finds it recovers its forced order from the other voters.
const STARTED_MARK: &str = "started";

/// Inputs taken in one go before outputs are flushed; batching them lets one
/// gossip message carry many new records.
const BATCH: usize = 256;

/// Starts the replica's actor on the current tokio runtime.
///
/// With a data directory, the replica resumes from what is stored there
/// (`app` is only the starting state of a new directory), and every batch of
/// changes is committed before any reply or gossip leaves. Peer messages
/// leave on `outbound`; when it is full they are dropped (the anti-entropy
/// path repairs any loss) rather than stalling the replica.
pub fn spawn<A>(
    config: ReplicaServerConfig,
    app: A,
    outbound: mpsc::Sender<Outbound<A>>,
) -> Result<ReplicaHandle<A>, StoreError>
where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    let (tx, rx) = mpsc::channel(config.queue.max(1));
    let mut config = config;
    if config.on_applied.is_some() {
        config.core.emit_applied = true;
    }
    let overload = Overload::new(config.max_in_flight);
    let start = Instant::now();
    let (replica, store) = match &config.data_dir {
        None => {
            let mut replica =
                Replica::new(config.name.clone(), config.core.clone(), app, Time::ZERO);
            for m in &config.members {
                replica.add_member(m.clone());
            }
            (replica, None)
        }
        Some(dir) => {
            let store = Store::open(dir, &config.name)?;
            let mut core = config.core.clone();
            core.journal = true;
            let crate::store::Stored { snapshot, records } = store.load::<A>()?;
            let fresh = snapshot.is_none() && records.is_empty();
            let snapshot = snapshot.unwrap_or_else(|| {
                Replica::new(config.name.clone(), core.clone(), app, Time::ZERO).snapshot()
            });
            // A voter keeps its order in memory only: once it has run, a
            // restart must recover it from the others even when no record
            // was stored yet (it may have promised entries). The mark says
            // it has run.
            let mark = dir.join(STARTED_MARK);
            let first_start = fresh && !mark.exists();
            if let Err(e) = std::fs::write(&mark, b"") {
                warn!(replica = %config.name, error = %e, "cannot write {}", mark.display());
            }
            let replica = if first_start {
                // Nothing stored: a new replica, whose voter (if it is one)
                // starts fresh. `restore` would make it a voter that lost
                // its memory and must recover it from the others, and a
                // cluster started from nothing has no one to recover from.
                let mut replica = Replica::new(config.name.clone(), core, snapshot.app, Time::ZERO);
                for m in &config.members {
                    replica.add_member(m.clone());
                }
                replica
            } else {
                Replica::restore(
                    config.name.clone(),
                    core,
                    &config.members,
                    snapshot,
                    records,
                    Time::ZERO,
                )
            };
            if !fresh {
                info!(replica = %config.name, value_ts = %replica.value_ts(), log = replica.log_len(), "resumed from {}", dir.display());
            }
            (replica, Some(store))
        }
    };
    if !config.members.is_empty() {
        let names: Vec<String> = config.members.iter().map(|m| m.to_string()).collect();
        config.activity.record(
            NodeActivityKind::Membership,
            None,
            format!("started with members {}", names.join(", ")),
        );
    }
    let status = replica.status();
    let actor = Actor {
        applied_seen: replica.stats().updates_applied,
        activity: config.activity.clone(),
        replica,
        store,
        start,
        outbound,
        pending: HashMap::new(),
        next_token: 0,
        dropped: 0,
        on_applied: config.on_applied.clone(),
    };
    let task = tokio::spawn(actor.run(rx));
    Ok(ReplicaHandle::new(
        config.name,
        (tx, status),
        overload,
        task,
        config.activity,
    ))
}

struct Actor<A: App> {
    replica: Replica<A>,
    /// Durable storage, when the replica has a data directory.
    store: Option<Store>,
    /// The epoch of this replica's `Time`.
    start: Instant,
    outbound: mpsc::Sender<Outbound<A>>,
    /// Where to send each client reply.
    pending: HashMap<RequestToken, oneshot::Sender<ClientReply<A>>>,
    next_token: u64,
    /// Peer messages dropped because `outbound` was full (logged on change).
    dropped: u64,
    activity: Activity,
    /// The replica's `updates_applied` last reported to `activity`, which
    /// counts per second: only the difference is added.
    applied_seen: u64,
    on_applied: Option<AppliedHook>,
}

impl<A: App> Actor<A>
where
    A: Send + 'static,
{
    fn now(&self) -> Time {
        Time::from_micros(u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    fn instant_of(&self, t: Time) -> Instant {
        self.start + std::time::Duration::from_micros(t.as_micros())
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Input<A>>) {
        loop {
            let wake = self.instant_of(self.replica.poll_timeout());
            tokio::select! {
                input = rx.recv() => {
                    let Some(input) = input else { break };
                    if !self.handle(input) { break; }
                    for _ in 0..BATCH {
                        match rx.try_recv() {
                            Ok(input) => if !self.handle(input) { return; },
                            Err(_) => break,
                        }
                    }
                }
                () = tokio::time::sleep_until(wake.into()) => {}
            }
            let now = self.now();
            if now >= self.replica.poll_timeout() {
                self.replica.handle_timeout(now);
            }
            let applied = self.replica.stats().updates_applied;
            if applied > self.applied_seen {
                self.activity
                    .count(Counter::UpdatesApplied, applied - self.applied_seen);
                self.applied_seen = applied;
            }
            // The outputs leave only through `advance`, after the journal is
            // written: a failed write drops them with the `Ready`.
            let ready = self.replica.ready();
            if let Err(e) = self.persist(ready.journal()) {
                // Nothing more may be acknowledged: stop rather than lie.
                error!(replica = %self.replica.id(), error = %e, "cannot write durable state; stopping the replica");
                break;
            }
            let outputs = self.replica.advance(ready);
            self.flush(outputs);
        }
        debug!(replica = %self.replica.id(), "replica actor stopped");
    }

    /// Handles one input; `false` means stop.
    fn handle(&mut self, input: Input<A>) -> bool {
        let now = self.now();
        match input {
            Input::Client { request, reply } => {
                let token = RequestToken(self.next_token);
                self.next_token += 1;
                self.pending.insert(token, reply);
                self.replica.handle_request(now, token, request);
            }
            Input::Peer { from, msg } => self.replica.handle_peer(now, &from, msg),
            Input::SetStatus(status, done) => {
                let old = self.replica.status();
                self.replica.set_status(status);
                let _ = done.send(old);
            }
            Input::AddMember(peer) => {
                let new = peer != *self.replica.id()
                    && !self.replica.timestamp_table().contains_key(&peer);
                if new {
                    self.activity.membership(peer.as_str(), true);
                }
                self.replica.add_member(peer);
            }
            Input::RemoveMember(peer) => {
                if self.replica.timestamp_table().contains_key(&peer) {
                    self.activity.membership(peer.as_str(), false);
                }
                self.replica.remove_member(&peer);
            }
            Input::Inspect(f) => f(&self.replica, now),
            Input::Shutdown => return false,
        }
        true
    }

    /// Commits what changed, before any output leaves.
    fn persist(&mut self, journal: &Journal<A>) -> Result<(), StoreError> {
        let Some(store) = &mut self.store else {
            return Ok(());
        };
        let due = store.snapshot_due(journal);
        if journal.is_empty() && !due {
            return Ok(());
        }
        let snapshot = due.then(|| {
            // Delete only what the snapshot covers *and* every member has.
            let snap = self.replica.snapshot();
            let horizon = self.replica.log_horizon();
            let prune: VectorTimestamp = snap
                .value_ts
                .iter()
                .map(|(origin, v)| (origin.clone(), v.min(horizon.get(origin))))
                .collect();
            (snap, prune)
        });
        let mut write = || store.write(journal, snapshot.as_ref().map(|(s, p)| (s, p)));
        // A commit waits for the disk. On a multi-threaded runtime, hand this
        // worker's other tasks (other replicas, the front end, the network)
        // to another thread meanwhile; inputs that arrive during the wait
        // make the next batch, and so the next commit, bigger.
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(write),
            _ => write(),
        }
    }

    fn flush(&mut self, outputs: Vec<Output<A>>) {
        for out in outputs {
            match out {
                Output::Send { to, msg } => {
                    if self.outbound.try_send(Outbound { to, msg }).is_err() {
                        self.dropped += 1;
                        if self.dropped.is_power_of_two() {
                            warn!(replica = %self.replica.id(), dropped = self.dropped, "outbound queue full: dropping gossip (anti-entropy will repair)");
                        }
                    }
                }
                Output::Reply { token, reply } => {
                    if let Some(tx) = self.pending.remove(&token) {
                        let _ = tx.send(reply); // the requester may have gone
                    }
                }
                Output::Applied { id, .. } => {
                    if let Some(hook) = &self.on_applied {
                        (hook.0)(self.replica.id(), id);
                    }
                }
            }
        }
    }
}
