//! A small key-value app for tests and the simulator.
//!
//! Causal updates: registers (`Put`, `Delete`) and counters (`Add`). Forced
//! updates ([`UpdateClass::Forced`]): a forced write (`Set`), a
//! compare-and-set (`Cas`) and a ledger debit (`Debit`) that never overdraws.
//! Keep the two kinds on different registers: a register written by forced
//! updates only is linearizable; one that also takes causal `Put`s is not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::app::{App, ApplyContext, Arbitration, UpdateClass};
use crate::ids::{ClientId, Dot, ReplicaId, UpdateId};
use crate::timestamp::VectorTimestamp;

/// Registers (last writer wins, with tombstones) and counters (sums).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvApp {
    /// Per key: the value (`None` once deleted) and the write that set it.
    registers: BTreeMap<String, (Option<i64>, Arbitration)>,
    counters: BTreeMap<String, i64>,
}

/// An update of [`KvApp`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvUpdate {
    /// Set a register.
    Put {
        /// The register.
        key: String,
        /// Its new value.
        value: i64,
    },
    /// Delete a register.
    Delete {
        /// The register.
        key: String,
    },
    /// Add to a counter (causal: with `delta > 0`, a ledger credit).
    Add {
        /// The counter.
        key: String,
        /// How much.
        delta: i64,
    },
    /// Forced: set a register, in the forced order.
    Set {
        /// The register.
        key: String,
        /// Its new value.
        value: i64,
    },
    /// Forced: set a register to `to` if it holds `from`; refused otherwise.
    Cas {
        /// The register.
        key: String,
        /// The value it must hold.
        from: i64,
        /// Its new value.
        to: i64,
    },
    /// Forced: take `amount` from a counter used as a ledger account;
    /// refused if the balance is below it, so no balance goes below zero.
    Debit {
        /// The account (a counter).
        key: String,
        /// How much, above zero.
        amount: i64,
    },
}

/// A query of [`KvApp`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvQuery {
    /// A register's value.
    Get {
        /// The register.
        key: String,
    },
    /// A counter's value.
    Count {
        /// The counter.
        key: String,
    },
}

/// An answer of [`KvApp`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvReply {
    /// A register's value, if set.
    Value(Option<i64>),
    /// A counter's value.
    Count(i64),
}

impl KvApp {
    /// The register `key`, if set.
    pub fn get(&self, key: &str) -> Option<i64> {
        self.registers.get(key).and_then(|(v, _)| *v)
    }

    /// The counter `key`.
    pub fn count(&self, key: &str) -> i64 {
        self.counters.get(key).copied().unwrap_or(0)
    }

    /// The counters whose key `keep` accepts (for example a ledger's
    /// accounts), for checkers that look at many at once.
    pub fn counters_where(&self, keep: impl Fn(&str) -> bool) -> BTreeMap<String, i64> {
        self.counters
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// A forced write: unconditional, since forced records apply in the same
    /// order everywhere (their arbitration need not follow that order).
    fn force(&mut self, key: &str, value: i64, order: Arbitration) {
        self.registers.insert(key.to_owned(), (Some(value), order));
    }

    fn write(&mut self, key: &str, value: Option<i64>, order: Arbitration) {
        match self.registers.get_mut(key) {
            Some(slot) if slot.1 >= order => {}
            Some(slot) => *slot = (value, order),
            None => {
                self.registers.insert(key.to_owned(), (value, order));
            }
        }
    }
}

impl App for KvApp {
    type Update = KvUpdate;
    type Query = KvQuery;
    type Reply = KvReply;

    fn apply(&mut self, update: &KvUpdate, ctx: &ApplyContext<'_>) {
        match update {
            KvUpdate::Put { key, value } => self.write(key, Some(*value), ctx.order),
            KvUpdate::Delete { key } => self.write(key, None, ctx.order),
            KvUpdate::Add { key, delta } => {
                let c = self.counters.entry(key.clone()).or_insert(0);
                *c = c.wrapping_add(*delta);
            }
            // Granted (refused records are never applied): the decided effect.
            KvUpdate::Set { key, value } | KvUpdate::Cas { key, to: value, .. } => {
                self.force(key, *value, ctx.order);
            }
            KvUpdate::Debit { key, amount } => {
                let c = self.counters.entry(key.clone()).or_insert(0);
                *c = c.wrapping_sub(*amount);
            }
        }
    }

    fn query(&self, query: &KvQuery) -> KvReply {
        match query {
            KvQuery::Get { key } => KvReply::Value(self.get(key)),
            KvQuery::Count { key } => KvReply::Count(self.count(key)),
        }
    }

    fn validate(update: &KvUpdate) -> Result<(), String> {
        let key = match update {
            KvUpdate::Put { key, .. }
            | KvUpdate::Delete { key }
            | KvUpdate::Add { key, .. }
            | KvUpdate::Set { key, .. }
            | KvUpdate::Cas { key, .. }
            | KvUpdate::Debit { key, .. } => key,
        };
        if key.is_empty() {
            return Err("a key cannot be empty".into());
        }
        if let KvUpdate::Debit { amount, .. } = update {
            if *amount <= 0 {
                return Err(format!("a debit must be above zero, not {amount}"));
            }
        }
        Ok(())
    }

