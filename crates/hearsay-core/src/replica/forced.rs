//! Forced updates inside the replica (issue #13): the public API, requests,
//! placing them (ordering here or forwarding) and deciding against the tip.
//! `forced_sync.rs` drains the voter and turns committed entries into causal
//! records of the pseudo-origin [`ReplicaId::forced`]; `forced_peer.rs` takes
//! voter messages, forwards and the forced timer; `forced_state.rs` holds the
//! state.
//!
//! How it fits the causal machinery: the k-th committed forced *update*
//! (granted or refused) becomes the record `(forced, k)` whose `prev` is the
//! client's context merged with the primary's value timestamp when it decided.
//! Dots being dense per origin, every replica applies forced records in k
//! order, each after its causal past. Every voter writes the record itself on
//! commit (idempotent with gossip: same dot, same content); learners get it by
//! gossip like any record.

use super::forced_state::{Asker, MAX_ASKERS, Pending, Placement, Tip, node_of, request_id};
use super::{Replica, RequestToken};
use crate::app::{App, ApplyContext, Arbitration, UpdateClass};
use crate::config::ForcedConfigError;
use crate::forced::{
    Command, EntryBody, ForcedBody, ForcedOp, ForcedOutcome, NodeId, Ordered, RequestId,
    VoterStatus,
};
use crate::forced_status::{ForcedRole, ForcedStatus};
use crate::ids::{Dot, ReplicaId, UpdateId};
use crate::message::{ClientReply, ForcedRequest, ForwardReply, PeerMessage};
use crate::stats::SendCost;
use crate::time::Time;

/// The answer when the order cannot serve a request in time.
pub(crate) const NO_QUORUM: &str = "unavailable: no quorum";

impl<A: App> Replica<A> {
    // ----- public API -------------------------------------------------------

    /// Proposes new voters for the forced order: the change is ordered like a
    /// forced update (a reconfiguration, VRR §7) and takes effect when it
    /// commits, as the next epoch. Answered on `token` with
    /// [`ClientReply::Reconfigured`], or "unavailable" / a rejection. Every
    /// voter must be a member (or this replica); an added voter must be a
    /// replica that has never voted (a learner). `id` makes retries
    /// exactly-once, as for updates.
    pub fn propose_voters(
        &mut self,
        now: Time,
        token: RequestToken,
        id: UpdateId,
        voters: Vec<ReplicaId>,
    ) {
        let request = ForcedRequest::Reconfigure { id, voters };
        self.forced_request(now, Asker::Client(token), request);
        self.forced_pump(now);
    }

    /// This replica's part in the forced order; `None` when the cluster has
    /// none ([`crate::ReplicaConfig::forced`] unset or invalid).
    pub fn forced_status(&self) -> Option<ForcedStatus> {
        let f = self.forced.as_ref()?;
        let voter = f.is_voter();
        let voters = if voter {
            f.voter_names()
        } else {
            f.voters.clone()
        };
        Some(ForcedStatus {
            role: if voter {
                ForcedRole::Voter
            } else {
                ForcedRole::Learner
            },
            voter_status: Some(f.voter.status()),
            is_primary: f.voter.is_primary(),
            primary: f.primary(),
            voters,
            epoch: f.voter.epoch(),
            view: f.voter.view(),
            log_len: f.voter.log_len(),
            commit: f.voter.commit_number(),
            applied: self.value_ts.get(&ReplicaId::forced()),
            pending: f.pending.len(),
        })
    }

    /// Why the forced order configured for this replica cannot run (it then
    /// answers forced requests with this reason); `None` when it runs or
    /// none is configured.
    pub fn forced_config_error(&self) -> Option<&ForcedConfigError> {
        self.forced_error.as_ref()
    }

    // ----- requests ---------------------------------------------------------

    /// A client's forced update (class [`UpdateClass::Forced`]) or forced query.
    pub(super) fn forced_client_request(
        &mut self,
        now: Time,
        token: RequestToken,
        request: ForcedRequest<A>,
    ) {
        self.forced_request(now, Asker::Client(token), request);
        self.forced_pump(now);
    }

