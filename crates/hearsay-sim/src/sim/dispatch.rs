//! Feeding inputs to the nodes and routing what they output.

use hearsay_core::{
    App, AttemptId, ClientReply, ClientRequest, FrontEndOutput, Outcome, Output, PeerMessage,
    ReplicaId, RequestToken, UpdateClass,
};

use super::traffic::{Envelope, Node, Payload};
use super::{Client, Phase, Sim, Ticket};
use crate::net::Packet;
use crate::workload::{Pending, Workload};

impl<W: Workload> Sim<W> {
    /// Delivers the next message off the network.
    pub(super) fn deliver(&mut self) {
        let Some(arrival) = self.net.pop() else {
            return;
        };
        let env = match arrival {
            Ok(packet) => packet.msg,
            Err(Packet { msg: cut, .. }) => {
                self.trace
                    .event(self.now.as_micros(), &("cut", cut.from, cut.to));
                return;
            }
        };
        if self.is_down(env.to) {
            self.trace
                .event(self.now.as_micros(), &("down", env.from, env.to));
            return;
        }
        self.trace
            .event(self.now.as_micros(), &(env.from, env.to, &env.payload));
        match (env.from, env.to, env.payload) {
            (Node::Replica(from), Node::Replica(to), Payload::Peer(msg)) => {
                self.replica_peer(to, from, msg);
            }
            (
                Node::FrontEnd(frontend),
                Node::Replica(to),
                Payload::Request {
                    attempt,
                    origin,
                    request,
                },
            ) => {
                let ticket = Ticket {
                    frontend,
                    attempt,
                    origin,
                    forced_query: matches!(request, ClientRequest::ForcedQuery { .. }),
                };
                self.replica_request(to, ticket, request);
            }
            (Node::Replica(_), Node::FrontEnd(f), Payload::Reply { attempt, reply }) => {
                let hint = self.frontends[f].attempts.get(&attempt).copied();
                self.frontends[f]
                    .frontend
                    .handle_reply(self.now, attempt, reply);
                self.drain_frontend(f, hint);
            }
            // Nothing else is ever sent.
            _ => {}
        }
    }

    fn replica_request(&mut self, i: usize, ticket: Ticket, request: ClientRequest<W::App>) {
        let node = &mut self.replicas[i];
        let token = RequestToken(node.next_token);
        node.next_token += 1;
        node.tickets.insert(token, ticket);
        let timing = &self.cfg.timing;
        // A forced request may wait for its causal past like any other, then
        // gets the forced order's budget to commit.
        let forced_deadline = timing.hold_timeout + timing.forced_budget;
        let (kind, deadline) = match &request {
            ClientRequest::Query { .. } => ("a query", timing.hold_timeout),
            ClientRequest::Update { .. } if is_forced(&request) => {
                ("a forced update", forced_deadline)
            }
            ClientRequest::Update { .. } => ("an update", timing.hold_timeout),
            ClientRequest::ForcedQuery { .. } => ("a forced query", forced_deadline),
        };
        self.checks
            .deadline
            .received(i, token, self.now, kind, deadline);
        node.replica.handle_request(self.now, token, request);
        self.drain_replica(i);
    }

    fn replica_peer(&mut self, i: usize, from: usize, msg: PeerMessage<W::App>) {
        let snapshot_ts = match &msg {
            PeerMessage::Snapshot(s) => Some(s.value_ts.clone()),
            _ => None,
        };
        let replica = &mut self.replicas[i].replica;
        let adopted = replica.stats().snapshots_adopted;
        replica.handle_peer(self.now, &self.names[from], msg);
        if let Some(ts) = snapshot_ts {
            if replica.stats().snapshots_adopted > adopted {
                self.checks.history.note_snapshot(i, &ts);
                self.checks.forced.rebase(i);
                self.replicas[i].rebased = true;
            }
        }
        self.drain_replica(i);
    }

