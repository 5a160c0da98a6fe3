//! `Node`: one Maelstrom node as a state machine over lines of JSON.

use std::fmt;

use hearsay_core::{Dot, ReplicaId, Time};
use serde_json::Value;

use crate::apps::{Counter, Echo, GrowSet, LinKv, Registers, SerialRegisters};
use crate::codes::RequestError;
use crate::envelope::{Inbound, Request, body, line, parse_line};
use crate::forced_app::ForcedApp;
use crate::forced_server::ForcedServer;
use crate::links::Links;
use crate::server::{Assigned, Driver, Out, Server};
use crate::service::with;
use crate::tuning::Tuning;
use crate::workload::Workload;

/// One Maelstrom node: lines in, lines out, time passed in.
///
/// Feed it every stdin line with [`handle_line`](Self::handle_line) and call
/// [`handle_timeout`](Self::handle_timeout) once [`poll_timeout`](Self::poll_timeout)
/// has passed; print every returned line on stdout and every
/// [`take_logs`](Self::take_logs) line on stderr. Until `init` it answers
/// requests with error 11 (temporarily unavailable); after it, it is a core replica of the cluster
/// `init` named and the front end of the clients that talk to it (for the
/// forced workloads, one voter of the cluster's forced order instead).
///
/// No input line can make it panic: unreadable lines are logged and dropped,
/// and readable requests it cannot serve get an `error` reply (code 12, malformed, when
/// the request is malformed or of an unknown type).
pub struct Node {
    workload: Workload,
    tuning: Tuning,
    /// Set by `init`.
    joined: Option<Joined>,
    /// The last `msg_id` this node used; ids are unique per sender.
    last_msg_id: u64,
    logs: Vec<String>,
    /// Updates applied, for the harness (only with `Tuning::emit_applied`).
    applied: Vec<Dot>,
}

/// The voter of a forced workload for node `index` of `names`.
fn forced<M: ForcedApp + 'static>(
    names: &[ReplicaId],
    index: usize,
    tuning: &Tuning,
    now: Time,
) -> Result<Box<dyn Driver>, RequestError> {
    let names = names.iter().map(|n| n.as_str().to_owned()).collect();
    let server = ForcedServer::<M>::new(
        names,
        index,
        tuning.forced,
        tuning.forced_bugs,
        tuning.emit_applied,
        now,
    )?;
    Ok(Box::new(server))
}

/// What `init` told us.
struct Joined {
    id: String,
    driver: Box<dyn Driver>,
    /// Orders `hs_peer` messages per link.
    links: Links,
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("workload", &self.workload)
            .field("id", &self.node_id())
            .field("last_msg_id", &self.last_msg_id)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// A node for `workload`, waiting for `init`.
    pub fn new(workload: Workload, tuning: Tuning) -> Self {
        Self {
            workload,
            tuning,
            joined: None,
            last_msg_id: 0,
            logs: Vec::new(),
            applied: Vec::new(),
        }
    }

    /// This node's id, once `init` has given it one.
    pub fn node_id(&self) -> Option<&str> {
        self.joined.as_ref().map(|j| j.id.as_str())
    }

    /// Handles one line from stdin at `now`; returns the lines to print.
    pub fn handle_line(&mut self, now: Time, input: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut fallback_src = String::new();
        match parse_line(input) {
            Inbound::Ignore(why) => self.logs.push(format!("ignored a line: {why}")),
            Inbound::Malformed { src, msg_id, text } => out.push(Out::Error {
                to: src,
                in_reply_to: msg_id,
                error: RequestError::malformed(text),
            }),
            Inbound::Request(r) => {
                fallback_src = r.dest.clone().unwrap_or_default();
                self.dispatch(now, r, &mut out);
            }
        }
        self.render(out, &fallback_src)
    }