    /// Checks a forced request and takes it into the pending table.
    pub(super) fn forced_request(&mut self, now: Time, asker: Asker, request: ForcedRequest<A>) {
        if self.forced.is_none() {
            let reason = match &self.forced_error {
                Some(e) => format!("forced operations cannot run here: {e}"),
                None => "this cluster has no forced order: forced operations are not configured"
                    .to_string(),
            };
            return self.answer_asker(&asker, request.id(), ClientReply::Rejected { reason });
        }
        let id = request.id();
        if let Err(reason) = self.check_forced(&request) {
            self.stats.updates_bad_context += 1;
            return self.answer_asker(&asker, id, ClientReply::Rejected { reason });
        }
        // A retry of a forced update whose record is here: answer as the first time.
        if let ForcedRequest::Update { .. } = &request {
            if let Some((_, dot)) = self.executed.get(&id) {
                if let Some(rec) = self.log.get(dot) {
                    let reply = ClientReply::Forced {
                        outcome: rec.refused.clone().map_or(Ok(()), Err),
                        ts: rec.ts(),
                    };
                    self.stats.duplicate_requests += 1;
                    return self.answer_asker(&asker, id, reply);
                }
            }
        }
        let rid = request_id(id);
        let Some(f) = self.forced.as_mut() else {
            return;
        };
        if let Some(p) = f.pending.get_mut(&rid) {
            if p.askers.contains(&asker) {
                return;
            }
            if p.askers.len() < MAX_ASKERS {
                p.askers.push(asker);
                return;
            }
            return self.answer_unavailable(&asker, id, "unavailable: too many retries waiting");
        }
        if f.pending.len() >= f.config.max_pending {
            return self.answer_unavailable(
                &asker,
                id,
                "unavailable: too many forced requests waiting",
            );
        }
        let deadline = now + f.config.request_budget;
        f.pending.insert(
            rid,
            Pending {
                request,
                askers: vec![asker],
                deadline,
                placement: Placement::Waiting {
                    retry_at: None,
                    for_past: false,
                },
            },
        );
    }

