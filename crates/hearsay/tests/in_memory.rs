//! The embedding API over the in-memory transport: three replicas, a front
//! end and a `SessionClient` in one process through one `ChannelTransport`,
//! with no socket and no certificate; a partition, and its repair by
//! anti-entropy once healed.

use std::time::Duration;

use hearsay::crates::core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay::{
    ChannelTransport, Client, ClientId, FrontendNode, ReplicaId, ReplicaNode, SessionClient,
    VectorTimestamp,
};

const REPLICAS: [&str; 3] = ["r1", "r2", "r3"];

fn add(delta: i64) -> KvUpdate {
    KvUpdate::Add {
        key: "visits".into(),
        delta,
    }
}

fn count() -> KvQuery {
    KvQuery::Count {
        key: "visits".into(),
    }
}

/// Waits (bounded) until `node` has applied everything in `ts`.
async fn until_applied(node: &ReplicaNode<KvApp>, ts: &VectorTimestamp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let snap = node.handle().snapshot().await.expect("running");
        if ts.le(&snap.value_ts) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} never applied {ts}: it has {}",
            node.name(),
            snap.value_ts
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_runs_on_the_in_memory_transport_and_heals_a_partition_by_anti_entropy() {
    let net = ChannelTransport::new();

    eprintln!("phase: three replicas, a front end and a client, no certificates");
    let mut replicas = Vec::new();
    for name in REPLICAS {
        let mut b = ReplicaNode::builder(KvApp::default())
            .name(name)
            .transport(net.clone());
        for peer in REPLICAS.iter().filter(|p| **p != name) {
            b = b.member(*peer);
        }
        replicas.push(
            b.spawn()
                .await
                .expect("a replica starts without certificates"),
        );
    }
    ReplicaNode::introduce(&replicas);
    let mut fe = FrontendNode::<KvApp>::builder().transport(net.clone());
    for r in &replicas {
        fe = fe.replica(r.name().as_str(), r.addr());
    }
    let fe = fe
        .spawn()
        .await
        .expect("a front end starts without certificates");
    let client = Client::open(&net, "client", fe.addr(), "fe").expect("opens");
    let mut session = SessionClient::<KvApp>::new(client, ClientId(1));
    for _ in 0..3 {
        session.update(add(1)).await.expect("accepted");
    }
    assert_eq!(session.query(count()).await.unwrap(), KvReply::Count(3));
    let everyone = session.prev().clone();
    for r in &replicas {
        until_applied(r, &everyone).await;
    }

    eprintln!("phase: r3 is cut off from r1 and r2; a write through r1 stays on their side");
    net.partition(&["r3"], &["r1", "r2"]);
    let dropped_before = net.stats().dropped;
    session.set_prefer(Some(ReplicaId::new("r1").unwrap()));
    let ts = session
        .update(add(10))
        .await
        .expect("accepted on r1's side");
    until_applied(&replicas[1], &ts).await;
    // Several anti-entropy rounds (100 ms each) pass; none reaches r3.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r3 = replicas[2].handle().snapshot().await.unwrap();
    assert!(
        !ts.le(&r3.rep_ts),
        "r3 received {ts} across the partition: {}",
        r3.rep_ts
    );
    assert!(
        net.stats().dropped > dropped_before,
        "gossip to r3 was refused"
    );

    eprintln!("phase: healed; anti-entropy brings r3 the write it missed");
    // Nothing new is written: only the repair path can bring it.
    net.heal();
    until_applied(&replicas[2], &ts).await;

    eprintln!("phase: the front end cannot reach r1; the session is served elsewhere");
    net.cut("fe", "r1");
    assert_eq!(session.query(count()).await.unwrap(), KvReply::Count(13));
    session.update(add(1)).await.expect("accepted by r2 or r3");
    assert_eq!(session.query(count()).await.unwrap(), KvReply::Count(14));

    eprintln!("phase: shutdown frees every address");
    drop(session);
    fe.shutdown().await;
    for r in replicas {
        r.shutdown().await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !net.nodes().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still open: {:?}",
            net.nodes()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
