//! One voter of the forced order: its state, construction, timers and dispatch.
//!
//! Normal operation lives in `normal.rs`, view changes in `view_change.rs`,
//! recovery, state transfer and epochs in `transfer.rs`: all `impl` blocks of
//! [`Voter`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::config::VrConfig;
use super::machine::Machine;
use super::message::{
    Answer, Command, Entry, EntryBody, ForcedError, LogState, Message, NodeId, Output, RequestId,
};
use super::rng::SplitMix64;
use crate::time::Time;

/// Where a voter stands in the protocol (VRR's `status`, plus the two ends of a
/// voter's life in a reconfigurable group).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum VoterStatus {
    /// Ordering (as primary) or following the primary.
    Normal,
    /// Choosing the next primary; requests wait.
    ViewChange,
    /// Restarted without its state; getting it back from the others (VRR §4.3).
    Recovering,
    /// Added by a reconfiguration and waiting for the order so far.
    Joining,
    /// Removed by a reconfiguration; answers nothing but [`ForcedError::Retired`].
    Retired,
}

/// A request held until it commits, its deadline passes, or a view change ends.
#[derive(Clone, Debug)]
pub(super) struct Waiter<O> {
    /// When to answer [`ForcedError::NoQuorum`].
    pub(super) deadline: Time,
    /// The command, while it is not in the log yet (held through a view change
    /// or behind a pending reconfiguration).
    pub(super) command: Option<Command<O>>,
}

/// The entries of an order over machine `M`.
pub(super) type Log<M> = Vec<Entry<<M as Machine>::Op, <M as Machine>::Outcome>>;
/// A message of an order over machine `M`.
pub type VrMessage<M> = Message<<M as Machine>::Op, <M as Machine>::Outcome>;
/// An output of a voter over machine `M`.
pub type VrOutput<M> = Output<<M as Machine>::Op, <M as Machine>::Outcome>;
/// A log handed over whole, for machine `M`.
pub type VrLogState<M> = LogState<<M as Machine>::Op, <M as Machine>::Outcome>;

/// One voter of a Viewstamped Replication Revisited group, sans-IO.
///
/// Drive it like quinn-proto's `Connection`: feed [`Voter::handle_request`],
/// [`Voter::handle_message`] and [`Voter::handle_timeout`] with the current time,
/// call [`Voter::handle_timeout`] when [`Voter::poll_timeout`] says, and drain
/// [`Voter::poll_output`] after each call. Requests handled between two drains go
/// out in one `Prepare` (batching).
#[derive(Debug)]
pub struct Voter<M: Machine> {
    pub(super) config: VrConfig,
    /// Draws recovery nonces.
    pub(super) rng: SplitMix64,
    pub(super) status: VoterStatus,
    /// Configuration number; voters change only between epochs.
    pub(super) epoch: u64,
    pub(super) view: u64,
    /// This epoch's voters, sorted.
    pub(super) voters: Vec<NodeId>,
    /// Op number of the entry that started this epoch (0 for the first epoch).
    pub(super) epoch_start: u64,
    /// The last view in which the status was normal: ranks logs in a view change.
    pub(super) last_normal_view: u64,
    /// Op number `n` is `log[n - 1]`.
    pub(super) log: Log<M>,
    /// How many entries are committed and applied to `state`.
    pub(super) commit: u64,
    /// The machine after the first `commit` entries.
    pub(super) state: M,
    /// Per client, its last committed request and answer: answers a retry of a
    /// committed request without ordering it twice (VRR's client table).
    pub(super) answers: BTreeMap<u64, (u64, Answer<M::Outcome>)>,
    /// Primary only: the machine after every entry of the log, committed or not,
    /// which is the state new operations are decided against.
    pub(super) tip: M,
    /// Primary only: per client, the highest request number in the log.
    pub(super) tip_clients: BTreeMap<u64, u64>,
    /// Primary only: per backup, the longest log it reported in this view.
    pub(super) acked: BTreeMap<NodeId, u64>,
    /// Primary only: entries up to here went out in a `Prepare`.
    pub(super) sent: u64,
    /// Backup: `Prepare` batches that arrived ahead of a gap (shells may
    /// deliver peer messages out of order), by first op number, with the
    /// epoch and view they belong to; taken once the gap fills, so a
    /// reordered batch costs no heartbeat. At most [`MAX_EARLY_BATCHES`].
    pub(super) early: BTreeMap<u64, (u64, u64, Log<M>)>,
    /// View change: who sent `StartViewChange` for `view`.
    pub(super) svc: BTreeSet<NodeId>,
    /// View change: whether this voter sent its `DoViewChange` for `view`.
    pub(super) sent_dvc: bool,
    /// New primary: the `DoViewChange`s received for `view`.
    pub(super) dvc: BTreeMap<NodeId, (VrLogState<M>, u64)>,
    /// Recovery: this attempt's nonce.
    pub(super) nonce: u64,
    /// Recovery: the answers with this nonce, by sender.
    pub(super) recovery: BTreeMap<NodeId, (u64, u64, Option<VrLogState<M>>)>,
    /// Requests waiting for an answer, bounded by `config.max_waiting`.
    pub(super) waiting: BTreeMap<RequestId, Waiter<M::Op>>,
    /// The role's timer: heartbeat (primary), primary silence (backup), view change
    /// or recovery retry.
    pub(super) timer: Time,
    pub(super) outputs: VecDeque<VrOutput<M>>,
}

