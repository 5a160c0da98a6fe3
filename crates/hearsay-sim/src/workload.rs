//! Simulated clients: each a core [`Session`] issuing a seeded random mix of
//! updates and queries, one at a time, through its front end. What they
//! send comes from a [`Workload`]: [`KvWorkload`] for the test key-value app,
//! or an application's own. Forced updates are the workload's updates whose
//! [`App::class`] is forced; forced queries come from
//! [`Workload::forced_query`].

use std::fmt::Debug;

use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay_core::{App, ClientId, ClientReply, ClientRequest, Session, Time, VectorTimestamp};
use rand::Rng;
use rand::rngs::StdRng;

use crate::invariants::Property;
use crate::invariants::ledger::Ledger;
use crate::invariants::linearizable::Linearizability;
use crate::invariants::session_values::SessionValues;

/// What the simulated clients of one run send, for app [`Workload::App`],
/// and what the app's own values must show (optional).
///
/// One workload serves one run: it may keep per-client state, so give each
/// seed a fresh one. Draw only from the `rng` given, so a seed replays.
pub trait Workload: Debug {
    /// The replicated app.
    type App: App;

    /// The state every replica starts from.
    fn initial(&self) -> Self::App;

    /// Client `client`'s next update.
    fn update(&mut self, client: usize, rng: &mut StdRng) -> <Self::App as App>::Update;

    /// Client `client`'s next query.
    fn query(&mut self, client: usize, rng: &mut StdRng) -> <Self::App as App>::Query;

    /// Client `client`'s next query, if it is to be a forced (linearizable)
    /// one; `None` (the default) sends [`Workload::query`]'s causal query.
    fn forced_query(
        &mut self,
        _client: usize,
        _rng: &mut StdRng,
    ) -> Option<<Self::App as App>::Query> {
        None
    }

    /// Replica `replica` applied `op` (`granted` false: a forced update its
    /// primary refused, applied as a no-op). Called for every application,
    /// in the replica's order, so that an app invariant can be checked at
    /// every moment, not only where the simulator looks at the state;
    /// [`Workload::settled`] follows at the end of the batch.
    fn applied(&mut self, _replica: usize, _op: &<Self::App as App>::Update, _granted: bool) {}

    /// Replica `replica`'s state after a batch of inputs: `rebased` when it
    /// did not get there by this batch's [`Workload::applied`] steps alone
    /// (it adopted a snapshot). Also called with `rebased` and the durable
    /// snapshot's state just before a restarted replica re-applies its
    /// durable records.
    fn settled(
        &mut self,
        _replica: usize,
        _state: &Self::App,
        _rebased: bool,
        _report: &mut dyn FnMut(Property, String),
    ) {
    }

    /// Client `client`'s `request`, submitted at `call`, ended at `now` with
    /// `reply` (`None`: busy). Called for every request, before
    /// [`Workload::update_done`] or [`Workload::answered`]: for checks of
    /// whole histories, such as linearizability.
    fn ended(
        &mut self,
        _client: usize,
        _request: &ClientRequest<Self::App>,
        _call: Time,
        _now: Time,
        _reply: Option<&ClientReply<Self::App>>,
    ) {
    }

    /// The run is over: `report` what the histories show. Returns how many
    /// of the workload's checks could not run (too large), for the report.
    fn finish(&mut self, _report: &mut dyn FnMut(Property, String)) -> u64 {
        0
    }

    /// Client `client`'s update `op` ended: `acked` if accepted, otherwise
    /// its fate is unknown (busy, or rejected after a lost reply).
    fn update_done(&mut self, _client: usize, _op: &<Self::App as App>::Update, _acked: bool) {}

    /// Client `client`'s `query` was answered `reply`: `report` any session
    /// guarantee the value itself shows broken. The timestamp-based checks
    /// run for every app regardless.
    fn answered(
        &mut self,
        _client: usize,
        _query: &<Self::App as App>::Query,
        _reply: &<Self::App as App>::Reply,
        _report: &mut dyn FnMut(Property, String),
    ) {
    }
}

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

/// A request under way.
#[derive(Clone, Debug)]
pub(crate) struct Pending<A: App> {
    /// Its number in the session, for the checkers.
    pub(crate) number: usize,
    pub(crate) request: ClientRequest<A>,
    /// When the client submitted it (a linearizability check's call time).
    pub(crate) called: Time,
}

