//! `Server<A>`: one core replica, plus the front-end work for the Maelstrom
//! clients that talk to this node.

use std::collections::BTreeMap;

use hearsay_core::{
    ClientId, ClientReply, Dot, Output, PeerMessage, Replica, ReplicaId, RequestToken, Session,
    Time,
};
use serde_json::Value;

use crate::codes::RequestError;
use crate::envelope::Body;
use crate::service::{MaelstromApp, Step};
use crate::tuning::Plan;

/// Something the node should emit.
#[derive(Debug)]
pub(crate) enum Out {
    /// Answer the request `msg_id` of `to` with `body`.
    Reply {
        /// The client.
        to: String,
        /// The request's id.
        in_reply_to: u64,
        /// The answer (its `type` set).
        body: Body,
    },
    /// Answer the request `msg_id` of `to` with an error.
    Error {
        /// The client.
        to: String,
        /// The request's id.
        in_reply_to: u64,
        /// What went wrong.
        error: RequestError,
    },
    /// Send a core peer message (already JSON) to another node.
    Peer {
        /// The node.
        to: String,
        /// The `PeerMessage`, as JSON.
        msg: Value,
    },
    /// Send a forced-order message (already JSON) to another node, as a body
    /// of type `hs_forced`. Unnumbered: the voters cope with loss and
    /// reordering themselves.
    Forced {
        /// The node.
        to: String,
        /// The message, as JSON.
        msg: Value,
    },
    /// The replica applied the update `dot` (only with `emit_applied`).
    Applied(Dot),
    /// A line for stderr.
    Log(String),
}

/// The workload-independent face of a [`Server`], so a node can hold any.
pub(crate) trait Driver {
    /// Handles a client request.
    fn request(
        &mut self,
        now: Time,
        client: &str,
        msg_id: u64,
        kind: &str,
        body: &Body,
        out: &mut Vec<Out>,
    );
    /// Handles a peer message from the node `from`.
    fn peer(&mut self, now: Time, from: &str, msg: Value, out: &mut Vec<Out>)
    -> Result<(), String>;
    /// Handles an `hs_forced` message from the node `from`; workloads without
    /// a forced order refuse it.
    fn forced(
        &mut self,
        _now: Time,
        from: &str,
        _msg: Value,
        _out: &mut Vec<Out>,
    ) -> Result<(), String> {
        Err(format!(
            "an hs_forced message from {from}, but this workload has no forced order"
        ))
    }
    /// Runs the replica's timers.
    fn timeout(&mut self, now: Time, out: &mut Vec<Out>);
    /// When the replica's timers next need running.
    fn poll_timeout(&self) -> Time;
    /// The forced order this node has committed, each entry as JSON (empty
    /// for workloads without one); the harness checks it.
    fn committed(&self) -> Vec<Value> {
        Vec::new()
    }
    /// Which forced request id each client request got, since the last call
    /// (only when the harness asks for it with `Tuning::emit_applied`).
    fn take_assigned(&mut self) -> Vec<Assigned> {
        Vec::new()
    }
}

/// A client request and the forced request id its node gave it, so the
/// harness can find the request in the committed order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Assigned {
    /// The Maelstrom client.
    pub(crate) client: String,
    /// Its request's `msg_id`.
    pub(crate) msg_id: u64,
    /// The id the voters know it by.
    pub(crate) id: hearsay_core::forced::RequestId,
}

/// A request waiting for the replica's answer.
#[derive(Debug)]
struct Pending<A: MaelstromApp> {
    /// The client that asked.
    client: String,
    /// The request's id, for `in_reply_to`.
    msg_id: u64,
    /// What to do with the answer.
    then: Then<A>,
}

#[derive(Debug)]
enum Then<A: MaelstromApp> {
    /// After an update is accepted: answer with this body.
    Reply(Body),
    /// After a query is answered: continue the request's plan.
    Continue(A::Then),
}

/// A core replica serving one workload, and the sessions of its clients.
#[derive(Debug)]
pub(crate) struct Server<A: MaelstromApp> {
    replica: Replica<A>,
    /// Who may send us `hs_peer` messages: the other nodes of `init`.
    members: Vec<ReplicaId>,
    /// This node's position in `node_ids`, so the client ids it makes never
    /// collide with another node's.
    node_index: u64,
    /// Per Maelstrom client: its causal context and update counter. Maelstrom
    /// clients send no context of their own, so the node keeps it for them.
    sessions: BTreeMap<String, Session>,
    pending: BTreeMap<RequestToken, Pending<A>>,
    next_token: u64,
}

impl<A: MaelstromApp> Server<A> {
    /// A server for node `me` (at `node_index` in `nodes`), started at `now`.
    pub(crate) fn new(
        me: ReplicaId,
        nodes: &[ReplicaId],
        node_index: usize,
        plan: Plan,
        gossip: bool,
        now: Time,
    ) -> Self {
        let mut replica = Replica::new(me.clone(), plan.config, A::default(), now);
        let mut members = Vec::new();
        if gossip {
            for peer in nodes.iter().filter(|p| **p != me) {
                replica.add_member(peer.clone());
                members.push(peer.clone());
            }
            replica.set_push_targets(plan.push_targets);
        }
        Self {
            replica,
            members,
            node_index: node_index as u64,
            sessions: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_token: 0,
        }
    }

