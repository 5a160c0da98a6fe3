//! `hearsay bench` as a user runs it: a short run of the real binary, whose
//! JSON must hold every figure with sane values, on a cluster of its own and
//! attached to a cluster of separate processes. No timing is asserted: the
//! figures depend on the machine.

mod common;

use std::time::{Duration, Instant};

use common::http::{get_json, peer_names};
use common::procs::Procs;
use common::{hearsay, run_bounded};
use serde_json::Value;

fn bench(args: &[&str]) -> std::process::Output {
    let mut cmd = hearsay();
    cmd.arg("bench").args(args);
    run_bounded(cmd, None)
}

/// The run's JSON, once it has succeeded.
fn json_of(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
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
    assert_eq!(v["mode"], "local");
    assert_eq!(v["durable"], false);

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

    eprintln!("phase: the light load, and the bare QUIC floor beside it");
    assert_eq!(num(&v, &["light_load_rate"]), 200.0, "{v}");
    for kind in ["query", "update"] {
        let p = |q: &str| num(&v, &["latency_us_light_load", kind, q]);
        assert!(p("count") > 0.0, "no {kind} at light load: {v}");
        assert!(p("p50") >= 1.0 && p("p50") <= p("p99"), "{v}");
    }
    let bare = |q: &str| num(&v, &["bare_quic_latency_us", q]);
    // 200/s for 0.5 s, less what falls at the window's edges.
    assert!(bare("count") >= 50.0, "{v}");
    assert!(bare("p50") > 0.0 && bare("p50") <= bare("p99"), "{v}");
    assert!(bare("p99") <= bare("max"), "{v}");
    // The same size as an encoded 64-byte update.
    let request = num(&v, &["bare_quic_request_bytes"]);
    assert!((64.0..1024.0).contains(&request), "{v}");
    assert!(v["bare_quic_skipped"].is_null(), "{v}");
    for q in ["p50", "p99"] {
        let ratio = num(&v, &["latency_ratio_to_bare_quic", q]);
        assert!(ratio.is_finite() && ratio > 0.0, "{q}: {v}");
    }
    assert_eq!(num(&v, &["light_load_errors"]), 0.0, "{v}");
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
    let v = json_of(&out);
    assert_eq!(num(&v, &["replicas"]), 30.0);
    assert_eq!(v["rate_source"], "given");
    assert!(num(&v, &["convergence_ms", "count"]) > 0.0, "{v}");
    assert_eq!(num(&v, &["log_len_end"]), 0.0, "{v}");
}

