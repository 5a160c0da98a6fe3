//! A deterministic in-memory cluster for the forced-order tests: voters and
//! clients on a network with seeded delay, loss, duplication, reordering,
//! partitions and crash/restart, on a virtual clock that jumps to the next event.
//! After every step it checks the newly committed entries of the voter that moved
//! against the order seen so far (same order everywhere, each request once) and
//! the machine's invariant on its state (and on the primary's tip).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::config::VrConfig;
use super::machine::Machine;
use super::message::{Answer, Command, EntryBody, ForcedError, NodeId, Output, RequestId};
use super::rng::SplitMix64;
use super::voter::{Voter, VoterStatus, VrMessage};
use crate::time::Time;

/// A millisecond of virtual time.
pub(super) const MS: u64 = 1000;

/// Network fault knobs, in per-mille and microseconds.
#[derive(Clone, Copy, Debug)]
pub(super) struct Faults {
    pub(super) loss: u64,
    pub(super) dup: u64,
    pub(super) min_delay: u64,
    pub(super) max_delay: u64,
}

impl Faults {
    fn lossy() -> Self {
        Self {
            loss: 30,
            dup: 20,
            min_delay: 200,
            max_delay: 8 * MS,
        }
    }
}

enum Packet<M: Machine> {
    Peer {
        from: NodeId,
        to: NodeId,
        msg: VrMessage<M>,
    },
    Request {
        to: NodeId,
        id: RequestId,
        cmd: Command<M::Op>,
    },
    Reply {
        id: RequestId,
        result: Result<Answer<M::Outcome>, ForcedError>,
    },
}

/// What a client is told.
type ClientResult<M> = Result<Answer<<M as Machine>::Outcome>, ForcedError>;

/// One client operation as the client saw it.
#[derive(Clone, Debug)]
pub(super) struct Record<M: Machine> {
    pub(super) id: RequestId,
    pub(super) cmd: Command<M::Op>,
    pub(super) call: u64,
    /// The node it was first sent to.
    pub(super) first_target: NodeId,
    pub(super) ret: Option<(u64, ClientResult<M>)>,
}

struct Pending<O> {
    id: RequestId,
    cmd: Command<O>,
    record: usize,
    resend_at: u64,
    give_up_at: u64,
}

struct Client<O> {
    id: u64,
    seq: u64,
    target: NodeId,
    script: VecDeque<Command<O>>,
    random_left: usize,
    next_issue: u64,
    pending: Option<Pending<O>>,
}

pub(super) struct Cluster<M: Machine> {
    pub(super) now: u64,
    rng: SplitMix64,
    pub(super) faults: Faults,
    pub(super) config: VrConfig,
    init: M,
    pub(super) nodes: BTreeMap<NodeId, Option<Voter<M>>>,
    queue: BTreeMap<(u64, u64), Packet<M>>,
    seq: u64,
    /// Nodes on the small side of a partition (empty: no partition).
    pub(super) cut: BTreeSet<NodeId>,
    clients: Vec<Client<M::Op>>,
    /// How long a client waits for an answer before trying another node.
    pub(super) client_resend: u64,
    pub(super) history: Vec<Record<M>>,
    /// The committed order, as first seen at any voter.
    pub(super) order: Vec<RequestId>,
    ordered: BTreeSet<RequestId>,
    executed_len: BTreeMap<NodeId, usize>,
    pub(super) violations: Vec<String>,
    /// How many crashes and restarts the run had: shows the faults happened.
    pub(super) crashes: usize,
    invariant: fn(&M) -> Result<(), String>,
    generate: fn(&mut SplitMix64) -> M::Op,
}

