//! **Convergence**: once faults stop, partitions heal, every replica is back
//! online and gossip quiets, every replica has the same application state, the
//! same value and replica timestamps (equal to each other: nothing received
//! and left unapplied), an empty update log and no held query or update.

// Reference: Ladin et al. 1992, gossip processing and log garbage collection
// (a record is discarded once the timestamp table shows every replica has
// it); Coulouris et al., Distributed Systems (5th ed.), §18.4.1, "Gossip
// messages" and "Discarding log records"; SPEC §6 ("Convergence").

use hearsay_core::{App, Replica, Time};

use super::{Findings, Property};

/// Checks the replicas after the heal phase.
pub(crate) fn check<A: App>(replicas: &[&Replica<A>], findings: &mut Findings, now: Time) {
    let Some(first) = replicas.first() else {
        return;
    };
    for r in replicas {
        let name = r.id();
        if r.value_ts() != r.rep_ts() {
            findings.report(
                now,
                Property::Convergence,
                format!(
                    "{name} received records it never applied: value_ts {} but rep_ts {}",
                    r.value_ts(),
                    r.rep_ts()
                ),
            );
        }
        if r.log_len() > 0 {
            findings.report(
                now,
                Property::Convergence,
                format!("{name} still holds {} log record(s)", r.log_len()),
            );
        }
        if r.held_len() > 0 {
            findings.report(
                now,
                Property::Convergence,
                format!("{name} still holds {} query(ies)", r.held_len()),
            );
        }
        if r.held_updates_len() > 0 {
            findings.report(
                now,
                Property::Convergence,
                format!("{name} still holds {} update(s)", r.held_updates_len()),
            );
        }
        if r.id() == first.id() {
            continue;
        }
        if r.value_ts() != first.value_ts() {
            findings.report(
                now,
                Property::Convergence,
                format!(
                    "{name} has value_ts {} but {} has {}",
                    r.value_ts(),
                    first.id(),
                    first.value_ts()
                ),
            );
        } else if r.app() != first.app() {
            findings.report(
                now,
                Property::Convergence,
                format!(
                    "{name} and {} applied the same records but hold different states: {:?} vs {:?}",
                    first.id(),
                    r.app(),
                    first.app()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::testing::{KvApp, KvUpdate};
    use hearsay_core::{
        ClientId, ClientRequest, ReplicaConfig, ReplicaId, RequestToken, UpdateId, VectorTimestamp,
    };

    fn replica(name: &str) -> Replica<KvApp> {
        let id = ReplicaId::new(name).unwrap();
        Replica::new(id, ReplicaConfig::default(), KvApp::default(), Time::ZERO)
    }

    #[test]
    fn fresh_replicas_have_converged() {
        let mut f = Findings::new(0);
        check(&[&replica("r1"), &replica("r2")], &mut f, Time::ZERO);
        assert_eq!(f.total(), 0);
    }

    #[test]
    fn a_replica_with_an_update_the_other_lacks_is_reported() {
        let mut r1 = replica("r1");
        let put = ClientRequest::Update {
            id: UpdateId {
                client: ClientId(1),
                seq: 1,
            },
            prev: VectorTimestamp::new(),
            op: KvUpdate::Put {
                key: "k".into(),
                value: 1,
            },
        };
        r1.handle_request(Time::ZERO, RequestToken(1), put);
        let mut f = Findings::new(0);
        // r1 keeps its record in the log (r2 is a member without it), and r2
        // lacks the update.
        r1.add_member(ReplicaId::new("r2").unwrap());
        check(&[&r1, &replica("r2")], &mut f, Time::ZERO);
        let v = f.into_kept();
        assert!(v.iter().all(|v| v.property == Property::Convergence));
        assert!(
            v.iter()
                .any(|v| v.description == "r2 has value_ts {} but r1 has {r1:1}")
        );
    }
}
