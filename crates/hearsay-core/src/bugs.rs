//! Deliberate bugs a replica can be given, to show that the simulator's
//! checkers catch them. `InjectedBugs` exists only with the `inject-bugs`
//! feature (the simulator's and the tests'); without it [`on`] is `false`
//! for every bug, so a release build carries none of their paths.

use crate::ReplicaConfig;

/// One deliberate bug, named where the replica checks it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Bug {
    /// `InjectedBugs::apply_before_causal_past`: `apply-early`.
    ApplyEarly,
    /// `InjectedBugs::skip_dedup`: `double-apply`.
    DoubleApply,
    /// `InjectedBugs::answer_stale_queries`: `stale-read`.
    StaleRead,
}

/// Whether `config` turns `bug` on.
#[cfg(feature = "inject-bugs")]
pub(crate) fn on(config: &ReplicaConfig, bug: Bug) -> bool {
    let b = &config.bugs;
    match bug {
        Bug::ApplyEarly => b.apply_before_causal_past,
        Bug::DoubleApply => b.skip_dedup,
        Bug::StaleRead => b.answer_stale_queries,
    }
}

/// Whether `config` turns `bug` on: never, without the `inject-bugs` feature.
#[cfg(not(feature = "inject-bugs"))]
pub(crate) const fn on(_config: &ReplicaConfig, _bug: Bug) -> bool {
    false
}

/// Bugs a replica can be told to have. All off by default; never turn them on
/// outside a demonstration of the checkers.
#[cfg(feature = "inject-bugs")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InjectedBugs {
    /// Apply a record as soon as its origin's previous record is applied,
    /// ignoring the rest of its causal past.
    pub apply_before_causal_past: bool,
    /// Apply every record, even a second copy of an applied update id.
    pub skip_dedup: bool,
    /// Answer queries at once, whatever the session has already seen.
    pub answer_stale_queries: bool,
}

#[cfg(feature = "inject-bugs")]
impl InjectedBugs {
    /// Names accepted by [`InjectedBugs::parse`].
    pub const NAMES: [&'static str; 3] = ["apply-early", "double-apply", "stale-read"];

    /// Turns on the bug named `name`.
    pub fn enable(&mut self, name: &str) -> Result<(), String> {
        match name {
            "apply-early" => self.apply_before_causal_past = true,
            "double-apply" => self.skip_dedup = true,
            "stale-read" => self.answer_stale_queries = true,
            other => {
                return Err(format!(
                    "unknown bug {other:?}: choose one of {}",
                    Self::NAMES.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Whether any bug is on.
    pub fn any(&self) -> bool {
        *self != Self::default()
    }
}

#[cfg(all(test, feature = "inject-bugs"))]
mod tests {
    use super::*;

    #[test]
    fn every_name_turns_on_its_bug_and_others_are_refused() {
        let mut config = ReplicaConfig::default();
        assert!(!config.bugs.any());
        for (name, bug) in
            InjectedBugs::NAMES
                .iter()
                .zip([Bug::ApplyEarly, Bug::DoubleApply, Bug::StaleRead])
        {
            let mut c = ReplicaConfig::default();
            c.bugs.enable(name).unwrap();
            assert!(on(&c, bug), "{name}");
        }
        let err = config.bugs.enable("nonsense").unwrap_err();
        assert!(
            err.contains("apply-early, double-apply, stale-read"),
            "{err}"
        );
        assert!(!config.bugs.any());
    }
}