/// Most early `Prepare` batches a backup keeps (see `Voter::early`); more
/// are dropped and come again with the primary's next heartbeat.
pub(super) const MAX_EARLY_BATCHES: usize = 64;

/// The time that never comes: a disarmed timer.
pub(super) const NEVER: Time = Time::from_micros(u64::MAX);

/// Sorts and deduplicates a voter list; `None` when it is empty.
pub(super) fn normalize(voters: &[NodeId]) -> Option<Vec<NodeId>> {
    let mut v = voters.to_vec();
    v.sort();
    v.dedup();
    if v.is_empty() { None } else { Some(v) }
}

/// The primary of `view` among `voters` (VRR §4: view number modulo group size).
pub(super) fn primary_of(voters: &[NodeId], view: u64) -> Option<NodeId> {
    let n = u64::try_from(voters.len()).ok().filter(|n| *n > 0)?;
    let i = usize::try_from(view % n).ok()?;
    voters.get(i).copied()
}

impl<M: Machine> Voter<M> {
    fn blank(
        config: VrConfig,
        machine: M,
        now: Time,
        status: VoterStatus,
    ) -> Result<Self, ForcedError> {
        let voters = normalize(&config.voters)
            .ok_or_else(|| ForcedError::Invalid("no voters configured".into()))?;
        if config.max_batch == 0 {
            return Err(ForcedError::Invalid("max_batch must be at least 1".into()));
        }
        let rng = SplitMix64::new(config.seed ^ config.me.0.rotate_left(17));
        Ok(Self {
            rng,
            status,
            epoch: 0,
            view: 0,
            voters,
            epoch_start: 0,
            last_normal_view: 0,
            log: Vec::new(),
            commit: 0,
            tip: machine.clone(),
            state: machine,
            answers: BTreeMap::new(),
            tip_clients: BTreeMap::new(),
            acked: BTreeMap::new(),
            sent: 0,
            early: BTreeMap::new(),
            svc: BTreeSet::new(),
            sent_dvc: false,
            dvc: BTreeMap::new(),
            nonce: 0,
            recovery: BTreeMap::new(),
            waiting: BTreeMap::new(),
            timer: now,
            outputs: VecDeque::new(),
            config,
        })
    }

    /// A voter of a new group, in view 0 of epoch 0 with an empty order; `me`
    /// must be one of `config.voters`.
    pub fn new(config: VrConfig, machine: M, now: Time) -> Result<Self, ForcedError> {
        let mut v = Self::blank(config, machine, now, VoterStatus::Normal)?;
        if !v.voters.contains(&v.config.me) {
            return Err(ForcedError::Invalid(format!(
                "{:?} is not one of the voters {:?}",
                v.config.me, v.voters
            )));
        }
        v.enter_normal(now);
        Ok(v)
    }

    /// A voter restarted after a crash that lost its state: it recovers it from
    /// the others before taking part (VRR §4.3). `config.voters` should be the
    /// latest voters the shell knows.
    pub fn restart(config: VrConfig, machine: M, now: Time) -> Result<Self, ForcedError> {
        let mut v = Self::blank(config, machine, now, VoterStatus::Recovering)?;
        v.nonce = v.rng.next_u64();
        v.send_recovery(now);
        Ok(v)
    }

