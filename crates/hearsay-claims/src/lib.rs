//! Claims between replicas (seeds 000 and 001): every replica now and then
//! presents a claim — "the payload with this id has this content" — to a
//! random peer, which answers `true` only if the id exists and the content
//! hashes to it. Some claims are deliberately bad, so `false` answers happen
//! too; the claimant knows which answer each claim deserves, so a wrong
//! answer is counted as such (and must never happen).
//!
//! [`run`] is the claimant's loop; [`ClaimObserver`] is the receiver's side,
//! a [`hearsay_replica::RequestObserver`] that counts claims received and
//! verdicts given per claimant. Both record in the replica's
//! [`hearsay_activity::Activity`], which serves them as `/v1/metrics` and
//! `/v1/activity`.
//!
//! A claim is an ordinary causal query of the payloads app
//! (`PayloadQuery::Verify`) sent to the peer over QUIC as a
//! `ReplicaRequest::Client`, with the claimant's value timestamp as its
//! `prev`. The peer's core holds a query until its state covers `prev` (up
//! to its held-query deadline, then "not yet"), so it judges the claim only
//! once it has every payload the claimant had: lag delays an answer, never
//! falsifies it. The claimant is named by its certificate, which the peer's
//! QUIC layer has verified, so a claim cannot be made in another's name.

mod claim;
mod claimant;
mod observer;

pub use claim::{Claim, ClaimKind, make_claim, short, verdict_of};
pub use claimant::{ClaimConfig, run};
pub use observer::ClaimObserver;