impl<M: Machine> Cluster<M> {
    pub(super) fn new(
        seed: u64,
        n: u64,
        config: VrConfig,
        init: M,
        invariant: fn(&M) -> Result<(), String>,
        generate: fn(&mut SplitMix64) -> M::Op,
    ) -> Self {
        let voters: Vec<NodeId> = (1..=n).map(NodeId).collect();
        let mut nodes = BTreeMap::new();
        for v in &voters {
            let cfg = VrConfig {
                me: *v,
                voters: voters.clone(),
                seed,
                ..config.clone()
            };
            nodes.insert(
                *v,
                Some(Voter::new(cfg, init.clone(), Time::ZERO).expect("valid config")),
            );
        }
        Self {
            now: 0,
            rng: SplitMix64::new(seed),
            faults: Faults::lossy(),
            config,
            init,
            nodes,
            queue: BTreeMap::new(),
            seq: 0,
            cut: BTreeSet::new(),
            clients: Vec::new(),
            client_resend: 300 * MS,
            history: Vec::new(),
            order: Vec::new(),
            ordered: BTreeSet::new(),
            executed_len: BTreeMap::new(),
            violations: Vec::new(),
            crashes: 0,
            invariant,
            generate,
        }
    }

    pub(super) fn add_client(
        &mut self,
        target: NodeId,
        script: Vec<Command<M::Op>>,
        random: usize,
    ) -> usize {
        let id = self.clients.len() as u64 + 1;
        self.clients.push(Client {
            id,
            seq: 0,
            target,
            script: script.into(),
            random_left: random,
            next_issue: self.now,
            pending: None,
        });
        self.clients.len() - 1
    }

    pub(super) fn push_script(&mut self, client: usize, cmd: Command<M::Op>) {
        self.clients[client].script.push_back(cmd);
        self.clients[client].next_issue = self.clients[client].next_issue.max(self.now);
    }

    pub(super) fn voter(&self, n: NodeId) -> Option<&Voter<M>> {
        self.nodes.get(&n).and_then(|v| v.as_ref())
    }

    /// The primary a majority would follow right now, if any voter is primary.
    pub(super) fn primary(&self) -> Option<NodeId> {
        self.nodes
            .values()
            .flatten()
            .filter(|v| v.is_primary())
            .max_by_key(|v| (v.epoch(), v.view()))
            .map(|v| v.config.me)
    }

    pub(super) fn crash(&mut self, n: NodeId) {
        self.nodes.insert(n, None);
        self.executed_len.remove(&n);
        self.crashes += 1;
    }

    pub(super) fn restart(&mut self, n: NodeId, voters: Vec<NodeId>) {
        let cfg = VrConfig {
            me: n,
            voters,
            seed: self.rng.next_u64(),
            ..self.config.clone()
        };
        let v = Voter::restart(cfg, self.init.clone(), Time::from_micros(self.now))
            .expect("valid config");
        self.nodes.insert(n, Some(v));
        self.drain(n);
    }

    pub(super) fn add_joiner(&mut self, n: NodeId, voters: Vec<NodeId>) {
        let cfg = VrConfig {
            me: n,
            voters,
            ..self.config.clone()
        };
        let v = Voter::joiner(cfg, self.init.clone(), Time::from_micros(self.now))
            .expect("valid config");
        self.nodes.insert(n, Some(v));
    }

    fn enqueue(&mut self, delay: u64, p: Packet<M>) {
        self.seq += 1;
        self.queue.insert((self.now + delay, self.seq), p);
    }

    fn delay(&mut self) -> u64 {
        self.faults.min_delay
            + self
                .rng
                .below(self.faults.max_delay - self.faults.min_delay + 1)
    }

    fn separated(&self, a: NodeId, b: NodeId) -> bool {
        self.cut.contains(&a) != self.cut.contains(&b)
    }

    /// Sends `p` with loss, duplication and delay (reordering comes from the delay).
    fn transmit(&mut self, p: Packet<M>, copy: impl Fn(&Packet<M>) -> Packet<M>) {
        if self.rng.below(1000) < self.faults.loss {
            return;
        }
        if self.rng.below(1000) < self.faults.dup {
            let d = self.delay();
            let c = copy(&p);
            self.enqueue(d, c);
        }
        let d = self.delay();
        self.enqueue(d, p);
    }

    fn drain(&mut self, n: NodeId) {
        loop {
            let Some(Some(v)) = self.nodes.get_mut(&n) else {
                return;
            };
            let Some(out) = v.poll_output() else { break };
            match out {
                Output::Send { to, msg } => {
                    if !self.separated(n, to) {
                        self.transmit(Packet::Peer { from: n, to, msg }, clone_packet);
                    }
                }
                Output::Reply { id, result } => {
                    self.transmit(Packet::Reply { id, result }, clone_packet)
                }
            }
        }
        self.check(n);
    }

