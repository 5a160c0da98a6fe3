//! The wrapper scripts in `scripts/maelstrom/`, as Maelstrom runs them.
//!
//! The missing-binary message is checked here; the scripts are run end to end
//! against the freshly built binary in `hearsay-cli`'s `tests/maelstrom_scripts.rs`
//! (only that crate's tests know where Cargo put the binary).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const WORKLOADS: [&str; 6] = [
    "echo",
    "broadcast",
    "g-counter",
    "txn-rw-register",
    "lin-kv",
    "txn-rw-register-serializable",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn script(name: &str) -> PathBuf {
    repo().join("scripts/maelstrom").join(name)
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
fn the_serializable_entry_point_names_itself_when_the_binary_is_missing() {
    let out = Command::new(script("txn-rw-register-serializable"))
        .env("HEARSAY_BIN", "/nonexistent/hearsay")
        .stdin(Stdio::null())
        .output()
        .expect("the script runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("scripts/maelstrom/txn-rw-register-serializable: the hearsay release binary is not built"),
        "{err}"
    );
}
