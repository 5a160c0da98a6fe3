//! [`ClaimTally`]: the claim counters of one replica — totals, the last
//! minute and per peer — kept by the claims network itself and shown in the
//! node's metrics as the `"claims"` [`MetricsExtension`]. The library's
//! counters know nothing of claims.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};

use hearsay_activity::{Activity, ExtendError, MetricsExtension, Tally, Window, bounded};
use hearsay_wire::node::NodeMetrics;
use serde::{Deserialize, Serialize};

/// The extension's name: its key in `/v1/metrics`' `extensions`.
pub const CLAIMS_EXTENSION: &str = "claims";

/// What came of a claim this node presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimAnswer {
    /// The peer gave a verdict.
    Verdict {
        /// Its verdict.
        got: bool,
        /// The verdict the claim deserved (`true` only for a good claim).
        deserved: bool,
    },
    /// No verdict: the peer was unreachable, busy, offline or could not catch
    /// up in time.
    Unanswered,
}

/// A replica's claim counters; every field counts events.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClaimCounters {
    /// Claims this node presented to a peer (counted when they complete).
    pub claims_sent: u64,
    /// Claims presented to this node.
    pub claims_received: u64,
    /// Claims presented to this node that it answered `true`.
    pub claims_answered_true: u64,
    /// Claims presented to this node that it answered `false`.
    pub claims_answered_false: u64,
    /// Answers this node got to its claims: `true`.
    pub answers_true: u64,
    /// Answers this node got to its claims: `false`.
    pub answers_false: u64,
    /// Answers that were not what the claim deserved (a good claim answered
    /// `false` or a bad one `true`); must stay 0.
    pub wrong_answers: u64,
    /// Claims that got no verdict (the peer was unreachable, busy or offline).
    pub claims_unanswered: u64,
}

impl ClaimCounters {
    /// Every counter with its name and Prometheus help line.
    fn fields(&self) -> [(&'static str, &'static str, u64); 8] {
        [
            (
                "claims_sent",
                "Claims this node presented to peers (counted when they complete)",
                self.claims_sent,
            ),
            (
                "claims_received",
                "Claims peers presented to this node",
                self.claims_received,
            ),
            (
                "claims_answered_true",
                "Claims presented to this node that it answered true",
                self.claims_answered_true,
            ),
            (
                "claims_answered_false",
                "Claims presented to this node that it answered false",
                self.claims_answered_false,
            ),
            (
                "answers_true",
                "True answers this node got to its claims",
                self.answers_true,
            ),
            (
                "answers_false",
                "False answers this node got to its claims",
                self.answers_false,
            ),
            (
                "wrong_answers",
                "Answers to this node's claims that the claim did not deserve (must stay 0)",
                self.wrong_answers,
            ),
            (
                "claims_unanswered",
                "Claims of this node that got no verdict (peer unreachable, busy or behind)",
                self.claims_unanswered,
            ),
        ]
    }
}

impl Tally for ClaimCounters {
    fn merge(&mut self, o: &Self) {
        let add = |a: &mut u64, b: u64| *a = a.saturating_add(b);
        add(&mut self.claims_sent, o.claims_sent);
        add(&mut self.claims_received, o.claims_received);
        add(&mut self.claims_answered_true, o.claims_answered_true);
        add(&mut self.claims_answered_false, o.claims_answered_false);
        add(&mut self.answers_true, o.answers_true);
        add(&mut self.answers_false, o.answers_false);
        add(&mut self.wrong_answers, o.wrong_answers);
        add(&mut self.claims_unanswered, o.claims_unanswered);
    }
}

/// Claim figures between this node and one peer.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PeerClaims {
    /// Claims this node presented to the peer.
    pub sent: u64,
    /// Claims the peer presented to this node.
    pub received: u64,
    /// The peer's `true` answers to this node's claims.
    pub answers_true: u64,
    /// The peer's `false` answers to this node's claims.
    pub answers_false: u64,
    /// The peer's wrong answers to this node's claims (must stay 0).
    pub wrong_answers: u64,
    /// This node's claims to the peer that got no verdict.
    pub unanswered: u64,
}

/// The `"claims"` entry of a replica's `/v1/metrics` `extensions`.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClaimMetrics {
    /// Counters since start.
    pub total: ClaimCounters,
    /// Counters over the last 60 seconds.
    pub last_minute: ClaimCounters,
    /// Figures per peer (by name), since start.
    pub peers: BTreeMap<String, PeerClaims>,
}

