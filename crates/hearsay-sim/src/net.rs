//! The in-memory network: timed deliveries with seeded delay, loss,
//! duplication and reordering, and partitions.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Duration;

use hearsay_core::{App, AttemptId, ClientReply, ClientRequest, PeerMessage, Time};
use rand::Rng;
use rand::rngs::StdRng;

use crate::config::Faults;

/// A node of the simulated cluster. Clients are not nodes: each talks to its
/// front end in-process, as a client library linked into it would.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Node {
    /// Replica manager number `i` (named `r{i+1}`).
    Replica(usize),
    /// Front end number `i`.
    FrontEnd(usize),
}

/// What travels between nodes.
#[derive(Clone, Debug)]
pub(crate) enum Payload<A: App> {
    /// Replica to replica.
    Peer(PeerMessage<A>),
    /// Front end to replica: one attempt of a client's request.
    Request {
        attempt: AttemptId,
        /// The client and its request number, so that the replica-side checks
        /// can compare the answer with that very request's context.
        origin: (usize, usize),
        request: ClientRequest<A>,
    },
    /// Replica to front end.
    Reply {
        attempt: AttemptId,
        reply: ClientReply<A>,
    },
}

/// A message with its endpoints.
#[derive(Clone, Debug)]
pub(crate) struct Envelope<A: App> {
    pub(crate) from: Node,
    pub(crate) to: Node,
    pub(crate) payload: Payload<A>,
}

/// A message on its way, ordered by arrival time, then by send order.
#[derive(Debug)]
struct InFlight<A: App> {
    at: Time,
    seq: u64,
    env: Envelope<A>,
}

impl<A: App> PartialEq for InFlight<A> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<A: App> Eq for InFlight<A> {}
impl<A: App> PartialOrd for InFlight<A> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<A: App> Ord for InFlight<A> {
    /// Reversed, so the `BinaryHeap` pops the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Counters of what the network did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Messages handed to the network.
    pub sent: u64,
    /// Messages delivered (duplicates included).
    pub delivered: u64,
    /// Messages lost at random.
    pub lost: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Messages dropped because a partition separated their endpoints.
    pub cut: u64,
}

/// The network: a priority queue of deliveries and the current partition.
#[derive(Debug)]
pub(crate) struct Network<A: App> {
    faults: Faults,
    /// Whether faults are on (the fault phase) or off (the heal phase, where
    /// only the ordinary delay remains).
    active: bool,
    queue: BinaryHeap<InFlight<A>>,
    next_seq: u64,
    replicas: usize,
    /// Per node (replicas first, then front ends): its side of the partition.
    /// `None` when the network is whole.
    sides: Option<Vec<u8>>,
    stats: NetStats,
}

impl<A: App> Network<A> {
    pub(crate) fn new(faults: Faults, replicas: usize) -> Self {
        Self {
            faults,
            active: true,
            queue: BinaryHeap::new(),
            next_seq: 0,
            replicas,
            sides: None,
            stats: NetStats::default(),
        }
    }

    pub(crate) fn stats(&self) -> NetStats {
        self.stats
    }

    /// Ends the fault phase: no more loss, duplication, slow messages or
    /// partitions (messages already on their way keep their delay).
    pub(crate) fn calm(&mut self) {
        self.active = false;
        self.sides = None;
    }

    /// Splits the nodes: `sides[i]` is node `i`'s side (replicas first).
    pub(crate) fn partition(&mut self, sides: Vec<u8>) {
        self.sides = Some(sides);
    }

    /// Joins every side again.
    pub(crate) fn heal(&mut self) {
        self.sides = None;
    }

    pub(crate) fn is_partitioned(&self) -> bool {
        self.sides.is_some()
    }

    fn flat(&self, node: Node) -> usize {
        match node {
            Node::Replica(i) => i,
            Node::FrontEnd(i) => self.replicas + i,
        }
    }

    /// Whether `a` and `b` can talk right now.
    pub(crate) fn connected(&self, a: Node, b: Node) -> bool {
        match &self.sides {
            None => true,
            Some(sides) => sides.get(self.flat(a)) == sides.get(self.flat(b)),
        }
    }

