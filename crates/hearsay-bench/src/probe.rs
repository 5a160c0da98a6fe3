//! Convergence: from an update's acknowledgement to its application at every
//! replica.
//!
//! A local run sees each application through the replicas' applied hook. An
//! attached run cannot: it polls every replica's `/v1/status` and counts an
//! update applied at a replica once the replica's value timestamp covers the
//! timestamp the update was acknowledged with (applied there, since a
//! replica applies an update only after its causal past). Polling costs the
//! cluster work, so an attached run follows one update in
//! [`POLLED_FOLLOW_EVERY`], and its figures are as coarse as the poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use hdrhistogram::Histogram;
use hearsay_core::{ReplicaId, UpdateId, VectorTimestamp};
use hearsay_replica::AppliedHook;

/// Updates followed at once, at most; more are not followed (counted).
const MAX_TRACKED: usize = 1_000_000;

/// Updates an attached run follows at once, at most: each poll compares
/// every one of them with the replica's timestamp.
const MAX_POLLED: usize = 20_000;

/// An attached run follows one update in this many.
pub(crate) const POLLED_FOLLOW_EVERY: u64 = 4;

/// Follows chosen updates from acknowledgement to their application at
/// every replica, shared by the clients (which acknowledge) and the
/// replicas' applied hooks.
#[derive(Clone)]
pub(crate) struct Probe {
    inner: Arc<Mutex<Inner>>,
    /// Follow updates whose sequence number is a multiple of this.
    follow_every: u64,
}

struct Inner {
    replicas: u32,
    /// Attached: applications are seen by polling, not through the hook.
    polled: bool,
    /// Most updates followed at once.
    max_tracked: usize,
    tracked: HashMap<UpdateId, Tracked>,
    /// Microseconds from acknowledgement to the last replica's application.
    hist: Histogram<u64>,
    /// Microseconds from the first replica's application (the origin's, at
    /// acceptance) to the last one's: the replication lag, which does not
    /// depend on how fast the acknowledgement travels back.
    lag: Histogram<u64>,
    /// Updates not followed because too many were in flight.
    untracked: u64,
}

#[derive(Default)]
struct Tracked {
    acked: Option<Instant>,
    applied: u32,
    first_applied: Option<Instant>,
    last_applied: Option<Instant>,
    /// Polled only: the timestamp of the acknowledgement, and which
    /// replicas have been seen covering it.
    polled: Option<(VectorTimestamp, Vec<bool>)>,
}

/// What the probe measured since the last [`Probe::take`].
pub(crate) struct Convergence {
    pub(crate) hist: Histogram<u64>,
    pub(crate) lag: Histogram<u64>,
    /// Followed updates that had not reached every replica yet.
    pub(crate) pending: u64,
    pub(crate) untracked: u64,
}

fn new_hist() -> Histogram<u64> {
    // 1 us to 10 minutes at 3 significant digits: these bounds are valid.
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!())
}

impl Probe {
    /// A probe fed by the replicas' applied hook ([`Probe::hook`]); follows
    /// every update.
    pub(crate) fn new(replicas: usize) -> Self {
        Self::with(replicas, false)
    }

    /// A probe fed by polling the replicas ([`Probe::observe`]).
    pub(crate) fn polled(replicas: usize) -> Self {
        Self::with(replicas, true)
    }

