//! The executed-update table: which update ids a replica has logged or applied.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::ids::{Dot, UpdateId};
use crate::time::Time;
use crate::timestamp::VectorTimestamp;

/// What a replica knows of one update id.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Seen {
    /// A record with this id is in the log, not yet applied.
    Logged,
    /// The update has been applied; any other record with this id is a duplicate.
    Applied,
}

#[derive(Clone, Debug)]
struct Retiring {
    id: UpdateId,
    /// The record that was applied for this id.
    dot: Dot,
    applied_at: Time,
    /// Once the record is known everywhere: everything any member had by then.
    /// A duplicate of this update accepted elsewhere before that member saw the
    /// original is below this horizon, so once we have *applied* all of it
    /// (each copy applied or skipped) no duplicate can still reach the apply
    /// step. Having merely received it is not enough: a copy can sit in the
    /// log, waiting for its causal past, long after the id would be retired.
    horizon: Option<VectorTimestamp>,
}

/// Update ids with their state, retired once no duplicate can still arrive.
///
/// Bounded: an applied id is kept until (a) its record is known by every member,
/// (b) this replica has applied everything those members had at that point, and
/// (c) `retention` has passed, which covers front-end retries still in flight.
#[derive(Clone, Debug, Default)]
pub(crate) struct ExecutedTable {
    ids: BTreeMap<UpdateId, (Seen, Dot)>,
    /// Applied ids in application order, oldest first.
    retiring: VecDeque<Retiring>,
}

impl ExecutedTable {
    pub(crate) fn get(&self, id: &UpdateId) -> Option<(Seen, &Dot)> {
        self.ids.get(id).map(|(s, d)| (*s, d))
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Notes that a record with this id was logged (keeps an applied state).
    pub(crate) fn note_logged(&mut self, id: UpdateId, dot: &Dot) {
        self.ids
            .entry(id)
            .or_insert_with(|| (Seen::Logged, dot.clone()));
    }

    /// Whether the id is already applied.
    pub(crate) fn is_applied(&self, id: &UpdateId) -> bool {
        matches!(self.ids.get(id), Some((Seen::Applied, _)))
    }

    /// Marks the id applied through the record `dot`.
    pub(crate) fn note_applied(&mut self, id: UpdateId, dot: &Dot, now: Time) {
        let slot = self
            .ids
            .entry(id)
            .or_insert_with(|| (Seen::Logged, dot.clone()));
        if slot.0 == Seen::Applied {
            return;
        }
        *slot = (Seen::Applied, dot.clone());
        self.retiring.push_back(Retiring {
            id,
            dot: dot.clone(),
            applied_at: now,
            horizon: None,
        });
    }

    /// Applied ids and their records, for a snapshot.
    pub(crate) fn applied(&self) -> impl Iterator<Item = (UpdateId, Dot)> + '_ {
        self.retiring.iter().map(|r| (r.id, r.dot.clone()))
    }

    /// Retires entries from the front while they meet the rule above.
    /// `known_everywhere(dot)` says whether every member has the record, and
    /// `members_horizon()` merges what every member has reported; `applied` is
    /// this replica's value timestamp.
    pub(crate) fn retire(
        &mut self,
        now: Time,
        retention: Duration,
        applied: &VectorTimestamp,
        known_everywhere: impl Fn(&Dot) -> bool,
        members_horizon: impl Fn() -> VectorTimestamp,
    ) {
        while let Some(front) = self.retiring.front_mut() {
            if now < front.applied_at + retention {
                return;
            }
            if front.horizon.is_none() {
                if !known_everywhere(&front.dot) {
                    return;
                }
                front.horizon = Some(members_horizon());
            }
            if !front.horizon.as_ref().is_some_and(|h| h.le(applied)) {
                return;
            }
            let id = front.id;
            self.retiring.pop_front();
            self.ids.remove(&id);
        }
    }
}
