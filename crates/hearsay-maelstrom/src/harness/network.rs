//! `Network`: Maelstrom nodes wired through an in-memory network on a
//! virtual clock, with latency and partitions.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::time::Duration;

use hearsay_core::{Dot, Time};
use serde_json::{Map, Value};

use super::rng::Rng;
use crate::node::Node;
use crate::tuning::Tuning;
use crate::workload::Workload;

/// How long one message spends in the network, as Maelstrom's
/// `--latency-dist` draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latency {
    /// Every message takes exactly this long (Maelstrom's default).
    Constant(Duration),
    /// Uniform between zero and twice this mean (messages may overtake).
    Uniform(Duration),
    /// Exponential with this mean (messages may overtake).
    Exponential(Duration),
}

impl Latency {
    fn sample(self, rng: &mut Rng) -> Duration {
        match self {
            Self::Constant(d) => d,
            Self::Uniform(mean) => mean.mul_f64(2.0 * rng.unit()),
            Self::Exponential(mean) => mean.mul_f64(-(1.0 - rng.unit()).ln()),
        }
    }
}

/// A message that reached a client.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivered {
    /// When it arrived.
    pub at: Time,
    /// The node that sent it.
    pub from: String,
    /// The client it is for.
    pub to: String,
    /// Its body.
    pub body: Value,
}

#[derive(Debug)]
enum Event {
    Deliver {
        from: String,
        to: String,
        line: String,
    },
    Timer {
        node: String,
    },
}

/// An event at a time; `seq` keeps equal times in sending order.
#[derive(Debug)]
struct Scheduled {
    at: Time,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Debug)]
struct Slot {
    node: Node,
    /// The timer event scheduled for this node, so stale ones are skipped.
    timer: Option<Time>,
}

/// How far one update got, for propagation figures.
#[derive(Clone, Copy, Debug, Default)]
struct Spread {
    /// When its origin applied it.
    origin_at: Option<Time>,
    /// How many nodes applied it.
    nodes: usize,
    /// When the last of them did.
    last_at: Time,
}

/// Nodes `n0..` and any number of clients, joined by a simulated network.
///
/// Time is virtual: [`step_until`](Self::step_until) jumps to the next
/// delivery or timer. Every node-to-node message is counted when sent (as
/// Maelstrom's `msgs-per-op` does) and dropped on arrival if a partition
/// separates its ends (as Maelstrom drops it). Clients are never partitioned.
#[derive(Debug)]
pub struct Network {
    now: Time,
    nodes: BTreeMap<String, Slot>,
    queue: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
    latency: Latency,
    rng: Rng,
    /// Directed pairs `(from, to)` whose messages are dropped.
    cut: BTreeSet<(String, String)>,
    server_msgs: u64,
    server_msgs_by_kind: BTreeMap<String, u64>,
    dropped: u64,
    inbox: Vec<Delivered>,
    spread: BTreeMap<Dot, Spread>,
    last_client_msg_id: u64,
}

impl Network {
    /// `count` nodes named `n0`, `n1`, ... serving `workload`, each sent
    /// `init` at time zero (its `init_ok` is discarded).
    pub fn new(
        workload: Workload,
        count: usize,
        tuning: Tuning,
        latency: Latency,
        seed: u64,
    ) -> Self {
        let ids: Vec<String> = (0..count).map(|i| format!("n{i}")).collect();
        let mut net = Self {
            now: Time::ZERO,
            nodes: BTreeMap::new(),
            queue: BinaryHeap::new(),
            seq: 0,
            latency,
            rng: Rng::new(seed),
            cut: BTreeSet::new(),
            server_msgs: 0,
            server_msgs_by_kind: BTreeMap::new(),
            dropped: 0,
            inbox: Vec::new(),
            spread: BTreeMap::new(),
            last_client_msg_id: 0,
        };
        for id in &ids {
            let mut node = Node::new(workload, tuning.clone());
            let init = serde_json::json!({
                "src": "c0", "dest": id,
                "body": {"type": "init", "msg_id": 1, "node_id": id, "node_ids": ids},
            });
            let _ = node.handle_line(Time::ZERO, &init.to_string());
            net.nodes.insert(id.clone(), Slot { node, timer: None });
            net.reschedule(id, false);
        }
        net
    }

    /// The virtual time.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The node ids, ascending.
    pub fn node_ids(&self) -> Vec<String> {
        self.nodes.keys().cloned().collect()
    }

    /// The node `id`, to inspect or drive by hand.
    pub fn node_mut(&mut self, id: &str) -> Option<&mut Node> {
        self.nodes.get_mut(id).map(|s| &mut s.node)
    }

    /// Node-to-node messages sent so far.
    pub fn server_msgs(&self) -> u64 {
        self.server_msgs
    }

    /// Node-to-node messages by the core message inside (`Gossip`, ...).
    pub fn server_msgs_by_kind(&self) -> &BTreeMap<String, u64> {
        &self.server_msgs_by_kind
    }

    /// Node-to-node messages a partition dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Sends a request from `client` to `node`; returns its `msg_id`.
    pub fn send(&mut self, client: &str, node: &str, mut body: Map<String, Value>) -> u64 {
        self.last_client_msg_id += 1;
        let msg_id = self.last_client_msg_id;
        body.insert("msg_id".into(), Value::from(msg_id));
        let line = serde_json::json!({"src": client, "dest": node, "body": body}).to_string();
        self.send_line(client, node, line);
        msg_id
    }

