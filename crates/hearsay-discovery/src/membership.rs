//! [`Membership`]: the live peers as discovery last saw them, and the
//! [`Change`]s between two views.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use hearsay_wire::tracker::{PeerRole, ReplicaStatus};

/// A live peer, as the tracker lists it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Member {
    /// Its name (its certificate's name).
    pub name: String,
    /// What it is.
    pub role: PeerRole,
    /// Where it listens for QUIC.
    pub addr: SocketAddr,
    /// Where it serves HTTP, if it does (`HOST:PORT`).
    pub http_addr: Option<String>,
    /// Its status as it last reported it to the tracker.
    pub status: ReplicaStatus,
}

/// What changed between two views of the membership.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Change {
    /// A peer that was not there before.
    Added(Member),
    /// A peer that is gone (deregistered or expired).
    Removed(Member),
    /// A peer that is still there at another address or in another role
    /// (restarted on a new port).
    Moved {
        /// As it was.
        before: Member,
        /// As it is now.
        now: Member,
    },
}

/// The live peers other than this node, by name.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Membership {
    members: BTreeMap<String, Member>,
}

impl Membership {
    /// A membership of these peers (a later one of the same name wins).
    pub fn new(members: impl IntoIterator<Item = Member>) -> Self {
        Self {
            members: members.into_iter().map(|m| (m.name.clone(), m)).collect(),
        }
    }

    /// The peer named `name`.
    pub fn get(&self, name: &str) -> Option<&Member> {
        self.members.get(name)
    }

    /// Every peer, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }

    /// The replicas, by name.
    pub fn replicas(&self) -> impl Iterator<Item = &Member> {
        self.iter().filter(|m| m.role == PeerRole::Replica)
    }

    /// How many peers.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// What changed from `before` to `self`, by name. A change of status
    /// alone is not a change of membership.
    pub fn changes_from(&self, before: &Membership) -> Vec<Change> {
        let mut changes = Vec::new();
        for (name, now) in &self.members {
            match before.members.get(name) {
                None => changes.push(Change::Added(now.clone())),
                Some(old) if old.addr != now.addr || old.role != now.role => {
                    changes.push(Change::Moved {
                        before: old.clone(),
                        now: now.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        for (name, old) in &before.members {
            if !self.members.contains_key(name) {
                changes.push(Change::Removed(old.clone()));
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, port: u16) -> Member {
        Member {
            name: name.into(),
            role: PeerRole::Replica,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            http_addr: None,
            status: ReplicaStatus::Online,
        }
    }

    #[test]
    fn changes_name_what_was_added_moved_and_removed() {
        let before = Membership::new([m("r1", 1), m("r2", 2), m("r3", 3)]);
        let mut r1 = m("r1", 1);
        r1.status = ReplicaStatus::Offline;
        let now = Membership::new([r1, m("r2", 22), m("r4", 4)]);
        assert_eq!(
            now.changes_from(&before),
            vec![
                Change::Moved {
                    before: m("r2", 2),
                    now: m("r2", 22)
                },
                Change::Added(m("r4", 4)),
                Change::Removed(m("r3", 3)),
            ]
        );
        assert_eq!(now.changes_from(&now), vec![]);
        assert_eq!(now.replicas().count(), 3);
    }
}
