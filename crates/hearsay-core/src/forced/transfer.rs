//! Getting a log from others: state transfer, recovery, and epochs.
//!
//! - State transfer (Reference: VRR §5.2): a voter that hears of a newer view or
//!   epoch asks (`GetState`), and takes the primary's log (`NewState`). The
//!   simplification here: the whole log is sent, not a suffix, since the forced
//!   order has no checkpoints yet.
//! - Recovery (VRR §4.3): a voter that lost its state asks everyone with a fresh
//!   nonce; with answers from a majority, one of them from the primary of the
//!   latest view heard, it takes that primary's log. It takes no part in view
//!   changes meanwhile, so it can never vote with a log it has forgotten.
//! - Epochs (VRR §7, simplified): a `Reconfigure { voters }` entry is ordered like
//!   any other; the primary orders nothing after it until it commits. Executing it
//!   ends the epoch *locally*, at every voter that commits it: epoch + 1, the new
//!   voters, view 0, the log cut after the entry. Because the start of an epoch is
//!   a committed prefix, it is the same everywhere, and any voter can hand it to one
//!   left behind (`EpochStarted`), which checks it itself. Removed voters retire;
//!   added ones (started as joiners) learn the order from the old primary's
//!   `EpochStarted` or by state transfer when the group's messages reach them.
//!
//! Limits of the simplification: a joiner must be a fresh node (it has never voted),
//! and a voter that restarts while a reconfiguration is under way must be given
//! the newest voters it knows; recovery across an epoch change is not handled as
//! in VRR §7.3 (a recovering voter only counts answers from the voters of the
//! newest state it is offered). The tests crash voters during normal operation
//! and view changes, and reconfigure under loss and partitions without crashes.

use super::machine::Machine;
use super::message::{EntryBody, LogState, Message, NodeId};
use super::view_change::well_formed;
use super::voter::{Voter, VoterStatus, VrLogState, primary_of};
use crate::time::Time;

impl<M: Machine> Voter<M> {
    /// Takes `state` (a primary's log, or the start of an epoch) as this voter's own
    /// and enters normal status in its view.
    pub(super) fn adopt(&mut self, now: Time, state: VrLogState<M>) {
        self.epoch = state.epoch;
        self.view = state.view;
        self.voters = state.voters;
        self.epoch_start = state.epoch_start;
        self.log = state.entries;
        if !self.voters.contains(&self.config.me) {
            self.execute_upto(now, state.commit);
            if self.status == VoterStatus::Joining {
                // Not a voter yet: a later reconfiguration may add it.
                return;
            }
            return self.retire();
        }
        self.enter_normal(now);
        self.execute_upto(now, state.commit);
        if !self.is_primary() {
            if let Some(p) = self.primary() {
                let msg = Message::PrepareOk {
                    epoch: self.epoch,
                    view: self.view,
                    op: self.log_len(),
                };
                self.send(p, msg);
            }
        }
    }

    /// Leaves the group for good.
    fn retire(&mut self) {
        self.status = super::voter::VoterStatus::Retired;
        self.timer = super::voter::NEVER;
        let ids: Vec<_> = self.waiting.keys().copied().collect();
        self.waiting.clear();
        for id in ids {
            self.reply(id, Err(super::ForcedError::Retired));
        }
    }

    /// A committed `Reconfigure` ends the epoch here (see the module docs).
    pub(super) fn start_epoch(&mut self, now: Time, voters: Vec<NodeId>) {
        let was_primary = self.is_primary();
        self.epoch = self.epoch.saturating_add(1);
        self.voters = voters;
        self.view = 0;
        self.last_normal_view = 0;
        self.epoch_start = self.commit;
        self.log
            .truncate(usize::try_from(self.commit).unwrap_or(usize::MAX));
        if was_primary {
            // Newcomers have nothing: hand them the epoch's start.
            let start = self.log_state();
            let me = self.config.me;
            for to in self.voters.clone() {
                if to != me {
                    self.send(
                        to,
                        Message::EpochStarted {
                            state: start.clone(),
                        },
                    );
                }
            }
        }
        if !self.voters.contains(&self.config.me) {
            return self.retire();
        }
        self.enter_normal(now);
    }

