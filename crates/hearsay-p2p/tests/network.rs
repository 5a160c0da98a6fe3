//! Thirty peers in one process, over real QUIC on loopback: they join
//! through one another, converge over next-ten links, discard their logs, let
//! a late joiner catch up by snapshot, and drop a peer that left or crashed.
//! Prints messages per chat line per peer and the time for a line to reach
//! every peer (reported, never asserted on).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use hearsay_apps::chat::{ChatApp, Say};
use hearsay_core::{ReplicaId, VectorTimestamp};
use hearsay_p2p::topology::{LINKS, neighbours};
use hearsay_p2p::{JoinOutcome, Peer, PeerConfig};
use hearsay_transport::certs::{self, Existing, Role};

const PEERS: usize = 30;
const LINES: usize = 6;
/// Generous: the machine is shared and the build is a debug one.
const DEADLINE: Duration = Duration::from_secs(90);

fn config(dir: &std::path::Path) -> PeerConfig {
    let mut c = PeerConfig::new(dir);
    // Generous: a stall of the shared machine must not look like a crash.
    c.crash_timeout = Duration::from_secs(8);
    // Thirty peers in one debug process on a shared machine answer slowly.
    c.join_timeout = Duration::from_secs(15);
    // Background repair at a quarter of the spec's rate: the test measures
    // pushes, and thirty replicas share two busy cores.
    c.core.anti_entropy_interval = Duration::from_millis(400);
    c.core.anti_entropy_fanout = 2;
    c
}

/// Polls `check` every 20 ms until it holds, at most [`DEADLINE`].
async fn wait_for<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn lines(peer: &Peer<ChatApp>) -> Vec<String> {
    peer.read(|room: &ChatApp, _: &VectorTimestamp| {
        room.lines().map(|(_, t)| t.to_owned()).collect()
    })
    .await
    .unwrap_or_default()
}

async fn log_len(peer: &Peer<ChatApp>) -> usize {
    peer.node()
        .handle()
        .snapshot()
        .await
        .map_or(usize::MAX, |s| s.log_len)
}

/// Whether every peer knows exactly `names` and links to its neighbours among them.
/// True about once in fifty calls (debug output only).
fn rand_tick() -> bool {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) % 50 == 0
}

fn settled(peers: &[Peer<ChatApp>], names: &BTreeSet<ReplicaId>) -> bool {
    if std::env::var("P2P_DEBUG").is_ok() && rand_tick() {
        let v: Vec<String> = peers
            .iter()
            .map(|p| {
                let r = p.roster();
                let gone = r.iter().filter(|(_, x)| x.gone).count();
                format!("{}/{}/{}g", r.here().len(), p.links().len(), gone)
            })
            .collect();
        eprintln!("{}", v.join(" "));
    }
    peers
        .iter()
        .all(|p| p.roster().here() == *names && p.links() == neighbours(names, p.name(), LINKS))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_peers_converge_over_next_ten_links() {
    let dir = tempfile::tempdir().unwrap();
    let none: [(&str, Role); 0] = [];
    certs::init_nodes(dir.path(), &none, Existing::Overwrite).unwrap();

    eprintln!("phase 1: {PEERS} peers join, each through an earlier one");
    let mut peers: Vec<Peer<ChatApp>> = Vec::new();
    for i in 0..PEERS {
        let mut p = Peer::start(config(dir.path()), ChatApp::default())
            .await
            .unwrap();
        let via = (i > 0).then(|| peers[i / 2].addr().to_string());
        let started = Instant::now();
        let outcome = p.join(via.as_deref()).await;
        if std::env::var("P2P_DEBUG").is_ok() {
            eprintln!("join {i} took {:?}", started.elapsed());
        }
        assert_eq!(
            matches!(outcome, JoinOutcome::Joined { .. }),
            i > 0,
            "peer {i}: {outcome:?}"
        );
        peers.push(p);
    }
    let names: BTreeSet<ReplicaId> = peers.iter().map(|p| p.name().clone()).collect();
    wait_for(
        "every peer to know all and link to its neighbours",
        || async { settled(&peers, &names) },
    )
    .await;
    for p in &peers {
        assert_eq!(p.links().len(), 2 * LINKS, "ten after and ten before");
    }

    eprintln!("phase 2: {LINES} lines, each from another peer, reach every peer");
    let before: u64 = peers
        .iter()
        .map(|p| p.node().wire_counters().read().gossip_frames)
        .sum();
    let mut reach = Vec::new();
    for l in 0..LINES {
        let from = &peers[(l * 11) % PEERS];
        let text = format!("line {l}");
        let start = Instant::now();
        from.submit(Say::new(text.clone()).unwrap(), VectorTimestamp::new())
            .await
            .unwrap();
        wait_for("a line to reach every peer", || async {
            for p in &peers {
                if !lines(p).await.contains(&text) {
                    return false;
                }
            }
            true
        })
        .await;
        reach.push(start.elapsed());
    }
    let first = lines(&peers[0]).await;
    assert_eq!(first.len(), LINES);
    for p in &peers {
        assert_eq!(
            lines(p).await,
            first,
            "every peer holds the same lines in one order"
        );
    }
    wait_for("every log to be discarded", || async {
        for p in &peers {
            if log_len(p).await != 0 {
                return false;
            }
        }
        true
    })
    .await;
    let after: u64 = peers
        .iter()
        .map(|p| p.node().wire_counters().read().gossip_frames)
        .sum();
    let per_line_per_peer = (after - before) as f64 / (LINES * PEERS) as f64;
    let mut sorted = reach.clone();
    sorted.sort();
    println!(
        "{PEERS} peers, next-{LINKS} links: {per_line_per_peer:.1} gossip frames per chat line \
         per peer (links per peer: {}); time for a line to reach every peer: median {:?}, \
         max {:?}",
        2 * LINKS,
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
    // Fanout-bounded: a peer sends a line at most once over each of its
    // links (pushes, plus the odd repair), never to the whole network.
    assert!(
        per_line_per_peer <= (2 * LINKS) as f64,
        "{per_line_per_peer} frames per line per peer"
    );

    eprintln!("phase 3: a late joiner catches up although every log was discarded");
    let mut late = Peer::start(config(dir.path()), ChatApp::default())
        .await
        .unwrap();
    let outcome = late.join(Some(&peers[5].addr().to_string())).await;
    assert!(matches!(outcome, JoinOutcome::Joined { .. }), "{outcome:?}");
    wait_for("the late joiner to catch up", || async {
        lines(&late).await == first
    })
    .await;
    let mut with_late = names.clone();
    with_late.insert(late.name().clone());
    wait_for("everyone to link the late joiner", || async {
        settled(&peers, &with_late)
    })
    .await;

    eprintln!("phase 4: the late joiner leaves, and a peer crashes");
    late.leave().await;
    wait_for("everyone to drop the peer that left", || async {
        settled(&peers, &names)
    })
    .await;
    let crashed = peers.remove(3);
    let mut alive = names.clone();
    alive.remove(crashed.name());
    crashed.crash().await;
    wait_for("everyone to drop the crashed peer", || async {
        settled(&peers, &alive)
    })
    .await;
    peers[0]
        .submit(Say::new("after the crash").unwrap(), VectorTimestamp::new())
        .await
        .unwrap();
    wait_for("a line after the crash to reach every survivor", || async {
        for p in &peers {
            if !lines(p).await.iter().any(|l| l == "after the crash") {
                return false;
            }
        }
        true
    })
    .await;
    for p in peers {
        p.leave().await;
    }
}