    fn class(update: &KvUpdate) -> UpdateClass {
        match update {
            KvUpdate::Put { .. } | KvUpdate::Delete { .. } | KvUpdate::Add { .. } => {
                UpdateClass::Causal
            }
            KvUpdate::Set { .. } | KvUpdate::Cas { .. } | KvUpdate::Debit { .. } => {
                UpdateClass::Forced
            }
        }
    }

    /// `Cas` needs its expected value; `Debit` needs the balance. Causal
    /// updates only raise balances (credits are `Add`s with `delta > 0` in
    /// the simulator's ledger) and never touch a forced register, so they
    /// keep every decision true (the `App::decide_forced` contract).
    fn decide_forced(&self, update: &KvUpdate) -> Result<(), String> {
        match update {
            KvUpdate::Cas { key, from, .. } if self.get(key) != Some(*from) => Err(format!(
                "precondition failed: {key} is {:?}, not {from}",
                self.get(key)
            )),
            KvUpdate::Debit { key, amount } if self.count(key) < *amount => Err(format!(
                "insufficient funds: {key} has {}, below {amount}",
                self.count(key)
            )),
            _ => Ok(()),
        }
    }
}

/// Applies `update` to `app` as the first update of client 1, accepted at
/// replica `r1` with no causal past: for an app's unit tests, which want the
/// effect of one update without building its context.
pub fn apply_first<A: App>(app: &mut A, update: &A::Update) {
    let dot = Dot {
        origin: ReplicaId::new("r1").unwrap_or_else(|_| unreachable!("a valid constant name")),
        seq: 1,
    };
    let id = UpdateId {
        client: ClientId(1),
        seq: 1,
    };
    let prev = VectorTimestamp::new();
    let ctx = ApplyContext {
        id,
        dot: &dot,
        prev: &prev,
        order: Arbitration { depth: 0, id },
    };
    app.apply(update, &ctx);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::check_convergence;

    #[test]
    fn kv_app_converges_under_any_delivery_order() {
        let mut updates = Vec::new();
        for i in 0..30 {
            let key = format!("k{}", i % 4);
            updates.push(match i % 3 {
                0 => KvUpdate::Put { key, value: i },
                1 => KvUpdate::Delete { key },
                _ => KvUpdate::Add { key, delta: i },
            });
        }
        for seed in 0..20 {
            check_convergence(&KvApp::default(), &updates, 20, seed).unwrap();
        }
    }

    #[test]
    fn kv_forced_updates_keep_their_decisions_under_credits() {
        use crate::conformance::check_forced_decisions;
        let debit = |amount| KvUpdate::Debit {
            key: "acct".into(),
            amount,
        };
        let credit = |delta| KvUpdate::Add {
            key: "acct".into(),
            delta,
        };
        let cas = |from, to| KvUpdate::Cas {
            key: "x".into(),
            from,
            to,
        };
        let forced = vec![
            debit(5),
            KvUpdate::Set {
                key: "x".into(),
                value: 1,
            },
            cas(1, 2),
            cas(1, 3),
            debit(2),
            debit(4),
        ];
        let between = vec![
            vec![credit(3)],
            vec![],
            vec![credit(1)],
            vec![],
            vec![],
            vec![],
        ];
        let mut start = KvApp::default();
        apply_first(&mut start, &credit(4));
        let no_overdraft = |app: &KvApp| {
            let balance = app.count("acct");
            if balance < 0 {
                Err(format!("balance {balance}"))
            } else {
                Ok(())
            }
        };
        check_forced_decisions(&start, &forced, &between, no_overdraft).unwrap();
        assert_eq!(start.decide_forced(&debit(5)).map_err(|_| ()), Err(()));
        assert_eq!(start.decide_forced(&debit(4)), Ok(()));
        assert!(start.decide_forced(&cas(0, 1)).is_err());
        assert_eq!(KvApp::class(&debit(1)), UpdateClass::Forced);
        assert_eq!(KvApp::class(&credit(1)), UpdateClass::Causal);
        assert!(KvApp::validate(&debit(0)).is_err());
    }

    /// An app that lets the last *applied* write win is not convergent; the
    /// conformance check must say so.
    #[test]
    fn the_conformance_check_catches_an_app_that_ignores_arbitration() {
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        struct LastApplied(Option<i64>);
        impl App for LastApplied {
            type Update = i64;
            type Query = ();
            type Reply = Option<i64>;
            fn apply(&mut self, update: &i64, _: &ApplyContext<'_>) {
                self.0 = Some(*update);
            }
            fn query(&self, _: &()) -> Option<i64> {
                self.0
            }
        }
        let updates: Vec<i64> = (0..6).collect();
        let failed = (0..20)
            .any(|seed| check_convergence(&LastApplied::default(), &updates, 10, seed).is_err());
        assert!(failed);
    }
}
