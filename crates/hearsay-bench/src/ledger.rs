//! The app `hearsay bench --forced` replicates: accounts whose debits are
//! forced updates that must never overdraw.

use std::collections::BTreeMap;

use hearsay_core::{App, ApplyContext, UpdateClass};
use serde::{Deserialize, Serialize};

/// Accounts the bench spreads its debits over.
pub const ACCOUNTS: u32 = 1024;

/// Balances by account; every account opens with [`LedgerApp::OPENING`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerApp {
    /// Amount debited so far, by account (an absent account has none).
    debited: BTreeMap<u32, u64>,
}

/// An update of [`LedgerApp`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LedgerUpdate {
    /// Take `amount` from `account`, only if its balance covers it: a
    /// forced update, decided where it is ordered.
    Debit {
        /// The account, below [`ACCOUNTS`].
        account: u32,
        /// How much.
        amount: u64,
    },
}

/// A query of [`LedgerApp`]: an account's balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// The account.
    pub account: u32,
}

impl LedgerApp {
    /// Every account's opening balance: large enough that a bench run never
    /// exhausts it, so every debit is granted after a real check.
    pub const OPENING: u64 = 1 << 40;

    /// The balance of `account`.
    pub fn balance(&self, account: u32) -> u64 {
        Self::OPENING.saturating_sub(self.debited.get(&account).copied().unwrap_or(0))
    }
}

impl App for LedgerApp {
    type Update = LedgerUpdate;
    type Query = Balance;
    type Reply = u64;

    fn apply(&mut self, update: &LedgerUpdate, _ctx: &ApplyContext<'_>) {
        // Applied only when granted: the decided effect, no second check.
        let LedgerUpdate::Debit { account, amount } = update;
        let d = self.debited.entry(*account).or_insert(0);
        *d = d.saturating_add(*amount);
    }

    fn query(&self, query: &Balance) -> u64 {
        self.balance(query.account)
    }

    fn validate(update: &LedgerUpdate) -> Result<(), String> {
        let LedgerUpdate::Debit { account, .. } = update;
        if *account >= ACCOUNTS {
            return Err(format!(
                "account {account} is past the last, {}",
                ACCOUNTS - 1
            ));
        }
        Ok(())
    }

    fn class(_update: &LedgerUpdate) -> UpdateClass {
        UpdateClass::Forced
    }

    fn decide_forced(&self, update: &LedgerUpdate) -> Result<(), String> {
        let LedgerUpdate::Debit { account, amount } = update;
        let balance = self.balance(*account);
        if balance < *amount {
            return Err(format!(
                "account {account} holds {balance}, less than {amount}"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use hearsay_core::conformance::check_forced_decisions;

    use super::*;

    #[test]
    fn debits_are_forced_and_never_overdraw() {
        let debit = |amount| LedgerUpdate::Debit { account: 1, amount };
        let never_below = |a: &LedgerApp| {
            if a.debited.get(&1).copied().unwrap_or(0) > LedgerApp::OPENING {
                Err("overdrawn".to_owned())
            } else {
                Ok(())
            }
        };
        let forced = [debit(LedgerApp::OPENING - 1), debit(2), debit(1), debit(1)];
        check_forced_decisions(&LedgerApp::default(), &forced, &[], never_below).unwrap();
        let app = LedgerApp::default();
        assert!(app.decide_forced(&debit(LedgerApp::OPENING + 1)).is_err());
        assert!(
            LedgerApp::validate(&LedgerUpdate::Debit {
                account: ACCOUNTS,
                amount: 1
            })
            .is_err()
        );
    }
}