    /// Drops messages between the groups (each a list of node ids) until
    /// [`heal`](Self::heal); nodes in no group can reach everyone.
    pub fn partition(&mut self, groups: &[Vec<String>]) {
        for (i, a) in groups.iter().enumerate() {
            for (j, b) in groups.iter().enumerate() {
                if i == j {
                    continue;
                }
                for x in a {
                    for y in b {
                        self.cut.insert((x.clone(), y.clone()));
                    }
                }
            }
        }
    }

    /// Ends every partition.
    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// Replies that reached clients since the last call.
    pub fn take_inbox(&mut self) -> Vec<Delivered> {
        std::mem::take(&mut self.inbox)
    }

    /// Runs the next event if it is due by `until`, and returns `true`;
    /// otherwise moves the clock to `until` and returns `false`.
    pub fn step_until(&mut self, until: Time) -> bool {
        let due = self.queue.peek().is_some_and(|Reverse(s)| s.at <= until);
        if !due {
            self.now = self.now.max(until);
            return false;
        }
        let Some(Reverse(s)) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(s.at);
        match s.event {
            Event::Deliver { from, to, line } => self.deliver(from, to, line),
            Event::Timer { node } => self.fire(&node, s.at),
        }
        true
    }

    /// Runs every event due by `until`, then sets the clock to it.
    pub fn run_until(&mut self, until: Time) {
        while self.step_until(until) {}
    }

    /// Per update applied by every node: how long after its origin applied
    /// it the last node did. Also how many updates have not reached every
    /// node yet.
    pub fn propagation(&self) -> (Vec<Duration>, usize) {
        let n = self.nodes.len();
        let mut done = Vec::new();
        let mut pending = 0;
        for s in self.spread.values() {
            match s.origin_at {
                Some(origin) if s.nodes >= n => done.push(s.last_at.saturating_since(origin)),
                _ => pending += 1,
            }
        }
        (done, pending)
    }

    fn send_line(&mut self, from: &str, to: &str, line: String) {
        let at = self.now + self.latency.sample(&mut self.rng);
        self.push(
            at,
            Event::Deliver {
                from: from.to_owned(),
                to: to.to_owned(),
                line,
            },
        );
    }

    fn push(&mut self, at: Time, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled {
            at,
            seq: self.seq,
            event,
        }));
    }

    fn deliver(&mut self, from: String, to: String, line: String) {
        if !self.nodes.contains_key(&to) {
            let body = serde_json::from_str::<Value>(&line)
                .ok()
                .and_then(|mut v| v.get_mut("body").map(Value::take))
                .unwrap_or(Value::Null);
            self.inbox.push(Delivered {
                at: self.now,
                from,
                to,
                body,
            });
            return;
        }
        if self.cut.contains(&(from.clone(), to.clone())) {
            self.dropped += 1;
            return;
        }
        let now = self.now;
        let Some(slot) = self.nodes.get_mut(&to) else {
            return;
        };
        let out = slot.node.handle_line(now, &line);
        self.after(&to, out, false);
    }

    fn fire(&mut self, node: &str, at: Time) {
        let now = self.now;
        let Some(slot) = self.nodes.get_mut(node) else {
            return;
        };
        if slot.timer != Some(at) {
            return; // superseded
        }
        slot.timer = None;
        let out = slot.node.handle_timeout(now);
        self.after(node, out, true);
    }

    /// Routes a node's output, notes what it applied, and re-arms its timer.
    fn after(&mut self, node: &str, out: Vec<String>, from_timer: bool) {
        for line in out {
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let Some(dest) = v.get("dest").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            if self.nodes.contains_key(&dest) {
                self.server_msgs += 1;
                let kind = match v.pointer("/body/msg") {
                    Some(Value::Object(m)) => m.keys().next().cloned(),
                    _ => None,
                };
                let kind = kind.unwrap_or_else(|| {
                    let t = v.pointer("/body/type").and_then(Value::as_str);
                    t.unwrap_or("?").to_owned()
                });
                *self.server_msgs_by_kind.entry(kind).or_insert(0) += 1;
            }
            self.send_line(node, &dest, line);
        }
        let now = self.now;
        if let Some(slot) = self.nodes.get_mut(node) {
            let _ = slot.node.take_logs();
            for dot in slot.node.take_applied() {
                let s = self.spread.entry(dot.clone()).or_default();
                s.nodes += 1;
                s.last_at = now;
                if dot.origin.as_str() == node {
                    s.origin_at = Some(now);
                }
            }
        }
        self.reschedule(node, from_timer);
    }

    fn reschedule(&mut self, node: &str, from_timer: bool) {
        let now = self.now;
        let Some(slot) = self.nodes.get_mut(node) else {
            return;
        };
        let Some(mut at) = slot.node.poll_timeout() else {
            return;
        };
        if from_timer && at <= now {
            // A timer that asks to run again at once would spin the clock.
            at = now + Duration::from_millis(1);
        }
        let at = at.max(now);
        if slot.timer == Some(at) {
            return;
        }
        slot.timer = Some(at);
        self.push(
            at,
            Event::Timer {
                node: node.to_owned(),
            },
        );
    }
}
