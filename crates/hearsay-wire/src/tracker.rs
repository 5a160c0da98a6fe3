//! The tracker's HTTP JSON API: every request and response body, and the
//! query strings, so that nodes can talk to the tracker without depending on
//! its HTTP server.
//!
//! Unlike the postcard frames of this crate, these are JSON, which names its
//! fields: fields may be added to responses without a new protocol version.
//! Requests refuse unknown fields (`deny_unknown_fields`), so a typo is an
//! error rather than a silently ignored setting.
//!
//! | method and path | request | answer |
//! | --- | --- | --- |
//! | `POST /v1/peers` | [`RegisterPeer`] | [`Peer`] |
//! | `GET /v1/peers` | [`PeerQuery`] | [`PeerList`] |
//! | `GET /v1/peers/{id}` | | [`Peer`] |
//! | `DELETE /v1/peers/{id}` | | none (204) |
//! | `PUT /v1/peers/{id}/heartbeat` | [`Heartbeat`] or no body | none (204) |
//! | `POST /v1/admin/payloads` | [`WritePayloads`] | [`PayloadIds`] |
//! | `GET /v1/payloads` | [`PayloadQuery`] | [`PayloadPage`] |
//! | `GET /v1/payloads/{id}` | | [`Payload`] |
//! | `PUT /v1/admin/replicas/{name}/status` | [`SetStatus`] | [`StatusChanged`] |
//! | `GET /v1/activity` | [`ActivityQuery`] | [`ActivityPage`] |
//! | any failure | | [`ErrorBody`] |

use serde::{Deserialize, Serialize};

/// The longest payload the tracker stores, in bytes of UTF-8.
pub const MAX_PAYLOAD_BYTES: usize = 4096;

/// The most random payloads one `{"random": N}` request may ask for.
pub const MAX_RANDOM_PAYLOADS: u32 = 1000;

/// The most entries one page of payloads or activity holds.
pub const MAX_PAGE: u32 = 1000;

/// Entries in a page when the query gives no `limit`.
pub const DEFAULT_PAGE: u32 = 100;

/// What a peer is in the cluster.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerRole {
    /// A replica manager.
    Replica,
    /// A front end.
    Frontend,
}

impl PeerRole {
    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Replica => "replica",
            Self::Frontend => "frontend",
        }
    }
}

/// A replica's availability, as JSON spells it (lowercase).
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum ReplicaStatus {
    /// Serves clients and gossips.
    #[default]
    Online,
    /// Refuses clients and gossip.
    Offline,
    /// Refuses client requests but still gossips.
    Overloaded,
}

impl ReplicaStatus {
    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        hearsay_core::Status::from(self).as_str()
    }
}

impl From<ReplicaStatus> for hearsay_core::Status {
    fn from(s: ReplicaStatus) -> Self {
        match s {
            ReplicaStatus::Online => Self::Online,
            ReplicaStatus::Offline => Self::Offline,
            ReplicaStatus::Overloaded => Self::Overloaded,
        }
    }
}

impl From<hearsay_core::Status> for ReplicaStatus {
    fn from(s: hearsay_core::Status) -> Self {
        match s {
            hearsay_core::Status::Online => Self::Online,
            hearsay_core::Status::Offline => Self::Offline,
            hearsay_core::Status::Overloaded => Self::Overloaded,
        }
    }
}

/// `POST /v1/peers`: a node announces itself.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterPeer {
    /// The node's name (its certificate's name).
    pub name: String,
    /// What it is.
    pub role: PeerRole,
    /// Where it listens for QUIC, `HOST:PORT`; unique among live peers.
    pub addr: String,
    /// Where it serves HTTP (status, metrics), `HOST:PORT`, if it does.
    #[serde(default)]
    pub http_addr: Option<String>,
}

/// A registered, live peer.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Peer {
    /// The tracker's id for it: the same for as long as it stays registered.
    pub id: u64,
    /// The node's name.
    pub name: String,
    /// What it is.
    pub role: PeerRole,
    /// Where it listens for QUIC.
    pub addr: String,
    /// Where it serves HTTP, if it does.
    pub http_addr: Option<String>,
    /// Its availability as last reported by a heartbeat or a status change.
    pub status: ReplicaStatus,
    /// When it registered, in milliseconds since the Unix epoch.
    pub registered_ms: u64,
    /// When the tracker last heard from it, in milliseconds since the Unix
    /// epoch. Heartbeats are kept in memory only, so after a tracker restart
    /// this is the time of the peer's last stored change.
    pub seen_ms: u64,
}

/// `GET /v1/peers` query string: both filters optional.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerQuery {
    /// Only peers of this role.
    #[serde(default)]
    pub role: Option<PeerRole>,
    /// Only peers with this status.
    #[serde(default)]
    pub status: Option<ReplicaStatus>,
}

