//! The heart of hearsay: lazy replication (the gossip architecture of Ladin,
//! Liskov, Shrira and Ghemawat, 1992) as plain state machines.
//!
//! # Sans-IO
//!
//! This crate does no I/O. It opens no sockets, spawns no tasks, reads no clock
//! and draws no ambient randomness: time comes in as a [`Time`] argument, and
//! everything a [`Replica`] or [`FrontEnd`] wants done comes out as a value
//! (a replica's in a [`Ready`], whose outputs [`Replica::advance`] releases
//! only once the shell has persisted its journal). The same inputs give the same outputs, which is what lets
//! `hearsay-sim` run thousands of seeded fault scenarios and replay any of them.
//! The async shells (`hearsay-replica`, `hearsay-frontend`) and the Maelstrom
//! node drive these machines over real transports.
//!
//! # Map
//!
//! - [`VectorTimestamp`], [`ReplicaId`], [`UpdateId`], [`Dot`]: the vocabulary.
//! - [`App`]: the replicated state machine an application implements, with its
//!   correctness contract; [`conformance::check_convergence`] tests it.
//! - [`Replica`]: value, value timestamp, update log, replica timestamp,
//!   executed-update table, timestamp table; updates, queries, gossip,
//!   anti-entropy, log discarding and state transfer.
//! - [`FrontEnd`] and [`Session`]: routing, retries with the same update id,
//!   "busy", and the client's causal context.
//! - [`forced`]: the total order for forced updates (Viewstamped Replication
//!   Revisited), sans-IO; [`Replica`] hosts a voter (or is a learner) when
//!   [`ReplicaConfig::forced`] is set, and weaves the order's records into
//!   its causal log under the pseudo-origin [`ReplicaId::forced`].
//! - [`testing::KvApp`]: a small key-value app for tests and the simulator.
//!
//! # A tiny app
//!
//! A counter that only grows: increments commute, so replicas that apply
//! concurrent ones in different orders agree, which
//! [`conformance::check_convergence`] verifies.
//!
//! ```
//! use hearsay_core::{App, ApplyContext};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
//! struct Counter(u64);
//!
//! impl App for Counter {
//!     type Update = u64; // add this much
//!     type Query = (); // what is the total?
//!     type Reply = u64;
//!
//!     fn apply(&mut self, add: &u64, _: &ApplyContext<'_>) {
//!         self.0 = self.0.saturating_add(*add);
//!     }
//!     fn query(&self, _: &()) -> u64 {
//!         self.0
//!     }
//!     fn validate(add: &u64) -> Result<(), String> {
//!         if *add == 0 { Err("add at least 1".into()) } else { Ok(()) }
//!     }
//! }
//!
//! hearsay_core::conformance::check_convergence(&Counter::default(), &[1, 2, 3, 4, 5], 20, 7)
//!     .expect("increments commute");
//! assert!(Counter::validate(&0).is_err());
//! ```
//!
//! To run it replicated over QUIC, see the `hearsay` crate's builders and
//! its `examples/cart.rs`.

mod app;
mod bugs;
mod config;
pub mod conformance;
mod executed;
pub mod forced;
mod forced_status;
mod frontend;
mod held;
mod ids;
mod log;
mod message;
mod progress;
mod ready;
mod record;
mod reorder;
mod replica;
mod session;
mod size;
mod stats;
mod status;
pub mod testing;
mod time;
mod timers;
mod timestamp;

pub use app::{App, ApplyContext, Arbitration, UpdateClass};
#[cfg(feature = "inject-bugs")]
pub use bugs::InjectedBugs;
pub use config::{ForcedConfig, ForcedConfigError, ReplicaConfig};
pub use forced_status::{ForcedRole, ForcedStatus};
pub use frontend::{
    AttemptId, BUSY_MESSAGE, FrontEnd, FrontEndConfig, FrontEndOutput, Outcome, ReplicaView,
};
pub use ids::{ClientId, Dot, MAX_REPLICA_ID_LEN, ReplicaId, ReplicaIdError, UpdateId};
pub use message::{
    ClientReply, ClientRequest, ForcedRequest, ForcedVrMessage, ForwardReply, Gossip, PeerMessage,
    Snapshot,
};
pub use ready::{Journal, Ready};
pub use record::UpdateRecord;
pub use replica::{Output, Replica, RequestToken};
pub use session::Session;
pub use size::encoded_len;
pub use stats::ReplicaStats;
pub use status::Status;
pub use time::Time;
pub use timestamp::VectorTimestamp;

#[cfg(test)]
mod frontend_test;
#[cfg(test)]
mod replica_context_test;
#[cfg(test)]
mod replica_forced_harness;
#[cfg(test)]
mod replica_forced_test;
#[cfg(test)]
mod replica_reorder_test;
#[cfg(test)]
mod replica_test;
