//! The in-memory network: timed deliveries between numbered nodes, with
//! seeded delay, loss, duplication and reordering, and partitions.
//!
//! It carries any message type `M` between node *indices*; what a node is and
//! what its messages mean is the caller's business. The simulator numbers its
//! replicas first, then its front ends; the Maelstrom harness numbers its
//! nodes, then its clients. Every random draw comes from the `StdRng` the
//! caller passes in, so a seed replays exactly.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Duration;

use hearsay_core::Time;
use rand::Rng;
use rand::rngs::StdRng;

use crate::config::Faults;

/// A message with its endpoints, by node index.
#[derive(Clone, Debug, PartialEq)]
pub struct Packet<M> {
    /// The sender.
    pub from: usize,
    /// The receiver.
    pub to: usize,
    /// The message.
    pub msg: M,
}

/// How an ordinary message's delay is drawn (a *slow* one, see
/// [`Faults::slow`], is drawn the same way in every case).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Delay {
    /// Uniform between [`Faults::delay_min`] and [`Faults::delay_max`] (equal
    /// bounds give a constant delay).
    Uniform,
    /// [`Faults::delay_min`] plus an exponential draw with this mean, as
    /// Maelstrom's `--latency-dist exponential` (messages may overtake).
    Exponential(Duration),
}

/// A message on its way, ordered by arrival time, then by send order.
#[derive(Debug)]
struct InFlight<M> {
    at: Time,
    seq: u64,
    packet: Packet<M>,
}

impl<M> PartialEq for InFlight<M> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<M> Eq for InFlight<M> {}
impl<M> PartialOrd for InFlight<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for InFlight<M> {
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
pub struct Network<M> {
    faults: Faults,
    delay: Delay,
    /// Whether faults are on (the fault phase) or off (the heal phase, where
    /// only the ordinary delay remains).
    active: bool,
    queue: BinaryHeap<InFlight<M>>,
    next_seq: u64,
    /// Per node index: its side of the partition; `None` when the network is
    /// whole. A node past the end of the list is on no side and reaches
    /// everyone (the harness's clients).
    sides: Option<Vec<u8>>,
    stats: NetStats,
}

impl<M: Clone> Network<M> {
    /// A whole network with `faults` (active) and uniform delays.
    pub fn new(faults: Faults) -> Self {
        Self {
            faults,
            delay: Delay::Uniform,
            active: true,
            queue: BinaryHeap::new(),
            next_seq: 0,
            sides: None,
            stats: NetStats::default(),
        }
    }

    /// The same network drawing ordinary delays as `delay` says.
    pub fn with_delay(mut self, delay: Delay) -> Self {
        self.delay = delay;
        self
    }

    /// What the network did so far.
    pub fn stats(&self) -> NetStats {
        self.stats
    }

    /// Ends the fault phase: no more loss, duplication, slow messages or
    /// partitions (messages already on their way keep their delay).
    pub fn calm(&mut self) {
        self.active = false;
        self.sides = None;
    }

    /// Splits the nodes: `sides[i]` is node `i`'s side. Nodes past the end
    /// of `sides` are on no side and reach everyone.
    pub fn partition(&mut self, sides: Vec<u8>) {
        self.sides = Some(sides);
    }

    /// Joins every side again.
    pub fn heal(&mut self) {
        self.sides = None;
    }

    /// Whether a partition is in force.
    pub fn is_partitioned(&self) -> bool {
        self.sides.is_some()
    }

    /// Whether nodes `a` and `b` can talk right now.
    pub fn connected(&self, a: usize, b: usize) -> bool {
        match &self.sides {
            None => true,
            Some(sides) => match (sides.get(a), sides.get(b)) {
                (Some(x), Some(y)) => x == y,
                _ => true,
            },
        }
    }

    /// Hands a message to the network at `now`: it may be lost, duplicated
    /// or slowed while faults are active, and arrives after its delay.
    pub fn send(&mut self, now: Time, packet: Packet<M>, rng: &mut StdRng) {
        self.post(now, packet, false, rng);
    }

    /// Like [`send`](Self::send), for a reply to a request: it may also be
    /// lost with [`Faults::reply_loss`], so the requester retries something
    /// that already happened.
    pub fn send_reply(&mut self, now: Time, packet: Packet<M>, rng: &mut StdRng) {
        self.post(now, packet, true, rng);
    }

    fn post(&mut self, now: Time, packet: Packet<M>, is_reply: bool, rng: &mut StdRng) {
        self.stats.sent += 1;
        if self.active {
            let lost = rng.random_bool(self.faults.loss)
                || (is_reply && rng.random_bool(self.faults.reply_loss));
            if lost {
                self.stats.lost += 1;
                return;
            }
            if rng.random_bool(self.faults.duplicate) {
                self.stats.duplicated += 1;
                let at = now + self.draw_delay(rng);
                self.enqueue(at, packet.clone());
            }
        }
        let at = now + self.draw_delay(rng);
        self.enqueue(at, packet);
    }

