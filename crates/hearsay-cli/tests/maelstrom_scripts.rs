//! The Maelstrom wrapper scripts run the binary Cargo just built (through
//! `HEARSAY_BIN`), as Maelstrom would run them: JSON lines in, JSON lines out.

use std::io::Write;
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

/// Runs `script` with `input` on stdin until stdin closes; its stdout lines.
fn run_script(name: &str, input: &str) -> Vec<serde_json::Value> {
    let mut child = Command::new(script(name))
        .env("HEARSAY_BIN", env!("CARGO_BIN_EXE_hearsay"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the script starts");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    let out = child
        .wait_with_output()
        .expect("the node exits when stdin closes");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("stdout carries only JSON"))
        .collect()
}

#[test]
fn lin_kv_and_serializable_transactions_answer_through_the_order() {
    let init = r#"{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}"#;
    let kv = [
        init,
        r#"{"src":"c1","dest":"n0","body":{"type":"read","msg_id":2,"key":5}}"#,
        r#"{"src":"c1","dest":"n0","body":{"type":"write","msg_id":3,"key":5,"value":1}}"#,
        r#"{"src":"c1","dest":"n0","body":{"type":"cas","msg_id":4,"key":5,"from":2,"to":3}}"#,
        r#"{"src":"c1","dest":"n0","body":{"type":"cas","msg_id":5,"key":5,"from":1,"to":3}}"#,
        r#"{"src":"c1","dest":"n0","body":{"type":"read","msg_id":6,"key":5}}"#,
    ];
    let lines = run_script("lin-kv", &(kv.join("\n") + "\n"));
    let got: Vec<(String, Option<u64>)> = lines
        .iter()
        .map(|l| {
            let b = &l["body"];
            (
                b["type"].as_str().unwrap_or("").to_owned(),
                b["code"].as_u64().or(b["value"].as_u64()),
            )
        })
        .collect();
    let want = [
        ("init_ok", None),
        ("error", Some(20)),
        ("write_ok", None),
        ("error", Some(22)),
        ("cas_ok", None),
        ("read_ok", Some(3)),
    ];
    assert_eq!(got.len(), want.len(), "{lines:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0.as_str(), g.1), w, "{lines:?}");
    }
    let txn = [
        init,
        r#"{"src":"c1","dest":"n0","body":{"type":"txn","msg_id":2,"txn":[["w",1,4],["r",1,null]]}}"#,
        r#"{"src":"c2","dest":"n0","body":{"type":"txn","msg_id":3,"txn":[["r",1,null],["r",2,null]]}}"#,
    ];
    let lines = run_script("txn-rw-register-serializable", &(txn.join("\n") + "\n"));
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(
        lines[1]["body"]["txn"],
        serde_json::json!([["w", 1, 4], ["r", 1, 4]])
    );
    assert_eq!(
        lines[2]["body"]["txn"],
        serde_json::json!([["r", 1, 4], ["r", 2, null]])
    );
}