    fn with(replicas: usize, polled: bool) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                replicas: u32::try_from(replicas).unwrap_or(u32::MAX),
                polled,
                max_tracked: if polled { MAX_POLLED } else { MAX_TRACKED },
                tracked: HashMap::new(),
                hist: new_hist(),
                lag: new_hist(),
                untracked: 0,
            })),
            follow_every: if polled { POLLED_FOLLOW_EVERY } else { 1 },
        }
    }

    /// Whether the probe follows `id` (all updates, or a sample).
    pub(crate) fn follows(&self, id: UpdateId) -> bool {
        id.seq % self.follow_every == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update of the map leaves it consistent; a panicking holder
        // cannot leave it half-changed.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The hook every replica calls when it applies an update.
    pub(crate) fn hook(&self) -> AppliedHook {
        let me = self.clone();
        AppliedHook(Arc::new(move |_: &ReplicaId, id| me.applied(id)))
    }

    /// Starts following `id` (before its request is sent).
    pub(crate) fn track(&self, id: UpdateId) {
        let mut g = self.lock();
        if g.tracked.len() >= g.max_tracked {
            g.untracked += 1;
            return;
        }
        g.tracked.entry(id).or_default();
    }

    /// `id` was acknowledged to its client with timestamp `ts`.
    pub(crate) fn acked(&self, id: UpdateId, ts: &VectorTimestamp) {
        let now = Instant::now();
        let mut g = self.lock();
        let replicas = g.replicas as usize;
        let polled = g.polled;
        let Some(t) = g.tracked.get_mut(&id) else {
            return;
        };
        t.acked = Some(now);
        if polled {
            t.polled = Some((ts.clone(), vec![false; replicas]));
        }
        g.finish_if_done(id);
    }

    /// Replica number `replica` (of those polled) answered at `at` that it
    /// has applied everything up to `value_ts`.
    pub(crate) fn observe(&self, replica: usize, value_ts: &VectorTimestamp, at: Instant) {
        let mut g = self.lock();
        let mut done = Vec::new();
        for (id, t) in &mut g.tracked {
            let Some((ts, seen)) = &mut t.polled else {
                continue;
            };
            let Some(slot) = seen.get_mut(replica) else {
                continue;
            };
            if *slot || !VectorTimestamp::le(ts, value_ts) {
                continue;
            }
            *slot = true;
            t.applied += 1;
            t.first_applied.get_or_insert(at);
            t.last_applied = Some(at);
            done.push(*id);
        }
        for id in done {
            g.finish_if_done(id);
        }
    }

    /// `id`'s request failed: stop following it.
    pub(crate) fn forget(&self, id: UpdateId) {
        self.lock().tracked.remove(&id);
    }

    fn applied(&self, id: UpdateId) {
        let now = Instant::now();
        let mut g = self.lock();
        let Some(t) = g.tracked.get_mut(&id) else {
            return;
        };
        t.applied += 1;
        t.first_applied.get_or_insert(now);
        t.last_applied = Some(now);
        g.finish_if_done(id);
    }

    /// Followed updates not yet acknowledged and applied everywhere.
    pub(crate) fn pending(&self) -> usize {
        self.lock().tracked.len()
    }

    /// What was measured so far; starts afresh. Followed updates still on
    /// their way are counted as pending and forgotten.
    pub(crate) fn take(&self) -> Convergence {
        let mut g = self.lock();
        let hist = std::mem::replace(&mut g.hist, new_hist());
        let lag = std::mem::replace(&mut g.lag, new_hist());
        let pending = g.tracked.len() as u64;
        g.tracked.clear();
        let untracked = std::mem::take(&mut g.untracked);
        Convergence {
            hist,
            lag,
            pending,
            untracked,
        }
    }
}

impl Inner {
    fn finish_if_done(&mut self, id: UpdateId) {
        let done = self
            .tracked
            .get(&id)
            .is_some_and(|t| t.acked.is_some() && t.applied >= self.replicas);
        if !done {
            return;
        }
        if let Some(t) = self.tracked.remove(&id) {
            let (Some(acked), Some(first), Some(last)) = (t.acked, t.first_applied, t.last_applied)
            else {
                return;
            };
            // Applied everywhere before the client heard back: zero (1 us,
            // the histogram's floor).
            let _ = self
                .hist
                .record(micros(last.saturating_duration_since(acked)));
            let _ = self
                .lag
                .record(micros(last.saturating_duration_since(first)));
        }
    }
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use hearsay_core::ClientId;

    use super::*;

    fn id(seq: u64) -> UpdateId {
        UpdateId {
            client: ClientId(1),
            seq,
        }
    }

    #[test]
    fn an_update_counts_once_acknowledged_and_applied_everywhere() {
        let probe = Probe::new(3);
        let hook = probe.hook();
        let r1 = ReplicaId::new("r1").unwrap();
        probe.track(id(1));
        probe.track(id(2));
        (hook.0)(&r1, id(1));
        probe.acked(id(1), &VectorTimestamp::default());
        (hook.0)(&r1, id(1));
        (hook.0)(&r1, id(9)); // not followed: ignored
        assert_eq!(probe.lock().hist.len(), 0, "two of three replicas");
        (hook.0)(&r1, id(1));
        // Update 2 applied everywhere before its acknowledgement.
        for _ in 0..3 {
            (hook.0)(&r1, id(2));
        }
        probe.acked(id(2), &VectorTimestamp::default());
        probe.track(id(3));
        let c = probe.take();
        assert_eq!(c.hist.len(), 2);
        assert_eq!(c.lag.len(), 2);
        assert_eq!(c.pending, 1, "update 3 never arrived");
        assert_eq!(probe.take().hist.len(), 0, "taken afresh");
    }

    #[test]
    fn a_polled_update_counts_once_every_replica_covers_its_timestamp() {
        let probe = Probe::polled(2);
        let r1 = ReplicaId::new("r1").unwrap();
        let ts =
            |n: u64| VectorTimestamp::from(std::collections::BTreeMap::from([(r1.clone(), n)]));
        assert!(probe.follows(id(POLLED_FOLLOW_EVERY)) && !probe.follows(id(1)));
        probe.track(id(4));
        let t0 = Instant::now();
        // Seen before the acknowledgement: not counted yet.
        probe.observe(0, &ts(5), t0);
        probe.acked(id(4), &ts(5));
        probe.observe(0, &ts(4), t0);
        probe.observe(1, &ts(9), t0);
        assert_eq!(probe.pending(), 1, "replica 0 has not covered 5 yet");
        probe.observe(0, &ts(5), t0 + std::time::Duration::from_millis(3));
        probe.observe(0, &ts(6), t0 + std::time::Duration::from_millis(4));
        assert_eq!(probe.pending(), 0);
        let c = probe.take();
        assert_eq!(c.hist.len(), 1);
        assert!(
            c.lag.max() >= 2_900,
            "lag from first to last sighting: {}",
            c.lag.max()
        );
    }
}
