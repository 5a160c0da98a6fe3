//! **Exactly-once**: a replica applies each update id at most once, however
//! many times it was retried or accepted; and every update a client was told
//! is accepted is, after healing, applied at every replica.
//!
//! At-most-once is checked at every [`hearsay_core::Output::Applied`] against
//! the replica's applied set (snapshots a replica adopts join that set). The
//! eventual half is checked at the end of the heal phase.

// Reference: Ladin et al. 1992, the executed-update table ("inval"/"uid"):
// duplicates of a retried update are recognised by the update's unique id;
// Coulouris et al., Distributed Systems (5th ed.), §18.4.1, "the executed
// operation table" and "Update processing".

use std::collections::BTreeSet;

use hearsay_core::{Dot, ReplicaId, Time, UpdateId};

use super::history::History;
use super::{Findings, Property};

/// The acknowledged updates, for the eventual half of the property.
#[derive(Debug, Default)]
pub(crate) struct ExactlyOnce {
    acked: BTreeSet<UpdateId>,
}

impl ExactlyOnce {
    /// Checks one application, before it joins the replica's applied set.
    pub(crate) fn check_applied(
        history: &History,
        findings: &mut Findings,
        now: Time,
        replica: usize,
        name: &ReplicaId,
        id: UpdateId,
        dot: &Dot,
    ) {
        if history.has_applied(replica, &id) {
            findings.report(
                now,
                Property::AtMostOnce,
                format!(
                    "{name} applied {id} a second time (record {}:{})",
                    dot.origin, dot.seq
                ),
            );
        }
    }

    /// A front end told a client that `id` is accepted.
    pub(crate) fn acknowledged(&mut self, id: UpdateId) {
        self.acked.insert(id);
    }

    /// After healing: every acknowledged update is applied at every replica.
    pub(crate) fn check_end(
        &self,
        history: &History,
        findings: &mut Findings,
        now: Time,
        names: &[ReplicaId],
    ) {
        for (replica, name) in names.iter().enumerate() {
            let missing: Vec<&UpdateId> = self
                .acked
                .iter()
                .filter(|id| !history.has_applied(replica, id))
                .collect();
            if let Some(first) = missing.first() {
                findings.report(
                    now,
                    Property::EventuallyApplied,
                    format!(
                        "{name} never applied {} acknowledged update(s), first {first}",
                        missing.len()
                    ),
                );
            }
        }
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
            client: ClientId(4),
            seq,
        }
    }

    #[test]
    fn a_second_copy_applied_is_reported() {
        let mut h = History::new(1);
        h.note_record(&r("r1"), 1, u(1));
        h.note_record(&r("r2"), 1, u(1));
        let mut f = Findings::new(0);
        let d1 = Dot {
            origin: r("r1"),
            seq: 1,
        };
        let d2 = Dot {
            origin: r("r2"),
            seq: 1,
        };
        ExactlyOnce::check_applied(&h, &mut f, Time::ZERO, 0, &r("r1"), u(1), &d1);
        h.note_applied(0, u(1));
        assert_eq!(f.total(), 0);
        ExactlyOnce::check_applied(&h, &mut f, Time::ZERO, 0, &r("r1"), u(1), &d2);
        let v = f.into_kept();
        assert_eq!(v[0].property, Property::AtMostOnce);
        assert_eq!(
            v[0].description,
            "r1 applied c4:1 a second time (record r2:1)"
        );
    }

    #[test]
    fn an_acknowledged_update_missing_at_a_replica_is_reported() {
        let mut h = History::new(2);
        let mut once = ExactlyOnce::default();
        once.acknowledged(u(1));
        h.note_applied(0, u(1));
        let mut f = Findings::new(0);
        once.check_end(&h, &mut f, Time::ZERO, &[r("r1"), r("r2")]);
        let v = f.into_kept();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].property, Property::EventuallyApplied);
        assert!(v[0].description.starts_with("r2 never applied 1"));
    }
}