    /// Commits what replica `i` journaled, then routes everything it wants
    /// done: nothing leaves before it is durable. Records of its own in the
    /// journal are the ones it created (now, or for a held update, when its
    /// causal past arrived): the checkers learn which update each carries.
    pub(super) fn drain_replica(&mut self, i: usize) {
        let node = &mut self.replicas[i];
        let ready = node.replica.ready();
        let written = node.durable.persist(&node.replica, ready.journal());
        let name = &self.names[i];
        for rec in &ready.journal().records {
            if rec.dot.origin.is_forced() {
                let f = &mut self.checks.findings;
                let (k, id) = (rec.dot.seq, rec.id);
                self.checks
                    .forced
                    .logged(f, self.now, name, k, id, &rec.refused);
                // The order, not a replica, creates forced records: the
                // first copy logged anywhere is the creation.
                if self.checks.history.update_of(&rec.dot).is_none() {
                    self.checks.new_record(self.now, &rec.dot.origin, k, id);
                }
            }
            self.records
                .entry(rec.dot.clone())
                .or_insert_with(|| (rec.op.clone(), rec.refused.is_none()));
        }
        let outputs = node.replica.advance(ready);
        for (dot, id) in written {
            if &dot.origin == name {
                self.checks.new_record(self.now, name, dot.seq, id);
            }
        }
        let mut applied_any = false;
        for out in outputs {
            match out {
                Output::Send { to, msg } => {
                    let Some(&j) = self.index.get(&to) else {
                        continue;
                    };
                    let env = Envelope {
                        from: Node::Replica(i),
                        to: Node::Replica(j),
                        payload: Payload::Peer(msg),
                    };
                    let packet = env.packet(self.replicas.len());
                    self.net.send(self.now, packet, &mut self.net_rng);
                }
                Output::Reply { token, reply } => {
                    let Some(ticket) = self.replicas[i].tickets.remove(&token) else {
                        continue;
                    };
                    let name = &self.names[i];
                    let f = &mut self.checks.findings;
                    self.checks.deadline.replied(f, i, name, token, self.now);
                    // A forced query's answer is checked by its timestamp
                    // (client side) and by linearizability.
                    if let (ClientReply::Answer { .. }, false) = (&reply, ticket.forced_query) {
                        let state = self.replicas[i].replica.value_ts();
                        self.checks.session.replica_answered(
                            f,
                            self.now,
                            ticket.origin,
                            name,
                            state,
                        );
                    }
                    let env = Envelope {
                        from: Node::Replica(i),
                        to: Node::FrontEnd(ticket.frontend),
                        payload: Payload::Reply {
                            attempt: ticket.attempt,
                            reply,
                        },
                    };
                    let packet = env.packet(self.replicas.len());
                    self.net.send_reply(self.now, packet, &mut self.net_rng);
                }
                Output::Applied { id, dot, prev } => {
                    let name = &self.names[i];
                    self.checks.applied(self.now, i, name, id, &dot, &prev);
                    applied_any = true;
                    if let Some((op, granted)) = self.records.get(&dot) {
                        self.workload.applied(i, op, *granted);
                    }
                }
            }
        }
        let node = &mut self.replicas[i];
        if applied_any || node.rebased {
            let (now, f) = (self.now, &mut self.checks.findings);
            let rebased = std::mem::take(&mut node.rebased);
            self.workload
                .settled(i, node.replica.app(), rebased, &mut |p, d| {
                    f.report(now, p, d)
                });
        }
    }

    /// Routes everything front end `f` wants done. `hint` names the client
    /// whose request caused the outputs, when known; otherwise (timeouts) each
    /// attempt is matched to the client with that request pending.
    pub(super) fn drain_frontend(&mut self, f: usize, hint: Option<usize>) {
        while let Some(out) = self.frontends[f].frontend.poll_output() {
            match out {
                FrontEndOutput::Send {
                    to,
                    attempt,
                    request,
                } => self.send_attempt(f, hint, &to, attempt, request),
                FrontEndOutput::Done { token, outcome } => {
                    let c = usize::try_from(token.0).unwrap_or(usize::MAX);
                    self.client_done(c, outcome);
                }
            }
        }
    }

    fn send_attempt(
        &mut self,
        f: usize,
        hint: Option<usize>,
        to: &ReplicaId,
        attempt: AttemptId,
        request: ClientRequest<W::App>,
    ) {
        let matches = |c: &Client<W::App>| {
            c.frontend == f && c.pending.as_ref().is_some_and(|p| p.request == request)
        };
        let client = hint
            .filter(|c| matches(&self.clients[*c]))
            .or_else(|| self.clients.iter().position(matches));
        let (Some(c), Some(&j)) = (client, self.index.get(to)) else {
            return;
        };
        let number = self.clients[c].pending.as_ref().map_or(0, |p| p.number);
        self.frontends[f].attempts.insert(attempt, c);
        let env = Envelope {
            from: Node::FrontEnd(f),
            to: Node::Replica(j),
            payload: Payload::Request {
                attempt,
                origin: (c, number),
                request,
            },
        };
        let packet = env.packet(self.replicas.len());
        self.net.send(self.now, packet, &mut self.net_rng);
    }

