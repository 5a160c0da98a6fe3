//! An in-process stand-in for Maelstrom: many [`crate::Node`]s wired through
//! an in-memory network on a virtual clock, with latency and partitions.
//!
//! [`Network`] is the router, for tests that script clients by hand.
//! [`simulate`] runs a whole Maelstrom-shaped test on it (clients at a rate,
//! a partition nemesis, recovery, final reads) and reports what Maelstrom
//! would: messages per operation, stable latencies, and whether the history
//! checks out. It is a model of Maelstrom, not Maelstrom: the figures are for
//! design decisions, and the real run is the `maelstrom test` command lines
//! in the README.

mod check;
mod network;
mod ops;
mod rng;
mod simulate;

pub use network::{Delivered, Latency, Network};
pub use simulate::{Quantiles, SimConfig, SimReport, simulate};
