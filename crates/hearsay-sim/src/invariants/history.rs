//! What the checkers know of the run: which update each record carries, and
//! which updates each replica has applied.

use std::collections::{BTreeMap, BTreeSet};

use hearsay_core::{Dot, ReplicaId, UpdateId, VectorTimestamp};

/// The record-to-update map and every replica's applied set.
///
/// A record's dot `(origin, seq)` is learned when the origin accepts it, which
/// the simulator sees as the origin's own `rep_ts` entry growing by one.
/// Because counters are dense, `by_origin[o][k - 1]` is the update of `(o, k)`.
#[derive(Debug, Default)]
pub(crate) struct History {
    by_origin: BTreeMap<ReplicaId, Vec<UpdateId>>,
    applied: Vec<Applied>,
}

/// One replica's applied updates.
#[derive(Debug, Default)]
struct Applied {
    ids: BTreeSet<UpdateId>,
    /// Per origin: the longest prefix of its records whose updates this replica
    /// has applied (through that record or through another copy of the same
    /// update). Only grows, so it is advanced lazily.
    frontier: BTreeMap<ReplicaId, u64>,
}

impl History {
    pub(crate) fn new(replicas: usize) -> Self {
        Self {
            by_origin: BTreeMap::new(),
            applied: (0..replicas).map(|_| Applied::default()).collect(),
        }
    }

    /// Notes that `origin` created the record `(origin, seq)` for `id`.
    /// Returns `false` if `seq` is not the origin's next counter.
    pub(crate) fn note_record(&mut self, origin: &ReplicaId, seq: u64, id: UpdateId) -> bool {
        let ids = self.by_origin.entry(origin.clone()).or_default();
        if ids.len() as u64 + 1 != seq {
            return false;
        }
        ids.push(id);
        true
    }

    /// The update carried by the record `dot`, if it was ever created.
    pub(crate) fn update_of(&self, dot: &Dot) -> Option<UpdateId> {
        let idx = usize::try_from(dot.seq.checked_sub(1)?).ok()?;
        self.by_origin.get(&dot.origin)?.get(idx).copied()
    }

    /// Whether `replica` has applied `id`.
    pub(crate) fn has_applied(&self, replica: usize, id: &UpdateId) -> bool {
        self.applied[replica].ids.contains(id)
    }

    /// Notes that `replica` applied `id`.
    pub(crate) fn note_applied(&mut self, replica: usize, id: UpdateId) {
        self.applied[replica].ids.insert(id);
    }

    /// Notes that `replica` took a snapshot that includes every record up to
    /// `value_ts`.
    pub(crate) fn note_snapshot(&mut self, replica: usize, value_ts: &VectorTimestamp) {
        for (origin, upto) in value_ts.iter() {
            let ids = self.by_origin.get(origin).map(Vec::as_slice).unwrap_or(&[]);
            let n = usize::try_from(upto).unwrap_or(usize::MAX).min(ids.len());
            self.applied[replica].ids.extend(ids[..n].iter().copied());
        }
    }

    /// `replica` crashed and will restart from a snapshot at `value_ts`: its
    /// applied set is what that snapshot holds, and nothing more.
    pub(crate) fn note_restart(&mut self, replica: usize, value_ts: &VectorTimestamp) {
        self.applied[replica] = Applied::default();
        self.note_snapshot(replica, value_ts);
    }

    /// The first record of `origin` at or below `upto` whose update `replica`
    /// has not applied, if any.
    pub(crate) fn first_missing(
        &mut self,
        replica: usize,
        origin: &ReplicaId,
        upto: u64,
    ) -> Option<u64> {
        let ids = self.by_origin.get(origin).map(Vec::as_slice).unwrap_or(&[]);
        let applied = &mut self.applied[replica];
        let frontier = applied.frontier.entry(origin.clone()).or_insert(0);
        while *frontier < upto {
            let next = *frontier + 1;
            let known = usize::try_from(*frontier)
                .ok()
                .and_then(|i| ids.get(i))
                .is_some_and(|id| applied.ids.contains(id));
            if !known {
                return Some(next);
            }
            *frontier = next;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::ClientId;

    fn r(n: &str) -> ReplicaId {
        ReplicaId::new(n).unwrap()
    }
    fn u(seq: u64) -> UpdateId {
        UpdateId {
            client: ClientId(1),
            seq,
        }
    }

    #[test]
    fn records_must_be_created_in_counter_order() {
        let mut h = History::new(1);
        assert!(h.note_record(&r("r1"), 1, u(1)));
        assert!(!h.note_record(&r("r1"), 3, u(2)));
        assert_eq!(
            h.update_of(&Dot {
                origin: r("r1"),
                seq: 1
            }),
            Some(u(1))
        );
    }

    #[test]
    fn a_record_counts_as_covered_when_its_update_was_applied_by_any_copy() {
        let mut h = History::new(2);
        // u1 accepted twice, at r1 and at r2 (a retry after a lost reply).
        h.note_record(&r("r1"), 1, u(1));
        h.note_record(&r("r2"), 1, u(1));
        h.note_record(&r("r2"), 2, u(2));
        assert_eq!(h.first_missing(0, &r("r2"), 2), Some(1));
        h.note_applied(0, u(1)); // through r1's copy
        assert_eq!(h.first_missing(0, &r("r2"), 2), Some(2));
        h.note_applied(0, u(2));
        assert_eq!(h.first_missing(0, &r("r2"), 2), None);
        assert_eq!(h.first_missing(1, &r("r1"), 1), Some(1));
    }
}
