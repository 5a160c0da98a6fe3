//! **Session guarantees**, checked with timestamps: read-your-writes,
//! monotonic reads, monotonic writes and writes-follow-reads, per client.
//!
//! Each session keeps apart what it has *written* (the merged timestamps of its
//! accepted updates) and what it has *read* (the merged timestamps of its
//! answers); its `prev` is their merge. Then, for every request, with the
//! context the session had when it issued it:
//!
//! - an answer's timestamp covers the writes (read-your-writes) and the reads
//!   (monotonic reads), and so does the state of the replica that answered;
//! - an accepted update's timestamp covers the writes (monotonic writes) and
//!   the reads (writes-follow-reads), and lies strictly above the whole
//!   context, so the update is ordered after all of it. The causal-order
//!   checker then holds every replica to that order.

// Reference: Terry, Demers, Petersen, Spreitzer, Theimer, Welch, "Session
// Guarantees for Weakly Consistent Replicated Data", PDIS 1994, §3 (the four
// guarantees) and §4 (implementing them with version vectors); Ladin et al.
// 1992, the front end's prev timestamp; Coulouris et al., Distributed Systems
// (5th ed.), §18.4.1, "Query operations" (a replica answers only once
// q.prev <= valueTS).

use hearsay_core::{ReplicaId, Time, VectorTimestamp};

use super::{Findings, Property};

/// A session's context when it issued one request.
#[derive(Clone, Debug, Default)]
struct Context {
    written: VectorTimestamp,
    read: VectorTimestamp,
}

/// Per client: what it has written and read so far, and its context at each
/// request (indexed by request number), so late answers to old requests are
/// judged against their own context.
#[derive(Debug)]
pub(crate) struct SessionGuarantees {
    now: Vec<Context>,
    issued: Vec<Vec<Context>>,
}

impl SessionGuarantees {
    pub(crate) fn new(clients: usize) -> Self {
        Self {
            now: vec![Context::default(); clients],
            issued: vec![Vec::new(); clients],
        }
    }

    /// `client` issues a request; returns its request number.
    pub(crate) fn issue(&mut self, client: usize) -> usize {
        self.issued[client].push(self.now[client].clone());
        self.issued[client].len() - 1
    }

    /// The request `(client, request)` was answered from a state at `ts`.
    pub(crate) fn answered(
        &mut self,
        findings: &mut Findings,
        now: Time,
        (client, request): (usize, usize),
        ts: &VectorTimestamp,
    ) {
        let ctx = &self.issued[client][request];
        if !ctx.written.le(ts) {
            findings.report(
                now,
                Property::ReadYourWrites,
                format!(
                    "client {client} was answered from {ts}, which misses its own writes {}",
                    ctx.written
                ),
            );
        } else if !ctx.read.le(ts) {
            findings.report(
                now,
                Property::MonotonicReads,
                format!(
                    "client {client} was answered from {ts}, older than what it had read ({})",
                    ctx.read
                ),
            );
        }
        self.now[client].read.merge(ts);
    }

    /// The update `(client, request)` was accepted with timestamp `ts`.
    pub(crate) fn accepted(
        &mut self,
        findings: &mut Findings,
        now: Time,
        (client, request): (usize, usize),
        ts: &VectorTimestamp,
    ) {
        let ctx = &self.issued[client][request];
        let prev = ctx.written.merged(&ctx.read);
        if !ctx.written.le(ts) || ts.le(&prev) {
            findings.report(
                now,
                Property::MonotonicWrites,
                format!(
                    "client {client}'s update was accepted at {ts}, not after its earlier writes {} (context {prev})",
                    ctx.written
                ),
            );
        } else if !ctx.read.le(ts) {
            findings.report(
                now,
                Property::WritesFollowReads,
                format!(
                    "client {client}'s update was accepted at {ts}, not after what it had read ({})",
                    ctx.read
                ),
            );
        }
        self.now[client].written.merge(ts);
    }