    /// What is wrong with a forced request, whatever the replica's state.
    pub(super) fn check_forced(&self, request: &ForcedRequest<A>) -> Result<(), String> {
        let prev = match request {
            ForcedRequest::Update { prev, op, .. } => {
                A::validate(op)?;
                if A::class(op) != UpdateClass::Forced {
                    return Err("a causal update cannot be ordered as a forced one".into());
                }
                prev
            }
            ForcedRequest::Query { prev, .. } => prev,
            ForcedRequest::Reconfigure { voters, .. } => {
                if voters.is_empty() {
                    return Err("a reconfiguration needs at least one voter".into());
                }
                let names = self.forced.as_ref().map(|f| &f.names);
                for v in voters {
                    let known = v == &self.id || self.peers.contains_key(v);
                    let clash = names
                        .and_then(|n| n.get(&node_of(v)))
                        .is_some_and(|n| n != v);
                    if v.is_forced() || !known || clash {
                        return Err(format!(
                            "{v} cannot be a voter: it is not a member {} knows",
                            self.id
                        ));
                    }
                }
                return Ok(());
            }
        };
        if prev.get(&self.id) > self.rep_ts.get(&self.id) {
            return Err(format!(
                "the session has seen {} updates from {} but {} has only {}: its context comes from a replica that lost data",
                prev.get(&self.id),
                self.id,
                self.id,
                self.rep_ts.get(&self.id)
            ));
        }
        match self.unknown_origin(prev) {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }

    // ----- placing requests -------------------------------------------------

    /// Places every pending request that may move, syncs the voter's
    /// commits into records, and re-arms the forced timer. Called after
    /// every input that may change the order or the replica's state.
    pub(super) fn forced_pump(&mut self, now: Time) {
        if self.forced.is_none() {
            return;
        }
        // Placing may answer requests, and a voter reply (a view change)
        // may make one placeable again: a second pass takes those.
        for _ in 0..2 {
            let ready: Vec<RequestId> = match self.forced.as_ref() {
                Some(f) => f
                    .pending
                    .iter()
                    .filter(|(_, p)| match p.placement {
                        Placement::Waiting { retry_at, .. } => retry_at.is_none_or(|t| t <= now),
                        Placement::Forwarded { retry_at, .. } => retry_at <= now,
                        Placement::Ordered => false,
                    })
                    .map(|(id, _)| *id)
                    .collect(),
                None => return,
            };
            for rid in ready {
                self.place(now, rid);
            }
            if !self.sync_voter(now) {
                break;
            }
        }
        self.apply_stable(now);
        self.release_held_updates(now);
        self.rearm_forced();
    }

    /// Orders, forwards or keeps waiting one pending request.
    pub(super) fn place(&mut self, now: Time, rid: RequestId) {
        let Some(f) = self.forced.as_ref() else {
            return;
        };
        let Some(p) = f.pending.get(&rid) else {
            return;
        };
        let voter = &f.voter;
        let retry = now + f.config.heartbeat;
        if voter.is_primary() {
            let request = p.request.clone();
            return self.order_here(now, rid, request);
        }
        // Not the primary: a request forwarded to us is sent back with our
        // best guess (no chains of forwards); one of our clients' is forwarded.
        let had_peers = p.askers.iter().any(|a| matches!(a, Asker::Peer(_)));
        if had_peers {
            let waits = matches!(
                voter.status(),
                VoterStatus::ViewChange | VoterStatus::Recovering
            );
            if waits {
                // Let the view change end: the forwarder resends meanwhile.
                return self.set_placement(
                    rid,
                    Placement::Waiting {
                        retry_at: Some(retry),
                        for_past: false,
                    },
                );
            }
            let primary = f.primary().filter(|p| p != &self.id);
            self.bounce_peers(rid, primary);
        }
        let Some(f) = self.forced.as_ref() else {
            return;
        };
        let target = if f.is_voter() {
            (f.voter.status() == VoterStatus::Normal)
                .then(|| f.voter.primary())
                .flatten()
        } else {
            f.hint.as_ref().map(node_of)
        };
        match target.filter(|t| *t != f.voter.me()) {
            Some(to) => self.forward(now, rid, to),
            None => self.set_placement(
                rid,
                Placement::Waiting {
                    retry_at: Some(retry),
                    for_past: false,
                },
            ),
        }
    }

    pub(super) fn set_placement(&mut self, rid: RequestId, placement: Placement) {
        if let Some(p) = self.forced.as_mut().and_then(|f| f.pending.get_mut(&rid)) {
            p.placement = placement;
        }
    }

    /// Answers the peers that forwarded `rid` here "not the primary" and
    /// drops the request if no client of ours waits for it.
    pub(super) fn bounce_peers(&mut self, rid: RequestId, primary: Option<ReplicaId>) {
        let Some(f) = self.forced.as_mut() else {
            return;
        };
        let Some(p) = f.pending.get_mut(&rid) else {
            return;
        };
        let (peers, clients): (Vec<Asker>, Vec<Asker>) = std::mem::take(&mut p.askers)
            .into_iter()
            .partition(|a| matches!(a, Asker::Peer(_)));
        p.askers = clients;
        let id = p.request.id();
        if p.askers.is_empty() {
            f.pending.remove(&rid);
        }
        for peer in peers {
            if let Asker::Peer(to) = peer {
                let reply = Box::new(ForwardReply::NotPrimary {
                    primary: primary.clone(),
                });
                self.queue_send(to, PeerMessage::ForwardReply { id, reply }, SendCost::None);
            }
        }
    }

    /// Sends `rid` to the primary `to` and waits for its answer.
    pub(super) fn forward(&mut self, now: Time, rid: RequestId, to: NodeId) {
        let Some(f) = self.forced.as_mut() else {
            return;
        };
        let Some(name) = f.name(to).cloned() else {
            return;
        };
        let retry_at = now + f.config.forward_retry;
        let Some(p) = f.pending.get_mut(&rid) else {
            return;
        };
        p.placement = Placement::Forwarded { to, retry_at };
        let msg = PeerMessage::Forward(Box::new(p.request.clone()));
        self.stats.forced_forwarded += 1;
        self.queue_send(name, msg, SendCost::None);
    }

    /// Primary: decides `request` against the tip and hands it to the voter.
    pub(super) fn order_here(&mut self, now: Time, rid: RequestId, request: ForcedRequest<A>) {
        let (id, prev, body) = match request {
            ForcedRequest::Reconfigure { voters, .. } => {
                let nodes: Vec<NodeId> = voters.iter().map(node_of).collect();
                if let Some(f) = self.forced.as_mut() {
                    for v in voters {
                        f.names.insert(node_of(&v), v);
                    }
                    f.voter
                        .handle_request(now, rid, Command::Reconfigure { voters: nodes });
                }
                return self.set_placement(rid, Placement::Ordered);
            }
            ForcedRequest::Update { id, prev, op } => (id, prev, ForcedBody::Update(op)),
            ForcedRequest::Query { id, prev, query } => (id, prev, ForcedBody::Query(query)),
        };
        let Some(f) = self.forced.as_ref() else {
            return;
        };
        if f.voter.reconfiguring() {
            let retry_at = Some(now + f.config.heartbeat);
            return self.set_placement(
                rid,
                Placement::Waiting {
                    retry_at,
                    for_past: false,
                },
            );
        }
        // The decision must see the request's causal past.
        let forced = ReplicaId::forced();
        let covered = prev
            .iter()
            .all(|(o, v)| o.is_forced() || self.value_ts.get(o) >= v);
        if !covered {
            return self.set_placement(
                rid,
                Placement::Waiting {
                    retry_at: None,
                    for_past: true,
                },
            );
        }
        self.refresh_tip();
        let Some(tip) = self.forced.as_ref().and_then(|f| f.tip.as_ref()) else {
            return;
        };
        if prev.get(&forced) > tip.k {
            let reason = format!(
                "the session's context names {} forced updates but the order has only {}",
                prev.get(&forced),
                tip.k
            );
            return self.finish(rid, ClientReply::Rejected { reason });
        }
        let decided_prev = prev.merged(&self.value_ts);
        let k = tip.k + 1;
        let outcome = match &body {
            ForcedBody::Update(op) => match tip.app.decide_forced(op) {
                Ok(()) => ForcedOutcome::Granted,
                Err(reason) => ForcedOutcome::Refused(reason),
            },
            ForcedBody::Query(q) => {
                let mut ts = decided_prev.clone();
                ts.raise(&forced, tip.k);
                ForcedOutcome::Answer {
                    reply: tip.app.query(q),
                    ts,
                }
            }
        };
        let op = ForcedOp {
            id,
            prev: decided_prev,
            body,
        };
        let Some(f) = self.forced.as_mut() else {
            return;
        };
        let result = f.voter.order_decided(now, rid, op.clone(), outcome.clone());
        match result {
            Ok(Ordered::Appended(at)) => {
                if let Some(tip) = f.tip.as_mut() {
                    tip.ops = at;
                    if let ForcedBody::Update(u) = &op.body {
                        tip.k = k;
                        if outcome == ForcedOutcome::Granted {
                            apply_forced(&mut tip.app, &op, u, k);
                        }
                    }
                }
                match (&op.body, &outcome) {
                    (ForcedBody::Query(_), _) => self.stats.forced_queries_ordered += 1,
                    (ForcedBody::Update(_), ForcedOutcome::Refused(_)) => {
                        self.stats.forced_updates_ordered += 1;
                        self.stats.forced_refused += 1;
                    }
                    (ForcedBody::Update(_), _) => self.stats.forced_updates_ordered += 1,
                }
                self.set_placement(rid, Placement::Ordered);
            }
            Ok(Ordered::Pending) => self.set_placement(rid, Placement::Ordered),
            Ok(Ordered::Committed(answer)) => self.answer_committed(rid, answer),
            Ok(Ordered::Stale) => self.finish(
                rid,
                ClientReply::ForcedUnavailable {
                    reason: "superseded: the client has sent a later request".into(),
                },
            ),
            Err(e) => {
                self.voter_error(now, rid, e);
            }
        }
    }

    /// Rebuilds the primary's tip if the value or the voter's log moved
    /// under it (see [`Tip`]).
    pub(super) fn refresh_tip(&mut self) {
        let forced = ReplicaId::forced();
        let Some(f) = self.forced.as_mut() else {
            return;
        };
        let view = (f.voter.epoch(), f.voter.view());
        let fresh = f.tip.as_ref().is_some_and(|t| {
            t.value_ts == self.value_ts && t.view == view && t.ops == f.voter.log_len()
        });
        if fresh {
            return;
        }
        let mut app = self.app.clone();
        let mut k = self.value_ts.get(&forced);
        // Forced records received but not applied yet, in order.
        for rec in self.log.range(&forced, k + 1, self.rep_ts.get(&forced)) {
            if rec.dot.seq != k + 1 {
                break; // unreachable: received records have no gaps
            }
            if rec.refused.is_none() {
                let ctx = ApplyContext {
                    id: rec.id,
                    dot: &rec.dot,
                    prev: &rec.prev,
                    order: rec.arbitration(),
                };
                app.apply(&rec.op, &ctx);
            }
            k = rec.dot.seq;
        }
        // Then the voter's entries not yet turned into records.
        let mut count = f.synced_k;
        let from = usize::try_from(f.synced_ops).unwrap_or(usize::MAX);
        for e in f.voter.entries().iter().skip(from) {
            if let EntryBody::Op { op, outcome } = &e.body {
                if let ForcedBody::Update(u) = &op.body {
                    count += 1;
                    if count > k {
                        if *outcome == ForcedOutcome::Granted {
                            apply_forced(&mut app, op, u, count);
                        }
                        k = count;
                    }
                }
            }
        }
        f.tip = Some(Tip {
            value_ts: self.value_ts.clone(),
            view,
            ops: f.voter.log_len(),
            k,
            app,
        });
    }
}

/// Applies a granted forced update to `app` as every replica will apply its
/// record `(forced, k)`.
pub(super) fn apply_forced<A: App>(app: &mut A, op: &ForcedOp<A>, u: &A::Update, k: u64) {
    let dot = Dot {
        origin: ReplicaId::forced(),
        seq: k,
    };
    let ctx = ApplyContext {
        id: op.id,
        dot: &dot,
        prev: &op.prev,
        order: Arbitration::of(op.id, &op.prev),
    };
    app.apply(u, &ctx);
}
