//! [`Summary`]: what a simulation run did, from the nodes' own `/v1/metrics`
//! (the difference between their figures before and after the run) and the
//! simulator's client measurements; as a table or one JSON object.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hearsay_claims::{ClaimCounters, ClaimMetrics, PeerClaims};
use hearsay_wire::node::{Counters, NodeMetrics};
use serde::Serialize;

use super::latency::Percentiles;

/// One node's figures over the run.
#[derive(Clone, Debug, Default, Serialize)]
pub(super) struct PeerRow {
    pub(super) name: String,
    pub(super) role: String,
    /// Claims it presented.
    pub(super) claims_sent: u64,
    /// Claims presented to it.
    pub(super) claims_received: u64,
    /// Its verdicts on claims presented to it.
    pub(super) answered_true: u64,
    pub(super) answered_false: u64,
    /// The verdicts it got on its own claims.
    pub(super) answers_true: u64,
    pub(super) answers_false: u64,
    /// Verdicts on its claims that were not what the claim deserved.
    pub(super) wrong_answers: u64,
    /// Its claims that got no verdict (peer offline, busy or unreachable).
    pub(super) unanswered: u64,
    pub(super) tracker_calls: u64,
    pub(super) tracker_failures: u64,
    pub(super) gossip_messages: u64,
    pub(super) gossip_bytes: u64,
    /// Client requests the node handled.
    pub(super) client_requests: u64,
    /// Operations the simulator sent through it (front ends).
    pub(super) client_ops: u64,
    /// Their latency, in milliseconds (front ends the simulator used).
    pub(super) latency_ms: Option<Percentiles>,
}

/// Claims one replica presented to another over the run.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Pair {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) claims: u64,
}

/// The whole run.
#[derive(Clone, Debug, Default, Serialize)]
pub(super) struct Summary {
    pub(super) duration_s: f64,
    pub(super) rate: f64,
    pub(super) seed: u64,
    pub(super) chaos: bool,
    pub(super) claims_sent: u64,
    /// Verdicts `true` received by claimants.
    pub(super) claims_true: u64,
    /// Verdicts `false` received by claimants.
    pub(super) claims_false: u64,
    pub(super) wrong_answers: u64,
    pub(super) claims_unanswered: u64,
    pub(super) client_ops: u64,
    pub(super) client_reads: u64,
    pub(super) client_writes: u64,
    /// Operations answered "busy" or failed.
    pub(super) client_busy: u64,
    pub(super) client_errors: u64,
    pub(super) client_latency_ms: Percentiles,
    pub(super) payloads_written: u64,
    pub(super) peer_list_polls: u64,
    pub(super) status_changes: u64,
    /// Calls the simulator made to the tracker, and how many failed.
    pub(super) tracker_calls: u64,
    pub(super) tracker_failures: u64,
    pub(super) peers: Vec<PeerRow>,
    pub(super) pairs: Vec<Pair>,
}

/// `after - before`, field by field (through JSON, so counters added to
/// the wire type later are covered too); a node that restarted, whose
/// counters went down, counts from zero.
fn minus<T: Serialize + serde::de::DeserializeOwned + Default>(after: &T, before: &T) -> T {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(after), serde_json::to_value(before))
    else {
        return T::default();
    };
    let diff: serde_json::Map<String, serde_json::Value> = a
        .into_iter()
        .map(|(k, v)| {
            let now = v.as_u64().unwrap_or(0);
            let then = b.get(&k).and_then(serde_json::Value::as_u64).unwrap_or(0);
            let d = if now >= then { now - then } else { now };
            (k, serde_json::Value::from(d))
        })
        .collect();
    serde_json::from_value(serde_json::Value::Object(diff)).unwrap_or_default()
}

