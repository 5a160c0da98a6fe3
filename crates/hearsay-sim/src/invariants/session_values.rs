//! **Session guarantees, checked with values** where the right answer is
//! known, independently of the timestamps the replicas report.
//!
//! - Read-your-writes: only its owner writes a private register, each write
//!   causally after the last, so the last *acknowledged* write wins over every
//!   earlier one. A read of it must return that write's value, or the value of
//!   a later write whose outcome the client never learned (busy: it may have
//!   been accepted anyway). A counter read must include all of the session's
//!   own acknowledged adds.
//! - Monotonic reads: counters only grow (deltas are positive), so one
//!   session's reads of a counter never go down.
//! - At-most-once, by value: a private counter never exceeds the sum of every
//!   add its owner issued, acknowledged or not.
//!
//! Ledger accounts (debited by forced updates) and forced registers are left
//! to the ledger and linearizability checkers.

// Reference: Terry et al., "Session Guarantees for Weakly Consistent
// Replicated Data", PDIS 1994, §3 (read-your-writes, monotonic reads);
// Ladin et al. 1992 (exactly-once through unique update ids); Coulouris et
// al., Distributed Systems (5th ed.), §18.4.1.

use std::collections::BTreeMap;

use hearsay_core::testing::{KvQuery, KvReply, KvUpdate};

use super::Property;
use crate::kv_workload::{is_ledger, owner};

/// Writes to one private register, as far as its owner knows.
#[derive(Clone, Debug, Default)]
struct Register {
    /// The last acknowledged write's value (`None`: deleted, or never set).
    acked: Option<i64>,
    /// Values of writes issued after it whose outcome is unknown.
    maybe: Vec<Option<i64>>,
}

/// Adds one client made to one counter.
#[derive(Clone, Copy, Debug, Default)]
struct Adds {
    acked: i64,
    maybe: i64,
}

/// One client's knowledge of its own writes and of its last reads.
#[derive(Clone, Debug, Default)]
struct Known {
    registers: BTreeMap<String, Register>,
    adds: BTreeMap<String, Adds>,
    last_count: BTreeMap<String, i64>,
}

/// Value checks for every client.
#[derive(Debug, Default)]
pub(crate) struct SessionValues {
    /// By client index; grown as clients appear.
    clients: Vec<Known>,
}

impl SessionValues {
    fn known(&mut self, client: usize) -> &mut Known {
        if self.clients.len() <= client {
            self.clients.resize_with(client + 1, Known::default);
        }
        &mut self.clients[client]
    }

    /// `client`'s update `op` ended: `acked` if accepted, else its fate is
    /// unknown (busy, or rejected after an attempt whose reply was lost).
    pub(crate) fn update_done(&mut self, client: usize, op: &KvUpdate, acked: bool) {
        let known = self.known(client);
        let (key, value) = match op {
            KvUpdate::Add { key, .. } if is_ledger(key) => return,
            KvUpdate::Set { .. } | KvUpdate::Cas { .. } | KvUpdate::Debit { .. } => return,
            KvUpdate::Add { key, delta } => {
                let adds = known.adds.entry(key.clone()).or_default();
                if acked {
                    adds.acked += delta;
                } else {
                    adds.maybe += delta;
                }
                return;
            }
            KvUpdate::Put { key, value } => (key, Some(*value)),
            KvUpdate::Delete { key } => (key, None),
        };
        if owner(key) != Some(client) {
            return;
        }
        let reg = known.registers.entry(key.clone()).or_default();
        if acked {
            reg.acked = value;
            reg.maybe.clear();
        } else {
            reg.maybe.push(value);
        }
    }

