//! A replica's answer to "how are you?".

use hearsay_core::{ReplicaId, Status, VectorTimestamp};
use serde::{Deserialize, Serialize};

/// What a replica reports about itself: plain data for the REPL's `status`,
/// the front end's routing and the web monitor.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct StatusReport {
    /// The replica's name.
    pub name: ReplicaId,
    /// Its status now (after the change, in answer to a status change).
    pub status: Status,
    /// What its state includes.
    pub value_ts: VectorTimestamp,
    /// What it has received, applied or not.
    pub rep_ts: VectorTimestamp,
    /// Update records in its log.
    pub log_len: u64,
    /// Queries waiting for their causal past.
    pub held_queries: u64,
    /// Entries in its executed-update table.
    pub executed_len: u64,
    /// How long its oldest held query has waited, in milliseconds (`None`
    /// when no query waits): a replica that stays behind shows it here.
    pub oldest_held_ms: Option<u64>,
    /// Its part in the forced order (issue #13); `None` when the cluster
    /// has no forced order.
    pub forced: Option<ForcedReport>,
}

/// A replica's part in the forced order, as `status` shows it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ForcedReport {
    /// `voter` or `learner` (a replica that forwards forced requests).
    pub role: String,
    /// The voter's protocol status (`normal`, `view-change`, `recovering`,
    /// `joining`, `retired`); `None` for a learner.
    pub voter_status: Option<String>,
    /// Whether this replica is the primary now.
    pub is_primary: bool,
    /// The primary it believes in, if any: a learner forwards there.
    pub primary: Option<ReplicaId>,
    /// The voters as it knows them.
    pub voters: Vec<ReplicaId>,
    /// The configuration number (grows with each reconfiguration).
    pub epoch: u64,
    /// The view within the epoch (grows with each view change).
    pub view: u64,
    /// Committed entries of the voter's log (0 for a learner).
    pub commit: u64,
    /// Forced records applied here: the same sequence at every replica.
    pub applied: u64,
}
