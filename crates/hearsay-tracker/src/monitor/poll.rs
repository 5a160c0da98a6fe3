//! The monitor's polling: a supervisor follows the tracker's live peers and
//! runs one poller per node with an HTTP address, each reading the node's
//! `/v1/status` and `/v1/data` every [`POLL_EVERY`] while a browser watches.

use std::collections::BTreeMap;
use std::sync::Arc;

use hearsay_wire::tracker::{Peer, PeerQuery};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::fetch::get_json;
use super::hub::Data;
use super::{
    FETCH_TIMEOUT, MAX_DATA_ENTRIES, MAX_NODES, MAX_RESPONSE_BYTES, PEERS_EVERY, POLL_EVERY,
    STREAM_LIFETIME,
};
use crate::state::Tracker;

/// A node's poller and the address it polls.
struct Poller {
    http_addr: String,
    task: JoinHandle<()>,
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Runs until `stop` is set: while nobody watches it sleeps; while someone
/// does, it follows the peer list every [`PEERS_EVERY`] and keeps one poller
/// per node.
pub(crate) async fn supervise(tracker: Arc<Tracker>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let monitor = tracker.monitor.clone();
    let mut pollers: BTreeMap<String, Poller> = BTreeMap::new();
    loop {
        if *stop.borrow() {
            break;
        }
        if !monitor.watched() {
            pollers.clear();
            monitor.hub(|h| h.forget_nodes());
            tokio::select! {
                () = monitor.watchers_came() => {}
                _ = stop.wait_for(|s| *s) => break,
            }
            continue;
        }
        monitor.hub(|h| h.sweep(STREAM_LIFETIME));
        let peers = match tracker.list(&PeerQuery::default()) {
            Ok(list) => list.peers,
            Err(e) => {
                tracing::warn!(error = ?e, "the monitor could not list peers");
                Vec::new()
            }
        };
        let peers: Vec<Peer> = peers.into_iter().take(MAX_NODES).collect();
        let names: Vec<String> = peers.iter().map(|p| p.name.clone()).collect();
        pollers.retain(|name, p| {
            peers
                .iter()
                .any(|peer| peer.name == *name && peer.http_addr.as_deref() == Some(&p.http_addr))
        });
        monitor.hub(|h| h.retain(&names));
        for peer in peers {
            match peer.http_addr.clone() {
                Some(addr) => {
                    if !pollers.contains_key(&peer.name) {
                        let task =
                            tokio::spawn(poll_node(tracker.clone(), peer.clone(), addr.clone()));
                        pollers.insert(
                            peer.name.clone(),
                            Poller {
                                http_addr: addr,
                                task,
                            },
                        );
                    }
                }
                // Nothing to poll: what the tracker knows is all there is.
                None => monitor.hub(|h| h.update(&peer.name, tracker_info(&peer), None)),
            }
        }
        tokio::select! {
            () = tokio::time::sleep(PEERS_EVERY) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    pollers.clear();
}

/// Polls one node until aborted (the node left, or nobody watches).
async fn poll_node(tracker: Arc<Tracker>, peer: Peer, addr: String) {
    let monitor = tracker.monitor.clone();
    let data_path = format!("/v1/data?limit={MAX_DATA_ENTRIES}");
    let mut tick = tokio::time::interval(POLL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tick.tick().await;
        let (status, data) = tokio::join!(
            get_json(&addr, "/v1/status", FETCH_TIMEOUT, MAX_RESPONSE_BYTES),
            get_json(&addr, &data_path, FETCH_TIMEOUT, MAX_RESPONSE_BYTES),
        );
        // The tracker's own view (the status a heartbeat reported), under
        // what the node says of itself.
        let current = tracker
            .list(&PeerQuery::default())
            .ok()
            .and_then(|l| l.peers.into_iter().find(|p| p.name == peer.name))
            .unwrap_or_else(|| peer.clone());
        let mut info = tracker_info(&current);
        match status {
            Ok((200, body)) => {
                if failing {
                    tracing::info!(node = %peer.name, %addr, "the monitor reaches the node again");
                    failing = false;
                }
                merge_status(&mut info, &body);
            }
            Ok((code, _)) => info["error"] = json!(format!("status answered {code}")),
            Err(e) => {
                if !failing {
                    tracing::debug!(node = %peer.name, %addr, error = %e, "the monitor cannot reach the node");
                    failing = true;
                }
                info["error"] = json!(e.to_string());
                info["status"] = json!("unreachable");
            }
        }
        let data = match data {
            Ok((200, body)) => parse_data(&body),
            _ => None,
        };
        monitor.hub(|h| h.update(&peer.name, info, data));
    }
}

/// What the tracker knows of a peer, as the `info` object's start.
fn tracker_info(peer: &Peer) -> Value {
    json!({
        "role": peer.role,
        "status": peer.status,
        "addr": peer.addr,
        "http_addr": peer.http_addr,
    })
}

/// Takes the fields the page shows from a node's `/v1/status`. A node may
/// add `tier` (tiered clusters) and `role`; other fields (counters that
/// change at every request) are left out so that only real changes are
/// pushed.
fn merge_status(info: &mut Value, status: &Value) {
    for key in [
        "role",
        "tier",
        "status",
        "value_ts",
        "rep_ts",
        "log_len",
        "held_queries",
        "caught_up",
        "last_gossip",
    ] {
        if let Some(v) = status.get(key).filter(|v| !v.is_null()) {
            info[key] = v.clone();
        }
    }
}

/// A node's `/v1/data` page, if it is well-formed; entries past the cap
/// and malformed ones are left out.
fn parse_data(body: &Value) -> Option<Data> {
    let total = body.get("total")?.as_u64()?;
    let entries = body
        .get("entries")?
        .as_array()?
        .iter()
        .take(MAX_DATA_ENTRIES)
        .filter_map(|e| {
            Some((
                e.get("key")?.as_str()?.to_owned(),
                e.get("value")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    Some(Data { total, entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_pages_are_read_leniently_and_status_fields_picked() {
        let page = json!({"total": 3, "entries": [
            {"key": "a", "value": "1"}, {"key": 5, "value": "x"}, {"key": "b", "value": "2"}
        ]});
        let d = parse_data(&page).unwrap();
        assert_eq!(d.total, 3);
        assert_eq!(d.entries.len(), 2);
        assert_eq!(parse_data(&json!({"error": "no"})), None);

        let mut info = json!({"role": "replica", "status": "online"});
        merge_status(
            &mut info,
            &json!({"status": "offline", "log_len": 2, "stats": {"x": 1}, "tier": null}),
        );
        assert_eq!(
            info,
            json!({"role": "replica", "status": "offline", "log_len": 2})
        );
    }
}
