//! `TrackerClient` against the real tracker on a loopback socket, and
//! against servers that misbehave: every call, every error surfaced.

mod common;

use std::time::Duration;

use common::{TOKEN, TestTracker, free_port};
use hearsay_discovery::{TrackerClient, TrackerError, TrackerUrl};
use hearsay_wire::tracker::{
    ActivityKind, ActivityQuery, PayloadQuery, PeerQuery, PeerRole, RegisterPeer, ReplicaStatus,
    WritePayloads,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

fn me(name: &str, role: PeerRole, addr: &str) -> RegisterPeer {
    RegisterPeer {
        name: name.into(),
        role,
        addr: addr.into(),
        http_addr: None,
    }
}

#[tokio::test]
async fn peers_register_heartbeat_list_and_deregister() {
    let t = TestTracker::start(Duration::from_secs(5)).await;
    let c = t.client();
    assert_eq!(c.health().await.unwrap().status, "ok");

    eprintln!("-- phase 1: register, and again (same id)");
    let mut r1 = me("r1", PeerRole::Replica, "127.0.0.1:7501");
    r1.http_addr = Some("127.0.0.1:7601".into());
    let p1 = c.register(&r1).await.unwrap();
    assert_eq!(p1.name, "r1");
    assert_eq!(p1.http_addr.as_deref(), Some("127.0.0.1:7601"));
    assert_eq!(c.register(&r1).await.unwrap().id, p1.id);
    let fe = c
        .register(&me("fe", PeerRole::Frontend, "127.0.0.1:7500"))
        .await
        .unwrap();

    eprintln!("-- phase 2: a heartbeat reports a status; the filters see it");
    c.heartbeat(p1.id, Some(ReplicaStatus::Overloaded))
        .await
        .unwrap();
    c.heartbeat(fe.id, None).await.unwrap();
    let all = c.peers(&PeerQuery::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    let replicas = c
        .peers(&PeerQuery {
            role: Some(PeerRole::Replica),
            status: None,
        })
        .await
        .unwrap();
    assert_eq!(replicas.len(), 1);
    assert_eq!(replicas[0].status, ReplicaStatus::Overloaded);
    let online = c
        .peers(&PeerQuery {
            role: None,
            status: Some(ReplicaStatus::Online),
        })
        .await
        .unwrap();
    assert_eq!(
        online.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["fe"]
    );
    assert_eq!(c.peer(fe.id).await.unwrap().role, PeerRole::Frontend);

    eprintln!("-- phase 3: a taken address is 409, with the holder named");
    let err = c
        .register(&me("r9", PeerRole::Replica, "127.0.0.1:7501"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert!(err.to_string().contains("registered to peer r1"), "{err}");

    eprintln!("-- phase 4: deregister; then the peer is 404 with the tracker's reason");
    c.deregister(p1.id).await.unwrap();
    let err = c.peer(p1.id).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(err.to_string().contains("no live peer has id"), "{err}");
    assert!(c.heartbeat(p1.id, None).await.unwrap_err().is_not_found());
    assert!(!err.is_transient());
    t.stop().await;
}

#[tokio::test]
async fn writes_need_the_token() {
    let t = TestTracker::start(Duration::from_secs(5)).await;
    let reader = TrackerClient::new(t.url(), None);
    assert!(
        reader
            .peers(&PeerQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    let err = reader
        .register(&me("r1", PeerRole::Replica, "127.0.0.1:7501"))
        .await
        .unwrap_err();
    assert_eq!(err, TrackerError::NoToken);
    let wrong = TrackerClient::new(t.url(), Some("not-the-token".into()));
    let err = wrong
        .write_payloads(&WritePayloads {
            payload: Some("hello".into()),
            random: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(err.to_string().contains("wrong admin token"), "{err}");
    t.stop().await;
}

#[tokio::test]
async fn payloads_activity_and_status_changes() {
    let t = TestTracker::start(Duration::from_secs(5)).await;
    let c = t.client();

    eprintln!("-- phase 1: payloads: the known SHA-256, idempotent, pages");
    let ids = c
        .write_payloads(&WritePayloads {
            payload: Some("hello".into()),
            random: None,
        })
        .await
        .unwrap();
    assert_eq!(ids.ids, [HELLO]);
    assert_eq!(ids.created, 1);
    let again = c
        .write_payloads(&WritePayloads {
            payload: Some("hello".into()),
            random: None,
        })
        .await
        .unwrap();
    assert_eq!(again.created, 0);
    assert_eq!(c.payload(HELLO).await.unwrap().unwrap().payload, "hello");
    assert_eq!(c.payload(&"0".repeat(64)).await.unwrap(), None);
    let err = c.payload("not/an id").await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    let random = c
        .write_payloads(&WritePayloads {
            payload: None,
            random: Some(3),
        })
        .await
        .unwrap();
    assert_eq!(random.ids.len(), 3);
    let page = c
        .payloads(&PayloadQuery {
            after: None,
            limit: Some(2),
        })
        .await
        .unwrap();
    assert_eq!(page.payloads.len(), 2);
    let rest = c
        .payloads(&PayloadQuery {
            after: page.next.clone(),
            limit: Some(10),
        })
        .await
        .unwrap();
    assert_eq!(rest.payloads.len(), 2);
    assert_eq!(rest.next, None);

    eprintln!("-- phase 2: the activity log, filtered by kind and peer");
    c.register(&me("r1", PeerRole::Replica, "127.0.0.1:7501"))
        .await
        .unwrap();
    let written = c
        .activity(&ActivityQuery {
            kind: Some(ActivityKind::PayloadsWritten),
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(written.entries.len(), 3);
    let r1 = c
        .activity(&ActivityQuery {
            peer: Some("r1".into()),
            limit: Some(5),
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(r1.entries[0].kind, ActivityKind::PeerRegistered);
    let err = c
        .activity(&ActivityQuery {
            limit: Some(0),
            ..ActivityQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");

    eprintln!("-- phase 3: a tracker without a replica client says so (503)");
    let err = c
        .set_status("r1", ReplicaStatus::Offline)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert!(err.is_transient());
    let err = c
        .set_status("r7", ReplicaStatus::Offline)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    t.stop().await;
}

#[tokio::test]
async fn an_absent_tracker_is_unreachable() {
    let c = TrackerClient::new(TrackerUrl::from(free_port()), Some(TOKEN.into()));
    let err = c.peers(&PeerQuery::default()).await.unwrap_err();
    assert!(matches!(err, TrackerError::Unreachable { .. }), "{err}");
    assert!(err.is_transient());
    assert!(err.to_string().contains("unreachable"), "{err}");
}

/// A TCP server that answers every connection with `answer` (after reading
/// the request head), or never answers when `answer` is `None`.
async fn raw_server(answer: Option<Vec<u8>>) -> TrackerUrl {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = TrackerUrl::from(listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                match answer {
                    Some(a) => {
                        let _ = s.write_all(&a).await;
                        let _ = s.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn misbehaving_servers_give_clear_errors() {
    eprintln!("-- a server that never answers: a timeout");
    let url = raw_server(None).await;
    let c = TrackerClient::new(url, None).with_timeout(Duration::from_millis(300));
    let err = c.health().await.unwrap_err();
    assert!(matches!(err, TrackerError::Timeout { .. }), "{err}");

    eprintln!("-- an answer declared larger than the bound");
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n{".to_vec();
    let c = TrackerClient::new(raw_server(Some(head)).await, None);
    let err = c.health().await.unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");

    eprintln!("-- an undeclared answer that grows past the bound");
    let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..4 {
        chunked.extend_from_slice(b"400\r\n");
        chunked.extend_from_slice(&[b'x'; 0x400]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let c = TrackerClient::new(raw_server(Some(chunked)).await, None).with_max_response(2048);
    let err = c.health().await.unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");

    eprintln!("-- not HTTP at all");
    let c = TrackerClient::new(raw_server(Some(b"SSH-2.0-x\r\n".to_vec())).await, None);
    let err = c.health().await.unwrap_err();
    assert!(matches!(err, TrackerError::Unreachable { .. }), "{err}");

    eprintln!("-- an error status without JSON: the reason is quoted");
    let plain = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 8\r\n\r\nupstream".to_vec();
    let c = TrackerClient::new(raw_server(Some(plain)).await, None);
    let err = c.health().await.unwrap_err();
    assert_eq!(
        err,
        TrackerError::Api {
            status: 502,
            error: "\"upstream\"".into()
        }
    );

    eprintln!("-- a success that is not the JSON expected");
    let odd = b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}".to_vec();
    let c = TrackerClient::new(raw_server(Some(odd)).await, None);
    let err = c.health().await.unwrap_err();
    assert!(matches!(err, TrackerError::BadResponse(_)), "{err}");
}
