//! The replica actor, wired to peers through an in-process router.

use std::collections::BTreeMap;
use std::time::Duration;

use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay_core::{ClientId, ClientReply, ReplicaId, Session, Status};
use hearsay_replica::{Outbound, ReplicaHandle, ReplicaServerConfig, spawn};
use tokio::sync::mpsc;

fn r(n: &str) -> ReplicaId {
    ReplicaId::new(n).unwrap()
}

/// Starts `names` as replicas that know each other, with a router task
/// delivering every outbound message.
async fn cluster(
    names: &[&str],
    tweak: impl Fn(&mut ReplicaServerConfig),
) -> BTreeMap<String, ReplicaHandle<KvApp>> {
    let mut handles = BTreeMap::new();
    let mut outs = Vec::new();
    for n in names {
        let (tx, rx) = mpsc::channel::<Outbound<KvApp>>(1024);
        let mut config = ReplicaServerConfig::new(r(n));
        tweak(&mut config);
        let h = spawn(config, KvApp::default(), tx).unwrap();
        for p in names.iter().filter(|p| *p != n) {
            h.add_member(r(p)).await;
        }
        outs.push((r(n), rx));
        handles.insert(n.to_string(), h);
    }
    for (from, mut rx) in outs {
        let peers = handles.clone();
        tokio::spawn(async move {
            while let Some(Outbound { to, msg }) = rx.recv().await {
                if let Some(h) = peers.get(to.as_str()) {
                    h.peer(from.clone(), msg).await;
                }
            }
        });
    }
    handles
}

#[tokio::test]
async fn an_update_through_one_replica_is_read_through_another() {
    let c = cluster(&["r1", "r2", "r3"], |_| {}).await;
    let mut session = Session::new(ClientId(1));
    let reply = c["r1"]
        .request(session.update(KvUpdate::Put {
            key: "x".into(),
            value: 42,
        }))
        .await;
    assert!(matches!(reply, ClientReply::Accepted { .. }), "{reply:?}");
    session.observe(&reply);
    // r3 may not have it yet; the query waits for the session's past.
    let reply = tokio::time::timeout(
        Duration::from_secs(5),
        c["r3"].request(session.query(KvQuery::Get { key: "x".into() })),
    )
    .await
    .expect("answered in time");
    assert!(
        matches!(
            reply,
            ClientReply::Answer {
                reply: KvReply::Value(Some(42)),
                ..
            }
        ),
        "{reply:?}"
    );
    // Gossip quiets: every log drains.
    for _ in 0..100 {
        let mut lens = Vec::new();
        for h in c.values() {
            lens.push(h.snapshot().await.unwrap().log_len);
        }
        if lens.iter().all(|l| *l == 0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("logs did not drain");
}

#[tokio::test]
async fn status_changes_are_obeyed() {
    let c = cluster(&["r1"], |_| {}).await;
    let h = &c["r1"];
    let mut changes = h.status_changes();
    assert_eq!(*changes.borrow_and_update(), Status::Online);
    assert!(h.set_status(Status::Offline).await);
    // Watchers (discovery's early heartbeat) see the change; the same
    // status again is no change.
    assert!(changes.has_changed().unwrap());
    assert_eq!(*changes.borrow_and_update(), Status::Offline);
    assert!(h.set_status(Status::Offline).await);
    assert!(!changes.has_changed().unwrap());
    let session = Session::new(ClientId(1));
    let reply = h
        .request(session.query(KvQuery::Count { key: "c".into() }))
        .await;
    assert_eq!(
        reply,
        ClientReply::Unavailable {
            status: Status::Offline
        }
    );
    assert!(h.set_status(Status::Online).await);
    let reply = h
        .request(session.query(KvQuery::Count { key: "c".into() }))
        .await;
    assert!(matches!(
        reply,
        ClientReply::Answer {
            reply: KvReply::Count(0),
            ..
        }
    ));
    let snap = h.snapshot().await.unwrap();
    assert_eq!(snap.status, Status::Online);
    assert_eq!(snap.stats.queries_answered, 1);
}

#[tokio::test]
async fn the_snapshot_tells_how_long_the_oldest_held_query_has_waited() {
    let c = cluster(&["r1", "r2"], |_| {}).await;
    let mut ahead = Session::new(ClientId(5));
    // A context from the future of r2 (r1:1 that r2 will not get: r1 stays
    // silent because the query goes to r2 before anything is written).
    ahead.merge_prev(&[(r("r9"), 1)].into_iter().collect());
    let h = c["r2"].clone();
    let q = ahead.query(KvQuery::Get { key: "x".into() });
    let waiting = tokio::spawn(async move { h.request(q).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let snap = c["r2"].snapshot().await.unwrap();
    assert_eq!(snap.held, 1);
    let age = snap.oldest_held.unwrap();
    assert!(
        age >= Duration::from_millis(250) && age < Duration::from_millis(1900),
        "{age:?}"
    );
    assert!(matches!(waiting.await.unwrap(), ClientReply::NotYet { .. }));
    assert_eq!(c["r2"].snapshot().await.unwrap().oldest_held, None);
}