/// One node's row: its figures at the end minus those at the start.
pub(super) fn row(before: Option<&NodeMetrics>, after: &NodeMetrics) -> (PeerRow, Vec<Pair>) {
    let zero = NodeMetrics::default();
    let before = before.unwrap_or(&zero);
    let c: Counters = minus(&after.total, &before.total);
    let (claims_after, claims_before) = (ClaimMetrics::of(after), ClaimMetrics::of(before));
    let k: ClaimCounters = minus(&claims_after.total, &claims_before.total);
    let role = after
        .role
        .map_or_else(|| "?".to_owned(), |r| r.as_str().to_owned());
    let mut pairs = Vec::new();
    for (peer, now) in &claims_after.peers {
        let then = claims_before.peers.get(peer).copied().unwrap_or_default();
        let d: PeerClaims = minus(now, &then);
        if d.sent > 0 {
            pairs.push(Pair {
                from: after.name.clone(),
                to: peer.clone(),
                claims: d.sent,
            });
        }
    }
    let row = PeerRow {
        name: after.name.clone(),
        role,
        claims_sent: k.claims_sent,
        claims_received: k.claims_received,
        answered_true: k.claims_answered_true,
        answered_false: k.claims_answered_false,
        answers_true: k.answers_true,
        answers_false: k.answers_false,
        wrong_answers: k.wrong_answers,
        unanswered: k.claims_unanswered,
        tracker_calls: c.tracker_calls,
        tracker_failures: c.tracker_failures,
        gossip_messages: c.gossip_messages,
        gossip_bytes: c.gossip_bytes,
        client_requests: c.client_requests,
        ..PeerRow::default()
    };
    (row, pairs)
}

impl Summary {
    /// Adds the nodes' rows and totals their claims.
    pub(super) fn add_rows(&mut self, rows: Vec<(PeerRow, Vec<Pair>)>) {
        for (row, pairs) in rows {
            self.claims_sent += row.claims_sent;
            self.claims_true += row.answers_true;
            self.claims_false += row.answers_false;
            self.wrong_answers += row.wrong_answers;
            self.claims_unanswered += row.unanswered;
            self.peers.push(row);
            self.pairs.extend(pairs);
        }
        self.peers
            .sort_by(|a, b| (&a.role, &a.name).cmp(&(&b.role, &b.name)));
        self.pairs
            .sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    }

    /// Replica pairs with no claim in one direction or the other.
    pub(super) fn silent_pairs(&self) -> Vec<(String, String)> {
        let replicas: Vec<&str> = self
            .peers
            .iter()
            .filter(|p| p.role == "replica")
            .map(|p| p.name.as_str())
            .collect();
        let sent: BTreeMap<(&str, &str), u64> = self
            .pairs
            .iter()
            .map(|p| ((p.from.as_str(), p.to.as_str()), p.claims))
            .collect();
        let mut silent = Vec::new();
        for a in &replicas {
            for b in &replicas {
                if a != b && sent.get(&(*a, *b)).copied().unwrap_or(0) == 0 {
                    silent.push(((*a).to_owned(), (*b).to_owned()));
                }
            }
        }
        silent
    }

