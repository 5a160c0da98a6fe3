//! `Replica<A>`: the lazy replication algorithm of Ladin et al., as a state machine.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::app::{App, ApplyContext, UpdateClass};
use crate::bugs::{self, Bug};
use crate::config::{ForcedConfigError, ReplicaConfig};
use crate::executed::{ExecutedTable, Seen};
use crate::held::{HeldUpdate, HeldUpdates};
use crate::ids::{Dot, ReplicaId, UpdateId};
use crate::log::UpdateLog;
use crate::message::{ClientReply, ClientRequest, ForcedRequest, Gossip, PeerMessage, Snapshot};
use crate::progress::Progress;
use crate::ready::{Journal, Ready};
use crate::record::UpdateRecord;
use crate::reorder::ReorderBuffer;
use crate::size::{encoded_len, varint_len};
use crate::stats::{ReplicaStats, SendCost};
use crate::status::Status;
use crate::time::Time;
use crate::timers::{Timer, TimerTable};
use crate::timestamp::VectorTimestamp;

mod forced;
mod forced_peer;
mod forced_state;
mod forced_sync;

use forced_state::ForcedState;

/// The caller's handle for a client request, echoed in the reply.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct RequestToken(pub u64);

/// Something the replica wants done; released by [`Replica::advance`].
#[derive(Clone, PartialEq, Debug)]
pub enum Output<A: App> {
    /// Send `msg` to the peer `to`.
    Send {
        /// The peer.
        to: ReplicaId,
        /// The message.
        msg: PeerMessage<A>,
    },
    /// Answer the client request `token`.
    Reply {
        /// From [`Replica::handle_request`].
        token: RequestToken,
        /// The answer.
        reply: ClientReply<A>,
    },
    /// An update was applied (only with [`ReplicaConfig::emit_applied`]).
    Applied {
        /// The update.
        id: UpdateId,
        /// The record applied.
        dot: Dot,
        /// Its causal past.
        prev: VectorTimestamp,
    },
}

/// A query waiting for its causal past to arrive.
#[derive(Clone, Debug)]
struct Held<A: App> {
    token: RequestToken,
    prev: VectorTimestamp,
    query: A::Query,
    deadline: Time,
}

/// One replica manager of the gossip architecture, without I/O.
///
/// Feed it client requests ([`handle_request`](Self::handle_request)), peer
/// messages ([`handle_peer`](Self::handle_peer)) and timer expiries
/// ([`handle_timeout`](Self::handle_timeout), at [`poll_timeout`](Self::poll_timeout));
/// take what it wants persisted and done with [`ready`](Self::ready), and
/// the outputs, once persisted, with [`advance`](Self::advance). It keeps
/// the state of Ladin et al.'s replica manager: the value and value timestamp,
/// the update log, the replica timestamp, the executed-update table and the
/// timestamp table.
#[derive(Debug)]
pub struct Replica<A: App> {
    id: ReplicaId,
    config: ReplicaConfig,
    status: Status,
    /// The application state: every update covered by `value_ts`, applied.
    app: A,
    value_ts: VectorTimestamp,
    /// What this replica has received (applied or in the log).
    rep_ts: VectorTimestamp,
    log: UpdateLog<A::Update>,
    /// Records that arrived ahead of a gap in their origin's counters (a
    /// pipelining shell delivers batches out of order), held until it fills.
    reorder: ReorderBuffer<A::Update>,
    executed: ExecutedTable,
    /// What we know of each peer, and have done for it. Its key set is the
    /// membership (self excluded); its `reported` rows are the timestamp
    /// table.
    peers: BTreeMap<ReplicaId, Progress>,
    /// Peers that get eager pushes; `None` means every member.
    push_targets: Option<BTreeSet<ReplicaId>>,
    /// Set when `rep_ts` grew since the last push, so polling stays cheap;
    /// while it is clear, the push timer does not wake the shell.
    push_dirty: bool,
    /// Where the next anti-entropy round starts among the members; `None`
    /// until the first round, which starts at this replica's successor in
    /// name order so that replicas do not all ask the same peer at once.
    ae_cursor: Option<usize>,
    held: Vec<Held<A>>,
    /// Updates whose causal past has not arrived yet: accepted (and only
    /// then acknowledged) once it has, answered "not yet" at their deadline.
    held_updates: HeldUpdates<A::Update>,
    /// Every deadline: anti-entropy, paced pushes, held queries and updates,
    /// the catch-up wait (armed when a snapshot could not be adopted because
    /// this replica applied updates its sender lacks: until it expires no new
    /// updates are taken, so the next snapshot can cover them), retirement.
    timers: TimerTable,
    /// What waits to leave, with what each costs in the traffic counters,
    /// which count it only as it leaves.
    outputs: VecDeque<(Output<A>, SendCost)>,
    /// What changed since the last `ready` (only with `config.journal`).
    journal: Journal<A>,
    stats: ReplicaStats,
    /// The forced order (issue #13): this replica's voter or learner state,
    /// `None` when none is configured or its configuration is invalid.
    forced: Option<ForcedState<A>>,
    /// Why the configured forced order cannot run: forced requests are
    /// answered with it.
    forced_error: Option<ForcedConfigError>,
}

impl<A: App> Replica<A> {
    /// A replica named `id` starting from `app` at time `now`. An invalid
    /// forced configuration does not stop it: it runs without a forced order
    /// and refuses forced requests with the reason
    /// ([`forced_config_error`](Self::forced_config_error)); use
    /// [`try_new`](Self::try_new) to refuse it up front.
    pub fn new(id: ReplicaId, config: ReplicaConfig, app: A, now: Time) -> Self {
        Self::build(id, config, app, now, false)
    }

    /// [`Replica::new`], refusing an invalid forced configuration.
    pub fn try_new(
        id: ReplicaId,
        config: ReplicaConfig,
        app: A,
        now: Time,
    ) -> Result<Self, ForcedConfigError> {
        let me = Self::new(id, config, app, now);
        match me.forced_error.clone() {
            Some(e) => Err(e),
            None => Ok(me),
        }
    }

