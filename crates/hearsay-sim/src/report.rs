//! What one seed's run produced.

use std::time::Duration;

use hearsay_core::Time;

use crate::invariants::Violation;
use crate::net::NetStats;

/// Client requests and how they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpStats {
    /// Requests clients issued.
    pub issued: u64,
    /// Updates a front end reported accepted.
    pub updates_acked: u64,
    /// Queries a front end returned an answer for.
    pub queries_answered: u64,
    /// Requests that ended "busy" (no replica could serve in time).
    pub busy: u64,
    /// Requests a replica rejected.
    pub rejected: u64,
    /// Updates and forced queries sent by forged or orphaned sessions (their
    /// context names records that will never exist).
    pub forged_updates: u64,
    /// Of those, the ones refused: rejected, or "busy" once every replica
    /// had let them time out. The rest would have been acknowledged.
    pub forged_refused: u64,
    /// Forced operations issued: forced updates and forced queries.
    pub forced_operations: u64,
    /// Of those, the ones answered from the forced order: committed forced
    /// updates (granted or refused) and answered forced queries.
    pub forced_acked: u64,
    /// Of the committed forced updates, the ones the app refused (a failed
    /// compare-and-set, a debit that would overdraw).
    pub forced_refused: u64,
    /// Forced operations answered "unavailable" (no quorum in time) or
    /// "busy": their fate is unknown to the client.
    pub forced_unavailable: u64,
    /// Forced operations rejected (a bad context, say).
    pub forced_rejected: u64,
}

impl OpStats {
    /// A forced operation ended with `reply` (`None`: busy).
    pub(crate) fn count_forced<A: hearsay_core::App>(
        &mut self,
        reply: Option<&hearsay_core::ClientReply<A>>,
    ) {
        use hearsay_core::ClientReply as R;
        match reply {
            Some(R::Forced { outcome, .. }) => {
                self.forced_acked += 1;
                self.forced_refused += u64::from(outcome.is_err());
            }
            Some(R::Answer { .. }) => self.forced_acked += 1,
            Some(R::Rejected { .. }) => self.forced_rejected += 1,
            _ => self.forced_unavailable += 1,
        }
    }
}

/// Replica counters added over the cluster: evidence that the faults made the
/// interesting paths run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicaTotals {
    /// Retries of an update the replica already had, answered without a new record.
    pub duplicate_requests: u64,
    /// Second copies of an update (accepted twice) skipped at apply time.
    pub duplicates_skipped: u64,
    /// Queries that waited for their causal past.
    pub queries_held: u64,
    /// Queries answered "not yet".
    pub queries_not_yet: u64,
    /// Snapshots adopted by replicas behind the discarded horizon.
    pub snapshots_adopted: u64,
    /// Crashes, each followed by a restart from the durable store.
    pub crashes: u64,
    /// Updates that waited for their causal past before being accepted.
    pub updates_held: u64,
    /// Held updates accepted once their causal past arrived.
    pub updates_released: u64,
    /// Updates answered "not yet": their causal past did not arrive in time.
    pub updates_not_yet: u64,
    /// Updates refused for a context naming records that cannot exist.
    pub updates_bad_context: u64,
    /// Crashes that hit the forced order's primary of the moment.
    pub primary_crashes: u64,
    /// Partitions that cut the primary of the moment off from the other
    /// voters.
    pub primary_isolations: u64,
    /// Forced records (the order's committed updates) in the run.
    pub forced_records: u64,
}

/// The outcome of one seed.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedReport {
    /// The seed.
    pub seed: u64,
    /// The first few violations of each property, in the order found.
    pub violations: Vec<Violation>,
    /// Every violation found, including those not kept.
    pub violation_count: u64,
    /// Hash of every event in order: equal for equal seeds and configurations.
    pub trace_hash: u64,
    /// Events the simulator processed.
    pub events: u64,
    /// Client requests.
    pub ops: OpStats,
    /// What the network did.
    pub net: NetStats,
    /// Replica counters over the cluster.
    pub replicas: ReplicaTotals,
    /// Virtual time at which the run ended.
    pub end: Time,
    /// How long the heal phase took to quiesce; `None` if it never did.
    pub healed_in: Option<Duration>,
    /// Forced-register histories the linearizability search could not check
    /// (too long, or out of budget): not passed, not failed.
    pub unchecked_histories: u64,
}

impl SeedReport {
    /// Whether no guarantee was broken.
    pub fn is_clean(&self) -> bool {
        self.violation_count == 0
    }
}
