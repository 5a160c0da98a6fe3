//! Forced updates in the replica: draining the voter (its messages, its
//! replies) and turning committed entries into forced records, and the
//! answers to the replicas and clients that asked.

use super::Replica;
use super::forced::NO_QUORUM;
use super::forced_state::{Asker, Placement};
use crate::app::App;
use crate::forced::{
    Answer, EntryBody, ForcedBody, ForcedError, ForcedOutcome, Output as VrOut, RequestId,
};
use crate::ids::{Dot, ReplicaId, UpdateId};
use crate::message::{ClientReply, ForwardReply, PeerMessage};
use crate::record::UpdateRecord;
use crate::stats::SendCost;
use crate::time::Time;
use crate::timestamp::VectorTimestamp;

impl<A: App> Replica<A> {
    // ----- the voter's outputs ----------------------------------------------

    /// Drains the voter: sends its messages, turns newly committed entries
    /// into records (answering the requests waiting here), and handles its
    /// replies. Returns whether a request became placeable again.
    pub(super) fn sync_voter(&mut self, now: Time) -> bool {
        let mut replies = Vec::new();
        loop {
            let Some(f) = self.forced.as_mut() else {
                return false;
            };
            let Some(out) = f.voter.poll_output() else {
                break;
            };
            match out {
                VrOut::Send { to, msg } => {
                    if let Some(name) = f.name(to).cloned() {
                        self.queue_send(name, PeerMessage::Vr(Box::new(msg)), SendCost::None);
                    }
                }
                VrOut::Reply { id, result } => replies.push((id, result)),
            }
        }
        self.sync_commits(now);
        let mut again = false;
        for (rid, result) in replies {
            match result {
                Ok(answer) => self.answer_committed(rid, answer),
                Err(e) => again |= self.voter_error(now, rid, e),
            }
        }
        again
    }

    /// Turns committed entries the replica has not seen into forced records
    /// and answers the requests waiting for them.
    pub(super) fn sync_commits(&mut self, now: Time) {
        let forced = ReplicaId::forced();
        loop {
            let Some(f) = self.forced.as_mut() else {
                return;
            };
            if f.synced_ops >= f.voter.commit_number() {
                break;
            }
            let i = usize::try_from(f.synced_ops).unwrap_or(usize::MAX);
            let Some(entry) = f.voter.entries().get(i).cloned() else {
                break;
            };
            f.synced_ops += 1;
            let rid = entry.id;
            match entry.body {
                EntryBody::Op { op, outcome } => match op.body {
                    ForcedBody::Update(u) => {
                        f.synced_k += 1;
                        let k = f.synced_k;
                        let refused = match &outcome {
                            ForcedOutcome::Refused(r) => Some(r.clone()),
                            _ => None,
                        };
                        let record = UpdateRecord {
                            id: op.id,
                            dot: Dot {
                                origin: forced.clone(),
                                seq: k,
                            },
                            prev: op.prev,
                            op: u,
                            refused: refused.clone(),
                        };
                        let ts = record.ts();
                        // Only a faulty primary could order a `prev` that
                        // names this record or a later one: never trusted,
                        // like an insane record from gossip.
                        let sane = record.prev.get(&forced) < k;
                        if !sane {
                            self.stats.bad_records += 1;
                        } else if self.rep_ts.get(&forced) + 1 == k {
                            self.stats.forced_records_made += 1;
                            self.insert_record(record);
                            self.take_held(&forced);
                        }
                        let reply = ClientReply::Forced {
                            outcome: refused.map_or(Ok(()), Err),
                            ts,
                        };
                        self.finish(rid, reply);
                    }
                    ForcedBody::Query(_) => {
                        if let ForcedOutcome::Answer { reply, ts } = outcome {
                            self.finish(rid, ClientReply::Answer { reply, ts });
                        }
                    }
                },
                EntryBody::Reconfigure { voters } => {
                    let mut names: Vec<ReplicaId> =
                        voters.iter().filter_map(|n| f.name(*n).cloned()).collect();
                    names.sort();
                    // A learner now (a retired voter) forwards to the new
                    // voters, not to its old self.
                    f.hint = names.first().cloned();
                    f.voters = names;
                    f.tip = None;
                    // Answered by the voter's reply, which carries the epoch.
                }
            }
        }
        let _ = now;
    }