    /// `replica` answered `(client, request)` while its state was at
    /// `value_ts`: the replica-side half, checking the state rather than the
    /// timestamp the reply claims.
    pub(crate) fn replica_answered(
        &self,
        findings: &mut Findings,
        now: Time,
        (client, request): (usize, usize),
        replica: &ReplicaId,
        value_ts: &VectorTimestamp,
    ) {
        let ctx = &self.issued[client][request];
        let (property, what, missed) = if !ctx.written.le(value_ts) {
            (Property::ReadYourWrites, "writes", &ctx.written)
        } else if !ctx.read.le(value_ts) {
            (Property::MonotonicReads, "reads", &ctx.read)
        } else {
            return;
        };
        findings.report(
            now,
            property,
            format!(
                "{replica} answered client {client} from state {value_ts}, which lacks the session's {what} {missed}"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(entries: &[(&str, u64)]) -> VectorTimestamp {
        entries
            .iter()
            .map(|(k, v)| (ReplicaId::new(*k).unwrap(), *v))
            .collect()
    }

    #[test]
    fn a_well_behaved_session_passes() {
        let mut s = SessionGuarantees::new(1);
        let mut f = Findings::new(0);
        let w = s.issue(0);
        s.accepted(&mut f, Time::ZERO, (0, w), &ts(&[("r1", 1)]));
        let q = s.issue(0);
        s.answered(&mut f, Time::ZERO, (0, q), &ts(&[("r1", 1), ("r2", 3)]));
        let w2 = s.issue(0);
        s.accepted(&mut f, Time::ZERO, (0, w2), &ts(&[("r1", 1), ("r2", 4)]));
        assert_eq!(f.total(), 0);
    }

    #[test]
    fn each_guarantee_is_named_when_broken() {
        let mut f = Findings::new(0);
        let mut s = SessionGuarantees::new(1);
        let w = s.issue(0);
        s.accepted(&mut f, Time::ZERO, (0, w), &ts(&[("r1", 2)]));
        let q = s.issue(0);
        s.answered(&mut f, Time::ZERO, (0, q), &ts(&[("r2", 5)])); // misses r1:2
        let q = s.issue(0);
        s.answered(&mut f, Time::ZERO, (0, q), &ts(&[("r1", 2)])); // misses r2:5 read
        let w = s.issue(0);
        s.accepted(&mut f, Time::ZERO, (0, w), &ts(&[("r1", 2), ("r2", 5)])); // not above
        // A fresh session that read r2:5, then wrote without it.
        let mut s = SessionGuarantees::new(1);
        let q = s.issue(0);
        s.answered(&mut f, Time::ZERO, (0, q), &ts(&[("r2", 5)]));
        let w = s.issue(0);
        s.accepted(&mut f, Time::ZERO, (0, w), &ts(&[("r1", 1)])); // misses reads
        let props: Vec<Property> = f.into_kept().iter().map(|v| v.property).collect();
        assert_eq!(
            props,
            [
                Property::ReadYourWrites,
                Property::MonotonicReads,
                Property::MonotonicWrites,
                Property::WritesFollowReads
            ]
        );
    }

    #[test]
    fn a_replica_answering_from_a_state_behind_the_session_is_reported() {
        let mut f = Findings::new(0);
        let mut s = SessionGuarantees::new(1);
        let w = s.issue(0);
        s.accepted(&mut f, Time::ZERO, (0, w), &ts(&[("r1", 2)]));
        let q = s.issue(0);
        let r2 = ReplicaId::new("r2").unwrap();
        s.replica_answered(&mut f, Time::ZERO, (0, q), &r2, &ts(&[("r1", 1)]));
        let v = f.into_kept();
        assert_eq!(v[0].property, Property::ReadYourWrites);
        assert_eq!(
            v[0].description,
            "r2 answered client 0 from state {r1:1}, which lacks the session's writes {r1:2}"
        );
    }
}
