//! [`KvWorkload`]: what the simulated clients of the test key-value app
//! send, causal and forced, and the checks of its values.

use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay_core::{ClientReply, ClientRequest, Time};
use rand::Rng;
use rand::rngs::StdRng;

use crate::invariants::Property;
use crate::invariants::ledger::Ledger;
use crate::invariants::linearizable::Linearizability;
use crate::invariants::session_values::SessionValues;
use crate::workload::Workload;

/// The workload of the test key-value app: private and shared registers and
/// counters, with value checks of read-your-writes, monotonic reads and
/// at-most-once where the right answer is known; and forced operations:
/// forced writes and compare-and-sets of registers only forced updates touch
/// (`f.x<k>`), debits of ledger accounts (`l.a<k>`, credited by causal adds),
/// and forced reads of both. The ledger is checked never to go below zero at
/// any replica after any application.
#[derive(Debug)]
pub struct KvWorkload {
    /// Next value each client puts, unique per client so a read names its
    /// write.
    next_value: Vec<i64>,
    values: SessionValues,
    /// Whether forced operations are issued (the cluster has a forced order).
    forced: bool,
    /// Per forced register: the last value a client learned it holds, so
    /// that compare-and-sets often match.
    last_seen: Vec<Option<i64>>,
    ledger: Ledger,
    linearizable: Linearizability,
}

impl Default for KvWorkload {
    fn default() -> Self {
        Self {
            next_value: Vec::new(),
            values: SessionValues::default(),
            forced: true,
            last_seen: vec![None; FORCED_REGISTERS],
            ledger: Ledger::default(),
            linearizable: Linearizability::default(),
        }
    }
}

impl Workload for KvWorkload {
    type App = KvApp;

    fn initial(&self) -> KvApp {
        KvApp::default()
    }

    fn update(&mut self, me: usize, rng: &mut StdRng) -> KvUpdate {
        if self.forced && rng.random_bool(FORCED_SHARE) {
            return self.forced_update(me, rng);
        }
        if rng.random_bool(CREDIT_SHARE) {
            return KvUpdate::Add {
                key: ledger_account(rng.random_range(0..LEDGER_ACCOUNTS)),
                delta: rng.random_range(1..=5),
            };
        }
        match rng.random_range(0..10) {
            0..=2 => {
                let value = self.put_value(me);
                let key = private_register(me, rng.random_range(0..PRIVATE_REGISTERS));
                KvUpdate::Put { key, value }
            }
            3 => KvUpdate::Delete {
                key: private_register(me, rng.random_range(0..PRIVATE_REGISTERS)),
            },
            4..=5 => {
                let value = self.put_value(me);
                let key = format!("s.r{}", rng.random_range(0..SHARED_REGISTERS));
                KvUpdate::Put { key, value }
            }
            6 => KvUpdate::Delete {
                key: format!("s.r{}", rng.random_range(0..SHARED_REGISTERS)),
            },
            7 => KvUpdate::Add {
                key: private_counter(me),
                delta: rng.random_range(1..10),
            },
            _ => KvUpdate::Add {
                key: format!("s.n{}", rng.random_range(0..SHARED_COUNTERS)),
                delta: rng.random_range(1..10),
            },
        }
    }

    fn query(&mut self, me: usize, rng: &mut StdRng) -> KvQuery {
        match rng.random_range(0..4) {
            0 => KvQuery::Get {
                key: private_register(me, rng.random_range(0..PRIVATE_REGISTERS)),
            },
            1 => KvQuery::Get {
                key: format!("s.r{}", rng.random_range(0..SHARED_REGISTERS)),
            },
            2 => KvQuery::Count {
                key: private_counter(me),
            },
            _ => KvQuery::Count {
                key: format!("s.n{}", rng.random_range(0..SHARED_COUNTERS)),
            },
        }
    }

    fn forced_query(&mut self, _me: usize, rng: &mut StdRng) -> Option<KvQuery> {
        if !self.forced || !rng.random_bool(FORCED_SHARE) {
            return None;
        }
        Some(if rng.random_bool(0.6) {
            KvQuery::Get {
                key: forced_register(rng.random_range(0..FORCED_REGISTERS)),
            }
        } else {
            KvQuery::Count {
                key: ledger_account(rng.random_range(0..LEDGER_ACCOUNTS)),
            }
        })
    }

    fn applied(&mut self, replica: usize, op: &KvUpdate, granted: bool) {
        self.ledger.applied(replica, op, granted);
    }

    fn settled(
        &mut self,
        replica: usize,
        state: &KvApp,
        rebased: bool,
        report: &mut dyn FnMut(Property, String),
    ) {
        self.ledger.settled(replica, state, rebased, report);
    }

    fn ended(
        &mut self,
        _client: usize,
        request: &ClientRequest<KvApp>,
        call: Time,
        now: Time,
        reply: Option<&ClientReply<KvApp>>,
    ) {
        self.linearizable.ended(call, now, request, reply);
    }

