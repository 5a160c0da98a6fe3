//! A stable hash of everything that happened in a run, for the determinism check.

use std::fmt::{self, Write};

/// FNV-1a (64-bit) over a run's events, in order.
///
/// Written out here rather than taken from `std` because `std`'s hashers make
/// no promise of stability across releases, and `RandomState` is seeded per
/// process: the point is that one seed gives one hash, everywhere.
#[derive(Clone, Debug)]
pub struct TraceHash {
    state: u64,
    /// Events hashed, reported next to the hash.
    events: u64,
}

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for TraceHash {
    fn default() -> Self {
        Self {
            state: OFFSET,
            events: 0,
        }
    }
}

impl TraceHash {
    /// Feeds raw bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.state ^= u64::from(*b);
            self.state = self.state.wrapping_mul(PRIME);
        }
    }

    /// Feeds one event: its time and its `Debug` rendering (formatted straight
    /// into the hash, without allocating).
    pub fn event(&mut self, micros: u64, what: &dyn fmt::Debug) {
        self.events += 1;
        self.bytes(&micros.to_le_bytes());
        // Writing into the hash cannot fail.
        let _ = write!(self, "{what:?}");
        self.bytes(&[0xff]);
    }

    /// The hash so far.
    pub fn value(&self) -> u64 {
        self.state
    }

    /// Events hashed so far.
    pub fn events(&self) -> u64 {
        self.events
    }
}

impl Write for TraceHash {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_fnv1a_vectors() {
        let mut h = TraceHash::default();
        assert_eq!(h.value(), 0xcbf2_9ce4_8422_2325);
        h.bytes(b"a");
        assert_eq!(h.value(), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn order_of_events_matters() {
        let mut a = TraceHash::default();
        a.event(1, &"x");
        a.event(2, &"y");
        let mut b = TraceHash::default();
        b.event(2, &"y");
        b.event(1, &"x");
        assert_ne!(a.value(), b.value());
        assert_eq!(a.events(), 2);
    }
}
