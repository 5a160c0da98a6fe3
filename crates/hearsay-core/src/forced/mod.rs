//! Forced updates: a total order for operations that do not commute (Ladin et al.'s
//! forced updates), by Viewstamped Replication Revisited.
//!
//! Reference: B. Liskov and J. Cowling, "Viewstamped Replication Revisited", MIT
//! TR-2012-021 (2012). Section numbers in this module's comments are that paper's.
//!
//! # What is here
//!
//! [`crate::Replica`] hosts a [`Voter`] over [`Decided`] when
//! [`crate::ReplicaConfig::forced`] is set (see `replica/forced.rs`): it
//! decides each forced operation against its own state and orders it with
//! [`Voter::order_decided`]. The rest of this module knows nothing of replicas.
//!
//! - [`Voter`]: one member of a VRR group, sans-IO like the rest of the core
//!   (`handle_request` / `handle_message` / `handle_timeout` with `now`,
//!   `poll_timeout`, `poll_output`). Normal operation with batched `Prepare`s
//!   (§4.1), view changes (§4.2), recovery of a voter that lost its state (§4.3),
//!   state transfer to a lagging one (§5.2), and reconfiguration through the order
//!   itself (§7, simplified: see `transfer.rs`). The primary of view `v` is
//!   `voters[v % voters.len()]`.
//! - [`Machine`]: the ordered state machine, generic over its operations, with
//!   the "decisions that read state" contract: the primary decides each
//!   operation's outcome once, at its place in the order, and the outcome travels
//!   in the log entry ([`check_decisions`] is the conformance helper).
//! - Linearizable reads: a forced query is an operation like any other (its
//!   `apply` changes nothing), so it is ordered, and answered with the state at
//!   its place in the order once a majority holds it. No leases or read index yet:
//!   a read costs one round, shared with everything in its batch.
//! - Unavailability: a request not committed within `request_budget` is answered
//!   [`ForcedError::NoQuorum`] ("unavailable: no quorum"), on a minority primary
//!   and on voters stuck in a view change alike. The request may still commit if a
//!   majority later takes the log that holds it; a retry under the same
//!   [`RequestId`] then gets its answer, never a second execution.
//! - [`linearizable`]: a Wing–Gong checker with a register/CAS model.
//!
//! # Invariants
//!
//! - Same order everywhere: every voter commits the same entry at each op number,
//!   and each request id at most once (the primary's client table refuses to order
//!   a request id twice; a committed id is answered from the table).
//! - A request is answered only once a majority of the voters hold its entry.
//! - A committed entry survives every view change (§4.2's choice of log) and
//!   every recovery (a recovering voter votes in nothing until it has the log of
//!   the latest primary).
//!
//! Not yet: durability of the voter's own state (the log lives in memory; a
//! voter that restarts recovers it from the others, so losing a majority at
//! once stops the order; a replica journals the committed forced records),
//! log compaction (views and transfers carry the whole log, and the client
//! table keeps one entry per client), and the wire, front end and simulator.

mod config;
mod decided;
pub mod linearizable;
mod machine;
mod message;
mod normal;
mod rng;
mod transfer;
mod view_change;
mod voter;

pub use config::{ForcedBugs, VrConfig};
pub use decided::{Decided, ForcedBody, ForcedOp, ForcedOutcome};
pub use machine::{Machine, check_decisions};
pub use message::{
    Answer, Command, Entry, EntryBody, ForcedError, LogState, Message, NodeId, Ordered, Output,
    RequestId,
};
pub use voter::{Voter, VoterStatus, VrLogState, VrMessage, VrOutput};

#[cfg(test)]
mod cluster_test;
#[cfg(test)]
mod harness_test;
#[cfg(test)]
mod models_test;
#[cfg(test)]
mod voter_test;
