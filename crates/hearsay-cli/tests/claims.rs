//! Claims between replicas, on real processes over loopback: good claims are
//! answered true and bad ones false — under load, and when the peer lags
//! behind the claimant — with zero wrong answers, as every replica's
//! `/v1/metrics` and `/v1/activity` show.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::Cluster;
use common::http::{get, get_json};
use common::procs::Procs;
use hearsay_apps::payloads::PayloadUpdate;
use hearsay_claims::ClaimMetrics;
use hearsay_client::{Client, SessionClient};
use hearsay_core::{ClientId, ReplicaId};
use hearsay_demo::cluster::{ClusterApp, ClusterUpdate};
use hearsay_transport::{Connector, ConnectorConfig, EndpointConfig, NodeCredentials};
use hearsay_wire::node::{NodeActivityPage, NodeMetrics};

/// A client of the front end at `fe` with the cluster's client certificate.
fn client(certs: &Path, fe: &str) -> Client {
    let creds = NodeCredentials::load(certs, "client").unwrap();
    let endpoint = hearsay_transport::bind_client(
        "127.0.0.1:0".parse().unwrap(),
        &creds,
        &EndpointConfig::default(),
    )
    .unwrap();
    Client::new(
        Connector::new(endpoint, ConnectorConfig::default()),
        fe.parse().unwrap(),
        "fe",
    )
}

/// Writes `payloads` as one session (`prefer`: the replica to use), each
/// acknowledged before the next.
async fn put_all(client: Client, session: u64, payloads: Vec<String>, prefer: Option<&str>) {
    let mut s = SessionClient::<ClusterApp>::new(client, ClientId(session));
    s.set_prefer(prefer.map(|p| ReplicaId::new(p).unwrap()));
    for payload in payloads {
        if let Err(e) = s
            .update(ClusterUpdate::Payload(PayloadUpdate::Put { payload }))
            .await
        {
            panic!("a payload write was not accepted: {e}");
        }
    }
}

/// A replica's `/v1/metrics`, read through its claim figures (the "claims"
/// extension) with the node's own counters beside them.
#[derive(Debug)]
struct Figures {
    node: NodeMetrics,
    claims: ClaimMetrics,
}

impl std::ops::Deref for Figures {
    type Target = ClaimMetrics;
    fn deref(&self) -> &ClaimMetrics {
        &self.claims
    }
}

fn metrics(addr: &str) -> Figures {
    let node: NodeMetrics = serde_json::from_value(get_json(addr, "/v1/metrics")).unwrap();
    assert!(
        node.extensions
            .contains_key(hearsay_claims::CLAIMS_EXTENSION),
        "a replica's metrics carry its claim figures: {node:#?}"
    );
    let claims = ClaimMetrics::of(&node);
    Figures { node, claims }
}

