//! `hearsay bench` as a user runs it: a short run of the real binary, whose
//! JSON must hold every figure with sane values. No timing is asserted: the
//! figures depend on the machine.

mod common;

use common::{hearsay, run_bounded};
use serde_json::Value;

fn bench(args: &[&str]) -> std::process::Output {
    let mut cmd = hearsay();
    cmd.arg("bench").args(args);
    run_bounded(cmd, None)
}

fn num(v: &Value, path: &[&str]) -> f64 {
    let mut at = v;
    for key in path {
        at = at
            .get(key)
            .unwrap_or_else(|| panic!("no {} in {v}", path.join(".")));
    }
    at.as_f64()
        .unwrap_or_else(|| panic!("{} is not a number: {at}", path.join(".")))
}

#[test]
fn a_short_run_prints_every_figure_as_one_json_object() {
    eprintln!("phase: a 3-replica run of a fraction of a second per phase");
    let out = bench(&[
        "--json",
        "--duration",
        "0.5",
        "--warmup",
        "0.2",
        "--clients",
        "4",
        "--payload-bytes",
        "64",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
    let v: Value = serde_json::from_str(&stdout).unwrap();

    eprintln!("phase: the parameters come back as given");
    assert_eq!(num(&v, &["replicas"]), 3.0);
    assert_eq!(num(&v, &["clients"]), 4.0);
    assert_eq!(num(&v, &["duration_s"]), 0.5);
    assert_eq!(num(&v, &["payload_bytes"]), 64.0);
    assert_eq!(v["rate_source"], "half of peak");

    eprintln!("phase: every figure is there and sane");
    let updates_per_s = num(&v, &["updates_per_s"]);
    assert!(updates_per_s > 0.0, "{v}");
    assert!((num(&v, &["rate"]) - (updates_per_s / 2.0).max(1.0)).abs() < 1e-6);
    for kind in ["query", "update"] {
        let p = |q: &str| num(&v, &["latency_us", kind, q]);
        assert!(p("count") > 0.0, "no {kind} measured: {v}");
        assert!(p("p50") >= 1.0);
        assert!(p("p50") <= p("p90") && p("p90") <= p("p99"));
        assert!(p("p99") <= p("p999") && p("p999") <= p("max"));
    }
    for figure in ["convergence_ms", "replication_lag_ms"] {
        let c = |q: &str| num(&v, &[figure, q]);
        assert!(c("count") > 0.0, "{figure}: {v}");
        assert!(0.0 < c("p50") && c("p50") <= c("p99") && c("p99") <= c("max"));
    }
    // A 64-byte payload, an id, a dot and a context: more than 64 bytes,
    // far less than a kilobyte.
    let encoded = num(&v, &["encoded_update_bytes"]);
    assert!((64.0..1024.0).contains(&encoded), "{encoded}");
    // Each update reaches the two other replicas at least once.
    let bytes = num(&v, &["bytes_per_update_per_replica"]);
    assert!(bytes > 0.5 * encoded, "{bytes} vs {encoded}");
    assert!(num(&v, &["messages_per_update_per_replica"]) > 0.0);
    assert!(num(&v, &["gossip", "bytes_per_update_per_replica"]) > 0.0);
    assert!(num(&v, &["anti_entropy", "messages_per_update_per_replica"]) >= 0.0);
    assert_eq!(num(&v, &["log_len_end"]), 0.0, "the log drains: {v}");
    assert_eq!(num(&v, &["not_converged"]), 0.0, "{v}");
    assert_eq!(num(&v, &["errors"]), 0.0, "{v}");
    if cfg!(target_os = "linux") {
        let per_replica = num(&v, &["peak_rss_bytes_per_replica"]);
        assert!(per_replica > 0.0 && per_replica < num(&v, &["peak_rss_bytes"]));
        assert!(num(&v, &["cpu_us_per_update_at_peak"]) > 0.0, "{v}");
        assert!(num(&v, &["cores_used_at_peak"]) > 0.0, "{v}");
    }
}

#[test]
fn thirty_replicas_start_and_converge() {
    eprintln!("phase: 30 replicas, a short run at a given rate");
    let out = bench(&[
        "--json",
        "--replicas",
        "30",
        "--duration",
        "0.5",
        "--warmup",
        "0.2",
        "--clients",
        "4",
        "--rate",
        "200",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(num(&v, &["replicas"]), 30.0);
    assert_eq!(v["rate_source"], "given");
    assert!(num(&v, &["convergence_ms", "count"]) > 0.0, "{v}");
    assert_eq!(num(&v, &["log_len_end"]), 0.0, "{v}");
}

#[test]
fn bad_flags_get_one_clear_line() {
    for (args, says) in [
        (&["--replicas", "0"][..], "--replicas"),
        (&["--duration", "0"][..], "--duration"),
        (&["--rate", "0"][..], "--rate"),
        (&["--payload-bytes", "100000000"][..], "--payload-bytes"),
    ] {
        let out = bench(args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
