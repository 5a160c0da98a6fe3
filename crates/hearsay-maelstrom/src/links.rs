//! Per-link ordering of `hs_peer` messages.
//!
//! Maelstrom's network may deliver two messages between the same nodes out
//! of order (with `--latency-dist uniform` or `exponential`). The core reads
//! each gossip message as a per-origin prefix and drops records that leave a
//! gap, and it answers a digest by what that digest says the peer has; an
//! overtaken (stale) digest can make it send a whole snapshot. So the node
//! numbers its `hs_peer` messages per destination and hands them to the core
//! in order: an early message waits (at most `hold`) for the ones before it;
//! a message that arrives after the node gave up waiting for it is dropped,
//! which is safe because anti-entropy repairs anything a lost message carried.

use std::collections::BTreeMap;
use std::time::Duration;

use hearsay_core::Time;
use serde_json::Value;

/// Sequence numbers out, reordering buffers in.
#[derive(Debug)]
pub(crate) struct Links {
    /// How long an early message waits for the ones before it.
    hold: Duration,
    /// Per destination: the last sequence number used.
    sent: BTreeMap<String, u64>,
    /// Per source: what arrived early.
    inbound: BTreeMap<String, Inbox>,
}

#[derive(Debug)]
struct Inbox {
    /// The sequence number due next.
    expected: u64,
    /// Early messages by sequence number, with the time to stop waiting.
    held: BTreeMap<u64, (Time, Value)>,
}

impl Links {
    pub(crate) fn new(hold: Duration) -> Self {
        Self {
            hold,
            sent: BTreeMap::new(),
            inbound: BTreeMap::new(),
        }
    }

    /// The sequence number for the next message to `to`.
    pub(crate) fn stamp(&mut self, to: &str) -> u64 {
        let seq = self.sent.entry(to.to_owned()).or_insert(0);
        *seq += 1;
        *seq
    }

    /// Takes in a message from `from` numbered `seq` (`None`: unnumbered,
    /// delivered as is) and returns the messages now deliverable, in order.
    pub(crate) fn receive(
        &mut self,
        now: Time,
        from: &str,
        seq: Option<u64>,
        msg: Value,
    ) -> Vec<Value> {
        let Some(seq) = seq else {
            return vec![msg];
        };
        let inbox = self.inbound.entry(from.to_owned()).or_insert(Inbox {
            expected: 1,
            held: BTreeMap::new(),
        });
        if seq < inbox.expected {
            return Vec::new(); // given up on, or a duplicate
        }
        if seq > inbox.expected {
            inbox.held.insert(seq, (now + self.hold, msg));
            return Vec::new();
        }
        let mut ready = vec![msg];
        inbox.expected += 1;
        inbox.release(&mut ready);
        ready
    }

    /// Gives up waiting where `hold` has passed; returns what that releases,
    /// with each message's sender.
    pub(crate) fn expire(&mut self, now: Time) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for (from, inbox) in &mut self.inbound {
            while let Some((&first, &(deadline, _))) = inbox.held.iter().next() {
                if deadline > now {
                    break;
                }
                inbox.expected = first;
                let mut ready = Vec::new();
                inbox.release(&mut ready);
                out.extend(ready.into_iter().map(|m| (from.clone(), m)));
            }
        }
        out
    }

    /// When [`expire`](Self::expire) next has work.
    pub(crate) fn poll_timeout(&self) -> Option<Time> {
        self.inbound
            .values()
            .filter_map(|i| i.held.values().map(|(t, _)| *t).min())
            .min()
    }
}

impl Inbox {
    /// Moves the held messages that are now in sequence to `ready`.
    fn release(&mut self, ready: &mut Vec<Value>) {
        while let Some((_, msg)) = self.held.remove(&self.expected) {
            ready.push(msg);
            self.expected += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Time {
        Time::from_micros(ms * 1000)
    }

    #[test]
    fn early_messages_wait_for_their_predecessors() {
        let mut l = Links::new(Duration::from_millis(100));
        assert!(l.receive(t(0), "n1", Some(2), Value::from(2)).is_empty());
        assert_eq!(l.poll_timeout(), Some(t(100)));
        assert_eq!(
            l.receive(t(5), "n1", Some(1), Value::from(1)),
            vec![Value::from(1), Value::from(2)]
        );
        assert_eq!(l.poll_timeout(), None);
        assert_eq!(
            l.receive(t(6), "n1", None, Value::from(9)),
            vec![Value::from(9)]
        );
    }

    #[test]
    fn a_lost_message_is_skipped_after_the_hold_and_dropped_if_it_turns_up() {
        let mut l = Links::new(Duration::from_millis(100));
        assert_eq!(l.receive(t(0), "n1", Some(1), Value::from(1)).len(), 1);
        assert!(l.receive(t(1), "n1", Some(3), Value::from(3)).is_empty());
        assert!(l.receive(t(2), "n1", Some(4), Value::from(4)).is_empty());
        assert!(l.expire(t(50)).is_empty());
        assert_eq!(
            l.expire(t(101)),
            vec![("n1".into(), Value::from(3)), ("n1".into(), Value::from(4))]
        );
        assert!(l.receive(t(120), "n1", Some(2), Value::from(2)).is_empty());
        assert_eq!(l.receive(t(121), "n1", Some(5), Value::from(5)).len(), 1);
        assert_eq!(l.stamp("n2"), 1);
        assert_eq!(l.stamp("n2"), 2);
        assert_eq!(l.stamp("n3"), 1);
    }
}
