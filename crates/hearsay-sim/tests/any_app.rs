//! The simulator runs any `App` through a `Workload`: a correct app of the
//! test's own comes out clean, and one whose concurrent updates do not
//! commute is caught by the convergence check.

use hearsay_core::{App, ApplyContext};
use hearsay_sim::{Property, SimConfig, Workload, run_seed_with};
use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

/// A register; `commutes` picks the correct last-writer-wins by the core's
/// arbitration, or the broken "last applied wins".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Register {
    value: i64,
    /// The arbitration of the write that set `value` (correct mode only).
    order: Option<hearsay_core::Arbitration>,
    commutes: bool,
}

impl App for Register {
    type Update = i64;
    type Query = ();
    type Reply = i64;

    fn apply(&mut self, v: &i64, ctx: &ApplyContext<'_>) {
        if !self.commutes || self.order.is_none_or(|o| ctx.order > o) {
            self.value = *v;
            self.order = self.commutes.then_some(ctx.order);
        }
    }

    fn query(&self, _: &()) -> i64 {
        self.value
    }
}

#[derive(Debug)]
struct Writes {
    commutes: bool,
}

impl Workload for Writes {
    type App = Register;

    fn initial(&self) -> Register {
        Register {
            commutes: self.commutes,
            ..Register::default()
        }
    }

    fn update(&mut self, _client: usize, rng: &mut StdRng) -> i64 {
        rng.random_range(1..1000)
    }

    fn query(&mut self, _client: usize, _rng: &mut StdRng) {}
}

fn config() -> SimConfig {
    SimConfig {
        ops_per_client: 10,
        ..SimConfig::default()
    }
}

#[test]
fn a_correct_app_of_its_own_runs_clean_and_replays() {
    for seed in 0..20 {
        let a = run_seed_with(&config(), seed, Writes { commutes: true }).unwrap();
        assert!(a.is_clean(), "seed {seed}: {:?}", a.violations);
        let b = run_seed_with(&config(), seed, Writes { commutes: true }).unwrap();
        assert_eq!(a.trace_hash, b.trace_hash, "seed {seed} did not replay");
    }
}

#[test]
fn an_app_whose_concurrent_updates_do_not_commute_is_caught() {
    let caught = (0..20).any(|seed| {
        let r = run_seed_with(&config(), seed, Writes { commutes: false }).unwrap();
        r.violations
            .iter()
            .any(|v| v.property == Property::Convergence)
    });
    assert!(caught, "no seed found the diverging register");
}
