//! A small key-value app for tests and the simulator.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::app::{App, ApplyContext, Arbitration};
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
    /// Add to a counter.
    Add {
        /// The counter.
        key: String,
        /// How much.
        delta: i64,
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
            KvUpdate::Put { key, .. } | KvUpdate::Delete { key } | KvUpdate::Add { key, .. } => key,
        };
        if key.is_empty() {
            return Err("a key cannot be empty".into());
        }
        Ok(())
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