    /// Tells a voter of an older epoch where this one started.
    pub(super) fn send_epoch_started(&mut self, to: NodeId) {
        if self.epoch == 0 || self.status != VoterStatus::Normal {
            return;
        }
        let n = usize::try_from(self.epoch_start)
            .unwrap_or(usize::MAX)
            .min(self.log.len());
        let state = LogState {
            epoch: self.epoch,
            view: 0,
            voters: self.voters.clone(),
            epoch_start: self.epoch_start,
            entries: self.log[..n].to_vec(),
            commit: self.epoch_start,
        };
        self.send(to, Message::EpochStarted { state });
    }

    pub(super) fn on_epoch_started(&mut self, now: Time, state: VrLogState<M>) {
        let starts_epoch = well_formed(&state)
            && state.view == 0
            && state.commit == state.epoch_start
            && state.entries.len() as u64 == state.commit
            && matches!(
                state.entries.last().map(|e| &e.body),
                Some(EntryBody::Reconfigure { voters }) if *voters == state.voters
            );
        if !starts_epoch || self.status == VoterStatus::Recovering || state.epoch <= self.epoch {
            return;
        }
        self.adopt(now, state);
    }

    pub(super) fn on_get_state(&mut self, from: NodeId) {
        if self.is_primary() {
            let state = self.log_state();
            self.send(from, Message::NewState { state });
        } else {
            self.send_epoch_started(from);
        }
    }

    pub(super) fn on_new_state(&mut self, now: Time, from: NodeId, state: VrLogState<M>) {
        if self.status == VoterStatus::Recovering
            || !well_formed(&state)
            || primary_of(&state.voters, state.view) != Some(from)
        {
            return;
        }
        let theirs = (state.epoch, state.view);
        let ours = (self.epoch, self.view);
        // A primary's log in a view extends every backup's log in that view, and a
        // newer view's log supersedes this one (a stale primary included).
        let newer = theirs > ours
            || (theirs == ours
                && !self.is_primary()
                && (self.status != VoterStatus::Normal || state.entries.len() > self.log.len()));
        if newer {
            self.adopt(now, state);
        }
    }

    /// Recovering: asks every voter for its state (again, on each timeout).
    pub(super) fn send_recovery(&mut self, now: Time) {
        let msg = Message::Recovery { nonce: self.nonce };
        self.broadcast(&msg);
        self.timer = now + self.config.view_change_timeout;
    }

    pub(super) fn on_recovery(&mut self, from: NodeId, nonce: u64) {
        if self.status != VoterStatus::Normal {
            return;
        }
        let state = self.is_primary().then(|| self.log_state());
        let msg = Message::RecoveryResponse {
            nonce,
            epoch: self.epoch,
            view: self.view,
            state,
        };
        self.send(from, msg);
    }

    pub(super) fn on_recovery_response(
        &mut self,
        now: Time,
        from: NodeId,
        nonce: u64,
        epoch: u64,
        view: u64,
        state: Option<VrLogState<M>>,
    ) {
        // Only voters this one knows of count (and fill the table: it stays bounded).
        if self.status != VoterStatus::Recovering
            || nonce != self.nonce
            || !self.voters.contains(&from)
        {
            return;
        }
        if let Some(s) = &state {
            let valid = well_formed(s)
                && (s.epoch, s.view) == (epoch, view)
                && primary_of(&s.voters, s.view) == Some(from);
            if !valid {
                return;
            }
        }
        self.recovery.insert(from, (epoch, view, state));
        let Some(latest) = self.recovery.values().map(|(e, v, _)| (*e, *v)).max() else {
            return;
        };
        let Some(primary_state) = self
            .recovery
            .values()
            .find_map(|(e, v, s)| s.as_ref().filter(|_| (*e, *v) == latest).cloned())
        else {
            return;
        };
        let me = self.config.me;
        let answered = self
            .recovery
            .keys()
            .filter(|k| **k != me && primary_state.voters.contains(k))
            .count();
        if answered < primary_state.voters.len() / 2 + 1 {
            return;
        }
        self.recovery.clear();
        self.adopt(now, primary_state);
    }
}
