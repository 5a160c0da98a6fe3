//! A test cluster of replicas with a forced order: a ledger app, an in-memory
//! network with seeded delay, loss, reordering and cuts, crashes and restarts
//! from the journal, and checks run after every input.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::*;

/// A ledger: credits are causal, debits forced and refused when they would
/// overdraw. `overdrawn` latches if any apply ever leaves a balance below zero.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ledger {
    pub(crate) balances: BTreeMap<String, i64>,
    pub(crate) overdrawn: bool,
    /// Granted debits in the order applied: the same at every replica.
    pub(crate) debits: Vec<UpdateId>,
    /// A planted bug: grant every debit (shows that the checks catch an
    /// app whose decisions do not protect its condition).
    pub(crate) reckless: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum LedgerOp {
    Credit(String, i64),
    Debit(String, i64),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Balance(pub(crate) String);

impl Ledger {
    pub(crate) fn balance(&self, acct: &str) -> i64 {
        self.balances.get(acct).copied().unwrap_or(0)
    }
}

impl App for Ledger {
    type Update = LedgerOp;
    type Query = Balance;
    type Reply = i64;

    fn apply(&mut self, op: &LedgerOp, ctx: &ApplyContext<'_>) {
        match op {
            LedgerOp::Credit(a, n) => *self.balances.entry(a.clone()).or_default() += n,
            LedgerOp::Debit(a, n) => {
                let b = self.balances.entry(a.clone()).or_default();
                *b -= n;
                if *b < 0 {
                    self.overdrawn = true;
                }
                self.debits.push(ctx.id);
            }
        }
    }
    fn query(&self, q: &Balance) -> i64 {
        self.balance(&q.0)
    }
    fn validate(op: &LedgerOp) -> Result<(), String> {
        match op {
            LedgerOp::Credit(_, n) | LedgerOp::Debit(_, n) if *n > 0 => Ok(()),
            _ => Err("amounts must be positive".into()),
        }
    }
    fn class(op: &LedgerOp) -> UpdateClass {
        match op {
            LedgerOp::Credit(..) => UpdateClass::Causal,
            LedgerOp::Debit(..) => UpdateClass::Forced,
        }
    }
    fn decide_forced(&self, op: &LedgerOp) -> Result<(), String> {
        match op {
            LedgerOp::Debit(a, n) if self.balance(a) < *n && !self.reckless => Err(format!(
                "insufficient funds: {a} has {}, debit {n}",
                self.balance(a)
            )),
            _ => Ok(()),
        }
    }
}

pub(crate) fn r(n: &str) -> ReplicaId {
    ReplicaId::new(n).expect("test names are valid")
}

pub(crate) fn uid(client: u64, seq: u64) -> UpdateId {
    UpdateId {
        client: ClientId(client),
        seq,
    }
}

pub(crate) fn credit(acct: &str, n: i64) -> LedgerOp {
    LedgerOp::Credit(acct.into(), n)
}

pub(crate) fn debit(acct: &str, n: i64) -> LedgerOp {
    LedgerOp::Debit(acct.into(), n)
}

pub(crate) const MS: Duration = Duration::from_millis(1);

/// A tiny seeded generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// One node: its replica (`None` while crashed) and what it journaled.
pub(crate) struct Node {
    pub(crate) rep: Option<Replica<Ledger>>,
    /// Every record this node journaled (its durable store).
    records: Vec<UpdateRecord<LedgerOp>>,
    /// Forced records applied here, in order (from `Output::Applied`).
    pub(crate) forced_applied: Vec<(u64, UpdateId)>,
}

/// The cluster.
pub(crate) struct Cluster {
    pub(crate) names: Vec<ReplicaId>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) config: ReplicaConfig,
    pub(crate) now: Time,
    rng: Rng,
    /// Per mille of messages lost.
    pub(crate) loss: u64,
    /// Delivery delay: base plus up to `jitter` (reorders messages).
    pub(crate) delay: Duration,
    pub(crate) jitter: Duration,
    /// Cut directed links.
    pub(crate) cut: BTreeSet<(usize, usize)>,
    queue: BTreeMap<(Time, u64), (usize, usize, PeerMessage<Ledger>)>,
    seq: u64,
    next_token: u64,
    /// Replies by (node, token), with when they left.
    pub(crate) replies: BTreeMap<(usize, u64), (Time, ClientReply<Ledger>)>,
}

impl Cluster {
    /// `n` replicas `r1..rn`; the first `voters` of them vote.
    pub(crate) fn new(n: usize, voters: usize, seed: u64) -> Self {
        Self::with_app(n, voters, seed, Ledger::default())
    }

