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

/// Parses `0`, `500ms`, `2s` or `1m` (a bare number is seconds).
fn interval(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = number
        .parse()
        .map_err(|_| format!("bad interval {s:?}: use e.g. 500ms, 2s, or 0 for none"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("bad interval unit in {s:?}: use ms, s or m")),
    };
    if secs == 0.0 {
        return Ok(Duration::ZERO);
    }
    if !(0.001..=3600.0).contains(&secs) {
        return Err(format!(
            "interval {s:?} out of range: 0 (none), or 1ms to 1h"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
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