    fn draw_delay(&self, rng: &mut StdRng) -> Duration {
        let f = &self.faults;
        let slow = self.active && rng.random_bool(f.slow);
        let max = match (slow, self.delay) {
            (true, _) => f.slow_max.max(f.delay_min),
            (false, Delay::Uniform) => f.delay_max,
            (false, Delay::Exponential(mean)) => {
                let u: f64 = rng.random();
                return f.delay_min + mean.mul_f64(-(1.0 - u).ln());
            }
        };
        let lo = micros(f.delay_min);
        Duration::from_micros(rng.random_range(lo..=micros(max).max(lo)))
    }

    fn enqueue(&mut self, at: Time, packet: Packet<M>) {
        self.next_seq += 1;
        self.queue.push(InFlight {
            at,
            seq: self.next_seq,
            packet,
        });
    }

    /// When the next message arrives.
    pub fn next_time(&self) -> Option<Time> {
        self.queue.peek().map(|m| m.at)
    }

    /// Takes the next message off the network. `Err` carries a message the
    /// partition cut at its arrival.
    #[allow(clippy::type_complexity)] // one message, delivered or cut
    pub fn pop(&mut self) -> Option<Result<Packet<M>, Packet<M>>> {
        let m = self.queue.pop()?;
        if self.connected(m.packet.from, m.packet.to) {
            self.stats.delivered += 1;
            Some(Ok(m.packet))
        } else {
            self.stats.cut += 1;
            Some(Err(m.packet))
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn msg(from: usize, to: usize) -> Packet<&'static str> {
        Packet {
            from,
            to,
            msg: "digest",
        }
    }

    #[test]
    fn delivers_in_arrival_order_within_the_delay_range() {
        let mut net = Network::new(Faults::none());
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..50 {
            net.send(Time::ZERO, msg(0, 1), &mut rng);
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
        let mut net = Network::new(Faults::none());
        let mut rng = StdRng::seed_from_u64(2);
        // Nodes 0 and 2 on side 0, node 1 alone on side 1; node 3 on none.
        net.partition(vec![0, 1, 0]);
        net.send(Time::ZERO, msg(0, 1), &mut rng);
        assert!(net.pop().is_some_and(|r| r.is_err()));
        net.send(Time::ZERO, msg(2, 0), &mut rng);
        assert!(net.pop().is_some_and(|r| r.is_ok()));
        net.send(Time::ZERO, msg(3, 1), &mut rng);
        assert!(net.pop().is_some_and(|r| r.is_ok()), "unplaced reach all");
        net.heal();
        net.send(Time::ZERO, msg(0, 1), &mut rng);
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
        let mut net = Network::new(faults);
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200 {
            net.send(Time::ZERO, msg(0, 1), &mut rng);
        }
        let s = net.stats();
        assert!(s.lost > 20 && s.duplicated > 20, "{s:?}");
        net.calm();
        let before = net.stats();
        for _ in 0..200 {
            net.send(Time::ZERO, msg(0, 1), &mut rng);
        }
        assert_eq!(net.stats().lost, before.lost);
        assert_eq!(net.stats().duplicated, before.duplicated);
    }

    #[test]
    fn reply_loss_applies_to_replies_only() {
        let faults = Faults {
            reply_loss: 0.5,
            ..Faults::none()
        };
        let mut net = Network::new(faults);
        let mut rng = StdRng::seed_from_u64(4);
        for _ in 0..100 {
            net.send(Time::ZERO, msg(0, 1), &mut rng);
        }
        assert_eq!(net.stats().lost, 0);
        for _ in 0..100 {
            net.send_reply(Time::ZERO, msg(1, 0), &mut rng);
        }
        assert!(net.stats().lost > 20, "{:?}", net.stats());
    }

    #[test]
    fn exponential_delays_have_about_the_mean_and_reorder() {
        let faults = Faults {
            delay_min: Duration::ZERO,
            ..Faults::none()
        };
        let mut net =
            Network::new(faults).with_delay(Delay::Exponential(Duration::from_millis(10)));
        let mut rng = StdRng::seed_from_u64(5);
        for i in 0..400 {
            net.send(
                Time::ZERO,
                Packet {
                    from: 0,
                    to: 1,
                    msg: i,
                },
                &mut rng,
            );
        }
        let mut total = 0u64;
        let mut order = Vec::new();
        while let Some(t) = net.next_time() {
            total += t.as_micros();
            order.push(net.pop().and_then(Result::ok).map(|p| p.msg));
        }
        let mean = total / 400;
        assert!((6_000..=14_000).contains(&mean), "mean {mean} µs");
        assert!(order.windows(2).any(|w| w[0] > w[1]), "some overtake");
    }
}
