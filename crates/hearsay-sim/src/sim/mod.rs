//! One seeded run: the nodes, the virtual clock and the event loop.

mod crash;
mod dispatch;
mod faults;
mod phase;
mod traffic;
mod variant;

use std::collections::BTreeMap;

use hearsay_core::{
    App, AttemptId, Dot, FrontEnd, Replica, ReplicaConfig, ReplicaId, RequestToken, Status, Time,
    VectorTimestamp,
};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::config::SimConfig;
use crate::invariants::durability::BeforeCrash;
use crate::invariants::{Checks, Property};
use crate::net::Network;
use crate::report::{OpStats, ReplicaTotals, SeedReport};
use crate::trace::TraceHash;
use crate::workload::{Client, Workload};
use crash::Durable;
use faults::{FaultEvent, FaultPlan};
use phase::Phase;
use traffic::{Envelope, Node};
use variant::GossipVariant;

/// Events at one virtual instant before the run counts as stuck: far more
/// than any correct run produces, few enough to stop a livelock quickly.
const MAX_EVENTS_AT_ONE_INSTANT: u64 = 200_000;

/// Per client: the context its updates are forged with, if it is one of the
/// forged or orphaned sessions. Half name a replica that is never a member
/// (forged); half name a member's record far beyond anything it will write
/// (orphaned: the replica that served the session died for good).
fn bad_contexts(
    cfg: &SimConfig,
    names: &[ReplicaId],
    rng: &mut StdRng,
) -> Vec<Option<VectorTimestamp>> {
    (0..cfg.clients)
        .map(|_| {
            if !rng.random_bool(cfg.faults.forged_sessions) {
                return None;
            }
            let entry = if rng.random_bool(0.5) {
                let ghost = ReplicaId::new("ghost").expect("a valid replica name");
                (ghost, rng.random_range(1..=100))
            } else {
                let member = names[rng.random_range(0..names.len())].clone();
                (member, 1 << 40)
            };
            Some([entry].into_iter().collect())
        })
        .collect()
}

/// A replica and the client requests it has not answered yet.
#[derive(Debug)]
struct ReplicaNode<A: App> {
    replica: Replica<A>,
    /// Per request token: where the answer goes and what it answers.
    tickets: BTreeMap<RequestToken, Ticket>,
    /// Tokens are per replica and never reused, so a late duplicate request
    /// gets its own ticket.
    next_token: u64,
    /// What survives a crash.
    durable: Durable<A>,
    /// Set while crashed, with what it had then (for the durability check).
    down: Option<BeforeCrash>,
    /// Set when its state changed other than by applying updates one by one
    /// (a restart, a snapshot adopted), until the workload's next look.
    rebased: bool,
}

/// Where a replica's reply to one request goes.
#[derive(Clone, Copy, Debug)]
struct Ticket {
    frontend: usize,
    attempt: AttemptId,
    /// The client and its request number.
    origin: (usize, usize),
    /// A forced query: its answer comes from the forced order (computed at
    /// the primary's tip), not from this replica's state.
    forced_query: bool,
}

/// A front end and which client each of its attempts serves.
#[derive(Debug)]
struct FrontEndNode<A: App> {
    frontend: FrontEnd<A>,
    /// Filled as attempts are sent; a reply is matched to its client here.
    attempts: BTreeMap<AttemptId, usize>,
}

/// What the loop does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Fault(FaultEvent),
    Deliver,
    ReplicaTimer(usize),
    FrontEndTimer(usize),
    ClientWake(usize),
    Phase,
}

/// One run of the simulated cluster under one seed.
#[derive(Debug)]
pub(crate) struct Sim<W: Workload> {
    cfg: SimConfig,
    /// Every replica's configuration (this seed's gossip variant applied),
    /// kept to restart crashed replicas with.
    replica_config: ReplicaConfig,
    /// Whether eager pushes go round a ring rather than to every member.
    ring: bool,
    now: Time,
    phase: Phase,
    /// Separate streams, so that a change in one concern (say, the workload)
    /// leaves the others' draws as they were.
    net_rng: StdRng,
    fault_rng: StdRng,
    client_rng: StdRng,
    /// Replica names by index (`r1`, `r2`, ...); the core speaks in names,
    /// the simulator in indices.
    names: Vec<ReplicaId>,
    /// The inverse of `names`, for routing a replica's `Send { to }`.
    index: BTreeMap<ReplicaId, usize>,
    replicas: Vec<ReplicaNode<W::App>>,
    frontends: Vec<FrontEndNode<W::App>>,
    clients: Vec<Client<W::App>>,
    net: Network<Envelope<W::App>>,
    /// What the clients send, and the app's own value checks.
    workload: W,
    plan: FaultPlan,
    /// Indices of the forced order's voters (empty: no forced order).
    voters: Vec<usize>,
    /// Every record any replica logged, by dot: what an `Applied` output
    /// (which names only the dot) applied, and whether it was granted.
    records: BTreeMap<Dot, (<W::App as App>::Update, bool)>,
    checks: Checks,
    /// Every event in order, for the determinism check.
    trace: TraceHash,
    ops: OpStats,
    /// Events processed, reported so a sweep shows how much it simulated.
    events: u64,
    crashes: u64,
    /// Crashes and partitions that hit the forced order's primary.
    primary_crashes: u64,
    primary_isolations: u64,
}

