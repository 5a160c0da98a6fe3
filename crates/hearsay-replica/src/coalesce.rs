//! Merging the peer messages queued for one peer into as few frames as possible.

use hearsay_core::{App, Gossip, PeerMessage, VectorTimestamp, encoded_len};

/// The messages queued for one peer, merged: every gossip batch into one,
/// every digest into one, snapshots kept apart.
///
/// Merging is sound because a later message from the same replica only adds
/// to an earlier one: its `rep_ts` is at or above the earlier one's (so the
/// pointwise maximum is the latest), and the receiver takes records in any
/// order (each origin's in counter order, holding those ahead of a gap).
/// A digest asks for an answer if any merged digest did.
pub(crate) struct Coalescer<A: App> {
    gossip: Option<Gossip<A>>,
    digest: Option<(VectorTimestamp, bool)>,
    snapshots: Vec<PeerMessage<A>>,
    /// Estimated encoded bytes taken so far, to stop before a frame's cap.
    bytes: usize,
    /// Messages taken, for the merge counter.
    messages: usize,
}

impl<A: App> Default for Coalescer<A> {
    fn default() -> Self {
        Self {
            gossip: None,
            digest: None,
            snapshots: Vec::new(),
            bytes: 0,
            messages: 0,
        }
    }
}

impl<A: App> Coalescer<A> {
    /// Takes one message.
    pub(crate) fn add(&mut self, msg: PeerMessage<A>) {
        self.messages += 1;
        match msg {
            PeerMessage::Gossip(g) => {
                self.bytes += g.records.iter().map(encoded_len).sum::<usize>();
                match &mut self.gossip {
                    None => self.gossip = Some(g),
                    Some(acc) => {
                        acc.rep_ts.merge(&g.rep_ts);
                        acc.records.extend(g.records);
                    }
                }
            }
            PeerMessage::Digest { rep_ts, reply } => match &mut self.digest {
                None => self.digest = Some((rep_ts, reply)),
                Some((acc, r)) => {
                    acc.merge(&rep_ts);
                    *r |= reply;
                }
            },
            snapshot @ PeerMessage::Snapshot(_) => {
                self.bytes += encoded_len(&snapshot);
                self.snapshots.push(snapshot);
            }
            // Forced-order messages do not merge: they go out as they are,
            // after the gossip and the digest, in the order taken.
            other @ (PeerMessage::Vr(_)
            | PeerMessage::Forward(_)
            | PeerMessage::ForwardReply { .. }) => self.snapshots.push(other),
        }
    }

    /// Estimated bytes of the records and snapshots taken.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Messages taken so far.
    pub(crate) fn messages(&self) -> usize {
        self.messages
    }

    /// The merged messages, gossip first (a digest's reader then already has
    /// the records), and empties the coalescer.
    pub(crate) fn take(&mut self) -> Vec<PeerMessage<A>> {
        let mut out = Vec::with_capacity(2 + self.snapshots.len());
        if let Some(g) = self.gossip.take() {
            out.push(PeerMessage::Gossip(g));
        }
        if let Some((rep_ts, reply)) = self.digest.take() {
            out.push(PeerMessage::Digest { rep_ts, reply });
        }
        out.append(&mut self.snapshots);
        self.bytes = 0;
        self.messages = 0;
        out
    }
}

#[cfg(test)]
mod tests {
    use hearsay_core::testing::{KvApp, KvUpdate};
    use hearsay_core::{ClientId, Dot, ReplicaId, Snapshot, UpdateId, UpdateRecord};

    use super::*;

    fn r(n: &str) -> ReplicaId {
        ReplicaId::new(n).unwrap()
    }

    fn ts(v: u64) -> VectorTimestamp {
        [(r("r1"), v)].into_iter().collect()
    }

    fn gossip(seqs: std::ops::RangeInclusive<u64>) -> PeerMessage<KvApp> {
        let records = seqs
            .clone()
            .map(|seq| UpdateRecord {
                id: UpdateId {
                    client: ClientId(1),
                    seq,
                },
                dot: Dot {
                    origin: r("r1"),
                    seq,
                },
                prev: VectorTimestamp::new(),
                op: KvUpdate::Put {
                    key: "k".into(),
                    value: 1,
                },
                refused: None,
            })
            .collect();
        PeerMessage::Gossip(Gossip {
            rep_ts: ts(*seqs.end()),
            records,
        })
    }

    #[test]
    fn gossip_batches_merge_into_one_in_order_with_the_latest_timestamp() {
        let mut c = Coalescer::<KvApp>::default();
        c.add(gossip(1..=2));
        c.add(PeerMessage::Digest {
            rep_ts: ts(2),
            reply: false,
        });
        c.add(gossip(3..=5));
        c.add(PeerMessage::Digest {
            rep_ts: ts(5),
            reply: true,
        });
        assert_eq!(c.messages(), 4);
        assert!(c.bytes() > 0);
        let out = c.take();
        assert_eq!(out.len(), 2);
        let PeerMessage::Gossip(g) = &out[0] else {
            panic!("gossip first: {out:?}")
        };
        assert_eq!(g.rep_ts, ts(5));
        let seqs: Vec<u64> = g.records.iter().map(|r| r.dot.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
        assert_eq!(
            out[1],
            PeerMessage::Digest {
                rep_ts: ts(5),
                reply: true
            }
        );
        assert!(c.take().is_empty(), "emptied");
        assert_eq!((c.bytes(), c.messages()), (0, 0));
    }

    #[test]
    fn snapshots_are_kept_whole() {
        let mut c = Coalescer::<KvApp>::default();
        let snap = || {
            PeerMessage::Snapshot(Box::new(Snapshot {
                app: KvApp::default(),
                value_ts: ts(1),
                executed: Vec::new(),
            }))
        };
        c.add(snap());
        c.add(snap());
        assert_eq!(c.take().len(), 2);
    }
}
