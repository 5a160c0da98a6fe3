//! **No overdraft**: a ledger account (a counter credited by causal adds and
//! debited by forced updates that [`hearsay_core::App::decide_forced`]
//! refuses when the balance is too low) is never below zero at any replica,
//! at any moment.
//!
//! "At any moment" is checked by replay: each replica's balances are rebuilt
//! from the updates it applies, in its order, and checked after every one.
//! The replay runs at the end of each batch of inputs, from the balances the
//! last batch ended with, and its result must equal the replica's real
//! balances (so the replay is the replica's history). A batch in which the
//! replica adopted a snapshot is not replayed: the real state after it is
//! checked and becomes the next base. A restart replays from the durable
//! snapshot the replica restarted from.

// Reference: Ladin et al. 1992, §2 (forced updates: "operations that must be
// totally ordered"); issue #13, "a ledger that must never go below zero at
// any replica, at any moment"; the contract in `App::decide_forced`.

use std::collections::{BTreeMap, VecDeque};

use hearsay_core::testing::{KvApp, KvUpdate};

use super::Property;
use crate::kv_workload::is_ledger;

/// Balances per replica, as rebuilt from what each applied.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// By replica index; account -> balance. `None` until the replica is
    /// first rebased (its balances are then known).
    replicas: Vec<Option<BTreeMap<String, i64>>>,
    /// Per replica: the ledger updates applied in the current batch, and
    /// whether each was granted; replayed when the batch ends.
    batch: Vec<Vec<(KvUpdate, bool)>>,
    /// Per replica: its last few ledger applications, for the report.
    recent: Vec<VecDeque<String>>,
}

/// Ledger applications kept per replica for a report.
const RECENT: usize = 8;

impl Ledger {
    fn slot(&mut self, replica: usize) -> &mut Option<BTreeMap<String, i64>> {
        if self.replicas.len() <= replica {
            self.replicas
                .resize_with(replica + 1, || Some(BTreeMap::new()));
        }
        &mut self.replicas[replica]
    }

    /// `replica` applied `op` (`granted` false: refused, a no-op); checked
    /// when the batch ends.
    pub(crate) fn applied(&mut self, replica: usize, op: &KvUpdate, granted: bool) {
        let ledger = match op {
            KvUpdate::Add { key, .. } => is_ledger(key),
            KvUpdate::Debit { .. } => true,
            _ => false,
        };
        if ledger {
            if self.batch.len() <= replica {
                self.batch.resize_with(replica + 1, Vec::new);
            }
            self.batch[replica].push((op.clone(), granted));
        }
    }

    /// Replays one application on the balances of `replica`.
    fn replay(
        &mut self,
        replica: usize,
        op: &KvUpdate,
        granted: bool,
        report: &mut dyn FnMut(Property, String),
    ) {
        let (key, delta) = match op {
            KvUpdate::Add { key, delta } if is_ledger(key) => (key, *delta),
            KvUpdate::Debit { key, amount } if granted => (key, amount.wrapping_neg()),
            KvUpdate::Debit { key, .. } => (key, 0),
            _ => return,
        };
        let Some(balances) = self.slot(replica) else {
            return;
        };
        let balance = balances.entry(key.clone()).or_insert(0);
        *balance = balance.wrapping_add(delta);
        let balance = *balance;
        if self.recent.len() <= replica {
            self.recent.resize_with(replica + 1, VecDeque::new);
        }
        let recent = &mut self.recent[replica];
        let what = if granted { "" } else { " (refused)" };
        recent.push_back(format!("{key} {delta:+}{what} = {balance}"));
        if recent.len() > RECENT {
            recent.pop_front();
        }
        if balance < 0 {
            report(
                Property::NoOverdraft,
                format!(
                    "replica #{replica}: account {key} went to {balance} applying {op:?} (its last ledger applications: {})",
                    Vec::from(recent.clone()).join(", ")
                ),
            );
        }
    }

    /// `replica`'s real state after a batch; `rebased` when it got there
    /// other than by applying updates one by one.
    pub(crate) fn settled(
        &mut self,
        replica: usize,
        state: &KvApp,
        rebased: bool,
        report: &mut dyn FnMut(Property, String),
    ) {
        let batch = self.batch.get_mut(replica).map(std::mem::take);
        if !rebased {
            for (op, granted) in batch.unwrap_or_default() {
                self.replay(replica, &op, granted, report);
            }
        }
        let slot = self.slot(replica);
        let real = state.counters_where(is_ledger);
        if let Some((key, balance)) = real.iter().find(|(_, b)| **b < 0) {
            report(
                Property::NoOverdraft,
                format!("replica #{replica}: account {key} is at {balance}"),
            );
        }
        if !rebased {
            if let Some(rebuilt) = slot.as_ref() {
                let rebuilt: BTreeMap<String, i64> = rebuilt
                    .iter()
                    .filter(|(_, b)| **b != 0)
                    .map(|(k, b)| (k.clone(), *b))
                    .collect();
                let nonzero: BTreeMap<String, i64> = real
                    .iter()
                    .filter(|(_, b)| **b != 0)
                    .map(|(k, b)| (k.clone(), *b))
                    .collect();
                if rebuilt != nonzero {
                    report(
                        Property::NoOverdraft,
                        format!(
                            "replica #{replica}: balances {nonzero:?} differ from the {rebuilt:?} its applied updates add up to"
                        ),
                    );
                }
            }
        }
        *slot = Some(real);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::testing::apply_first;

    fn credit(delta: i64) -> KvUpdate {
        KvUpdate::Add {
            key: "l.a0".into(),
            delta,
        }
    }

    fn debit(amount: i64) -> KvUpdate {
        KvUpdate::Debit {
            key: "l.a0".into(),
            amount,
        }
    }

    #[test]
    fn a_moment_below_zero_is_caught_even_if_a_credit_follows() {
        let found = std::cell::RefCell::new(Vec::new());
        let mut l = Ledger::default();
        let mut report = |p: Property, d: String| found.borrow_mut().push((p, d));
        let mut state = KvApp::default();
        apply_first(&mut state, &credit(4));
        l.applied(0, &credit(3), true);
        l.applied(0, &debit(2), false);
        l.applied(0, &debit(4), true);
        l.applied(0, &credit(5), true);
        l.settled(0, &state, false, &mut report);
        assert_eq!(found.borrow().len(), 1);
        assert_eq!(found.borrow()[0].0, Property::NoOverdraft);
    }

    #[test]
    fn balances_must_match_the_replay() {
        let found = std::cell::RefCell::new(Vec::new());
        let mut l = Ledger::default();
        let mut report = |p: Property, d: String| found.borrow_mut().push((p, d));
        let mut state = KvApp::default();
        apply_first(&mut state, &credit(4));
        l.applied(1, &credit(4), true);
        l.applied(1, &debit(3), false);
        l.settled(1, &state, false, &mut report);
        assert!(found.borrow().is_empty(), "{:?}", found.borrow());
        l.applied(1, &credit(1), true);
        l.settled(1, &state, false, &mut report);
        assert_eq!(found.borrow().len(), 1, "the replay says 5, the replica 4");
        l.applied(1, &debit(9), true);
        l.settled(1, &state, true, &mut report);
        assert_eq!(found.borrow().len(), 1, "rebased: not replayed");
    }
}