/// One simulated client.
#[derive(Debug)]
pub(crate) struct Client<A: App> {
    pub(crate) index: usize,
    /// The front end it talks through.
    pub(crate) frontend: usize,
    pub(crate) session: Session,
    ops_left: usize,
    /// When it issues its next request; `None` while one is pending or once
    /// it is done.
    pub(crate) wake: Option<Time>,
    pub(crate) pending: Option<Pending<A>>,
    /// The replica it asks its front end for; changes now and then, so that a
    /// session reads from replicas other than the one it wrote to.
    preferred: Option<usize>,
    /// Set for a forged or orphaned session (see
    /// [`crate::Faults::forged_sessions`]): merged into the context of every
    /// update it sends, naming records that will never exist.
    pub(crate) bad_context: Option<VectorTimestamp>,
}

impl<A: App> Client<A> {
    pub(crate) fn new(index: usize, frontends: usize, ops: usize) -> Self {
        Self {
            index,
            frontend: index % frontends,
            session: Session::new(client_id(index)),
            ops_left: ops,
            wake: (ops > 0).then_some(Time::ZERO),
            pending: None,
            preferred: None,
            bad_context: None,
        }
    }

    /// Whether it has issued all its requests and has none pending.
    pub(crate) fn is_done(&self) -> bool {
        self.ops_left == 0 && self.pending.is_none()
    }

    /// Stops issuing new requests (the heal phase).
    pub(crate) fn stop(&mut self) {
        self.ops_left = 0;
        self.wake = None;
    }

    /// Draws the next request and the replica to prefer for it.
    pub(crate) fn next_request<W: Workload<App = A>>(
        &mut self,
        workload: &mut W,
        rng: &mut StdRng,
        replicas: usize,
    ) -> (ClientRequest<A>, Option<usize>) {
        self.ops_left = self.ops_left.saturating_sub(1);
        self.wake = None;
        if self.preferred.is_none() || rng.random_bool(0.3) {
            self.preferred = rng.random_bool(0.8).then(|| rng.random_range(0..replicas));
        }
        let request = if rng.random_bool(0.5) {
            let op = workload.update(self.index, rng);
            let mut request = self.session.update::<A>(op);
            if let (Some(bad), ClientRequest::Update { prev, .. }) =
                (&self.bad_context, &mut request)
            {
                prev.merge(bad);
            }
            request
        } else if let Some(query) = workload.forced_query(self.index, rng) {
            let mut request = self.session.forced_query::<A>(query);
            if let (Some(bad), ClientRequest::ForcedQuery { prev, .. }) =
                (&self.bad_context, &mut request)
            {
                prev.merge(bad);
            }
            request
        } else {
            let query = workload.query(self.index, rng);
            self.session.query::<A>(query)
        };
        (request, self.preferred)
    }

    /// Schedules the next request after a pause, if any is left.
    pub(crate) fn rest(&mut self, now: Time, rng: &mut StdRng, think_max: std::time::Duration) {
        if self.ops_left > 0 {
            let max = u64::try_from(think_max.as_micros()).unwrap_or(u64::MAX);
            let pause = rng.random_range(0..=max);
            self.wake = Some(now + std::time::Duration::from_micros(pause));
        }
    }
}

/// The session id of client `index`; its update ids name it.
pub(crate) fn client_id(index: usize) -> ClientId {
    ClientId(index as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

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

    #[test]
    fn a_client_issues_its_ops_then_is_done() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut c = Client::<KvApp>::new(1, 2, 3);
        let mut w = KvWorkload::default();
        assert_eq!(c.frontend, 1);
        for _ in 0..3 {
            assert!(!c.is_done());
            let (request, preferred) = c.next_request(&mut w, &mut rng, 5);
            assert!(preferred.is_none_or(|p| p < 5));
            c.pending = Some(Pending {
                number: 0,
                request,
                called: Time::ZERO,
            });
            c.pending = None;
            c.rest(Time::ZERO, &mut rng, std::time::Duration::from_millis(10));
        }
        assert!(c.is_done());
        assert_eq!(c.wake, None);
    }
}
