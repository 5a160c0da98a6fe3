//! Normal operation (Reference: VRR §4.1): the primary orders requests, decides
//! their outcomes, sends them in batched `Prepare`s and commits what a majority
//! holds; backups append, acknowledge and apply.

use super::machine::Machine;
use super::message::{
    Answer, Command, Entry, EntryBody, ForcedError, Message, NodeId, Ordered, RequestId,
};
use super::voter::{Log, MAX_EARLY_BATCHES, Voter, VoterStatus, Waiter, normalize};
use crate::time::Time;

/// Most `Prepare` batches a heartbeat resends to one lagging backup.
const RESEND_BATCHES: usize = 4;

impl<M: Machine> Voter<M> {
    /// Holds a request until it commits, a view change ends, or its deadline.
    pub(super) fn hold(&mut self, now: Time, id: RequestId, command: Option<Command<M::Op>>) {
        let deadline = now + self.config.request_budget;
        if let Some(w) = self.waiting.get_mut(&id) {
            w.deadline = deadline;
            if w.command.is_none() {
                w.command = command;
            }
            return;
        }
        if self.waiting.len() >= self.config.max_waiting {
            return self.reply(id, Err(ForcedError::NoQuorum));
        }
        self.waiting.insert(id, Waiter { deadline, command });
    }

    /// Whether the log holds a reconfiguration not yet committed (the primary
    /// orders nothing after one until the epoch changes, VRR §7.1).
    pub fn reconfiguring(&self) -> bool {
        let from = usize::try_from(self.commit).unwrap_or(usize::MAX);
        self.log
            .iter()
            .skip(from)
            .any(|e| matches!(e.body, EntryBody::Reconfigure { .. }))
    }

    /// Primary: appends `op` with the `outcome` its caller decided (against
    /// its own view of the state at the end of the log, which is why the
    /// caller must not let any other entry in between: call it only while
    /// [`Voter::is_primary`] and not [`Voter::reconfiguring`], and decide
    /// against the state after every entry of [`Voter::entries`]). The voter
    /// never calls [`Machine::decide`] for it. A replica uses this to decide
    /// forced updates against its causal state (see `decided.rs`).
    ///
    /// Errors: [`ForcedError::NotPrimary`] (with the primary, when this voter
    /// follows one), [`ForcedError::Retired`], [`ForcedError::Reconfiguring`],
    /// and [`ForcedError::NoQuorum`] when too many requests wait already.
    pub fn order_decided(
        &mut self,
        now: Time,
        id: RequestId,
        op: M::Op,
        outcome: M::Outcome,
    ) -> Result<Ordered<M::Outcome>, ForcedError> {
        if self.status == VoterStatus::Retired {
            return Err(ForcedError::Retired);
        }
        if let Some((seq, answer)) = self.answers.get(&id.client) {
            if *seq == id.seq {
                return Ok(Ordered::Committed(answer.clone()));
            }
            if *seq > id.seq {
                return Ok(Ordered::Stale);
            }
        }
        if !self.is_primary() {
            let primary = (self.status == VoterStatus::Normal)
                .then(|| self.primary())
                .flatten();
            return Err(ForcedError::NotPrimary { primary });
        }
        if let Some(&seq) = self.tip_clients.get(&id.client) {
            if seq > id.seq {
                return Ok(Ordered::Stale);
            }
            if seq == id.seq {
                self.hold(now, id, None);
                return Ok(Ordered::Pending);
            }
        }
        if self.reconfiguring() {
            return Err(ForcedError::Reconfiguring);
        }
        if !self.waiting.contains_key(&id) && self.waiting.len() >= self.config.max_waiting {
            return Err(ForcedError::NoQuorum);
        }
        self.tip.apply(&op, &outcome);
        let early = self
            .config
            .bugs
            .ack_before_quorum
            .then(|| Answer::Outcome(outcome.clone()));
        self.log.push(Entry {
            id,
            body: EntryBody::Op { op, outcome },
        });
        let at = self.log_len();
        self.tip_clients.insert(id.client, id.seq);
        self.waiting.remove(&id);
        match early {
            Some(answer) => self.reply(id, Ok(answer)),
            None => self.hold(now, id, None),
        }
        self.try_commit(now);
        Ok(Ordered::Appended(at))
    }