    fn finish(&mut self, report: &mut dyn FnMut(Property, String)) -> u64 {
        self.linearizable.check_end(report)
    }

    fn update_done(&mut self, client: usize, op: &KvUpdate, acked: bool) {
        if let (KvUpdate::Set { key, value } | KvUpdate::Cas { key, to: value, .. }, true) =
            (op, acked)
        {
            self.saw(key, Some(*value));
        }
        self.values.update_done(client, op, acked);
    }

    fn answered(
        &mut self,
        client: usize,
        query: &KvQuery,
        reply: &KvReply,
        report: &mut dyn FnMut(Property, String),
    ) {
        if let (KvQuery::Get { key }, KvReply::Value(v)) = (query, reply) {
            self.saw(key, *v);
        }
        self.values.answered(report, client, query, reply);
    }
}

impl KvWorkload {
    /// The workload without forced operations, for a cluster that has no
    /// forced order.
    pub fn causal_only() -> Self {
        Self {
            forced: false,
            ..Self::default()
        }
    }

    fn forced_update(&mut self, me: usize, rng: &mut StdRng) -> KvUpdate {
        let k = rng.random_range(0..FORCED_REGISTERS);
        match rng.random_range(0..3) {
            0 => KvUpdate::Set {
                key: forced_register(k),
                value: self.forced_value(me),
            },
            1 => KvUpdate::Cas {
                key: forced_register(k),
                // Usually the value last seen, sometimes a stale guess.
                from: match self.last_seen[k] {
                    Some(v) if rng.random_bool(0.8) => v,
                    _ => rng.random_range(0..3),
                },
                to: self.forced_value(me),
            },
            _ => KvUpdate::Debit {
                key: ledger_account(rng.random_range(0..LEDGER_ACCOUNTS)),
                amount: rng.random_range(1..=8),
            },
        }
    }

    /// A value unique in the run, so a forced read names the write it saw.
    fn forced_value(&mut self, me: usize) -> i64 {
        (me as i64 + 1) * 1_000_000 + self.put_value(me)
    }

    fn saw(&mut self, key: &str, value: Option<i64>) {
        let slot = forced_register_index(key).and_then(|k| self.last_seen.get_mut(k));
        if let (Some(slot), Some(v)) = (slot, value) {
            *slot = Some(v);
        }
    }

    fn put_value(&mut self, client: usize) -> i64 {
        if self.next_value.len() <= client {
            self.next_value.resize(client + 1, 1);
        }
        let v = self.next_value[client];
        self.next_value[client] += 1;
        v
    }
}

/// Chance that an update (and a query) is forced, when forced operations
/// are on.
const FORCED_SHARE: f64 = 0.3;
/// Chance that a causal update is a ledger credit.
const CREDIT_SHARE: f64 = 0.2;
/// Registers written only by forced updates, read by forced queries: the
/// objects of the linearizability check.
pub(crate) const FORCED_REGISTERS: usize = 3;
/// Ledger accounts: counters credited by causal adds, debited by forced
/// updates.
const LEDGER_ACCOUNTS: usize = 2;

/// Forced register `k`.
pub(crate) fn forced_register(k: usize) -> String {
    format!("f.x{k}")
}

/// The index of forced register `key`, if it is one.
pub(crate) fn forced_register_index(key: &str) -> Option<usize> {
    key.strip_prefix("f.x")?.parse().ok()
}

/// Ledger account `k`.
pub(crate) fn ledger_account(k: usize) -> String {
    format!("l.a{k}")
}

/// Whether `key` is a ledger account.
pub(crate) fn is_ledger(key: &str) -> bool {
    key.starts_with("l.")
}

/// Registers private to each client, so its own reads have a known answer.
const PRIVATE_REGISTERS: usize = 2;
/// Registers every client writes, so concurrent writes conflict.
const SHARED_REGISTERS: usize = 3;
/// Counters every client adds to.
const SHARED_COUNTERS: usize = 2;

/// The private register `k` of `client`.
pub(crate) fn private_register(client: usize, k: usize) -> String {
    format!("c{client}.r{k}")
}

/// The private counter of `client`.
pub(crate) fn private_counter(client: usize) -> String {
    format!("c{client}.n")
}

/// The client whose private key `key` is, if it is private.
pub(crate) fn owner(key: &str) -> Option<usize> {
    key.strip_prefix('c')?.split_once('.')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_keys_name_their_owner_and_shared_ones_none() {
        assert_eq!(owner(&private_register(12, 1)), Some(12));
        assert_eq!(owner(&private_counter(3)), Some(3));
        assert_eq!(owner("s.r1"), None);
        assert_eq!(owner("s.n0"), None);
        assert_eq!(owner(&forced_register(1)), None);
        assert_eq!(forced_register_index(&forced_register(2)), Some(2));
        assert_eq!(forced_register_index("s.r2"), None);
        assert!(is_ledger(&ledger_account(1)) && !is_ledger("s.n1"));
    }
}
