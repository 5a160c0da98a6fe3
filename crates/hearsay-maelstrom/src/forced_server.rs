//! `ForcedServer<M>`: one voter of the forced order, plus the front-end work
//! for the Maelstrom clients that talk to this node.
//!
//! Every node of the cluster is a voter ([`Voter`], Viewstamped Replication
//! Revisited). A client request becomes one operation under a [`RequestId`]
//! whose `client` names this node (the *origin*) in its top bits; the origin
//! forwards it to the node it believes is the primary (or hands it to its own
//! voter), and whichever voter answers sends the answer back to the origin,
//! which replies to the client. Retries reuse the request id, so the voters'
//! client table keeps every operation exactly-once.

use std::collections::BTreeMap;
use std::time::Duration;

use hearsay_core::Time;
use hearsay_core::forced::{
    Answer, Command, ForcedBugs, ForcedError, Message, NodeId, Output, RequestId, Voter,
    VoterStatus, VrConfig,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes::{ErrorCode, RequestError};
use crate::envelope::Body;
use crate::forced_app::ForcedApp;
use crate::server::{Assigned, Driver, Out};

/// The bits of a request id's `client` below the origin node's number.
const ORIGIN_SHIFT: u32 = 40;
/// Most client requests a node keeps waiting for the order; past it, new
/// ones are refused at once (definitely: nothing was sent).
const MAX_PENDING: usize = 4096;
/// Most immediate re-forwards after `NotPrimary` answers between two timed
/// retries, so two voters with stale views cannot bounce a request for ever.
const MAX_REDIRECTS: u8 = 3;

/// The forced order's timers at a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForcedTimers {
    /// The primary's heartbeat.
    pub heartbeat: Duration,
    /// A backup's patience with a silent primary (failover is about this much
    /// plus a few message delays).
    pub view_change: Duration,
    /// How long a node tries to get a client's request ordered before it
    /// answers with an error.
    pub budget: Duration,
    /// How long a node waits for an answer before it sends a request again.
    pub retry: Duration,
}

impl Default for ForcedTimers {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_millis(100),
            view_change: Duration::from_millis(500),
            budget: Duration::from_secs(2),
            retry: Duration::from_millis(500),
        }
    }
}

/// What travels in an `hs_forced` body's `msg`.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Wire<O, D> {
    /// Voter to voter.
    Vr(Message<O, D>),
    /// Origin to the primary: order this request.
    Forward {
        /// The request, named after its origin.
        id: RequestId,
        /// The operation.
        op: O,
    },
    /// Any voter to the origin: what became of a request.
    Answer {
        /// The request.
        id: RequestId,
        /// Its result.
        result: Result<Answer<D>, ForcedError>,
    },
}

/// A client request waiting for the order.
#[derive(Debug)]
struct Waiting<O> {
    /// The Maelstrom client.
    client: String,
    /// Its `msg_id`, for `in_reply_to`.
    msg_id: u64,
    op: O,
    /// When to give up and answer with an error.
    deadline: Time,
    /// When to send it again.
    retry_at: Time,
    /// The node it was last sent to.
    target: usize,
    /// Re-forwards since the last timed retry.
    redirects: u8,
}

/// A Maelstrom client as the order knows it.
#[derive(Debug)]
struct ClientSlot {
    /// Its `RequestId::client`.
    id: u64,
    /// Its last request number.
    seq: u64,
}

/// One voter and the clients of this node.
#[derive(Debug)]
pub(crate) struct ForcedServer<M: ForcedApp> {
    voter: Voter<M>,
    /// Node names by voter number (the order of `init`'s `node_ids`).
    names: Vec<String>,
    me: usize,
    timers: ForcedTimers,
    clients: BTreeMap<String, ClientSlot>,
    pending: BTreeMap<RequestId, Waiting<M::Op>>,
    /// The primary a `NotPrimary` answer named, for while this voter's own
    /// view is changing.
    hint: Option<usize>,
    /// Whether to note every request id given out (the harness asks).
    record: bool,
    assigned: Vec<Assigned>,
}

impl<M: ForcedApp> ForcedServer<M> {
    /// The voter of node `me` among `names`, started at `now`.
    pub(crate) fn new(
        names: Vec<String>,
        me: usize,
        timers: ForcedTimers,
        bugs: ForcedBugs,
        record: bool,
        now: Time,
    ) -> Result<Self, RequestError> {
        let voters: Vec<NodeId> = (0..names.len() as u64).map(NodeId).collect();
        let mut config = VrConfig::new(NodeId(me as u64), voters);
        config.heartbeat = timers.heartbeat;
        config.view_change_timeout = timers.view_change;
        config.request_budget = timers.budget;
        config.max_waiting = MAX_PENDING;
        config.seed = me as u64;
        config.bugs = bugs;
        let voter = Voter::new(config, M::default(), now)
            .map_err(|e| RequestError::malformed(format!("cannot start the voter: {e}")))?;
        Ok(Self {
            voter,
            names,
            me,
            timers,
            clients: BTreeMap::new(),
            pending: BTreeMap::new(),
            hint: None,
            record,
            assigned: Vec::new(),
        })
    }