/// `GET /v1/peers`: the live peers, by id.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PeerList {
    /// The peers, in id order.
    pub peers: Vec<Peer>,
}

/// `PUT /v1/peers/{id}/heartbeat` body (optional): the peer's status now.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// The peer's status, when it reports one.
    #[serde(default)]
    pub status: Option<ReplicaStatus>,
}

/// `POST /v1/admin/payloads`: exactly one of the two fields.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WritePayloads {
    /// Store this payload (1 to [`MAX_PAYLOAD_BYTES`] bytes).
    #[serde(default)]
    pub payload: Option<String>,
    /// Store this many random payloads (1 to [`MAX_RANDOM_PAYLOADS`]).
    #[serde(default)]
    pub random: Option<u32>,
}

/// `POST /v1/admin/payloads` answer.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PayloadIds {
    /// The id of each payload written, in request order: the lowercase hex
    /// SHA-256 of its bytes.
    pub ids: Vec<String>,
    /// How many of them were new (a payload already stored is not stored twice).
    pub created: u32,
}

/// A stored payload.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Payload {
    /// The lowercase hex SHA-256 of `payload`.
    pub id: String,
    /// The content.
    pub payload: String,
}

/// `GET /v1/payloads` query string.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayloadQuery {
    /// Only payloads whose id sorts after this one (the previous page's `next`).
    #[serde(default)]
    pub after: Option<String>,
    /// At most this many (1 to [`MAX_PAGE`], default [`DEFAULT_PAGE`]).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `GET /v1/payloads`: one page, in id order.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PayloadPage {
    /// The payloads.
    pub payloads: Vec<Payload>,
    /// The `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// `PUT /v1/admin/replicas/{name}/status` body.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    /// The status the replica should take.
    pub status: ReplicaStatus,
}

/// `PUT /v1/admin/replicas/{name}/status` answer: what the replica says it is now.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct StatusChanged {
    /// The replica.
    pub name: String,
    /// Its status now.
    pub status: ReplicaStatus,
}

/// What an activity-log entry records.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A new peer registered.
    PeerRegistered,
    /// A registered peer registered again (same id; its address may have moved).
    PeerRenewed,
    /// A peer deregistered.
    PeerDeregistered,
    /// A peer missed its heartbeats and was dropped.
    PeerExpired,
    /// Payloads were written.
    PayloadsWritten,
    /// A replica's status was changed through the admin API.
    StatusChanged,
    /// A status change was asked for and failed.
    StatusChangeFailed,
    /// Stored payloads were written into the cluster through a front end.
    PayloadsForwarded,
    /// Stored payloads could not be written into the cluster yet (they wait
    /// and are retried).
    PayloadsForwardFailed,
}

/// One entry of the activity log.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// Its place in the log: grows by one per entry, never reused.
    pub seq: u64,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What happened.
    pub kind: ActivityKind,
    /// The peer concerned, by name, if any.
    pub peer: Option<String>,
    /// One line for people.
    pub detail: String,
}

/// `GET /v1/activity` query string: every filter optional.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// Only entries about this peer (by name).
    #[serde(default)]
    pub peer: Option<String>,
    /// Only entries of this kind.
    #[serde(default)]
    pub kind: Option<ActivityKind>,
    /// Only entries with a larger `seq` (to poll for what is new).
    #[serde(default)]
    pub since: Option<u64>,
    /// At most this many (1 to [`MAX_PAGE`], default [`DEFAULT_PAGE`]).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `GET /v1/activity`: newest first.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ActivityPage {
    /// The entries, newest first.
    pub entries: Vec<ActivityEntry>,
}

/// `GET /healthz`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Health {
    /// Always `"ok"` when the tracker answers.
    pub status: String,
}

/// The body of every error answer.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What was wrong, for people.
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_are_lowercase_in_json() {
        let s = serde_json::to_string(&(PeerRole::Frontend, ReplicaStatus::Overloaded)).unwrap();
        assert_eq!(s, r#"["frontend","overloaded"]"#);
        let k = serde_json::to_string(&ActivityKind::PeerExpired).unwrap();
        assert_eq!(k, r#""peer_expired""#);
    }

    #[test]
    fn requests_refuse_unknown_fields() {
        let err = serde_json::from_str::<WritePayloads>(r#"{"payload":"x","extra":1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `extra`"), "{err}");
        let ok: RegisterPeer =
            serde_json::from_str(r#"{"name":"r1","role":"replica","addr":"127.0.0.1:7501"}"#)
                .unwrap();
        assert_eq!(ok.http_addr, None);
    }

    #[test]
    fn status_converts_both_ways() {
        for s in hearsay_core::Status::ALL {
            let json: ReplicaStatus = s.into();
            assert_eq!(hearsay_core::Status::from(json), s);
            assert_eq!(json.as_str(), s.as_str());
        }
    }
}
