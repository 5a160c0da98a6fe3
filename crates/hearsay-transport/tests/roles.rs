//! Servers let peers in by the role in their certificate: a role not allowed
//! to connect is turned away with a reason naming it, a role not allowed to
//! gossip has its one-way streams stopped unread, and the handler learns each
//! peer's role.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use hearsay_transport::{Access, RequestContext, Role, ServeConfig, TransportError};

/// What the replica's server allows (see `hearsay-replica`): everyone but
/// clients connects; only replicas gossip.
fn replica_access() -> Access {
    Access {
        server: "replica r1",
        connect: vec![Role::Replica, Role::Frontend, Role::Tracker],
        oneway: vec![Role::Replica],
    }
}

type Seen = Arc<Mutex<Vec<(String, Role, bool)>>>;

/// A server on r1's certificate with `access` that records who sent what,
/// and answers `<role>`.
fn recording_server(dir: &std::path::Path, access: Access) -> (Server, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let handler = move |ctx: RequestContext, _req: Vec<u8>| {
        let log = log.clone();
        async move {
            log.lock()
                .expect("log")
                .push((ctx.peer.to_string(), ctx.role, ctx.oneway));
            Some(ctx.role.as_str().as_bytes().to_vec())
        }
    };
    let config = ServeConfig {
        access,
        ..ServeConfig::default()
    };
    let server = Server::start_with(
        &creds(dir, "r1"),
        handler,
        hearsay_transport::EndpointConfig::default(),
        config,
    );
    (server, seen)
}

#[tokio::test]
async fn a_role_that_may_not_connect_is_refused_with_the_reason() {
    bounded(async {
        let dir = cluster(&["r1", "r2", "fe", "client", "tracker"]);
        let (server, seen) = recording_server(dir.path(), replica_access());

        let client = client(&creds(dir.path(), "client"));
        let err = client
            .request(server.addr, "r1", b"set status", REQUEST_TIMEOUT)
            .await
            .expect_err("a client may not talk to a replica");
        match &err {
            TransportError::Forbidden { reason, .. } => assert_eq!(
                reason,
                "replica r1 does not accept client certificates (only replica, frontend and tracker)"
            ),
            other => panic!("expected Forbidden, got {other:?}"),
        }
        assert!(!err.is_retryable(), "trying again cannot help");
        assert!(err.to_string().contains("refused us"), "{err}");
        // Nor gossip to it. QUIC may acknowledge the bytes before the server
        // closes the connection, so the sender may not hear of it; the
        // handler never sees them either way (checked below).
        let sent = client
            .send_oneway(server.addr, "r1", b"gossip", REQUEST_TIMEOUT)
            .await;
        assert!(
            matches!(sent, Ok(()) | Err(TransportError::Forbidden { .. })),
            "{sent:?}"
        );

        // The roles it lets in are served, and the handler knows them.
        for (name, role) in [
            ("fe", Role::Frontend),
            ("tracker", Role::Tracker),
            ("r2", Role::Replica),
        ] {
            let answer = client_of(dir.path(), name)
                .request(server.addr, "r1", b"hello", REQUEST_TIMEOUT)
                .await
                .expect("allowed");
            assert_eq!(answer, role.as_str().as_bytes());
        }
        let seen = seen.lock().expect("log").clone();
        assert_eq!(
            seen,
            [
                ("fe".to_owned(), Role::Frontend, false),
                ("tracker".to_owned(), Role::Tracker, false),
                ("r2".to_owned(), Role::Replica, false),
            ],
            "the client's requests never reached the handler"
        );
        server.stop().await;
    })
    .await;
}

fn client_of(dir: &std::path::Path, name: &str) -> hearsay_transport::Connector {
    client(&creds(dir, name))
}

#[tokio::test]
async fn only_the_roles_allowed_to_gossip_get_one_way_streams_through() {
    bounded(async {
        let dir = cluster(&["r1", "r2", "fe", "tracker"]);
        let (server, seen) = recording_server(dir.path(), replica_access());

        let fe = client_of(dir.path(), "fe");
        let tracker = client_of(dir.path(), "tracker");
        for sender in [&fe, &tracker] {
            // The stream is stopped unread; the sender hears of it unless QUIC
            // acknowledged the bytes first.
            let sent = sender
                .send_oneway(server.addr, "r1", b"gossip", REQUEST_TIMEOUT)
                .await;
            assert!(
                matches!(sent, Ok(()) | Err(TransportError::Forbidden { .. })),
                "{sent:?}"
            );
        }
        client_of(dir.path(), "r2")
            .send_oneway(server.addr, "r1", b"gossip", REQUEST_TIMEOUT)
            .await
            .expect("a replica gossips");
        // The one-way handler runs after the stream is read; wait for it.
        let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
        while seen.lock().expect("log").is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "never handled");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // A front end or tracker refused gossip may still send requests, on
        // the connection that carried the refused streams (answered after
        // those were taken off it).
        for (sender, role) in [(&fe, "frontend"), (&tracker, "tracker")] {
            let answer = sender
                .request(server.addr, "r1", b"hello", REQUEST_TIMEOUT)
                .await
                .expect("requests still allowed");
            assert_eq!(answer, role.as_bytes());
        }
        let oneway: Vec<_> = seen
            .lock()
            .expect("log")
            .iter()
            .filter(|(_, _, oneway)| *oneway)
            .cloned()
            .collect();
        assert_eq!(
            oneway,
            [("r2".to_owned(), Role::Replica, true)],
            "only the replica's gossip reached the handler"
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn by_default_every_role_is_served() {
    bounded(async {
        let dir = cluster(&["r1", "client"]);
        let (server, _seen) = recording_server(dir.path(), Access::default());
        let answer = client_of(dir.path(), "client")
            .request(server.addr, "r1", b"hello", REQUEST_TIMEOUT)
            .await
            .expect("served");
        assert_eq!(answer, b"client");
        server.stop().await;
    })
    .await;
}
