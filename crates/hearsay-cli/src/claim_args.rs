//! The claim flags shared by `hearsay replica` and `hearsay up`.

use std::time::Duration;

use hearsay_claims::ClaimConfig;

use crate::cmd_replica::probability;
use crate::duration_flag::DurationFlag;

/// How replicas present claims to each other.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ClaimArgs {
    /// Time between two claims of a replica to a random peer: `500ms`, `2s`,
    /// or a plain number of seconds; 1ms to 1h, or 0 to turn claims off.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = INTERVAL.parser())]
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

/// `--claim-interval`: 0 (no claims), or a millisecond to an hour.
const INTERVAL: DurationFlag =
    DurationFlag::seconds(Duration::from_millis(1), Duration::from_secs(3600)).or_off();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        let interval = |s| INTERVAL.parse(s);
        assert_eq!(interval("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(interval("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(interval("0"), Ok(Duration::ZERO));
        assert_eq!(interval("0ms"), Ok(Duration::ZERO));
        for bad in ["", "ms", "-1s", "2h", "0.1ms", "2d", "1e3s"] {
            assert!(interval(bad).is_err(), "{bad}");
        }
    }
}
