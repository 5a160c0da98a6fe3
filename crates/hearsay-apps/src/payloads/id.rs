//! [`PayloadId`]: the SHA-256 of a payload's bytes, shown as lowercase hex.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A payload's id: the SHA-256 of its bytes. Displays and parses as 64
/// lowercase hex digits, the form the tracker's API uses.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PayloadId(pub [u8; 32]);

/// Why a text is not a payload id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PayloadIdError(String);

impl PayloadId {
    /// The id of a payload of these bytes.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
        let mut id = [0u8; 32];
        id.copy_from_slice(digest.as_ref());
        Self(id)
    }
}

impl fmt::Display for PayloadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for PayloadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayloadId({self})")
    }
}

impl FromStr for PayloadId {
    type Err = PayloadIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            PayloadIdError(format!(
                "{:?} is not a payload id: 64 lowercase hex digits (a SHA-256)",
                s.chars().take(80).collect::<String>()
            ))
        };
        if s.len() != 64 {
            return Err(bad());
        }
        let mut id = [0u8; 32];
        for (i, pair) in s.as_bytes().chunks(2).enumerate() {
            let digit = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            let (Some(hi), Some(lo)) = (digit(pair[0]), digit(pair[1])) else {
                return Err(bad());
            };
            id[i] = hi << 4 | lo;
        }
        Ok(Self(id))
    }
}
