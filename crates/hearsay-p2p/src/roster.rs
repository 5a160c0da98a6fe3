//! The sorted peer list, as replicated state every peer converges on.
//!
//! Each peer's entry is a [`Presence`]; entries merge by taking the greater
//! one, ordered by incarnation and then "gone" over "here". That is a
//! join-semilattice (commutative, associative, idempotent), so presences and
//! withdrawals can arrive in any order and every peer ends with the same
//! list. A peer that starts again at the same address gets a greater
//! incarnation and so comes back; a peer wrongly declared crashed sees
//! itself gone and announces itself again, one incarnation up.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use hearsay_core::ReplicaId;
use serde::{Deserialize, Serialize};

/// One peer's entry on the list.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct Presence {
    /// Which life of the peer this is about: a restarted peer's is greater.
    pub incarnation: u64,
    /// Withdrawn (left, or dropped after the crash timeout): greater than
    /// "here" of the same incarnation, so a withdrawal is never undone by a
    /// late copy of the presence it withdraws.
    pub gone: bool,
    /// Where it listens.
    pub addr: SocketAddr,
}

/// Every peer ever heard of, here or gone.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Roster {
    entries: BTreeMap<ReplicaId, Presence>,
}

impl Roster {
    /// Merges `presence` of `name` in; `true` if the list changed.
    pub fn note(&mut self, name: &ReplicaId, presence: Presence) -> bool {
        match self.entries.get_mut(name) {
            Some(old) if *old >= presence => false,
            Some(old) => {
                *old = presence;
                true
            }
            None => {
                self.entries.insert(name.clone(), presence);
                true
            }
        }
    }

    /// Merges every entry of `other` in; `true` if the list changed.
    pub fn merge(&mut self, other: &Roster) -> bool {
        let mut changed = false;
        for (name, p) in &other.entries {
            changed |= self.note(name, *p);
        }
        changed
    }

    /// The peers here, sorted by name.
    pub fn here(&self) -> BTreeSet<ReplicaId> {
        self.entries
            .iter()
            .filter(|(_, p)| !p.gone)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// `name`'s entry, if heard of.
    pub fn get(&self, name: &ReplicaId) -> Option<&Presence> {
        self.entries.get(name)
    }

    /// Every entry, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&ReplicaId, &Presence)> {
        self.entries.iter()
    }

    /// Entries held (gone ones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no peer was ever heard of.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: &str) -> ReplicaId {
        ReplicaId::new(n).unwrap()
    }

    fn p(incarnation: u64, gone: bool) -> Presence {
        Presence {
            incarnation,
            gone,
            addr: "127.0.0.1:1".parse().unwrap(),
        }
    }

    #[test]
    fn merging_is_order_independent_and_a_withdrawal_wins_its_incarnation() {
        let notes = [
            (id("a"), p(1, false)),
            (id("a"), p(1, true)),
            (id("b"), p(1, false)),
            (id("a"), p(2, false)),
            (id("b"), p(1, true)),
        ];
        let mut forward = Roster::default();
        for (n, x) in &notes {
            forward.note(n, *x);
        }
        let mut backward = Roster::default();
        for (n, x) in notes.iter().rev() {
            backward.note(n, *x);
        }
        assert_eq!(forward, backward);
        assert_eq!(forward.here(), BTreeSet::from([id("a")]));
        assert!(
            !forward.note(&id("a"), p(1, false)),
            "a stale presence changes nothing"
        );
        let mut merged = Roster::default();
        assert!(merged.merge(&forward));
        assert!(!merged.merge(&forward), "idempotent");
    }
}