    /// [`Cluster::new`] with every replica starting from `app`.
    pub(crate) fn with_app(n: usize, voters: usize, seed: u64, app: Ledger) -> Self {
        let names: Vec<ReplicaId> = (1..=n).map(|i| r(&format!("r{i}"))).collect();
        let forced = ForcedConfig::new(names[..voters].to_vec());
        let config = ReplicaConfig {
            journal: true,
            emit_applied: true,
            forced: Some(forced),
            ..ReplicaConfig::default()
        };
        let now = Time::ZERO;
        let nodes = names
            .iter()
            .map(|name| {
                let mut rep = Replica::try_new(name.clone(), config.clone(), app.clone(), now)
                    .expect("valid forced config");
                for m in &names {
                    rep.add_member(m.clone());
                }
                Node {
                    rep: Some(rep),
                    records: Vec::new(),
                    forced_applied: Vec::new(),
                }
            })
            .collect();
        let mut c = Self {
            names,
            nodes,
            config,
            now,
            rng: Rng(seed),
            loss: 0,
            delay: MS,
            jitter: Duration::ZERO,
            cut: BTreeSet::new(),
            queue: BTreeMap::new(),
            seq: 0,
            next_token: 1,
            replies: BTreeMap::new(),
        };
        for i in 0..n {
            c.drain(i);
        }
        c
    }

    pub(crate) fn rep(&self, i: usize) -> &Replica<Ledger> {
        self.nodes[i].rep.as_ref().expect("node is up")
    }

