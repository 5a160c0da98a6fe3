//! Machines the forced-order tests run: a register with compare-and-set and a
//! ledger with check-then-act debits.

use super::linearizable::{Model, Register, RegisterOp, RegisterRet};
use super::machine::{Machine, check_decisions};

/// The register, ordered: the primary decides with the sequential model.
#[derive(Clone, Debug, PartialEq, Default)]
pub(super) struct RegisterMachine(pub(super) Register);

impl Machine for RegisterMachine {
    type Op = RegisterOp;
    type Outcome = RegisterRet;

    fn decide(&self, op: &RegisterOp) -> RegisterRet {
        self.0.step(op).1
    }

    fn apply(&mut self, op: &RegisterOp, outcome: &RegisterRet) {
        match (op, outcome) {
            (RegisterOp::Write(v), _) => self.0 = Register(Some(*v)),
            (RegisterOp::Cas { to, .. }, RegisterRet::Done) => self.0 = Register(Some(*to)),
            _ => {}
        }
    }
}

/// One account: credits always succeed, debits only when covered.
#[derive(Clone, Debug, PartialEq, Default)]
pub(super) struct Ledger {
    pub(super) balance: i64,
}

/// A ledger operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum LedgerOp {
    Credit(i64),
    Debit(i64),
}

/// Whether a debit was granted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum LedgerOutcome {
    Granted,
    Refused,
}

impl Machine for Ledger {
    type Op = LedgerOp;
    type Outcome = LedgerOutcome;

    fn decide(&self, op: &LedgerOp) -> LedgerOutcome {
        match op {
            LedgerOp::Debit(n) if self.balance < *n => LedgerOutcome::Refused,
            _ => LedgerOutcome::Granted,
        }
    }

    fn apply(&mut self, op: &LedgerOp, outcome: &LedgerOutcome) {
        match (op, outcome) {
            (LedgerOp::Credit(n), _) => self.balance += n,
            (LedgerOp::Debit(n), LedgerOutcome::Granted) => self.balance -= n,
            (LedgerOp::Debit(_), LedgerOutcome::Refused) => {}
        }
    }
}

#[test]
fn machines_keep_the_decision_contract() {
    let ops = [
        LedgerOp::Credit(5),
        LedgerOp::Debit(3),
        LedgerOp::Debit(3),
        LedgerOp::Credit(1),
        LedgerOp::Debit(3),
    ];
    assert_eq!(check_decisions(&Ledger::default(), &ops), Ok(()));
    let reg = [
        RegisterOp::Write(1),
        RegisterOp::Cas { from: 1, to: 2 },
        RegisterOp::Cas { from: 1, to: 3 },
        RegisterOp::Read,
    ];
    assert_eq!(check_decisions(&RegisterMachine::default(), &reg), Ok(()));
}
