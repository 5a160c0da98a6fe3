//! Discovery through the hearsay tracker: a node's HTTP client of the
//! tracker API, and the task that keeps the node registered and follows
//! the peer list.
//!
//! [`TrackerClient`] speaks the tracker's JSON API (types in
//! [`hearsay_wire::tracker`]) over HTTP/1.1 (hyper's client over a tokio TCP
//! stream): register, heartbeat, list, deregister, payloads, status changes
//! and the activity log. Every call is bounded by a timeout, answers are
//! bounded in size, writes carry the admin token, and the tracker's
//! `{"error": ...}` comes back as [`TrackerError::Api`].
//!
//! [`Discovery`] registers at start (retrying while the tracker is not up
//! yet), heartbeats every second with the node's status, fetches
//! `GET /v1/peers` every second and publishes the [`Membership`] on a watch
//! channel; [`follow`] turns it into [`Change`]s. A [`HeartbeatNudge`]
//! heartbeats at once, so a status change reaches the tracker without
//! waiting for the next tick. A heartbeat answered 404
//! (the tracker expired the node, or lost its data) registers again. When
//! the tracker cannot be reached the membership is left as it is: a tracker
//! that blinks never empties a node's view of the cluster.

mod client;
mod discovery;
mod error;
mod membership;
mod url;

pub use client::{DEFAULT_TIMEOUT, MAX_RESPONSE_BYTES, TrackerClient};
pub use discovery::{
    CallFn, CallHook, Discovery, DiscoveryConfig, HeartbeatNudge, StatusFn, StatusFuture,
    fixed_status, follow, resolve,
};
pub use error::TrackerError;
pub use membership::{Change, Member, Membership};
pub use url::TrackerUrl;
