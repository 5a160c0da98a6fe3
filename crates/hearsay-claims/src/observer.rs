//! [`ClaimObserver`]: the receiving side's count of claims and verdicts.

use std::time::Instant;

use std::sync::Arc;

use hearsay_activity::Activity;
use hearsay_core::{ClientReply, ClientRequest};
use hearsay_replica::{ReplyHook, RequestObserver};
use hearsay_wire::node::NodeActivityKind;
use tracing::debug;

use crate::claim::{short, verdict_of};
use crate::{ClaimTally, ClaimsApp};

/// Watches a replica's requests for claims (payload `Verify` queries) and
/// records each one received, its claimant (the name in the sender's
/// certificate) and the verdict given: counted in the replica's
/// [`ClaimTally`], logged in its [`Activity`].
#[derive(Clone, Debug)]
pub struct ClaimObserver {
    activity: Activity,
    tally: Arc<ClaimTally>,
}

impl ClaimObserver {
    /// An observer counting in `tally` and logging in `activity`.
    pub fn new(activity: Activity, tally: Arc<ClaimTally>) -> Self {
        Self { activity, tally }
    }
}

impl<A: ClaimsApp> RequestObserver<A> for ClaimObserver {
    fn observe(&self, from: &str, request: &ClientRequest<A>) -> Option<ReplyHook<A>> {
        let ClientRequest::Query { query, .. } = request else {
            return None;
        };
        let id = A::claimed_id(query)?;
        let activity = self.activity.clone();
        let tally = self.tally.clone();
        let from = from.to_owned();
        let id = short(id);
        let started = Instant::now();
        Some(Box::new(move |reply: &ClientReply<A>| {
            let ms = started.elapsed().as_millis();
            match verdict_of(reply) {
                Ok(v) => {
                    debug!(claimant = %from, claim = %id, verdict = v, ms, "answered a claim");
                    tally.received(&from, Some(v));
                    activity.record(
                        NodeActivityKind::ClaimReceived,
                        Some(&from),
                        format!("claim {id}… answered {v} ({ms} ms)"),
                    );
                }
                Err(why) => {
                    debug!(claimant = %from, claim = %id, %why, "gave no verdict on a claim");
                    tally.received(&from, None);
                    activity.record(
                        NodeActivityKind::ClaimReceived,
                        Some(&from),
                        format!("claim {id}…: no verdict, {why} ({ms} ms)"),
                    );
                }
            }
        }))
    }
}
