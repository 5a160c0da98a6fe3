//! [`GossipSeen`]: when a replica last exchanged update records with a peer,
//! and with whom, for status pages and the tracker's live monitor.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// Which way records went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GossipDirection {
    /// This replica sent records to the peer.
    Sent,
    /// This replica received records from the peer.
    Received,
}

/// One exchange of records with a peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GossipEvent {
    /// The peer's name.
    pub peer: String,
    /// Which way the records went.
    pub direction: GossipDirection,
    /// When, in milliseconds since the Unix epoch (wall clock, so a browser
    /// can say "2 s ago").
    pub at_ms: u64,
}

/// The latest gossip that carried records (a batch or a snapshot; digests,
/// which flow every anti-entropy round whether or not anything changed, are
/// not counted), shared by the replica's handle (received) and its gossip
/// sender (sent). Cheap to clone; clones share it.
#[derive(Clone, Debug, Default)]
pub struct GossipSeen {
    last: Arc<Mutex<Option<GossipEvent>>>,
}

impl GossipSeen {
    /// Notes records exchanged with `peer` now.
    pub fn note(&self, peer: &str, direction: GossipDirection) {
        let at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let event = GossipEvent {
            peer: peer.to_owned(),
            direction,
            at_ms,
        };
        // A poisoned lock only means a writer panicked mid-assignment; the
        // option is still an option.
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(event);
    }

    /// The latest exchange, if any.
    pub fn last(&self) -> Option<GossipEvent> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_exchange() {
        let seen = GossipSeen::default();
        assert_eq!(seen.last(), None);
        seen.note("r2", GossipDirection::Sent);
        seen.clone().note("r3", GossipDirection::Received);
        let last = seen.last().expect("noted");
        assert_eq!(last.peer, "r3");
        assert_eq!(last.direction, GossipDirection::Received);
        assert!(last.at_ms > 0);
    }
}
