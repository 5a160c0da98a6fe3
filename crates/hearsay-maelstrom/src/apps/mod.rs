//! One [`hearsay_core::App`] per Maelstrom workload.
//!
//! Each app meets the core's correctness contract (deterministic, concurrent
//! updates commute, `validate` is pure, `PartialEq` compares what queries
//! see) and runs [`hearsay_core::conformance::check_convergence`] in its tests.

mod counter;
mod echo;
mod grow_set;
mod registers;

pub use counter::Counter;
pub use echo::Echo;
pub use grow_set::GrowSet;
pub use registers::{MicroOp, Registers, Writes};
