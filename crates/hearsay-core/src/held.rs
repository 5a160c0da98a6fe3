//! Updates waiting, before they are accepted, for their causal past to arrive.
//!
//! A replica accepts an update only once it has received every record the
//! update's `prev` names (`prev <= rep_ts`): then the record it logs is sure
//! to become stable here, and everywhere it is gossiped to. An update whose
//! past has not arrived yet waits here, bounded in number and in time, like a
//! held query; nothing about it is acknowledged or written until it is
//! accepted, so a held update that times out is simply not there.

use crate::ids::UpdateId;
use crate::replica::RequestToken;
use crate::time::Time;
use crate::timestamp::VectorTimestamp;

/// One update waiting for its causal past.
#[derive(Clone, Debug)]
pub(crate) struct HeldUpdate<U> {
    /// The request to answer once it is accepted, refused or timed out.
    pub(crate) token: RequestToken,
    pub(crate) id: UpdateId,
    pub(crate) prev: VectorTimestamp,
    pub(crate) op: U,
    /// When it is answered "not yet" if its past has not arrived.
    pub(crate) deadline: Time,
}

/// The updates a replica holds, oldest first.
#[derive(Clone, Debug)]
pub(crate) struct HeldUpdates<U> {
    held: Vec<HeldUpdate<U>>,
    /// At most this many wait at once; more are answered "not yet" at once,
    /// so a flood of requests with unreachable contexts costs bounded memory.
    max: usize,
}

impl<U> HeldUpdates<U> {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            held: Vec::new(),
            max,
        }
    }

    /// Updates waiting.
    pub(crate) fn len(&self) -> usize {
        self.held.len()
    }

    /// Holds `update`, or gives it back when full.
    pub(crate) fn hold(&mut self, update: HeldUpdate<U>) -> Result<(), HeldUpdate<U>> {
        if self.held.len() >= self.max {
            return Err(update);
        }
        self.held.push(update);
        Ok(())
    }

    /// The earliest deadline, if any update waits.
    pub(crate) fn oldest_deadline(&self) -> Option<Time> {
        self.held.iter().map(|h| h.deadline).min()
    }

    /// Takes the updates whose causal past `rep_ts` now covers, oldest first.
    pub(crate) fn take_ready(&mut self, rep_ts: &VectorTimestamp) -> Vec<HeldUpdate<U>> {
        self.take_where(|h| h.prev.le(rep_ts))
    }

    /// Takes the updates whose deadline is at or before `now`, oldest first.
    pub(crate) fn take_expired(&mut self, now: Time) -> Vec<HeldUpdate<U>> {
        self.take_where(|h| h.deadline <= now)
    }

    /// Takes every update.
    pub(crate) fn take_all(&mut self) -> Vec<HeldUpdate<U>> {
        std::mem::take(&mut self.held)
    }

    fn take_where(&mut self, pick: impl Fn(&HeldUpdate<U>) -> bool) -> Vec<HeldUpdate<U>> {
        if self.held.is_empty() {
            return Vec::new();
        }
        let (taken, kept) = std::mem::take(&mut self.held).into_iter().partition(pick);
        self.held = kept;
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ClientId, ReplicaId};

    fn held(seq: u64, prev: &[(&str, u64)], deadline: u64) -> HeldUpdate<u64> {
        HeldUpdate {
            token: RequestToken(seq),
            id: UpdateId {
                client: ClientId(1),
                seq,
            },
            prev: prev
                .iter()
                .map(|(r, v)| (ReplicaId::new(*r).unwrap(), *v))
                .collect(),
            op: seq,
            deadline: Time::from_micros(deadline),
        }
    }

    fn tokens(v: &[HeldUpdate<u64>]) -> Vec<u64> {
        v.iter().map(|h| h.token.0).collect()
    }

    #[test]
    fn holds_up_to_the_bound_and_gives_back_the_rest() {
        let mut h = HeldUpdates::new(2);
        assert!(h.hold(held(1, &[], 10)).is_ok());
        assert!(h.hold(held(2, &[], 5)).is_ok());
        let refused = h.hold(held(3, &[], 1)).unwrap_err();
        assert_eq!((refused.token, h.len()), (RequestToken(3), 2));
        assert_eq!(h.oldest_deadline(), Some(Time::from_micros(5)));
    }

    #[test]
    fn releases_what_the_timestamp_covers_and_expires_the_rest_in_order() {
        let mut h = HeldUpdates::new(8);
        for u in [
            held(1, &[("r2", 3)], 100),
            held(2, &[("r2", 1)], 100),
            held(3, &[("r3", 1)], 50),
            held(4, &[("r2", 2)], 200),
        ] {
            assert!(h.hold(u).is_ok());
        }
        let rep_ts: VectorTimestamp = [(ReplicaId::new("r2").unwrap(), 2)].into_iter().collect();
        assert_eq!(tokens(&h.take_ready(&rep_ts)), [2, 4]);
        assert_eq!(tokens(&h.take_expired(Time::from_micros(99))), [3]);
        assert_eq!(tokens(&h.take_all()), [1]);
        assert_eq!((h.len(), h.oldest_deadline()), (0, None));
    }
}
