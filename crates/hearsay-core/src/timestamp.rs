//! Vector timestamps keyed by replica name.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{Dot, ReplicaId};

/// A vector timestamp: for each replica, how many of its records are covered.
///
/// Missing entries are zero, and zero entries are never stored, so two timestamps
/// that mean the same are equal as values. The order is the product order:
/// `a <= b` when every entry of `a` is at most the same entry of `b`; two
/// timestamps neither of which is below the other are *concurrent*, and
/// `partial_cmp` gives `None` for them. `merge` is the pointwise maximum (the
/// least upper bound), so timestamps form a join semilattice.
///
/// Decoding drops zero entries, so a timestamp from the network keeps that
/// promise too (`{r1:0}` decodes as `{}`).
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "BTreeMap<ReplicaId, u64>")]
pub struct VectorTimestamp(BTreeMap<ReplicaId, u64>);

impl From<BTreeMap<ReplicaId, u64>> for VectorTimestamp {
    fn from(mut entries: BTreeMap<ReplicaId, u64>) -> Self {
        entries.retain(|_, v| *v != 0);
        Self(entries)
    }
}

impl VectorTimestamp {
    /// The zero timestamp, below every other.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entry for `replica` (zero when absent).
    pub fn get(&self, replica: &ReplicaId) -> u64 {
        self.0.get(replica).copied().unwrap_or(0)
    }

    /// Sets the entry for `replica`; setting zero removes it.
    pub fn set(&mut self, replica: ReplicaId, value: u64) {
        if value == 0 {
            self.0.remove(&replica);
        } else {
            self.0.insert(replica, value);
        }
    }

    /// Raises the entry for `replica` to `value` if it is lower.
    pub fn raise(&mut self, replica: &ReplicaId, value: u64) {
        if value == 0 {
            return;
        }
        match self.0.get_mut(replica) {
            Some(v) => *v = (*v).max(value),
            None => {
                self.0.insert(replica.clone(), value);
            }
        }
    }

    /// Whether the record `dot` is covered by this timestamp.
    pub fn covers(&self, dot: &Dot) -> bool {
        self.get(&dot.origin) >= dot.seq
    }

    /// Pointwise maximum with `other`, in place.
    pub fn merge(&mut self, other: &VectorTimestamp) {
        for (id, &v) in &other.0 {
            // Look up before inserting: most entries exist already, and an
            // entry API call would clone the key every time.
            match self.0.get_mut(id) {
                Some(cur) => *cur = (*cur).max(v),
                None => {
                    self.0.insert(id.clone(), v);
                }
            }
        }
    }

    /// Pointwise maximum with `other`, as a new timestamp.
    pub fn merged(&self, other: &VectorTimestamp) -> VectorTimestamp {
        let mut out = self.clone();
        out.merge(other);
        out
    }

    /// Whether `self <= other` in the product order.
    ///
    /// One pass over both, in name order (a merge join): linear in the
    /// entries, with no lookups.
    pub fn le(&self, other: &VectorTimestamp) -> bool {
        if self.0.len() > other.0.len() {
            return false; // some entry of ours is missing (zero) there
        }
        let mut theirs = other.0.iter();
        'ours: for (id, &v) in &self.0 {
            for (oid, &ov) in theirs.by_ref() {
                match oid.cmp(id) {
                    Ordering::Less => continue,
                    Ordering::Equal if ov >= v => continue 'ours,
                    _ => return false,
                }
            }
            return false; // ran out: our entry is missing there
        }
        true
    }

    /// The sum of all entries: strictly grows along every causal chain, which is
    /// what makes it a usable first key for arbitration.
    pub fn sum(&self) -> u64 {
        self.0.values().fold(0u64, |a, &v| a.saturating_add(v))
    }

    /// The entries, in replica-name order.
    pub fn iter(&self) -> impl Iterator<Item = (&ReplicaId, u64)> + '_ {
        self.0.iter().map(|(k, &v)| (k, v))
    }

    /// How many non-zero entries there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether this is the zero timestamp.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The replicas for which `self` is ahead of `other`.
    pub fn ahead_of<'a>(
        &'a self,
        other: &'a VectorTimestamp,
    ) -> impl Iterator<Item = &'a ReplicaId> + 'a {
        self.0
            .iter()
            .filter(move |(id, v)| other.get(id) < **v)
            .map(|(id, _)| id)
    }
}

