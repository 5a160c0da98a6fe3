//! One [`hearsay_core::App`] per causal Maelstrom workload, and one
//! [`hearsay_core::forced::Machine`] per forced one.
//!
//! Each app meets the core's correctness contract (deterministic, concurrent
//! updates commute, `validate` is pure, `PartialEq` compares what queries
//! see) and runs [`hearsay_core::conformance::check_convergence`] in its tests.
//! Each machine meets the forced order's ("decisions that read state": the
//! outcome is decided once, at the operation's place in the order, and
//! replayed) and runs [`hearsay_core::forced::check_decisions`] in its tests.

mod counter;
mod echo;
mod grow_set;
mod lin_kv;
mod registers;
mod serial_txn;

pub use counter::Counter;
pub use echo::Echo;
pub use grow_set::GrowSet;
pub use lin_kv::{KvOp, KvOutcome, LinKv};
pub use registers::{MicroOp, Registers, Writes};
pub use serial_txn::SerialRegisters;