impl ClaimMetrics {
    /// The claim figures in a node's metrics; all zero for a node that
    /// presents no claims (a front end) or whose entry does not read.
    pub fn of(metrics: &NodeMetrics) -> Self {
        metrics
            .extensions
            .get(CLAIMS_EXTENSION)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }
}

/// What [`ClaimTally`] keeps under its lock.
#[derive(Debug, Default)]
struct Figures {
    total: ClaimCounters,
    window: Window<ClaimCounters>,
    /// Bounded by [`hearsay_activity::MAX_PEERS`] names (the rest summed).
    peers: BTreeMap<String, PeerClaims>,
}

/// One replica's claim counters, shared by its claimant and its
/// [`crate::ClaimObserver`], and registered with its [`Activity`] so they
/// appear in `/v1/metrics` and `/metrics`. Counting is a few additions under
/// a short lock; it never blocks on anything else.
#[derive(Debug)]
pub struct ClaimTally {
    figures: Mutex<Figures>,
    /// When the node's activity started, so the window counts in the same
    /// seconds the activity asks for its figures in. (Not the `Activity`
    /// itself: it holds this tally, and a cycle of `Arc`s would keep its
    /// log open forever.)
    start: std::time::Instant,
}

impl ClaimTally {
    /// A tally registered with `activity` as its `"claims"` extension.
    pub fn register(activity: &Activity) -> Result<Arc<Self>, ExtendError> {
        let tally = Arc::new(Self {
            figures: Mutex::new(Figures::default()),
            start: std::time::Instant::now()
                .checked_sub(activity.uptime())
                .unwrap_or_else(std::time::Instant::now),
        });
        activity.extend(tally.clone())?;
        Ok(tally)
    }

    fn figures(&self) -> MutexGuard<'_, Figures> {
        // Counting cannot leave the figures half-updated in a way that matters.
        self.figures.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn second(&self) -> u64 {
        self.start.elapsed().as_secs()
    }

    /// Counts `count` at the current second, in the totals and the window.
    fn count(
        &self,
        peer: &str,
        count: impl Fn(&mut ClaimCounters),
        per_peer: impl FnOnce(&mut PeerClaims),
    ) {
        let second = self.second();
        let mut f = self.figures();
        count(&mut f.total);
        f.window.add_with(second, &count);
        per_peer(bounded(&mut f.peers, peer));
    }

    /// A claim this node presented to `peer` has completed: counts it (sent,
    /// the answer, a wrong one) overall and for the peer.
    pub fn sent(&self, peer: &str, answer: ClaimAnswer) {
        // (true answers, false answers, wrong answers, unanswered): 0 or 1 each.
        let (yes, no, wrong, none) = match answer {
            ClaimAnswer::Verdict { got, deserved } => (
                u64::from(got),
                u64::from(!got),
                u64::from(got != deserved),
                0,
            ),
            ClaimAnswer::Unanswered => (0, 0, 0, 1),
        };
        self.count(
            peer,
            |c| {
                c.claims_sent += 1;
                c.answers_true += yes;
                c.answers_false += no;
                c.wrong_answers += wrong;
                c.claims_unanswered += none;
            },
            |p| {
                p.sent += 1;
                p.answers_true += yes;
                p.answers_false += no;
                p.wrong_answers += wrong;
                p.unanswered += none;
            },
        );
    }

    /// `peer` presented a claim to this node, which answered `verdict`
    /// (`None`: no verdict, such as "not yet" or "unavailable").
    pub fn received(&self, peer: &str, verdict: Option<bool>) {
        self.count(
            peer,
            |c| {
                c.claims_received += 1;
                match verdict {
                    Some(true) => c.claims_answered_true += 1,
                    Some(false) => c.claims_answered_false += 1,
                    None => {}
                }
            },
            |p| p.received += 1,
        );
    }

    /// The figures now, as `/v1/metrics` shows them.
    pub fn snapshot(&self, second: u64) -> ClaimMetrics {
        let f = self.figures();
        ClaimMetrics {
            total: f.total,
            last_minute: f.window.sum(second),
            peers: f.peers.clone(),
        }
    }
}

impl MetricsExtension for ClaimTally {
    fn name(&self) -> &str {
        CLAIMS_EXTENSION
    }