    /// Checks voter `n` after a step: its newly committed entries against the
    /// order, each request once, and the state invariant.
    fn check(&mut self, n: NodeId) {
        let Some(Some(v)) = self.nodes.get(&n) else {
            return;
        };
        let committed: Vec<RequestId> = v.committed().iter().map(|e| e.id).collect();
        let old = self.executed_len.get(&n).copied().unwrap_or(0);
        if committed.len() < old {
            self.violations.push(format!(
                "{n:?} un-committed entries ({old} -> {})",
                committed.len()
            ));
        }
        for (i, id) in committed.iter().enumerate().skip(old) {
            match self.order.get(i) {
                Some(o) if o != id => self.violations.push(format!(
                    "order differs at op {}: {n:?} has {id:?}, another voter {o:?}",
                    i + 1
                )),
                Some(_) => {}
                None => {
                    if !self.ordered.insert(*id) {
                        self.violations.push(format!("{id:?} committed twice"));
                    }
                    self.order.push(*id);
                }
            }
        }
        self.executed_len.insert(n, committed.len().max(old));
        let mut bad = Vec::new();
        if let Err(e) = (self.invariant)(v.state()) {
            bad.push(format!("{n:?} state: {e}"));
        }
        if let Some(Err(e)) = v.tip().map(self.invariant) {
            bad.push(format!("{n:?} primary's tip: {e}"));
        }
        self.violations.extend(bad);
    }

    fn client_due(c: &Client<M::Op>) -> Option<u64> {
        match &c.pending {
            Some(p) => Some(p.resend_at.min(p.give_up_at)),
            None if !c.script.is_empty() || c.random_left > 0 => Some(c.next_issue),
            None => None,
        }
    }

    fn node_ids(&self) -> Vec<NodeId> {
        self.nodes.keys().copied().collect()
    }

    fn send_request(&mut self, ci: usize) {
        let c = &self.clients[ci];
        let Some(p) = &c.pending else { return };
        let packet = Packet::Request {
            to: c.target,
            id: p.id,
            cmd: p.cmd.clone(),
        };
        self.transmit(packet, clone_packet);
    }

    fn client_step(&mut self, ci: usize) {
        let now = self.now;
        let ids = self.node_ids();
        let resend = self.client_resend;
        let budget = self.config.request_budget.as_micros() as u64;
        let c = &mut self.clients[ci];
        if let Some(p) = &mut c.pending {
            if now >= p.give_up_at {
                c.pending = None;
                c.next_issue = now;
                return;
            }
            // No answer in time: try the next node, same request id.
            let i = ids.iter().position(|x| *x == c.target).unwrap_or(0);
            c.target = ids[(i + 1) % ids.len()];
            p.resend_at = now + resend;
            return self.send_request(ci);
        }
        let cmd = match c.script.pop_front() {
            Some(cmd) => cmd,
            None => {
                c.random_left -= 1;
                Command::Op((self.generate)(&mut self.rng))
            }
        };
        let c = &mut self.clients[ci];
        c.seq += 1;
        let id = RequestId {
            client: c.id,
            seq: c.seq,
        };
        self.history.push(Record {
            id,
            cmd: cmd.clone(),
            call: now,
            first_target: c.target,
            ret: None,
        });
        let record = self.history.len() - 1;
        c.pending = Some(Pending {
            id,
            cmd,
            record,
            resend_at: now + resend,
            give_up_at: now + 3 * budget,
        });
        self.send_request(ci);
    }

