//! Gossip settings drawn from the seed, so that a sweep covers the core's
//! gossip modes and not only its defaults.

use std::time::Duration;

use hearsay_core::ReplicaConfig;
use rand::Rng;
use rand::rngs::StdRng;

/// How the replicas of one run gossip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct GossipVariant {
    /// `None`: push new records at once; `Some`: batch them at this interval.
    push_interval: Option<Duration>,
    /// Push only to the next replica in a ring, which relays onwards, instead
    /// of to every member.
    pub(super) ring: bool,
    /// Digests per anti-entropy tick (0: every peer).
    fanout: usize,
    /// Upper bound on update bytes per gossip message; small values split a
    /// backlog over many messages.
    max_gossip_bytes: usize,
}

impl GossipVariant {
    /// The core's defaults.
    pub(super) fn standard() -> Self {
        let d = ReplicaConfig::default();
        Self {
            push_interval: d.push_interval,
            ring: false,
            fanout: d.anti_entropy_fanout,
            max_gossip_bytes: d.max_gossip_bytes,
        }
    }

    /// A random mix of the modes.
    pub(super) fn draw(rng: &mut StdRng) -> Self {
        let mut v = Self::standard();
        if rng.random_bool(0.5) {
            v.push_interval = Some(Duration::from_millis(rng.random_range(5..=50)));
        }
        v.ring = rng.random_bool(0.25);
        v.fanout = rng.random_range(0..=2);
        if rng.random_bool(0.3) {
            v.max_gossip_bytes = rng.random_range(64..=1024);
        }
        v
    }

    /// Applies the settings to one replica's configuration.
    pub(super) fn apply(&self, config: &mut ReplicaConfig) {
        config.push_interval = self.push_interval;
        config.relay = self.ring;
        config.anti_entropy_fanout = self.fanout;
        config.max_gossip_bytes = self.max_gossip_bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_standard_variant_changes_nothing() {
        let mut c = ReplicaConfig::default();
        GossipVariant::standard().apply(&mut c);
        let d = ReplicaConfig::default();
        assert_eq!(
            (
                c.push_interval,
                c.relay,
                c.anti_entropy_fanout,
                c.max_gossip_bytes
            ),
            (
                d.push_interval,
                d.relay,
                d.anti_entropy_fanout,
                d.max_gossip_bytes
            )
        );
    }

    #[test]
    fn draws_cover_every_mode() {
        let mut rng = StdRng::seed_from_u64(9);
        let draws: Vec<GossipVariant> = (0..200).map(|_| GossipVariant::draw(&mut rng)).collect();
        assert!(draws.iter().any(|v| v.push_interval.is_some()));
        assert!(draws.iter().any(|v| v.push_interval.is_none()));
        assert!(draws.iter().any(|v| v.ring) && draws.iter().any(|v| !v.ring));
        assert!((0..=2).all(|f| draws.iter().any(|v| v.fanout == f)));
        assert!(draws.iter().any(|v| v.max_gossip_bytes < 2000));
    }
}
