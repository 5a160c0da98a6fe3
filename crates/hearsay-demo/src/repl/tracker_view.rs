//! The tracker's view in the REPL's `status`: every live peer with its role,
//! status, addresses and when the tracker last heard from it.

use hearsay_discovery::TrackerClient;
use hearsay_wire::tracker::{Peer, PeerQuery};
use serde_json::{Value, json};

/// The live peers, or why they could not be had.
pub(super) async fn fetch(tracker: &TrackerClient) -> Result<Vec<Peer>, String> {
    tracker
        .peers(&PeerQuery::default())
        .await
        .map_err(|e| e.to_string())
}

/// Milliseconds since the Unix epoch, as the tracker counts them.
pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The view as text and JSON; `now_ms` dates "last seen".
pub(super) fn render(url: &str, peers: &Result<Vec<Peer>, String>, now_ms: u64) -> (String, Value) {
    let peers = match peers {
        Ok(p) => p,
        Err(e) => {
            return (
                format!("tracker {url}: {e}"),
                json!({"url": url, "error": e}),
            );
        }
    };
    let mut rows = vec![format!(
        "tracker {url}: {} live peer{}",
        peers.len(),
        if peers.len() == 1 { "" } else { "s" }
    )];
    rows.push(format!(
        "{:<8} {:<9} {:<11} {:<22} {:<22} {}",
        "peer", "role", "status", "address", "http", "last seen"
    ));
    let mut json_rows = Vec::new();
    for p in peers {
        let ago_ms = now_ms.saturating_sub(p.seen_ms);
        rows.push(format!(
            "{:<8} {:<9} {:<11} {:<22} {:<22} {:.1} s ago",
            p.name,
            p.role.as_str(),
            p.status.as_str(),
            p.addr,
            p.http_addr.as_deref().unwrap_or("-"),
            ago_ms as f64 / 1000.0
        ));
        json_rows.push(json!({
            "id": p.id, "name": p.name, "role": p.role.as_str(), "status": p.status.as_str(),
            "addr": p.addr, "http_addr": p.http_addr, "seen_ms": p.seen_ms, "seen_ms_ago": ago_ms,
        }));
    }
    (rows.join("\n"), json!({"url": url, "peers": json_rows}))
}

#[cfg(test)]
mod tests {
    use hearsay_wire::tracker::{PeerRole, ReplicaStatus};

    use super::*;

    #[test]
    fn the_view_lists_each_peer_and_how_long_ago_it_was_seen() {
        let peer = Peer {
            id: 3,
            name: "r1".into(),
            role: PeerRole::Replica,
            addr: "127.0.0.1:7501".into(),
            http_addr: Some("127.0.0.1:7601".into()),
            status: ReplicaStatus::Overloaded,
            registered_ms: 1_000,
            seen_ms: 9_600,
        };
        let (text, json) = render("http://127.0.0.1:7400", &Ok(vec![peer]), 10_000);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "tracker http://127.0.0.1:7400: 1 live peer");
        assert!(lines[1].starts_with("peer     role      status"), "{text}");
        assert!(
            lines[2].starts_with(
                "r1       replica   overloaded  127.0.0.1:7501         127.0.0.1:7601"
            ),
            "{text}"
        );
        assert!(lines[2].ends_with("0.4 s ago"), "{text}");
        assert_eq!(json["peers"][0]["status"], "overloaded");
        assert_eq!(json["peers"][0]["seen_ms_ago"], 400);

        let (text, json) = render("http://x:1", &Err("unreachable".into()), 0);
        assert_eq!(text, "tracker http://x:1: unreachable");
        assert_eq!(json["error"], "unreachable");
    }
}
