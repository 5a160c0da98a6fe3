//! Time as a value passed in by the caller; the core never reads a clock.

use std::ops::Add;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A point in time, in microseconds since an epoch the caller chooses.
///
/// The async shells count from process start; the simulator counts virtual time from
/// zero. Only differences between two `Time`s of the same caller mean anything.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize, Deserialize,
)]
pub struct Time(u64);

impl Time {
    /// The epoch.
    pub const ZERO: Time = Time(0);

    /// A time this many microseconds after the epoch.
    pub const fn from_micros(micros: u64) -> Self {
        Self(micros)
    }

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// How long after `earlier` this is, or zero if it is not after it.
    pub fn saturating_since(self, earlier: Time) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        Time(self.0.saturating_add(micros))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_and_subtracts_without_overflow() {
        let t = Time::from_micros(10) + Duration::from_millis(1);
        assert_eq!(t.as_micros(), 1010);
        assert_eq!(
            t.saturating_since(Time::from_micros(10)),
            Duration::from_millis(1)
        );
        assert_eq!(Time::ZERO.saturating_since(t), Duration::ZERO);
        assert_eq!((t + Duration::MAX).as_micros(), u64::MAX);
    }
}