    fn session(&mut self, client: &str) -> &mut Session {
        let fresh = self.sessions.len() as u64 + 1;
        let node = self.node_index + 1;
        self.sessions
            .entry(client.to_owned())
            .or_insert_with(|| Session::new(ClientId((node << 40) | fresh)))
    }

    fn run_step(
        &mut self,
        now: Time,
        client: String,
        msg_id: u64,
        step: Step<A>,
        out: &mut Vec<Out>,
    ) {
        let (request, then) = match step {
            Step::Reply(body) => {
                out.push(Out::Reply {
                    to: client,
                    in_reply_to: msg_id,
                    body,
                });
                return;
            }
            Step::Update { op, reply } => (self.session(&client).update(op), Then::Reply(reply)),
            Step::Query { query, then } => {
                (self.session(&client).query(query), Then::Continue(then))
            }
        };
        self.next_token += 1;
        let token = RequestToken(self.next_token);
        self.pending.insert(
            token,
            Pending {
                client,
                msg_id,
                then,
            },
        );
        self.replica.handle_request(now, token, request);
    }

    /// Turns everything the replica wants done into [`Out`]s. Answers may
    /// start further requests (a transaction's write after its read); their
    /// outputs come in the next `Ready`, so the loop runs until one is empty.
    /// Nothing is durable here: each journal is empty, and released at once.
    fn drain(&mut self, now: Time, out: &mut Vec<Out>) {
        loop {
            let ready = self.replica.ready();
            if ready.is_empty() {
                return;
            }
            for output in self.replica.advance(ready) {
                self.route(now, output, out);
            }
        }
    }

    /// Turns one output into [`Out`]s.
    fn route(&mut self, now: Time, output: Output<A>, out: &mut Vec<Out>) {
        match output {
            Output::Send { to, msg } => match serde_json::to_value(&msg) {
                Ok(msg) => out.push(Out::Peer {
                    to: to.to_string(),
                    msg,
                }),
                Err(e) => out.push(Out::Log(format!("cannot encode a message to {to}: {e}"))),
            },
            Output::Reply { token, reply } => self.on_reply(now, token, reply, out),
            Output::Applied { dot, .. } => out.push(Out::Applied(dot)),
        }
    }

    fn on_reply(
        &mut self,
        now: Time,
        token: RequestToken,
        reply: ClientReply<A>,
        out: &mut Vec<Out>,
    ) {
        let Some(p) = self.pending.remove(&token) else {
            out.push(Out::Log(format!("a reply for unknown request {token:?}")));
            return;
        };
        if let Some(s) = self.sessions.get_mut(&p.client) {
            s.observe(&reply);
        }
        let error = match (reply, p.then) {
            (ClientReply::Accepted { .. }, Then::Reply(body)) => {
                out.push(Out::Reply {
                    to: p.client,
                    in_reply_to: p.msg_id,
                    body,
                });
                return;
            }
            (ClientReply::Answer { reply, .. }, Then::Continue(then)) => {
                let step = A::answered(then, reply);
                self.run_step(now, p.client, p.msg_id, step, out);
                return;
            }
            (ClientReply::NotYet { .. }, _) => {
                RequestError::unavailable("this node has not caught up with the client's context")
            }
            (ClientReply::Unavailable { status }, _) => {
                RequestError::unavailable(format!("this node is {status}"))
            }
            (ClientReply::Rejected { reason }, _) => RequestError::malformed(reason),
            (other, _) => {
                // The core answers updates with Accepted and queries with
                // Answer; anything else would be a core bug. Refuse definitely:
                // nothing was applied on this path.
                out.push(Out::Log(format!("unexpected reply {other:?}")));
                RequestError::unavailable("internal: unexpected reply from the replica")
            }
        };
        out.push(Out::Error {
            to: p.client,
            in_reply_to: p.msg_id,
            error,
        });
    }
}

impl<A: MaelstromApp> Driver for Server<A> {
    fn request(
        &mut self,
        now: Time,
        client: &str,
        msg_id: u64,
        kind: &str,
        body: &Body,
        out: &mut Vec<Out>,
    ) {
        match A::request(kind, body) {
            Ok(step) => self.run_step(now, client.to_owned(), msg_id, step, out),
            Err(error) => out.push(Out::Error {
                to: client.to_owned(),
                in_reply_to: msg_id,
                error,
            }),
        }
        self.drain(now, out);
    }

    fn peer(
        &mut self,
        now: Time,
        from: &str,
        msg: Value,
        out: &mut Vec<Out>,
    ) -> Result<(), String> {
        let Some(from) = self.members.iter().find(|m| m.as_str() == from).cloned() else {
            return Err(format!("{from} is not a peer of this node"));
        };
        let msg: PeerMessage<A> =
            serde_json::from_value(msg).map_err(|e| format!("bad peer message: {e}"))?;
        self.replica.handle_peer(now, &from, msg);
        self.drain(now, out);
        Ok(())
    }

    fn timeout(&mut self, now: Time, out: &mut Vec<Out>) {
        self.replica.handle_timeout(now);
        self.drain(now, out);
    }

    fn poll_timeout(&self) -> Time {
        self.replica.poll_timeout()
    }
}
