//! When a replica answers "overloaded" of its own accord: too many requests
//! in flight. (Policies of the service above, such as a demo's random
//! refusals, come through [`crate::Admission`].)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The bound on client requests in flight.
#[derive(Debug, Clone)]
pub struct Overload {
    in_flight: Arc<AtomicUsize>,
    max_in_flight: usize,
}

/// Proof that a request was admitted; dropping it frees the slot.
#[derive(Debug)]
pub struct Admitted {
    in_flight: Arc<AtomicUsize>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Overload {
    /// At most `max_in_flight` requests at once.
    pub fn new(max_in_flight: usize) -> Self {
        Self {
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_in_flight: max_in_flight.max(1),
        }
    }

    /// Admits a request, or `None` when the replica is overloaded.
    pub fn admit(&self) -> Option<Admitted> {
        let prev = self.in_flight.fetch_add(1, Ordering::AcqRel);
        let admitted = Admitted {
            in_flight: self.in_flight.clone(),
        };
        if prev >= self.max_in_flight {
            return None; // `admitted` drops here and frees the slot
        }
        Some(admitted)
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_bound_and_frees_slots() {
        let o = Overload::new(2);
        let a = o.admit().unwrap();
        let _b = o.admit().unwrap();
        assert!(o.admit().is_none());
        assert_eq!(o.in_flight(), 2);
        drop(a);
        assert!(o.admit().is_some());
    }
}
