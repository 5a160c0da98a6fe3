//! [`ClaimObserver`]: the receiving side's count of claims and verdicts.

use std::time::Instant;

use hearsay_activity::Activity;
use hearsay_apps::cluster::{ClusterApp, ClusterQuery};
use hearsay_apps::payloads::PayloadQuery;
use hearsay_core::{ClientReply, ClientRequest};
use hearsay_replica::{ReplyHook, RequestObserver};
use tracing::debug;

use crate::claim::{short, verdict_of};

/// Watches a replica's requests for claims (payload `Verify` queries) and
/// records each one received, its claimant (the name in the sender's
/// certificate) and the verdict given, in the replica's [`Activity`].
#[derive(Clone, Debug)]
pub struct ClaimObserver {
    activity: Activity,
}

impl ClaimObserver {
    /// An observer recording in `activity`.
    pub fn new(activity: Activity) -> Self {
        Self { activity }
    }
}

impl RequestObserver<ClusterApp> for ClaimObserver {
    fn observe(
        &self,
        from: &str,
        request: &ClientRequest<ClusterApp>,
    ) -> Option<ReplyHook<ClusterApp>> {
        let ClientRequest::Query {
            query: ClusterQuery::Payload(PayloadQuery::Verify { id, .. }),
            ..
        } = request
        else {
            return None;
        };
        let activity = self.activity.clone();
        let from = from.to_owned();
        let id = short(id);
        let started = Instant::now();
        Some(Box::new(move |reply: &ClientReply<ClusterApp>| {
            let ms = started.elapsed().as_millis();
            match verdict_of(reply) {
                Ok(v) => {
                    debug!(claimant = %from, claim = %id, verdict = v, ms, "answered a claim");
                    activity.claim_received(
                        &from,
                        Some(v),
                        format!("claim {id}… answered {v} ({ms} ms)"),
                    );
                }
                Err(why) => {
                    debug!(claimant = %from, claim = %id, %why, "gave no verdict on a claim");
                    activity.claim_received(
                        &from,
                        None,
                        format!("claim {id}…: no verdict, {why} ({ms} ms)"),
                    );
                }
            }
        }))
    }
}
