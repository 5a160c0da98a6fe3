//! The deterministic fault simulation run on the shopping cart of
//! `cart.rs`: `cargo run --release --example cart_sim`.
//!
//! Five replicas, three front ends and eight shoppers on a simulated network
//! that delays, loses, duplicates and reorders messages, partitions, takes
//! replicas offline and crashes them; then it heals and checks the carts
//! converged. Every seed replays exactly.

#[path = "shared/cart.rs"]
mod cart;

use std::collections::BTreeMap;

use cart::{Cart, CartQuery, CartReply, CartUpdate};
use hearsay::sim::{Property, SimConfig, Workload, run_seed_with};
use rand::Rng;
use rand::rngs::StdRng;

/// Shoppers add to and remove from shared items, and only add to an item
/// of their own, whose quantity must then include every add acknowledged.
#[derive(Debug, Default)]
struct Shoppers {
    /// Per shopper: the sum of its own item's acknowledged adds.
    acked: BTreeMap<usize, i64>,
}

fn own(shopper: usize) -> String {
    format!("shopper{shopper}'s socks")
}

impl Workload for Shoppers {
    type App = Cart;

    fn initial(&self) -> Cart {
        Cart::default()
    }

    fn update(&mut self, me: usize, rng: &mut StdRng) -> CartUpdate {
        let qty = rng.random_range(1..5);
        match rng.random_range(0..3) {
            0 => CartUpdate::Add { item: own(me), qty },
            1 => CartUpdate::Add {
                item: "bread".into(),
                qty,
            },
            _ => CartUpdate::Remove {
                item: "bread".into(),
                qty,
            },
        }
    }

    fn query(&mut self, me: usize, rng: &mut StdRng) -> CartQuery {
        if rng.random_bool(0.7) {
            CartQuery::Quantity(own(me))
        } else {
            CartQuery::Contents
        }
    }

    fn update_done(&mut self, me: usize, op: &CartUpdate, acked: bool) {
        if let (CartUpdate::Add { item, qty }, true) = (op, acked) {
            if *item == own(me) {
                *self.acked.entry(me).or_default() += qty;
            }
        }
    }

    fn answered(
        &mut self,
        me: usize,
        query: &CartQuery,
        reply: &CartReply,
        report: &mut dyn FnMut(Property, String),
    ) {
        let want = self.acked.get(&me).copied().unwrap_or(0);
        if let (CartQuery::Quantity(_), CartReply::Quantity(got)) = (query, reply) {
            if *got < want {
                report(
                    Property::ReadYourWrites,
                    format!("shopper {me} saw {got} socks, added {want}"),
                );
            }
        }
    }
}

fn main() {
    let config = SimConfig::default();
    let seeds = 200;
    let mut failed = 0;
    for seed in 0..seeds {
        // One workload per seed: it remembers what each shopper added.
        let report = run_seed_with(&config, seed, Shoppers::default())
            .unwrap_or_else(|e| panic!("a bad simulation config: {e}"));
        for v in &report.violations {
            println!("{v}");
        }
        failed += usize::from(!report.is_clean());
    }
    println!("{seeds} seeds of the cart under faults: {failed} with violations");
    std::process::exit(i32::from(failed > 0));
}
