//! The wrapper scripts in `scripts/maelstrom/`, as Maelstrom runs them.
//!
//! Nothing is built here: the missing-binary message is always checked, and
//! the scripts are run end to end only when a release binary already exists
//! (at `$HEARSAY_BIN`, `$CARGO_TARGET_DIR/release/hearsay` or
//! `target/release/hearsay`); otherwise that part says it skipped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const WORKLOADS: [&str; 4] = ["echo", "broadcast", "g-counter", "txn-rw-register"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn script(name: &str) -> PathBuf {
    repo().join("scripts/maelstrom").join(name)
}

fn release_binary() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(b) = std::env::var_os("HEARSAY_BIN") {
        candidates.push(PathBuf::from(b));
    } else {
        if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
            candidates.push(PathBuf::from(t).join("release/hearsay"));
        }
        candidates.push(repo().join("target/release/hearsay"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

#[test]
fn every_workload_has_an_executable_entry_point() {
    for w in WORKLOADS {
        let p = script(w);
        let meta = std::fs::metadata(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert!(
                meta.permissions().mode() & 0o111 != 0,
                "{} is executable",
                p.display()
            );
        }
        let _ = meta;
    }
}

#[test]
fn a_missing_binary_is_reported_clearly() {
    let out = Command::new(script("broadcast"))
        .env("HEARSAY_BIN", "/nonexistent/hearsay")
        .stdin(Stdio::null())
        .output()
        .expect("the script runs");
    assert!(!out.status.success());
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout but Maelstrom JSON"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not built") && err.contains("cargo build --release"),
        "{err}"
    );
}

#[test]
fn the_scripts_run_the_node_when_the_binary_exists() {
    let Some(bin) = release_binary() else {
        eprintln!(
            "skipped: no release hearsay binary; build one with cargo build --release -p hearsay-cli"
        );
        return;
    };
    for w in WORKLOADS {
        let mut child = Command::new(script(w))
            .env("HEARSAY_BIN", &bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the script starts");
        let input = concat!(
            r#"{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}"#,
            "\n",
            "this is not json\n",
            r#"{"src":"c1","dest":"n0","body":{"type":"nonsense","msg_id":2}}"#,
            "\n"
        );
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input.as_bytes()).expect("write stdin");
        }
        let out = child
            .wait_with_output()
            .expect("the node exits when stdin closes");
        assert!(
            out.status.success(),
            "{w}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("stdout carries only JSON"))
            .collect();
        assert_eq!(lines.len(), 2, "{w}: {lines:?}");
        assert_eq!(lines[0]["body"]["type"], "init_ok");
        assert_eq!(lines[1]["body"]["code"], 11);
    }
}