#[test]
fn durable_replicas_write_to_disk_and_still_converge_and_drain() {
    let out = bench(&[
        "--durable",
        "--duration",
        "0.5",
        "--warmup",
        "0.2",
        "--clients",
        "4",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("durable replicas"), "{table}");
    assert!(
        table.contains("bare QUIC (light load)")
            && table.contains("ratio to bare QUIC at light load (200/s"),
        "{table}"
    );
    assert!(
        table.contains("errors 0  shed 0  not converged 0"),
        "{table}"
    );
    assert!(table.contains("log at the end 0"), "{table}");
}

#[test]
fn durations_take_the_one_syntax_of_every_duration_flag() {
    eprintln!("phase: --duration and --warmup with units, as simulate takes them");
    let out = bench(&[
        "--json",
        "--duration",
        "600ms",
        "--warmup",
        "0.2s",
        "--clients",
        "2",
    ]);
    let v = json_of(&out);
    assert_eq!(num(&v, &["duration_s"]), 0.6, "{v}");
    assert_eq!(num(&v, &["warmup_s"]), 0.2, "{v}");
}

#[test]
fn bad_flags_get_one_clear_line() {
    for (args, says) in [
        (&["--replicas", "0"][..], "--replicas"),
        (&["--duration", "0"][..], "--duration"),
        (&["--duration", "20x"][..], "\"20x\" is not a duration"),
        (&["--warmup", "1h"][..], "--warmup"),
        (&["--rate", "0"][..], "--rate"),
        (&["--payload-bytes", "100000000"][..], "--payload-bytes"),
    ] {
        let out = bench(args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn attached_to_a_running_cluster_it_measures_that_cluster() {
    eprintln!("phase: a tracker, three replica processes and a front end");
    let mut p = Procs::start_with_tracker(3, "30s");
    let tracker = p.tracker_addr.clone().unwrap();
    let start = Instant::now();
    while peer_names(&tracker).len() < 4 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not everyone registered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let certs = p.dir.path().join("certs");
    let certs = certs.to_str().unwrap();
    let url = format!("http://{tracker}");
    let applied_before = get_json(&p.http_addr(0), "/v1/status")["stats"]["updates_applied"]
        .as_u64()
        .unwrap();

    eprintln!("phase: a short attached run through the front end, found by its address");
    let fe = p.frontend();
    let out = bench(&[
        "--json",
        "--tracker",
        &url,
        "--frontend",
        &fe,
        "--certs",
        certs,
        "--duration",
        "0.5",
        "--warmup",
        "0.2",
        "--clients",
        "4",
    ]);
    let v = json_of(&out);
    assert_eq!(v["mode"], "attached");
    assert_eq!(
        num(&v, &["replicas"]),
        3.0,
        "the replicas the tracker lists"
    );
    assert!(v["payload_bytes"].is_null(), "ratings, not payloads: {v}");
    assert!(
        num(&v, &["latency_us_light_load", "update", "count"]) > 0.0,
        "{v}"
    );
    assert!(
        v["bare_quic_latency_us"].is_null(),
        "no floor attached: {v}"
    );
    assert!(v["latency_ratio_to_bare_quic"].is_null(), "{v}");
    assert!(
        v["bare_quic_skipped"]
            .as_str()
            .is_some_and(|why| why.starts_with("attached")),
        "{v}"
    );
    assert!(num(&v, &["updates_per_s"]) > 0.0, "{v}");
    assert!(num(&v, &["latency_us", "query", "count"]) > 0.0, "{v}");
    let c = |q: &str| num(&v, &["convergence_ms", q]);
    assert!(
        c("count") > 0.0 && c("p50") <= c("p99") && c("p99") <= c("max"),
        "{v}"
    );
    assert!(num(&v, &["convergence_ms_at_peak", "count"]) > 0.0, "{v}");
    assert_eq!(num(&v, &["convergence_poll_ms"]), 5.0);
    assert_eq!(num(&v, &["not_converged"]), 0.0, "{v}");
    assert_eq!(num(&v, &["errors"]), 0.0, "{v}");
    assert_eq!(num(&v, &["log_len_end"]), 0.0, "the log drains: {v}");
    let updates = num(&v, &["updates_total"]);
    assert!(updates > 0.0, "{v}");
    // Gossip carries every update to the two other replicas.
    assert!(num(&v, &["bytes_per_update_per_replica"]) > 0.5 * num(&v, &["encoded_update_bytes"]));
    assert!(
        num(&v, &["gossip", "messages_per_update_per_replica"]) > 0.0,
        "{v}"
    );
    assert!(
        v["cpu_us_per_update_at_peak"].is_null(),
        "not the cluster's CPU: {v}"
    );
    if cfg!(target_os = "linux") {
        // Three processes: each replica's own memory, not a share.
        let per_replica = num(&v, &["peak_rss_bytes_per_replica"]);
        assert!(
            per_replica > 0.0 && per_replica < num(&v, &["peak_rss_bytes"]),
            "{v}"
        );
    }
    let applied_after = get_json(&p.http_addr(0), "/v1/status")["stats"]["updates_applied"]
        .as_u64()
        .unwrap();
    assert!(
        (applied_after - applied_before) as f64 >= updates,
        "r1 applied every update the bench counted: {applied_before} -> {applied_after}, {updates}"
    );
    assert_eq!(num(&v, &["retried_updates"]), 0.0, "{v}");

    eprintln!("phase: a second run right after: its sessions are new to the cluster");
    let out = bench(&[
        "--json",
        "--tracker",
        &url,
        "--certs",
        certs,
        "--duration",
        "0.5",
        "--warmup",
        "0.2",
        "--clients",
        "4",
    ]);
    let v = json_of(&out);
    // Sessions numbered as the first run's would have their updates taken
    // as retries of the first run's and not applied again.
    assert_eq!(num(&v, &["retried_updates"]), 0.0, "{v}");
    assert!(num(&v, &["updates_total"]) > 0.0, "{v}");
    assert!(num(&v, &["convergence_ms", "count"]) > 0.0, "{v}");

    eprintln!("phase: the table names the mode, and bad choices get one clear line");
    let out = bench(&[
        "--tracker",
        &url,
        "--certs",
        certs,
        "--duration",
        "0.2",
        "--warmup",
        "0",
        "--clients",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("(attached): 3 replicas") && table.contains("polling every 5 ms"),
        "{table}"
    );
    assert!(table.contains("no bare QUIC floor: attached"), "{table}");
    for (args, says) in [
        (
            &["--tracker", &url, "--frontend", "r1"][..],
            "front ends listed: fe",
        ),
        (&["--tracker", &url, "--replicas", "5"][..], "--replicas"),
        (
            &["--tracker", &url, "--payload-bytes", "8"][..],
            "--payload-bytes",
        ),
        (
            &["--tracker", &url, "--certs", "/nonexistent"][..],
            "no cluster certificates",
        ),
        (&["--tracker", "http://127.0.0.1:1"][..], "127.0.0.1:1"),
    ] {
        let out = bench(args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        assert!(first.contains(says), "{args:?}: {err}");
    }

    eprintln!("phase: a listed replica that does not answer is named");
    p.kill9(1);
    let out = bench(&["--tracker", &url, "--certs", certs]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot attach to the cluster: replica r2: /v1/status"),
        "{err}"
    );
}
