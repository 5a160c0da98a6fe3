//! The HTTP JSON API every replica and front end serves besides `/metrics`:
//! `GET /v1/metrics` ([`NodeMetrics`]) and `GET /v1/activity`
//! ([`NodeActivityPage`], filtered by [`NodeActivityQuery`]).
//!
//! JSON names its fields, so fields may be added to these answers without a
//! new protocol version; readers ignore fields they do not know.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::tracker::{PeerRole, ReplicaStatus};

/// `GET /v1/metrics`: a node's counters, over the whole run and over the last
/// minute, its gauges, and the figures its application adds.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct NodeMetrics {
    /// The node's name.
    pub name: String,
    /// What it is (`None` only in a default value).
    #[serde(default)]
    pub role: Option<PeerRole>,
    /// Its status now (front ends: always online).
    #[serde(default)]
    pub status: ReplicaStatus,
    /// How long it has run, in milliseconds.
    pub uptime_ms: u64,
    /// Counters since start.
    pub total: Counters,
    /// Counters over the last 60 seconds.
    pub last_minute: Counters,
    /// Figures the application running on the node adds, by the name it
    /// registered them under (`hearsay_activity::MetricsExtension`): the
    /// demo's claims network puts its claim counters under `"claims"`. The
    /// library knows none of them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, serde_json::Value>,
    /// Records in the update log now (replicas only).
    #[serde(default)]
    pub log_len: u64,
    /// Queries held until their causal past arrives, now (replicas only).
    #[serde(default)]
    pub held_queries: u64,
    /// The operating-system process the node runs in. Nodes that one
    /// `hearsay up` starts share a process, so its memory is theirs together.
    #[serde(default)]
    pub pid: Option<u32>,
    /// That process's resident memory now, bytes (`None` off Linux).
    #[serde(default)]
    pub rss_bytes: Option<u64>,
    /// That process's peak resident memory so far, bytes.
    #[serde(default)]
    pub peak_rss_bytes: Option<u64>,
}

/// The counters behind [`NodeMetrics`]; every field counts events.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// Calls this node made to the tracker.
    pub tracker_calls: u64,
    /// Of those, the ones that failed.
    pub tracker_failures: u64,
    /// Gossip messages sent to peers.
    pub gossip_messages: u64,
    /// Bytes of gossip sent to peers.
    pub gossip_bytes: u64,
    /// Updates applied to the state (replicas).
    pub updates_applied: u64,
    /// Client requests handled.
    pub client_requests: u64,
    /// Status changes.
    pub status_changes: u64,
}

/// What a node's activity-log entry records.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeActivityKind {
    /// This node presented a claim to a peer, and what came back.
    ClaimSent,
    /// A peer presented a claim to this node, and the verdict given.
    ClaimReceived,
    /// An anti-entropy round with a peer.
    GossipRound,
    /// A call to the tracker (register, heartbeat, peer list, deregister).
    TrackerCall,
    /// A client request handled.
    ClientRequest,
    /// The node's status changed.
    StatusChanged,
    /// A peer joined or left this node's membership.
    Membership,
}

/// One entry of a node's activity log.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct NodeActivityEntry {
    /// Its place in the log: grows by one per entry, never reused.
    pub seq: u64,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What happened.
    pub kind: NodeActivityKind,
    /// The peer concerned, by name, if any.
    pub peer: Option<String>,
    /// One line for people.
    pub detail: String,
}

/// `GET /v1/activity` query string on a node: every filter optional.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeActivityQuery {
    /// Only entries about this peer (by name).
    #[serde(default)]
    pub peer: Option<String>,
    /// Only entries of this kind.
    #[serde(default)]
    pub kind: Option<NodeActivityKind>,
    /// Only entries with a larger `seq`.
    #[serde(default)]
    pub since: Option<u64>,
    /// At most this many (1 to [`crate::tracker::MAX_PAGE`], default
    /// [`crate::tracker::DEFAULT_PAGE`]).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `GET /v1/activity` on a node: newest first.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct NodeActivityPage {
    /// The entries, newest first.
    pub entries: Vec<NodeActivityEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_round_trip_and_tolerate_missing_fields() {
        let mut m = NodeMetrics {
            name: "r1".into(),
            role: Some(PeerRole::Replica),
            ..NodeMetrics::default()
        };
        m.total.gossip_messages = 3;
        m.extensions.insert(
            "claims".into(),
            serde_json::json!({"peers": {"r2": {"sent": 3}}}),
        );
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<NodeMetrics>(&text).unwrap(), m);
        let old: NodeMetrics = serde_json::from_str(
            r#"{"name":"fe","uptime_ms":5,"total":{"client_requests":2},"last_minute":{}}"#,
        )
        .unwrap();
        assert_eq!(old.total.client_requests, 2);
        assert_eq!(old.total.gossip_messages, 0);
        assert!(old.extensions.is_empty());
        // A node from before extensions, with claim counters among its
        // counters and a `peers` map, still reads (unknown fields ignored).
        let older: NodeMetrics = serde_json::from_str(
            r#"{"name":"r1","uptime_ms":5,"total":{"claims_sent":4,"gossip_bytes":9},"last_minute":{},"peers":{"r2":{"sent":4}}}"#,
        )
        .unwrap();
        assert_eq!(older.total.gossip_bytes, 9);
    }

    #[test]
    fn activity_kinds_are_snake_case() {
        let text = serde_json::to_string(&NodeActivityKind::ClaimReceived).unwrap();
        assert_eq!(text, "\"claim_received\"");
        let q: Result<NodeActivityQuery, _> =
            serde_json::from_str(r#"{"kind":"claim_sent","x":1}"#);
        assert!(q.is_err(), "unknown fields are refused");
    }
}
