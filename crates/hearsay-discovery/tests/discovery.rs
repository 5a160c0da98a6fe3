//! `Discovery` against the real tracker on a loopback socket: nodes find
//! each other, leave, expire, survive a tracker that blinks or forgets them,
//! and wait (boundedly) for a tracker that is still starting.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TestTracker, eventually, free_port};
use hearsay_discovery::{
    Change, Discovery, DiscoveryConfig, TrackerClient, TrackerUrl, fixed_status, follow,
};
use hearsay_wire::tracker::{
    ActivityKind, ActivityQuery, PeerQuery, PeerRole, RegisterPeer, ReplicaStatus,
};

const LIMIT: Duration = Duration::from_secs(10);

/// A quick configuration: heartbeats and polls every 100 ms.
fn config(name: &str, port: u16) -> DiscoveryConfig {
    let mut c = DiscoveryConfig::new(RegisterPeer {
        name: name.into(),
        role: PeerRole::Replica,
        addr: format!("127.0.0.1:{port}"),
        http_addr: Some(format!("127.0.0.1:{}", port + 100)),
    });
    c.heartbeat_every = Duration::from_millis(100);
    c.poll_every = Duration::from_millis(100);
    c.register_for = Duration::from_secs(5);
    c
}

async fn start(t: &TestTracker, name: &str, port: u16) -> Discovery {
    Discovery::start(t.client(), config(name, port), fixed_status(None))
        .await
        .unwrap()
}

fn names(d: &Discovery) -> Vec<String> {
    d.members()
        .borrow()
        .iter()
        .map(|m| m.name.clone())
        .collect()
}

