//! `Cluster`: Maelstrom nodes and their clients wired through the
//! simulator's in-memory network ([`hearsay_sim::Network`]) on a virtual
//! clock, with Maelstrom's latency distributions and partitions.

use std::collections::BTreeMap;
use std::time::Duration;

use hearsay_core::forced::RequestId;
use hearsay_core::{Dot, Time};
use hearsay_sim::{Delay, Faults, Network, Packet};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Map, Value};

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
    /// The simulator's network faults and delay law for this latency, plus
    /// random `loss` and `duplicate` chances (0 in a Maelstrom-shaped run:
    /// Maelstrom's own network loses messages only to partitions).
    fn network(self, loss: f64, duplicate: f64) -> (Faults, Delay) {
        let base = Faults {
            loss,
            duplicate,
            ..Faults::none()
        };
        match self {
            Self::Constant(d) => (
                Faults {
                    delay_min: d,
                    delay_max: d,
                    ..base
                },
                Delay::Uniform,
            ),
            Self::Uniform(mean) => (
                Faults {
                    delay_min: Duration::ZERO,
                    delay_max: mean * 2,
                    ..base
                },
                Delay::Uniform,
            ),
            Self::Exponential(mean) => (
                Faults {
                    delay_min: Duration::ZERO,
                    delay_max: Duration::ZERO,
                    ..base
                },
                Delay::Exponential(mean),
            ),
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
struct Slot {
    node: Node,
    /// When this node's timers next fire.
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

/// Nodes `n0..` and any number of clients, joined by the simulator's network.
///
/// Nodes are network indices `0..count`; each client gets the next index the
/// first time it sends or is sent to, and since a partition places nodes only,
/// clients reach every node (as in Maelstrom). Time is virtual:
/// [`step_until`](Self::step_until) jumps to the next delivery or timer. Every
/// node-to-node message is counted when sent (as Maelstrom's `msgs-per-op`
/// does) and dropped on arrival if a partition separates its ends (as
/// Maelstrom drops it).
#[derive(Debug)]
pub struct Cluster {
    now: Time,
    nodes: Vec<Slot>,
    names: Vec<String>,
    /// Client names by index past the nodes, and the other way round.
    client_names: Vec<String>,
    client_index: BTreeMap<String, usize>,
    net: Network<String>,
    /// Every draw of the network: delays, loss, duplication.
    rng: StdRng,
    server_msgs: u64,
    server_msgs_by_kind: BTreeMap<String, u64>,
    inbox: Vec<Delivered>,
    spread: BTreeMap<Dot, Spread>,
    last_client_msg_id: u64,
    /// Forced workloads: the request id of each `(client, msg_id)`.
    assigned: BTreeMap<(String, u64), RequestId>,
}

impl Cluster {
    /// `count` nodes named `n0`, `n1`, ... serving `workload`, each sent
    /// `init` at time zero (its `init_ok` is discarded).
    pub fn new(
        workload: Workload,
        count: usize,
        tuning: Tuning,
        latency: Latency,
        seed: u64,
    ) -> Self {
        Self::with_faults(workload, count, tuning, latency, 0.0, 0.0, seed)
    }

    /// Like [`new`](Self::new), and the network also loses each message with
    /// chance `loss` and delivers it twice with chance `duplicate`.
    pub fn with_faults(
        workload: Workload,
        count: usize,
        tuning: Tuning,
        latency: Latency,
        loss: f64,
        duplicate: f64,
        seed: u64,
    ) -> Self {
        let names: Vec<String> = (0..count).map(|i| format!("n{i}")).collect();
        let (faults, delay) = latency.network(loss.clamp(0.0, 1.0), duplicate.clamp(0.0, 1.0));
        let mut cluster = Self {
            now: Time::ZERO,
            nodes: Vec::with_capacity(count),
            names: names.clone(),
            client_names: Vec::new(),
            client_index: BTreeMap::new(),
            net: Network::new(faults).with_delay(delay),
            rng: StdRng::seed_from_u64(seed),
            server_msgs: 0,
            server_msgs_by_kind: BTreeMap::new(),
            inbox: Vec::new(),
            spread: BTreeMap::new(),
            last_client_msg_id: 0,
            assigned: BTreeMap::new(),
        };
        for id in &names {
            let mut node = Node::new(workload, tuning.clone());
            let init = serde_json::json!({
                "src": "c0", "dest": id,
                "body": {"type": "init", "msg_id": 1, "node_id": id, "node_ids": names},
            });
            let _ = node.handle_line(Time::ZERO, &init.to_string());
            cluster.nodes.push(Slot { node, timer: None });
        }
        for i in 0..count {
            cluster.reschedule(i, false);
        }
        cluster
    }

    /// The virtual time.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The node ids, ascending.
    pub fn node_ids(&self) -> Vec<String> {
        self.names.clone()
    }

    /// The node `id`, to inspect or drive by hand.
    pub fn node_mut(&mut self, id: &str) -> Option<&mut Node> {
        let i = self.names.iter().position(|n| n == id)?;
        self.nodes.get_mut(i).map(|s| &mut s.node)
    }

    /// Forced workloads: each node's committed order, by node id.
    pub fn forced_orders(&self) -> Vec<(String, Vec<Value>)> {
        self.names
            .iter()
            .zip(&self.nodes)
            .map(|(n, s)| (n.clone(), s.node.forced_order()))
            .collect()
    }

    /// Forced workloads: the request id the node gave request `msg_id` of
    /// `client` (with [`Tuning::emit_applied`]).
    pub(crate) fn assigned(&self, client: &str, msg_id: u64) -> Option<RequestId> {
        self.assigned.get(&(client.to_owned(), msg_id)).copied()
    }

    /// Node-to-node messages sent so far.
    pub fn server_msgs(&self) -> u64 {
        self.server_msgs
    }

    /// Node-to-node messages by the core message inside (`Gossip`, `Prepare`, ...).
    pub fn server_msgs_by_kind(&self) -> &BTreeMap<String, u64> {
        &self.server_msgs_by_kind
    }

    /// Messages a partition dropped so far.
    pub fn dropped(&self) -> u64 {
        self.net.stats().cut
    }

    /// Sends a request from `client` to `node`; returns its `msg_id`.
    pub fn send(&mut self, client: &str, node: &str, mut body: Map<String, Value>) -> u64 {
        self.last_client_msg_id += 1;
        let msg_id = self.last_client_msg_id;
        body.insert("msg_id".into(), Value::from(msg_id));
        let line = serde_json::json!({"src": client, "dest": node, "body": body}).to_string();
        let from = self.client(client);
        match self.names.iter().position(|n| n == node) {
            Some(to) => self.net.send(
                self.now,
                Packet {
                    from,
                    to,
                    msg: line,
                },
                &mut self.rng,
            ),
            None => {
                let to = self.client(node);
                self.net.send(
                    self.now,
                    Packet {
                        from,
                        to,
                        msg: line,
                    },
                    &mut self.rng,
                );
            }
        }
        msg_id
    }

    /// Cuts the groups (each a list of node ids) apart until
    /// [`heal`](Self::heal); a node in no group is cut off from all of them.
    pub fn partition(&mut self, groups: &[Vec<String>]) {
        let mut sides = vec![u8::MAX; self.names.len()];
        for (g, group) in groups.iter().enumerate() {
            for name in group {
                if let Some(i) = self.names.iter().position(|n| n == name) {
                    sides[i] = u8::try_from(g).unwrap_or(u8::MAX - 1);
                }
            }
        }
        self.net.partition(sides);
    }

    /// Ends every partition.
    pub fn heal(&mut self) {
        self.net.heal();
    }

    /// Replies that reached clients since the last call.
    pub fn take_inbox(&mut self) -> Vec<Delivered> {
        std::mem::take(&mut self.inbox)
    }

    /// Runs the next event if it is due by `until`, and returns `true`;
    /// otherwise moves the clock to `until` and returns `false`.
    pub fn step_until(&mut self, until: Time) -> bool {
        let timer = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.timer.map(|t| (t, i)))
            .min();
        let delivery = self.net.next_time();
        let deliver_first = match (delivery, timer) {
            (Some(d), Some((t, _))) => d <= t,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let at = if deliver_first {
            delivery
        } else {
            timer.map(|(t, _)| t)
        };
        let Some(at) = at.filter(|at| *at <= until) else {
            self.now = self.now.max(until);
            return false;
        };
        self.now = self.now.max(at);
        if deliver_first {
            if let Some(Ok(packet)) = self.net.pop() {
                self.deliver(packet);
            }
        } else if let Some((_, i)) = timer {
            self.fire(i);
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

    /// The network index of client `name`, given one if it is new.
    fn client(&mut self, name: &str) -> usize {
        if let Some(&i) = self.client_index.get(name) {
            return i;
        }
        let i = self.names.len() + self.client_names.len();
        self.client_names.push(name.to_owned());
        self.client_index.insert(name.to_owned(), i);
        i
    }

    fn deliver(&mut self, packet: Packet<String>) {
        let Packet { from, to, msg } = packet;
        if to >= self.nodes.len() {
            let body = serde_json::from_str::<Value>(&msg)
                .ok()
                .and_then(|mut v| v.get_mut("body").map(Value::take))
                .unwrap_or(Value::Null);
            let from = self.names.get(from).cloned().unwrap_or_default();
            let to = self
                .client_names
                .get(to - self.nodes.len())
                .cloned()
                .unwrap_or_default();
            self.inbox.push(Delivered {
                at: self.now,
                from,
                to,
                body,
            });
            return;
        }
        let now = self.now;
        let out = self.nodes[to].node.handle_line(now, &msg);
        self.after(to, out, false);
    }

    fn fire(&mut self, i: usize) {
        let now = self.now;
        self.nodes[i].timer = None;
        let out = self.nodes[i].node.handle_timeout(now);
        self.after(i, out, true);
    }

    /// Routes node `i`'s output, notes what it applied, and re-arms its timer.
    fn after(&mut self, i: usize, out: Vec<String>, from_timer: bool) {
        for line in out {
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let Some(dest) = v.get("dest").and_then(Value::as_str) else {
                continue;
            };
            let to = match self.names.iter().position(|n| n == dest) {
                Some(to) => {
                    self.server_msgs += 1;
                    *self.server_msgs_by_kind.entry(kind(&v)).or_insert(0) += 1;
                    to
                }
                None => {
                    let dest = dest.to_owned();
                    self.client(&dest)
                }
            };
            let packet = Packet {
                from: i,
                to,
                msg: line,
            };
            self.net.send(self.now, packet, &mut self.rng);
        }
        let now = self.now;
        let node = &mut self.nodes[i].node;
        let _ = node.take_logs();
        for a in node.take_assigned() {
            self.assigned.insert((a.client, a.msg_id), a.id);
        }
        for dot in node.take_applied() {
            let s = self.spread.entry(dot.clone()).or_default();
            s.nodes += 1;
            s.last_at = now;
            if dot.origin.as_str() == self.names[i] {
                s.origin_at = Some(now);
            }
        }
        self.reschedule(i, from_timer);
    }

    fn reschedule(&mut self, i: usize, from_timer: bool) {
        let now = self.now;
        let slot = &mut self.nodes[i];
        slot.timer = slot.node.poll_timeout().map(|mut at| {
            if from_timer && at <= now {
                // A timer that asks to run again at once would spin the clock.
                at = now + Duration::from_millis(1);
            }
            at.max(now)
        });
    }
}

/// What a node-to-node line carries, for the message arithmetic: the core
/// message inside (`Gossip`, `Digest`, `Prepare`, `Forward`, ...), else the
/// body's `type`.
fn kind(line: &Value) -> String {
    let first = |v: &Value| match v {
        Value::Object(m) => m.keys().next().cloned(),
        _ => None,
    };
    let inner = line.pointer("/body/msg").and_then(|m| {
        let k = first(m)?;
        if k == "Vr" {
            return m.get("Vr").and_then(first);
        }
        Some(k)
    });
    inner.unwrap_or_else(|| {
        let t = line.pointer("/body/type").and_then(Value::as_str);
        t.unwrap_or("?").to_owned()
    })
}