    /// The node a request id came from.
    fn origin(&self, id: RequestId) -> Option<usize> {
        let n = usize::try_from((id.client >> ORIGIN_SHIFT).checked_sub(1)?).ok()?;
        (n < self.names.len()).then_some(n)
    }

    /// Where to send requests: the primary of this voter's view when it is in
    /// normal status, else the last primary another voter named.
    fn target(&self) -> usize {
        let own = self.voter.primary().and_then(|p| usize::try_from(p.0).ok());
        let pick = if self.voter.status() == VoterStatus::Normal {
            own
        } else {
            self.hint.or(own)
        };
        pick.filter(|p| *p < self.names.len()).unwrap_or(self.me)
    }

    fn send(&self, to: usize, msg: &Wire<M::Op, M::Outcome>, out: &mut Vec<Out>) {
        let Some(name) = self.names.get(to) else {
            return;
        };
        match serde_json::to_value(msg) {
            Ok(msg) => out.push(Out::Forced {
                to: name.clone(),
                msg,
            }),
            Err(e) => out.push(Out::Log(format!("cannot encode a message to {name}: {e}"))),
        }
    }

    /// Sends request `id` towards the primary (or to this node's own voter).
    fn attempt(&mut self, now: Time, id: RequestId, to: usize, out: &mut Vec<Out>) {
        let Some(w) = self.pending.get_mut(&id) else {
            return;
        };
        w.target = to;
        w.retry_at = now + self.timers.retry;
        let op = w.op.clone();
        if to == self.me {
            self.voter.handle_request(now, id, Command::Op(op));
        } else {
            self.send(to, &Wire::Forward { id, op }, out);
        }
    }

    /// Routes everything the voter wants done.
    fn drain(&mut self, now: Time, out: &mut Vec<Out>) {
        while let Some(o) = self.voter.poll_output() {
            match o {
                Output::Send { to, msg } => {
                    if let Ok(to) = usize::try_from(to.0) {
                        self.send(to, &Wire::Vr(msg), out);
                    }
                }
                Output::Reply { id, result } => match self.origin(id) {
                    Some(o) if o == self.me => self.finish(now, id, result, out),
                    Some(o) => self.send(o, &Wire::Answer { id, result }, out),
                    None => out.push(Out::Log(format!("an answer for a stranger: {id:?}"))),
                },
            }
        }
    }

    /// What became of this node's request `id`.
    fn finish(
        &mut self,
        now: Time,
        id: RequestId,
        result: Result<Answer<M::Outcome>, ForcedError>,
        out: &mut Vec<Out>,
    ) {
        let Some(w) = self.pending.get_mut(&id) else {
            return; // answered already, or given up on
        };
        let answer = match result {
            Ok(Answer::Outcome(outcome)) => M::answer(&w.op, &outcome),
            Ok(Answer::Reconfigured { .. }) => {
                // Nobody here reconfigures; an entry of another kind was not
                // this operation, which therefore did not happen.
                Err(RequestError::unavailable(
                    "internal: a reconfiguration answered this request",
                ))
            }
            Err(ForcedError::NotPrimary { primary }) => {
                let named = primary
                    .and_then(|p| usize::try_from(p.0).ok())
                    .filter(|p| *p < self.names.len());
                if let Some(p) = named {
                    self.hint = Some(p);
                    if p != w.target && w.redirects < MAX_REDIRECTS {
                        w.redirects += 1;
                        self.attempt(now, id, p, out);
                    }
                }
                return; // otherwise the timed retry sends it again
            }
            // Not committed yet, or the primary is between epochs: the timed
            // retry asks again, until the budget.
            Err(ForcedError::NoQuorum | ForcedError::Reconfiguring) => return,
            Err(e @ (ForcedError::Retired | ForcedError::Invalid(_))) => {
                Err(RequestError::unavailable(e.to_string()))
            }
        };
        let Some(w) = self.pending.remove(&id) else {
            return;
        };
        match answer {
            Ok(body) => out.push(Out::Reply {
                to: w.client,
                in_reply_to: w.msg_id,
                body,
            }),
            Err(error) => out.push(Out::Error {
                to: w.client,
                in_reply_to: w.msg_id,
                error,
            }),
        }
    }