    /// A replica; with `recovering`, its voter (if it is one) lost its
    /// memory in a restart and recovers it from the other voters (VRR §4.3).
    fn build(id: ReplicaId, config: ReplicaConfig, app: A, now: Time, recovering: bool) -> Self {
        let mut timers = TimerTable::default();
        timers.set(Timer::AntiEntropy, now + config.anti_entropy_interval);
        timers.set(Timer::Retire, now + config.anti_entropy_interval);
        if config.push_interval.is_some() {
            // The pacing grid starts now; it wakes the shell only when dirty.
            timers.set(Timer::Push, now);
        }
        let reorder = ReorderBuffer::new(config.max_reorder_records);
        let held_updates = HeldUpdates::new(config.max_held_updates);
        let (forced, forced_error) = match config.forced.clone() {
            None => (None, None),
            Some(fc) => match ForcedState::new(&id, fc, now, recovering) {
                Ok(f) => (Some(f), None),
                Err(e) => (None, Some(e)),
            },
        };
        let mut me = Self {
            id,
            config,
            status: Status::Online,
            app,
            value_ts: VectorTimestamp::new(),
            rep_ts: VectorTimestamp::new(),
            log: UpdateLog::default(),
            reorder,
            executed: ExecutedTable::default(),
            peers: BTreeMap::new(),
            push_targets: None,
            push_dirty: false,
            ae_cursor: None,
            held: Vec::new(),
            held_updates,
            timers,
            outputs: VecDeque::new(),
            journal: Journal::default(),
            stats: ReplicaStats::default(),
            forced,
            forced_error,
        };
        me.forced_pump(now);
        me
    }

    /// A replica resumed from durable state: `snapshot` (an applied state and
    /// the ids it includes) and the stored records, in any order. Each
    /// origin's records must run on without a gap from at or below the
    /// snapshot's entry (a shell that deletes only records at or below
    /// [`Replica::log_horizon`] keeps that so); records past a gap are
    /// skipped, and gossip brings them again. Records the snapshot covers go
    /// back into the log as applied, so peers that lack them still get them
    /// by gossip; the rest are logged and applied as they become stable,
    /// exactly as if they had arrived by gossip. `members` are the peers known
    /// at start: records wait in the log until they have them, as before.
    pub fn restore(
        id: ReplicaId,
        config: ReplicaConfig,
        members: &[ReplicaId],
        snapshot: Snapshot<A>,
        mut records: Vec<UpdateRecord<A::Update>>,
        now: Time,
    ) -> Self {
        // A voter restored from disk lost the order's memory (it is not
        // journaled): it recovers it from the other voters.
        let mut me = Self::build(id, config, snapshot.app, now, true);
        for m in members {
            me.add_member(m.clone());
        }
        me.value_ts = snapshot.value_ts;
        me.rep_ts = me.value_ts.clone();
        for (uid, dot) in &snapshot.executed {
            me.executed.note_applied(*uid, dot, now);
        }
        records.sort_by(|a, b| a.dot.cmp(&b.dot));
        for rec in records {
            let (origin, seq) = (&rec.dot.origin, rec.dot.seq);
            let last = me.log.last_seq(origin);
            if last.is_some_and(|l| seq <= l) {
                continue; // a record held already
            }
            if last.is_none_or(|l| seq != l + 1) {
                // Not the next of the run under way: only a record that can
                // start a run joined to the snapshot is taken, and it
                // replaces a run that fell short of it.
                if seq == 0 || seq > me.value_ts.get(origin) + 1 {
                    continue;
                }
                me.log.clear_origin(origin);
            }
            if me.value_ts.covers(&rec.dot) {
                me.executed.note_applied(rec.id, &rec.dot, now);
            } else {
                me.executed.note_logged(rec.id, &rec.dot);
            }
            me.rep_ts.raise(origin, seq);
            me.log.push(rec);
        }
        // A run of covered records that stops short of the snapshot would
        // leave a gap at the end of the log: drop it.
        let origins: Vec<ReplicaId> = me.log.origins().cloned().collect();
        for origin in origins {
            if me.log.last_seq(&origin) < Some(me.value_ts.get(&origin)) {
                me.log.clear_origin(&origin);
            }
        }
        me.apply_stable(now);
        me
    }

    /// The applied state as a snapshot (state transfer, durable storage).
    pub fn snapshot(&self) -> Snapshot<A> {
        Snapshot {
            app: self.app.clone(),
            value_ts: self.value_ts.clone(),
            executed: self.executed.applied().collect(),
        }
    }

    /// Per origin, the last record no longer in the log: every member has it
    /// and it is applied here. A durable shell may delete a stored record at
    /// or below this horizon once a snapshot covering it is written, and no
    /// other: until every member has a record, peers may need it from this
    /// log, even after a restart ([`Replica::restore`] puts it back there).
    pub fn log_horizon(&self) -> VectorTimestamp {
        self.rep_ts
            .iter()
            .map(|(origin, have)| {
                let gone = self.log.front_seq(origin).map_or(have, |f| f - 1);
                (origin.clone(), gone)
            })
            .collect()
    }

    /// Takes what the replica has for its shell: the journal of what changed
    /// since the last call (see [`ReplicaConfig::journal`]) and the outputs
    /// that wait, which [`advance`](Self::advance) releases once the shell has
    /// persisted the journal. Own new records are pushed to every peer in one
    /// batch per call (the fast path, without a push interval).
    pub fn ready(&mut self) -> Ready<A> {
        if self.config.push_interval.is_none() {
            self.push_eagerly();
        }
        let journal = std::mem::take(&mut self.journal);
        Ready::new(journal, self.outputs.drain(..).collect())
    }

    /// Releases the outputs of `ready`: the caller says its journal is on
    /// durable storage (or needs none), so nothing the replica acknowledges
    /// or reports can be lost. Traffic is counted in [`stats`](Self::stats)
    /// here, as it leaves.
    pub fn advance(&mut self, ready: Ready<A>) -> Vec<Output<A>> {
        ready
            .into_outputs()
            .into_iter()
            .map(|(output, cost)| {
                self.stats.count_sent(cost);
                output
            })
            .collect()
    }

    // ----- inspection -------------------------------------------------------

