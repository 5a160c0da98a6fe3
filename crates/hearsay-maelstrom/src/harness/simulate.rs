//! `simulate`: a Maelstrom-shaped run on a [`Cluster`], with Maelstrom's
//! figures at the end.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::Duration;

use hearsay_core::Time;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::check::check;
use super::cluster::{Cluster, Latency};
use super::forced_check::Evidence;
use super::ops::{OpGen, OpRecord, Outcome, below};
use crate::tuning::Tuning;
use crate::workload::Workload;

/// A run's shape, named after `maelstrom test`'s flags.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// `-w`.
    pub workload: Workload,
    /// `--node-count`.
    pub node_count: usize,
    /// `--concurrency`: clients, each bound to one node (client `i` to node
    /// `i mod node_count`), each with one request out at a time.
    pub concurrency: usize,
    /// `--rate`: requests per second, spaced like Jepsen's `stagger`
    /// (uniform between zero and twice the mean gap).
    pub rate: f64,
    /// `--time-limit`.
    pub time_limit: Duration,
    /// `--latency` and `--latency-dist`, for every message, clients' too.
    pub latency: Latency,
    /// `--nemesis partition`: every `nemesis_interval` a random partition
    /// starts or heals.
    pub partitions: bool,
    /// `--nemesis-interval`.
    pub nemesis_interval: Duration,
    /// Quiet time after healing, before the final reads (Maelstrom waits 10 s).
    pub recovery: Duration,
    /// How long a client waits for a reply before giving up (the op is then
    /// indeterminate and the client reconnects under a new name).
    pub client_timeout: Duration,
    /// Chance that the network loses a message (not Maelstrom's: its network
    /// loses messages only to partitions; for harsher runs).
    pub loss: f64,
    /// Chance that the network delivers a message twice (likewise).
    pub duplicate: f64,
    /// Seeds the network, the clients and the nemesis.
    pub seed: u64,
    /// The nodes' tuning.
    pub tuning: Tuning,
}

impl SimConfig {
    /// Maelstrom's defaults for `workload` on `node_count` nodes: concurrency
    /// one client per node, rate 100/s, 20 s, 100 ms constant latency, no
    /// partitions, 10 s recovery.
    pub fn new(workload: Workload, node_count: usize) -> Self {
        Self {
            workload,
            node_count,
            concurrency: node_count,
            rate: 100.0,
            time_limit: Duration::from_secs(20),
            latency: Latency::Constant(Duration::from_millis(100)),
            partitions: false,
            nemesis_interval: Duration::from_secs(10),
            recovery: Duration::from_secs(10),
            client_timeout: Duration::from_secs(5),
            loss: 0.0,
            duplicate: 0.0,
            seed: 1,
            tuning: Tuning::default(),
        }
    }
}

/// Latency quantiles, Jepsen style: 0, 0.5, 0.95, 0.99 and 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quantiles {
    /// Smallest.
    pub min: Duration,
    /// Median.
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
}

