//! Records that arrived ahead of a gap, held until the gap fills.

use std::collections::BTreeMap;

use crate::ids::ReplicaId;
use crate::record::UpdateRecord;

/// A bounded buffer of records that arrived out of order.
///
/// The log takes each origin's records only in counter order. A shell that
/// pipelines gossip (several messages to one peer in flight at once, as the
/// QUIC shell does) can deliver a later batch before an earlier one; without
/// this buffer the later batch's records would be dropped and wait for the
/// next anti-entropy round. Held records are not *received* yet: they are not
/// in the replica timestamp, not in the journal and not gossiped on, so
/// nothing about them is promised to anyone until they enter the log.
///
/// Bounded by a record count: when full, a new record is refused (the caller
/// counts it and anti-entropy repairs it), never an old one evicted, so the
/// records closest to filling their gap stay.
#[derive(Clone, Debug)]
pub(crate) struct ReorderBuffer<U> {
    by_origin: BTreeMap<ReplicaId, BTreeMap<u64, UpdateRecord<U>>>,
    len: usize,
    max: usize,
}

impl<U> ReorderBuffer<U> {
    /// An empty buffer holding at most `max` records.
    pub(crate) fn new(max: usize) -> Self {
        Self {
            by_origin: BTreeMap::new(),
            len: 0,
            max,
        }
    }

    /// Records held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Holds `record`; `false` if the buffer is full and it was dropped. A
    /// second copy of a held record replaces nothing and counts as held.
    pub(crate) fn hold(&mut self, record: UpdateRecord<U>) -> bool {
        if let Some(q) = self.by_origin.get(&record.dot.origin) {
            if q.contains_key(&record.dot.seq) {
                return true;
            }
        }
        if self.len >= self.max {
            return false;
        }
        self.by_origin
            .entry(record.dot.origin.clone())
            .or_default()
            .insert(record.dot.seq, record);
        self.len += 1;
        true
    }

    /// Takes the held record of `origin` with counter `next`, first dropping
    /// that origin's records below it (they arrived by another path).
    pub(crate) fn take_next(&mut self, origin: &ReplicaId, next: u64) -> Option<UpdateRecord<U>> {
        let q = self.by_origin.get_mut(origin)?;
        while let Some(entry) = q.first_entry() {
            if *entry.key() >= next {
                break;
            }
            entry.remove();
            self.len -= 1;
        }
        let rec = q.remove(&next);
        if rec.is_some() {
            self.len -= 1;
        }
        if q.is_empty() {
            self.by_origin.remove(origin);
        }
        rec
    }

    /// Drops every held record at or below `have(origin)` (after a snapshot
    /// jumped past them).
    pub(crate) fn drop_covered(&mut self, have: impl Fn(&ReplicaId) -> u64) {
        for (origin, q) in self.by_origin.iter_mut() {
            let upto = have(origin);
            let before = q.len();
            q.retain(|&seq, _| seq > upto);
            self.len -= before - q.len();
        }
        self.by_origin.retain(|_, q| !q.is_empty());
    }

    /// Origins with held records.
    pub(crate) fn origins(&self) -> impl Iterator<Item = &ReplicaId> + '_ {
        self.by_origin.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ClientId, Dot, UpdateId};
    use crate::timestamp::VectorTimestamp;

    fn r(n: &str) -> ReplicaId {
        ReplicaId::new(n).unwrap()
    }

    fn rec(origin: &str, seq: u64) -> UpdateRecord<u8> {
        UpdateRecord {
            id: UpdateId {
                client: ClientId(7),
                seq,
            },
            dot: Dot {
                origin: r(origin),
                seq,
            },
            prev: VectorTimestamp::new(),
            op: 0,
            refused: None,
        }
    }

    #[test]
    fn gives_back_records_in_counter_order_only() {
        let mut b = ReorderBuffer::new(10);
        assert!(b.hold(rec("r1", 3)));
        assert!(b.hold(rec("r1", 2)));
        assert!(b.hold(rec("r2", 5)));
        assert_eq!(b.len(), 3);
        assert!(b.take_next(&r("r1"), 1).is_none(), "1 is the gap");
        assert_eq!(b.take_next(&r("r1"), 2).unwrap().dot.seq, 2);
        assert_eq!(b.take_next(&r("r1"), 3).unwrap().dot.seq, 3);
        assert!(b.take_next(&r("r1"), 4).is_none());
        assert_eq!(b.len(), 1);
        assert_eq!(b.origins().collect::<Vec<_>>(), vec![&r("r2")]);
    }

    #[test]
    fn records_that_came_another_way_are_dropped_on_take() {
        let mut b = ReorderBuffer::new(10);
        b.hold(rec("r1", 2));
        b.hold(rec("r1", 3));
        b.hold(rec("r1", 6));
        // 1..=4 arrived by anti-entropy meanwhile: the next wanted is 5.
        assert!(b.take_next(&r("r1"), 5).is_none());
        assert_eq!(b.len(), 1);
        assert_eq!(b.take_next(&r("r1"), 6).unwrap().dot.seq, 6);
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn is_bounded_and_keeps_what_it_holds_when_full() {
        let mut b = ReorderBuffer::new(2);
        assert!(b.hold(rec("r1", 2)));
        assert!(b.hold(rec("r1", 3)));
        assert!(b.hold(rec("r1", 3)), "a copy of a held record is fine");
        assert!(!b.hold(rec("r1", 4)), "full: refused");
        assert_eq!(b.len(), 2);
        assert_eq!(b.take_next(&r("r1"), 2).unwrap().dot.seq, 2);
        assert!(b.hold(rec("r1", 4)), "room again");
    }

    #[test]
    fn a_snapshot_drops_what_it_covers() {
        let mut b = ReorderBuffer::new(10);
        for s in [3, 4, 9] {
            b.hold(rec("r1", s));
        }
        b.hold(rec("r2", 2));
        b.drop_covered(|o| if o == &r("r1") { 5 } else { 0 });
        assert_eq!(b.len(), 2);
        assert!(b.take_next(&r("r1"), 6).is_none());
        assert_eq!(b.take_next(&r("r1"), 9).unwrap().dot.seq, 9);
    }
}
