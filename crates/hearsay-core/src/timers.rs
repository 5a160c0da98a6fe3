//! `TimerTable`: every deadline a replica keeps, in one table.
//!
//! The model is quinn-proto's `TimerTable`: one slot per kind of timer,
//! armed or not. [`Replica::poll_timeout`](crate::Replica::poll_timeout) is the
//! earliest armed slot, and [`Replica::handle_timeout`](crate::Replica::handle_timeout)
//! fires the slots that are due, so no timer rides on another.

use crate::time::Time;

/// The kinds of timer a replica runs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Timer {
    /// The next anti-entropy round (digests to some peers).
    AntiEntropy,
    /// The next paced push of new records (only with a push interval); armed
    /// only while there is something to push.
    Push,
    /// The deadline of the oldest held query.
    HeldQuery,
    /// The deadline of the oldest held update.
    HeldUpdate,
    /// The end of the catch-up wait after a snapshot that could not be
    /// adopted; while armed, new updates are answered "not yet".
    CatchUp,
    /// The next retirement of old executed-update entries.
    Retire,
    /// The forced order's next deadline: the voter's timer (heartbeat, view
    /// change, recovery), a waiting forced request's budget, or a forward's
    /// resend.
    Forced,
}

impl Timer {
    /// Every kind, in the order they fire when due at once.
    pub(crate) const ALL: [Timer; 7] = [
        Timer::AntiEntropy,
        Timer::Push,
        Timer::HeldQuery,
        Timer::HeldUpdate,
        Timer::CatchUp,
        Timer::Retire,
        Timer::Forced,
    ];

    fn slot(self) -> usize {
        self as usize
    }
}

/// When each timer is next due; `None` is disarmed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimerTable {
    slots: [Option<Time>; Timer::ALL.len()],
}

impl TimerTable {
    /// Arms `timer` at `at`, replacing any earlier setting.
    pub(crate) fn set(&mut self, timer: Timer, at: Time) {
        self.slots[timer.slot()] = Some(at);
    }

    /// Arms `timer` at `at`, or disarms it with `None`.
    pub(crate) fn set_or_stop(&mut self, timer: Timer, at: Option<Time>) {
        self.slots[timer.slot()] = at;
    }

    /// Disarms `timer`.
    pub(crate) fn stop(&mut self, timer: Timer) {
        self.slots[timer.slot()] = None;
    }

    /// When `timer` is due, if armed.
    pub(crate) fn get(&self, timer: Timer) -> Option<Time> {
        self.slots[timer.slot()]
    }

    /// The earliest armed deadline.
    #[cfg(test)]
    pub(crate) fn next(&self) -> Option<Time> {
        self.next_except(None)
    }

    /// The earliest armed deadline of the timers other than `quiet` (a timer
    /// armed to keep its schedule that has nothing to do yet).
    pub(crate) fn next_except(&self, quiet: Option<Timer>) -> Option<Time> {
        Timer::ALL
            .into_iter()
            .filter(|t| Some(*t) != quiet)
            .filter_map(|t| self.get(t))
            .min()
    }

    /// Disarms and returns the timers due at `now`, in [`Timer::ALL`] order.
    pub(crate) fn expire(&mut self, now: Time) -> Vec<Timer> {
        let due: Vec<Timer> = Timer::ALL
            .into_iter()
            .filter(|t| self.get(*t).is_some_and(|at| at <= now))
            .collect();
        for t in &due {
            self.stop(*t);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(us: u64) -> Time {
        Time::from_micros(us)
    }

    #[test]
    fn next_is_the_earliest_armed_timer() {
        let mut table = TimerTable::default();
        assert_eq!(table.next(), None);
        table.set(Timer::Retire, t(30));
        table.set(Timer::HeldQuery, t(10));
        table.set_or_stop(Timer::CatchUp, Some(t(20)));
        assert_eq!(table.next(), Some(t(10)));
        table.stop(Timer::HeldQuery);
        assert_eq!(table.next(), Some(t(20)));
        table.set_or_stop(Timer::CatchUp, None);
        assert_eq!(
            (table.next(), table.get(Timer::CatchUp)),
            (Some(t(30)), None)
        );
    }

    #[test]
    fn expire_fires_only_what_is_due_once_in_order() {
        let mut table = TimerTable::default();
        table.set(Timer::Retire, t(5));
        table.set(Timer::AntiEntropy, t(5));
        table.set(Timer::Push, t(6));
        assert_eq!(table.expire(t(4)), []);
        assert_eq!(table.next_except(Some(Timer::AntiEntropy)), Some(t(5)));
        assert_eq!(table.next_except(Some(Timer::Push)), Some(t(5)));
        assert_eq!(table.expire(t(5)), [Timer::AntiEntropy, Timer::Retire]);
        assert_eq!(table.expire(t(5)), []);
        assert_eq!(table.get(Timer::Push), Some(t(6)));
        assert_eq!(table.expire(t(100)), [Timer::Push]);
        assert_eq!(table.next(), None);
    }
}
