//! A replica's availability to clients.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Whether a replica serves clients and gossip.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, Default,
)]
pub enum Status {
    /// Serves clients and gossips.
    #[default]
    Online,
    /// Refuses client requests but still gossips.
    Overloaded,
    /// Refuses clients and gossip; keeps its state and catches up when back.
    Offline,
}

impl Status {
    /// Every status, in the order `change` cycles through them.
    pub const ALL: [Status; 3] = [Status::Online, Status::Overloaded, Status::Offline];

    /// The lowercase name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Overloaded => "overloaded",
            Self::Offline => "offline",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown status {s:?}: use online, offline or overloaded"))
    }
}
