//! Black-box: sessions whose causal context is forged (it names a replica
//! that is no member) or orphaned (it names a record no replica will ever
//! write) cannot stall the cluster. Their updates are refused or time out,
//! and every other session's updates keep being acknowledged and applied
//! everywhere, with every log drained after healing (issue #16, item 1).

use hearsay_sim::{Faults, SimConfig, Summary, run_seed, run_seeds};

fn with_forged(faults: Faults) -> SimConfig {
    SimConfig {
        faults: Faults {
            forged_sessions: 0.4,
            ..faults
        },
        ..SimConfig::default()
    }
}

#[test]
fn without_other_faults_every_honest_request_succeeds_and_every_forged_update_is_refused() {
    eprintln!("phase: a reliable network, some sessions forged");
    let mut forged = 0;
    for seed in 0..4 {
        let report = run_seed(&with_forged(Faults::none()), seed).unwrap();
        assert!(report.is_clean(), "seed {seed}: {:#?}", report.violations);
        let ops = report.ops;
        forged += ops.forged_updates;
        assert_eq!(
            ops.forged_refused, ops.forged_updates,
            "seed {seed}: a forged update was acknowledged"
        );
        // Everyone else's requests all succeed: nothing is stuck behind the
        // forged ones.
        assert_eq!(
            ops.updates_acked + ops.queries_answered + ops.forged_refused,
            ops.issued,
            "seed {seed}: {ops:?}"
        );
        assert!(
            report.healed_in.is_some(),
            "seed {seed}: logs never drained"
        );
    }
    assert!(forged > 0, "no forged session in these seeds");
}

#[test]
fn under_every_fault_forged_sessions_break_no_guarantee() {
    eprintln!("phase: sixteen seeds with every fault on and many forged sessions");
    let config = with_forged(Faults::default());
    let reports = run_seeds(&config, 0..16, 2, &|_| {}).unwrap();
    for r in &reports {
        for v in &r.violations {
            eprintln!("{v}");
        }
    }
    let summary = Summary::of(&reports);
    assert_eq!(
        summary.violations, 0,
        "failing seeds {:?}",
        summary.failing_seeds
    );

    eprintln!("phase: both kinds of bad context were sent and refused");
    let total = |f: &dyn Fn(&hearsay_sim::SeedReport) -> u64| reports.iter().map(f).sum::<u64>();
    assert!(total(&|r| r.ops.forged_updates) > 0);
    assert_eq!(
        total(&|r| r.ops.forged_refused),
        total(&|r| r.ops.forged_updates)
    );
    assert!(
        total(&|r| r.replicas.updates_bad_context) > 0,
        "non-members refused"
    );
    assert!(
        total(&|r| r.replicas.updates_not_yet) > 0,
        "orphaned contexts timed out"
    );
    let (held, released) = (
        total(&|r| r.replicas.updates_held),
        total(&|r| r.replicas.updates_released),
    );
    assert!(
        released > 0 && released < held,
        "some held updates were accepted once their past arrived, not all: {held} held, {released} released"
    );
    assert!(total(&|r| r.ops.updates_acked) > 0);
    assert!(
        reports.iter().all(|r| r.healed_in.is_some()),
        "every seed quiesced"
    );
}