    fn client_reply(&mut self, id: RequestId, result: Result<Answer<M::Outcome>, ForcedError>) {
        let now = self.now;
        let Some(ci) = self.clients.iter().position(|c| c.id == id.client) else {
            return;
        };
        let ids = self.node_ids();
        let c = &mut self.clients[ci];
        let Some(p) = &mut c.pending else { return };
        if p.id != id {
            return;
        }
        match result {
            Ok(answer) => {
                self.history[p.record].ret = Some((now, Ok(answer)));
                c.pending = None;
                c.next_issue = now + self.rng.below(5 * MS);
            }
            Err(ForcedError::NoQuorum) => {
                self.history[p.record].ret = Some((now, Err(ForcedError::NoQuorum)));
                c.pending = None;
                c.next_issue = now + self.rng.below(5 * MS);
            }
            Err(e) => {
                // Redirected (or refused by a retired voter): go on at once.
                let i = ids.iter().position(|x| *x == c.target).unwrap_or(0);
                let next = ids[(i + 1) % ids.len()];
                c.target = match e {
                    ForcedError::NotPrimary { primary } => primary.unwrap_or(next),
                    _ => next,
                };
                p.resend_at = now + self.client_resend;
                self.send_request(ci);
            }
        }
    }

    /// Runs until virtual time `end`, one event at a time.
    pub(super) fn run_until(&mut self, end: u64) {
        loop {
            let mut next: Option<(u64, u8, u64)> = None; // (time, kind, index)
            let mut consider = |t: u64, kind: u8, i: u64| {
                if next.is_none_or(|n| (t, kind, i) < n) {
                    next = Some((t, kind, i));
                }
            };
            if let Some(((t, s), _)) = self.queue.first_key_value() {
                consider(*t, 0, *s);
            }
            for (n, v) in &self.nodes {
                if let Some(t) = v.as_ref().and_then(|v| v.poll_timeout()) {
                    consider(t.as_micros(), 1, n.0);
                }
            }
            for (i, c) in self.clients.iter().enumerate() {
                if let Some(t) = Self::client_due(c) {
                    consider(t, 2, i as u64);
                }
            }
            let Some((t, kind, i)) = next.filter(|n| n.0 <= end) else {
                self.now = end;
                return;
            };
            self.now = self.now.max(t);
            let now = Time::from_micros(self.now);
            match kind {
                0 => {
                    let Some((_, p)) = self.queue.pop_first() else {
                        continue;
                    };
                    match p {
                        Packet::Peer { from, to, msg } => {
                            if self.separated(from, to) {
                                continue;
                            }
                            if let Some(Some(v)) = self.nodes.get_mut(&to) {
                                v.handle_message(now, from, msg);
                                self.drain(to);
                            }
                        }
                        Packet::Request { to, id, cmd } => {
                            if let Some(Some(v)) = self.nodes.get_mut(&to) {
                                v.handle_request(now, id, cmd);
                                self.drain(to);
                            }
                        }
                        Packet::Reply { id, result } => self.client_reply(id, result),
                    }
                }
                1 => {
                    let n = NodeId(i);
                    if let Some(Some(v)) = self.nodes.get_mut(&n) {
                        v.handle_timeout(now);
                        self.drain(n);
                    }
                }
                _ => self.client_step(i as usize),
            }
        }
    }

    /// The final checks: every acknowledged request is in the order, with the
    /// outcome the client was told.
    pub(super) fn check_acknowledged(&mut self) {
        let mut committed: BTreeMap<RequestId, &EntryBody<M::Op, M::Outcome>> = BTreeMap::new();
        for v in self.nodes.values().flatten() {
            for e in v.committed() {
                committed.entry(e.id).or_insert(&e.body);
            }
        }
        let mut bad = Vec::new();
        for r in &self.history {
            let Some((_, Ok(answer))) = &r.ret else {
                continue;
            };
            match (committed.get(&r.id), answer) {
                (None, _) => bad.push(format!("{:?} acknowledged but not committed", r.id)),
                (Some(EntryBody::Op { outcome, .. }), Answer::Outcome(told)) if outcome != told => {
                    bad.push(format!("{:?} told {told:?}, committed {outcome:?}", r.id))
                }
                _ => {}
            }
        }
        self.violations.extend(bad);
    }

    /// Live voters that are not retired.
    pub(super) fn active(&self) -> Vec<&Voter<M>> {
        self.nodes
            .values()
            .flatten()
            .filter(|v| v.status() != VoterStatus::Retired)
            .collect()
    }
}