    /// This replica's name.
    pub fn id(&self) -> &ReplicaId {
        &self.id
    }
    /// The application state.
    pub fn app(&self) -> &A {
        &self.app
    }
    /// What the application state includes.
    pub fn value_ts(&self) -> &VectorTimestamp {
        &self.value_ts
    }
    /// What this replica has received.
    pub fn rep_ts(&self) -> &VectorTimestamp {
        &self.rep_ts
    }
    /// Records in the update log.
    pub fn log_len(&self) -> usize {
        self.log.len()
    }
    /// Records held ahead of a gap, waiting for it to fill.
    pub fn reorder_len(&self) -> usize {
        self.reorder.len()
    }
    /// Entries in the executed-update table.
    pub fn executed_len(&self) -> usize {
        self.executed.len()
    }
    /// Queries waiting for their causal past.
    pub fn held_len(&self) -> usize {
        self.held.len()
    }
    /// Updates waiting for their causal past before they are accepted.
    pub fn held_updates_len(&self) -> usize {
        self.held_updates.len()
    }
    /// The deadline of the oldest held query or update.
    pub fn oldest_held_deadline(&self) -> Option<Time> {
        let queries = self.timers.get(Timer::HeldQuery);
        match (queries, self.timers.get(Timer::HeldUpdate)) {
            (Some(q), Some(u)) => Some(q.min(u)),
            (q, u) => q.or(u),
        }
    }
    /// The current status.
    pub fn status(&self) -> Status {
        self.status
    }
    /// The peers and what each last reported having (a copy: the rows live
    /// in each peer's progress).
    pub fn timestamp_table(&self) -> BTreeMap<ReplicaId, VectorTimestamp> {
        self.peers
            .iter()
            .map(|(peer, p)| (peer.clone(), p.reported.clone()))
            .collect()
    }
    /// Whether `peer` is a member (self excluded).
    pub fn is_member(&self, peer: &ReplicaId) -> bool {
        self.peers.contains_key(peer)
    }
    /// Counters since start.
    pub fn stats(&self) -> &ReplicaStats {
        &self.stats
    }
    /// The configuration.
    pub fn config(&self) -> &ReplicaConfig {
        &self.config
    }

    // ----- membership and status -------------------------------------------

    /// Adds a peer; records are kept until it has them too.
    pub fn add_member(&mut self, peer: ReplicaId) {
        if peer == self.id || self.peers.contains_key(&peer) {
            return;
        }
        self.forced_add_name(&peer);
        self.peers.insert(peer, Progress::joining(&self.rep_ts));
    }

    /// Restricts eager pushes to `targets` (`None`: every member). With a
    /// tree of targets, set [`ReplicaConfig::relay`] too.
    pub fn set_push_targets(&mut self, targets: Option<BTreeSet<ReplicaId>>) {
        self.push_targets = targets;
        self.push_dirty = true;
    }

    /// Removes a peer; records no longer wait for it.
    pub fn remove_member(&mut self, peer: &ReplicaId) {
        self.peers.remove(peer);
        self.discard();
    }

    /// Changes the status; held queries and updates are answered
    /// "unavailable" when it stops being online.
    pub fn set_status(&mut self, status: Status) {
        self.status = status;
        if status != Status::Online {
            for h in std::mem::take(&mut self.held) {
                self.reply(h.token, ClientReply::Unavailable { status });
            }
            for h in self.held_updates.take_all() {
                self.reply(h.token, ClientReply::Unavailable { status });
            }
            self.rearm_held();
        }
    }

    /// Arms the held-query and held-update timers at the oldest deadlines,
    /// or stops them; called wherever the held sets change.
    fn rearm_held(&mut self) {
        let queries = self.held.iter().map(|h| h.deadline).min();
        self.timers.set_or_stop(Timer::HeldQuery, queries);
        let updates = self.held_updates.oldest_deadline();
        self.timers.set_or_stop(Timer::HeldUpdate, updates);
    }

    // ----- inputs -----------------------------------------------------------

    /// Handles a request from a front end; the answer comes out of
    /// [`ready`](Self::ready), now or (for a held query or update) later.
    pub fn handle_request(&mut self, now: Time, token: RequestToken, request: ClientRequest<A>) {
        if self.status != Status::Online {
            let status = self.status;
            self.reply(token, ClientReply::Unavailable { status });
            return;
        }
        match request {
            ClientRequest::Update { id, prev, op } if A::class(&op) == UpdateClass::Forced => {
                let request = ForcedRequest::Update { id, prev, op };
                self.forced_client_request(now, token, request);
            }
            ClientRequest::Update { id, prev, op } => self.accept_update(now, token, id, prev, op),
            ClientRequest::Query { prev, query } => self.accept_query(now, token, prev, query),
            ClientRequest::ForcedQuery { id, prev, query } => {
                let request = ForcedRequest::Query { id, prev, query };
                self.forced_client_request(now, token, request);
            }
        }
    }

