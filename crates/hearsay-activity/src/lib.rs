//! A node's activity: the bounded activity log in redb and the counters
//! behind `/v1/metrics`, shared by replicas and front ends.
//!
//! [`Activity`] is the one handle. Code that does something worth knowing
//! calls it — [`Activity::tracker_call`], [`Activity::client_request`],
//! [`Activity::gossip`], [`Activity::record`] — and the node's HTTP side
//! reads it back: [`Activity::metrics`] (totals, the last minute in
//! one-second buckets, and what the application's [`MetricsExtension`]s
//! add) and [`Activity::entries`] (the log, newest first, filtered). The
//! counters are the library's own; an application's (the demo's claim
//! figures) come through [`Activity::extend`].
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
mod extension;
pub mod http;
pub mod process;
mod serve;
mod store;
mod tally;
mod window;
mod writer;

pub use activity::{
    Activity, ActivityConfig, MAX_DETAIL, MAX_PEER_NAME, QueryError, check_query, label_value,
};
pub use counter::{Counter, add_all};
pub use extension::{ExtendError, MAX_EXTENSIONS, MetricsExtension};
pub use serve::serve_http;
pub use store::{ActivityError, DB_FILE};
pub use tally::{MAX_PEERS, OTHERS, bounded};
pub use window::{Tally, WINDOW_SECONDS, Window};

#[cfg(test)]
mod tests;
