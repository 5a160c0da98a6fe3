//! **Same forced order everywhere**: the forced records `(forced, k)` that
//! replicas log and apply form one sequence: every replica that holds
//! record k holds the same update id with the same outcome, each id has at
//! most one place, and each replica applies them in k order without a gap
//! (except across a snapshot it adopts or a restart). A client told a forced
//! update's outcome is told the one in the order.

// Reference: Ladin et al. 1992, §2 (forced updates are "performed in the
// same order at all replicas"); Liskov and Cowling, "Viewstamped Replication
// Revisited" (2012), §4 (every replica executes the same operations in the
// same order).

use std::collections::BTreeMap;

use hearsay_core::{ReplicaId, Time, UpdateId};

use super::{Findings, Property};

/// A record's content in the order: its update and its outcome (`Some`: the
/// refusal's reason).
type Place = (UpdateId, Option<String>);

/// The one forced sequence seen so far, and each replica's progress in it.
#[derive(Debug)]
pub(crate) struct ForcedOrder {
    /// k -> the record first seen at k.
    order: BTreeMap<u64, Place>,
    /// Update id -> its k.
    place: BTreeMap<UpdateId, u64>,
    /// Per replica: the last k applied; `None` when unknown (after a
    /// snapshot or restart, until the next application).
    last: Vec<Option<u64>>,
    /// Outcomes clients were told, checked against the order at the end.
    told: BTreeMap<UpdateId, Option<String>>,
}

impl ForcedOrder {
    pub(crate) fn new(replicas: usize) -> Self {
        Self {
            order: BTreeMap::new(),
            place: BTreeMap::new(),
            last: vec![Some(0); replicas],
            told: BTreeMap::new(),
        }
    }

    /// Forced records placed so far.
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// `name` logged the forced record `k` for `id` with outcome `refused`.
    pub(crate) fn logged(
        &mut self,
        f: &mut Findings,
        now: Time,
        name: &ReplicaId,
        k: u64,
        id: UpdateId,
        refused: &Option<String>,
    ) {
        match self.order.get(&k) {
            Some((first, outcome)) if (*first, outcome) != (id, refused) => f.report(
                now,
                Property::ForcedOrder,
                format!(
                    "{name} logged forced record {k} as {id} ({}), but it is {first} ({}) elsewhere",
                    outcome_name(refused),
                    outcome_name(outcome)
                ),
            ),
            Some(_) => {}
            None => {
                self.order.insert(k, (id, refused.clone()));
                if let Some(other) = self.place.insert(id, k) {
                    f.report(
                        now,
                        Property::ForcedOrder,
                        format!("{id} has two places in the forced order: {other} and {k}"),
                    );
                }
            }
        }
    }

    /// Replica `replica` applied forced record `k`.
    pub(crate) fn applied(
        &mut self,
        f: &mut Findings,
        now: Time,
        replica: usize,
        name: &ReplicaId,
        k: u64,
    ) {
        if let Some(Some(last)) = self.last.get(replica) {
            if k != last + 1 {
                f.report(
                    now,
                    Property::ForcedOrder,
                    format!("{name} applied forced record {k} right after {last}"),
                );
            }
        }
        if !self.order.contains_key(&k) {
            f.report(
                now,
                Property::ForcedOrder,
                format!("{name} applied forced record {k}, which no replica logged"),
            );
        }
        if let Some(slot) = self.last.get_mut(replica) {
            *slot = Some(k);
        }
    }

    /// Replica `replica` adopted a snapshot or restarted: its next forced
    /// record may follow a gap.
    pub(crate) fn rebase(&mut self, replica: usize) {
        if let Some(slot) = self.last.get_mut(replica) {
            *slot = None;
        }
    }

    /// A client was told `id`'s outcome (`Some`: refused, with this reason).
    pub(crate) fn told(&mut self, id: UpdateId, refused: Option<String>) {
        self.told.insert(id, refused);
    }

    /// After healing: each outcome a client was told is the order's.
    pub(crate) fn check_end(&self, f: &mut Findings, now: Time) {
        for (id, told) in &self.told {
            let Some(k) = self.place.get(id) else {
                continue; // never logged: the eventually-applied check reports it
            };
            let Some((_, outcome)) = self.order.get(k) else {
                continue;
            };
            if outcome != told {
                f.report(
                    now,
                    Property::ForcedOrder,
                    format!(
                        "{id} was answered {} but is {} at forced record {k}",
                        outcome_name(told),
                        outcome_name(outcome)
                    ),
                );
            }
        }
    }
}

fn outcome_name(refused: &Option<String>) -> String {
    match refused {
        None => "granted".into(),
        Some(reason) => format!("refused: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::ClientId;

    fn id(seq: u64) -> UpdateId {
        UpdateId {
            client: ClientId(1),
            seq,
        }
    }

    fn r(name: &str) -> ReplicaId {
        ReplicaId::new(name).unwrap()
    }

    #[test]
    fn one_sequence_passes_and_a_second_content_at_a_place_fails() {
        let mut f = Findings::new(1);
        let mut o = ForcedOrder::new(2);
        let t = Time::ZERO;
        o.logged(&mut f, t, &r("r1"), 1, id(1), &None);
        o.logged(&mut f, t, &r("r2"), 1, id(1), &None);
        o.logged(&mut f, t, &r("r1"), 2, id(2), &Some("no".into()));
        o.applied(&mut f, t, 0, &r("r1"), 1);
        o.applied(&mut f, t, 0, &r("r1"), 2);
        o.told(id(2), Some("no".into()));
        o.check_end(&mut f, t);
        assert_eq!(f.total(), 0);
        o.logged(&mut f, t, &r("r2"), 2, id(3), &None);
        assert_eq!(f.total(), 1, "two updates at one place");
        o.logged(&mut f, t, &r("r2"), 3, id(1), &None);
        assert_eq!(f.total(), 2, "one update at two places");
    }

    #[test]
    fn gaps_and_wrong_outcomes_fail_unless_rebased() {
        let mut f = Findings::new(1);
        let mut o = ForcedOrder::new(1);
        let t = Time::ZERO;
        for k in 1..=3 {
            o.logged(&mut f, t, &r("r1"), k, id(k), &None);
        }
        o.applied(&mut f, t, 0, &r("r1"), 2);
        assert_eq!(f.total(), 1, "skipped record 1");
        o.rebase(0);
        o.applied(&mut f, t, 0, &r("r1"), 3);
        assert_eq!(f.total(), 1);
        o.told(id(3), Some("refused".into()));
        o.check_end(&mut f, t);
        assert_eq!(f.total(), 2, "told refused, granted in the order");
    }
}
