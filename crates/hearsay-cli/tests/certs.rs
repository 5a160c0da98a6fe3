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

/// A directory as an operator hands it to a client: the CA certificate and
/// the client's own pair, no CA key and no admin token.
fn client_only_dir(full: &std::path::Path) -> TempDir {
    let dir = TempDir::new("client-only");
    for file in ["ca.pem", "client.pem", "client.key"] {
        std::fs::copy(full.join(file), dir.path().join(file)).unwrap();
    }
    dir
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Issue #16 item 3: with only ca.pem, client.pem and client.key the client
/// refused to start ("ca.key is missing but the other half of the CA is
/// there"). Now it works, `change` included, and nothing in that directory
/// can mint or stand in for another node.
#[test]
fn a_client_with_only_the_ca_certificate_and_its_own_pair_works() {
    let c = common::Cluster::start(&[]);
    let only = client_only_dir(c.certs.path());
    let client = |commands: &[&str]| {
        let mut cmd = hearsay();
        cmd.args([
            "client",
            "--frontend",
            &c.frontend,
            "--user",
            "1",
            "--certs",
        ])
        .arg(only.path());
        for command in commands {
            cmd.args(["--exec", command]);
        }
        run_bounded(cmd, None)
    };
    let out = client(&["find Up", "change r1 offline", "status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Up (2009)"), "{text}");
    let status = c.status();
    let r1 = status.iter().find(|r| r["replica"] == "r1").expect("r1");
    assert_eq!(
        r1["status"], "offline",
        "the change went through the front end"
    );
    assert!(client(&["change r1 online"]).status.success());
    assert_eq!(
        files_in(only.path()),
        ["ca.pem", "client.key", "client.pem"],
        "no key or token was made"
    );

    // A replica or a tracker cannot start from it: their certificates would
    // need the CA's key, which is not there, and the error says where to go.
    let scratch = TempDir::new("r9-data");
    let mut replica = hearsay();
    replica
        .args([
            "replica",
            "--name",
            "r9",
            "--listen",
            "127.0.0.1:0",
            "--certs",
        ])
        .arg(only.path())
        .arg("--data-dir")
        .arg(scratch.path());
    let out = run_bounded(replica, None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("hearsay certs issue r9 --role replica") && err.contains("ca.key"),
        "{err}"
    );
    let data = TempDir::new("tracker-data");
    let mut tracker = hearsay();
    tracker
        .args(["tracker", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .arg("--certs")
        .arg(only.path());
    let out = run_bounded(tracker, None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("hearsay certs issue tracker --role tracker"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        files_in(only.path()),
        ["ca.pem", "client.key", "client.pem"]
    );

    // The client's pair renamed for r9 still names "client": refused.
    for ext in ["pem", "key"] {
        std::fs::copy(
            only.path().join(format!("client.{ext}")),
            only.path().join(format!("r9.{ext}")),
        )
        .unwrap();
    }
    let mut replica = hearsay();
    replica
        .args([
            "replica",
            "--name",
            "r9",
            "--listen",
            "127.0.0.1:0",
            "--certs",
        ])
        .arg(only.path())
        .arg("--data-dir")
        .arg(scratch.path());
    let out = run_bounded(replica, None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is the certificate of \"client\", not of \"r9\""),
        "{}",
        stderr(&out)
    );
}

/// A client certificate cannot register as a node: `hearsay frontend` or
/// `hearsay replica` started on it refuse to run, naming the role.
#[test]
fn a_client_certificate_cannot_run_a_replica_or_a_front_end() {
    let dir = TempDir::new("client-as-node");
    let certs = dir.path().join("certs");
    let mut init = hearsay();
    init.args(["certs", "init", "--dir"])
        .arg(&certs)
        .args(["--nodes", "r1,fe,client"]);
    assert!(run_bounded(init, None).status.success());
    for (command, role) in [("replica", "replica"), ("frontend", "frontend")] {
        let mut node = hearsay();
        node.args([
            command,
            "--name",
            "client",
            "--listen",
            "127.0.0.1:0",
            "--replica",
            "r1=127.0.0.1:9",
            "--certs",
        ])
        .arg(&certs);
        if command == "replica" {
            // `--replica` is the front end's flag.
            node = hearsay();
            node.args([
                "replica",
                "--name",
                "client",
                "--listen",
                "127.0.0.1:0",
                "--certs",
            ])
            .arg(&certs);
        }
        // Should it start anyway, its data stays in the temp dir.
        node.arg("--data-dir").arg(dir.path().join(command));
        let out = run_bounded(node, None);
        assert!(!out.status.success(), "{command}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "is a client certificate, so \"client\" cannot run as a {role}"
            )),
            "{command}: {err}"
        );
    }
}

/// With the client's certificate, talking to a replica directly is refused
/// with a clear error: it cannot act as a front end (client requests), use
/// the tracker's admin (status changes) or gossip; nothing changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_cannot_act_as_a_replica_front_end_or_tracker() {
    use hearsay_apps::payloads::PayloadUpdate;
    use hearsay_core::{ClientId, PeerMessage, ReplicaId, Session, Status};
    use hearsay_demo::cluster::{ClusterApp, ClusterUpdate};
    use hearsay_transport::TransportError;
    use hearsay_transport::{Connector, ConnectorConfig, EndpointConfig, NodeCredentials};
    use hearsay_wire::{PeerFrame, ReplicaRequest, encode};

    let c = common::Cluster::start(&[]);
    let creds = NodeCredentials::load(c.certs.path(), "client").unwrap();
    let endpoint = hearsay_transport::bind_client(
        "127.0.0.1:0".parse().unwrap(),
        &creds,
        &EndpointConfig::default(),
    )
    .unwrap();
    let conn = Connector::new(endpoint, ConnectorConfig::default());
    let (r1, r1_addr) = c.replicas[0].clone();
    let r1_addr: std::net::SocketAddr = r1_addr.parse().unwrap();
    let wait = std::time::Duration::from_secs(5);
    let refused = |what: &str, got: Result<Vec<u8>, TransportError>| match got {
        Err(TransportError::Forbidden { reason, .. }) => assert_eq!(
            reason,
            "a replica does not accept client certificates (only replica, frontend and tracker)",
            "{what}"
        ),
        other => panic!("{what}: expected a refusal, got {other:?}"),
    };

    // As a front end: a client request straight to the replica.
    let mut session = Session::new(ClientId(77));
    let request = session.update::<ClusterApp>(ClusterUpdate::Payload(PayloadUpdate::Put {
        payload: "forged".into(),
    }));
    let as_frontend = encode(&ReplicaRequest::<ClusterApp>::Client {
        attempt: 1,
        request,
    })
    .unwrap();
    refused(
        "client request",
        conn.request(r1_addr, &r1, &as_frontend, wait).await,
    );
    // As the tracker's QUIC admin: a status change.
    let as_tracker = encode(&ReplicaRequest::<ClusterApp>::SetStatus(Status::Offline)).unwrap();
    let got = conn.request(r1_addr, &r1, &as_tracker, wait).await;
    let err = got.as_ref().map(|_| ()).unwrap_err().to_string();
    assert!(
        err.contains("refused us: a replica does not accept client certificates"),
        "{err}"
    );
    refused("status change", got);
    // As a replica: a gossip frame (an empty digest) in its own name. QUIC
    // may acknowledge the bytes before the refusal lands, so the sender
    // may not hear of it; the replica drops it either way.
    let frame = PeerFrame::<ClusterApp> {
        from: ReplicaId::new("client").unwrap(),
        msg: PeerMessage::Digest {
            rep_ts: Default::default(),
            reply: true,
        },
    };
    let sent = conn
        .send_oneway(r1_addr, &r1, &encode(&frame).unwrap(), wait)
        .await;
    assert!(
        matches!(sent, Ok(()) | Err(TransportError::Forbidden { .. })),
        "{sent:?}"
    );

    // Nothing changed: every replica online with an empty log, nothing applied.
    let status = tokio::task::spawn_blocking(move || {
        let s = c.status();
        drop(c);
        s
    })
    .await
    .unwrap();
    assert_eq!(status.len(), 3, "{status:?}");
    for r in &status {
        assert_eq!(r["status"], "online", "{r}");
        assert_eq!(r["log_len"], 0, "{r}");
        assert_eq!(r["value_ts"], status[0]["value_ts"], "{r}");
    }
}
