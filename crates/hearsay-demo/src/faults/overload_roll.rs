//! [`OverloadRoll`]: the movie demo's random refusals (the source used
//! 0.2): each client request is answered "overloaded" with a probability.

use std::sync::Mutex;

use hearsay_core::{App, ClientRequest};
use hearsay_replica::{Admission, RequestVerdict};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Refuses each client request with a fixed probability.
#[derive(Debug)]
pub struct OverloadRoll {
    probability: f64,
    /// Seeded from the OS once; behind a lock because requests are served
    /// from many tasks.
    rng: Mutex<StdRng>,
}

impl OverloadRoll {
    /// Refuses with `probability` (clamped to 0 to 1).
    pub fn new(probability: f64) -> Self {
        Self {
            probability: probability.clamp(0.0, 1.0),
            rng: Mutex::new(StdRng::from_os_rng()),
        }
    }
}

impl<A: App> Admission<A> for OverloadRoll {
    fn request(&self, _request: &ClientRequest<A>) -> RequestVerdict {
        if self.probability <= 0.0 {
            return RequestVerdict::Admit;
        }
        let roll: f64 = match self.rng.lock() {
            Ok(mut rng) => rng.random(),
            Err(poisoned) => poisoned.into_inner().random(),
        };
        if roll < self.probability {
            RequestVerdict::Busy
        } else {
            RequestVerdict::Admit
        }
    }
}

#[cfg(test)]
mod tests {
    use hearsay_core::testing::{KvApp, KvQuery};
    use hearsay_core::{ClientRequest, VectorTimestamp};

    use super::*;

    fn query() -> ClientRequest<KvApp> {
        ClientRequest::Query {
            prev: VectorTimestamp::default(),
            query: KvQuery::Count { key: "k".into() },
        }
    }

    #[test]
    fn probability_one_always_refuses_and_zero_never() {
        let always: &dyn Admission<KvApp> = &OverloadRoll::new(1.0);
        assert!((0..100).all(|_| always.request(&query()) == RequestVerdict::Busy));
        let never: &dyn Admission<KvApp> = &OverloadRoll::new(0.0);
        assert!((0..100).all(|_| never.request(&query()) == RequestVerdict::Admit));
    }
}
