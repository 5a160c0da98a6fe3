//! A [Maelstrom](https://github.com/jepsen-io/maelstrom) node backed by the
//! hearsay core: Jepsen's workbench drives it, so a harness nobody here wrote
//! checks hearsay's replication.
//!
//! # Shape
//!
//! - [`Node`] is the whole node as a state machine over *lines*: give it one
//!   line of Maelstrom JSON and the time, get back the lines to print. It owns
//!   a core [`hearsay_core::Replica`] once `init` names the cluster, and is both
//!   the front end and a replica for the Maelstrom clients that talk to it;
//!   for the forced workloads (`lin-kv`, `txn-serializable`) it owns a core
//!   [`hearsay_core::forced::Voter`] instead, every node voting, and forwards
//!   each client request to the primary as one forced operation.
//!   It reads no clock and does no I/O, so tests script it line by line.
//! - [`stdio::run`] is the thin shell: a reader thread feeds stdin lines into
//!   a channel, the loop waits on the channel only until the replica's next
//!   timer, and stdout gets nothing but Maelstrom JSON.
//! - [`apps`] holds one [`hearsay_core::App`] per causal workload: a grow-only
//!   set (broadcast), a counter (g-counter) and a register map with
//!   transactions (txn-rw-register); and one [`hearsay_core::forced::Machine`]
//!   per forced workload: a key-value map with compare-and-set (lin-kv) and
//!   registers changed by whole transactions (txn-serializable).
//! - [`Tuning`] chooses the gossip topology: a full mesh for small clusters, a
//!   hub with batched, relayed pushes and sparse anti-entropy for large ones.
//! - [`harness`] wires many [`Node`]s through the simulator's in-memory
//!   network ([`hearsay_sim::Network`]) on a virtual clock, with latency and
//!   partitions, measures messages per operation and latency the way
//!   Maelstrom's checkers do, and checks the histories (linearizability per
//!   key for lin-kv, strict serializability for the transactions).
//!
//! Node-to-node traffic is the core's `PeerMessage` as JSON inside bodies of
//! type `hs_peer`, or, for the forced workloads, voter messages, forwarded
//! requests and their answers as JSON inside bodies of type `hs_forced`.
//!
//! Error replies use Maelstrom's codes ([`ErrorCode`]); all are definite but
//! code 0, which a forced operation that may still take effect gets when its
//! node gives up waiting for the order.

pub mod apps;
mod codes;
mod envelope;
mod forced_app;
mod forced_server;
pub mod harness;
mod links;
mod node;
mod server;
mod service;
pub mod stdio;
mod tuning;
mod workload;

pub use codes::ErrorCode;
pub use forced_server::ForcedTimers;
pub use node::Node;
pub use tuning::{Plan, Tuning};
pub use workload::Workload;
