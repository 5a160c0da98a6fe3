//! A node's activity: the bounded activity log in redb and the counters
//! behind `/v1/metrics`, shared by replicas and front ends.
//!
//! [`Activity`] is the one handle. Code that does something worth knowing
//! calls it — [`Activity::claim_sent`], [`Activity::tracker_call`],
//! [`Activity::client_request`], [`Activity::gossip`], [`Activity::record`]
//! — and the node's HTTP side reads it back: [`Activity::metrics`] (totals,
//! the last minute in one-second buckets, per-peer claim figures) and
//! [`Activity::entries`] (the log, newest first, filtered).
//!
//! Recording stays off the hot path: counting is a few additions under a
//! short lock, and log entries go through a bounded queue to a writer thread
//! that commits them in batches (at most about twenty commits a second, one
//! disk sync a second). A full queue drops the entry and counts it. Client
//! requests and gossip are too many to log one by one: they are counted
//! exactly and summed up in the log once per summary period, one entry per
//! requester or peer.

mod activity;
mod counter;
pub mod http;
pub mod process;
mod serve;
mod store;
mod tally;
mod window;
mod writer;

pub use activity::{
    Activity, ActivityConfig, ClaimAnswer, MAX_DETAIL, MAX_PEER_NAME, QueryError, check_query,
    label_value,
};
pub use counter::{Counter, add_all};
pub use serve::serve_http;
pub use store::{ActivityError, DB_FILE};
pub use tally::{MAX_PEERS, OTHERS};
pub use window::{WINDOW_SECONDS, Window};

#[cfg(test)]
mod tests;
