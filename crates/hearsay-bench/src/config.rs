//! The parameters of one bench run.

use std::time::Duration;

use crate::app::MAX_PAYLOAD;
use crate::error::BenchError;

/// Most replicas a local run starts (each is a QUIC endpoint and a task set
/// in this process).
pub const MAX_REPLICAS: usize = 64;

/// Most concurrent clients of the closed loop.
pub const MAX_CLIENTS: usize = 4096;

/// What to run; `Default` gives the command's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchConfig {
    /// Replicas in the local cluster (full mesh).
    pub replicas: usize,
    /// Concurrent clients of the closed loop, each with its own session.
    pub clients: usize,
    /// Length of each measured phase (closed loop, then open loop).
    pub duration: Duration,
    /// Load before each measurement starts, not measured.
    pub warmup: Duration,
    /// Offered rate of the open loop, requests per second (half updates,
    /// half queries); `None`: half the closed loop's update rate.
    pub rate: Option<f64>,
    /// Bytes of payload in each update.
    pub payload_bytes: usize,
    /// Local runs: replicas write their state to disk (redb, in a temporary
    /// directory under `$TMPDIR`) before acknowledging, as deployed ones do.
    pub durable: bool,
    /// Longest wait for every log to drain after the load stops.
    pub drain_timeout: Duration,
    /// Requests of the open loop outstanding at once; past it, requests are
    /// shed (counted) rather than queued without bound.
    pub max_outstanding: usize,
}

impl Default for BenchConfig {
    fn default() -> Self {
        Self {
            replicas: 3,
            clients: 32,
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(2),
            rate: None,
            payload_bytes: 100,
            durable: false,
            drain_timeout: Duration::from_secs(15),
            max_outstanding: 4096,
        }
    }
}

impl BenchConfig {
    /// Checks every parameter, naming the first one out of range.
    pub fn validate(&self) -> Result<(), BenchError> {
        let bad = |what: String| Err(BenchError::Config(what));
        if !(1..=MAX_REPLICAS).contains(&self.replicas) {
            return bad(format!(
                "--replicas must be 1 to {MAX_REPLICAS}, not {}",
                self.replicas
            ));
        }
        if !(1..=MAX_CLIENTS).contains(&self.clients) {
            return bad(format!(
                "--clients must be 1 to {MAX_CLIENTS}, not {}",
                self.clients
            ));
        }
        if self.duration.is_zero() || self.duration > Duration::from_secs(3600) {
            return bad(format!(
                "--duration must be above 0 and at most 3600 seconds, not {:?}",
                self.duration
            ));
        }
        if let Some(rate) = self.rate {
            if !(rate.is_finite() && rate > 0.0 && rate <= 10_000_000.0) {
                return bad(format!(
                    "--rate must be above 0 and at most 10000000 per second, not {rate}"
                ));
            }
        }
        if self.payload_bytes > MAX_PAYLOAD {
            return bad(format!(
                "--payload-bytes must be at most {MAX_PAYLOAD}, not {}",
                self.payload_bytes
            ));
        }
        if self.max_outstanding == 0 {
            return bad("at least one request must be allowed outstanding".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert_eq!(BenchConfig::default().validate(), Ok(()));
        let bad = |c: BenchConfig, flag: &str| {
            let err = c.validate().unwrap_err().to_string();
            assert!(err.contains(flag), "{err}");
        };
        bad(
            BenchConfig {
                replicas: 0,
                ..BenchConfig::default()
            },
            "--replicas",
        );
        bad(
            BenchConfig {
                clients: 0,
                ..BenchConfig::default()
            },
            "--clients",
        );
        bad(
            BenchConfig {
                duration: Duration::ZERO,
                ..BenchConfig::default()
            },
            "--duration",
        );
        bad(
            BenchConfig {
                rate: Some(f64::NAN),
                ..BenchConfig::default()
            },
            "--rate",
        );
        bad(
            BenchConfig {
                payload_bytes: MAX_PAYLOAD + 1,
                ..BenchConfig::default()
            },
            "--payload-bytes",
        );
    }
}
