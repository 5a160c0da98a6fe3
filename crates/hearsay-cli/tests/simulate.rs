//! `hearsay simulate --up`: traffic against a cluster of its own, and a JSON
//! summary whose claims, answers and client figures come from the real run.

mod common;

use common::{TempDir, hearsay, run_bounded};

#[test]
fn a_short_simulation_reports_claims_between_replicas_and_no_wrong_answer() {
    let certs = TempDir::new("sim-certs");
    let mut cmd = hearsay();
    cmd.args([
        "simulate",
        "--up",
        "--duration",
        "6s",
        "--rate",
        "30",
        "--json",
    ])
    .arg("--certs")
    .arg(certs.path());
    let out = run_bounded(cmd, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "simulate failed: {stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {text}\n{stderr}"));
    for field in [
        "claims_sent",
        "claims_true",
        "claims_false",
        "wrong_answers",
        "client_ops",
        "payloads_written",
    ] {
        assert!(v[field].is_u64(), "{field} missing: {v}");
    }
    assert_eq!(v["wrong_answers"], 0, "{v}");
    assert!(v["claims_sent"].as_u64().unwrap() > 0, "{v}");
    assert!(v["client_ops"].as_u64().unwrap() > 0, "{v}");
    assert!(v["payloads_written"].as_u64().unwrap() > 0, "{v}");
    let settled = v["claims_true"].as_u64().unwrap()
        + v["claims_false"].as_u64().unwrap()
        + v["claims_unanswered"].as_u64().unwrap();
    assert!(settled <= v["claims_sent"].as_u64().unwrap(), "{v}");
    let peers = v["peers"].as_array().expect("a peers array");
    let roles: Vec<&str> = peers.iter().map(|p| p["role"].as_str().unwrap()).collect();
    assert_eq!(roles.iter().filter(|r| **r == "replica").count(), 3, "{v}");
    assert_eq!(roles.iter().filter(|r| **r == "frontend").count(), 1, "{v}");
    for p in peers.iter().filter(|p| p["role"] == "replica") {
        assert!(p["claims_sent"].as_u64().unwrap() > 0, "{p}");
        assert!(p["claims_received"].as_u64().unwrap() > 0, "{p}");
        assert_eq!(p["wrong_answers"], 0, "{p}");
    }
    let fe = peers.iter().find(|p| p["role"] == "frontend").unwrap();
    assert!(fe["client_ops"].as_u64().unwrap() > 0, "{fe}");
    assert!(fe["latency_ms"]["p50"].as_f64().unwrap() > 0.0, "{fe}");
}

#[test]
fn bad_flags_and_no_cluster_get_one_clear_error() {
    let certs = TempDir::new("sim-none");
    let mut cmd = hearsay();
    cmd.args(["simulate", "--rate", "0"]);
    let out = run_bounded(cmd, None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad rate"));

    // Nothing listens on this port: the tracker is unreachable.
    hearsay()
        .args(["certs", "init", "--dir"])
        .arg(certs.path())
        .output()
        .unwrap();
    let mut cmd = hearsay();
    cmd.args([
        "simulate",
        "--tracker",
        "http://127.0.0.1:9",
        "--duration",
        "1s",
    ])
    .arg("--certs")
    .arg(certs.path());
    let out = run_bounded(cmd, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("cannot reach the tracker"), "{stderr}");
}
