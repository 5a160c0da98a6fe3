//! Bad bytes from the network: an error for the sender, nothing changed, and
//! the nodes go on serving.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Cluster, lines};
use hearsay_demo::cluster::ClusterApp;
use hearsay_transport::{Connector, ConnectorConfig, EndpointConfig, NodeCredentials};
use hearsay_wire::{FrontendRequest, FrontendResponse, ReplicaResponse, decode, encode};

/// A bare QUIC connector with the cluster's client certificate, and the front
/// end's address: for sending bytes no well-behaved client would.
fn raw_client(c: &Cluster) -> (Connector, SocketAddr) {
    raw_node(c, "client")
}

/// The same with node `name`'s certificate (replicas refuse clients, so
/// misplaced frames are sent to them as a front end or a replica would).
fn raw_node(c: &Cluster, name: &str) -> (Connector, SocketAddr) {
    let creds = NodeCredentials::load(c.certs.path(), name).unwrap();
    let any = "127.0.0.1:0".parse().unwrap();
    let endpoint = hearsay_transport::bind_client(any, &creds, &EndpointConfig::default()).unwrap();
    (
        Connector::new(endpoint, ConnectorConfig::default()),
        c.frontend.parse().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_misplaced_frames_get_an_error_and_change_nothing() {
    let c = Cluster::start(&[]);
    assert_eq!(c.replicas.len(), 3, "{:?}", c.replicas);
    let (conn, fe) = raw_client(&c);
    let wait = Duration::from_secs(5);

    // Garbage to the front end.
    let answer = conn
        .request(fe, "fe", b"\xff\xfe\xfd not postcard", wait)
        .await
        .unwrap();
    match decode::<FrontendResponse<ClusterApp>>(&answer).unwrap() {
        FrontendResponse::Error { reason } => {
            assert!(reason.starts_with("malformed request"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // A truncated valid request.
    let good = encode(&FrontendRequest::<ClusterApp>::ListReplicas).unwrap();
    let mut long = encode(&FrontendRequest::<ClusterApp>::ChangeStatus {
        replica: hearsay_core::ReplicaId::new("r1").unwrap(),
        status: hearsay_core::Status::Offline,
    })
    .unwrap();
    long.truncate(long.len() - 1);
    let answer = conn.request(fe, "fe", &long, wait).await.unwrap();
    assert!(matches!(
        decode::<FrontendResponse<ClusterApp>>(&answer).unwrap(),
        FrontendResponse::Error { .. }
    ));

    // A valid front-end frame sent to a replica (the wrong message type).
    let (r1, r1_addr) = &c.replicas[0];
    let r1_addr: SocketAddr = r1_addr.parse().unwrap();
    let (as_fe, _) = raw_node(&c, "fe");
    let answer = as_fe.request(r1_addr, r1, &good, wait).await.unwrap();
    assert!(
        matches!(
            decode::<ReplicaResponse<ClusterApp>>(&answer),
            Ok(ReplicaResponse::Error { .. }) | Err(_)
        ),
        "a replica must not act on a front-end frame"
    );
    // Garbage on a one-way (gossip) stream from a replica, claiming nothing.
    let (as_r2, _) = raw_node(&c, "r2");
    as_r2
        .send_oneway(r1_addr, r1, &[0u8; 64], wait)
        .await
        .unwrap();

    // Nothing changed, and everyone still serves.
    let out = tokio::task::spawn_blocking(move || {
        let out = c.client(1, &["--json"], &["status", "find Up"]);
        drop(c);
        out
    })
    .await
    .unwrap();
    let got = lines(&out);
    let status: serde_json::Value = serde_json::from_str(&got[0]).unwrap();
    for r in status["replicas"].as_array().unwrap() {
        assert_eq!(r["status"], "online", "{r}");
        assert_eq!(r["log_len"], 0, "{r}");
    }
    assert!(got[1].contains("\"Up\""), "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_streams_is_answered_and_memory_stays_bounded() {
    let c = Cluster::start(&[]);
    let (conn, fe) = raw_client(&c);
    let before = c.rss_bytes();
    // 2000 requests at once on one connection: the server takes 256 streams
    // at a time (the rest wait for credit), answers each, and holds no more.
    let mut asks = Vec::new();
    for i in 0..2000u32 {
        let conn = conn.clone();
        asks.push(tokio::spawn(async move {
            let junk = i.to_le_bytes();
            conn.request(fe, "fe", &junk, Duration::from_secs(30)).await
        }));
    }
    let mut answered = 0;
    for a in asks {
        let answer = a.await.unwrap().expect("every stream is answered");
        assert!(matches!(
            decode::<FrontendResponse<ClusterApp>>(&answer),
            Ok(FrontendResponse::Error { .. })
        ));
        answered += 1;
    }
    assert_eq!(answered, 2000);
    if let (Some(before), Some(after)) = (before, c.rss_bytes()) {
        assert!(
            after < before + 64 * 1024 * 1024,
            "memory grew from {before} to {after} bytes"
        );
    }
    let out = tokio::task::spawn_blocking(move || c.client(1, &[], &["find Up"]))
        .await
        .unwrap();
    assert_eq!(
        lines(&out),
        ["Up (2009): Adventure, Animation, Children, Drama"]
    );
}
