//! [`Tallies`]: everything counted in memory — the totals, the last minute,
//! and the client and gossip traffic summed up between two summary entries
//! of the log.

use std::collections::BTreeMap;

use hearsay_wire::node::{Counters, NodeActivityKind};

use crate::counter::Counter;
use crate::store::NewEntry;
use crate::window::Window;

/// Distinct peer names kept per map; the rest are summed under [`OTHERS`].
/// Names come from certificates the cluster CA signed, so a real cluster stays
/// far below this; it bounds memory whatever happens.
pub const MAX_PEERS: usize = 1024;

/// The name peers past [`MAX_PEERS`] are counted under.
pub const OTHERS: &str = "(others)";

/// Gossip to one peer since the last summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct GossipTally {
    /// Messages delivered (digests included).
    messages: u64,
    /// Of those, anti-entropy digests: one per anti-entropy round.
    digests: u64,
    /// Bytes delivered.
    bytes: u64,
    /// Messages that could not be delivered.
    failed: u64,
}

/// The counts behind `/v1/metrics`, and the traffic waiting to be summed up
/// in the log.
#[derive(Debug, Default)]
pub(crate) struct Tallies {
    pub(crate) total: Counters,
    pub(crate) window: Window,
    /// Client requests by requester since the last summary: one log entry per
    /// requester and period instead of one per request.
    clients: BTreeMap<String, u64>,
    /// Gossip by peer since the last summary.
    gossip: BTreeMap<String, GossipTally>,
}

/// The entry for `key` in `map`, or the one for [`OTHERS`] once the map holds
/// [`MAX_PEERS`] names. For an extension's per-peer maps too.
pub fn bounded<'a, V: Default>(map: &'a mut BTreeMap<String, V>, key: &str) -> &'a mut V {
    let key = if map.contains_key(key) || map.len() < MAX_PEERS {
        key
    } else {
        OTHERS
    };
    map.entry(key.to_owned()).or_default()
}

impl Tallies {
    /// Counts `n` of `counter` at `second`.
    pub(crate) fn count(&mut self, second: u64, counter: Counter, n: u64) {
        counter.add(&mut self.total, n);
        self.window.add(second, counter, n);
    }

    /// One client request from `from`, for the next summary.
    pub(crate) fn client(&mut self, from: &str) {
        *bounded(&mut self.clients, from) += 1;
    }

    /// One gossip message to `to`, for the next summary.
    pub(crate) fn gossip(&mut self, to: &str, bytes: u64, digest: bool, delivered: bool) {
        let g = bounded(&mut self.gossip, to);
        if delivered {
            g.messages += 1;
            g.bytes += bytes;
            g.digests += u64::from(digest);
        } else {
            g.failed += 1;
        }
    }

    /// The summary entries for the traffic since the last call (one per
    /// requester and one per gossip peer), and a fresh start.
    pub(crate) fn take_summaries(&mut self, at_ms: u64, period_ms: u64) -> Vec<NewEntry> {
        let secs = period_ms.div_ceil(1000);
        let mut out = Vec::new();
        for (from, n) in std::mem::take(&mut self.clients) {
            out.push(NewEntry {
                at_ms,
                kind: NodeActivityKind::ClientRequest,
                peer: Some(from),
                detail: format!("{n} client requests in the last {secs} s"),
            });
        }
        for (to, g) in std::mem::take(&mut self.gossip) {
            let mut detail = format!(
                "gossip to it in the last {secs} s: {} messages ({} anti-entropy rounds), {} bytes",
                g.messages, g.digests, g.bytes
            );
            if g.failed > 0 {
                detail.push_str(&format!(", {} not delivered", g.failed));
            }
            out.push(NewEntry {
                at_ms,
                kind: NodeActivityKind::GossipRound,
                peer: Some(to),
                detail,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_sum_up_per_peer_and_start_afresh() {
        let mut t = Tallies::default();
        for _ in 0..5 {
            t.client("fe");
        }
        t.client("client");
        t.gossip("r2", 100, false, true);
        t.gossip("r2", 20, true, true);
        t.gossip("r2", 20, true, false);
        let s = t.take_summaries(7, 5000);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].peer.as_deref(), Some("client"));
        assert_eq!(s[1].detail, "5 client requests in the last 5 s");
        assert_eq!(s[2].kind, NodeActivityKind::GossipRound);
        assert_eq!(
            s[2].detail,
            "gossip to it in the last 5 s: 2 messages (1 anti-entropy rounds), 120 bytes, 1 not delivered"
        );
        assert!(t.take_summaries(8, 5000).is_empty());
    }

    #[test]
    fn peer_maps_are_bounded() {
        let mut peers = BTreeMap::<String, u64>::new();
        for i in 0..MAX_PEERS + 10 {
            *bounded(&mut peers, &format!("p{i}")) += 1;
        }
        assert_eq!(peers.len(), MAX_PEERS + 1);
        assert_eq!(peers[OTHERS], 10);
        // A name already known keeps its own entry.
        *bounded(&mut peers, "p0") += 1;
        assert_eq!(peers["p0"], 2);
    }
}