    /// Sends a client request to node `i`; returns its token.
    pub(crate) fn request(&mut self, i: usize, request: ClientRequest<Ledger>) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        if let Some(rep) = self.nodes[i].rep.as_mut() {
            rep.handle_request(self.now, RequestToken(token), request);
        }
        self.drain(i);
        token
    }

    /// A forced or causal update from client `client` (seq `seq`) at node `i`.
    pub(crate) fn update(
        &mut self,
        i: usize,
        id: UpdateId,
        prev: VectorTimestamp,
        op: LedgerOp,
    ) -> u64 {
        self.request(i, ClientRequest::Update { id, prev, op })
    }

    /// A forced query of `acct` at node `i`.
    pub(crate) fn forced_query(&mut self, i: usize, id: UpdateId, acct: &str) -> u64 {
        let query = Balance(acct.into());
        let prev = VectorTimestamp::new();
        self.request(i, ClientRequest::ForcedQuery { id, prev, query })
    }

    pub(crate) fn propose(&mut self, i: usize, id: UpdateId, voters: &[&str]) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        let voters = voters.iter().map(|v| r(v)).collect();
        if let Some(rep) = self.nodes[i].rep.as_mut() {
            rep.propose_voters(self.now, RequestToken(token), id, voters);
        }
        self.drain(i);
        token
    }

    pub(crate) fn reply(&self, i: usize, token: u64) -> Option<&ClientReply<Ledger>> {
        self.replies.get(&(i, token)).map(|(_, r)| r)
    }

    /// Takes node `i`'s outputs: journal, sends into the network, replies.
    fn drain(&mut self, i: usize) {
        let Some(rep) = self.nodes[i].rep.as_mut() else {
            return;
        };
        let ready = rep.ready();
        let journaled = ready.journal().records.clone();
        let outputs = rep.advance(ready);
        self.nodes[i].records.extend(journaled);
        self.check(i);
        for o in outputs {
            match o {
                Output::Send { to, msg } => {
                    let Some(j) = self.names.iter().position(|n| *n == to) else {
                        panic!("{} sent to unknown {to}", self.names[i]);
                    };
                    if self.cut.contains(&(i, j)) || self.rng.below(1000) < self.loss {
                        continue;
                    }
                    let jitter = self.rng.below(self.jitter.as_micros() as u64 + 1);
                    let at = self.now + self.delay + Duration::from_micros(jitter);
                    self.seq += 1;
                    self.queue.insert((at, self.seq), (i, j, msg));
                }
                Output::Reply { token, reply } => {
                    let prev = self.replies.insert((i, token.0), (self.now, reply.clone()));
                    assert!(
                        prev.is_none(),
                        "token {} of node {i} answered twice",
                        token.0
                    );
                }
                Output::Applied { id, dot, .. } => {
                    if dot.origin.is_forced() {
                        self.nodes[i].forced_applied.push((dot.seq, id));
                    }
                }
            }
        }
    }

    /// Checks run after every input: no balance ever below zero, and this
    /// node's forced records so far are a prefix of every other node's.
    fn check(&self, i: usize) {
        let Some(rep) = &self.nodes[i].rep else {
            return;
        };
        assert!(
            !rep.app().overdrawn,
            "{} overdrew: {:?}",
            self.names[i],
            rep.app()
        );
        let mine = &self.nodes[i].forced_applied;
        for (j, other) in self.nodes.iter().enumerate() {
            let theirs = &other.forced_applied;
            let n = mine.len().min(theirs.len());
            assert_eq!(
                mine[..n],
                theirs[..n],
                "{} and {} applied different forced orders",
                self.names[i],
                self.names[j]
            );
        }
    }

    /// Runs until `deadline`, delivering messages and firing timers in time order.
    pub(crate) fn run_until(&mut self, deadline: Time) {
        loop {
            let next_msg = self.queue.keys().next().map(|(t, _)| *t);
            let next_timer = self
                .nodes
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.rep.as_ref().map(|r| (r.poll_timeout(), i)))
                .min();
            let next = match (next_msg, next_timer) {
                (Some(m), Some((t, _))) => m.min(t),
                (Some(m), None) => m,
                (None, Some((t, _))) => t,
                (None, None) => break,
            };
            if next > deadline {
                break;
            }
            self.now = self.now.max(next);
            if next_msg == Some(next) {
                let Some((_, (from, to, msg))) = self.queue.pop_first() else {
                    break;
                };
                if let Some(rep) = self.nodes[to].rep.as_mut() {
                    rep.handle_peer(self.now, &self.names[from], msg);
                    self.drain(to);
                }
            } else if let Some((_, i)) = next_timer {
                if let Some(rep) = self.nodes[i].rep.as_mut() {
                    rep.handle_timeout(self.now);
                }
                self.drain(i);
            }
        }
        self.now = self.now.max(deadline);
    }

    /// Runs for `d`.
    pub(crate) fn run_for(&mut self, d: Duration) {
        let deadline = self.now + d;
        self.run_until(deadline);
    }

    /// Runs until node `i` answered `token` or `limit` passed; the reply.
    pub(crate) fn await_reply(
        &mut self,
        i: usize,
        token: u64,
        limit: Duration,
    ) -> Option<ClientReply<Ledger>> {
        let deadline = self.now + limit;
        while self.now < deadline && self.reply(i, token).is_none() {
            let step = self.now + 5 * MS;
            self.run_until(step.min(deadline));
        }
        self.reply(i, token).cloned()
    }

    /// Crashes node `i`: its memory and its in-flight messages are gone;
    /// its journal stays.
    pub(crate) fn crash(&mut self, i: usize) {
        self.nodes[i].rep = None;
        self.queue.retain(|_, (from, to, _)| *from != i && *to != i);
    }

    /// Restarts node `i` from its journal (every record it wrote).
    pub(crate) fn restart(&mut self, i: usize) {
        let snapshot = Snapshot {
            app: Ledger::default(),
            value_ts: VectorTimestamp::new(),
            executed: Vec::new(),
        };
        let members: Vec<ReplicaId> = self.names.clone();
        let rep = Replica::restore(
            self.names[i].clone(),
            self.config.clone(),
            &members,
            snapshot,
            self.nodes[i].records.clone(),
            self.now,
        );
        self.nodes[i].rep = Some(rep);
        // Applies replayed from the journal are announced again.
        self.nodes[i].forced_applied.clear();
        self.drain(i);
    }

    /// Cuts every link between the nodes in `side` and the rest.
    pub(crate) fn partition(&mut self, side: &[usize]) {
        let n = self.nodes.len();
        for a in 0..n {
            for b in 0..n {
                if side.contains(&a) != side.contains(&b) {
                    self.cut.insert((a, b));
                }
            }
        }
    }

    pub(crate) fn heal(&mut self) {
        self.cut.clear();
    }

    /// The node hosting the primary, if exactly one up node says it is.
    pub(crate) fn primary(&self) -> Option<usize> {
        let ps: Vec<usize> = (0..self.nodes.len())
            .filter(|i| {
                self.nodes[*i]
                    .rep
                    .as_ref()
                    .and_then(Replica::forced_status)
                    .is_some_and(|s| s.is_primary)
            })
            .collect();
        (ps.len() == 1).then(|| ps[0])
    }

    /// Heals, stops losses, and runs until every up node has applied the
    /// same forced records and the same state (or panics after `limit`).
    pub(crate) fn settle(&mut self, limit: Duration) {
        self.heal();
        self.loss = 0;
        let deadline = self.now + limit;
        loop {
            let up: Vec<&Replica<Ledger>> =
                self.nodes.iter().filter_map(|n| n.rep.as_ref()).collect();
            let same = up
                .windows(2)
                .all(|w| w[0].value_ts() == w[1].value_ts() && w[0].app() == w[1].app())
                && up.iter().all(|r| r.value_ts() == r.rep_ts());
            if same {
                return;
            }
            assert!(self.now < deadline, "no convergence by {:?}", self.now);
            self.run_for(20 * MS);
        }
    }
}