/// Polls every replica's metrics until `done` holds for all, or panics after
/// `limit` showing them.
fn wait_for(
    nodes: &[(String, String)],
    limit: Duration,
    what: &str,
    done: impl Fn(&str, &Figures) -> bool,
) -> Vec<(String, Figures)> {
    let start = Instant::now();
    loop {
        let all: Vec<(String, Figures)> =
            nodes.iter().map(|(n, a)| (n.clone(), metrics(a))).collect();
        if all.iter().all(|(n, m)| done(n, m)) {
            return all;
        }
        assert!(
            start.elapsed() < limit,
            "{what}: not after {limit:?}: {all:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// No replica ever got a wrong answer, overall or from any peer.
fn assert_no_wrong_answers(all: &[(String, Figures)]) {
    for (n, m) in all {
        assert_eq!(m.total.wrong_answers, 0, "{n}: {m:#?}");
        assert_eq!(m.last_minute.wrong_answers, 0, "{n}: {m:#?}");
        for (peer, p) in &m.peers {
            assert_eq!(p.wrong_answers, 0, "{n} from {peer}: {m:#?}");
        }
    }
}

fn activity(addr: &str, query: &str) -> NodeActivityPage {
    serde_json::from_value(get_json(addr, &format!("/v1/activity{query}"))).unwrap()
}

#[test]
fn claims_under_load_get_the_verdicts_they_deserve_and_never_a_wrong_one() {
    eprintln!("-- phase 1: a cluster presenting a claim every 20 ms, half of them bad");
    let c = Cluster::start(&["--claim-interval", "20ms", "--bad-claim-probability", "0.5"]);
    let nodes = c.replica_http.clone();
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    // With no payload anywhere, the only claims are bad ones of unknown ids.
    let before = wait_for(
        &nodes,
        Duration::from_secs(20),
        "false answers before any payload",
        |_, m| m.total.answers_false > 0,
    );
    for (n, m) in &before {
        assert_eq!(
            m.total.answers_true, 0,
            "{n}: a true answer with no payload: {m:#?}"
        );
    }

    eprintln!("-- phase 2: 200 payloads written by four sessions at once, claims running");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut writers = Vec::new();
        for w in 0..4u64 {
            let texts = (0..50)
                .map(|i| format!("payload {w}-{i} of the load test"))
                .collect();
            writers.push(tokio::spawn(put_all(
                client(c.certs.path(), &c.frontend),
                100 + w,
                texts,
                None,
            )));
        }
        for w in writers {
            w.await.unwrap();
        }
    });

    eprintln!(
        "-- phase 3: every replica has every payload, and true and false answers from every peer"
    );
    let all = wait_for(
        &nodes,
        Duration::from_secs(30),
        "every payload, and true and false answers from each peer",
        |n, m| {
            m.node.total.updates_applied >= 200
                && nodes.iter().filter(|(p, _)| p != n).all(|(p, _)| {
                    m.peers.get(p).is_some_and(|f| {
                        f.answers_true > 0 && f.answers_false > 0 && f.received > 0
                    })
                })
        },
    );
    assert_no_wrong_answers(&all);
    for (n, m) in &all {
        assert!(
            m.total.claims_answered_true > 0 && m.total.claims_answered_false > 0,
            "{n}: {m:#?}"
        );
        assert!(m.last_minute.claims_sent > 0, "{n}: {m:#?}");
        assert!(
            m.node.total.gossip_messages > 0 && m.node.total.gossip_bytes > 0,
            "{n}: {m:#?}"
        );
        let sent: u64 = m.peers.values().map(|p| p.sent).sum();
        assert_eq!(
            sent, m.total.claims_sent,
            "{n}: per-peer figures add up: {m:#?}"
        );
    }

    eprintln!("-- phase 4: the activity log shows claims sent and received");
    let (r1, r1_http) = &nodes[0];
    let sent = activity(r1_http, "?kind=claim_sent&limit=5");
    assert_eq!(sent.entries.len(), 5);
    assert!(
        sent.entries.windows(2).all(|w| w[0].seq > w[1].seq),
        "newest first"
    );
    for e in &sent.entries {
        assert!(e.peer.as_deref().is_some_and(|p| p != r1), "{e:?}");
        assert!(
            e.detail.contains("claim") && !e.detail.contains("WRONG"),
            "{e:?}"
        );
    }
    let peer = &nodes[1].0;
    let received = activity(
        r1_http,
        &format!("?kind=claim_received&peer={peer}&limit=3"),
    );
    assert_eq!(received.entries.len(), 3);
    assert!(
        received
            .entries
            .iter()
            .all(|e| e.peer.as_deref() == Some(peer.as_str()))
    );
    let newest = sent.entries[0].seq;
    let newer = activity(r1_http, &format!("?since={newest}&limit=1000"));
    assert!(newer.entries.iter().all(|e| e.seq > newest));

    eprintln!("-- phase 5: Prometheus text and the front end's view");
    let (status, text) = get(r1_http, "/metrics");
    assert_eq!(status, 200);
    assert!(
        text.contains(&format!(
            "hearsay_wrong_answers_total{{replica=\"{r1}\"}} 0"
        )),
        "{text}"
    );
    assert!(text.contains("hearsay_peer_claims_total{"), "{text}");
    let fe = c
        .frontend_http
        .as_deref()
        .expect("up prints the front end's HTTP address");
    let fm: NodeMetrics = serde_json::from_value(get_json(fe, "/v1/metrics")).unwrap();
    assert!(fm.total.client_requests >= 200, "{fm:#?}");
    let fs = get_json(fe, "/v1/status");
    assert_eq!(fs["available"], 3, "{fs}");

    eprintln!("-- phase 6: bad queries are 400s with a reason, on replicas and the front end");
    for addr in [r1_http.as_str(), fe] {
        for bad in [
            "/v1/metrics?window=5m",
            "/v1/activity?limit=0",
            "/v1/activity?limit=99999",
            "/v1/activity?kind=gossip",
            "/v1/activity?since=yesterday",
            "/v1/activity?peer=r2&peer=r3",
        ] {
            let (status, body) = get(addr, bad);
            assert_eq!(status, 400, "{addr}{bad}: {body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(
                v["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{bad}: {body}"
            );
        }
        let (status, body) = get(addr, "/v1/nothing");
        assert_eq!(status, 404, "{body}");
    }
}

#[test]
fn a_claim_right_after_a_write_waits_for_the_lagging_peer_and_is_answered_true() {
    eprintln!(
        "-- phase 1: three replica processes claiming every 20 ms; then r3 cut off from gossip"
    );
    let p = Procs::start_with(
        3,
        &["--claim-interval", "20ms", "--bad-claim-probability", "0.3"],
    );
    let nodes: Vec<(String, String)> = (0..3)
        .map(|i| (format!("r{}", i + 1), p.http_addr(i)))
        .collect();
    // First every pair must be claiming (a replica that started before its
    // peers waits out a QUIC handshake retry before it reaches them).
    wait_for(
        &nodes,
        Duration::from_secs(30),
        "claims between every pair",
        |n, m| {
            nodes
                .iter()
                .filter(|(p, _)| p != n)
                .all(|(p, _)| m.peers.get(p).is_some_and(|f| f.received > 0))
        },
    );
    p.isolate(2, true);

    eprintln!("-- phase 2: payloads written at r1; r1 and r2 claim them to r3, which lags");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let certs = p.dir.path().join("certs");
    let texts: Vec<String> = (0..20).map(|i| format!("fresh payload {i}")).collect();
    rt.block_on(async { put_all(client(&certs, &p.frontend()), 7, texts, Some("r1")).await });
    std::thread::sleep(Duration::from_millis(700));
    let lagging = get_json(&nodes[2].1, "/v1/status");
    assert!(
        lagging["held_queries"].as_u64().unwrap() > 0,
        "r3 holds claims it cannot judge yet: {lagging}"
    );
    assert!(
        lagging["value_ts"].get("r1").is_none(),
        "r3 heard r1 through the cut: {lagging}"
    );

    eprintln!("-- phase 3: heal; r3 catches up and answers the held claims true");
    p.isolate(2, false);
    let all = wait_for(
        &nodes[..2],
        Duration::from_secs(30),
        "true answers from r3",
        |_, m| m.peers.get("r3").is_some_and(|f| f.answers_true > 0),
    );
    assert_no_wrong_answers(&all);
    let r3 = &nodes[2].1;
    let status = get_json(r3, "/v1/status");
    assert!(
        status["stats"]["queries_held"].as_u64().unwrap() > 0,
        "{status}"
    );
    // Claims that waited for r3 to catch up were judged true, not false.
    let waited_true = activity(r3, "?kind=claim_received&limit=1000")
        .entries
        .into_iter()
        .filter(|e| e.detail.contains("answered true"))
        .filter_map(|e| {
            let ms = e
                .detail
                .rsplit('(')
                .next()?
                .trim_end_matches(" ms)")
                .parse::<u64>()
                .ok()?;
            (ms >= 200).then_some(ms)
        })
        .count();
    assert!(
        waited_true > 0,
        "no claim at r3 waited and was answered true"
    );

    eprintln!("-- phase 4: a while longer, every pair has claimed both ways, nothing wrong");
    let all = wait_for(
        &nodes,
        Duration::from_secs(30),
        "claims answered both ways",
        |n, m| {
            nodes.iter().filter(|(p, _)| p != n).all(|(p, _)| {
                m.peers
                    .get(p)
                    .is_some_and(|f| f.answers_true > 0 && f.answers_false > 0)
            })
        },
    );
    assert_no_wrong_answers(&all);
}
