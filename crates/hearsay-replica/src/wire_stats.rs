//! What a replica's gossip sender put on the wire.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::gossip_seen::{GossipDirection, GossipSeen};

/// Counters of the frames a replica sent to its peers, shared with whoever
/// reads them (the bench, metrics). Cheap to clone; clones share the counts.
#[derive(Clone, Debug, Default)]
pub struct WireCounters {
    inner: Arc<Inner>,
    /// Where the sender notes gossip that carried records (the replica's
    /// status shows it), once the node has joined it to its handle's.
    seen: Option<GossipSeen>,
}

#[derive(Debug, Default)]
struct Inner {
    gossip_frames: AtomicU64,
    gossip_bytes: AtomicU64,
    digest_frames: AtomicU64,
    digest_bytes: AtomicU64,
    snapshot_frames: AtomicU64,
    snapshot_bytes: AtomicU64,
    merged: AtomicU64,
    failed: AtomicU64,
}

/// A reading of [`WireCounters`]. Bytes are whole frames as `hearsay-wire`
/// encodes them (without QUIC and TLS overhead).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WireStats {
    /// Frames carrying gossip (update records).
    pub gossip_frames: u64,
    /// Their bytes.
    pub gossip_bytes: u64,
    /// Frames carrying an anti-entropy digest.
    pub digest_frames: u64,
    /// Their bytes.
    pub digest_bytes: u64,
    /// Frames carrying a snapshot (state transfer).
    pub snapshot_frames: u64,
    /// Their bytes.
    pub snapshot_bytes: u64,
    /// Messages of the replica that were merged into another's frame.
    pub merged: u64,
    /// Frames that could not be handed to QUIC or were not confirmed.
    pub failed: u64,
}

impl WireStats {
    /// Every frame.
    pub fn frames(&self) -> u64 {
        self.gossip_frames + self.digest_frames + self.snapshot_frames
    }

    /// Every byte.
    pub fn bytes(&self) -> u64 {
        self.gossip_bytes + self.digest_bytes + self.snapshot_bytes
    }
}

/// Which counters a frame goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameKind {
    Gossip,
    Digest,
    Snapshot,
}

impl WireCounters {
    /// The counts now.
    pub fn read(&self) -> WireStats {
        let i = &self.inner;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WireStats {
            gossip_frames: get(&i.gossip_frames),
            gossip_bytes: get(&i.gossip_bytes),
            digest_frames: get(&i.digest_frames),
            digest_bytes: get(&i.digest_bytes),
            snapshot_frames: get(&i.snapshot_frames),
            snapshot_bytes: get(&i.snapshot_bytes),
            merged: get(&i.merged),
            failed: get(&i.failed),
        }
    }

    pub(crate) fn sent(&self, kind: FrameKind, bytes: usize) {
        let i = &self.inner;
        let (frames, total) = match kind {
            FrameKind::Gossip => (&i.gossip_frames, &i.gossip_bytes),
            FrameKind::Digest => (&i.digest_frames, &i.digest_bytes),
            FrameKind::Snapshot => (&i.snapshot_frames, &i.snapshot_bytes),
        };
        frames.fetch_add(1, Ordering::Relaxed);
        total.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// These counters, also noting gossip that carried records in `seen`.
    pub(crate) fn with_seen(mut self, seen: GossipSeen) -> Self {
        self.seen = Some(seen);
        self
    }

    /// Notes records sent to `peer`, where the node keeps such notes.
    pub(crate) fn gossiped(&self, peer: &str) {
        if let Some(seen) = &self.seen {
            seen.note(peer, GossipDirection::Sent);
        }
    }

    pub(crate) fn merged(&self, n: usize) {
        self.inner.merged.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.inner.failed.fetch_add(1, Ordering::Relaxed);
    }
}
