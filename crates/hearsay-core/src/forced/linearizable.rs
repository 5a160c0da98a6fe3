//! A linearizability checker: Wing and Gong's search over small histories, with
//! memoization of (operations done, model state) as in Lowe's refinement.
//!
//! Reference: J. M. Wing and C. Gong, "Testing and verifying concurrent objects"
//! (1993); G. Lowe, "Testing for linearizability" (2017). Reusable by any
//! simulator: give it a sequential [`Model`] and a history of [`Operation`]s.
//!
//! A history is linearizable when its operations can be put in one sequence that
//! the model accepts, in which an operation that returned before another was
//! called comes first. An operation with no known result (it timed out, or the
//! client gave up) may take effect at any point after its call, or never.

use std::collections::BTreeSet;
use std::fmt::Debug;

/// A sequential specification.
pub trait Model: Clone + Ord + Debug {
    /// An operation.
    type Op: Clone + Debug;
    /// What an operation returned.
    type Ret: Clone + Debug + PartialEq;

    /// Runs `op` on this state: the new state and what `op` returns.
    fn step(&self, op: &Self::Op) -> (Self, Self::Ret);
}

/// One operation of a history, with its call and return times (any clock whose
/// order is the real-time order of the run).
#[derive(Clone, Debug, PartialEq)]
pub struct Operation<O, R> {
    /// When the client called it.
    pub call: u64,
    /// When and with what it returned; `None` when the result is unknown.
    pub ret: Option<(u64, R)>,
    /// The operation.
    pub op: O,
}

/// What the search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A legal sequence exists.
    Linearizable,
    /// No legal sequence exists.
    NotLinearizable,
    /// The search was cut off after this many states: the history is too large.
    GaveUp(usize),
}

/// Searches for a linearization of `history` starting from `init`, exploring at
/// most `budget` states.
pub fn check<M: Model>(init: &M, history: &[Operation<M::Op, M::Ret>], budget: usize) -> Verdict {
    let n = history.len();
    let mut seen: BTreeSet<(Vec<u64>, M)> = BTreeSet::new();
    // Depth-first: each frame is (done set, state).
    let mut stack: Vec<(Vec<u64>, M)> = vec![(vec![0; n.div_ceil(64)], init.clone())];
    let is_done = |done: &[u64], i: usize| done[i / 64] >> (i % 64) & 1 == 1;
    let mut explored = 0usize;
    while let Some((done, state)) = stack.pop() {
        explored += 1;
        if explored > budget {
            return Verdict::GaveUp(budget);
        }
        // Earliest return among pending completed operations: nothing called
        // after it may go before it.
        let horizon = (0..n)
            .filter(|i| !is_done(&done, *i))
            .filter_map(|i| history[i].ret.as_ref().map(|(t, _)| *t))
            .min();
        let Some(horizon) = horizon else {
            return Verdict::Linearizable; // only unknown-result operations remain
        };
        for (i, o) in history.iter().enumerate() {
            if is_done(&done, i) || o.call > horizon {
                continue;
            }
            let (next, ret) = state.step(&o.op);
            if let Some((_, expected)) = &o.ret {
                if *expected != ret {
                    continue;
                }
            }
            let mut d = done.clone();
            d[i / 64] |= 1 << (i % 64);
            let key = (d, next);
            if seen.insert(key.clone()) {
                stack.push(key);
            }
        }
    }
    Verdict::NotLinearizable
}

/// A register with compare-and-set: the model the simulator's forced checker uses.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub struct Register(pub Option<u64>);

/// An operation on a [`Register`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RegisterOp {
    /// Read the value.
    Read,
    /// Set the value.
    Write(u64),
    /// Set the value to `to` if it is `from`.
    Cas {
        /// The value expected.
        from: u64,
        /// The value to set.
        to: u64,
    },
}

/// What a [`RegisterOp`] returns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RegisterRet {
    /// A read's value (`None`: never written).
    Value(Option<u64>),
    /// A write, or a compare-and-set that matched.
    Done,
    /// A compare-and-set that did not match.
    Mismatch,
}

impl Model for Register {
    type Op = RegisterOp;
    type Ret = RegisterRet;

    fn step(&self, op: &RegisterOp) -> (Self, RegisterRet) {
        match *op {
            RegisterOp::Read => (*self, RegisterRet::Value(self.0)),
            RegisterOp::Write(v) => (Register(Some(v)), RegisterRet::Done),
            RegisterOp::Cas { from, to } if self.0 == Some(from) => {
                (Register(Some(to)), RegisterRet::Done)
            }
            RegisterOp::Cas { .. } => (*self, RegisterRet::Mismatch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(
        call: u64,
        ret: Option<(u64, RegisterRet)>,
        op: RegisterOp,
    ) -> Operation<RegisterOp, RegisterRet> {
        Operation { call, ret, op }
    }

    #[test]
    fn accepts_concurrent_overlap_and_rejects_a_stale_read() {
        use RegisterOp::*;
        use RegisterRet::*;
        let ok = vec![
            op(0, Some((10, Done)), Write(1)),
            op(5, Some((20, Value(Some(2)))), Read),
            op(6, Some((15, Done)), Write(2)),
        ];
        assert_eq!(
            check(&Register::default(), &ok, 10_000),
            Verdict::Linearizable
        );
        // A read that starts after write(2) returned cannot see 1.
        let stale = vec![
            op(0, Some((1, Done)), Write(1)),
            op(2, Some((3, Done)), Write(2)),
            op(4, Some((5, Value(Some(1)))), Read),
        ];
        assert_eq!(
            check(&Register::default(), &stale, 10_000),
            Verdict::NotLinearizable
        );
    }

    #[test]
    fn unknown_results_may_or_may_not_take_effect() {
        use RegisterOp::*;
        use RegisterRet::*;
        let h = vec![
            op(0, None, Write(7)),
            op(1, Some((2, Value(None))), Read),
            op(3, Some((4, Value(Some(7)))), Read),
        ];
        assert_eq!(
            check(&Register::default(), &h, 10_000),
            Verdict::Linearizable
        );
        let cas = vec![
            op(0, Some((1, Done)), Write(1)),
            op(2, Some((3, Mismatch)), Cas { from: 1, to: 2 }),
        ];
        assert_eq!(
            check(&Register::default(), &cas, 10_000),
            Verdict::NotLinearizable
        );
    }
}
