//! When a replica answers "overloaded": really (too many requests in flight)
//! or, for demonstrations, at random.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Admission control for client requests.
#[derive(Debug, Clone)]
pub struct Overload {
    in_flight: Arc<AtomicUsize>,
    max_in_flight: usize,
    probability: f64,
    /// Only used when `probability > 0`; seeded from the OS once.
    rng: Arc<Mutex<StdRng>>,
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
    /// At most `max_in_flight` requests at once; besides, refuse each request
    /// with `probability` (0 to 1).
    pub fn new(max_in_flight: usize, probability: f64) -> Self {
        Self {
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_in_flight: max_in_flight.max(1),
            probability: probability.clamp(0.0, 1.0),
            rng: Arc::new(Mutex::new(StdRng::from_os_rng())),
        }
    }

    /// Admits a request, or `None` when the replica is overloaded.
    pub fn admit(&self) -> Option<Admitted> {
        if self.probability > 0.0 {
            let roll: f64 = match self.rng.lock() {
                Ok(mut rng) => rng.random(),
                Err(poisoned) => poisoned.into_inner().random(),
            };
            if roll < self.probability {
                return None;
            }
        }
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
        let o = Overload::new(2, 0.0);
        let a = o.admit().unwrap();
        let _b = o.admit().unwrap();
        assert!(o.admit().is_none());
        assert_eq!(o.in_flight(), 2);
        drop(a);
        assert!(o.admit().is_some());
    }

    #[test]
    fn probability_one_always_refuses_and_zero_never() {
        assert!(Overload::new(10, 1.0).admit().is_none());
        let never = Overload::new(10, 0.0);
        assert!((0..100).all(|_| never.admit().is_some()));
    }
}
