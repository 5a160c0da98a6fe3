//! The Maelstrom workloads this node serves.

use std::fmt;
use std::str::FromStr;

/// A Maelstrom workload, as named by `maelstrom test -w`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Workload {
    /// `echo` → `echo_ok`; no replication.
    Echo,
    /// A grow-only set of integers: `broadcast`, `read`, `topology`.
    Broadcast,
    /// A counter: `add`, `read`.
    GCounter,
    /// A register map with transactions: `txn` (causal, totally available).
    TxnRwRegister,
    /// A linearizable key-value map: `read`, `write`, `cas`, each a forced
    /// operation.
    LinKv,
    /// Maelstrom's `txn-rw-register`, strict-serializable: each `txn` is one
    /// forced operation, evaluated at its place in the order.
    TxnSerializable,
}

impl Workload {
    /// Every workload, in the order the CLI lists them.
    pub const ALL: [Workload; 6] = [
        Self::Echo,
        Self::Broadcast,
        Self::GCounter,
        Self::TxnRwRegister,
        Self::LinKv,
        Self::TxnSerializable,
    ];

    /// The name Maelstrom uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Echo => "echo",
            Self::Broadcast => "broadcast",
            Self::GCounter => "g-counter",
            Self::TxnRwRegister => "txn-rw-register",
            Self::LinKv => "lin-kv",
            Self::TxnSerializable => "txn-serializable",
        }
    }

    /// Whether requests go through the forced order (every node a voter)
    /// rather than the causal replica.
    pub fn is_forced(self) -> bool {
        matches!(self, Self::LinKv | Self::TxnSerializable)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Workload {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|w| w.as_str() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|w| w.as_str()).collect();
                format!("unknown workload {s:?}: choose one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(w.as_str().parse::<Workload>(), Ok(w));
        }
        assert!("lin_kv".parse::<Workload>().is_err());
        assert!(Workload::LinKv.is_forced() && !Workload::TxnRwRegister.is_forced());
    }
}