fn clone_packet<M: Machine>(p: &Packet<M>) -> Packet<M> {
    match p {
        Packet::Peer { from, to, msg } => Packet::Peer {
            from: *from,
            to: *to,
            msg: msg.clone(),
        },
        Packet::Request { to, id, cmd } => Packet::Request {
            to: *to,
            id: *id,
            cmd: cmd.clone(),
        },
        Packet::Reply { id, result } => Packet::Reply {
            id: *id,
            result: result.clone(),
        },
    }
}

/// Chaos for `chaos` µs (partitions, crashes and restarts of any voter, the
/// primary included, at most a minority down at once), then healing and quiet
/// for `quiet` µs.
pub(super) fn chaos<M: Machine>(
    c: &mut Cluster<M>,
    seed: u64,
    chaos: u64,
    quiet: u64,
    crashes: bool,
) {
    let mut rng = SplitMix64::new(seed.wrapping_mul(31).wrapping_add(7));
    let ids: Vec<NodeId> = c.nodes.keys().copied().collect();
    let minority = (ids.len() - 1) / 2;
    let end = c.now + chaos;
    while c.now < end {
        let step = c.now + 100 * MS + rng.below(400 * MS);
        c.run_until(step.min(end));
        let down: Vec<NodeId> = c
            .nodes
            .iter()
            .filter(|(_, v)| {
                v.as_ref()
                    .is_none_or(|v| v.status() == VoterStatus::Recovering)
            })
            .map(|(n, _)| *n)
            .collect();
        match rng.below(6) {
            0 => {
                let mut cut = BTreeSet::new();
                if let Some(p) = c.primary().filter(|_| rng.below(2) == 0) {
                    cut.insert(p);
                }
                while cut.len() < minority.max(1) {
                    cut.insert(ids[rng.below(ids.len() as u64) as usize]);
                }
                c.cut = cut;
            }
            1 => c.cut.clear(),
            2 | 3 if crashes && down.len() < minority => {
                let victim = match c.primary() {
                    Some(p) if rng.below(2) == 0 => p,
                    _ => ids[rng.below(ids.len() as u64) as usize],
                };
                if c.voter(victim).is_some() {
                    c.crash(victim);
                }
            }
            _ => {
                if let Some(n) = c.nodes.iter().find(|(_, v)| v.is_none()).map(|(n, _)| *n) {
                    c.restart(n, ids.clone());
                }
            }
        }
    }
    c.cut.clear();
    for cl in &mut c.clients {
        cl.random_left = 0; // quiet: only what is in flight must finish
    }
    let crashed: Vec<NodeId> = c
        .nodes
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    for n in crashed {
        c.restart(n, ids.clone());
    }
    c.faults.loss = 0;
    c.faults.dup = 0;
    let end = c.now + quiet;
    c.run_until(end);
    c.check_acknowledged();
}

/// Liveness after healing: every voter normal, all at the same commit, and no
/// request left unanswered.
pub(super) fn healed<M: Machine>(c: &Cluster<M>) -> Result<(), String> {
    let latest = c
        .active()
        .iter()
        .map(|v| (v.epoch(), v.voters().to_vec()))
        .max();
    let Some((_, voters)) = latest else {
        return Err("no voter left".into());
    };
    let active: Vec<&Voter<M>> = c
        .active()
        .into_iter()
        .filter(|v| voters.contains(&v.config.me))
        .collect();
    if active.len() != voters.len() {
        return Err(format!("a voter of {voters:?} is not running"));
    }
    let commits: BTreeSet<usize> = active.iter().map(|v| v.committed().len()).collect();
    if commits.len() != 1 || active.iter().any(|v| v.status() != VoterStatus::Normal) {
        let states: Vec<_> = active
            .iter()
            .map(|v| {
                (
                    v.config.me,
                    v.status(),
                    v.view(),
                    v.committed().len(),
                    v.log_len(),
                )
            })
            .collect();
        return Err(format!("not converged after healing: {states:?}"));
    }
    if c.clients.iter().any(|cl| cl.pending.is_some()) {
        return Err("a request is still unanswered after healing".into());
    }
    Ok(())
}