    /// Hands a message to the network at `now`.
    pub(crate) fn send(&mut self, now: Time, env: Envelope<A>, rng: &mut StdRng) {
        self.stats.sent += 1;
        if self.active {
            let is_reply = matches!(env.payload, Payload::Reply { .. });
            let lost = rng.random_bool(self.faults.loss)
                || (is_reply && rng.random_bool(self.faults.reply_loss));
            if lost {
                self.stats.lost += 1;
                return;
            }
            if rng.random_bool(self.faults.duplicate) {
                self.stats.duplicated += 1;
                let at = now + self.delay(rng);
                self.enqueue(at, env.clone());
            }
        }
        let at = now + self.delay(rng);
        self.enqueue(at, env);
    }

    fn delay(&self, rng: &mut StdRng) -> Duration {
        let f = &self.faults;
        let max = if self.active && rng.random_bool(f.slow) {
            f.slow_max.max(f.delay_min)
        } else {
            f.delay_max
        };
        let lo = micros(f.delay_min);
        Duration::from_micros(rng.random_range(lo..=micros(max).max(lo)))
    }

    fn enqueue(&mut self, at: Time, env: Envelope<A>) {
        self.next_seq += 1;
        self.queue.push(InFlight {
            at,
            seq: self.next_seq,
            env,
        });
    }

    /// When the next message arrives.
    pub(crate) fn next_time(&self) -> Option<Time> {
        self.queue.peek().map(|m| m.at)
    }

    /// Takes the next message off the network. `Err` carries a message the
    /// partition cut at its arrival.
    pub(crate) fn pop(&mut self) -> Option<Result<Envelope<A>, Envelope<A>>> {
        let m = self.queue.pop()?;
        if self.connected(m.env.from, m.env.to) {
            self.stats.delivered += 1;
            Some(Ok(m.env))
        } else {
            self.stats.cut += 1;
            Some(Err(m.env))
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::VectorTimestamp;
    use hearsay_core::testing::KvApp;
    use rand::SeedableRng;

    fn digest(from: Node, to: Node) -> Envelope<KvApp> {
        Envelope {
            from,
            to,
            payload: Payload::Peer(PeerMessage::Digest {
                rep_ts: VectorTimestamp::new(),
                reply: false,
            }),
        }
    }

    #[test]
    fn delivers_in_arrival_order_within_the_delay_range() {
        let mut net = Network::<KvApp>::new(Faults::none(), 2);
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..50 {
            net.send(
                Time::ZERO,
                digest(Node::Replica(0), Node::Replica(1)),
                &mut rng,
            );
        }
        let mut last = Time::ZERO;
        let mut n = 0;
        while let Some(t) = net.next_time() {
            assert!(t >= last, "deliveries go forward in time");
            assert!((1_000..=20_000).contains(&t.as_micros()));
            last = t;
            assert!(net.pop().is_some_and(|r| r.is_ok()));
            n += 1;
        }
        assert_eq!(n, 50);
    }

    #[test]
    fn a_partition_cuts_messages_between_sides_only() {
        let mut net = Network::<KvApp>::new(Faults::none(), 2);
        let mut rng = StdRng::seed_from_u64(2);
        // r1 and the front end on side 0, r2 alone on side 1.
        net.partition(vec![0, 1, 0]);
        net.send(
            Time::ZERO,
            digest(Node::Replica(0), Node::Replica(1)),
            &mut rng,
        );
        assert!(net.pop().is_some_and(|r| r.is_err()));
        net.send(
            Time::ZERO,
            digest(Node::FrontEnd(0), Node::Replica(0)),
            &mut rng,
        );
        assert!(net.pop().is_some_and(|r| r.is_ok()));
        net.heal();
        net.send(
            Time::ZERO,
            digest(Node::Replica(0), Node::Replica(1)),
            &mut rng,
        );
        assert!(net.pop().is_some_and(|r| r.is_ok()));
        assert_eq!(net.stats().cut, 1);
    }

    #[test]
    fn loss_and_duplication_happen_only_while_active() {
        let faults = Faults {
            loss: 0.3,
            duplicate: 0.3,
            ..Faults::none()
        };
        let mut net = Network::<KvApp>::new(faults, 2);
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200 {
            net.send(
                Time::ZERO,
                digest(Node::Replica(0), Node::Replica(1)),
                &mut rng,
            );
        }
        let s = net.stats();
        assert!(s.lost > 20 && s.duplicated > 20, "{s:?}");
        net.calm();
        let before = net.stats();
        for _ in 0..200 {
            net.send(
                Time::ZERO,
                digest(Node::Replica(0), Node::Replica(1)),
                &mut rng,
            );
        }
        assert_eq!(net.stats().lost, before.lost);
        assert_eq!(net.stats().duplicated, before.duplicated);
    }
}
