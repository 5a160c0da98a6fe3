//! [`ClaimsApp`]: what claims need from the replicated app — payloads to
//! pick from, the query that presents a claim, and the verdict in a reply —
//! so the claims network runs on any app that holds payloads (the payloads
//! app itself, or the demo's `ClusterApp` beside the movies).

use hearsay_apps::payloads::{PayloadId, PayloadQuery, PayloadReply, Payloads};
use hearsay_core::App;

/// An app whose state holds content-addressed payloads that replicas make
/// claims about.
/// Sendable, as the replica's actor and the claimant's tasks need.
pub trait ClaimsApp:
    App<Update: Send + Sync, Query: Send + Sync, Reply: Send + Sync> + Send + Sync + 'static
{
    /// The `pick`-th payload held (wrapping around), with its content; `None`
    /// when none is held.
    fn held_payload(&self, pick: usize) -> Option<(PayloadId, String)>;

    /// The query that claims `content` is the payload `id`.
    fn verify_query(id: PayloadId, content: String) -> Self::Query;

    /// The payload id `query` makes a claim about, if it is a claim.
    fn claimed_id(query: &Self::Query) -> Option<&PayloadId>;

    /// The verdict `reply` gives, if it is one.
    fn verdict(reply: &Self::Reply) -> Option<bool>;
}

impl ClaimsApp for Payloads {
    fn held_payload(&self, pick: usize) -> Option<(PayloadId, String)> {
        self.nth(pick).map(|(id, c)| (*id, c.to_owned()))
    }

    fn verify_query(id: PayloadId, content: String) -> PayloadQuery {
        PayloadQuery::Verify { id, content }
    }

    fn claimed_id(query: &PayloadQuery) -> Option<&PayloadId> {
        match query {
            PayloadQuery::Verify { id, .. } => Some(id),
            _ => None,
        }
    }

    fn verdict(reply: &PayloadReply) -> Option<bool> {
        match reply {
            PayloadReply::Verdict(v) => Some(*v),
            _ => None,
        }
    }
}
