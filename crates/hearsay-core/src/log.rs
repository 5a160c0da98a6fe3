//! The update log: every record a replica holds, per origin, in counter order.

use std::collections::{BTreeMap, VecDeque};

use crate::ids::{Dot, ReplicaId};
use crate::record::UpdateRecord;
use crate::timestamp::VectorTimestamp;

/// Records per origin, each queue contiguous in counter order.
///
/// Invariant: a non-empty queue for origin `k` ends at the replica's `rep_ts[k]`,
/// and its records have consecutive counters. Records below the front were
/// discarded (known everywhere) or arrived inside a snapshot.
#[derive(Clone, Debug)]
pub(crate) struct UpdateLog<U> {
    by_origin: BTreeMap<ReplicaId, VecDeque<UpdateRecord<U>>>,
    /// Total records, kept so `len` is O(1) for status and metrics.
    len: usize,
}

impl<U> Default for UpdateLog<U> {
    fn default() -> Self {
        Self {
            by_origin: BTreeMap::new(),
            len: 0,
        }
    }
}

impl<U: Clone> UpdateLog<U> {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends a record; the caller has checked it is the origin's next counter.
    pub(crate) fn push(&mut self, record: UpdateRecord<U>) {
        let q = self.by_origin.entry(record.dot.origin.clone()).or_default();
        debug_assert!(q.back().is_none_or(|b| b.dot.seq + 1 == record.dot.seq));
        q.push_back(record);
        self.len += 1;
    }

    /// The record with this dot, if still held.
    pub(crate) fn get(&self, dot: &Dot) -> Option<&UpdateRecord<U>> {
        let q = self.by_origin.get(&dot.origin)?;
        let front = q.front()?.dot.seq;
        let idx = dot.seq.checked_sub(front)?;
        q.get(usize::try_from(idx).ok()?)
    }

    /// Origins with records in the log.
    pub(crate) fn origins(&self) -> impl Iterator<Item = &ReplicaId> + '_ {
        self.by_origin.keys()
    }

    /// The first counter still held for `origin`.
    pub(crate) fn front_seq(&self, origin: &ReplicaId) -> Option<u64> {
        self.by_origin.get(origin)?.front().map(|r| r.dot.seq)
    }

    /// The last counter held for `origin`.
    pub(crate) fn last_seq(&self, origin: &ReplicaId) -> Option<u64> {
        self.by_origin.get(origin)?.back().map(|r| r.dot.seq)
    }

    /// Whether the log can serve every record a peer at `peer_ts` lacks, given that
    /// this replica has `rep_ts`; `false` means the peer needs a snapshot.
    pub(crate) fn can_serve(&self, rep_ts: &VectorTimestamp, peer_ts: &VectorTimestamp) -> bool {
        rep_ts.iter().all(|(origin, have)| {
            let theirs = peer_ts.get(origin);
            theirs >= have || self.front_seq(origin).is_some_and(|f| f <= theirs + 1)
        })
    }

    /// Records above `peer_ts`, origin by origin, until `max_bytes` (measured by
    /// `size`) is reached; at least one record if there is any. Records of an
    /// origin `o` with counters in `skip(o) = (a, b]` are left out. Returns
    /// whether everything the peer lacked (and was not skipped) fitted.
    pub(crate) fn collect_missing(
        &self,
        peer_ts: &VectorTimestamp,
        skip: impl Fn(&ReplicaId) -> (u64, u64),
        max_bytes: usize,
        size: impl Fn(&UpdateRecord<U>) -> usize,
        out: &mut Vec<UpdateRecord<U>>,
    ) -> bool {
        let mut bytes = 0usize;
        for (origin, q) in &self.by_origin {
            let from = peer_ts.get(origin) + 1;
            let Some(front) = q.front().map(|r| r.dot.seq) else {
                continue;
            };
            let (a, b) = skip(origin);
            let start = usize::try_from(from.saturating_sub(front)).unwrap_or(usize::MAX);
            for rec in q.iter().skip(start) {
                if rec.dot.seq > a && rec.dot.seq <= b {
                    continue;
                }
                let n = size(rec);
                if !out.is_empty() && bytes + n > max_bytes {
                    return false;
                }
                bytes += n;
                out.push(rec.clone());
            }
        }
        true
    }

    /// Records of `origin` with counters in `from..=to` that are still held.
    pub(crate) fn range(
        &self,
        origin: &ReplicaId,
        from: u64,
        to: u64,
    ) -> impl Iterator<Item = &UpdateRecord<U>> + '_ {
        self.by_origin
            .get(origin)
            .into_iter()
            .flat_map(|q| q.iter())
            .filter(move |r| r.dot.seq >= from && r.dot.seq <= to)
    }

    /// Drops front records of each origin while `done(record)` holds.
    pub(crate) fn discard_while(&mut self, mut done: impl FnMut(&UpdateRecord<U>) -> bool) {
        for q in self.by_origin.values_mut() {
            while q.front().is_some_and(&mut done) {
                q.pop_front();
                self.len -= 1;
            }
        }
        self.by_origin.retain(|_, q| !q.is_empty());
    }

    /// Removes every record of `origin` (after a snapshot jumped past them).
    pub(crate) fn clear_origin(&mut self, origin: &ReplicaId) -> VecDeque<UpdateRecord<U>> {
        let q = self.by_origin.remove(origin).unwrap_or_default();
        self.len -= q.len();
        q
    }

    /// The record of `origin` with counter `seq`, if held (for the apply loop).
    pub(crate) fn next_of(&self, origin: &ReplicaId, seq: u64) -> Option<&UpdateRecord<U>> {
        self.get(&Dot {
            origin: origin.clone(),
            seq,
        })
    }
}
