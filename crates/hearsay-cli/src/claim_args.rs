//! The claim flags shared by `hearsay replica` and `hearsay up`.

use std::time::Duration;

use hearsay_claims::ClaimConfig;

use crate::cmd_replica::probability;

/// How replicas present claims to each other.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ClaimArgs {
    /// Time between two claims of a replica to a random peer: `500ms`, `2s`;
    /// 0 turns claims off.
    #[arg(long, default_value = "500ms", value_parser = interval)]
    claim_interval: Duration,
    /// Chance (0 to 1) that a claim is deliberately bad (tampered content or
    /// an id nobody wrote), so that it must be answered false.
    #[arg(long, default_value_t = 0.1, value_parser = probability)]
    bad_claim_probability: f64,
}

impl ClaimArgs {
    /// The claimant's configuration.
    pub(crate) fn config(&self) -> ClaimConfig {
        ClaimConfig {
            interval: self.claim_interval,
            bad_probability: self.bad_claim_probability,
            ..ClaimConfig::default()
        }
    }
}

/// Parses `0` (no claims) or a duration as `--expiry` takes it (`500ms`,
/// `2s`, `1m`), at most an hour.
fn interval(s: &str) -> Result<Duration, String> {
    if matches!(s.trim(), "0" | "0s" | "0ms" | "0m") {
        return Ok(Duration::ZERO);
    }
    let d = crate::cmd_tracker::parse_duration(s)?;
    if d > Duration::from_secs(3600) {
        return Err(format!(
            "interval {s:?} out of range: 0 (none), or 1ms to 1h"
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(interval("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(interval("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(interval("0"), Ok(Duration::ZERO));
        assert_eq!(interval("0ms"), Ok(Duration::ZERO));
        for bad in ["", "ms", "-1s", "2h", "0.1ms", "2d", "1e3s"] {
            assert!(interval(bad).is_err(), "{bad}");
        }
    }
}
