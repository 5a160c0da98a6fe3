//! Simulated clients: each a core [`Session`] issuing a seeded random mix of
//! updates and queries, one at a time, through its front end. What they
//! send comes from a [`Workload`]: [`KvWorkload`] for the test key-value app,
//! or an application's own.

use std::fmt::Debug;

use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay_core::{App, ClientId, ClientRequest, Session, Time, VectorTimestamp};
use rand::Rng;
use rand::rngs::StdRng;

use crate::invariants::Property;
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
/// at-most-once where the right answer is known.
#[derive(Debug, Default)]
pub struct KvWorkload {
    /// Next value each client puts, unique per client so a read names its
    /// write.
    next_value: Vec<i64>,
    values: SessionValues,
}

impl Workload for KvWorkload {
    type App = KvApp;

    fn initial(&self) -> KvApp {
        KvApp::default()
    }

    fn update(&mut self, me: usize, rng: &mut StdRng) -> KvUpdate {
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

    fn update_done(&mut self, client: usize, op: &KvUpdate, acked: bool) {
        self.values.update_done(client, op, acked);
    }

    fn answered(
        &mut self,
        client: usize,
        query: &KvQuery,
        reply: &KvReply,
        report: &mut dyn FnMut(Property, String),
    ) {
        self.values.answered(report, client, query, reply);
    }
}

impl KvWorkload {
    fn put_value(&mut self, client: usize) -> i64 {
        if self.next_value.len() <= client {
            self.next_value.resize(client + 1, 1);
        }
        let v = self.next_value[client];
        self.next_value[client] += 1;
        v
    }
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
            c.pending = Some(Pending { number: 0, request });
            c.pending = None;
            c.rest(Time::ZERO, &mut rng, std::time::Duration::from_millis(10));
        }
        assert!(c.is_done());
        assert_eq!(c.wake, None);
    }
}