    fn accept_update(
        &mut self,
        now: Time,
        token: RequestToken,
        id: UpdateId,
        prev: VectorTimestamp,
        op: A::Update,
    ) {
        if let Err(reason) = A::validate(&op) {
            self.reply(token, ClientReply::Rejected { reason });
            return;
        }
        if prev.get(&self.id) > self.rep_ts.get(&self.id) {
            let reason = format!(
                "the session has seen {} updates from {} but {} has only {}: its context comes from a replica that lost data",
                prev.get(&self.id),
                self.id,
                self.id,
                self.rep_ts.get(&self.id)
            );
            self.stats.updates_bad_context += 1;
            self.reply(token, ClientReply::Rejected { reason });
            return;
        }
        // A retry of an update we already have: answer as the first time.
        if let Some((seen, dot)) = self.executed.get(&id) {
            let ts = match (seen, self.log.get(dot)) {
                (Seen::Logged, Some(rec)) => rec.ts(),
                _ => self.value_ts.clone(),
            };
            self.stats.duplicate_requests += 1;
            self.reply(token, ClientReply::Accepted { ts });
            return;
        }
        if let Some(reason) = self.unknown_origin(&prev) {
            self.stats.updates_bad_context += 1;
            self.reply(token, ClientReply::Rejected { reason });
            return;
        }
        if self.timers.get(Timer::CatchUp).is_some_and(|t| now < t) {
            let value_ts = self.value_ts.clone();
            self.reply(token, ClientReply::NotYet { value_ts });
            return;
        }
        if !prev.le(&self.rep_ts) {
            // Logged now, the record could not become stable until its past
            // arrives, and it would hold back every later record of ours at
            // every replica. Wait for that past, as a query does, instead.
            self.hold_update(now, token, id, prev, op);
            return;
        }
        let seq = self.rep_ts.get(&self.id) + 1;
        let record = UpdateRecord {
            id,
            dot: Dot {
                origin: self.id.clone(),
                seq,
            },
            prev,
            op,
            refused: None,
        };
        let ts = record.ts();
        self.executed.note_logged(id, &record.dot);
        self.rep_ts.set(self.id.clone(), seq);
        if self.config.journal {
            self.journal.records.push(record.clone());
        }
        self.log.push(record);
        self.push_dirty = true;
        self.stats.updates_accepted += 1;
        self.reply(token, ClientReply::Accepted { ts });
        self.apply_stable(now);
    }

    /// Why `prev` can never be covered here, when it names records of a
    /// replica that is neither this one nor a member: nobody would ever
    /// gossip them, so an update after them could never apply.
    fn unknown_origin(&self, prev: &VectorTimestamp) -> Option<String> {
        let (origin, seen) = prev.iter().find(|(origin, seen)| {
            *seen > self.rep_ts.get(origin)
                && *origin != &self.id
                && !origin.is_forced()
                && !self.peers.contains_key(*origin)
        })?;
        Some(format!(
            "the session's context names {seen} update(s) from {origin}, which is not a member of the cluster {} knows: they can never arrive, so an update after them could never apply",
            self.id
        ))
    }

    /// Holds an update until its causal past arrives (or its deadline), and
    /// asks the peers for that past.
    fn hold_update(
        &mut self,
        now: Time,
        token: RequestToken,
        id: UpdateId,
        prev: VectorTimestamp,
        op: A::Update,
    ) {
        let update = HeldUpdate {
            token,
            id,
            prev,
            op,
            deadline: now + self.config.hold_timeout,
        };
        if let Err(refused) = self.held_updates.hold(update) {
            self.stats.updates_not_yet += 1;
            let value_ts = self.value_ts.clone();
            self.reply(refused.token, ClientReply::NotYet { value_ts });
            return;
        }
        self.stats.updates_held += 1;
        self.rearm_held();
        let peers: Vec<ReplicaId> = self.peers.keys().cloned().collect();
        for peer in peers {
            self.send_digest(peer, false);
        }
    }

    /// Accepts the held updates whose causal past has now arrived.
    fn release_held_updates(&mut self, now: Time) {
        if self.status != Status::Online {
            return;
        }
        let ready = self.held_updates.take_ready(&self.rep_ts);
        if ready.is_empty() {
            return;
        }
        for h in ready {
            // The same path as a fresh request: a copy accepted meanwhile
            // (a retry) is answered as a duplicate, not logged twice.
            self.stats.updates_released += 1;
            self.accept_update(now, h.token, h.id, h.prev, h.op);
        }
        self.rearm_held();
    }

    fn accept_query(
        &mut self,
        now: Time,
        token: RequestToken,
        prev: VectorTimestamp,
        query: A::Query,
    ) {
        if prev.le(&self.value_ts) || bugs::on(&self.config, Bug::StaleRead) {
            self.answer(token, &query);
            return;
        }
        if self.held.len() >= self.config.max_held_queries {
            let value_ts = self.value_ts.clone();
            self.stats.queries_not_yet += 1;
            self.reply(token, ClientReply::NotYet { value_ts });
            return;
        }
        // Ask the peers for what we lack; they answer with gossip.
        let peers: Vec<ReplicaId> = self.peers.keys().cloned().collect();
        for peer in peers {
            self.send_digest(peer, false);
        }
        self.stats.queries_held += 1;
        self.held.push(Held {
            token,
            prev,
            query,
            deadline: now + self.config.hold_timeout,
        });
        self.rearm_held();
    }

    /// Handles a message from the peer `from`.
    pub fn handle_peer(&mut self, now: Time, from: &ReplicaId, msg: PeerMessage<A>) {
        if self.status == Status::Offline || from == &self.id {
            return;
        }
        match msg {
            PeerMessage::Gossip(g) => {
                self.receive_gossip(now, from, g);
                self.forced_pump(now);
            }
            PeerMessage::Digest { rep_ts, reply } => self.receive_digest(now, from, rep_ts, reply),
            PeerMessage::Snapshot(s) => {
                self.receive_snapshot(now, *s);
                self.forced_pump(now);
            }
            PeerMessage::Vr(m) => self.handle_vr(now, from, *m),
            PeerMessage::Forward(r) => self.handle_forward(now, from, *r),
            PeerMessage::ForwardReply { id, reply } => {
                self.handle_forward_reply(now, from, id, *reply)
            }
        }
    }

    fn note_peer_ts(&mut self, from: &ReplicaId, ts: &VectorTimestamp) {
        if let Some(p) = self.peers.get_mut(from) {
            p.reported.merge(ts);
        }
    }

    fn receive_gossip(&mut self, now: Time, from: &ReplicaId, g: Gossip<A>) {
        self.stats.gossip_in += 1;
        for rec in g.records {
            // A record that breaks the counter rules is dropped, never trusted.
            let sane = rec.dot.seq >= 1 && rec.prev.get(&rec.dot.origin) < rec.dot.seq;
            if !sane {
                self.stats.bad_records += 1;
                continue;
            }
            let have = self.rep_ts.get(&rec.dot.origin);
            if rec.dot.seq <= have {
                continue; // already have it
            }
            if rec.dot.seq > have + 1 {
                // Ahead of a gap: an earlier batch is still on its way.
                if self.reorder.hold(rec) {
                    self.stats.records_reordered += 1;
                } else {
                    self.stats.reorder_dropped += 1; // anti-entropy repairs it
                }
                continue;
            }
            let origin = rec.dot.origin.clone();
            self.receive_record(rec);
            self.take_held(&origin);
        }
        self.note_peer_ts(from, &g.rep_ts);
        self.apply_stable(now);
        self.release_held_updates(now);
    }

