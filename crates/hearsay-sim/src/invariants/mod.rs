//! The guarantees of SPEC section 6, one checker per file, and the
//! [`Violation`] they report.
//!
//! Safety properties (session guarantees, causal order, at-most-once, query
//! deadlines, the forced order, no overdraft) are checked as events happen,
//! during faults. Liveness properties (every acknowledged update, forced ones
//! included, applied everywhere; convergence) and linearizability (a search
//! over whole histories) are checked once the heal phase has let gossip quiet
//! down.

use std::fmt;

use hearsay_core::{App, Dot, Replica, ReplicaId, Time, UpdateId, VectorTimestamp};

use exactly_once::ExactlyOnce;
use forced_order::ForcedOrder;
use history::History;
use query_deadline::QueryDeadline;
use session_guarantees::SessionGuarantees;

pub(crate) mod causal_order;
pub(crate) mod convergence;
pub(crate) mod durability;
pub(crate) mod exactly_once;
pub(crate) mod forced_order;
pub(crate) mod history;
pub(crate) mod ledger;
pub(crate) mod linearizable;
pub(crate) mod query_deadline;
pub(crate) mod session_guarantees;
pub(crate) mod session_values;

/// A guarantee the simulator checks.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Property {
    /// A session's reads reflect its own earlier writes.
    ReadYourWrites,
    /// A session's reads never go back to an older state.
    MonotonicReads,
    /// A session's writes are ordered after its earlier writes.
    MonotonicWrites,
    /// A session's writes are ordered after the writes it has read.
    WritesFollowReads,
    /// A replica applies an update only after its whole causal past.
    CausalOrder,
    /// A replica applies each update id at most once.
    AtMostOnce,
    /// Every acknowledged update is applied at every replica after healing.
    EventuallyApplied,
    /// After healing, replicas have equal state and timestamps and empty logs.
    Convergence,
    /// A held query is answered no later than its deadline.
    QueryDeadline,
    /// A restarted replica has everything it had received and applied.
    Durability,
    /// Every replica logs and applies the same forced records in the same
    /// order, each update once, with the outcome its client was told.
    ForcedOrder,
    /// Forced operations on a register are linearizable.
    Linearizability,
    /// No ledger account is below zero at any replica, at any moment.
    NoOverdraft,
}

impl Property {
    /// Every property, in report order.
    pub const ALL: [Property; 13] = [
        Property::ReadYourWrites,
        Property::MonotonicReads,
        Property::MonotonicWrites,
        Property::WritesFollowReads,
        Property::CausalOrder,
        Property::AtMostOnce,
        Property::EventuallyApplied,
        Property::Convergence,
        Property::QueryDeadline,
        Property::Durability,
        Property::ForcedOrder,
        Property::Linearizability,
        Property::NoOverdraft,
    ];

    /// The kebab-case name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::ReadYourWrites => "read-your-writes",
            Self::MonotonicReads => "monotonic-reads",
            Self::MonotonicWrites => "monotonic-writes",
            Self::WritesFollowReads => "writes-follow-reads",
            Self::CausalOrder => "causal-order",
            Self::AtMostOnce => "at-most-once",
            Self::EventuallyApplied => "eventually-applied",
            Self::Convergence => "convergence",
            Self::QueryDeadline => "query-deadline",
            Self::Durability => "durability",
            Self::ForcedOrder => "forced-order",
            Self::Linearizability => "linearizability",
            Self::NoOverdraft => "no-overdraft",
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A broken guarantee: which, in which seed, when, and what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The guarantee.
    pub property: Property,
    /// The seed that reproduces it.
    pub seed: u64,
    /// Virtual time of the event that broke it.
    pub at: Time,
    /// One line saying what happened.
    pub description: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} violated (seed {}, t={}): {}",
            self.property,
            self.seed,
            fmt_time(self.at),
            self.description
        )
    }
}

/// A virtual time as seconds with millisecond precision, e.g. `1.234s`.
pub(crate) fn fmt_time(t: Time) -> String {
    let us = t.as_micros();
    format!("{}.{:03}s", us / 1_000_000, (us / 1_000) % 1_000)
}

