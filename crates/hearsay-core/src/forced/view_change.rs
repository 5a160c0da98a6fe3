//! View changes: replacing a primary that went silent.
//!
//! Reference: VRR §4.2. A backup that hears nothing from the primary for
//! `view_change_timeout` moves to the next view and says so (`StartViewChange`).
//! When a majority has moved, each sends its log to the new primary
//! (`DoViewChange`), which takes the log with the greatest last normal view, then
//! the greatest op number, and the greatest commit number of any, and announces the
//! result (`StartView`).
//!
//! Architecture invariant: an entry committed in an earlier view is in a majority
//! of logs whose last normal view is at least that view, so any majority of
//! `DoViewChange`s contains it in the winning log.

use super::machine::Machine;
use super::message::{LogState, Message, NodeId};
use super::voter::{Voter, VoterStatus, VrLogState, primary_of};
use crate::time::Time;

impl<M: Machine> Voter<M> {
    /// Moves to view `view` and asks the others to follow (VRR §4.2 step 1).
    pub(super) fn start_view_change(&mut self, now: Time, view: u64) {
        self.status = VoterStatus::ViewChange;
        self.view = view;
        self.svc.clear();
        self.dvc.clear();
        self.sent_dvc = false;
        self.svc.insert(self.config.me);
        self.timer = now + self.config.view_change_timeout;
        let msg = Message::StartViewChange {
            epoch: self.epoch,
            view,
        };
        self.broadcast(&msg);
        self.check_start_view_change(now);
    }

    pub(super) fn on_start_view_change(&mut self, now: Time, from: NodeId, epoch: u64, view: u64) {
        if self.status == VoterStatus::Joining {
            // A group of a newer epoch that lost its primary: catch up first.
            let _ = self.current(from, epoch, view);
            return;
        }
        if self.status == VoterStatus::Recovering {
            return;
        }
        if epoch != self.epoch {
            let _ = self.current(from, epoch, view);
            return;
        }
        if !self.voters.contains(&from) || view < self.view {
            return;
        }
        if view > self.view {
            self.start_view_change(now, view);
        }
        if self.status == VoterStatus::ViewChange {
            self.svc.insert(from);
            self.check_start_view_change(now);
        }
    }

    /// Once a majority is in the view change, sends this voter's log to the new
    /// primary (VRR §4.2 step 2).
    fn check_start_view_change(&mut self, now: Time) {
        if self.sent_dvc || self.svc.len() < self.majority() {
            return;
        }
        self.sent_dvc = true;
        let state = self.log_state();
        let last_normal_view = self.last_normal_view;
        match primary_of(&self.voters, self.view) {
            Some(p) if p == self.config.me => {
                self.dvc.insert(p, (state, last_normal_view));
                self.check_do_view_change(now);
            }
            Some(p) => self.send(
                p,
                Message::DoViewChange {
                    state,
                    last_normal_view,
                },
            ),
            None => {}
        }
    }

    pub(super) fn on_do_view_change(
        &mut self,
        now: Time,
        from: NodeId,
        state: VrLogState<M>,
        last_normal_view: u64,
    ) {
        if self.status == VoterStatus::Joining {
            let _ = self.current(from, state.epoch, state.view);
            return;
        }
        if self.status == VoterStatus::Recovering {
            return;
        }
        if state.epoch != self.epoch {
            let _ = self.current(from, state.epoch, state.view);
            return;
        }
        if !self.voters.contains(&from) || state.view < self.view || !well_formed(&state) {
            return;
        }
        if state.view > self.view {
            self.start_view_change(now, state.view);
        }
        if self.status != VoterStatus::ViewChange
            || primary_of(&self.voters, self.view) != Some(self.config.me)
        {
            return;
        }
        self.dvc.insert(from, (state, last_normal_view));
        self.check_do_view_change(now);
    }

    /// New primary: with a majority of logs (its own among them), picks the most
    /// advanced, announces it and starts the view (VRR §4.2 steps 3–5).
    fn check_do_view_change(&mut self, now: Time) {
        if self.dvc.len() < self.majority() || !self.dvc.contains_key(&self.config.me) {
            return;
        }
        let max_commit = self.dvc.values().map(|(s, _)| s.commit).max().unwrap_or(0);
        let chosen = if self.config.bugs.forget_on_view_change {
            self.dvc.get(&self.config.me)
        } else {
            self.dvc
                .values()
                .max_by_key(|(s, lnv)| (*lnv, s.entries.len()))
        };
        if let Some((state, _)) = chosen {
            self.log = state.entries.clone();
        }
        self.dvc.clear();
        self.enter_normal(now);
        let commit = max_commit.min(self.log_len());
        let mut announced = self.log_state();
        announced.commit = commit;
        self.broadcast(&Message::StartView { state: announced });
        self.execute_upto(now, commit);
    }

    pub(super) fn on_start_view(&mut self, now: Time, from: NodeId, state: VrLogState<M>) {
        if self.status == VoterStatus::Recovering
            || !well_formed(&state)
            || primary_of(&state.voters, state.view) != Some(from)
        {
            return;
        }
        let theirs = (state.epoch, state.view);
        let ours = (self.epoch, self.view);
        if theirs < ours || (theirs == ours && self.status == VoterStatus::Normal) {
            return;
        }
        self.adopt(now, state);
    }
}

/// Whether a handed-over log is consistent in itself: commit within the log, the
/// epoch's start within the commit, and some voters. Anything else is dropped.
pub(super) fn well_formed<O, D>(state: &LogState<O, D>) -> bool {
    state.commit <= state.entries.len() as u64
        && state.epoch_start <= state.commit
        && !state.voters.is_empty()
        && state.voters.windows(2).all(|w| w[0] < w[1])
}