    /// Logs a forced record this replica made on commit (as gossip would).
    pub(super) fn insert_record(&mut self, rec: UpdateRecord<A::Update>) {
        self.executed.note_logged(rec.id, &rec.dot);
        self.rep_ts.set(rec.dot.origin.clone(), rec.dot.seq);
        if self.config.journal {
            self.journal.records.push(rec.clone());
        }
        self.log.push(rec);
        self.push_dirty = true;
    }

    /// Answers `rid` from the voter's client table (a retry of a committed
    /// request, or the planted early acknowledgement).
    pub(super) fn answer_committed(&mut self, rid: RequestId, answer: Answer<ForcedOutcome<A>>) {
        let forced = ReplicaId::forced();
        let Some(f) = self.forced.as_ref() else {
            return;
        };
        let Some(p) = f.pending.get(&rid) else {
            return;
        };
        let mut ts = self.value_ts.clone();
        ts.raise(&forced, f.synced_k.max(self.rep_ts.get(&forced)));
        let reply = match answer {
            Answer::Reconfigured { epoch } => ClientReply::Reconfigured { epoch },
            Answer::Outcome(ForcedOutcome::Answer { reply, ts }) => {
                ClientReply::Answer { reply, ts }
            }
            Answer::Outcome(ForcedOutcome::Granted) => {
                let ts = self.record_ts(p.request.id()).unwrap_or(ts);
                ClientReply::Forced {
                    outcome: Ok(()),
                    ts,
                }
            }
            Answer::Outcome(ForcedOutcome::Refused(r)) => {
                let ts = self.record_ts(p.request.id()).unwrap_or(ts);
                ClientReply::Forced {
                    outcome: Err(r),
                    ts,
                }
            }
        };
        self.finish(rid, reply);
    }

    /// The timestamp of the record of update `id`, if it is in the log.
    pub(super) fn record_ts(&self, id: UpdateId) -> Option<VectorTimestamp> {
        let (_, dot) = self.executed.get(&id)?;
        self.log.get(dot).map(UpdateRecord::ts)
    }

    /// Handles the voter's refusal of `rid`; returns whether the request
    /// may be placed again now.
    pub(super) fn voter_error(&mut self, now: Time, rid: RequestId, e: ForcedError) -> bool {
        match e {
            ForcedError::NoQuorum => {
                self.finish(
                    rid,
                    ClientReply::ForcedUnavailable {
                        reason: NO_QUORUM.into(),
                    },
                );
                false
            }
            ForcedError::Invalid(reason) => {
                self.finish(rid, ClientReply::Rejected { reason });
                false
            }
            ForcedError::NotPrimary { .. } | ForcedError::Retired => {
                self.set_placement(
                    rid,
                    Placement::Waiting {
                        retry_at: Some(now),
                        for_past: false,
                    },
                );
                true
            }
            ForcedError::Reconfiguring => {
                let retry = self
                    .forced
                    .as_ref()
                    .map_or(now, |f| now + f.config.heartbeat);
                self.set_placement(
                    rid,
                    Placement::Waiting {
                        retry_at: Some(retry),
                        for_past: false,
                    },
                );
                false
            }
        }
    }

    // ----- answers ----------------------------------------------------------

    /// Answers every asker of `rid` and forgets it.
    pub(super) fn finish(&mut self, rid: RequestId, reply: ClientReply<A>) {
        let Some(p) = self.forced.as_mut().and_then(|f| f.pending.remove(&rid)) else {
            return;
        };
        let id = p.request.id();
        for asker in &p.askers {
            self.answer_asker(asker, id, reply.clone());
        }
    }

    pub(super) fn answer_unavailable(&mut self, asker: &Asker, id: UpdateId, reason: &str) {
        let reply = ClientReply::ForcedUnavailable {
            reason: reason.into(),
        };
        self.answer_asker(asker, id, reply);
    }

    /// Answers one asker of request `id`: a client directly, a forwarding
    /// peer with a [`ForwardReply::Done`].
    pub(super) fn answer_asker(&mut self, asker: &Asker, id: UpdateId, reply: ClientReply<A>) {
        match &reply {
            ClientReply::ForcedUnavailable { .. } => self.stats.forced_unavailable += 1,
            ClientReply::Forced { .. }
            | ClientReply::Answer { .. }
            | ClientReply::Reconfigured { .. } => self.stats.forced_answered += 1,
            _ => {}
        }
        match asker {
            Asker::Client(token) => self.reply(*token, reply),
            Asker::Peer(to) => {
                let reply = Box::new(ForwardReply::Done(reply));
                let msg = PeerMessage::ForwardReply { id, reply };
                self.queue_send(to.clone(), msg, SendCost::None);
            }
        }
    }
}
