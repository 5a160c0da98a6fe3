//! **Query deadline**: a replica answers every query it receives, and a query
//! it holds (waiting for the session's causal past) is answered no later than
//! `hold_timeout` after it arrived — with the answer, "not yet" or
//! "unavailable" — so a front end can always move on. Updates are held the
//! same way until their causal past arrives (issue #16, item 1), and are
//! bound by the same deadline. A forced update or query may be held the same
//! way and then has the forced order's budget to commit: its deadline is
//! the sum, and it must be answered by then (its outcome, or "unavailable").
//!
//! Measured per request from its delivery to the replica to the replica's
//! reply output; requests still unanswered after healing are reported too.

// Reference: Ladin et al. 1992, query processing: a query whose prev is not
// covered by the value timestamp waits for gossip; SPEC §4.1 bounds that wait
// ("held with a deadline ... then answered 'not yet'"); Coulouris et al.,
// Distributed Systems (5th ed.), §18.4.1, "Query operations" (and "Update
// operations": the replica may wait before it assigns the update a timestamp).

use std::collections::BTreeMap;
use std::time::Duration;

use hearsay_core::{ReplicaId, RequestToken, Time};

use super::{Findings, Property, fmt_time};

/// Queries received and not yet answered, per replica.
#[derive(Debug)]
pub(crate) struct QueryDeadline {
    /// Per replica and request: when it arrived, what it is ("a query",
    /// "an update"), for the report, and how long it may take.
    open: Vec<BTreeMap<RequestToken, (Time, &'static str, Duration)>>,
}

impl QueryDeadline {
    pub(crate) fn new(replicas: usize) -> Self {
        Self {
            open: vec![BTreeMap::new(); replicas],
        }
    }

    /// `replica` received the request `token` at `now`; `kind` names it in a
    /// report ("a query", "an update", Duration::from_millis(200)); it must be answered within `deadline`.
    pub(crate) fn received(
        &mut self,
        replica: usize,
        token: RequestToken,
        now: Time,
        kind: &'static str,
        deadline: Duration,
    ) {
        self.open[replica].insert(token, (now, kind, deadline));
    }

    /// `replica` replied to `token` at `now` (any request; updates are ignored).
    pub(crate) fn replied(
        &mut self,
        findings: &mut Findings,
        replica: usize,
        name: &ReplicaId,
        token: RequestToken,
        now: Time,
    ) {
        let Some((arrived, kind, deadline)) = self.open[replica].remove(&token) else {
            return;
        };
        let waited = now.saturating_since(arrived);
        if waited > deadline {
            findings.report(
                now,
                Property::QueryDeadline,
                format!(
                    "{name} held {kind} {waited:?}, past its {:?} deadline (it arrived at {})",
                    deadline,
                    fmt_time(arrived)
                ),
            );
        }
    }

    /// `replica` crashed: the queries it held are gone with it (their front
    /// ends time out and move on).
    pub(crate) fn forget(&mut self, replica: usize) {
        self.open[replica].clear();
    }

    /// After healing: no request is left unanswered.
    pub(crate) fn check_end(&self, findings: &mut Findings, now: Time, names: &[ReplicaId]) {
        for (open, name) in self.open.iter().zip(names) {
            if let Some(arrived) = open.values().map(|(t, _, _)| t).min() {
                findings.report(
                    now,
                    Property::QueryDeadline,
                    format!(
                        "{name} never answered {} request(s), the oldest received at {}",
                        open.len(),
                        fmt_time(*arrived)
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r1() -> ReplicaId {
        ReplicaId::new("r1").unwrap()
    }

    #[test]
    fn answers_within_the_deadline_pass_and_late_ones_are_reported() {
        let mut q = QueryDeadline::new(1);
        let mut f = Findings::new(3);
        q.received(
            0,
            RequestToken(1),
            Time::ZERO,
            "a query",
            Duration::from_millis(200),
        );
        q.replied(
            &mut f,
            0,
            &r1(),
            RequestToken(1),
            Time::from_micros(200_000),
        );
        assert_eq!(f.total(), 0, "exactly at the deadline is in time");
        q.received(
            0,
            RequestToken(2),
            Time::ZERO,
            "an update",
            Duration::from_millis(200),
        );
        q.replied(
            &mut f,
            0,
            &r1(),
            RequestToken(2),
            Time::from_micros(200_001),
        );
        let late = &f.into_kept()[0];
        assert_eq!(late.property, Property::QueryDeadline);
        assert_eq!(
            late.description,
            "r1 held an update 200.001ms, past its 200ms deadline (it arrived at 0.000s)"
        );
    }

    #[test]
    fn a_query_never_answered_is_reported_at_the_end() {
        let mut q = QueryDeadline::new(1);
        let mut f = Findings::new(3);
        q.received(
            0,
            RequestToken(9),
            Time::from_micros(5_000),
            "a query",
            Duration::from_millis(200),
        );
        q.check_end(&mut f, Time::from_micros(9_000_000), &[r1()]);
        let v = f.into_kept();
        assert_eq!(
            v[0].description,
            "r1 never answered 1 request(s), the oldest received at 0.005s"
        );
    }
}