impl<W: Workload> Sim<W> {
    /// Builds the cluster; `cfg` must be valid.
    pub(crate) fn new(cfg: &SimConfig, seed: u64, workload: W) -> Self {
        let names: Vec<ReplicaId> = (1..=cfg.replicas)
            .map(|i| ReplicaId::new(format!("r{i}")).expect("r<number> is a valid replica name"))
            .collect();
        let index = names.iter().cloned().zip(0..).collect();
        let stream = |k: u64| StdRng::seed_from_u64(seed ^ k.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let variant = if cfg.vary_gossip {
            GossipVariant::draw(&mut stream(4))
        } else {
            GossipVariant::standard()
        };
        let mut fault_rng = stream(2);
        let plan = FaultPlan::new(&cfg.faults, cfg.replicas, &mut fault_rng);
        let joined = names.len() - usize::from(plan.join_at.is_some());
        let voter_names = cfg.voter_names(&names[..joined]);
        let voters = (0..voter_names.len()).collect();
        let mut replica_config = cfg.replica_config(voter_names, stream(7).random());
        variant.apply(&mut replica_config);
        let snapshot_every = stream(5).random_range(1..=64);
        let bad_contexts = bad_contexts(cfg, &names, &mut stream(6));
        let replicas = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let mut replica = Replica::new(
                    name.clone(),
                    replica_config.clone(),
                    workload.initial(),
                    Time::ZERO,
                );
                for peer in &names {
                    replica.add_member(peer.clone());
                }
                // The late joiner knows everyone; nobody knows it yet.
                // Until then it is offline, so it neither gossips nor is
                // gossiped to.
                if plan.join_at.is_some() {
                    if i + 1 < names.len() {
                        replica.remove_member(&names[names.len() - 1]);
                    } else {
                        replica.set_status(Status::Offline);
                    }
                }
                if variant.ring {
                    let next = names[(i + 1) % names.len()].clone();
                    replica.set_push_targets(Some([next].into_iter().collect()));
                }
                ReplicaNode {
                    durable: Durable::new(&replica, snapshot_every),
                    replica,
                    tickets: BTreeMap::new(),
                    next_token: 1,
                    down: None,
                    rebased: false,
                }
            })
            .collect();
        let frontends = (0..cfg.frontends)
            .map(|_| {
                let mut frontend = FrontEnd::new(cfg.frontend_config());
                let joined = names.len() - usize::from(plan.join_at.is_some());
                for name in &names[..joined] {
                    frontend.add_replica(name.clone());
                }
                FrontEndNode {
                    frontend,
                    attempts: BTreeMap::new(),
                }
            })
            .collect();
        let clients = (0..cfg.clients)
            .zip(bad_contexts)
            .map(|(i, bad_context)| {
                let mut client = Client::new(i, cfg.frontends, cfg.ops_per_client);
                client.bad_context = bad_context;
                client
            })
            .collect();
        let mut trace = TraceHash::default();
        trace.event(0, &variant);
        Self {
            ring: variant.ring,
            replica_config,
            now: Time::ZERO,
            phase: Phase::Faults {
                until: Time::ZERO + cfg.timing.max_fault_phase,
            },
            net_rng: stream(1),
            fault_rng,
            client_rng: stream(3),
            net: Network::new(cfg.faults.clone()),
            plan,
            voters,
            records: BTreeMap::new(),
            checks: Checks::new(seed, cfg.replicas, cfg.clients),
            trace,
            ops: OpStats::default(),
            events: 0,
            crashes: 0,
            primary_crashes: 0,
            primary_isolations: 0,
            names,
            index,
            replicas,
            frontends,
            clients,
            workload,
            cfg: cfg.clone(),
        }
    }

    /// Runs both phases to the end and reports.
    pub(crate) fn run(mut self, seed: u64) -> SeedReport {
        let mut at_instant = 0u64;
        if self.clients.iter().all(Client::is_done) {
            self.begin_heal();
        }
        while !matches!(self.phase, Phase::Done { .. }) {
            // Both live phases always have a phase event pending.
            let Some((t, event)) = self.next_event() else {
                break;
            };
            if t > self.now {
                self.now = t;
                at_instant = 0;
            }
            at_instant += 1;
            if at_instant > MAX_EVENTS_AT_ONE_INSTANT {
                let description = format!(
                    "the cluster is stuck: {at_instant} events without virtual time moving (last: {event:?})"
                );
                self.checks
                    .findings
                    .report(self.now, Property::Convergence, description);
                self.phase = Phase::Done { quiet_after: None };
                break;
            }
            self.events += 1;
            self.handle(event);
        }
        self.finish(seed)
    }

    /// The earliest thing to do; ties go to the first kind listed, then to the
    /// lowest index, so the order never depends on anything but the seed.
    fn next_event(&self) -> Option<(Time, Event)> {
        let mut best: Option<(Time, Event)> = None;
        let mut consider = |t: Time, e: Event| {
            if best.is_none_or(|(bt, _)| t < bt) {
                best = Some((t, e));
            }
        };
        if let Some((t, f)) = self.plan.next() {
            consider(t, Event::Fault(f));
        }
        if let Some(t) = self.net.next_time() {
            consider(t, Event::Deliver);
        }
        for (i, r) in self.replicas.iter().enumerate() {
            if r.down.is_none() {
                consider(r.replica.poll_timeout(), Event::ReplicaTimer(i));
            }
        }
        for (i, f) in self.frontends.iter().enumerate() {
            if let Some(t) = f.frontend.poll_timeout() {
                consider(t, Event::FrontEndTimer(i));
            }
        }
        for (i, c) in self.clients.iter().enumerate() {
            if let Some(t) = c.wake {
                consider(t, Event::ClientWake(i));
            }
        }
        match self.phase {
            Phase::Faults { until } => consider(until, Event::Phase),
            Phase::Heal {
                next_check,
                deadline,
                ..
            } => consider(next_check.min(deadline), Event::Phase),
            Phase::Done { .. } => {}
        }
        best
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Fault(f) => self.fault(f),
            Event::Deliver => self.deliver(),
            Event::ReplicaTimer(i) => {
                self.trace
                    .event(self.now.as_micros(), &("timer", Node::Replica(i)));
                self.replicas[i].replica.handle_timeout(self.now);
                self.drain_replica(i);
            }
            Event::FrontEndTimer(i) => {
                self.trace
                    .event(self.now.as_micros(), &("timer", Node::FrontEnd(i)));
                self.frontends[i].frontend.handle_timeout(self.now);
                self.drain_frontend(i, None);
            }
            Event::ClientWake(c) => self.client_wake(c),
            Event::Phase => self.phase_step(),
        }
    }

    /// The replicas currently in the cluster (all but a late joiner that has
    /// not joined yet).
    fn members(&self) -> impl Iterator<Item = ReplicaId> + '_ {
        let joined = self.names.len() - usize::from(self.plan.join_at.is_some());
        self.names[..joined].iter().cloned()
    }

    /// The replica `i` pushes to in a ring.
    fn ring_next(&self, i: usize) -> ReplicaId {
        self.names[(i + 1) % self.names.len()].clone()
    }

    /// Changes a replica's status; front ends hear of it when `tell` (as
    /// through the tracker), otherwise they find out by asking.
    fn set_status(&mut self, i: usize, status: Status, tell: bool) {
        let node = &self.replicas[i];
        if node.down.is_some() || node.replica.status() == status {
            return;
        }
        self.trace
            .event(self.now.as_micros(), &("status", i, status));
        self.replicas[i].replica.set_status(status);
        self.drain_replica(i);
        if tell {
            for f in &mut self.frontends {
                f.frontend.set_replica_status(&self.names[i], status);
            }
        }
    }

    fn finish(mut self, seed: u64) -> SeedReport {
        let healed_in = match self.phase {
            Phase::Done { quiet_after } => quiet_after,
            _ => None,
        };
        if healed_in.is_none() {
            self.checks.findings.report(
                self.now,
                Property::Convergence,
                format!(
                    "gossip did not quiesce within {:?} of healing",
                    self.cfg.timing.max_heal_phase
                ),
            );
        }
        let replicas: Vec<&Replica<W::App>> = self.replicas.iter().map(|r| &r.replica).collect();
        self.checks.end(self.now, &replicas, &self.names);
        let (now, f) = (self.now, &mut self.checks.findings);
        let unchecked_histories = self.workload.finish(&mut |p, d| f.report(now, p, d));
        let mut totals = ReplicaTotals {
            crashes: self.crashes,
            primary_crashes: self.primary_crashes,
            primary_isolations: self.primary_isolations,
            forced_records: self.checks.forced.len() as u64,
            ..ReplicaTotals::default()
        };
        for r in &replicas {
            let s = r.stats();
            totals.duplicate_requests += s.duplicate_requests;
            totals.duplicates_skipped += s.duplicates_skipped;
            totals.queries_held += s.queries_held;
            totals.queries_not_yet += s.queries_not_yet;
            totals.snapshots_adopted += s.snapshots_adopted;
            totals.updates_held += s.updates_held;
            totals.updates_released += s.updates_released;
            totals.updates_not_yet += s.updates_not_yet;
            totals.updates_bad_context += s.updates_bad_context;
        }
        let violation_count = self.checks.findings.total();
        SeedReport {
            seed,
            violations: self.checks.findings.into_kept(),
            violation_count,
            trace_hash: self.trace.value(),
            events: self.events,
            ops: self.ops,
            net: self.net.stats(),
            replicas: totals,
            end: self.now,
            healed_in,
            unchecked_histories,
        }
    }
}
