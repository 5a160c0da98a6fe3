//! A shopping cart as a hearsay [`App`]: item names to quantities.

use std::collections::BTreeMap;

use hearsay::{App, ApplyContext};
use serde::{Deserialize, Serialize};

/// Each item's quantity is the sum of its adds minus its removes. Sums
/// commute, so replicas that apply concurrent changes in different orders
/// agree (the `App` contract's requirement 2); an item at 0 is not kept, so
/// equal carts compare equal.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Cart {
    items: BTreeMap<String, i64>,
}

/// A change to the cart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum CartUpdate {
    /// Puts `qty` more of `item` in the cart.
    Add { item: String, qty: i64 },
    /// Takes `qty` of `item` out (never below none).
    Remove { item: String, qty: i64 },
}

/// A question about the cart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum CartQuery {
    /// How many of one item.
    Quantity(String),
    /// Everything in the cart.
    Contents,
}

/// An answer about the cart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum CartReply {
    /// How many of the item asked about.
    Quantity(i64),
    /// Every item with a quantity above zero.
    Contents(BTreeMap<String, i64>),
}

impl App for Cart {
    type Update = CartUpdate;
    type Query = CartQuery;
    type Reply = CartReply;

    fn apply(&mut self, update: &CartUpdate, _: &ApplyContext<'_>) {
        let (item, delta) = match update {
            CartUpdate::Add { item, qty } => (item, *qty),
            CartUpdate::Remove { item, qty } => (item, -qty),
        };
        let n = self.items.entry(item.clone()).or_default();
        *n += delta;
        if *n == 0 {
            self.items.remove(item);
        }
    }

    fn query(&self, query: &CartQuery) -> CartReply {
        match query {
            CartQuery::Quantity(item) => {
                CartReply::Quantity(self.items.get(item).copied().unwrap_or(0).max(0))
            }
            CartQuery::Contents => CartReply::Contents(
                self.items
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(i, n)| (i.clone(), *n))
                    .collect(),
            ),
        }
    }

    fn validate(update: &CartUpdate) -> Result<(), String> {
        let (CartUpdate::Add { item, qty } | CartUpdate::Remove { item, qty }) = update;
        if item.is_empty() || item.len() > 100 {
            return Err("an item is named by 1 to 100 bytes".into());
        }
        if !(1..=1000).contains(qty) {
            return Err(format!("a quantity is 1 to 1000, not {qty}"));
        }
        Ok(())
    }
}
