//! **Causal order**: a replica applies an update only after every update in
//! its causal past.
//!
//! The causal past of a record `(origin, seq)` with context `prev` is the
//! first `prev[o]` records of every origin `o`, plus the origin's own records
//! `1..seq` (origins apply in counter order, which keeps every timestamp entry
//! an exact count). Checked at every [`hearsay_core::Output::Applied`]: each of
//! those records' updates must already be applied at that replica, through
//! that record or through another copy of the same update (a retried update
//! may have been accepted twice; either copy carries its effect).

// Reference: Ladin, Liskov, Shrira, Ghemawat, "Providing High Availability
// Using Lazy Replication", ACM TOCS 10(4), 1992 — an update is executed only
// once its prev is covered by the value timestamp ("stable updates");
// Coulouris et al., Distributed Systems (5th ed.), §18.4.1, "Update
// processing" (causal ordering of updates at a replica manager).

use hearsay_core::{Dot, ReplicaId, Time, UpdateId, VectorTimestamp};

use super::history::History;
use super::{Findings, Property};

/// Checks one application of `id` (record `dot`, context `prev`) at `replica`,
/// before it is added to the replica's applied set.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
pub(crate) fn check_applied(
    history: &mut History,
    findings: &mut Findings,
    now: Time,
    replica: usize,
    name: &ReplicaId,
    id: UpdateId,
    dot: &Dot,
    prev: &VectorTimestamp,
) {
    let own_past = (&dot.origin, dot.seq.saturating_sub(1));
    let past = std::iter::once(own_past).chain(prev.iter().filter(|(o, _)| **o != dot.origin));
    for (origin, upto) in past {
        if let Some(missing) = history.first_missing(replica, origin, upto) {
            let what = history
                .update_of(&Dot {
                    origin: origin.clone(),
                    seq: missing,
                })
                .map_or_else(|| "a record never created".to_owned(), |u| u.to_string());
            findings.report(
                now,
                Property::CausalOrder,
                format!(
                    "{name} applied {id} ({}:{}, prev {prev}) before {what} ({origin}:{missing}) of its causal past",
                    dot.origin, dot.seq
                ),
            );
            return;
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
            client: ClientId(1),
            seq,
        }
    }
    fn dot(o: &str, seq: u64) -> Dot {
        Dot { origin: r(o), seq }
    }

    /// r1 created u1; r2 created u2 by a client that had seen u1.
    fn history() -> History {
        let mut h = History::new(3);
        h.note_record(&r("r1"), 1, u(1));
        h.note_record(&r("r2"), 1, u(2));
        h
    }

    fn prev_u1() -> VectorTimestamp {
        [(r("r1"), 1)].into_iter().collect()
    }

    #[test]
    fn applying_after_the_causal_past_is_fine() {
        let mut h = history();
        let mut f = Findings::new(0);
        h.note_applied(2, u(1));
        check_applied(
            &mut h,
            &mut f,
            Time::ZERO,
            2,
            &r("r3"),
            u(2),
            &dot("r2", 1),
            &prev_u1(),
        );
        assert_eq!(f.total(), 0);
    }

    #[test]
    fn applying_before_a_dependency_is_reported() {
        let mut h = history();
        let mut f = Findings::new(0);
        check_applied(
            &mut h,
            &mut f,
            Time::ZERO,
            2,
            &r("r3"),
            u(2),
            &dot("r2", 1),
            &prev_u1(),
        );
        let v = f.into_kept();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].property, Property::CausalOrder);
        assert!(v[0].description.contains("before c1:1 (r1:1)"), "{}", v[0]);
    }

    #[test]
    fn applying_out_of_origin_order_is_reported() {
        let mut h = history();
        h.note_record(&r("r1"), 2, u(3));
        let mut f = Findings::new(0);
        let no_prev = VectorTimestamp::new();
        check_applied(
            &mut h,
            &mut f,
            Time::ZERO,
            1,
            &r("r2"),
            u(3),
            &dot("r1", 2),
            &no_prev,
        );
        assert_eq!(f.total(), 1);
    }
}