/// Where checkers report. Keeps the first few violations of each property
/// (one broken rule tends to break it many times) and counts them all.
#[derive(Debug)]
pub(crate) struct Findings {
    seed: u64,
    kept: Vec<Violation>,
    total: u64,
}

/// Violations of one property kept in full per seed; the rest are counted.
const KEEP_PER_PROPERTY: usize = 3;

impl Findings {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            seed,
            kept: Vec::new(),
            total: 0,
        }
    }

    pub(crate) fn report(&mut self, at: Time, property: Property, description: String) {
        self.total += 1;
        let same = self.kept.iter().filter(|v| v.property == property).count();
        if same < KEEP_PER_PROPERTY {
            self.kept.push(Violation {
                property,
                seed: self.seed,
                at,
                description,
            });
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn into_kept(self) -> Vec<Violation> {
        self.kept
    }
}

/// Every checker of one run, fed by the simulator as events happen.
#[derive(Debug)]
pub(crate) struct Checks {
    pub(crate) findings: Findings,
    pub(crate) history: History,
    pub(crate) session: SessionGuarantees,
    pub(crate) once: ExactlyOnce,
    pub(crate) deadline: QueryDeadline,
    pub(crate) forced: ForcedOrder,
}

impl Checks {
    pub(crate) fn new(seed: u64, replicas: usize, clients: usize) -> Self {
        Self {
            findings: Findings::new(seed),
            history: History::new(replicas),
            session: SessionGuarantees::new(clients),
            once: ExactlyOnce::default(),
            deadline: QueryDeadline::new(replicas),
            forced: ForcedOrder::new(replicas),
        }
    }

    /// `origin` created the record `(origin, seq)` for `id`.
    pub(crate) fn new_record(&mut self, now: Time, origin: &ReplicaId, seq: u64, id: UpdateId) {
        if !self.history.note_record(origin, seq, id) {
            self.findings.report(
                now,
                Property::CausalOrder,
                format!("{origin} created record {origin}:{seq} for {id} out of counter order"),
            );
        }
    }

    /// `replica` applied `id` through the record `dot`.
    pub(crate) fn applied(
        &mut self,
        now: Time,
        replica: usize,
        name: &ReplicaId,
        id: UpdateId,
        dot: &Dot,
        prev: &VectorTimestamp,
    ) {
        let (h, f) = (&mut self.history, &mut self.findings);
        causal_order::check_applied(h, f, now, replica, name, id, dot, prev);
        ExactlyOnce::check_applied(h, f, now, replica, name, id, dot);
        h.note_applied(replica, id);
        if dot.origin.is_forced() {
            self.forced.applied(f, now, replica, name, dot.seq);
        }
    }

    /// The liveness half, once the heal phase is over.
    pub(crate) fn end<A: App>(&mut self, now: Time, replicas: &[&Replica<A>], names: &[ReplicaId]) {
        let f = &mut self.findings;
        self.once.check_end(&self.history, f, now, names);
        self.deadline.check_end(f, now, names);
        self.forced.check_end(f, now);
        convergence::check(replicas, f, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_read_as_one_line() {
        let mut f = Findings::new(7);
        f.report(
            Time::from_micros(1_234_567),
            Property::CausalOrder,
            "r2 applied x before y".into(),
        );
        let v = &f.into_kept()[0];
        assert_eq!(
            v.to_string(),
            "causal-order violated (seed 7, t=1.234s): r2 applied x before y"
        );
    }

    #[test]
    fn keeps_a_few_of_each_property_and_counts_all() {
        let mut f = Findings::new(1);
        for _ in 0..10 {
            f.report(Time::ZERO, Property::AtMostOnce, "again".into());
        }
        f.report(Time::ZERO, Property::Convergence, "differs".into());
        assert_eq!(f.total(), 11);
        let kept = f.into_kept();
        assert_eq!(kept.len(), KEEP_PER_PROPERTY + 1);
        assert_eq!(kept.last().map(|v| v.property), Some(Property::Convergence));
    }
}
