//! Identifiers: replicas, clients and updates.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Longest replica name we accept, in bytes.
pub const MAX_REPLICA_ID_LEN: usize = 64;

/// The name of a replica manager, such as `r1`.
///
/// Vector timestamps are keyed by this name (not by a position), so replicas can
/// join and leave without renumbering anybody.
///
/// Decoding checks the name as [`ReplicaId::new`] does, so no empty, huge or
/// odd name arrives from the network. It is encoded as a string.
///
/// The name is shared (`Arc<str>`): every vector timestamp, record and table
/// holds replica ids, and cloning one must not allocate.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplicaId(Arc<str>);

impl TryFrom<String> for ReplicaId {
    type Error = ReplicaIdError;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::new(name)
    }
}

impl From<ReplicaId> for String {
    fn from(id: ReplicaId) -> String {
        id.0.to_string()
    }
}

impl Serialize for ReplicaId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ReplicaId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = ReplicaId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a replica name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ReplicaId, E> {
                ReplicaId::checked(v).map_err(E::custom)
            }
        }
        d.deserialize_str(Name)
    }
}

/// Why a string is not a valid [`ReplicaId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplicaIdError {
    /// The name is empty.
    #[error("a replica name cannot be empty")]
    Empty,
    /// The name is longer than [`MAX_REPLICA_ID_LEN`] bytes.
    #[error("a replica name is at most {MAX_REPLICA_ID_LEN} bytes, this one has {0}")]
    TooLong(usize),
    /// The name holds a character other than ASCII letters, digits, `-`, `_` or `.`.
    #[error("a replica name may hold letters, digits, '-', '_' and '.', not {0:?}")]
    BadChar(char),
    /// The name is reserved: [`ReplicaId::forced`] names the forced order.
    #[error("the replica name {0:?} is reserved for the forced order")]
    Reserved(String),
}

/// The reserved name of the forced order's pseudo-origin (see [`ReplicaId::forced`]).
const FORCED_NAME: &str = "forced";

impl ReplicaId {
    /// Checks and wraps a replica name. The reserved name of
    /// [`ReplicaId::forced`] is refused: no node may take it.
    pub fn new(name: impl Into<String>) -> Result<Self, ReplicaIdError> {
        let name = name.into();
        if name == FORCED_NAME {
            return Err(ReplicaIdError::Reserved(name));
        }
        Self::checked(&name)
    }

    /// The pseudo-origin of forced updates: the k-th committed forced update is
    /// the record with dot `(forced, k)`, so the causal machinery (dense
    /// per-origin counters, stability) applies forced records in the order's
    /// order at every replica. [`ReplicaId::new`] refuses this name, so no node
    /// can take it; decoding accepts it, since timestamps carry it.
    pub fn forced() -> Self {
        Self(Arc::from(FORCED_NAME))
    }

    /// Whether this is [`ReplicaId::forced`].
    pub fn is_forced(&self) -> bool {
        &*self.0 == FORCED_NAME
    }

    /// Checks `name` and copies it into a new id.
    fn checked(name: &str) -> Result<Self, ReplicaIdError> {
        if name.is_empty() {
            return Err(ReplicaIdError::Empty);
        }
        if name.len() > MAX_REPLICA_ID_LEN {
            return Err(ReplicaIdError::TooLong(name.len()));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(ReplicaIdError::BadChar(c));
        }
        Ok(Self(Arc::from(name)))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ReplicaId {
    type Err = ReplicaIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client session, chosen at random by the client so that sessions never collide.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct ClientId(pub u64);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{:x}", self.0)
    }
}

/// The identity of one update, the same on every retry of it.
///
/// Replicas deduplicate by this id, which is what makes retries exactly-once.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UpdateId {
    /// The session that issued the update.
    pub client: ClientId,
    /// The session's counter, starting at 1.
    pub seq: u64,
}

impl fmt::Debug for UpdateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.client, self.seq)
    }
}

impl fmt::Display for UpdateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Where an update record was first accepted: the origin replica and its counter there.
///
/// Origin counters are dense (1, 2, 3, ...), so a vector timestamp entry `ts[r] = n`
/// means exactly "the first `n` records accepted at `r`".
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct Dot {
    /// The replica that accepted the update from a front end.
    pub origin: ReplicaId,
    /// The origin's counter for it.
    pub seq: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_checks_names_too() {
        let ok: ReplicaId = postcard::from_bytes(&postcard::to_allocvec("r1").unwrap()).unwrap();
        assert_eq!(ok.as_str(), "r1");
        assert!(postcard::from_bytes::<ReplicaId>(&postcard::to_allocvec("").unwrap()).is_err());
        assert!(postcard::from_bytes::<ReplicaId>(&postcard::to_allocvec("a b").unwrap()).is_err());
        assert_eq!(
            postcard::to_allocvec(&ok).unwrap(),
            postcard::to_allocvec("r1").unwrap()
        );
    }

    #[test]
    fn replica_names_are_checked() {
        assert!(ReplicaId::new("r1").is_ok());
        assert!(ReplicaId::new("node-a.b_c").is_ok());
        assert_eq!(ReplicaId::new(""), Err(ReplicaIdError::Empty));
        assert_eq!(ReplicaId::new("a b"), Err(ReplicaIdError::BadChar(' ')));
        assert_eq!(
            ReplicaId::new("x".repeat(65)),
            Err(ReplicaIdError::TooLong(65))
        );
    }
}