    /// A voter that a coming reconfiguration will add: it waits for the order so
    /// far from the group (`config.voters` are the current voters, whom it does not
    /// contact; they contact it).
    pub fn joiner(config: VrConfig, machine: M, now: Time) -> Result<Self, ForcedError> {
        let mut v = Self::blank(config, machine, now, VoterStatus::Joining)?;
        v.timer = NEVER;
        Ok(v)
    }

    /// This voter's status.
    pub fn status(&self) -> VoterStatus {
        self.status
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The current view.
    pub fn view(&self) -> u64 {
        self.view
    }

    /// The current voters.
    pub fn voters(&self) -> &[NodeId] {
        &self.voters
    }

    /// The primary of the current view, as this voter sees it.
    pub fn primary(&self) -> Option<NodeId> {
        primary_of(&self.voters, self.view)
    }

    /// Whether this voter is the primary, in normal status.
    pub fn is_primary(&self) -> bool {
        self.status == VoterStatus::Normal && self.primary() == Some(self.config.me)
    }

    /// The committed entries, in order: the same at every voter.
    pub fn committed(&self) -> &[Entry<M::Op, M::Outcome>] {
        let n = usize::try_from(self.commit)
            .unwrap_or(usize::MAX)
            .min(self.log.len());
        &self.log[..n]
    }

    /// The whole log, committed or not, from op number 1.
    pub fn entries(&self) -> &[Entry<M::Op, M::Outcome>] {
        &self.log
    }

    /// How many entries are committed (VRR's commit number).
    pub fn commit_number(&self) -> u64 {
        self.commit.min(self.log_len())
    }

    /// This voter's own id.
    pub fn me(&self) -> NodeId {
        self.config.me
    }

    /// Length of the log, committed or not.
    pub fn log_len(&self) -> u64 {
        self.log.len() as u64
    }

    /// The machine after the committed entries.
    pub fn state(&self) -> &M {
        &self.state
    }

    /// Primary only: the machine after every entry it ordered, committed or not.
    pub fn tip(&self) -> Option<&M> {
        self.is_primary().then_some(&self.tip)
    }

    /// When [`Voter::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Time> {
        let next_wait = self.waiting.values().map(|w| w.deadline).min();
        let t = match next_wait {
            Some(w) => w.min(self.timer),
            None => self.timer,
        };
        (t != NEVER).then_some(t)
    }

    /// The next thing to do. Sends the `Prepare` batch of the requests ordered since
    /// the last drain first.
    pub fn poll_output(&mut self) -> Option<VrOutput<M>> {
        self.flush();
        self.outputs.pop_front()
    }

    pub(super) fn majority(&self) -> usize {
        self.voters.len() / 2 + 1
    }

    pub(super) fn send(&mut self, to: NodeId, msg: VrMessage<M>) {
        self.outputs.push_back(Output::Send { to, msg });
    }

    pub(super) fn broadcast(&mut self, msg: &VrMessage<M>) {
        let me = self.config.me;
        for to in self.voters.clone() {
            if to != me {
                self.send(to, msg.clone());
            }
        }
    }

    pub(super) fn reply(&mut self, id: RequestId, result: Result<Answer<M::Outcome>, ForcedError>) {
        self.outputs.push_back(Output::Reply { id, result });
    }

    /// This voter's whole log, placed in `view`.
    pub(super) fn log_state(&self) -> VrLogState<M> {
        LogState {
            epoch: self.epoch,
            view: self.view,
            voters: self.voters.clone(),
            epoch_start: self.epoch_start,
            entries: self.log.clone(),
            commit: self.commit.min(self.log_len()),
        }
    }

    /// A client asks for `command` under request id `id`.
    pub fn handle_request(&mut self, now: Time, id: RequestId, command: Command<M::Op>) {
        if self.status == VoterStatus::Retired {
            return self.reply(id, Err(ForcedError::Retired));
        }
        if let Some((seq, answer)) = self.answers.get(&id.client) {
            if *seq == id.seq {
                let answer = answer.clone();
                return self.reply(id, Ok(answer));
            }
            if *seq > id.seq {
                return; // an old request the client has moved past
            }
        }
        match self.status {
            VoterStatus::Normal if self.is_primary() => self.order(now, id, command),
            VoterStatus::Normal => {
                let primary = self.primary();
                self.reply(id, Err(ForcedError::NotPrimary { primary }));
            }
            _ => self.hold(now, id, Some(command)),
        }
    }