    /// Primary: gives `command` its place in the order, deciding its outcome
    /// against the state there.
    pub(super) fn order(&mut self, now: Time, id: RequestId, command: Command<M::Op>) {
        if let Some(&seq) = self.tip_clients.get(&id.client) {
            if seq > id.seq {
                return;
            }
            if seq == id.seq {
                return self.hold(now, id, None); // ordered already: wait for its commit
            }
        }
        if self.reconfiguring() {
            return self.hold(now, id, Some(command));
        }
        if !self.waiting.contains_key(&id) && self.waiting.len() >= self.config.max_waiting {
            return self.reply(id, Err(ForcedError::NoQuorum));
        }
        let body = match command {
            Command::Op(op) => {
                let outcome = self.tip.decide(&op);
                self.tip.apply(&op, &outcome);
                EntryBody::Op { op, outcome }
            }
            Command::Reconfigure { voters } => match normalize(&voters) {
                Some(voters) => EntryBody::Reconfigure { voters },
                None => {
                    self.waiting.remove(&id);
                    return self.reply(id, Err(ForcedError::Invalid("no voters".into())));
                }
            },
        };
        let early = match &body {
            EntryBody::Op { outcome, .. } if self.config.bugs.ack_before_quorum => {
                Some(Answer::Outcome(outcome.clone()))
            }
            _ => None,
        };
        self.log.push(Entry { id, body });
        self.tip_clients.insert(id.client, id.seq);
        match early {
            Some(answer) => {
                self.waiting.remove(&id);
                self.reply(id, Ok(answer));
            }
            None => {
                self.waiting.remove(&id);
                self.hold(now, id, None);
            }
        }
        self.try_commit(now);
    }

    /// Primary: sends the entries ordered since the last `Prepare`, in batches.
    pub(super) fn flush(&mut self) {
        if !self.is_primary() || self.sent >= self.log_len() {
            return;
        }
        let first = self.sent + 1;
        let backups: Vec<NodeId> = self.acked.keys().copied().collect();
        for to in backups {
            self.send_prepares(to, first, usize::MAX);
        }
        self.sent = self.log_len();
    }

    /// Primary: sends `to` the entries from op `first` on, at most `batches` batches.
    pub(super) fn send_prepares(&mut self, to: NodeId, first: u64, batches: usize) {
        let start = usize::try_from(first.saturating_sub(1)).unwrap_or(usize::MAX);
        let mut at = start;
        let mut n = 0;
        while at < self.log.len() && n < batches {
            let end = (at + self.config.max_batch).min(self.log.len());
            let msg = Message::Prepare {
                epoch: self.epoch,
                view: self.view,
                first: at as u64 + 1,
                entries: self.log[at..end].to_vec(),
                commit: self.commit,
            };
            self.send(to, msg);
            at = end;
            n += 1;
        }
    }

    /// Primary: commits what a majority holds.
    pub(super) fn try_commit(&mut self, now: Time) {
        if !self.is_primary() {
            return;
        }
        let me = self.config.me;
        let mut held: Vec<u64> = self
            .voters
            .iter()
            .map(|v| {
                if *v == me {
                    self.log_len()
                } else {
                    self.acked.get(v).copied().unwrap_or(0)
                }
            })
            .collect();
        held.sort_unstable_by(|a, b| b.cmp(a));
        let quorum_holds = held.get(self.majority() - 1).copied().unwrap_or(0);
        if quorum_holds > self.commit {
            self.execute_upto(now, quorum_holds);
        }
    }

