//! **Durability**: a replica that crashes and restarts from its durable
//! store has every record it had received and every update it had applied
//! before the crash. Nothing it acknowledged to a front end, reported in a
//! timestamp or gossiped on is lost, so no session context and no peer's
//! timestamp table is left pointing past what it holds.
//!
//! Checked at every restart by comparing the restored replica's timestamps
//! with those it had when it crashed.

// Reference: SPEC §6 ("No acknowledged update is lost, through crashes,
// restarts and partitions") and §4.3 (an acknowledged update survives
// `kill -9`); Ladin et al. 1992, replica managers keep their log and
// timestamps on stable storage so that a crash loses no accepted update.

use hearsay_core::{ReplicaId, Time, VectorTimestamp};

use super::{Findings, Property};

/// What a replica had when it crashed.
#[derive(Clone, Debug)]
pub(crate) struct BeforeCrash {
    pub(crate) rep_ts: VectorTimestamp,
    pub(crate) value_ts: VectorTimestamp,
}

/// Compares a restarted replica's timestamps with those it crashed with.
pub(crate) fn check_restart(
    findings: &mut Findings,
    now: Time,
    name: &ReplicaId,
    before: &BeforeCrash,
    rep_ts: &VectorTimestamp,
    value_ts: &VectorTimestamp,
) {
    if !before.rep_ts.le(rep_ts) {
        findings.report(
            now,
            Property::Durability,
            format!(
                "{name} restarted holding {rep_ts}, but had received {} before it crashed",
                before.rep_ts
            ),
        );
    } else if !before.value_ts.le(value_ts) {
        findings.report(
            now,
            Property::Durability,
            format!(
                "{name} restarted at value_ts {value_ts}, but had applied {} before it crashed",
                before.value_ts
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(entries: &[(&str, u64)]) -> VectorTimestamp {
        entries
            .iter()
            .map(|(k, v)| (ReplicaId::new(*k).unwrap(), *v))
            .collect()
    }

    #[test]
    fn a_restart_that_lost_records_is_reported() {
        let r1 = ReplicaId::new("r1").unwrap();
        let before = BeforeCrash {
            rep_ts: ts(&[("r1", 3), ("r2", 1)]),
            value_ts: ts(&[("r1", 3)]),
        };
        let mut f = Findings::new(0);
        check_restart(
            &mut f,
            Time::ZERO,
            &r1,
            &before,
            &before.rep_ts,
            &before.value_ts,
        );
        let more = ts(&[("r1", 3), ("r2", 2)]);
        check_restart(&mut f, Time::ZERO, &r1, &before, &more, &more);
        assert_eq!(f.total(), 0, "the same or more is fine");
        let less = ts(&[("r1", 2), ("r2", 1)]);
        check_restart(&mut f, Time::ZERO, &r1, &before, &less, &less);
        let v = f.into_kept();
        assert_eq!(v[0].property, Property::Durability);
        assert_eq!(
            v[0].description,
            "r1 restarted holding {r1:2, r2:1}, but had received {r1:3, r2:1} before it crashed"
        );
    }
}
