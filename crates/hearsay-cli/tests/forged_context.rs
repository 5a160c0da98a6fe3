//! A session with a forged or orphaned causal context, sent through the real
//! front end to real replicas, cannot stall the cluster (issue #16, item 1):
//! its update is refused (or, if no replica can ever take it, answered busy),
//! nothing of it is logged, ordinary updates keep applying, and every
//! replica's log drains.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Cluster, lines};
use hearsay_apps::payloads::PayloadUpdate;
use hearsay_core::{ClientId, ClientReply, ClientRequest, ReplicaId, UpdateId, VectorTimestamp};
use hearsay_demo::cluster::{ClusterApp, ClusterUpdate};
use hearsay_transport::{Connector, ConnectorConfig, EndpointConfig, NodeCredentials};
use hearsay_wire::{FrontendRequest, FrontendResponse, SessionRequest, decode, encode};

/// A bare QUIC connector with the cluster's client certificate, and the front
/// end's address: for sending a request no well-behaved client would.
fn raw_client(c: &Cluster) -> (Connector, SocketAddr) {
    let creds = NodeCredentials::load(c.certs.path(), "client").unwrap();
    let any = "127.0.0.1:0".parse().unwrap();
    let endpoint = hearsay_transport::bind_client(any, &creds, &EndpointConfig::default()).unwrap();
    (
        Connector::new(endpoint, ConnectorConfig::default()),
        c.frontend.parse().unwrap(),
    )
}

/// An update of session `client` whose context is `prev`, preferring `prefer`.
fn crafted(client: u64, prev: &[(&str, u64)], prefer: &str) -> Vec<u8> {
    let prev: VectorTimestamp = prev
        .iter()
        .map(|(r, v)| (ReplicaId::new(*r).unwrap(), *v))
        .collect();
    let request = ClientRequest::Update {
        id: UpdateId {
            client: ClientId(client),
            seq: 1,
        },
        prev,
        op: ClusterUpdate::Payload(PayloadUpdate::Put {
            payload: format!("forged by session {client}"),
        }),
    };
    encode(&FrontendRequest::<ClusterApp>::Session(SessionRequest {
        client: ClientId(client),
        request,
        prefer: Some(ReplicaId::new(prefer).unwrap()),
    }))
    .unwrap()
}

/// Sends `frame` to the front end and decodes its answer.
async fn ask(conn: &Connector, fe: SocketAddr, frame: Vec<u8>) -> FrontendResponse<ClusterApp> {
    let answer = conn
        .request(fe, "fe", &frame, Duration::from_secs(30))
        .await
        .unwrap();
    decode(&answer).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_orphaned_contexts_are_refused_and_the_cluster_keeps_going() {
    let c = Cluster::start(&[]);
    assert_eq!(c.replicas.len(), 3, "{:?}", c.replicas);
    let (conn, fe) = raw_client(&c);

    eprintln!(
        "phase: a forged context (a replica that is no member) and an orphaned one (a record r1 never wrote)"
    );
    let forged = tokio::spawn({
        let (conn, frame) = (conn.clone(), crafted(9001, &[("ghost", 7)], "r2"));
        async move { ask(&conn, fe, frame).await }
    });
    let orphaned = tokio::spawn({
        let (conn, frame) = (conn.clone(), crafted(9002, &[("r1", 1_000_000)], "r2"));
        async move { ask(&conn, fe, frame).await }
    });

    eprintln!("phase: ordinary sessions rate movies meanwhile, through the same front end");
    let c = tokio::task::spawn_blocking(move || {
        for (user, prefer) in [(11, "r1"), (12, "r2"), (13, "r3")] {
            let out = c.client(user, &["--prefer", prefer], &["rate Memento 4"]);
            assert_eq!(
                lines(&out),
                [format!("user {user} rated Memento (2000) 4")],
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        c
    })
    .await
    .unwrap();

    eprintln!("phase: every replica applies them and its log drains");
    let c = tokio::task::spawn_blocking(move || {
        let s = c.wait_converged(Duration::from_secs(30));
        for r in &s {
            assert_eq!(r["log_len"], 0, "{r}");
        }
        for prefer in ["r1", "r2", "r3"] {
            let out = c.client(1, &["--prefer", prefer], &["average Memento"]);
            assert_eq!(
                lines(&out),
                ["Memento (2000): 4.00 average from 3 ratings"],
                "at {prefer}"
            );
        }
        c
    })
    .await
    .unwrap();

    eprintln!("phase: the crafted updates were refused, not acknowledged");
    match forged.await.unwrap() {
        FrontendResponse::Reply(ClientReply::Rejected { reason }) => {
            assert!(
                reason.contains("ghost") && reason.contains("not a member"),
                "{reason}"
            );
        }
        other => panic!("a forged context must be rejected, got {other:?}"),
    }
    match orphaned.await.unwrap() {
        // r2 and r3 hold it until their deadline, then "not yet"; r1 knows
        // it never wrote that record and rejects it.
        FrontendResponse::Reply(ClientReply::Rejected { reason }) => {
            assert!(reason.contains("r1 has only"), "{reason}");
        }
        FrontendResponse::Busy { .. } => {}
        other => panic!("an orphaned context must not be acknowledged, got {other:?}"),
    }
    let s = tokio::task::spawn_blocking(move || c.status())
        .await
        .unwrap();
    assert_eq!(s.len(), 3, "{s:#?}");
    for r in &s {
        assert!(
            r["value_ts"].get("ghost").is_none(),
            "nothing of the forged session entered a timestamp: {r}"
        );
        assert_eq!(r["log_len"], 0, "{r}");
    }
}
