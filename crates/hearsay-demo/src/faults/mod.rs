//! The demo's faults, as [`hearsay_replica::Admission`] policies the
//! replicas it starts are given: a random overload roll (`--overload-
//! probability`) and a partition switch (`hearsay replica --isolate-file`,
//! for tests). The library knows neither.

mod isolation;
mod overload_roll;

pub use isolation::Isolation;
pub use overload_roll::OverloadRoll;
