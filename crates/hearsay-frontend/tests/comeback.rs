//! A replica that failed a request and comes back takes traffic again: the
//! front end probes it, and its own report puts it back into routing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{LocalLink, r};
use hearsay_core::testing::{KvApp, KvQuery};
use hearsay_core::{ClientId, ReplicaId, Session, Status};
use hearsay_frontend::{BoxFuture, FrontendConfig, FrontendHandle, LinkError, ReplicaLink, spawn};
use hearsay_replica::{Outbound, ReplicaServerConfig};
use hearsay_wire::node::{NodeActivityKind, NodeActivityQuery};
use hearsay_wire::{FrontendRequest, FrontendResponse, ReplicaRequest, SessionRequest};
use tokio::sync::mpsc;

/// [`LocalLink`], except that replicas in `down` cannot be reached (as if
/// their process were dead).
struct FlakyLink {
    inner: LocalLink,
    down: Arc<Mutex<BTreeSet<ReplicaId>>>,
    /// Every replica a client request was sent to, in order.
    served: Arc<Mutex<Vec<ReplicaId>>>,
}

impl ReplicaLink<KvApp> for FlakyLink {
    fn call(
        &self,
        to: &ReplicaId,
        request: ReplicaRequest<KvApp>,
    ) -> BoxFuture<Result<hearsay_wire::ReplicaResponse<KvApp>, LinkError>> {
        if self.down.lock().unwrap().contains(to) {
            let why = format!("{to} is down");
            return Box::pin(async move { Err(LinkError::Unreachable(why)) });
        }
        if matches!(request, ReplicaRequest::Client { .. }) {
            self.served.lock().unwrap().push(to.clone());
        }
        self.inner.call(to, request)
    }
}

async fn routing_of(fe: &FrontendHandle<KvApp>, name: &str) -> Option<Status> {
    fe.routing()
        .await
        .into_iter()
        .find(|(id, _)| id.as_str() == name)
        .map(|(_, s)| s)
}

#[tokio::test]
async fn a_replica_back_after_a_failed_request_is_preferred_again() {
    let names = ["r1", "r2", "r3"];
    let mut handles = BTreeMap::new();
    for n in names {
        let (tx, mut rx) = mpsc::channel::<Outbound<KvApp>>(1024);
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let h =
            hearsay_replica::spawn(ReplicaServerConfig::new(r(n)), KvApp::default(), tx).unwrap();
        handles.insert(r(n), h);
    }
    let down = Arc::new(Mutex::new(BTreeSet::new()));
    let served = Arc::new(Mutex::new(Vec::new()));
    let link = Arc::new(FlakyLink {
        inner: LocalLink(handles),
        down: down.clone(),
        served: served.clone(),
    });
    let fe = spawn(
        FrontendConfig::default(),
        names.iter().map(|n| r(n)).collect(),
        link,
    );
    let session = Session::new(ClientId(9));
    let ask = |q| {
        FrontendRequest::Session(SessionRequest {
            client: ClientId(9),
            request: q,
            prefer: Some(r("r2")),
        })
    };

    eprintln!("phase 1: r2 is down; a request preferring it fails over");
    down.lock().unwrap().insert(r("r2"));
    let q = session.query(KvQuery::Get { key: "x".into() });
    let answer = fe.handle(ask(q)).await;
    assert!(matches!(answer, FrontendResponse::Reply(_)), "{answer:?}");
    assert_eq!(routing_of(&fe, "r2").await, Some(Status::Offline));
    assert_eq!(served.lock().unwrap().last(), Some(&r("r1")));

    eprintln!("phase 2: r2 is back; within a bounded wait routing has it online");
    down.lock().unwrap().clear();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while routing_of(&fe, "r2").await != Some(Status::Online) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "r2 never came back into routing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    eprintln!("phase 3: the next request preferring r2 is served by r2");
    let q = session.query(KvQuery::Get { key: "x".into() });
    let answer = fe.handle(ask(q)).await;
    assert!(matches!(answer, FrontendResponse::Reply(_)), "{answer:?}");
    assert_eq!(served.lock().unwrap().last(), Some(&r("r2")));

    eprintln!(
        "phase 4: both changes reach the activity log (the second within a second: entries of one replica are paced)"
    );
    let want = [
        "r2: online -> offline (a request to it failed: replica unreachable: r2 is down)",
        "r2: offline -> online (its own report)",
    ];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let entries = loop {
        let a = fe.activity().clone();
        tokio::task::spawn_blocking(move || a.flush())
            .await
            .unwrap();
        let entries = fe
            .activity()
            .entries(&NodeActivityQuery {
                kind: Some(NodeActivityKind::StatusChanged),
                ..NodeActivityQuery::default()
            })
            .unwrap();
        let details: Vec<&str> = entries.iter().rev().map(|e| e.detail.as_str()).collect();
        if details == want {
            break entries;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the activity log has {details:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(entries.iter().all(|e| e.peer.as_deref() == Some("r2")));
}

#[tokio::test]
async fn the_trackers_view_brings_a_replica_back_at_once() {
    let (tx, mut rx) = mpsc::channel::<Outbound<KvApp>>(16);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let h =
        hearsay_replica::spawn(ReplicaServerConfig::new(r("r1")), KvApp::default(), tx).unwrap();
    let down = Arc::new(Mutex::new(BTreeSet::from([r("r1")])));
    let link = Arc::new(FlakyLink {
        inner: LocalLink(BTreeMap::from([(r("r1"), h)])),
        down: down.clone(),
        served: Arc::new(Mutex::new(Vec::new())),
    });
    // Probing so slow that only the tracker's hint can bring it back in time.
    let config = FrontendConfig {
        probe_every: Duration::from_secs(3600),
        ..FrontendConfig::default()
    };
    let fe = spawn(config, vec![r("r1")], link);
    let session = Session::new(ClientId(1));
    let q = session.query(KvQuery::Get { key: "x".into() });
    let answer = fe
        .handle(FrontendRequest::Session(SessionRequest {
            client: ClientId(1),
            request: q,
            prefer: None,
        }))
        .await;
    assert!(
        matches!(answer, FrontendResponse::Busy { .. }),
        "{answer:?}"
    );
    assert_eq!(routing_of(&fe, "r1").await, Some(Status::Offline));

    down.lock().unwrap().clear();
    fe.tracker_status(r("r1"), Status::Online).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while routing_of(&fe, "r1").await != Some(Status::Online) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the tracker's view did not bring r1 back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
