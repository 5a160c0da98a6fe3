//! Simulated clients: each a core [`Session`] issuing a seeded random mix of
//! updates and queries, one at a time, through its front end. What they
//! send comes from a [`Workload`]: [`crate::KvWorkload`] for the test key-value app,
//! or an application's own. Forced updates are the workload's updates whose
//! [`App::class`] is forced; forced queries come from
//! [`Workload::forced_query`].

use std::fmt::Debug;

use hearsay_core::{App, ClientId, ClientReply, ClientRequest, Session, Time, VectorTimestamp};
use rand::Rng;
use rand::rngs::StdRng;

use crate::invariants::Property;

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
    use crate::KvWorkload;
    use hearsay_core::testing::KvApp;
    use rand::SeedableRng;

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
