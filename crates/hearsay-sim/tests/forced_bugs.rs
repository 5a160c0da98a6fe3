//! The forced-order checkers catch real bugs: voters given each of the
//! forced order's deliberate bugs (`hearsay_core::forced::ForcedBugs`) are
//! reported, under the property that bug breaks, within a few seeds of the
//! default workload and faults. Without a bug the same seeds are clean
//! (`clean_sweep.rs`).

use hearsay_core::forced::ForcedBugs;
use hearsay_sim::{Property, SimConfig, run_seed};

/// Seeds tried per bug and property. The rarest, forget-committed seen by
/// the register histories, is first caught at seed 28 today (a forgotten
/// update must touch a register that a later read or CAS observes).
const SEEDS: u64 = 40;

/// The first seed (of `SEEDS`) in which voters with `bug` break `property`.
fn first_detection(bug: &str, property: Property) -> Option<u64> {
    let mut config = SimConfig::default();
    config.forced_bugs.enable(bug).unwrap();
    (0..SEEDS).find(|&seed| {
        let report = run_seed(&config, seed).unwrap();
        let found = report.violations.iter().find(|v| v.property == property);
        if let Some(v) = found {
            eprintln!("{bug}: seed {seed}: {v}");
        }
        found.is_some()
    })
}

#[test]
fn acknowledging_before_a_quorum_loses_acknowledged_forced_updates() {
    eprintln!("phase: the primary answers a forced update as soon as it orders it");
    let seed = first_detection("ack-before-quorum", Property::EventuallyApplied);
    assert!(seed.is_some(), "not caught in {SEEDS} seeds");
}

#[test]
fn acknowledging_before_a_quorum_breaks_linearizability() {
    eprintln!("phase: the same bug, seen by the register histories");
    let seed = first_detection("ack-before-quorum", Property::Linearizability);
    assert!(seed.is_some(), "not caught in {SEEDS} seeds");
}

#[test]
fn a_view_change_that_forgets_committed_updates_breaks_the_forced_order() {
    eprintln!("phase: a new primary keeps its own log, not the most advanced one");
    let seed = first_detection("forget-committed", Property::ForcedOrder);
    assert!(seed.is_some(), "not caught in {SEEDS} seeds");
}

#[test]
fn a_view_change_that_forgets_committed_updates_breaks_linearizability() {
    eprintln!("phase: the same bug, seen by the register histories");
    let seed = first_detection("forget-committed", Property::Linearizability);
    assert!(seed.is_some(), "not caught in {SEEDS} seeds");
}

#[test]
fn every_forced_bug_is_covered_here() {
    // A new forced-order bug needs a test above.
    assert_eq!(ForcedBugs::NAMES, ["ack-before-quorum", "forget-committed"]);
}
