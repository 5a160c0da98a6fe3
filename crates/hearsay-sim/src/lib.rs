//! Deterministic fault simulation of the hearsay core, with invariant checkers.
//!
//! The simulator drives the sans-IO core — `R` [`hearsay_core::Replica`]s of
//! the test key-value app, `F` [`hearsay_core::FrontEnd`]s and `C` client
//! [`hearsay_core::Session`]s — over an in-memory network on a virtual clock
//! that jumps straight to the next delivery or deadline. Everything random is
//! drawn from the seed, and every map is ordered, so a seed replays exactly:
//! [`SeedReport::trace_hash`] is the same on every run.
//!
//! A run has two phases (SPEC §6):
//!
//! 1. **Faults.** Clients issue their requests, one at a time each — causal
//!    updates and queries, and forced updates and queries, which go through
//!    the forced order of [`SimConfig::voters`] voters — while the
//!    network delays (and so reorders), loses and duplicates messages —
//!    including replies lost after a replica accepted an update, so front ends
//!    retry under the same update id — partitions split replicas and front
//!    ends into groups and heal, replicas go offline or overloaded and come
//!    back, replicas crash and restart from what a durable shell wrote (the
//!    core's journal), one replica joins late and catches up by state
//!    transfer, and some sessions are forged or orphaned: their updates carry
//!    a context naming records that will never exist, which the replicas must
//!    refuse or let time out without stalling anyone else's updates. The
//!    forced order's primary of the moment is a favoured target of crashes
//!    and partitions. Safety properties are checked as events happen.
//! 2. **Heal.** Faults stop, partitions heal, every replica comes back online,
//!    clients issue nothing new, and the clock runs until gossip quiets
//!    (bounded). Then convergence, "every acknowledged update (forced ones
//!    included) applied everywhere" and the linearizability of the forced
//!    registers' histories are checked.
//!
//! The network itself, [`Network`], is generic: it carries any message type
//! between numbered nodes with these seeded faults, and the Maelstrom harness
//! (`hearsay-maelstrom`) runs on it too.
//!
//! The checkers live in `src/invariants/`, one file per property; see
//! [`Property`]. Not modelled: replicas leaving the membership, disk faults
//! (the simulated durable store never loses a committed write), a majority
//! of voters losing the forced order's in-memory log at once, changes of
//! the voters (reconfiguration), and Byzantine messages.
//!
//! ```
//! use hearsay_sim::{SimConfig, run_seed};
//!
//! let config = SimConfig { ops_per_client: 5, ..SimConfig::default() };
//! let report = run_seed(&config, 42).unwrap();
//! assert!(report.is_clean(), "{:?}", report.violations);
//! ```

mod bugs;
mod config;
mod invariants;
mod kv_workload;
mod net;
mod report;
mod sim;
mod sweep;
mod trace;
mod workload;

pub use bugs::{BUG_NAMES, BUGS_AVAILABLE};
pub use config::{ConfigError, Faults, SimConfig, Timing};
pub use invariants::{Property, Violation};
pub use kv_workload::KvWorkload;
pub use net::{Delay, NetStats, Network, Packet};
pub use report::{OpStats, ReplicaTotals, SeedReport};
pub use sweep::{Summary, run_seeds};
pub use trace::TraceHash;
pub use workload::Workload;

/// Runs one seed of the test key-value app ([`KvWorkload`], with forced
/// operations unless [`SimConfig::voters`] is 0) to the end of its heal
/// phase and reports what it found.
pub fn run_seed(config: &SimConfig, seed: u64) -> Result<SeedReport, ConfigError> {
    let workload = if config.voters == 0 {
        KvWorkload::causal_only()
    } else {
        KvWorkload::default()
    };
    run_seed_with(config, seed, workload)
}

/// Runs one seed of `workload`'s app — any [`hearsay_core::App`] — under the
/// same faults and checks: the session guarantees by timestamps, causal
/// order, at-most-once, query deadlines, durability across crashes, and
/// after healing, every acknowledged update applied everywhere and equal
/// states. `workload` may add checks of its app's values. Give each seed a
/// fresh workload.
pub fn run_seed_with<W: Workload>(
    config: &SimConfig,
    seed: u64,
    workload: W,
) -> Result<SeedReport, ConfigError> {
    config.validate()?;
    Ok(sim::Sim::new(config, seed, workload).run(seed))
}
