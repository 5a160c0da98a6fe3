//! [`PayloadSink`]: how payloads written at the tracker enter the replicated
//! store. The tracker speaks HTTP only; writing into the cluster takes a
//! front end's QUIC client, so the binary plugs an implementation in.
//!
//! Every payload the tracker stores also enters its outbox (in the same
//! transaction), and [`Tracker::forward`](crate::Tracker::forward) writes the
//! outbox through a live front end and empties it only once the front end has
//! acknowledged. So a payload the tracker acknowledged reaches the cluster
//! even across a tracker crash or a cluster with no front end yet: it waits.

use std::future::Future;
use std::pin::Pin;

use hearsay_wire::tracker::Peer;

/// A boxed future, so that [`PayloadSink`] can be a trait object.
pub type SinkFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Writes payloads into the replicated store through a front end.
pub trait PayloadSink: Send + Sync + 'static {
    /// Writes every payload of `payloads` (contents; their ids are their
    /// SHA-256) through `frontend`, a live registered front end. `Ok` only
    /// once each was acknowledged; the error says why not, for the activity log.
    fn write<'a>(&'a self, frontend: &'a Peer, payloads: &'a [String]) -> SinkFuture<'a>;
}

/// The [`PayloadSink`] of a tracker that cannot reach front ends: payloads
/// stay in its outbox.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSink;

impl PayloadSink for NoSink {
    fn write<'a>(&'a self, _frontend: &'a Peer, _payloads: &'a [String]) -> SinkFuture<'a> {
        Box::pin(async { Err("this tracker has no front-end client".to_owned()) })
    }
}