    /// Applies committed entries up to op `upto` (as far as the log reaches),
    /// answering their waiting clients; a committed `Reconfigure` ends the epoch.
    pub(super) fn execute_upto(&mut self, now: Time, upto: u64) {
        let target = upto.min(self.log_len());
        while self.commit < target {
            let Some(entry) = usize::try_from(self.commit)
                .ok()
                .and_then(|i| self.log.get(i))
            else {
                break;
            };
            let entry = entry.clone();
            self.commit += 1;
            let (answer, next_voters) = match entry.body {
                EntryBody::Op { op, outcome } => {
                    self.state.apply(&op, &outcome);
                    (Answer::Outcome(outcome), None)
                }
                EntryBody::Reconfigure { voters } => (
                    Answer::Reconfigured {
                        epoch: self.epoch.saturating_add(1),
                    },
                    Some(voters),
                ),
            };
            self.answers
                .insert(entry.id.client, (entry.id.seq, answer.clone()));
            if self.waiting.remove(&entry.id).is_some() {
                self.reply(entry.id, Ok(answer));
            }
            if let Some(voters) = next_voters {
                if self.commit > self.epoch_start {
                    self.start_epoch(now, voters);
                    return;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // the fields of one message
    pub(super) fn on_prepare(
        &mut self,
        now: Time,
        from: NodeId,
        epoch: u64,
        view: u64,
        first: u64,
        entries: Log<M>,
        commit: u64,
    ) {
        if self.status == VoterStatus::Recovering || !self.current(from, epoch, view) {
            return;
        }
        if self.status != VoterStatus::Normal {
            // The primary of this view started it without us: ask for its log.
            self.send(from, Message::GetState { epoch, view });
            return;
        }
        if self.is_primary() || Some(from) != self.primary() || first == 0 {
            return;
        }
        self.timer = now + self.config.view_change_timeout;
        if first > self.log_len() + 1 {
            // Ahead of a gap: keep it for when the batch before it arrives.
            if self.early.len() < MAX_EARLY_BATCHES || self.early.contains_key(&first) {
                self.early.insert(first, (epoch, view, entries));
            }
        } else {
            self.append_from(first, entries);
            self.take_early();
        }
        let msg = Message::PrepareOk {
            epoch,
            view,
            op: self.log_len(),
        };
        self.send(from, msg);
        self.execute_upto(now, commit);
    }

    /// Appends the entries of a batch starting at op `first` that this log
    /// lacks (`first` at most one past its end).
    fn append_from(&mut self, first: u64, entries: Log<M>) {
        for (i, e) in entries.into_iter().enumerate() {
            if first + i as u64 > self.log_len() {
                self.log.push(e);
            }
        }
    }

    /// Takes the early batches that now follow the log, dropping those of
    /// another epoch or view and those the log already covers.
    fn take_early(&mut self) {
        let (epoch, view) = (self.epoch, self.view);
        while let Some((&first, (e, v, _))) = self.early.first_key_value() {
            let current = *e == epoch && *v == view;
            if current && first > self.log_len() + 1 {
                return; // still a gap before it
            }
            if let Some((_, _, entries)) = self.early.remove(&first) {
                if current {
                    self.append_from(first, entries);
                }
            }
        }
    }

    pub(super) fn on_prepare_ok(
        &mut self,
        now: Time,
        from: NodeId,
        epoch: u64,
        view: u64,
        op: u64,
    ) {
        if !self.current(from, epoch, view) || !self.is_primary() {
            return;
        }
        let len = self.log_len();
        if let Some(a) = self.acked.get_mut(&from) {
            *a = (*a).max(op.min(len));
        }
        self.try_commit(now);
    }

    /// Primary: resends what a backup lacks, or a `Commit` to one that lacks nothing.
    pub(super) fn heartbeat(&mut self, now: Time) {
        self.flush();
        let len = self.log_len();
        for (to, acked) in self.acked.clone() {
            if acked < len {
                self.send_prepares(to, acked + 1, RESEND_BATCHES);
            } else {
                let msg = Message::Commit {
                    epoch: self.epoch,
                    view: self.view,
                    commit: self.commit,
                };
                self.send(to, msg);
            }
        }
        self.timer = now + self.config.heartbeat;
    }
}