    /// Runs the timers due at `now`; returns the lines to print.
    pub fn handle_timeout(&mut self, now: Time) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(j) = &mut self.joined {
            for (from, msg) in j.links.expire(now) {
                if let Err(why) = j.driver.peer(now, &from, msg, &mut out) {
                    self.logs
                        .push(format!("dropped hs_peer from {from}: {why}"));
                }
            }
            j.driver.timeout(now, &mut out);
        }
        self.render(out, "")
    }

    /// When [`handle_timeout`](Self::handle_timeout) next has work; `None`
    /// before `init`.
    pub fn poll_timeout(&self) -> Option<Time> {
        self.joined.as_ref().map(|j| {
            let t = j.driver.poll_timeout();
            j.links.poll_timeout().map_or(t, |l| l.min(t))
        })
    }

    /// Log lines gathered since the last call, for stderr.
    pub fn take_logs(&mut self) -> Vec<String> {
        std::mem::take(&mut self.logs)
    }

    /// Updates applied since the last call (empty unless
    /// [`Tuning::emit_applied`]); the harness measures propagation with them.
    pub fn take_applied(&mut self) -> Vec<Dot> {
        std::mem::take(&mut self.applied)
    }

    /// Forced workloads: the order this node has committed so far, one JSON
    /// entry (`{"id": {"client", "seq"}, "body": {"Op": {"op", "outcome"}}}`)
    /// per operation; empty for the others and before `init`.
    pub fn forced_order(&self) -> Vec<Value> {
        self.joined
            .as_ref()
            .map_or_else(Vec::new, |j| j.driver.committed())
    }

    /// Forced workloads: the request id each client request got since the
    /// last call (empty unless [`Tuning::emit_applied`]).
    pub(crate) fn take_assigned(&mut self) -> Vec<Assigned> {
        self.joined
            .as_mut()
            .map_or_else(Vec::new, |j| j.driver.take_assigned())
    }

    fn dispatch(&mut self, now: Time, mut r: Request, out: &mut Vec<Out>) {
        if r.kind == "init" {
            self.init(now, &r, out);
            return;
        }
        let Some(joined) = &mut self.joined else {
            match r.msg_id {
                Some(msg_id) => out.push(Out::Error {
                    to: r.src,
                    in_reply_to: msg_id,
                    error: RequestError::unavailable("this node has not been initialised yet"),
                }),
                None => self.logs.push(format!("ignored {} before init", r.kind)),
            }
            return;
        };
        if r.dest.as_deref() != Some(joined.id.as_str()) {
            self.logs.push(format!(
                "ignored a {} from {} addressed to {:?}",
                r.kind, r.src, r.dest
            ));
            return;
        }
        if r.kind == "hs_forced" {
            let msg = r.body.remove("msg").unwrap_or(Value::Null);
            if let Err(why) = joined.driver.forced(now, &r.src, msg, out) {
                self.logs
                    .push(format!("dropped hs_forced from {}: {why}", r.src));
            }
            return;
        }
        if r.kind == "hs_peer" {
            let msg = r.body.remove("msg").unwrap_or(Value::Null);
            let seq = r.body.get("seq").and_then(Value::as_u64);
            for msg in joined.links.receive(now, &r.src, seq, msg) {
                if let Err(why) = joined.driver.peer(now, &r.src, msg, out) {
                    self.logs
                        .push(format!("dropped hs_peer from {}: {why}", r.src));
                    if let Some(msg_id) = r.msg_id {
                        out.push(Out::Error {
                            to: r.src.clone(),
                            in_reply_to: msg_id,
                            error: RequestError::malformed(why),
                        });
                    }
                }
            }
            return;
        }
        let Some(msg_id) = r.msg_id else {
            self.logs.push(format!(
                "ignored a {} from {} without an integer msg_id",
                r.kind, r.src
            ));
            return;
        };
        if r.kind == "topology" {
            // A suggestion we are free to ignore: the tuning picks our own.
            out.push(Out::Reply {
                to: r.src,
                in_reply_to: msg_id,
                body: body("topology_ok"),
            });
            return;
        }
        joined
            .driver
            .request(now, &r.src, msg_id, &r.kind, &r.body, out);
    }

    fn init(&mut self, now: Time, r: &Request, out: &mut Vec<Out>) {
        let Some(msg_id) = r.msg_id else {
            self.logs
                .push("ignored an init without an integer msg_id".into());
            return;
        };
        match self.join(now, r) {
            Ok(()) => out.push(Out::Reply {
                to: r.src.clone(),
                in_reply_to: msg_id,
                body: body("init_ok"),
            }),
            Err(error) => out.push(Out::Error {
                to: r.src.clone(),
                in_reply_to: msg_id,
                error,
            }),
        }
    }

    fn join(&mut self, now: Time, r: &Request) -> Result<(), RequestError> {
        let Some(Value::String(me)) = r.body.get("node_id") else {
            return Err(RequestError::malformed("init needs a string `node_id`"));
        };
        let Some(Value::Array(list)) = r.body.get("node_ids") else {
            return Err(RequestError::malformed("init needs an array `node_ids`"));
        };
        if let Some(j) = &self.joined {
            return if &j.id == me {
                Ok(()) // a repeated init changes nothing
            } else {
                Err(RequestError::malformed(format!(
                    "already initialised as {}",
                    j.id
                )))
            };
        }
        let mut nodes = Vec::with_capacity(list.len());
        for v in list {
            let name = v
                .as_str()
                .ok_or_else(|| RequestError::malformed(format!("node id {v} is not a string")))?;
            let id = ReplicaId::new(name)
                .map_err(|e| RequestError::malformed(format!("node id {name:?}: {e}")))?;
            if !nodes.contains(&id) {
                nodes.push(id);
            }
        }
        let Some(index) = nodes.iter().position(|n| n.as_str() == me) else {
            return Err(RequestError::malformed(format!(
                "node_ids does not list {me:?}"
            )));
        };
        let id = nodes[index].clone();
        let plan = self.tuning.plan(&id, &nodes);
        let gossip = self.workload != Workload::Echo;
        let driver: Box<dyn Driver> = match self.workload {
            Workload::Echo => Box::new(Server::<Echo>::new(id, &nodes, index, plan, gossip, now)),
            Workload::Broadcast => {
                Box::new(Server::<GrowSet>::new(id, &nodes, index, plan, gossip, now))
            }
            Workload::GCounter => {
                Box::new(Server::<Counter>::new(id, &nodes, index, plan, gossip, now))
            }
            Workload::TxnRwRegister => Box::new(Server::<Registers>::new(
                id, &nodes, index, plan, gossip, now,
            )),
            Workload::LinKv => forced::<LinKv>(&nodes, index, &self.tuning, now)?,
            Workload::TxnSerializable => {
                forced::<SerialRegisters>(&nodes, index, &self.tuning, now)?
            }
        };
        self.logs.push(format!(
            "{me}: {} node of {} ({})",
            self.workload,
            nodes.len(),
            if self.workload.is_forced() {
                format!(
                    "every node a voter, {} ms view change",
                    self.tuning.forced.view_change.as_millis()
                )
            } else if nodes.len() > self.tuning.mesh_max {
                format!("hub {}", nodes[0])
            } else {
                "full mesh".into()
            }
        ));
        self.joined = Some(Joined {
            id: me.clone(),
            driver,
            links: Links::new(self.tuning.reorder_hold),
        });
        Ok(())
    }

    fn next_msg_id(&mut self) -> Value {
        self.last_msg_id += 1;
        Value::from(self.last_msg_id)
    }

    fn render(&mut self, out: Vec<Out>, fallback_src: &str) -> Vec<String> {
        let src = self
            .joined
            .as_ref()
            .map_or_else(|| fallback_src.to_owned(), |j| j.id.clone());
        let mut lines = Vec::with_capacity(out.len());
        for o in out {
            let (to, b) = match o {
                Out::Reply {
                    to,
                    in_reply_to,
                    body,
                } => (to, with(body, "in_reply_to", Value::from(in_reply_to))),
                Out::Error {
                    to,
                    in_reply_to,
                    error,
                } => {
                    let b = with(body("error"), "in_reply_to", Value::from(in_reply_to));
                    let b = with(b, "code", Value::from(error.code.code()));
                    (to, with(b, "text", Value::String(error.text)))
                }
                Out::Peer { to, msg } => {
                    let seq = self.joined.as_mut().map_or(0, |j| j.links.stamp(&to));
                    let b = with(body("hs_peer"), "msg", msg);
                    (to, with(b, "seq", Value::from(seq)))
                }
                Out::Forced { to, msg } => (to, with(body("hs_forced"), "msg", msg)),
                Out::Applied(dot) => {
                    if self.tuning.emit_applied {
                        self.applied.push(dot);
                    }
                    continue;
                }
                Out::Log(text) => {
                    self.logs.push(text);
                    continue;
                }
            };
            let b = with(b, "msg_id", self.next_msg_id());
            lines.push(line(&src, &to, b));
        }
        lines
    }
}
