//! The embedding API end to end, on real QUIC over loopback: replicas and
//! front ends started by their builders, sessions through `SessionClient`,
//! and one clear error for each bad input to a builder.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use hearsay::crates::core::FrontEndConfig;
use hearsay::crates::core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay::{
    BUSY_MESSAGE, Client, ClientError, ClientId, FrontendNode, FrontendNodeError, NodeCredentials,
    NodeError, ReplicaNode, SessionClient, SessionError, certs,
};

const NODES: [&str; 6] = ["r1", "r2", "r3", "fe", "fe2", "client"];

fn certs_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    certs::init(dir.path(), &NODES, certs::Existing::Overwrite).unwrap();
    dir
}

fn client(dir: &Path, fe: SocketAddr, name: &str) -> Client {
    let creds = NodeCredentials::load(dir, "client").unwrap();
    Client::connect(&creds, fe, name).unwrap()
}

async fn replicas(dir: &Path, names: &[&str]) -> Vec<ReplicaNode<KvApp>> {
    let mut nodes = Vec::new();
    for name in names {
        let mut b = ReplicaNode::builder(KvApp::default())
            .name(*name)
            .certs_dir(dir);
        for peer in names.iter().filter(|p| *p != name) {
            b = b.member(*peer);
        }
        nodes.push(b.spawn().await.unwrap());
    }
    ReplicaNode::introduce(&nodes);
    nodes
}

fn add(key: &str, delta: i64) -> KvUpdate {
    KvUpdate::Add {
        key: key.into(),
        delta,
    }
}