    /// Logs a record that is its origin's next counter.
    fn receive_record(&mut self, rec: UpdateRecord<A::Update>) {
        self.stats.records_in += 1;
        self.executed.note_logged(rec.id, &rec.dot);
        self.rep_ts.set(rec.dot.origin.clone(), rec.dot.seq);
        if self.config.journal {
            self.journal.records.push(rec.clone());
        }
        self.log.push(rec);
        self.push_dirty = true;
    }

    /// Moves held records of `origin` into the log while they follow on.
    fn take_held(&mut self, origin: &ReplicaId) {
        while let Some(rec) = self.reorder.take_next(origin, self.rep_ts.get(origin) + 1) {
            self.receive_record(rec);
        }
    }

    fn receive_digest(
        &mut self,
        now: Time,
        from: &ReplicaId,
        peer_ts: VectorTimestamp,
        reply: bool,
    ) {
        self.stats.digests_in += 1;
        self.note_peer_ts(from, &peer_ts);
        // Judge what the peer lacks by everything it has reported, not this
        // digest alone: a digest delayed in the network is older than what we
        // know, and would make the peer look behind the discarded horizon.
        let known = self
            .peers
            .get(from)
            .map_or_else(|| peer_ts.clone(), |p| p.reported.clone());
        self.send_missing(now, from, &known);
        if reply && !peer_ts.le(&self.rep_ts) {
            self.send_digest(from.clone(), false);
        }
        self.discard();
    }

    /// Sends `to` whatever it lacks: log records, or a snapshot when the log no
    /// longer holds them.
    fn send_missing(&mut self, now: Time, to: &ReplicaId, peer_ts: &VectorTimestamp) {
        if self.rep_ts.le(peer_ts) {
            return;
        }
        if !self.log.can_serve(&self.rep_ts, peer_ts) {
            let interval = self.config.snapshot_interval;
            let recent = self
                .peers
                .get(to)
                .is_some_and(|p| p.snapshot_recent(now, interval));
            if !recent {
                if let Some(p) = self.peers.get_mut(to) {
                    p.snapshot_sent = Some(now);
                }
                let snap = self.snapshot();
                let bytes = (1 + encoded_len(&snap)) as u64;
                let msg = PeerMessage::Snapshot(Box::new(snap));
                self.queue_send(to.clone(), msg, SendCost::Snapshot { bytes });
            }
            return;
        }
        // What `to` may still be receiving is not sent again now: records
        // we pushed it since its previous digest (pushes are pipelined), and
        // other origins' records that reached us since then (someone pushed
        // them to it too). What it lacked already at its previous digest,
        // and we had by then, is presumed lost and is sent, and so are
        // records we push it but have not pushed yet.
        let pushed = self
            .peers
            .get(to)
            .map(|p| p.pushed.clone())
            .unwrap_or_default();
        let mark: VectorTimestamp = self
            .rep_ts
            .iter()
            .map(|(origin, have)| {
                let sent = if self.pushes_to(to, origin) {
                    pushed.get(origin).min(have)
                } else {
                    have
                };
                (origin.clone(), sent)
            })
            .collect();
        let before = match self.peers.get_mut(to) {
            Some(p) => std::mem::replace(&mut p.pushed_at_digest, mark.clone()),
            None => VectorTimestamp::new(),
        };
        let rep_ts = &self.rep_ts;
        let in_flight = |origin: &ReplicaId| {
            let have = rep_ts.get(origin);
            let lost_upto = peer_ts.get(origin).max(before.get(origin)).min(have);
            // A non-member keeps no progress: its mark holds for this digest only.
            let sent = mark.get(origin);
            (lost_upto, sent.max(lost_upto).min(have))
        };
        let mut records = Vec::new();
        self.log.collect_missing(
            peer_ts,
            in_flight,
            self.config.max_gossip_bytes,
            encoded_len,
            &mut records,
        );
        // Records of ours sent now count as pushed: the push path need not
        // send them again.
        let pushes: Vec<bool> = records
            .iter()
            .map(|rec| self.pushes_to(to, &rec.dot.origin))
            .collect();
        if let Some(p) = self.peers.get_mut(to) {
            for (rec, pushed) in records.iter().zip(pushes) {
                let origin = &rec.dot.origin;
                if pushed {
                    p.pushed.raise(origin, rec.dot.seq);
                }
                // What is re-sent now is in flight too, until the next digest.
                if p.pushed_at_digest.get(origin) >= rec.dot.seq {
                    p.pushed_at_digest.set(origin.clone(), rec.dot.seq - 1);
                }
            }
        }
        if !records.is_empty() {
            let bytes = records.iter().map(encoded_len).sum();
            self.send_gossip(to.clone(), records, bytes, false);
        }
    }

    fn send_gossip(
        &mut self,
        to: ReplicaId,
        records: Vec<UpdateRecord<A::Update>>,
        record_bytes: usize,
        push: bool,
    ) {
        // A push tells only about the origins it carries: the rest of our
        // timestamp changes with every record from anyone, so sending it
        // would put O(N) bytes on each push. Digests tell the whole of it.
        let rep_ts = if push {
            let origins: BTreeSet<&ReplicaId> = records.iter().map(|r| &r.dot.origin).collect();
            self.untold(&to, |o| origins.contains(o))
        } else {
            self.untold(&to, |_| true)
        };
        // The message's encoded size without encoding it: the variant, the
        // timestamp, the record count and the records (sized by the caller).
        let bytes = (1 + encoded_len(&rep_ts) + varint_len(records.len()) + record_bytes) as u64;
        let cost = SendCost::Gossip {
            push,
            records: records.len() as u64,
            bytes,
        };
        let msg = PeerMessage::Gossip(Gossip { rep_ts, records });
        self.queue_send(to, msg, cost);
    }

