//! `hearsay sim`'s flags turned into a checked `SimConfig`, and back into
//! the command that reproduces one seed.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context, bail};
use hearsay_sim::{Faults, SimConfig};

/// `d` in whole milliseconds, as `--max-delay-ms` spells it.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl super::Args {
    /// The simulation these flags describe, checked.
    pub(super) fn config(&self) -> anyhow::Result<SimConfig> {
        if self.seeds == 0 {
            bail!("--seeds must be at least 1");
        }
        if self.seed.checked_add(self.seeds).is_none() {
            bail!("--seed {} plus --seeds {} overflows", self.seed, self.seeds);
        }
        if self.threads == Some(0) {
            bail!("--threads must be at least 1");
        }
        let mut config = SimConfig {
            replicas: self.replicas,
            frontends: self.frontends,
            clients: self.clients,
            ops_per_client: self.ops,
            voters: self.voters,
            ..SimConfig::default()
        };
        let f = &mut config.faults;
        f.loss = self.loss;
        f.reply_loss = self.reply_loss;
        f.duplicate = self.duplicate;
        f.delay_max = self.max_delay_ms;
        f.partitions = !self.no_partitions;
        f.offline = !self.no_offline;
        f.crashes = !self.no_crashes;
        if self.no_forged {
            f.forged_sessions = 0.0;
        }
        if self.no_faults {
            *f = Faults {
                delay_max: f.delay_max,
                ..Faults::none()
            };
        }
        for bug in &self.bugs {
            config.inject_bug(bug)?;
        }
        config.validate().context("bad simulation flags")?;
        Ok(config)
    }

    /// The command that replays `seed` alone with these settings: every flag
    /// that differs from its default, and nothing else.
    pub(super) fn reproduce(&self, seed: u64) -> String {
        let d = SimConfig::default();
        let fd = Faults::default();
        let mut cmd = format!("hearsay sim --seeds 1 --seed {seed}");
        let mut flag = |name: &str, value: String, default: String| {
            if value != default {
                let _ = write!(cmd, " --{name} {value}");
            }
        };
        flag(
            "replicas",
            self.replicas.to_string(),
            d.replicas.to_string(),
        );
        flag(
            "frontends",
            self.frontends.to_string(),
            d.frontends.to_string(),
        );
        flag("clients", self.clients.to_string(), d.clients.to_string());
        flag("ops", self.ops.to_string(), d.ops_per_client.to_string());
        flag("voters", self.voters.to_string(), d.voters.to_string());
        flag("loss", self.loss.to_string(), fd.loss.to_string());
        flag(
            "reply-loss",
            self.reply_loss.to_string(),
            fd.reply_loss.to_string(),
        );
        flag(
            "duplicate",
            self.duplicate.to_string(),
            fd.duplicate.to_string(),
        );
        let max_delay = millis(fd.delay_max).to_string();
        flag(
            "max-delay-ms",
            millis(self.max_delay_ms).to_string(),
            max_delay,
        );
        for (on, name) in [
            (self.no_partitions, "--no-partitions"),
            (self.no_offline, "--no-offline"),
            (self.no_crashes, "--no-crashes"),
            (self.no_forged, "--no-forged"),
            (self.no_faults, "--no-faults"),
        ] {
            if on {
                let _ = write!(cmd, " {name}");
            }
        }
        for bug in &self.bugs {
            let _ = write!(cmd, " --bug {bug}");
        }
        cmd
    }
}
