//! Claims between replicas (seeds 000 and 001): every replica now and then
//! presents a claim — "the payload with this id has this content" — to a
//! random peer, which answers `true` only if the id exists and the content
//! hashes to it. Some claims are deliberately bad, so `false` answers happen
//! too; the claimant knows which answer each claim deserves, so a wrong
//! answer is counted as such (and must never happen).
//!
//! [`run`] is the claimant's loop; [`ClaimObserver`] is the receiver's side,
//! a [`hearsay_replica::RequestObserver`] that counts claims received and
//! verdicts given per claimant. Both count in the replica's [`ClaimTally`],
//! registered with its [`hearsay_activity::Activity`] as the `"claims"`
//! metrics extension (`/v1/metrics`' `extensions.claims`, and the same
//! Prometheus names as ever), and log in that activity (`/v1/activity`).
//! The library's own counters know nothing of claims.
//!
//! Claims run on any app that holds payloads ([`ClaimsApp`]: the payloads
//! app itself, or the demo's `ClusterApp`). A claim is an ordinary causal
//! query of that app (for the payloads, `PayloadQuery::Verify`) sent to the peer over QUIC as a
//! `ReplicaRequest::Client`, with the claimant's value timestamp as its
//! `prev`. The peer's core holds a query until its state covers `prev` (up
//! to its held-query deadline, then "not yet"), so it judges the claim only
//! once it has every payload the claimant had: lag delays an answer, never
//! falsifies it. The claimant is named by its certificate, which the peer's
//! QUIC layer has verified, so a claim cannot be made in another's name.

mod app;
mod claim;
mod claimant;
mod observer;
mod tally;

pub use app::ClaimsApp;
pub use claim::{Claim, ClaimKind, make_claim, short, verdict_of};
pub use claimant::{ClaimConfig, run};
pub use observer::ClaimObserver;
pub use tally::{
    CLAIMS_EXTENSION, ClaimAnswer, ClaimCounters, ClaimMetrics, ClaimTally, PeerClaims,
};