impl Quantiles {
    /// The quantiles of `samples` (all zero when empty).
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let n = samples.len();
        let at = |q: f64| {
            let i = ((q * n as f64) as usize).min(n.saturating_sub(1));
            samples.get(i).copied().unwrap_or_default()
        };
        Self {
            min: at(0.0),
            p50: at(0.5),
            p95: at(0.95),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

impl fmt::Display for Quantiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_millis();
        write!(
            f,
            "{{0 {}, 0.5 {}, 0.95 {}, 0.99 {}, 1 {}}} ms",
            ms(self.min),
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// What a run measured and whether its history checks out.
#[derive(Clone, Debug)]
pub struct SimReport {
    /// The run's shape.
    pub config: SimConfig,
    /// Client operations invoked, final reads included.
    pub ops: usize,
    /// Of those: successful, failed (error reply), indeterminate (timed out).
    pub ok: usize,
    /// Error replies.
    pub fail: usize,
    /// Timed out.
    pub info: usize,
    /// Node-to-node messages sent.
    pub server_msgs: u64,
    /// From invocation to reply, of the successful operations (the client's
    /// view, two client hops included).
    pub latency: Quantiles,
    /// lin-kv: keys whose histories the linearizability search checked, and
    /// how many of them it gave up on (too large to decide; not a failure).
    pub keys_checked: usize,
    /// See `keys_checked`.
    pub keys_undecided: usize,
    /// Forced workloads: operations in the order the voters committed.
    pub ordered: usize,
    /// `server_msgs / ops`: Maelstrom's `:net :servers :msgs-per-op`.
    pub msgs_per_op: f64,
    /// Broadcast only: Maelstrom's `:stable-latencies`, from a message's
    /// acknowledgement to the last read (by invocation) that missed it.
    pub stable_latency: Quantiles,
    /// From the moment an update's origin applied it to the moment the last
    /// node did (the network's view, not a client's).
    pub propagation: Quantiles,
    /// Updates that never reached every node.
    pub unpropagated: usize,
    /// How long after the final heal every update had reached every node
    /// (to 10 ms), or `None` if the recovery period was not enough.
    pub converged_after_heal: Option<Duration>,
    /// Error replies by their text, so failures explain themselves.
    pub errors: BTreeMap<String, usize>,
    /// Node-to-node messages by the core message they carried (`Gossip`,
    /// `Digest`, `Snapshot`), for the message arithmetic.
    pub server_msgs_by_kind: BTreeMap<String, u64>,
    /// Checker findings; empty means valid.
    pub problems: Vec<String>,
}

impl SimReport {
    /// Whether the history checked out.
    pub fn valid(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for SimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        writeln!(
            f,
            "{} on {} nodes, {} clients, rate {}/s, {} s, latency {:?}, partitions: {}",
            c.workload,
            c.node_count,
            c.concurrency,
            c.rate,
            c.time_limit.as_secs_f64(),
            c.latency,
            if c.partitions { "yes" } else { "no" }
        )?;
        writeln!(
            f,
            "ops {} (ok {}, fail {}, info {}); server messages {} -> msgs-per-op {:.2}",
            self.ops, self.ok, self.fail, self.info, self.server_msgs, self.msgs_per_op
        )?;
        let kinds: Vec<String> = self
            .server_msgs_by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(f, "server messages by kind: {}", kinds.join(", "))?;
        for (text, n) in &self.errors {
            writeln!(f, "error x{n}: {text}")?;
        }
        writeln!(f, "latency (ok operations) {}", self.latency)?;
        if c.workload == Workload::Broadcast {
            writeln!(f, "stable-latencies {}", self.stable_latency)?;
        }
        if c.workload.is_forced() {
            writeln!(f, "forced order: {} operations", self.ordered)?;
            if c.workload == Workload::LinKv {
                writeln!(
                    f,
                    "linearizability: {} keys searched, {} too large to decide",
                    self.keys_checked, self.keys_undecided
                )?;
            }
        } else {
            writeln!(
                f,
                "propagation (origin applied -> all applied) {}; never everywhere: {}",
                self.propagation, self.unpropagated
            )?;
            match self.converged_after_heal {
                Some(d) => writeln!(
                    f,
                    "everything everywhere {} ms after the final heal",
                    d.as_millis()
                )?,
                None => writeln!(f, "not everything everywhere by the end of recovery")?,
            }
        }
        if self.valid() {
            write!(f, "valid: true")
        } else {
            write!(f, "valid: false\n  {}", self.problems.join("\n  "))
        }
    }
}

/// One simulated client.
#[derive(Debug)]
struct Client {
    name: String,
    node: String,
    /// The request out: its msg_id, its index in the history, its deadline.
    busy: Option<(u64, usize, Time)>,
}

type Body = serde_json::Map<String, serde_json::Value>;

/// The clients' side of a run: who is busy, what waits, what happened.
struct Run {
    net: Cluster,
    clients: Vec<Client>,
    /// Requests made by the generator that wait for an idle client.
    backlog: VecDeque<Body>,
    history: Vec<OpRecord>,
    rng: StdRng,
    timeout: Duration,
    /// Number for the next reconnecting client's name.
    next_name: usize,
}

impl Run {
    /// Runs the network up to `until`, answering clients as replies arrive.
    fn run_until(&mut self, until: Time) {
        while self.net.step_until(until) {
            self.settle();
        }
        self.expire(self.net.now());
    }

    fn start_op(&mut self, client: usize, request: Body, is_final: bool) {
        let invoke = self.net.now();
        let c = &mut self.clients[client];
        let msg_id = self.net.send(&c.name, &c.node, request.clone());
        self.history.push(OpRecord {
            node: c.node.clone(),
            client: c.name.clone(),
            msg_id,
            request,
            invoke,
            complete: None,
            outcome: Outcome::Pending,
            reply: serde_json::Value::Null,
            is_final,
        });
        c.busy = Some((msg_id, self.history.len() - 1, invoke + self.timeout));
    }

    /// Hands waiting requests to idle clients, chosen at random.
    fn issue(&mut self) {
        while !self.backlog.is_empty() {
            let idle: Vec<usize> = (0..self.clients.len())
                .filter(|&i| self.clients[i].busy.is_none())
                .collect();
            if idle.is_empty() {
                return;
            }
            let Some(request) = self.backlog.pop_front() else {
                return;
            };
            let i = idle[below(&mut self.rng, idle.len())];
            self.start_op(i, request, false);
        }
    }

    /// Matches replies that reached clients to their requests, then gives
    /// the freed clients any waiting requests.
    fn settle(&mut self) {
        let mut freed = false;
        for d in self.net.take_inbox() {
            let Some(c) = self.clients.iter_mut().find(|c| c.name == d.to) else {
                continue;
            };
            let Some((msg_id, idx, _)) = c.busy else {
                continue;
            };
            if d.body
                .get("in_reply_to")
                .and_then(serde_json::Value::as_u64)
                != Some(msg_id)
            {
                continue;
            }
            c.busy = None;
            freed = true;
            let op = &mut self.history[idx];
            op.complete = Some(d.at);
            let error = d.body.get("type").and_then(serde_json::Value::as_str) == Some("error");
            op.outcome = if error { Outcome::Fail } else { Outcome::Ok };
            op.reply = d.body;
        }
        if freed {
            self.issue();
        }
    }

    /// Gives up on requests past their deadline: indeterminate, and the
    /// client reconnects under a new name (a new Jepsen process).
    fn expire(&mut self, now: Time) {
        for c in &mut self.clients {
            if let Some((_, idx, deadline)) = c.busy {
                if now >= deadline {
                    self.history[idx].outcome = Outcome::Info;
                    c.busy = None;
                    c.name = format!("c{}", self.next_name);
                    self.next_name += 1;
                }
            }
        }
    }
}

/// Runs `config` and reports Maelstrom's figures.
pub fn simulate(config: &SimConfig) -> SimReport {
    let mut tuning = config.tuning.clone();
    tuning.emit_applied = true;
    let n = config.node_count.max(1);
    let net = Cluster::with_faults(
        config.workload,
        n,
        tuning,
        config.latency,
        config.loss,
        config.duplicate,
        config.seed,
    );
    let nodes = net.node_ids();
    let clients: Vec<Client> = (0..config.concurrency.max(1))
        .map(|i| Client {
            name: format!("c{}", i + 1),
            node: nodes[i % n].clone(),
            busy: None,
        })
        .collect();
    let mut run = Run {
        net,
        next_name: clients.len() + 1,
        clients,
        backlog: VecDeque::new(),
        history: Vec::new(),
        rng: StdRng::seed_from_u64(config.seed ^ 0x5EED),
        timeout: config.client_timeout,
    };
    let mut requests = OpGen::new(config.workload);

    let start = Time::ZERO + Duration::from_millis(1);
    let end = start + config.time_limit;
    let mean_gap = 1.0 / config.rate.max(1e-6);
    let mut next_op = start + Duration::from_secs_f64(2.0 * mean_gap * run.rng.random::<f64>());
    let mut next_nemesis = start + config.nemesis_interval;
    let mut partitioned = false;

    // The run: requests at the rate, partitions coming and going.
    loop {
        let nemesis = if config.partitions { next_nemesis } else { end };
        run.run_until(next_op.min(nemesis).min(end));
        let now = run.net.now();
        if now >= end {
            break;
        }
        if config.partitions && now >= next_nemesis {
            next_nemesis = next_nemesis + config.nemesis_interval;
            if partitioned {
                run.net.heal();
            } else {
                let groups = random_halves(&nodes, &mut run.rng);
                run.net.partition(&groups);
            }
            partitioned = !partitioned;
        }
        if now >= next_op {
            next_op = next_op + Duration::from_secs_f64(2.0 * mean_gap * run.rng.random::<f64>());
            let request = requests.next(&mut run.rng);
            run.backlog.push_back(request);
            run.issue();
        }
    }

    // Stop making requests, heal, let gossip settle, then read once on
    // every node through a fresh client.
    run.backlog.clear();
    run.net.heal();
    let quiet = end + config.recovery;
    let mut converged_after_heal = None;
    let mut t = end;
    while t < quiet {
        t = (t + Duration::from_millis(10)).min(quiet);
        run.run_until(t);
        if converged_after_heal.is_none() && run.net.propagation().1 == 0 {
            converged_after_heal = Some(t.saturating_since(end));
        }
    }
    if let Some(read) = requests.final_read() {
        let first = run.clients.len();
        for node in &nodes {
            run.clients.push(Client {
                name: format!("final-{node}"),
                node: node.clone(),
                busy: None,
            });
            run.start_op(run.clients.len() - 1, read.clone(), true);
        }
        let deadline = quiet + config.client_timeout;
        while run.net.step_until(deadline) {
            run.settle();
            if run.clients[first..].iter().all(|c| c.busy.is_none()) {
                break;
            }
        }
        run.expire(deadline);
    }

    let evidence = Evidence {
        orders: run.net.forced_orders(),
        ids: run
            .history
            .iter()
            .filter_map(|h| {
                let id = run.net.assigned(&h.client, h.msg_id)?;
                Some(((h.client.clone(), h.msg_id), id))
            })
            .collect(),
    };
    let ordered = evidence
        .orders
        .iter()
        .map(|(_, o)| o.len())
        .max()
        .unwrap_or(0);
    let verdict = check(config.workload, &run.history, &evidence);
    let (spread, unpropagated) = run.net.propagation();
    let history = &run.history;
    let count = |o: Outcome| history.iter().filter(|h| h.outcome == o).count();
    let ops = history.len();
    let mut errors = BTreeMap::new();
    for h in history.iter().filter(|h| h.outcome == Outcome::Fail) {
        let text = h
            .reply
            .get("text")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        let code = h.error_code().map_or_else(|| "?".into(), |c| c.to_string());
        *errors.entry(format!("code {code}: {text}")).or_insert(0) += 1;
    }
    let latency = Quantiles::of(
        history
            .iter()
            .filter(|h| h.outcome == Outcome::Ok)
            .filter_map(|h| Some(h.complete?.saturating_since(h.invoke)))
            .collect(),
    );
    let server_msgs = run.net.server_msgs();
    SimReport {
        config: config.clone(),
        ops,
        ok: count(Outcome::Ok),
        fail: count(Outcome::Fail),
        info: count(Outcome::Info) + count(Outcome::Pending),
        server_msgs,
        msgs_per_op: server_msgs as f64 / ops.max(1) as f64,
        latency,
        keys_checked: verdict.keys_checked,
        keys_undecided: verdict.keys_undecided,
        ordered,
        stable_latency: Quantiles::of(verdict.stable_latencies),
        propagation: Quantiles::of(spread),
        unpropagated,
        converged_after_heal,
        errors,
        server_msgs_by_kind: run.net.server_msgs_by_kind().clone(),
        problems: verdict.problems,
    }
}

/// Two random groups, as Maelstrom's partition nemesis makes most often.
fn random_halves(nodes: &[String], rng: &mut StdRng) -> Vec<Vec<String>> {
    let mut shuffled = nodes.to_vec();
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, below(rng, i + 1));
    }
    let cut = 1 + below(rng, shuffled.len().saturating_sub(1).max(1));
    let rest = shuffled.split_off(cut.min(shuffled.len()));
    vec![shuffled, rest]
}
