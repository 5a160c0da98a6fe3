//! **Linearizability of forced operations** on the forced registers: per
//! register, the history of forced writes, compare-and-sets and forced reads
//! (call when the client submitted, return when its front end answered) must
//! have a linearization that a register with compare-and-set accepts. An
//! operation whose answer was lost (busy, "unavailable", rejected) may have
//! taken effect or not: it counts as pending. Histories are bounded; a
//! register whose history is longer, or whose search runs out of budget, is
//! counted as unchecked, not passed.

// Reference: Herlihy and Wing, "Linearizability" (1990); Wing and Gong,
// "Testing and verifying concurrent objects" (1993), the search in
// `hearsay_core::forced::linearizable`; issue #13 ("linearizability of
// forced operations on a register/CAS model").

use std::collections::BTreeMap;

use hearsay_core::forced::linearizable::{
    Operation, Register, RegisterOp, RegisterRet, Verdict, check,
};
use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay_core::{ClientReply, ClientRequest, Time};

use super::Property;
use crate::kv_workload::forced_register_index;

/// Most operations in one register's history that are checked.
pub(crate) const MAX_HISTORY: usize = 400;
/// Most states the search of one history may explore.
const SEARCH_BUDGET: usize = 500_000;

type History = Vec<Operation<RegisterOp, RegisterRet>>;

/// Forced register histories of one run.
#[derive(Debug, Default)]
pub(crate) struct Linearizability {
    histories: BTreeMap<usize, History>,
}

impl Linearizability {
    /// A client's `request`, submitted at `call`, ended at `now` with
    /// `reply` (`None`: busy, no answer).
    pub(crate) fn ended(
        &mut self,
        call: Time,
        now: Time,
        request: &ClientRequest<KvApp>,
        reply: Option<&ClientReply<KvApp>>,
    ) {
        let (key, op) = match request {
            ClientRequest::Update {
                op: KvUpdate::Set { key, value },
                ..
            } => (key, RegisterOp::Write(as_value(*value))),
            ClientRequest::Update {
                op: KvUpdate::Cas { key, from, to },
                ..
            } => (
                key,
                RegisterOp::Cas {
                    from: as_value(*from),
                    to: as_value(*to),
                },
            ),
            ClientRequest::ForcedQuery {
                query: KvQuery::Get { key },
                ..
            } => (key, RegisterOp::Read),
            _ => return,
        };
        let Some(k) = forced_register_index(key) else {
            return;
        };
        let ret = match (op, reply) {
            (RegisterOp::Read, Some(ClientReply::Answer { reply, .. })) => match reply {
                KvReply::Value(v) => Some(RegisterRet::Value(v.map(as_value))),
                KvReply::Count(_) => None,
            },
            (RegisterOp::Write(_), Some(ClientReply::Forced { .. })) => Some(RegisterRet::Done),
            (RegisterOp::Cas { .. }, Some(ClientReply::Forced { outcome, .. })) => {
                Some(if outcome.is_ok() {
                    RegisterRet::Done
                } else {
                    RegisterRet::Mismatch
                })
            }
            // Answer lost or not given: it may or may not have happened.
            _ => None,
        };
        // A read with no answer constrains nothing.
        if ret.is_none() && op == RegisterOp::Read {
            return;
        }
        self.histories.entry(k).or_default().push(Operation {
            call: call.as_micros(),
            ret: ret.map(|r| (now.as_micros(), r)),
            op,
        });
    }

    /// At the end: search every register's history.
    /// Returns how many registers could not be checked (history too long,
    /// or search out of budget).
    pub(crate) fn check_end(&self, report: &mut dyn FnMut(Property, String)) -> u64 {
        let mut unchecked = 0;
        for (k, history) in &self.histories {
            if history.len() > MAX_HISTORY {
                unchecked += 1;
                continue;
            }
            match check(&Register::default(), history, SEARCH_BUDGET) {
                Verdict::Linearizable => {}
                Verdict::GaveUp(_) => unchecked += 1,
                Verdict::NotLinearizable => report(
                    Property::Linearizability,
                    format!(
                        "forced register f.x{k}: no linearization of its {} operations ({})",
                        history.len(),
                        summary(history)
                    ),
                ),
            }
        }
        unchecked
    }
}

/// Values are non-negative (the workload's are), so the model's `u64` holds
/// them; a negative one maps to a value no write uses.
fn as_value(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// The first operations of a history, for the report.
fn summary(history: &History) -> String {
    let shown: Vec<String> = history
        .iter()
        .take(12)
        .map(|o| match &o.ret {
            Some((t, r)) => format!("{:?}@{}..{} -> {r:?}", o.op, o.call, t),
            None => format!("{:?}@{}.. -> ?", o.op, o.call),
        })
        .collect();
    let more = history.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{}, and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::{ClientId, UpdateId, VectorTimestamp};

    fn set(value: i64) -> ClientRequest<KvApp> {
        ClientRequest::Update {
            id: UpdateId {
                client: ClientId(0),
                seq: 1,
            },
            prev: VectorTimestamp::new(),
            op: KvUpdate::Set {
                key: "f.x0".into(),
                value,
            },
        }
    }

    fn read() -> ClientRequest<KvApp> {
        ClientRequest::ForcedQuery {
            id: UpdateId {
                client: ClientId(1),
                seq: 1,
            },
            prev: VectorTimestamp::new(),
            query: KvQuery::Get { key: "f.x0".into() },
        }
    }

    fn forced_ok() -> ClientReply<KvApp> {
        ClientReply::Forced {
            outcome: Ok(()),
            ts: VectorTimestamp::new(),
        }
    }

    fn answer(v: Option<i64>) -> ClientReply<KvApp> {
        ClientReply::Answer {
            reply: KvReply::Value(v),
            ts: VectorTimestamp::new(),
        }
    }

    fn violations(l: &Linearizability) -> usize {
        let mut n = 0;
        l.check_end(&mut |_, _| n += 1);
        n
    }

    #[test]
    fn a_read_after_an_acknowledged_write_must_see_it() {
        let t = Time::from_micros;
        let mut good = Linearizability::default();
        good.ended(t(1), t(2), &set(7), Some(&forced_ok()));
        good.ended(t(3), t(4), &read(), Some(&answer(Some(7))));
        assert_eq!(violations(&good), 0);

        let mut stale = Linearizability::default();
        stale.ended(t(1), t(2), &set(7), Some(&forced_ok()));
        stale.ended(t(3), t(4), &read(), Some(&answer(None)));
        assert_eq!(violations(&stale), 1);
    }

    #[test]
    fn a_write_whose_answer_was_lost_may_or_may_not_have_happened() {
        let t = Time::from_micros;
        for seen in [None, Some(7)] {
            let mut l = Linearizability::default();
            l.ended(t(1), t(2), &set(7), None);
            l.ended(t(3), t(4), &read(), Some(&answer(seen)));
            assert_eq!(violations(&l), 0, "read {seen:?}");
        }
    }
}
