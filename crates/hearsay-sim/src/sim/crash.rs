//! Crashes and restarts: a replica loses everything in memory and resumes
//! from what a durable shell would have written — the core's journal,
//! committed after every input and before any output leaves, as
//! `hearsay-replica`'s store does.

use std::collections::BTreeMap;

use hearsay_core::{
    App, Dot, Journal, Replica, ReplicaId, Snapshot, Status, UpdateId, UpdateRecord,
};

use super::Sim;
use super::traffic::Node;
use crate::invariants::durability::{self, BeforeCrash};
use crate::workload::Workload;

/// One replica's durable store, kept in memory by the simulator.
#[derive(Debug)]
pub(super) struct Durable<A: App> {
    /// The last snapshot written.
    snapshot: Snapshot<A>,
    /// Records written and not yet known to be discarded from the log, by dot.
    records: BTreeMap<Dot, UpdateRecord<A::Update>>,
    /// Records written since the last snapshot.
    since_snapshot: u64,
    /// A snapshot is written every this many records (and after a state
    /// transfer). Drawn per seed and small, unlike the server's, so that both
    /// restart paths — snapshot plus records, records alone — occur.
    every: u64,
}

impl<A: App> Durable<A> {
    pub(super) fn new(replica: &Replica<A>, every: u64) -> Self {
        Self {
            snapshot: replica.snapshot(),
            records: BTreeMap::new(),
            since_snapshot: 0,
            every: every.max(1),
        }
    }

    /// Commits `journal`, what `replica` journaled since its last `Ready`,
    /// and returns the dots and update ids of the records it wrote, in
    /// journal order.
    pub(super) fn persist(
        &mut self,
        replica: &Replica<A>,
        journal: &Journal<A>,
    ) -> Vec<(Dot, UpdateId)> {
        let n = journal.records.len() as u64;
        let due = journal.snapshot || (n > 0 && self.since_snapshot + n >= self.every);
        let mut written = Vec::with_capacity(journal.records.len());
        for rec in &journal.records {
            written.push((rec.dot.clone(), rec.id));
            self.records.insert(rec.dot.clone(), rec.clone());
        }
        if due {
            // Only records the log no longer holds may go: peers may still
            // need the others from this replica's log after a restart.
            self.snapshot = replica.snapshot();
            let gone = replica.log_horizon();
            self.records.retain(|dot, _| !gone.covers(dot));
            self.since_snapshot = 0;
        } else {
            self.since_snapshot += n;
        }
        written
    }
}

impl<W: Workload> Sim<W> {
    /// Replica `i` crashes: its memory, its held queries and the requests it
    /// was serving are gone; messages to it are dropped until it restarts.
    pub(super) fn crash(&mut self, i: usize) {
        self.trace.event(self.now.as_micros(), &("crash", i));
        self.crashes += 1;
        let node = &mut self.replicas[i];
        node.down = Some(BeforeCrash {
            rep_ts: node.replica.rep_ts().clone(),
            value_ts: node.replica.value_ts().clone(),
        });
        node.tickets.clear();
        self.checks.deadline.forget(i);
        // Its state will be the durable snapshot's, plus what it re-applies.
        let snapshot_ts = &node.durable.snapshot.value_ts;
        self.checks.history.note_restart(i, snapshot_ts);
    }

    /// Replica `i` restarts from its durable store, online, with the current
    /// membership.
    pub(super) fn restart(&mut self, i: usize) {
        let Some(before) = self.replicas[i].down.take() else {
            return;
        };
        self.trace.event(self.now.as_micros(), &("restart", i));
        let name = self.names[i].clone();
        let members: Vec<ReplicaId> = self.members().filter(|m| *m != name).collect();
        let durable = &self.replicas[i].durable;
        let records = durable.records.values().cloned().collect();
        let mut replica = Replica::restore(
            name.clone(),
            self.replica_config.clone(),
            &members,
            durable.snapshot.clone(),
            records,
            self.now,
        );
        if self.ring {
            replica.set_push_targets(Some([self.ring_next(i)].into_iter().collect()));
        }
        let f = &mut self.checks.findings;
        durability::check_restart(
            f,
            self.now,
            &name,
            &before,
            replica.rep_ts(),
            replica.value_ts(),
        );
        // The workload replays what the restarted replica re-applies from
        // the durable snapshot it restarted from.
        let (now, f) = (self.now, &mut self.checks.findings);
        let base = &self.replicas[i].durable.snapshot.app;
        self.workload
            .settled(i, base, true, &mut |p, d| f.report(now, p, d));
        self.replicas[i].replica = replica;
        self.checks.forced.rebase(i);
        self.drain_replica(i);
        for fe in &mut self.frontends {
            fe.frontend.set_replica_status(&name, Status::Online);
        }
    }

    /// Whether messages to `node` are dropped because it is down.
    pub(super) fn is_down(&self, node: Node) -> bool {
        matches!(node, Node::Replica(i) if self.replicas[i].down.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::testing::{KvApp, KvUpdate};
    use hearsay_core::{
        ClientId, ClientRequest, ReplicaConfig, RequestToken, Time, UpdateId, VectorTimestamp,
    };

    fn put(r: &mut Replica<KvApp>, seq: u64) {
        let request = ClientRequest::Update {
            id: UpdateId {
                client: ClientId(1),
                seq,
            },
            prev: VectorTimestamp::new(),
            op: KvUpdate::Put {
                key: "k".into(),
                value: seq as i64,
            },
        };
        r.handle_request(Time::ZERO, RequestToken(seq), request);
    }

    /// What the simulator does after each input: persist, then release.
    fn persist(d: &mut Durable<KvApp>, r: &mut Replica<KvApp>) {
        let ready = r.ready();
        d.persist(r, ready.journal());
        let _sent = r.advance(ready);
    }

    #[test]
    fn records_accumulate_until_a_snapshot_prunes_them() {
        let config = ReplicaConfig {
            journal: true,
            ..ReplicaConfig::default()
        };
        let name = ReplicaId::new("r1").unwrap();
        let mut r = Replica::new(name, config, KvApp::default(), Time::ZERO);
        let mut d = Durable::new(&r, 3);
        put(&mut r, 1);
        put(&mut r, 2);
        persist(&mut d, &mut r);
        assert_eq!((d.records.len(), d.since_snapshot), (2, 2));
        put(&mut r, 3);
        persist(&mut d, &mut r);
        assert_eq!(d.snapshot.value_ts, r.value_ts().clone());
        assert!(
            d.records.is_empty(),
            "no peers, so the log discarded all three"
        );
        assert_eq!(d.since_snapshot, 0);
    }
}
