//! Nodes make only their own missing certificate once a CA exists, so
//! separate processes starting together never write the same file (they once
//! all wrote `tracker.key` at the same time and failed).

mod common;

use common::{TempDir, hearsay, run_bounded};

#[test]
fn with_a_ca_a_node_makes_only_its_own_certificate() {
    let dir = TempDir::new("own-cert");
    let certs = dir.path().join("certs");
    let mut init = hearsay();
    init.args(["certs", "init", "--dir"])
        .arg(&certs)
        .args(["--nodes", "client"]);
    assert!(run_bounded(init, None).status.success());
    // The client has its certificate; it must not make anyone else's.
    let mut client = hearsay();
    client
        .args([
            "client",
            "--frontend",
            "127.0.0.1:9",
            "--user",
            "1",
            "--exec",
            "find Up",
            "--certs",
        ])
        .arg(&certs);
    let out = run_bounded(client, None);
    assert!(!out.status.success(), "nothing listens there");
    let mut files: Vec<String> = std::fs::read_dir(&certs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "admin.token",
            "ca.key",
            "ca.pem",
            "client.key",
            "client.pem"
        ]
    );
}