fn count(key: &str) -> KvQuery {
    KvQuery::Count { key: key.into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_reads_its_writes_through_another_front_end_after_gossip() {
    let dir = certs_dir();
    let nodes = replicas(dir.path(), &["r1", "r2", "r3"]).await;

    eprintln!("phase: writes through fe, which routes to r1 only");
    let fe = FrontendNode::<KvApp>::builder()
        .certs_dir(dir.path())
        .replica("r1", nodes[0].addr())
        .spawn()
        .await
        .unwrap();
    let mut s = SessionClient::<KvApp>::new(client(dir.path(), fe.addr(), "fe"), ClientId(1));
    for _ in 0..3 {
        s.update(add("visits", 2)).await.unwrap();
    }
    assert_eq!(s.query(count("visits")).await.unwrap(), KvReply::Count(6));

    eprintln!("phase: the same session reads through fe2, which routes to r3 only");
    let fe2 = FrontendNode::<KvApp>::builder()
        .name("fe2")
        .certs_dir(dir.path())
        .replica("r3", nodes[2].addr())
        .spawn()
        .await
        .unwrap();
    s.reconnect(client(dir.path(), fe2.addr(), "fe2"));
    // r3 has what r1 accepted only by gossip; the session's context makes
    // the query wait for it.
    assert_eq!(s.query(count("visits")).await.unwrap(), KvReply::Count(6));

    eprintln!("phase: shutdown");
    fe.shutdown().await;
    fe2.shutdown().await;
    for n in nodes {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_told_busy_when_no_replica_answers() {
    let dir = certs_dir();
    // A replica that was started and stopped: its address answers nothing.
    let gone = replicas(dir.path(), &["r1"]).await.remove(0);
    let addr = gone.addr();
    gone.shutdown().await;
    let fe = FrontendNode::<KvApp>::builder()
        .certs_dir(dir.path())
        .replica("r1", addr)
        .routing(FrontEndConfig {
            attempt_timeout: Duration::from_millis(300),
            request_budget: Duration::from_secs(1),
        })
        .spawn()
        .await
        .unwrap();
    let mut s = SessionClient::<KvApp>::new(client(dir.path(), fe.addr(), "fe"), ClientId(2));
    let err = s.update(add("n", 1)).await.unwrap_err();
    assert_eq!(err, SessionError::Busy(BUSY_MESSAGE.to_owned()));
    assert!(err.is_retryable());
    assert!(s.prev().is_empty(), "a busy answer changes no context");
    fe.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_update_is_rejected_and_changes_nothing() {
    let dir = certs_dir();
    let nodes = replicas(dir.path(), &["r1"]).await;
    let fe = FrontendNode::<KvApp>::builder()
        .certs_dir(dir.path())
        .replica("r1", nodes[0].addr())
        .spawn()
        .await
        .unwrap();
    let mut s = SessionClient::<KvApp>::new(client(dir.path(), fe.addr(), "fe"), ClientId(3));
    s.update(add("n", 1)).await.unwrap();
    let before = s.prev().clone();
    let err = s.update(add("", 1)).await.unwrap_err();
    assert!(matches!(err, SessionError::Rejected(_)), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(s.prev(), &before);
    assert_eq!(s.query(count("n")).await.unwrap(), KvReply::Count(1));
    fe.shutdown().await;
    for n in nodes {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_front_end_is_a_retryable_client_error() {
    let dir = certs_dir();
    // A front end that was started and stopped.
    let fe = FrontendNode::<KvApp>::builder()
        .certs_dir(dir.path())
        .spawn()
        .await
        .unwrap();
    let addr = fe.addr();
    fe.shutdown().await;
    let mut s = SessionClient::<KvApp>::new(client(dir.path(), addr, "fe"), ClientId(4)).retries(1);
    let err = s.update(add("n", 1)).await.unwrap_err();
    assert!(
        matches!(err, SessionError::Client(ClientError::Unreachable { .. })),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_serves_its_metrics_over_http_when_asked() {
    let dir = certs_dir();
    let node = ReplicaNode::builder(KvApp::default())
        .name("r1")
        .certs_dir(dir.path())
        .http("127.0.0.1:0".parse().unwrap())
        .spawn()
        .await
        .unwrap();
    let at = node.http_addr().unwrap();
    let body = tokio::task::spawn_blocking(move || {
        let mut conn = TcpStream::connect(at).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        conn.write_all(b"GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        conn.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.contains("r1"), "{body}");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_builder_input_gets_one_clear_error() {
    let dir = certs_dir();
    let base = || ReplicaNode::builder(KvApp::default()).certs_dir(dir.path());

    let e = ReplicaNode::builder(KvApp::default())
        .spawn()
        .await
        .err()
        .unwrap();
    assert!(matches!(e, NodeError::NoName), "{e}");
    let e = ReplicaNode::builder(KvApp::default())
        .name("r1")
        .spawn()
        .await
        .err()
        .unwrap();
    assert!(matches!(e, NodeError::NoCredentials), "{e}");
    let e = base().name("").spawn().await.err().unwrap();
    assert!(matches!(e, NodeError::Name { .. }), "{e}");
    let e = base().name("r9").spawn().await.err().unwrap();
    assert!(matches!(e, NodeError::Credentials(_)), "{e}");
    assert!(e.to_string().contains("certificate"), "{e}");
    let e = base()
        .name("r1")
        .peer("", "127.0.0.1:1".parse().unwrap())
        .spawn()
        .await
        .err()
        .unwrap();
    assert!(matches!(e, NodeError::Name { .. }), "{e}");

    eprintln!("phase: an address in use is refused, for QUIC and for HTTP");
    let first = base().name("r1").spawn().await.unwrap();
    let e = base()
        .name("r1")
        .listen(first.addr())
        .spawn()
        .await
        .err()
        .unwrap();
    assert!(matches!(e, NodeError::Bind(_)), "{e}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let e = base()
        .name("r2")
        .http(taken.local_addr().unwrap())
        .spawn()
        .await
        .err()
        .unwrap();
    assert!(matches!(e, NodeError::Http { .. }), "{e}");
    first.shutdown().await;

    let e = FrontendNode::<KvApp>::builder()
        .certs_dir(dir.path())
        .replica("not a name!", "127.0.0.1:1".parse().unwrap())
        .spawn()
        .await
        .err()
        .unwrap();
    assert!(matches!(e, FrontendNodeError::ReplicaName { .. }), "{e}");
    let e = FrontendNode::<KvApp>::builder()
        .spawn()
        .await
        .err()
        .unwrap();
    assert!(matches!(e, FrontendNodeError::NoCredentials), "{e}");
}