    /// The table printed at the end of a run.
    pub(super) fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "simulated {:.1}s at {} ops/s (seed {}{})",
            self.duration_s,
            self.rate,
            self.seed,
            if self.chaos { ", chaos" } else { "" }
        );
        let _ = writeln!(
            out,
            "\n{:<6} {:<9} {:>6} {:>6} {:>11} {:>11} {:>6} {:>6} {:>9} {:>9} {:>10} {:>7} {:>18}",
            "peer",
            "role",
            "sent",
            "recv",
            "answered t/f",
            "got t/f",
            "wrong",
            "no ans",
            "tracker",
            "gossip",
            "gossip KiB",
            "ops",
            "latency p50/p99 ms"
        );
        for p in &self.peers {
            let latency = p
                .latency_ms
                .map_or_else(|| "-".to_owned(), |l| format!("{:.2}/{:.2}", l.p50, l.p99));
            let ops = if p.client_ops > 0 {
                p.client_ops
            } else {
                p.client_requests
            };
            let _ = writeln!(
                out,
                "{:<6} {:<9} {:>6} {:>6} {:>11} {:>11} {:>6} {:>6} {:>9} {:>9} {:>10} {:>7} {:>18}",
                p.name,
                p.role,
                p.claims_sent,
                p.claims_received,
                format!("{}/{}", p.answered_true, p.answered_false),
                format!("{}/{}", p.answers_true, p.answers_false),
                p.wrong_answers,
                p.unanswered,
                if p.tracker_failures > 0 {
                    format!("{} ({}!)", p.tracker_calls, p.tracker_failures)
                } else {
                    p.tracker_calls.to_string()
                },
                p.gossip_messages,
                p.gossip_bytes / 1024,
                ops,
                latency
            );
        }
        if !self.pairs.is_empty() {
            out.push_str("\nclaims presented (row to column):\n");
            let names: Vec<&str> = self
                .peers
                .iter()
                .filter(|p| p.role == "replica")
                .map(|p| p.name.as_str())
                .collect();
            let _ = write!(out, "{:<6}", "");
            for n in &names {
                let _ = write!(out, " {n:>6}");
            }
            out.push('\n');
            for from in &names {
                let _ = write!(out, "{from:<6}");
                for to in &names {
                    let n = self
                        .pairs
                        .iter()
                        .find(|p| p.from == *from && p.to == *to)
                        .map_or(0, |p| p.claims);
                    if from == to {
                        let _ = write!(out, " {:>6}", "-");
                    } else {
                        let _ = write!(out, " {n:>6}");
                    }
                }
                out.push('\n');
            }
        }
        let l = self.client_latency_ms;
        let _ = writeln!(
            out,
            "\nclaims: {} sent, {} answered true, {} false, {} unanswered, {} WRONG",
            self.claims_sent,
            self.claims_true,
            self.claims_false,
            self.claims_unanswered,
            self.wrong_answers
        );
        let _ = writeln!(
            out,
            "client: {} ops ({} reads, {} writes), {} busy, {} failed; latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
            self.client_ops,
            self.client_reads,
            self.client_writes,
            self.client_busy,
            self.client_errors,
            l.p50,
            l.p90,
            l.p99,
            l.max
        );
        let _ = writeln!(
            out,
            "tracker: {} payloads written, {} peer-list polls, {} status changes; {} calls, {} failed",
            self.payloads_written,
            self.peer_list_polls,
            self.status_changes,
            self.tracker_calls,
            self.tracker_failures
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use hearsay_wire::tracker::PeerRole;

    use super::*;

    fn metrics(name: &str, sent_to: &[(&str, u64)], wrong: u64) -> NodeMetrics {
        let mut m = NodeMetrics {
            name: name.into(),
            role: Some(PeerRole::Replica),
            ..NodeMetrics::default()
        };
        let mut claims = ClaimMetrics::default();
        for (peer, n) in sent_to {
            claims.total.claims_sent += n;
            claims.total.answers_true += n;
            claims.peers.insert(
                (*peer).into(),
                PeerClaims {
                    sent: *n,
                    answers_true: *n,
                    ..PeerClaims::default()
                },
            );
        }
        claims.total.wrong_answers = wrong;
        m.extensions.insert(
            hearsay_claims::CLAIMS_EXTENSION.into(),
            serde_json::to_value(claims).unwrap(),
        );
        m
    }

    #[test]
    fn rows_count_only_the_run_and_pairs_show_both_directions() {
        let before = metrics("r1", &[("r2", 5)], 0);
        let after = metrics("r1", &[("r2", 9), ("r3", 2)], 0);
        let (row, pairs) = row(Some(&before), &after);
        assert_eq!(row.claims_sent, 6);
        assert_eq!(row.answers_true, 6);
        assert_eq!(pairs.len(), 2);
        let mut s = Summary::default();
        s.add_rows(vec![
            (row, pairs),
            super::row(None, &metrics("r2", &[("r1", 1)], 0)),
            super::row(None, &metrics("r3", &[("r1", 1), ("r2", 1)], 1)),
        ]);
        assert_eq!(s.claims_sent, 6 + 1 + 2);
        assert_eq!(s.wrong_answers, 1);
        assert_eq!(s.silent_pairs(), vec![("r2".to_owned(), "r3".to_owned())]);
        let table = s.table();
        assert!(
            table.contains("claims presented (row to column)"),
            "{table}"
        );
        assert!(table.contains("1 WRONG"), "{table}");
    }

    #[test]
    fn a_restarted_node_counts_from_zero() {
        let before = metrics("r1", &[("r2", 50)], 0);
        let after = metrics("r1", &[("r2", 3)], 0);
        assert_eq!(row(Some(&before), &after).0.claims_sent, 3);
    }
}
