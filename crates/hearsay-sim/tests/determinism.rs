//! The same seed gives the same run: equal trace hashes, equal reports.

use hearsay_sim::{SimConfig, run_seed, run_seeds};

#[test]
fn one_seed_run_twice_gives_the_same_trace() {
    let config = SimConfig::default();

    eprintln!("phase: run seed 7 twice");
    let first = run_seed(&config, 7).unwrap();
    let second = run_seed(&config, 7).unwrap();

    eprintln!("phase: compare the traces and the reports");
    assert!(first.events > 1_000, "a real run: {} events", first.events);
    assert_eq!(first.trace_hash, second.trace_hash);
    assert_eq!(first, second);
}

#[test]
fn different_seeds_give_different_traces() {
    let config = SimConfig::default();
    let a = run_seed(&config, 1).unwrap();
    let b = run_seed(&config, 2).unwrap();
    assert_ne!(a.trace_hash, b.trace_hash);
}

#[test]
fn the_thread_count_does_not_change_the_results() {
    let config = SimConfig {
        ops_per_client: 10,
        ..SimConfig::default()
    };

    eprintln!("phase: the same six seeds on one thread, then on three");
    let one = run_seeds(&config, 10..16, 1, &|_| {}).unwrap();
    let three = run_seeds(&config, 10..16, 3, &|_| {}).unwrap();

    eprintln!("phase: reports match seed by seed, in seed order");
    let seeds: Vec<u64> = three.iter().map(|r| r.seed).collect();
    assert_eq!(seeds, (10..16).collect::<Vec<_>>());
    assert_eq!(one, three);
}
