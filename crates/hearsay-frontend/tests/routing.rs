//! The front end routing real replica actors through an in-process link.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{LocalLink, r};
use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay_core::{BUSY_MESSAGE, ClientId, ClientReply, ReplicaId, Session, Status};
use hearsay_frontend::{FrontendConfig, FrontendHandle, spawn};
use hearsay_replica::{Outbound, ReplicaHandle, ReplicaServerConfig};
use hearsay_wire::{FrontendRequest, FrontendResponse, SessionRequest};
use tokio::sync::mpsc;

/// Three replicas; gossip between them only flows while `gossip` is true for
/// the sender, so a test can hold a replica back.
async fn setup(
    gossip_from: &[&str],
) -> (
    FrontendHandle<KvApp>,
    BTreeMap<ReplicaId, ReplicaHandle<KvApp>>,
) {
    let names = ["r1", "r2", "r3"];
    let mut handles = BTreeMap::new();
    let mut outs = Vec::new();
    for n in names {
        let (tx, rx) = mpsc::channel::<Outbound<KvApp>>(1024);
        let h =
            hearsay_replica::spawn(ReplicaServerConfig::new(r(n)), KvApp::default(), tx).unwrap();
        for p in names.iter().filter(|p| **p != n) {
            h.add_member(r(p)).await;
        }
        outs.push((n, rx));
        handles.insert(r(n), h);
    }
    for (from, mut rx) in outs {
        let peers = handles.clone();
        let deliver = gossip_from.contains(&from);
        tokio::spawn(async move {
            while let Some(Outbound { to, msg }) = rx.recv().await {
                if deliver {
                    if let Some(h) = peers.get(&to) {
                        h.peer(r(from), msg).await;
                    }
                }
            }
        });
    }
    let link = Arc::new(LocalLink(handles.clone()));
    let fe = spawn(
        FrontendConfig::default(),
        names.iter().map(|n| r(n)).collect(),
        link,
    );
    (fe, handles)
}

async fn ask(
    fe: &FrontendHandle<KvApp>,
    session: &mut Session,
    request: hearsay_core::ClientRequest<KvApp>,
    prefer: Option<&str>,
) -> FrontendResponse<KvApp> {
    let response = fe
        .handle(FrontendRequest::Session(SessionRequest {
            client: session.client(),
            request,
            prefer: prefer.map(r),
        }))
        .await;
    if let FrontendResponse::Reply(reply) = &response {
        session.observe(reply);
    }
    response
}

fn put(value: i64) -> KvUpdate {
    KvUpdate::Put {
        key: "x".into(),
        value,
    }
}

fn get() -> KvQuery {
    KvQuery::Get { key: "x".into() }
}

#[tokio::test]
async fn a_session_never_reads_older_than_its_own_write() {
    // r1's gossip never leaves it: r3 stays stale.
    let (fe, _) = setup(&[]).await;
    let mut s = Session::new(ClientId(1));
    let u = s.update(put(7));
    let w = ask(&fe, &mut s, u, Some("r1")).await;
    assert!(
        matches!(w, FrontendResponse::Reply(ClientReply::Accepted { .. })),
        "{w:?}"
    );
    // Prefer the stale r3: it holds the query, says "not yet", and the front
    // end goes back to r1 — the session still reads its own write.
    let q = s.query(get());
    let answer = ask(&fe, &mut s, q, Some("r3")).await;
    assert!(
        matches!(
            answer,
            FrontendResponse::Reply(ClientReply::Answer {
                reply: KvReply::Value(Some(7)),
                ..
            })
        ),
        "{answer:?}"
    );
}

#[tokio::test]
async fn offline_one_by_one_then_busy_then_back() {
    let (fe, _) = setup(&["r1", "r2", "r3"]).await;
    let mut s = Session::new(ClientId(2));
    for n in ["r1", "r2", "r3"] {
        let q = s.query(get());
        assert!(matches!(
            ask(&fe, &mut s, q, None).await,
            FrontendResponse::Reply(_)
        ));
        let changed = fe
            .handle(FrontendRequest::ChangeStatus {
                replica: r(n),
                status: Status::Offline,
            })
            .await;
        assert!(
            matches!(changed, FrontendResponse::Status(ref rep) if rep.status == Status::Offline),
            "{changed:?}"
        );
    }
    let q = s.query(get());
    match ask(&fe, &mut s, q, None).await {
        FrontendResponse::Busy { message } => assert_eq!(message, BUSY_MESSAGE),
        other => panic!("expected busy, got {other:?}"),
    }
    // `change` reaches an offline replica, so it can be brought back.
    let back = fe
        .handle(FrontendRequest::ChangeStatus {
            replica: r("r2"),
            status: Status::Online,
        })
        .await;
    assert!(matches!(back, FrontendResponse::Status(ref rep) if rep.status == Status::Online));
    let q = s.query(get());
    assert!(matches!(
        ask(&fe, &mut s, q, None).await,
        FrontendResponse::Reply(_)
    ));
    let list = fe.list().await;
    let statuses: Vec<_> = list
        .iter()
        .map(|e| (e.name.to_string(), e.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("r1".to_string(), Status::Offline),
            ("r2".to_string(), Status::Online),
            ("r3".to_string(), Status::Offline)
        ]
    );
}

#[tokio::test]
async fn changing_an_unknown_replica_says_which_exist() {
    let (fe, _) = setup(&[]).await;
    let reply = fe
        .handle(FrontendRequest::ChangeStatus {
            replica: r("r9"),
            status: Status::Offline,
        })
        .await;
    match reply {
        FrontendResponse::Error { reason } => {
            assert_eq!(reason, "no replica named r9: the replicas are r1, r2, r3")
        }
        other => panic!("{other:?}"),
    }
}