    /// `client`'s `query` was answered `reply`.
    pub(crate) fn answered(
        &mut self,
        report: &mut dyn FnMut(Property, String),
        client: usize,
        query: &KvQuery,
        reply: &KvReply,
    ) {
        let known = self.known(client);
        match (query, reply) {
            (KvQuery::Get { key }, KvReply::Value(got)) if owner(key) == Some(client) => {
                let reg = known.registers.get(key).cloned().unwrap_or_default();
                if *got != reg.acked && !reg.maybe.contains(got) {
                    report(
                        Property::ReadYourWrites,
                        format!(
                            "client {client} read {key} = {got:?}, but its last acknowledged write left {:?} (later unacknowledged writes: {:?})",
                            reg.acked, reg.maybe
                        ),
                    );
                }
            }
            (KvQuery::Count { key }, KvReply::Count(got)) if !is_ledger(key) => {
                let adds = known.adds.get(key).copied().unwrap_or_default();
                if *got < adds.acked {
                    report(
                        Property::ReadYourWrites,
                        format!(
                            "client {client} read counter {key} = {got}, below the {} its own acknowledged adds sum to",
                            adds.acked
                        ),
                    );
                }
                if owner(key) == Some(client) && *got > adds.acked + adds.maybe {
                    report(
                        Property::AtMostOnce,
                        format!(
                            "client {client} read its counter {key} = {got}, above the {} of every add it ever issued",
                            adds.acked + adds.maybe
                        ),
                    );
                }
                let last = known.last_count.entry(key.clone()).or_insert(0);
                if *got < *last {
                    report(
                        Property::MonotonicReads,
                        format!("client {client} read counter {key} = {got} after reading {last}"),
                    );
                }
                *last = (*last).max(*got);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invariants::Findings;
    use crate::kv_workload::{private_counter, private_register};
    use hearsay_core::Time;

    fn get(key: &str) -> KvQuery {
        KvQuery::Get { key: key.into() }
    }

    #[test]
    fn a_private_register_reads_its_last_acknowledged_write_or_a_later_unknown_one() {
        let key = private_register(0, 0);
        let mut v = SessionValues::default();
        let mut f = Findings::new(0);
        let put = |value| KvUpdate::Put {
            key: key.clone(),
            value,
        };
        v.update_done(0, &put(1), true);
        v.update_done(0, &put(2), false);
        v.answered(
            &mut |p, d| f.report(Time::ZERO, p, d),
            0,
            &get(&key),
            &KvReply::Value(Some(1)),
        );
        v.answered(
            &mut |p, d| f.report(Time::ZERO, p, d),
            0,
            &get(&key),
            &KvReply::Value(Some(2)),
        );
        assert_eq!(f.total(), 0);
        v.update_done(0, &put(3), true);
        // 2 was issued before the acknowledged 3, so 3 must win now.
        v.answered(
            &mut |p, d| f.report(Time::ZERO, p, d),
            0,
            &get(&key),
            &KvReply::Value(Some(2)),
        );
        v.answered(
            &mut |p, d| f.report(Time::ZERO, p, d),
            0,
            &get(&key),
            &KvReply::Value(None),
        );
        let kept = f.into_kept();
        assert_eq!(kept.len(), 2);
        assert!(kept.iter().all(|k| k.property == Property::ReadYourWrites));
    }

    #[test]
    fn counters_are_bounded_by_own_adds_and_never_go_down() {
        let key = private_counter(0);
        let count = KvQuery::Count { key: key.clone() };
        let add = |delta| KvUpdate::Add {
            key: key.clone(),
            delta,
        };
        let mut v = SessionValues::default();
        let mut f = Findings::new(0);
        v.update_done(0, &add(5), true);
        v.update_done(0, &add(2), false);
        v.answered(
            &mut |p, d| f.report(Time::ZERO, p, d),
            0,
            &count,
            &KvReply::Count(7),
        );
        assert_eq!(f.total(), 0);
        v.answered(
            &mut |p, d| f.report(Time::ZERO, p, d),
            0,
            &count,
            &KvReply::Count(4),
        );
        v.answered(
            &mut |p, d| f.report(Time::ZERO, p, d),
            0,
            &count,
            &KvReply::Count(12),
        );
        let props: Vec<Property> = f.into_kept().iter().map(|k| k.property).collect();
        assert_eq!(
            props,
            [
                Property::ReadYourWrites,
                Property::MonotonicReads,
                Property::AtMostOnce
            ]
        );
    }
}
