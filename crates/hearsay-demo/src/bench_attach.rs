//! `hearsay bench` attached to a running cluster (`--tracker`): which front end to drive
//! and where each replica's metrics are, from the tracker's peer list.

use std::net::SocketAddr;

use anyhow::Context;
use hearsay_discovery::TrackerUrl;
use hearsay_wire::tracker::{Peer, PeerRole};

/// The front end `wanted` names (its name or QUIC address), or the first by
/// name.
pub fn pick_frontend(peers: &[Peer], wanted: Option<&str>) -> anyhow::Result<(String, SocketAddr)> {
    let mut frontends: Vec<&Peer> = peers
        .iter()
        .filter(|p| p.role == PeerRole::Frontend)
        .collect();
    frontends.sort_by(|a, b| a.name.cmp(&b.name));
    let listed = || {
        let names: Vec<String> = frontends
            .iter()
            .map(|p| format!("{} ({})", p.name, p.addr))
            .collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    let chosen = match wanted {
        None => frontends.first().copied(),
        Some(w) => frontends
            .iter()
            .copied()
            .find(|p| p.name == w || p.addr == w),
    };
    let Some(fe) = chosen else {
        anyhow::bail!(
            "the tracker lists no front end {}; front ends listed: {}",
            wanted.map(|w| format!("{w:?}")).unwrap_or_default(),
            listed()
        );
    };
    let addr = fe.addr.parse().with_context(|| {
        format!(
            "front end {} is listed at {:?}, not an address",
            fe.name, fe.addr
        )
    })?;
    Ok((fe.name.clone(), addr))
}

/// Every replica the tracker lists, with the URL of its HTTP side (which
/// the bench polls, so every replica needs one).
pub fn replica_urls(peers: &[Peer]) -> anyhow::Result<Vec<(String, TrackerUrl)>> {
    let mut out = Vec::new();
    for p in peers.iter().filter(|p| p.role == PeerRole::Replica) {
        let Some(http) = &p.http_addr else {
            anyhow::bail!(
                "replica {} has no HTTP address in the peer list: the bench polls every replica's /v1/status (start it with --http)",
                p.name
            );
        };
        let url = TrackerUrl::parse(&format!("http://{http}"))
            .map_err(|e| anyhow::anyhow!("replica {}'s HTTP address {http:?}: {e}", p.name))?;
        out.push((p.name.clone(), url));
    }
    if out.is_empty() {
        anyhow::bail!("the tracker lists no replicas");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use hearsay_wire::tracker::ReplicaStatus;

    use super::*;

    fn peer(name: &str, role: PeerRole, addr: &str, http: Option<&str>) -> Peer {
        Peer {
            id: 1,
            name: name.into(),
            role,
            addr: addr.into(),
            http_addr: http.map(str::to_owned),
            status: ReplicaStatus::Online,
            registered_ms: 0,
            seen_ms: 0,
        }
    }

    #[test]
    fn a_front_end_is_found_by_name_or_address_and_a_miss_names_those_listed() {
        let peers = [
            peer(
                "r1",
                PeerRole::Replica,
                "127.0.0.1:7501",
                Some("127.0.0.1:7601"),
            ),
            peer("fe2", PeerRole::Frontend, "127.0.0.1:7502", None),
            peer("fe", PeerRole::Frontend, "127.0.0.1:7500", None),
        ];
        let fe = pick_frontend(&peers, None).unwrap();
        assert_eq!(fe.0, "fe", "the first by name");
        assert_eq!(
            pick_frontend(&peers, Some("127.0.0.1:7502")).unwrap().0,
            "fe2"
        );
        let err = pick_frontend(&peers, Some("r1")).unwrap_err().to_string();
        assert!(
            err.contains("fe (127.0.0.1:7500)") && err.contains("\"r1\""),
            "{err}"
        );
    }

    #[test]
    fn every_replica_needs_an_http_address() {
        let ok = [peer("r1", PeerRole::Replica, "a", Some("127.0.0.1:7601"))];
        assert_eq!(replica_urls(&ok).unwrap()[0].0, "r1");
        let bad = [peer("r2", PeerRole::Replica, "a", None)];
        let err = replica_urls(&bad).unwrap_err().to_string();
        assert!(err.contains("r2") && err.contains("--http"), "{err}");
        assert!(replica_urls(&[]).is_err());
    }
}
