//! The Maelstrom wrapper scripts run the binary Cargo just built (through
//! `HEARSAY_BIN`), as Maelstrom would run them: JSON lines in, JSON lines out.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const WORKLOADS: [&str; 4] = ["echo", "broadcast", "g-counter", "txn-rw-register"];

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/maelstrom")
        .join(name)
}

#[test]
fn the_scripts_run_the_node() {
    let bin = env!("CARGO_BIN_EXE_hearsay");
    for w in WORKLOADS {
        let mut child = Command::new(script(w))
            .env("HEARSAY_BIN", bin)
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
        assert_eq!(lines[1]["body"]["code"], 12);
    }
}
