//! The gossip topology and timers a node uses, chosen from the cluster size.

use std::collections::BTreeSet;
use std::time::Duration;

use hearsay_core::forced::ForcedBugs;
use hearsay_core::{ReplicaConfig, ReplicaId};

use crate::forced_server::ForcedTimers;

/// How nodes gossip, chosen once at `init` from the cluster's node list.
///
/// Small clusters (up to [`mesh_max`](Self::mesh_max) nodes) form a **full
/// mesh**: every new record is pushed to every peer as soon as it exists, and
/// anti-entropy asks every peer often. Large clusters form a **hub**: the
/// first node in `node_ids` is the hub; the others (leaves) push their own
/// new records to the hub only, at once; the hub relays everything to every
/// leaf in batches, at most every [`hub_push_interval`](Self::hub_push_interval).
/// Anti-entropy is sparse (one peer per tick, in turn), and is what heals a
/// partition: a leaf cut off from the hub still trades digests with other
/// leaves, and relays what it learns to the hub once it can reach it.
/// See the crate README for the message arithmetic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// The largest cluster that uses a full mesh; larger ones use a hub.
    pub mesh_max: usize,
    /// In a mesh: the anti-entropy period (every peer each time).
    pub mesh_anti_entropy: Duration,
    /// With a hub: the least time between two relay batches of the hub.
    /// Each batch costs one message per leaf, so this sets the hub's rate.
    pub hub_push_interval: Duration,
    /// With a hub: the anti-entropy period.
    pub hub_anti_entropy: Duration,
    /// With a hub: peers sent a digest per anti-entropy tick.
    pub hub_anti_entropy_fanout: usize,
    /// How long an `hs_peer` message that overtook an earlier one waits for
    /// it before the node gives up on the earlier one (see `links.rs`).
    pub reorder_hold: Duration,
    /// Have the replica report every applied update (the harness measures
    /// propagation with it), and the forced workloads note the request id of
    /// every client request (the harness finds them in the order with it);
    /// off in real runs.
    pub emit_applied: bool,
    /// The forced order's timers (`lin-kv`, `txn-serializable`).
    pub forced: ForcedTimers,
    /// Planted bugs in the voters, for showing that the harness's checkers
    /// catch them; never on in real runs.
    pub forced_bugs: ForcedBugs,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            mesh_max: 5,
            mesh_anti_entropy: Duration::from_millis(250),
            hub_push_interval: Duration::from_millis(50),
            hub_anti_entropy: Duration::from_millis(500),
            hub_anti_entropy_fanout: 1,
            reorder_hold: Duration::from_millis(200),
            emit_applied: false,
            forced: ForcedTimers::default(),
            forced_bugs: ForcedBugs::default(),
        }
    }
}

/// What one node does under a [`Tuning`]: its replica configuration and
/// where it pushes new records.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The core replica's configuration.
    pub config: ReplicaConfig,
    /// Where eager pushes go (`None`: every peer).
    pub push_targets: Option<BTreeSet<ReplicaId>>,
    /// The hub, when the cluster has one.
    pub hub: Option<ReplicaId>,
}

impl Tuning {
    /// The plan for node `me` in a cluster of `nodes` (Maelstrom's `node_ids`,
    /// in the order every node received them).
    pub fn plan(&self, me: &ReplicaId, nodes: &[ReplicaId]) -> Plan {
        let mut config = ReplicaConfig {
            emit_applied: self.emit_applied,
            ..ReplicaConfig::default()
        };
        let hub = nodes
            .first()
            .filter(|_| nodes.len() > self.mesh_max)
            .cloned();
        let Some(hub) = hub else {
            config.anti_entropy_interval = self.mesh_anti_entropy;
            config.anti_entropy_fanout = 0;
            config.push_interval = None;
            config.relay = false;
            return Plan {
                config,
                push_targets: None,
                hub: None,
            };
        };
        config.anti_entropy_interval = self.hub_anti_entropy;
        config.anti_entropy_fanout = self.hub_anti_entropy_fanout;
        // Everyone relays: the hub by design, and a leaf so that records it
        // learned from another leaf (around a partition) reach the hub.
        config.relay = true;
        let push_targets = if me == &hub {
            config.push_interval = Some(self.hub_push_interval);
            None
        } else {
            config.push_interval = None;
            Some(BTreeSet::from([hub.clone()]))
        };
        Plan {
            config,
            push_targets,
            hub: Some(hub),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<ReplicaId> {
        (0..n)
            .map(|i| ReplicaId::new(format!("n{i}")).unwrap())
            .collect()
    }

    #[test]
    fn small_clusters_mesh_and_large_ones_use_a_hub() {
        let t = Tuning::default();
        let three = ids(3);
        let p = t.plan(&three[1], &three);
        assert!(p.hub.is_none() && p.push_targets.is_none() && p.config.push_interval.is_none());

        let many = ids(25);
        let hub = t.plan(&many[0], &many);
        assert_eq!(hub.hub.as_ref(), Some(&many[0]));
        assert_eq!(hub.push_targets, None);
        assert_eq!(hub.config.push_interval, Some(t.hub_push_interval));
        let leaf = t.plan(&many[7], &many);
        assert_eq!(leaf.push_targets, Some(BTreeSet::from([many[0].clone()])));
        assert_eq!(leaf.config.push_interval, None);
        assert!(leaf.config.relay && hub.config.relay);
        assert_eq!(leaf.config.anti_entropy_fanout, 1);
    }
}
