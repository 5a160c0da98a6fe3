//! Deliberate replica bugs by name (`hearsay sim --bug`), to show that the
//! checkers catch them. They exist only with this crate's `inject-bugs`
//! feature (which turns on the core's); without it every name is refused
//! with [`ConfigError`] saying so.

use crate::{ConfigError, SimConfig};

/// The bugs [`SimConfig::inject_bug`] knows, by name, whether or not this
/// build has them (so that help text can list them).
/// The first three break the causal machinery (`hearsay_core::InjectedBugs`),
/// the last two the forced order (`hearsay_core::forced::ForcedBugs`).
pub const BUG_NAMES: [&str; 5] = [
    "apply-early",
    "double-apply",
    "stale-read",
    "ack-before-quorum",
    "forget-committed",
];

/// Whether this build can inject bugs (the `inject-bugs` feature).
pub const BUGS_AVAILABLE: bool = cfg!(feature = "inject-bugs");

impl SimConfig {
    /// Gives every replica the deliberate bug `name` (one of [`BUG_NAMES`]).
    /// Refused for an unknown name, and for every name in a build without
    /// the `inject-bugs` feature.
    pub fn inject_bug(&mut self, name: &str) -> Result<(), ConfigError> {
        if !BUG_NAMES.contains(&name) {
            return Err(ConfigError(format!(
                "unknown bug {name:?}: choose one of {}",
                BUG_NAMES.join(", ")
            )));
        }
        self.enable_known(name)
    }

    #[cfg(feature = "inject-bugs")]
    fn enable_known(&mut self, name: &str) -> Result<(), ConfigError> {
        if hearsay_core::forced::ForcedBugs::NAMES.contains(&name) {
            self.forced_bugs.enable(name).map_err(ConfigError)
        } else {
            self.bugs.enable(name).map_err(ConfigError)
        }
    }

    #[cfg(not(feature = "inject-bugs"))]
    fn enable_known(&mut self, name: &str) -> Result<(), ConfigError> {
        Err(ConfigError(format!(
            "bug {name:?} is not built in: deliberate bugs need hearsay-sim's `inject-bugs` feature"
        )))
    }
}

#[cfg(all(test, feature = "inject-bugs"))]
mod tests {
    use super::*;

    #[test]
    fn the_names_are_the_cores_and_unknown_ones_are_refused() {
        assert_eq!(BUG_NAMES[..3], hearsay_core::InjectedBugs::NAMES);
        assert_eq!(BUG_NAMES[3..], hearsay_core::forced::ForcedBugs::NAMES);
        let mut config = SimConfig::default();
        let err = config.inject_bug("nonsense").unwrap_err().to_string();
        assert!(err.contains("choose one of apply-early"), "{err}");
        assert_eq!(
            config,
            SimConfig::default(),
            "a refused name changes nothing"
        );
        config.inject_bug("stale-read").unwrap();
        assert!(
            config
                .replica_config(Vec::new(), 0)
                .bugs
                .answer_stale_queries
        );
        config.inject_bug("forget-committed").unwrap();
        assert!(config.forced_bugs.forget_on_view_change);
    }
}