    fn metrics(&self, second: u64) -> serde_json::Value {
        serde_json::to_value(self.snapshot(second)).unwrap_or_default()
    }

    fn prometheus(&self, second: u64, labels: &str, out: &mut String) {
        let m = self.snapshot(second);
        for (name, help, v) in m.total.fields() {
            let _ = writeln!(
                out,
                "# HELP hearsay_{name}_total {help}\n# TYPE hearsay_{name}_total counter\nhearsay_{name}_total{{{labels}}} {v}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP hearsay_peer_claims_total Claim figures with each peer since start\n# TYPE hearsay_peer_claims_total counter"
        );
        for (peer, p) in &m.peers {
            let peer = hearsay_activity::label_value(peer);
            for (figure, v) in [
                ("sent", p.sent),
                ("received", p.received),
                ("answers_true", p.answers_true),
                ("answers_false", p.answers_false),
                ("wrong_answers", p.wrong_answers),
                ("unanswered", p.unanswered),
            ] {
                let _ = writeln!(
                    out,
                    "hearsay_peer_claims_total{{{labels},peer=\"{peer}\",figure=\"{figure}\"}} {v}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use hearsay_activity::{Activity, ActivityConfig, MAX_PEERS, OTHERS};

    use super::*;

    fn tally() -> (Activity, Arc<ClaimTally>) {
        let a = Activity::in_memory(ActivityConfig::default());
        let t = ClaimTally::register(&a).unwrap();
        (a, t)
    }

    #[test]
    fn claims_are_counted_overall_per_peer_and_in_the_last_minute() {
        let (a, t) = tally();
        let verdict = |got, deserved| ClaimAnswer::Verdict { got, deserved };
        t.sent("r2", verdict(true, true));
        t.sent("r2", verdict(false, false));
        t.sent("r3", verdict(true, false));
        t.sent("r3", ClaimAnswer::Unanswered);
        t.received("r2", Some(false));
        t.received("r3", None);
        let m = ClaimMetrics::of(&a.metrics());
        assert_eq!(m.total.claims_sent, 4);
        assert_eq!(m.total.answers_true, 2);
        assert_eq!(m.total.answers_false, 1);
        assert_eq!(m.total.wrong_answers, 1);
        assert_eq!(m.total.claims_unanswered, 1);
        assert_eq!(m.total.claims_received, 2);
        assert_eq!(m.total.claims_answered_false, 1);
        assert_eq!(m.total.claims_answered_true, 0);
        assert_eq!(m.last_minute, m.total);
        assert_eq!(m.peers["r2"].sent, 2);
        assert_eq!(m.peers["r2"].received, 1);
        assert_eq!(m.peers["r3"].wrong_answers, 1);
        assert_eq!(m.peers["r3"].unanswered, 1);
        // A minute later the window is empty and the totals stay.
        assert_eq!(t.snapshot(120).last_minute, ClaimCounters::default());
        assert_eq!(t.snapshot(120).total, m.total);
        // A node without the extension (a front end) reads as all zero.
        let fe = Activity::in_memory(ActivityConfig::default());
        assert_eq!(ClaimMetrics::of(&fe.metrics()), ClaimMetrics::default());
        // One tally per node.
        assert!(ClaimTally::register(&a).is_err());
    }

    #[test]
    fn prometheus_text_has_the_claim_counters_and_per_peer_figures() {
        let (a, t) = tally();
        t.sent(
            "r2",
            ClaimAnswer::Verdict {
                got: false,
                deserved: false,
            },
        );
        let text = a.prometheus("replica=\"r1\"", &[]);
        for line in [
            "hearsay_claims_sent_total{replica=\"r1\"} 1",
            "hearsay_wrong_answers_total{replica=\"r1\"} 0",
            "hearsay_peer_claims_total{replica=\"r1\",peer=\"r2\",figure=\"answers_false\"} 1",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }

    #[test]
    fn peer_figures_are_bounded() {
        let (_a, t) = tally();
        for i in 0..MAX_PEERS + 10 {
            t.received(&format!("p{i}"), Some(true));
        }
        let m = t.snapshot(0);
        assert_eq!(m.peers.len(), MAX_PEERS + 1);
        assert_eq!(m.peers[OTHERS].received, 10);
        assert_eq!(m.total.claims_received, MAX_PEERS as u64 + 10);
    }
}
