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
}