    /// Enters normal status in the current view, as primary or backup.
    pub(super) fn enter_normal(&mut self, now: Time) {
        self.status = VoterStatus::Normal;
        self.last_normal_view = self.view;
        self.svc.clear();
        self.dvc.clear();
        self.sent_dvc = false;
        if self.is_primary() {
            let me = self.config.me;
            self.acked = self
                .voters
                .iter()
                .filter(|v| **v != me)
                .map(|v| (*v, 0))
                .collect();
            self.sent = self.log_len();
            self.tip = self.state.clone();
            let from = usize::try_from(self.commit).unwrap_or(usize::MAX);
            for e in self.log.iter().skip(from) {
                if let EntryBody::Op { op, outcome } = &e.body {
                    self.tip.apply(op, outcome);
                }
            }
            self.tip_clients.clear();
            for e in &self.log {
                let seq = self.tip_clients.entry(e.id.client).or_insert(e.id.seq);
                *seq = (*seq).max(e.id.seq);
            }
            self.timer = now;
            let held: Vec<(RequestId, Command<M::Op>)> = self
                .waiting
                .iter_mut()
                .filter_map(|(id, w)| w.command.take().map(|c| (*id, c)))
                .collect();
            for (id, command) in held {
                self.order(now, id, command);
            }
            self.try_commit(now);
        } else {
            self.acked.clear();
            self.timer = now + self.config.view_change_timeout;
            let primary = self.primary();
            let ids: Vec<RequestId> = self.waiting.keys().copied().collect();
            self.waiting.clear();
            for id in ids {
                self.reply(id, Err(ForcedError::NotPrimary { primary }));
            }
        }
    }

    /// A message from voter `from` (authenticated by the transport).
    pub fn handle_message(&mut self, now: Time, from: NodeId, msg: VrMessage<M>) {
        if self.status == VoterStatus::Retired {
            return;
        }
        match msg {
            Message::Prepare {
                epoch,
                view,
                first,
                entries,
                commit,
            } => self.on_prepare(now, from, epoch, view, first, entries, commit),
            Message::PrepareOk { epoch, view, op } => {
                self.on_prepare_ok(now, from, epoch, view, op)
            }
            Message::Commit {
                epoch,
                view,
                commit,
            } => self.on_prepare(now, from, epoch, view, 1, Vec::new(), commit),
            Message::StartViewChange { epoch, view } => {
                self.on_start_view_change(now, from, epoch, view)
            }
            Message::DoViewChange {
                state,
                last_normal_view,
            } => self.on_do_view_change(now, from, state, last_normal_view),
            Message::StartView { state } => self.on_start_view(now, from, state),
            Message::Recovery { nonce } => self.on_recovery(from, nonce),
            Message::RecoveryResponse {
                nonce,
                epoch,
                view,
                state,
            } => self.on_recovery_response(now, from, nonce, epoch, view, state),
            Message::GetState { .. } => self.on_get_state(from),
            Message::NewState { state } => self.on_new_state(now, from, state),
            Message::EpochStarted { state } => self.on_epoch_started(now, state),
        }
    }

    /// Sorts out a message stamped `(epoch, view)` from `from`: `true` when it is
    /// for this voter's current epoch and view. Older epochs get the start of this
    /// one; newer epochs or views trigger a state transfer.
    pub(super) fn current(&mut self, from: NodeId, epoch: u64, view: u64) -> bool {
        if epoch < self.epoch {
            self.send_epoch_started(from);
            return false;
        }
        if (epoch, view) > (self.epoch, self.view) {
            if matches!(
                self.status,
                VoterStatus::Normal | VoterStatus::ViewChange | VoterStatus::Joining
            ) {
                self.send(from, Message::GetState { epoch, view });
            }
            return false;
        }
        (epoch, view) == (self.epoch, self.view)
    }

    /// Expires waiting requests and fires the role's timer.
    pub fn handle_timeout(&mut self, now: Time) {
        let expired: Vec<RequestId> = self
            .waiting
            .iter()
            .filter(|(_, w)| w.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.waiting.remove(&id);
            self.reply(id, Err(ForcedError::NoQuorum));
        }
        if now < self.timer {
            return;
        }
        match self.status {
            VoterStatus::Normal if self.is_primary() => self.heartbeat(now),
            VoterStatus::Normal | VoterStatus::ViewChange => {
                self.start_view_change(now, self.view.saturating_add(1))
            }
            VoterStatus::Recovering => self.send_recovery(now),
            VoterStatus::Joining | VoterStatus::Retired => self.timer = NEVER,
        }
    }
}