    /// Gives up on requests past their budget and resends the others that
    /// are due.
    fn expire(&mut self, now: Time, out: &mut Vec<Out>) {
        let late: Vec<RequestId> = self
            .pending
            .iter()
            .filter(|(_, w)| w.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            let Some(w) = self.pending.remove(&id) else {
                continue;
            };
            let error = if M::may_change(&w.op) {
                RequestError::new(
                    ErrorCode::Timeout,
                    "unavailable: no quorum (the operation may still take effect)",
                )
            } else {
                RequestError::unavailable("unavailable: no quorum")
            };
            out.push(Out::Error {
                to: w.client,
                in_reply_to: w.msg_id,
                error,
            });
        }
        let due: Vec<RequestId> = self
            .pending
            .iter()
            .filter(|(_, w)| w.retry_at <= now)
            .map(|(id, _)| *id)
            .collect();
        let to = self.target();
        for id in due {
            if let Some(w) = self.pending.get_mut(&id) {
                w.redirects = 0;
            }
            self.attempt(now, id, to, out);
        }
    }
}

impl<M: ForcedApp> Driver for ForcedServer<M> {
    fn request(
        &mut self,
        now: Time,
        client: &str,
        msg_id: u64,
        kind: &str,
        body: &Body,
        out: &mut Vec<Out>,
    ) {
        let op = match M::request(kind, body) {
            Ok(op) => op,
            Err(error) => {
                return out.push(Out::Error {
                    to: client.to_owned(),
                    in_reply_to: msg_id,
                    error,
                });
            }
        };
        if self.pending.len() >= MAX_PENDING {
            return out.push(Out::Error {
                to: client.to_owned(),
                in_reply_to: msg_id,
                error: RequestError::unavailable("too many requests in flight at this node"),
            });
        }
        let origin = (self.me as u64 + 1) << ORIGIN_SHIFT;
        let fresh = origin | (self.clients.len() as u64 + 1);
        let slot = self
            .clients
            .entry(client.to_owned())
            .or_insert(ClientSlot { id: fresh, seq: 0 });
        slot.seq += 1;
        let id = RequestId {
            client: slot.id,
            seq: slot.seq,
        };
        // A client has one request out at a time: one it sent earlier and has
        // not heard back on, it gave up on.
        self.pending.retain(|other, _| other.client != id.client);
        if self.record {
            self.assigned.push(Assigned {
                client: client.to_owned(),
                msg_id,
                id,
            });
        }
        self.pending.insert(
            id,
            Waiting {
                client: client.to_owned(),
                msg_id,
                op,
                deadline: now + self.timers.budget,
                retry_at: now,
                target: self.me,
                redirects: 0,
            },
        );
        let to = self.target();
        self.attempt(now, id, to, out);
        self.drain(now, out);
    }

    fn peer(
        &mut self,
        _now: Time,
        from: &str,
        _msg: Value,
        _out: &mut Vec<Out>,
    ) -> Result<(), String> {
        Err(format!(
            "an hs_peer message from {from}, but this workload uses the forced order only"
        ))
    }

    fn forced(
        &mut self,
        now: Time,
        from: &str,
        msg: Value,
        out: &mut Vec<Out>,
    ) -> Result<(), String> {
        let Some(sender) = self.names.iter().position(|n| n == from) else {
            return Err(format!("{from} is not a node of this cluster"));
        };
        let msg: Wire<M::Op, M::Outcome> =
            serde_json::from_value(msg).map_err(|e| format!("bad forced message: {e}"))?;
        match msg {
            Wire::Vr(m) => self.voter.handle_message(now, NodeId(sender as u64), m),
            Wire::Forward { id, op } => {
                if self.origin(id) != Some(sender) {
                    return Err(format!("{from} forwarded a request of another node"));
                }
                self.voter.handle_request(now, id, Command::Op(op));
            }
            Wire::Answer { id, result } => {
                if self.origin(id) != Some(self.me) {
                    return Err(format!("{from} answered a request of another node"));
                }
                self.finish(now, id, result, out);
            }
        }
        self.drain(now, out);
        Ok(())
    }

    fn timeout(&mut self, now: Time, out: &mut Vec<Out>) {
        self.voter.handle_timeout(now);
        self.drain(now, out);
        self.expire(now, out);
        self.drain(now, out);
    }

    fn poll_timeout(&self) -> Time {
        let voter = self.voter.poll_timeout();
        let mine = self
            .pending
            .values()
            .map(|w| w.retry_at.min(w.deadline))
            .min();
        match (voter, mine) {
            (Some(a), Some(b)) => a.min(b),
            (Some(t), None) | (None, Some(t)) => t,
            (None, None) => Time::from_micros(u64::MAX),
        }
    }

    fn committed(&self) -> Vec<Value> {
        self.voter
            .committed()
            .iter()
            .filter_map(|e| serde_json::to_value(e).ok())
            .collect()
    }

    fn take_assigned(&mut self) -> Vec<Assigned> {
        std::mem::take(&mut self.assigned)
    }
}
