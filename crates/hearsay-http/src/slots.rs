//! [`Slots`]: the connections of one listener, with a cap and load shedding.
//!
//! A connection is *waiting* from accept until its request head is complete,
//! then *serving*. At the cap a new connection sheds the oldest waiting one
//! (a slow client that has not sent its head), so a flood of slow partial
//! requests cannot starve a client that sends its request at once (a node's
//! heartbeat). Only when every slot is serving a request, or twice the cap
//! are open while shed connections close, is a new connection refused.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// The connection table of one listener.
#[derive(Debug)]
pub(crate) struct Slots {
    cap: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The next connection's number; numbers grow, so the first waiting
    /// entry is the oldest.
    next: u64,
    /// Connections open (waiting, serving, or shed and not yet closed).
    open: usize,
    /// Connections still waiting for their head, oldest first, with the
    /// signal that tells each one it is shed.
    waiting: BTreeMap<u64, Arc<Notify>>,
    /// Connections shed or refused so far (for the log).
    shed: u64,
}

/// What [`Slots::admit`] decided for a new connection.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Serve it; the slot is released when the [`Slot`] is dropped.
    Admitted(Slot),
    /// Close it at once: every slot is busy serving.
    Refused,
}

/// One admitted connection's place in the table; dropping it frees it.
#[derive(Debug)]
pub(crate) struct Slot {
    id: u64,
    slots: Arc<Slots>,
    /// Notified when the connection is shed while waiting for its head.
    pub(crate) shed: Arc<Notify>,
}

impl Slots {
    /// A table of at most `cap` connections (at least one).
    pub(crate) fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            inner: Mutex::new(Inner::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics while holding the lock (plain map and counter
        // updates), so a poisoned lock still holds consistent data.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a new connection, shedding the oldest waiting one at the cap.
    pub(crate) fn admit(self: &Arc<Self>) -> Admission {
        let mut inner = self.lock();
        if inner.open >= self.cap {
            let shed = if inner.open < 2 * self.cap {
                inner.waiting.pop_first()
            } else {
                None
            };
            inner.shed += 1;
            match shed {
                Some((_, signal)) => signal.notify_one(),
                None => return Admission::Refused,
            }
        }
        let id = inner.next;
        inner.next += 1;
        inner.open += 1;
        let shed = Arc::new(Notify::new());
        inner.waiting.insert(id, shed.clone());
        Admission::Admitted(Slot {
            id,
            slots: self.clone(),
            shed,
        })
    }

    /// Sheds the oldest waiting connection, if any (to free a descriptor
    /// when accepting failed for want of one); whether one was shed.
    pub(crate) fn shed_oldest(&self) -> bool {
        let mut inner = self.lock();
        match inner.waiting.pop_first() {
            Some((_, signal)) => {
                inner.shed += 1;
                signal.notify_one();
                true
            }
            None => false,
        }
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.lock().open
    }

    /// Connections shed or refused so far.
    pub(crate) fn shed_count(&self) -> u64 {
        self.lock().shed
    }

    /// Sheds every waiting connection (at shutdown).
    pub(crate) fn shed_all(&self) {
        let mut inner = self.lock();
        for (_, signal) in std::mem::take(&mut inner.waiting) {
            signal.notify_one();
        }
    }
}

impl Slot {
    /// The head is complete: the connection is serving and no longer shed.
    pub(crate) fn serving(&self) {
        self.slots.lock().waiting.remove(&self.id);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut inner = self.slots.lock();
        inner.open -= 1;
        inner.waiting.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(a: Admission) -> Slot {
        match a {
            Admission::Admitted(s) => s,
            Admission::Refused => panic!("refused"),
        }
    }

    #[test]
    fn at_the_cap_the_oldest_waiting_connection_is_shed() {
        let slots = Slots::new(2);
        let a = admitted(slots.admit());
        let b = admitted(slots.admit());
        b.serving();
        // Full: the third sheds `a` (waiting), not `b` (serving).
        let c = admitted(slots.admit());
        assert_eq!(slots.open(), 3, "a is shed but not closed yet");
        assert_eq!(slots.shed_count(), 1);
        drop(a);
        assert_eq!(slots.open(), 2);
        // `c` waits, so the next one sheds it.
        let _d = admitted(slots.admit());
        drop(c);
        drop(b);
        assert_eq!(slots.open(), 1);
    }

    #[test]
    fn when_every_slot_is_serving_new_connections_are_refused() {
        let slots = Slots::new(2);
        let a = admitted(slots.admit());
        let b = admitted(slots.admit());
        a.serving();
        b.serving();
        assert!(matches!(slots.admit(), Admission::Refused));
        assert_eq!(slots.open(), 2);
        drop(a);
        let _c = admitted(slots.admit());
    }

    #[test]
    fn shed_but_unclosed_connections_bound_the_table_at_twice_the_cap() {
        let slots = Slots::new(2);
        let mut held = Vec::new();
        // Each admission past the cap sheds one, but the shed ones are still
        // open (their tasks have not run): at 4 open, refuse.
        for _ in 0..4 {
            held.push(admitted(slots.admit()));
        }
        assert!(matches!(slots.admit(), Admission::Refused));
        held.clear();
        assert_eq!(slots.open(), 0);
    }
}
