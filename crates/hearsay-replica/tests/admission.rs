//! The service's admission policy: which client requests a replica takes
//! and which peer messages pass, on replicas started by the builder over
//! the in-memory transport.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay_core::{ClientId, ClientReply, ClientRequest, PeerMessage, ReplicaId, Session, Status};
use hearsay_replica::{Admission, PeerVerdict, ReplicaNode, RequestVerdict};
use hearsay_transport::ChannelTransport;

/// Busy for updates, never for queries: a policy that reads the request.
struct ReadOnly;

impl Admission<KvApp> for ReadOnly {
    fn request(&self, request: &ClientRequest<KvApp>) -> RequestVerdict {
        match request {
            ClientRequest::Update { .. } => RequestVerdict::Busy,
            _ => RequestVerdict::Admit,
        }
    }
}

/// Drops every peer message in or out while on.
#[derive(Clone, Default)]
struct Switch(Arc<AtomicBool>);

impl Switch {
    fn verdict(&self) -> PeerVerdict {
        if self.0.load(Ordering::Relaxed) {
            PeerVerdict::Drop
        } else {
            PeerVerdict::Deliver
        }
    }
}

impl Admission<KvApp> for Switch {
    fn receive(&self, _: &ReplicaId, _: &PeerMessage<KvApp>) -> PeerVerdict {
        self.verdict()
    }
    fn send(&self, _: &ReplicaId, _: &PeerMessage<KvApp>) -> PeerVerdict {
        self.verdict()
    }
}

async fn pair(
    net: &ChannelTransport,
    r2_policies: Vec<Arc<dyn Admission<KvApp>>>,
) -> (ReplicaNode<KvApp>, ReplicaNode<KvApp>) {
    let r1 = ReplicaNode::builder(KvApp::default())
        .name("r1")
        .member("r2")
        .transport(net.clone())
        .spawn()
        .await
        .unwrap();
    let mut b = ReplicaNode::builder(KvApp::default())
        .name("r2")
        .peer("r1", r1.addr())
        .transport(net.clone());
    for p in r2_policies {
        b = b.admission(p);
    }
    let r2 = b.spawn().await.unwrap();
    let nodes = [r1, r2];
    ReplicaNode::introduce(&nodes);
    let [r1, r2] = nodes;
    (r1, r2)
}

fn put(value: i64) -> KvUpdate {
    KvUpdate::Put {
        key: "x".into(),
        value,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_verdict_answers_overloaded_and_the_others_are_handled() {
    let net = ChannelTransport::new();
    let (_r1, r2) = pair(&net, vec![Arc::new(ReadOnly)]).await;
    let mut session = Session::new(ClientId(1));
    let reply = r2.handle().request(session.update(put(1))).await;
    assert_eq!(
        reply,
        ClientReply::Unavailable {
            status: Status::Overloaded
        }
    );
    let reply = r2
        .handle()
        .request(session.query(KvQuery::Get { key: "x".into() }))
        .await;
    assert!(
        matches!(
            reply,
            ClientReply::Answer {
                reply: KvReply::Value(None),
                ..
            }
        ),
        "{reply:?}"
    );
    assert_eq!(
        r2.handle().in_flight(),
        0,
        "a refused request holds no slot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropping_policy_cuts_gossip_both_ways_and_anti_entropy_heals_once_it_lets_go() {
    let net = ChannelTransport::new();
    let switch = Switch::default();
    let (r1, r2) = pair(&net, vec![Arc::new(switch.clone())]).await;

    eprintln!("phase: r2 drops every peer message; an update at r1 stays at r1");
    switch.0.store(true, Ordering::Relaxed);
    let mut session = Session::new(ClientId(2));
    let ClientReply::Accepted { ts } = r1.handle().request(session.update(put(7))).await else {
        panic!("r1 refused the update");
    };
    let mut at_r2 = Session::new(ClientId(3));
    let ClientReply::Accepted { ts: ts2 } = r2.handle().request(at_r2.update(put(8))).await else {
        panic!("r2 refused the update");
    };
    // Several anti-entropy rounds (100 ms each) go by without either
    // hearing of the other's update.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let s2 = r2.handle().snapshot().await.unwrap();
    assert!(
        !ts.le(&s2.rep_ts),
        "r2 received {ts} through the policy: {}",
        s2.rep_ts
    );
    let s1 = r1.handle().snapshot().await.unwrap();
    assert!(
        !ts2.le(&s1.rep_ts),
        "r2 sent {ts2} through the policy: {}",
        s1.rep_ts
    );

    eprintln!("phase: the policy lets go; anti-entropy brings both updates across");
    switch.0.store(false, Ordering::Relaxed);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s1 = r1.handle().snapshot().await.unwrap();
        let s2 = r2.handle().snapshot().await.unwrap();
        if ts.le(&s2.value_ts) && ts2.le(&s1.value_ts) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not healed: r1 {} r2 {}",
            s1.value_ts,
            s2.value_ts
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    r1.shutdown().await;
    r2.shutdown().await;
}
