//! Forced updates in the replica: voter messages, forwards and their
//! answers from peers, the forced timer, and the eager push of forced records.

use super::Replica;
use super::forced::NO_QUORUM;
use super::forced_state::{Asker, ForcedState, Placement, node_of, request_id};
use crate::app::App;
use crate::forced::RequestId;
use crate::ids::{ReplicaId, UpdateId};
use crate::message::{ClientReply, ForcedRequest, ForcedVrMessage, ForwardReply};
use crate::time::Time;
use crate::timers::Timer;

impl<A: App> Replica<A> {
    // ----- peer messages and timers -----------------------------------------

    /// A voter message from `from`.
    pub(super) fn handle_vr(&mut self, now: Time, from: &ReplicaId, msg: ForcedVrMessage<A>) {
        let Some(f) = self.forced.as_mut() else {
            return;
        };
        let node = node_of(from);
        if f.name(node) != Some(from) {
            return; // not a replica we know as a member or voter
        }
        f.voter.handle_message(now, node, msg);
        self.forced_pump(now);
    }

    /// A forced request forwarded by `from`, whose client asked it.
    pub(super) fn handle_forward(
        &mut self,
        now: Time,
        from: &ReplicaId,
        request: ForcedRequest<A>,
    ) {
        if !self.peers.contains_key(from) {
            return;
        }
        self.forced_request(now, Asker::Peer(from.clone()), request);
        self.forced_pump(now);
    }

    /// The primary's answer to a request this replica forwarded.
    pub(super) fn handle_forward_reply(
        &mut self,
        now: Time,
        from: &ReplicaId,
        id: UpdateId,
        reply: ForwardReply<A>,
    ) {
        let rid = request_id(id);
        let Some(f) = self.forced.as_mut() else {
            return;
        };
        let Some(p) = f.pending.get(&rid) else {
            return; // answered already, or forgotten at its deadline
        };
        let from_target =
            matches!(p.placement, Placement::Forwarded { to, .. } if to == node_of(from));
        match reply {
            ForwardReply::Done(reply) => self.finish(rid, reply),
            ForwardReply::NotPrimary { primary } => {
                if !from_target {
                    return; // an answer to an earlier forward: the current one counts
                }
                match primary.filter(|p| p != from && f.names.contains_key(&node_of(p))) {
                    Some(p) => f.hint = Some(p),
                    None => f.rotate_hint(),
                }
                let retry_at = match f.hint.as_ref() {
                    // A new guess: try it now; none: after a heartbeat.
                    Some(h) if h != from => now,
                    _ => now + f.config.heartbeat,
                };
                if let Some(p) = f.pending.get_mut(&rid) {
                    p.placement = Placement::Waiting {
                        retry_at: Some(retry_at),
                        for_past: false,
                    };
                }
            }
        }
        self.forced_pump(now);
    }

    /// The forced timer fired: the voter's timer, request deadlines, resends.
    pub(super) fn forced_timeout(&mut self, now: Time) {
        let Some(f) = self.forced.as_mut() else {
            return;
        };
        if f.voter.poll_timeout().is_some_and(|t| t <= now) {
            f.voter.handle_timeout(now);
        }
        let expired: Vec<(RequestId, bool)> = f
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, p)| {
                let past = matches!(p.placement, Placement::Waiting { for_past: true, .. });
                (*id, past)
            })
            .collect();
        // A forwarded request that got no answer: the target may be gone.
        let unanswered = f.pending.values().any(
            |p| matches!(p.placement, Placement::Forwarded { retry_at, .. } if retry_at <= now),
        );
        if unanswered && !f.is_voter() {
            f.rotate_hint();
        }
        for (rid, for_past) in expired {
            let reply = if for_past {
                self.stats.updates_not_yet += 1;
                ClientReply::NotYet {
                    value_ts: self.value_ts.clone(),
                }
            } else {
                ClientReply::ForcedUnavailable {
                    reason: NO_QUORUM.into(),
                }
            };
            self.finish(rid, reply);
        }
        self.forced_pump(now);
    }

    /// Arms the forced timer at the earliest of the voter's timer, the
    /// pending deadlines and the timed retries.
    pub(super) fn rearm_forced(&mut self) {
        let next = self.forced.as_ref().and_then(|f| {
            let retries = f.pending.values().filter_map(|p| match p.placement {
                Placement::Waiting { retry_at, .. } => retry_at,
                Placement::Forwarded { retry_at, .. } => Some(retry_at),
                Placement::Ordered => None,
            });
            let deadlines = f.pending.values().map(|p| p.deadline);
            f.voter
                .poll_timeout()
                .into_iter()
                .chain(retries)
                .chain(deadlines)
                .min()
        });
        self.timers.set_or_stop(Timer::Forced, next);
    }

    /// Whether this replica pushes forced records eagerly: a voter of the
    /// current epoch writes them on commit, so it pushes them like its own.
    pub(super) fn pushes_forced(&self) -> bool {
        self.forced.as_ref().is_some_and(ForcedState::is_voter)
    }

    /// Registers a member's name for voter messages.
    pub(super) fn forced_add_name(&mut self, peer: &ReplicaId) {
        if let Some(f) = self.forced.as_mut() {
            f.names.entry(node_of(peer)).or_insert_with(|| peer.clone());
        }
    }
}
