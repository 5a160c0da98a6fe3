//! An in-process stand-in for Maelstrom: many [`crate::Node`]s wired through
//! the simulator's in-memory network ([`hearsay_sim::Network`], the same one
//! `hearsay sim` runs on) on a virtual clock, with latency and partitions.
//!
//! [`Cluster`] is the router, for tests that script clients by hand.
//! [`simulate`] runs a whole Maelstrom-shaped test on it (clients at a rate,
//! a partition nemesis, recovery, final reads) and reports what Maelstrom
//! would: messages per operation, latencies, and whether the history checks
//! out: for lin-kv, a Wing–Gong linearizability search per key (Knossos's
//! job, in small); for txn-serializable, strict serializability against the
//! order the voters committed (Elle's, in small); for both, the same order
//! at every node. It is a model of Maelstrom, not Maelstrom: the figures are for
//! design decisions, and the real run is the `maelstrom test` command lines
//! in the README.

mod check;
mod cluster;
mod forced_check;
mod ops;
mod simulate;

pub use cluster::{Cluster, Delivered, Latency};
pub use simulate::{Quantiles, SimConfig, SimReport, simulate};