    /// Client `c` issues its next request.
    pub(super) fn client_wake(&mut self, c: usize) {
        let replicas = self.replicas.len();
        let (request, preferred) =
            self.clients[c].next_request(&mut self.workload, &mut self.client_rng, replicas);
        let number = self.checks.session.issue(c);
        self.ops.issued += 1;
        self.trace
            .event(self.now.as_micros(), &("submit", c, &request, preferred));
        if is_forced::<W::App>(&request) {
            self.ops.forced_operations += 1;
        }
        self.clients[c].pending = Some(Pending {
            number,
            request: request.clone(),
            called: self.now,
        });
        let f = self.clients[c].frontend;
        let preferred = preferred.map(|p| self.names[p].clone());
        let token = RequestToken(c as u64);
        self.frontends[f]
            .frontend
            .submit(self.now, token, request, preferred);
        self.drain_frontend(f, Some(c));
    }

    /// Client `c`'s request ended with `outcome`: check it, learn from it, rest.
    fn client_done(&mut self, c: usize, outcome: Outcome<W::App>) {
        let Some(Pending {
            number,
            request,
            called,
        }) = self.clients.get_mut(c).and_then(|c| c.pending.take())
        else {
            return;
        };
        self.trace
            .event(self.now.as_micros(), &("done", c, &outcome));
        let now = self.now;
        // A forged session's updates and forced queries carry its context.
        let carries_context = matches!(
            request,
            ClientRequest::Update { .. } | ClientRequest::ForcedQuery { .. }
        );
        if self.clients[c].bad_context.is_some() && carries_context {
            self.ops.forged_updates += 1;
            let refused = !matches!(
                outcome,
                Outcome::Reply(
                    ClientReply::Accepted { .. }
                        | ClientReply::Forced { .. }
                        | ClientReply::Answer { .. }
                )
            );
            self.ops.forged_refused += u64::from(refused);
        }
        let reply = match &outcome {
            Outcome::Reply(reply) => Some(reply),
            Outcome::Busy => None,
        };
        self.workload.ended(c, &request, called, now, reply);
        if is_forced::<W::App>(&request) {
            self.ops.count_forced(reply);
        }
        let checks = &mut self.checks;
        let f = &mut checks.findings;
        match (&request, &outcome) {
            (
                ClientRequest::Update { id, op, .. },
                Outcome::Reply(ClientReply::Accepted { ts }),
            ) => {
                // A forged update acknowledged could never apply; the
                // eventually-applied check reports it after healing.
                checks.session.accepted(f, now, (c, number), ts);
                self.workload.update_done(c, op, true);
                checks.once.acknowledged(*id);
                self.ops.updates_acked += 1;
            }
            (
                ClientRequest::Update { id, op, .. },
                Outcome::Reply(ClientReply::Forced { outcome, ts }),
            ) => {
                // Committed, granted or refused: its record (a no-op when
                // refused) must reach every replica, with this outcome.
                checks.session.accepted(f, now, (c, number), ts);
                self.workload.update_done(c, op, outcome.is_ok());
                checks.once.acknowledged(*id);
                checks.forced.told(*id, outcome.clone().err());
                self.ops.updates_acked += 1;
            }
            (
                ClientRequest::Query { query, .. } | ClientRequest::ForcedQuery { query, .. },
                Outcome::Reply(ClientReply::Answer { reply, ts }),
            ) => {
                checks.session.answered(f, now, (c, number), ts);
                self.workload
                    .answered(c, query, reply, &mut |p, d| f.report(now, p, d));
                self.ops.queries_answered += 1;
            }
            (request, outcome) => {
                if let ClientRequest::Update { op, .. } = request {
                    self.workload.update_done(c, op, false);
                }
                match outcome {
                    Outcome::Busy => self.ops.busy += 1,
                    Outcome::Reply(_) => self.ops.rejected += 1,
                }
            }
        }
        if let Outcome::Reply(reply) = &outcome {
            self.clients[c].session.observe(reply);
        }
        let think = self.cfg.timing.think_max;
        self.clients[c].rest(now, &mut self.client_rng, think);
        if matches!(self.phase, Phase::Faults { .. }) && self.clients.iter().all(Client::is_done) {
            self.begin_heal();
        }
    }
}

/// Whether `request` goes through the forced order.
fn is_forced<A: App>(request: &ClientRequest<A>) -> bool {
    match request {
        ClientRequest::Update { op, .. } => A::class(op) == UpdateClass::Forced,
        ClientRequest::ForcedQuery { .. } => true,
        ClientRequest::Query { .. } => false,
    }
}
