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
    /// A register map with transactions: `txn`.
    TxnRwRegister,
}

impl Workload {
    /// Every workload, in the order the CLI lists them.
    pub const ALL: [Workload; 4] = [
        Self::Echo,
        Self::Broadcast,
        Self::GCounter,
        Self::TxnRwRegister,
    ];

    /// The name Maelstrom uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Echo => "echo",
            Self::Broadcast => "broadcast",
            Self::GCounter => "g-counter",
            Self::TxnRwRegister => "txn-rw-register",
        }
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
        assert!("lin-kv".parse::<Workload>().is_err());
    }
}