impl PartialOrd for VectorTimestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self.le(other), other.le(self)) {
            (true, true) => Some(Ordering::Equal),
            (true, false) => Some(Ordering::Less),
            (false, true) => Some(Ordering::Greater),
            (false, false) => None,
        }
    }
}

impl FromIterator<(ReplicaId, u64)> for VectorTimestamp {
    fn from_iter<I: IntoIterator<Item = (ReplicaId, u64)>>(iter: I) -> Self {
        let mut ts = VectorTimestamp::new();
        for (id, v) in iter {
            ts.raise(&id, v);
        }
        ts
    }
}

impl fmt::Debug for VectorTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for VectorTimestamp {
    /// `{r1:3, r2:1}`; the zero timestamp is `{}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (id, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{id}:{v}")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(n: &str) -> ReplicaId {
        ReplicaId::new(n).unwrap()
    }

    fn ts(entries: &[(&str, u64)]) -> VectorTimestamp {
        entries.iter().map(|(k, v)| (r(k), *v)).collect()
    }

    #[test]
    fn missing_entries_are_zero_and_zero_is_not_stored() {
        let mut a = ts(&[("r1", 2)]);
        assert_eq!(a.get(&r("r9")), 0);
        a.set(r("r2"), 0);
        assert_eq!(a, ts(&[("r1", 2)]));
        a.set(r("r1"), 0);
        assert_eq!(a, VectorTimestamp::new());
    }

    #[test]
    fn decoding_drops_zero_entries() {
        let raw: BTreeMap<ReplicaId, u64> = [(r("r1"), 0), (r("r2"), 3)].into_iter().collect();
        let bytes = postcard::to_allocvec(&raw).unwrap();
        let decoded: VectorTimestamp = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(decoded, ts(&[("r2", 3)]));
    }

    #[test]
    fn order_and_concurrency() {
        let a = ts(&[("r1", 1)]);
        let b = ts(&[("r1", 1), ("r2", 1)]);
        let c = ts(&[("r2", 2)]);
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Less));
        assert_eq!(b.partial_cmp(&a), Some(Ordering::Greater));
        assert_eq!(a.partial_cmp(&c), None);
        assert_eq!(a.merged(&c), ts(&[("r1", 1), ("r2", 2)]));
        assert_eq!(format!("{}", a.merged(&c)), "{r1:1, r2:2}");
    }

    fn arb_ts() -> impl Strategy<Value = VectorTimestamp> {
        proptest::collection::btree_map(0u8..5, 0u64..4, 0..5).prop_map(|m| {
            m.into_iter()
                .map(|(k, v)| (r(&format!("r{k}")), v))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn merge_is_commutative(a in arb_ts(), b in arb_ts()) {
            prop_assert_eq!(a.merged(&b), b.merged(&a));
        }

        #[test]
        fn merge_is_associative(a in arb_ts(), b in arb_ts(), c in arb_ts()) {
            prop_assert_eq!(a.merged(&b).merged(&c), a.merged(&b.merged(&c)));
        }

        #[test]
        fn merge_is_idempotent(a in arb_ts()) {
            prop_assert_eq!(a.merged(&a), a.clone());
        }

        #[test]
        fn merge_is_the_least_upper_bound(a in arb_ts(), b in arb_ts(), c in arb_ts()) {
            let m = a.merged(&b);
            prop_assert!(a <= m && b <= m);
            // Any upper bound of both is above the merge.
            if a <= c && b <= c {
                prop_assert!(m <= c);
            }
        }

        #[test]
        fn order_is_a_partial_order(a in arb_ts(), b in arb_ts(), c in arb_ts()) {
            prop_assert!(a <= a);
            if a <= b && b <= a { prop_assert_eq!(&a, &b); }
            if a <= b && b <= c { prop_assert!(a <= c); }
            // le agrees with the partial order, and merge with it.
            prop_assert_eq!(a.le(&b), a.merged(&b) == b);
        }

        #[test]
        fn sum_grows_along_the_order(a in arb_ts(), b in arb_ts()) {
            if a < b { prop_assert!(a.sum() < b.sum()); }
        }
    }
}