#[tokio::test]
async fn nodes_find_each_other_and_see_them_leave_or_expire() {
    let t = TestTracker::start(Duration::from_millis(800)).await;

    eprintln!("-- phase 1: r1 and r2 register and see each other, not themselves");
    let r1 = start(&t, "r1", 7501).await;
    let r2 = start(&t, "r2", 7502).await;
    // r2 saw r1 in its first poll, before `start` returned.
    assert_eq!(names(&r2), ["r1"]);
    eventually("r1 sees r2", LIMIT, || names(&r1) == ["r2"]).await;
    let m = r1.members().borrow().get("r2").cloned().unwrap();
    assert_eq!(m.addr.to_string(), "127.0.0.1:7502");
    assert_eq!(m.http_addr.as_deref(), Some("127.0.0.1:7602"));
    assert_eq!(m.role, PeerRole::Replica);

    eprintln!("-- phase 2: follow reports the members there, then who comes and goes");
    let seen: Arc<Mutex<Vec<Change>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(follow(r1.members(), move |c| {
        log.lock().unwrap().push(c);
        std::future::ready(())
    }));
    eventually(
        "r2 reported as added",
        LIMIT,
        || matches!(seen.lock().unwrap().as_slice(), [Change::Added(m)] if m.name == "r2"),
    )
    .await;

    eprintln!("-- phase 3: r2 stops cleanly: it deregisters and r1 drops it");
    r2.stop().await;
    let c = t.client();
    let left = c
        .activity(&ActivityQuery {
            kind: Some(ActivityKind::PeerDeregistered),
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(left.entries[0].peer.as_deref(), Some("r2"));
    eventually("r1 drops r2", LIMIT, || names(&r1).is_empty()).await;
    eventually(
        "r2 reported as removed",
        LIMIT,
        || matches!(seen.lock().unwrap().last(), Some(Change::Removed(m)) if m.name == "r2"),
    )
    .await;

    eprintln!("-- phase 4: r3 registers by hand and goes silent: r1 sees it come and expire");
    c.register(&RegisterPeer {
        name: "r3".into(),
        role: PeerRole::Replica,
        addr: "127.0.0.1:7503".into(),
        http_addr: None,
    })
    .await
    .unwrap();
    eventually("r1 sees r3", LIMIT, || names(&r1) == ["r3"]).await;
    eventually("r3 expires from r1's view", LIMIT, || names(&r1).is_empty()).await;
    // r1 itself kept heartbeating all along, so it is still listed.
    let listed = c.peers(&PeerQuery::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "r1");
    r1.stop().await;
    assert!(c.peers(&PeerQuery::default()).await.unwrap().is_empty());
    t.stop().await;
}

#[tokio::test]
async fn heartbeats_carry_the_status() {
    let t = TestTracker::start(Duration::from_secs(5)).await;
    let status = Arc::new(Mutex::new(ReplicaStatus::Online));
    let source = status.clone();
    let r1 = Discovery::start(
        t.client(),
        config("r1", 7501),
        Arc::new(move || {
            let s = *source.lock().unwrap();
            Box::pin(async move { Some(s) })
        }),
    )
    .await
    .unwrap();
    *status.lock().unwrap() = ReplicaStatus::Overloaded;
    let c = t.client();
    let overloaded = PeerQuery {
        role: None,
        status: Some(ReplicaStatus::Overloaded),
    };
    let mut listed = Vec::new();
    for _ in 0..100 {
        listed = c.peers(&overloaded).await.unwrap();
        if !listed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(listed.len(), 1, "r1 reported overloaded");
    r1.stop().await;
    t.stop().await;
}

#[tokio::test]
async fn a_tracker_that_blinks_changes_nobody_s_view() {
    let t = TestTracker::start(Duration::from_secs(5)).await;
    let r1 = start(&t, "r1", 7501).await;
    let r2 = start(&t, "r2", 7502).await;
    eventually("r1 sees r2", LIMIT, || names(&r1) == ["r2"]).await;
    let mut watch = r1.members();
    watch.borrow_and_update();

    eprintln!("-- phase 1: the tracker stops; ten polls fail; the views stay");
    let addr = t.addr;
    let dir = t.stop().await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(names(&r1), ["r2"]);
    assert_eq!(names(&r2), ["r1"]);
    assert!(
        !watch.has_changed().unwrap(),
        "the membership was not touched"
    );

    eprintln!("-- phase 2: it comes back with its data: same registrations, same views");
    let t = TestTracker::start_at(addr, dir, Duration::from_secs(5)).await;
    let id = r1.registration().unwrap().id;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(r1.registration().unwrap().id, id);
    assert_eq!(names(&r1), ["r2"]);
    assert_eq!(
        t.client().peers(&PeerQuery::default()).await.unwrap().len(),
        2
    );
    r1.stop().await;
    r2.stop().await;
    t.stop().await;
}

#[tokio::test]
async fn a_tracker_that_forgot_its_peers_gets_them_back() {
    let t = TestTracker::start(Duration::from_secs(5)).await;
    let r1 = start(&t, "r1", 7501).await;
    let r2 = start(&t, "r2", 7502).await;
    eventually("r1 sees r2", LIMIT, || names(&r1) == ["r2"]).await;

    eprintln!("-- the tracker restarts at the same address with no data");
    let addr = t.addr;
    drop(t.stop().await);
    let t = TestTracker::start_at(addr, tempfile::tempdir().unwrap(), Duration::from_secs(5)).await;
    let c = t.client();
    let mut listed = Vec::new();
    for _ in 0..200 {
        listed = c.peers(&PeerQuery::default()).await.unwrap();
        if listed.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut names_listed: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
    names_listed.sort();
    assert_eq!(names_listed, ["r1", "r2"], "both registered again");
    assert!(r1.registration().is_some());
    // Between the restart and r2's new registration r1 may have polled a
    // list without r2; it sees r2 again once r2 is back.
    eventually("r1 sees r2 again", LIMIT, || names(&r1) == ["r2"]).await;
    r1.stop().await;
    r2.stop().await;
    t.stop().await;
}

#[tokio::test]
async fn registration_waits_for_a_tracker_that_is_starting() {
    let addr = free_port();
    let client = TrackerClient::new(TrackerUrl::from(addr), Some(common::TOKEN.into()));
    let starting = tokio::spawn(Discovery::start(
        client,
        config("r1", 7501),
        fixed_status(None),
    ));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!starting.is_finished(), "still trying");
    let t = TestTracker::start_at(addr, tempfile::tempdir().unwrap(), Duration::from_secs(5)).await;
    let r1 = tokio::time::timeout(LIMIT, starting)
        .await
        .expect("registered once the tracker was up")
        .unwrap()
        .unwrap();
    assert_eq!(r1.registration().unwrap().name, "r1");
    r1.stop().await;
    t.stop().await;
}

#[tokio::test]
async fn registration_gives_up_and_refusals_are_final() {
    eprintln!("-- no tracker at all: the last error after the bound");
    let client = TrackerClient::new(TrackerUrl::from(free_port()), Some(common::TOKEN.into()));
    let mut c = config("r1", 7501);
    c.register_for = Duration::from_millis(300);
    let err = tokio::time::timeout(LIMIT, Discovery::start(client, c, fixed_status(None)))
        .await
        .expect("gave up")
        .err()
        .expect("an error");
    assert!(err.to_string().contains("unreachable"), "{err}");

    eprintln!("-- a wrong token: refused for good, not retried for the whole bound");
    let t = TestTracker::start(Duration::from_secs(5)).await;
    let wrong = TrackerClient::new(t.url(), Some("wrong".into()));
    let mut c = config("r1", 7501);
    c.register_for = Duration::from_secs(600);
    let err = tokio::time::timeout(LIMIT, Discovery::start(wrong, c, fixed_status(None)))
        .await
        .expect("refused at once")
        .err()
        .expect("an error");
    assert_eq!(err.status(), Some(401), "{err}");
    t.stop().await;
}

#[tokio::test]
async fn every_tracker_call_reaches_the_hook_failures_too() {
    let t = TestTracker::start(Duration::from_secs(5)).await;
    let calls: Arc<Mutex<Vec<(&'static str, bool)>>> = Arc::default();
    let mut c = config("r1", 7501);
    let seen = calls.clone();
    c.on_call = Some(hearsay_discovery::CallHook(Arc::new(move |what, error| {
        seen.lock().unwrap().push((what, error.is_none()));
    })));
    let r1 = Discovery::start(t.client(), c, fixed_status(None))
        .await
        .unwrap();
    let has = |what: &'static str, ok: bool| calls.lock().unwrap().contains(&(what, ok));
    eventually("register, heartbeat and poll", LIMIT, || {
        has("register", true) && has("heartbeat", true) && has("peers", true)
    })
    .await;
    let dir = t.stop().await;
    eventually("failed calls while the tracker is down", LIMIT, || {
        has("heartbeat", false) && has("peers", false)
    })
    .await;
    r1.stop().await;
    assert!(has("deregister", false), "{:?}", calls.lock().unwrap());
    drop(dir);
}

#[tokio::test]
async fn a_nudge_heartbeats_a_status_change_at_once() {
    let t = TestTracker::start(Duration::from_secs(30)).await;
    let status = Arc::new(Mutex::new(ReplicaStatus::Online));
    let now = status.clone();
    let status_fn: hearsay_discovery::StatusFn =
        Arc::new(move || Box::pin(std::future::ready(Some(*now.lock().unwrap()))));
    let mut c = config("r1", 7501);
    // No regular heartbeat during the test: only the nudge can tell.
    c.heartbeat_every = Duration::from_secs(3600);
    let d = Discovery::start(t.client(), c, status_fn).await.unwrap();
    let client = t.client();

    eprintln!("-- phase 1: the status changes and the node nudges discovery");
    *status.lock().unwrap() = ReplicaStatus::Offline;
    d.heartbeat_nudge().nudge();
    let mut listed = None;
    let start = tokio::time::Instant::now();
    while listed != Some(ReplicaStatus::Offline) {
        assert!(
            start.elapsed() < LIMIT,
            "the tracker still lists {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        let peers = client.peers(&PeerQuery::default()).await.unwrap();
        listed = peers.iter().find(|p| p.name == "r1").map(|p| p.status);
    }

    eprintln!("-- phase 2: the tracker logged it as a status change");
    let log = client
        .activity(&ActivityQuery {
            kind: Some(ActivityKind::StatusChanged),
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    let details: Vec<&str> = log.entries.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(
        details,
        ["replica r1 reports it is now offline (was online)"]
    );
    d.stop().await;
}