    /// The entries of our replica timestamp, among the origins `wanted`,
    /// that `to` has not been sent yet; from now on it counts as told them.
    fn untold(&mut self, to: &ReplicaId, wanted: impl Fn(&ReplicaId) -> bool) -> VectorTimestamp {
        match self.peers.get_mut(to) {
            Some(p) => p.untold(&self.rep_ts, wanted),
            None => self.rep_ts.clone(),
        }
    }

    /// Queues a digest to `to`.
    fn send_digest(&mut self, to: ReplicaId, reply: bool) {
        if let Some(p) = self.peers.get_mut(&to) {
            p.told.merge(&self.rep_ts);
        }
        // The variant, the timestamp and the flag.
        let bytes = (1 + encoded_len(&self.rep_ts) + 1) as u64;
        let msg = PeerMessage::Digest {
            rep_ts: self.rep_ts.clone(),
            reply,
        };
        self.queue_send(to, msg, SendCost::Digest { bytes });
    }

    fn receive_snapshot(&mut self, now: Time, snap: Snapshot<A>) {
        self.stats.snapshots_in += 1;
        if snap.value_ts.le(&self.value_ts) {
            return; // nothing new in it
        }
        if !self.value_ts.le(&snap.value_ts) {
            // We applied updates the sender lacks: stop taking new ones until a
            // snapshot that includes ours arrives.
            self.timers
                .set(Timer::CatchUp, now + self.config.hold_timeout);
            return;
        }
        self.stats.snapshots_adopted += 1;
        self.timers.stop(Timer::CatchUp);
        // Origins whose counter jumps leave a gap in our log: drop their records.
        let jumped: Vec<ReplicaId> = snap
            .value_ts
            .iter()
            .filter(|(origin, v)| *v > self.rep_ts.get(origin))
            .map(|(origin, _)| origin.clone())
            .collect();
        for origin in jumped {
            for rec in self.log.clear_origin(&origin) {
                self.executed.note_applied(rec.id, &rec.dot, now);
            }
        }
        // Records the snapshot covers count as applied.
        let covered: Vec<(UpdateId, Dot)> = self
            .log
            .origins()
            .cloned()
            .collect::<Vec<_>>()
            .iter()
            .flat_map(|o| {
                self.log
                    .range(o, self.value_ts.get(o) + 1, snap.value_ts.get(o))
                    .map(|r| (r.id, r.dot.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (id, dot) in covered.iter().chain(snap.executed.iter()) {
            self.executed.note_applied(*id, dot, now);
        }
        self.app = snap.app;
        self.value_ts = snap.value_ts;
        self.rep_ts.merge(&self.value_ts);
        if self.config.journal {
            // Records covered by the snapshot may never reach the journal:
            // the snapshot itself must be written.
            self.journal.snapshot = true;
        }
        let rep_ts = &self.rep_ts;
        self.reorder.drop_covered(|origin| rep_ts.get(origin));
        let held: Vec<ReplicaId> = self.reorder.origins().cloned().collect();
        for origin in held {
            self.take_held(&origin);
        }
        self.apply_stable(now);
        self.release_held_updates(now);
    }

    /// Runs the timers due at `now` (see [`poll_timeout`](Self::poll_timeout)):
    /// anti-entropy, paced pushes, held-query and held-update deadlines, the
    /// end of a catch-up wait, and retirement of old executed-update entries.
    pub fn handle_timeout(&mut self, now: Time) {
        for timer in self.timers.expire(now) {
            self.fire(timer, now);
        }
    }

    /// Does the work of `timer`, due at `now`, and re-arms it if it repeats.
    fn fire(&mut self, timer: Timer, now: Time) {
        match timer {
            Timer::AntiEntropy => {
                let next = now + self.config.anti_entropy_interval;
                self.timers.set(Timer::AntiEntropy, next);
                if self.status != Status::Offline {
                    self.anti_entropy_round();
                }
            }
            Timer::Push => {
                if let Some(interval) = self.config.push_interval {
                    self.timers.set(Timer::Push, now + interval);
                    self.push_eagerly();
                }
            }
            Timer::HeldQuery => {
                let (expired, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
                    .into_iter()
                    .partition(|h| h.deadline <= now);
                self.held = kept;
                for h in expired {
                    self.stats.queries_not_yet += 1;
                    let value_ts = self.value_ts.clone();
                    self.reply(h.token, ClientReply::NotYet { value_ts });
                }
                self.rearm_held();
            }
            Timer::HeldUpdate => {
                for h in self.held_updates.take_expired(now) {
                    self.stats.updates_not_yet += 1;
                    let value_ts = self.value_ts.clone();
                    self.reply(h.token, ClientReply::NotYet { value_ts });
                }
                self.rearm_held();
            }
            // Disarmed by the expiry: new updates are taken again.
            Timer::CatchUp => {}
            Timer::Retire => {
                let next = now + self.config.anti_entropy_interval;
                self.timers.set(Timer::Retire, next);
                self.retire(now);
            }
            Timer::Forced => self.forced_timeout(now),
        }
    }

    fn anti_entropy_round(&mut self) {
        let members: Vec<ReplicaId> = self.peers.keys().cloned().collect();
        let n = members.len();
        let fanout = match self.config.anti_entropy_fanout {
            0 => n,
            f => f.min(n),
        };
        // Members are in name order: the first one above us is our successor.
        let start = *self
            .ae_cursor
            .get_or_insert_with(|| members.iter().filter(|m| **m < self.id).count());
        for i in 0..fanout {
            let peer = members[(start + i) % n].clone();
            self.send_digest(peer, true);
        }
        if n > 0 {
            self.ae_cursor = Some((start + fanout) % n);
        }
    }

    /// The next time [`handle_timeout`](Self::handle_timeout) has work.
    pub fn poll_timeout(&self) -> Time {
        // The push timer keeps the pacing grid even with nothing to push;
        // only then does it wake the shell.
        let quiet = (!self.push_dirty).then_some(Timer::Push);
        // The anti-entropy timer is always armed (it re-arms as it fires),
        // so the fallback is never used.
        self.timers
            .next_except(quiet)
            .unwrap_or(Time::from_micros(u64::MAX))
    }

    /// Whether eager pushes send `to` the records of `origin`.
    fn pushes_to(&self, to: &ReplicaId, origin: &ReplicaId) -> bool {
        let target = self.push_targets.as_ref().is_none_or(|t| t.contains(to));
        let ours = origin == &self.id || (origin.is_forced() && self.pushes_forced());
        target && (self.config.relay || ours)
    }

    /// Sends every push target the records it is not known to have: our own
    /// only, or (with `relay`) every origin's.
    fn push_eagerly(&mut self) {
        if self.status == Status::Offline || !self.push_dirty {
            return;
        }
        self.push_dirty = false;
        let targets: Vec<ReplicaId> = match &self.push_targets {
            None => self.peers.keys().cloned().collect(),
            Some(t) => t
                .iter()
                .filter(|p| self.peers.contains_key(*p))
                .cloned()
                .collect(),
        };
        let origins: Vec<ReplicaId> = if self.config.relay {
            self.log.origins().cloned().collect()
        } else if self.pushes_forced() {
            // A voter writes forced records on commit: it pushes them as
            // its own, so learners need not wait for anti-entropy.
            vec![self.id.clone(), ReplicaId::forced()]
        } else {
            vec![self.id.clone()]
        };
        for peer in targets {
            let mut estimate = self
                .peers
                .get(&peer)
                .map(Progress::estimate)
                .unwrap_or_default();
            let mut missing = Vec::new();
            for origin in &origins {
                let have = self.rep_ts.get(origin);
                if estimate.get(origin) < have {
                    missing.extend(
                        self.log
                            .range(origin, estimate.get(origin) + 1, have)
                            .cloned(),
                    );
                    estimate.raise(origin, have);
                }
            }
            let mut batch = Vec::new();
            let mut bytes = 0usize;
            for rec in missing {
                let n = encoded_len(&rec);
                if !batch.is_empty() && bytes + n > self.config.max_gossip_bytes {
                    self.send_gossip(peer.clone(), std::mem::take(&mut batch), bytes, true);
                    bytes = 0;
                }
                bytes += n;
                batch.push(rec);
            }
            if let Some(p) = self.peers.get_mut(&peer) {
                p.pushed = estimate;
            }
            if !batch.is_empty() {
                self.send_gossip(peer, batch, bytes, true);
            }
        }
    }

    // ----- the algorithm's core ---------------------------------------------

    /// Queues `msg` to `to`; `cost` is counted when it leaves.
    fn queue_send(&mut self, to: ReplicaId, msg: PeerMessage<A>, cost: SendCost) {
        self.outputs.push_back((Output::Send { to, msg }, cost));
    }

    fn reply(&mut self, token: RequestToken, reply: ClientReply<A>) {
        self.outputs
            .push_back((Output::Reply { token, reply }, SendCost::None));
    }

    fn answer(&mut self, token: RequestToken, query: &A::Query) {
        self.stats.queries_answered += 1;
        let reply = self.app.query(query);
        let ts = self.value_ts.clone();
        self.reply(token, ClientReply::Answer { reply, ts });
    }

    /// Applies every stable record, in causal order, then answers the held
    /// queries that became answerable and discards what everyone has.
    fn apply_stable(&mut self, now: Time) {
        let mut applied_any = false;
        loop {
            let mut progress = false;
            let origins: Vec<ReplicaId> = self.log.origins().cloned().collect();
            for origin in origins {
                loop {
                    let next = self.value_ts.get(&origin) + 1;
                    let Some(rec) = self.log.next_of(&origin, next) else {
                        break;
                    };
                    let stable = if bugs::on(&self.config, Bug::ApplyEarly) {
                        true
                    } else {
                        rec.is_stable(&self.value_ts)
                    };
                    if !stable {
                        break;
                    }
                    let rec = rec.clone();
                    self.apply_one(now, &rec);
                    progress = true;
                    applied_any = true;
                }
            }
            if !progress {
                break;
            }
        }
        if applied_any {
            self.answer_held();
            self.discard();
        }
    }

    fn apply_one(&mut self, now: Time, rec: &UpdateRecord<A::Update>) {
        let duplicate =
            self.executed.is_applied(&rec.id) && !bugs::on(&self.config, Bug::DoubleApply);
        if duplicate {
            self.stats.duplicates_skipped += 1;
        } else {
            let ctx = ApplyContext {
                id: rec.id,
                dot: &rec.dot,
                prev: &rec.prev,
                order: rec.arbitration(),
            };
            // A refused forced update is applied as a no-op (its decision
            // travels in the record; no replica decides again).
            if rec.refused.is_none() {
                self.app.apply(&rec.op, &ctx);
            }
            self.executed.note_applied(rec.id, &rec.dot, now);
            self.stats.updates_applied += 1;
            if self.config.emit_applied {
                let applied = Output::Applied {
                    id: rec.id,
                    dot: rec.dot.clone(),
                    prev: rec.prev.clone(),
                };
                self.outputs.push_back((applied, SendCost::None));
            }
        }
        self.value_ts.set(rec.dot.origin.clone(), rec.dot.seq);
    }

    fn answer_held(&mut self) {
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.prev.le(&self.value_ts));
        self.held = waiting;
        for h in ready {
            self.answer(h.token, &h.query);
        }
        self.rearm_held();
    }

    /// Drops applied records that every member has.
    fn discard(&mut self) {
        let value_ts = &self.value_ts;
        let peers = &self.peers;
        self.log.discard_while(|r| {
            value_ts.covers(&r.dot) && peers.values().all(|p| p.reported.covers(&r.dot))
        });
    }

    fn retire(&mut self, now: Time) {
        let peers = &self.peers;
        // The value timestamp, not rep_ts: a duplicate copy received but not
        // yet applied must still find its id here when it applies.
        self.executed.retire(
            now,
            self.config.dedup_retention,
            &self.value_ts,
            |dot| peers.values().all(|p| p.reported.covers(dot)),
            || {
                peers
                    .values()
                    .fold(VectorTimestamp::new(), |acc, p| acc.merged(&p.reported))
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ids::ClientId;
    use crate::testing::{KvApp, KvUpdate};

    fn r(n: &str) -> ReplicaId {
        ReplicaId::new(n).unwrap()
    }

    fn ts(entries: &[(&str, u64)]) -> VectorTimestamp {
        entries.iter().map(|(o, v)| (r(o), *v)).collect()
    }

    /// The record `origin:seq` of update `id`, adding `delta` to counter `k`.
    fn add(
        origin: &str,
        seq: u64,
        id: u64,
        prev: &[(&str, u64)],
        delta: i64,
    ) -> UpdateRecord<KvUpdate> {
        UpdateRecord {
            id: UpdateId {
                client: ClientId(1),
                seq: id,
            },
            dot: Dot {
                origin: r(origin),
                seq,
            },
            prev: ts(prev),
            op: KvUpdate::Add {
                key: "k".into(),
                delta,
            },
            refused: None,
        }
    }

    fn gossip(rep_ts: &[(&str, u64)], records: Vec<UpdateRecord<KvUpdate>>) -> PeerMessage<KvApp> {
        PeerMessage::Gossip(Gossip {
            rep_ts: ts(rep_ts),
            records,
        })
    }

    fn digest(rep_ts: &[(&str, u64)]) -> PeerMessage<KvApp> {
        PeerMessage::Digest {
            rep_ts: ts(rep_ts),
            reply: false,
        }
    }

    /// Found by `hearsay-sim` under long outages: an update id was retired
    /// while a second copy of the update sat received but unapplied in the
    /// log, so that copy was applied again once it became stable.
    #[test]
    fn a_duplicate_received_but_not_yet_applied_keeps_its_id_from_retiring() {
        let config = ReplicaConfig {
            dedup_retention: Duration::from_secs(1),
            ..ReplicaConfig::default()
        };
        let mut s = Replica::new(r("r3"), config, KvApp::default(), Time::ZERO);
        for peer in ["r1", "r2", "r4"] {
            s.add_member(r(peer));
        }
        let ms = |ms: u64| Time::from_micros(ms * 1000);

        // Update 1 (add 1) was accepted at r1, and is applied here.
        s.handle_peer(
            ms(1),
            &r("r1"),
            gossip(&[("r1", 1)], vec![add("r1", 1, 1, &[], 1)]),
        );
        // Its reply was lost; the front end retried at r2, which did not have
        // it yet and accepted a second copy, r2:2. Before it r2 accepted r2:1
        // (add 10), whose context holds r4:1, which this replica lacks.
        let from_r2 = vec![add("r2", 1, 2, &[("r4", 1)], 10), add("r2", 2, 1, &[], 1)];
        s.handle_peer(ms(2), &r("r2"), gossip(&[("r1", 1), ("r2", 2)], from_r2));
        // Every member reports having update 1; r4 last spoke before r4:1.
        s.handle_peer(ms(3), &r("r4"), digest(&[("r1", 1)]));
        s.handle_peer(ms(3), &r("r1"), digest(&[("r1", 1), ("r2", 2)]));
        assert_eq!(
            (s.app().count("k"), s.log_len()),
            (1, 2),
            "r2's records wait for r4:1"
        );

        // Long past the retention, a tick retires what it safely can.
        s.handle_timeout(ms(5_000));

        // r4:1 arrives at last: r2:1 applies, and r2:2 is update 1 again.
        let from_r4 = vec![add("r4", 1, 3, &[], 100)];
        s.handle_peer(
            ms(5_001),
            &r("r4"),
            gossip(&[("r1", 1), ("r4", 1)], from_r4),
        );
        assert_eq!(s.app().count("k"), 1 + 10 + 100, "update 1 is applied once");
        assert_eq!(s.stats().duplicates_skipped, 1);
    }

    /// Found by `hearsay-sim` with crashes: a replica restarted from a
    /// durable snapshot that covered records its peers did not have yet, so
    /// its log could no longer serve them; only a state transfer could, which
    /// a peer that applied something the snapshot lacks refuses. Two such
    /// replicas deadlocked for good.
    #[test]
    fn a_restart_keeps_in_the_log_the_records_peers_still_lack() {
        let config = ReplicaConfig {
            journal: true,
            ..ReplicaConfig::default()
        };
        let mut r1 = Replica::new(r("r1"), config.clone(), KvApp::default(), Time::ZERO);
        r1.add_member(r("r2"));
        let put = |seq| ClientRequest::Update {
            id: UpdateId {
                client: ClientId(1),
                seq,
            },
            prev: VectorTimestamp::new(),
            op: KvUpdate::Add {
                key: "k".into(),
                delta: 1,
            },
        };
        r1.handle_request(Time::ZERO, RequestToken(1), put(1));
        r1.handle_request(Time::ZERO, RequestToken(2), put(2));
        // A durable shell writes the records and a snapshot, then deletes the
        // records at or below the log horizon: none, as r2 lacks both.
        let ready = r1.ready();
        let records = ready.journal().records.clone();
        let _lost = r1.advance(ready); // the pushes to r2 are lost
        let snapshot = r1.snapshot();
        assert_eq!(snapshot.value_ts, ts(&[("r1", 2)]));
        assert_eq!(r1.log_horizon(), VectorTimestamp::new());

        // r1 crashes and restarts; r2 asks for what it lacks.
        let mut back = Replica::restore(r("r1"), config, &[r("r2")], snapshot, records, Time::ZERO);
        assert_eq!((back.log_len(), back.app().count("k")), (2, 2));
        back.handle_peer(Time::ZERO, &r("r2"), digest(&[]));
        let Some(Output::Send {
            msg: PeerMessage::Gossip(g),
            ..
        }) = ({
            let ready = back.ready();
            back.advance(ready)
        })
        .into_iter()
        .next()
        else {
            panic!("expected gossip from the log, not a snapshot");
        };
        assert_eq!(g.records.len(), 2);

        // Once r2 reports having them they leave the log, and the store may
        // delete them.
        back.handle_peer(Time::ZERO, &r("r2"), digest(&[("r1", 2)]));
        assert_eq!(back.log_len(), 0);
        assert_eq!(back.log_horizon(), ts(&[("r1", 2)]));
    }
}
