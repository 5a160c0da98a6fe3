//! `Progress`: what a replica knows of one peer, in one place.
//!
//! The model is raft-rs's `tracker/progress.rs`: the leader's view of each
//! follower is one struct, created when the peer joins and dropped when it
//! leaves, so no per-peer fact can outlive the peer or be missing for it.

use crate::time::Time;
use crate::timestamp::VectorTimestamp;

/// What a replica knows of, and has done for, one peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// The latest replica timestamp the peer reported (the row of Ladin et
    /// al.'s timestamp table): records every row covers may be discarded.
    pub(crate) reported: VectorTimestamp,
    /// What we have pushed to it eagerly, so each record is pushed once.
    /// Merged with `reported`, it estimates what the peer has.
    pub(crate) pushed: VectorTimestamp,
    /// Per origin: how far we had pushed it the records we push it, and had
    /// received the others, when its last digest arrived. Records beyond may
    /// still be in flight to it when the next digest comes, so only those up
    /// to this are repaired then.
    pub(crate) pushed_at_digest: VectorTimestamp,
    /// The replica timestamp entries it has been sent. Gossip carries only
    /// the entries that grew since (a receiver merges what it is told, so
    /// fewer entries lose nothing), so a push costs O(1) bytes of timestamp,
    /// not O(N). Digests carry the whole timestamp, which repairs whatever a
    /// lost message left untold.
    pub(crate) told: VectorTimestamp,
    /// When we last sent it a snapshot: they are large, so at most one per
    /// [`ReplicaConfig::snapshot_interval`](crate::ReplicaConfig::snapshot_interval).
    pub(crate) snapshot_sent: Option<Time>,
}

impl Progress {
    /// A peer that joins when this replica has received `rep_ts`: it gets the
    /// past by anti-entropy and new records by push, so the past counts as
    /// pushed, and (never having been pushed) its first digest repairs all of
    /// it.
    pub(crate) fn joining(rep_ts: &VectorTimestamp) -> Self {
        Self {
            reported: VectorTimestamp::new(),
            pushed: rep_ts.clone(),
            pushed_at_digest: rep_ts.clone(),
            told: VectorTimestamp::new(),
            snapshot_sent: None,
        }
    }

    /// What the peer is estimated to have: what it reported, and what we
    /// pushed it since.
    pub(crate) fn estimate(&self) -> VectorTimestamp {
        self.pushed.merged(&self.reported)
    }

    /// Whether a snapshot sent at `now` would come too soon after the last.
    pub(crate) fn snapshot_recent(&self, now: Time, interval: std::time::Duration) -> bool {
        self.snapshot_sent.is_some_and(|t| now < t + interval)
    }

    /// The entries of `rep_ts`, among the origins `wanted`, that the peer has
    /// not been told yet; from now on it counts as told them.
    pub(crate) fn untold(
        &mut self,
        rep_ts: &VectorTimestamp,
        wanted: impl Fn(&crate::ids::ReplicaId) -> bool,
    ) -> VectorTimestamp {
        let fresh: VectorTimestamp = rep_ts
            .iter()
            .filter(|(o, v)| wanted(o) && self.told.get(o) < *v)
            .map(|(o, v)| (o.clone(), v))
            .collect();
        self.told.merge(&fresh);
        fresh
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ids::ReplicaId;

    fn ts(entries: &[(&str, u64)]) -> VectorTimestamp {
        entries
            .iter()
            .map(|(o, v)| (ReplicaId::new(*o).unwrap(), *v))
            .collect()
    }

    #[test]
    fn a_joining_peer_counts_the_past_as_pushed_and_has_reported_nothing() {
        let p = Progress::joining(&ts(&[("r1", 3)]));
        assert_eq!(p.reported, VectorTimestamp::new());
        assert_eq!(p.pushed, ts(&[("r1", 3)]));
        assert_eq!(p.pushed_at_digest, ts(&[("r1", 3)]));
        assert_eq!(
            (p.told.clone(), p.snapshot_sent),
            (VectorTimestamp::new(), None)
        );
    }

    #[test]
    fn the_estimate_merges_what_was_pushed_and_what_was_reported() {
        let mut p = Progress::joining(&ts(&[("r1", 3)]));
        p.reported = ts(&[("r1", 1), ("r2", 5)]);
        assert_eq!(p.estimate(), ts(&[("r1", 3), ("r2", 5)]));
    }

    #[test]
    fn untold_gives_only_grown_entries_once() {
        let mut p = Progress::default();
        let rep = ts(&[("r1", 2), ("r2", 1)]);
        assert_eq!(p.untold(&rep, |o| o.as_str() == "r1"), ts(&[("r1", 2)]));
        assert_eq!(p.untold(&rep, |_| true), ts(&[("r2", 1)]));
        assert_eq!(p.untold(&rep, |_| true), VectorTimestamp::new());
    }

    #[test]
    fn snapshots_are_spaced_by_the_interval() {
        let mut p = Progress::default();
        let at = |ms: u64| Time::from_micros(ms * 1000);
        let every = Duration::from_millis(100);
        assert!(!p.snapshot_recent(at(0), every));
        p.snapshot_sent = Some(at(10));
        assert!(p.snapshot_recent(at(109), every));
        assert!(!p.snapshot_recent(at(110), every));
    }
}
