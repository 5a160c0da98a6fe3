//! Black-box: the correct core passes every check over a multi-seed sweep,
//! and the sweep really exercises the faults it claims to.

use std::time::Duration;

use hearsay_sim::{Faults, Property, SimConfig, Summary, Timing, run_seed, run_seeds};

#[test]
fn a_multi_seed_sweep_under_faults_is_clean_and_exercises_them() {
    let config = SimConfig::default();

    eprintln!("phase: sixteen seeds with every fault on");
    let reports = run_seeds(&config, 0..16, 2, &|_| {}).unwrap();
    let summary = Summary::of(&reports);
    for r in &reports {
        for v in &r.violations {
            eprintln!("{v}");
        }
    }
    assert_eq!(
        summary.violations, 0,
        "failing seeds {:?}",
        summary.failing_seeds
    );
    assert_eq!(summary.seeds, 16);
    assert_eq!(summary.operations, 16 * 8 * 30);

    eprintln!("phase: the faults and the paths they force did happen");
    let total = |f: &dyn Fn(&hearsay_sim::SeedReport) -> u64| reports.iter().map(f).sum::<u64>();
    assert!(total(&|r| r.net.lost) > 0, "messages lost");
    assert!(total(&|r| r.net.duplicated) > 0, "messages duplicated");
    assert!(total(&|r| r.net.cut) > 0, "partitions cut messages");
    assert!(
        total(&|r| r.replicas.duplicate_requests) > 0,
        "front ends retried"
    );
    assert!(
        total(&|r| r.replicas.duplicates_skipped) > 0,
        "an update accepted twice"
    );
    assert!(total(&|r| r.replicas.queries_held) > 0, "queries waited");
    assert!(
        total(&|r| r.replicas.snapshots_adopted) > 0,
        "state transfer"
    );
    assert!(total(&|r| r.ops.busy) > 0, "clients were told busy");
    assert!(
        reports.iter().all(|r| r.healed_in.is_some()),
        "every seed quiesced"
    );

    eprintln!("phase: forced traffic ran under the faults, and they hit the primary");
    assert!(summary.forced_operations > 0, "forced operations issued");
    assert!(summary.forced_acked > 0, "forced operations answered");
    assert!(summary.forced_refused > 0, "a CAS or a debit refused");
    assert!(
        summary.forced_unavailable > 0,
        "forced operations unavailable"
    );
    assert!(summary.primary_crashes > 0, "the primary crashed");
    assert!(summary.primary_isolations > 0, "the primary was cut off");
    assert!(
        total(&|r| r.replicas.forced_records) > 0,
        "forced records made"
    );
    assert_eq!(summary.unchecked_histories, 0, "every history searched");
}

#[test]
fn without_faults_every_request_succeeds() {
    let config = SimConfig {
        faults: Faults::none(),
        ..SimConfig::default()
    };
    let report = run_seed(&config, 3).unwrap();
    assert!(report.is_clean(), "{:?}", report.violations);
    assert_eq!(report.ops.busy + report.ops.rejected, 0);
    assert_eq!(
        report.ops.updates_acked + report.ops.queries_answered,
        report.ops.issued
    );
    assert_eq!((report.net.lost, report.net.cut), (0, 0));
    assert!(report.ops.forced_operations > 0);
    assert_eq!(report.ops.forced_acked, report.ops.forced_operations);
}

#[test]
fn a_heal_phase_too_short_to_quiesce_is_a_convergence_violation() {
    eprintln!("phase: stop the heal phase a microsecond after it starts");
    let config = SimConfig {
        timing: Timing {
            max_heal_phase: Duration::from_micros(1),
            ..Timing::default()
        },
        ..SimConfig::default()
    };
    let caught = (0..5).any(|seed| {
        let r = run_seed(&config, seed).unwrap();
        r.healed_in.is_none()
            && r.violations
                .iter()
                .any(|v| v.property == Property::Convergence)
    });
    assert!(caught, "an unfinished heal must be reported");
}

#[test]
fn bad_configurations_are_refused() {
    let config = SimConfig {
        frontends: 0,
        ..SimConfig::default()
    };
    let err = run_seed(&config, 0).unwrap_err();
    assert!(err.to_string().contains("front ends"), "{err}");
}

/// The long sweep CI's `hearsay sim` covers in release; run on purpose with
/// `cargo test --release -p hearsay-sim -- --ignored`.
#[test]
#[ignore]
fn a_thousand_seeds_are_clean() {
    let reports = run_seeds(&SimConfig::default(), 0..1000, 2, &|_| {}).unwrap();
    let summary = Summary::of(&reports);
    assert_eq!(
        summary.violations, 0,
        "failing seeds {:?}",
        summary.failing_seeds
    );
}
