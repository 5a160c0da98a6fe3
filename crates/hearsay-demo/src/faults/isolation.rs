//! [`Isolation`]: a fault switch for tests: cut a replica off from its peers
//! and heal it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hearsay_core::{App, PeerMessage, ReplicaId};
use hearsay_replica::{Admission, PeerVerdict};

/// While on, the replica drops every peer message it receives and sends none;
/// clients are still served. Off unless a test turns it on.
#[derive(Clone, Debug, Default)]
pub struct Isolation(Arc<AtomicBool>);

impl Isolation {
    /// Whether the replica is cut off now.
    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Cuts the replica off (`true`) or heals it (`false`).
    pub fn set(&self, on: bool) {
        self.0.store(on, Ordering::Relaxed);
    }

    /// A switch that is on while `file` exists, checked every 50 ms: how a
    /// test process partitions a replica process it started. Needs a tokio
    /// runtime; the check stops when the last clone of the switch is
    /// dropped.
    pub fn following_file(file: PathBuf) -> Self {
        let switch = Self::default();
        let weak = Arc::downgrade(&switch.0);
        tokio::spawn(async move {
            while let Some(on) = weak.upgrade() {
                on.store(file.exists(), Ordering::Relaxed);
                drop(on);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        switch
    }

    fn verdict(&self) -> PeerVerdict {
        if self.is_on() {
            PeerVerdict::Drop
        } else {
            PeerVerdict::Deliver
        }
    }
}

impl<A: App> Admission<A> for Isolation {
    fn receive(&self, _from: &ReplicaId, _msg: &PeerMessage<A>) -> PeerVerdict {
        self.verdict()
    }

    fn send(&self, _to: &ReplicaId, _msg: &PeerMessage<A>) -> PeerVerdict {
        self.verdict()
    }
}

#[cfg(test)]
mod tests {
    use hearsay_core::VectorTimestamp;
    use hearsay_core::testing::KvApp;

    use super::*;

    #[test]
    fn on_it_drops_peer_messages_both_ways_and_off_it_lets_them_pass() {
        let switch = Isolation::default();
        let peer = ReplicaId::new("r2").unwrap();
        let msg = PeerMessage::<KvApp>::Digest {
            rep_ts: VectorTimestamp::default(),
            reply: false,
        };
        let policy: &dyn Admission<KvApp> = &switch;
        assert_eq!(policy.receive(&peer, &msg), PeerVerdict::Deliver);
        switch.set(true);
        assert_eq!(policy.receive(&peer, &msg), PeerVerdict::Drop);
        assert_eq!(policy.send(&peer, &msg), PeerVerdict::Drop);
        switch.set(false);
        assert_eq!(policy.send(&peer, &msg), PeerVerdict::Deliver);
    }
}
