//! The app the bench replicates: registers holding opaque payloads.

use std::collections::BTreeMap;

use hearsay_core::{App, ApplyContext, Arbitration};
use serde::{Deserialize, Serialize};

/// Keys the bench writes; bounded so the state (and memory) stays flat over
/// a long run whatever the update count.
pub const KEYS: u32 = 4096;

/// Largest payload accepted, in bytes.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// Last-writer-wins registers of bytes, by the core's arbitration order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadApp {
    registers: BTreeMap<u32, (Arbitration, Vec<u8>)>,
}

/// An update of [`PayloadApp`]: set register `key` to `payload`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Put {
    /// The register, below [`KEYS`].
    pub key: u32,
    /// Its new contents.
    pub payload: Vec<u8>,
}

/// A query of [`PayloadApp`]: the length of register `key`'s payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Get {
    /// The register.
    pub key: u32,
}

impl PayloadApp {
    /// Registers set so far.
    pub fn len(&self) -> usize {
        self.registers.len()
    }

    /// Whether no register is set.
    pub fn is_empty(&self) -> bool {
        self.registers.is_empty()
    }
}

impl App for PayloadApp {
    type Update = Put;
    type Query = Get;
    /// The payload's length, if the register is set.
    type Reply = Option<u32>;

    fn apply(&mut self, update: &Put, ctx: &ApplyContext<'_>) {
        match self.registers.get_mut(&update.key) {
            Some(slot) if slot.0 >= ctx.order => {}
            Some(slot) => {
                slot.0 = ctx.order;
                slot.1.clone_from(&update.payload);
            }
            None => {
                self.registers
                    .insert(update.key, (ctx.order, update.payload.clone()));
            }
        }
    }

    fn query(&self, query: &Get) -> Option<u32> {
        self.registers
            .get(&query.key)
            .map(|(_, p)| u32::try_from(p.len()).unwrap_or(u32::MAX))
    }

    fn validate(update: &Put) -> Result<(), String> {
        if update.key >= KEYS {
            return Err(format!("key {} is not below {KEYS}", update.key));
        }
        if update.payload.len() > MAX_PAYLOAD {
            return Err(format!(
                "a payload is at most {MAX_PAYLOAD} bytes, not {}",
                update.payload.len()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use hearsay_core::conformance::check_convergence;

    use super::*;

    #[test]
    fn converges_under_any_delivery_order() {
        let updates: Vec<Put> = (0..30u8)
            .map(|i| Put {
                key: u32::from(i % 3),
                payload: vec![i; usize::from(i)],
            })
            .collect();
        for seed in 0..20 {
            check_convergence(&PayloadApp::default(), &updates, 20, seed).unwrap();
        }
    }

    #[test]
    fn refuses_keys_and_payloads_out_of_bounds() {
        assert!(
            PayloadApp::validate(&Put {
                key: KEYS,
                payload: vec![]
            })
            .is_err()
        );
        assert!(
            PayloadApp::validate(&Put {
                key: 0,
                payload: vec![0; MAX_PAYLOAD + 1]
            })
            .is_err()
        );
        assert!(
            PayloadApp::validate(&Put {
                key: KEYS - 1,
                payload: vec![0; 16]
            })
            .is_ok()
        );
    }
}
