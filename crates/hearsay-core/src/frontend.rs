//! Front-end routing without I/O: replica choice, failover, retries, busy.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use crate::app::App;
use crate::ids::ReplicaId;
use crate::message::{ClientReply, ClientRequest};
use crate::replica::RequestToken;
use crate::status::Status;
use crate::time::Time;
use crate::timestamp::VectorTimestamp;

/// The line a client gets when no replica can serve it.
pub const BUSY_MESSAGE: &str = "All servers are currently busy, please try again later";

/// Tunables of a [`FrontEnd`].
#[derive(Clone, Debug)]
pub struct FrontEndConfig {
    /// How long one replica gets to answer before the next is tried.
    pub attempt_timeout: Duration,
    /// How long a request may take in all before the client is told "busy".
    /// Keep it below the replicas' `dedup_retention`.
    pub request_budget: Duration,
}

impl Default for FrontEndConfig {
    fn default() -> Self {
        Self {
            attempt_timeout: Duration::from_millis(2500),
            request_budget: Duration::from_secs(5),
        }
    }
}

/// Identifies one attempt of a request at one replica, so a late answer to an
/// abandoned attempt is recognised and dropped.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct AttemptId(pub u64);

/// What the front end knows of one replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    /// The status it last reported (or `Offline` after a timeout).
    pub status: Status,
    /// The highest timestamp it has answered with: how up to date it is.
    pub ts: VectorTimestamp,
    /// Attempts sent to it and not answered yet.
    pub in_flight: usize,
}

/// How a request ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome<A: App> {
    /// A replica answered: `Accepted`, `Answer` or `Rejected`.
    Reply(ClientReply<A>),
    /// Every replica was offline, overloaded, behind or silent: [`BUSY_MESSAGE`].
    Busy,
}

/// Something the front end wants done.
#[derive(Clone, Debug, PartialEq)]
pub enum FrontEndOutput<A: App> {
    /// Send `request` to the replica `to` as attempt `attempt`.
    Send {
        /// The replica.
        to: ReplicaId,
        /// Echo it back with the reply.
        attempt: AttemptId,
        /// The request (the same id and `prev` on every attempt).
        request: ClientRequest<A>,
    },
    /// The request `token` is finished.
    Done {
        /// From [`FrontEnd::submit`].
        token: RequestToken,
        /// How it ended.
        outcome: Outcome<A>,
    },
}

#[derive(Clone, Debug)]
struct Pending<A: App> {
    request: ClientRequest<A>,
    preferred: Option<ReplicaId>,
    tried: BTreeSet<ReplicaId>,
    /// The attempt under way: where, and until when we wait for it.
    current: Option<(ReplicaId, AttemptId, Time)>,
    give_up_at: Time,
}

/// The front end's routing state machine.
///
/// Each request goes to one replica at a time, chosen by: known status
/// (online first), the session's preferred replica, freshness (a replica whose
/// timestamp already covers the request's `prev`), fewest requests in flight,
/// then name. On "unavailable", "not yet" or a timeout the same request (same
/// update id, same `prev`) goes to the next replica; each replica is tried at
/// most once per request, and when none is left the outcome is
/// [`Outcome::Busy`].
#[derive(Debug)]
pub struct FrontEnd<A: App> {
    config: FrontEndConfig,
    replicas: BTreeMap<ReplicaId, ReplicaView>,
    pending: BTreeMap<RequestToken, Pending<A>>,
    /// Which request each attempt belongs to.
    attempts: BTreeMap<AttemptId, RequestToken>,
    next_attempt: u64,
    outputs: VecDeque<FrontEndOutput<A>>,
}

impl<A: App> FrontEnd<A> {
    /// A front end with no replicas yet.
    pub fn new(config: FrontEndConfig) -> Self {
        Self {
            config,
            replicas: BTreeMap::new(),
            pending: BTreeMap::new(),
            attempts: BTreeMap::new(),
            next_attempt: 1,
            outputs: VecDeque::new(),
        }
    }

    /// Adds a replica to route to (assumed online until it says otherwise).
    pub fn add_replica(&mut self, id: ReplicaId) {
        self.replicas.entry(id).or_insert(ReplicaView {
            status: Status::Online,
            ts: VectorTimestamp::new(),
            in_flight: 0,
        });
    }

    /// Stops routing to a replica.
    pub fn remove_replica(&mut self, id: &ReplicaId) {
        self.replicas.remove(id);
    }

    /// Records a status learned elsewhere (an admin `change`, the tracker).
    pub fn set_replica_status(&mut self, id: &ReplicaId, status: Status) {
        if let Some(v) = self.replicas.get_mut(id) {
            v.status = status;
        }
    }

    /// The replicas and what is known of them.
    pub fn replicas(&self) -> &BTreeMap<ReplicaId, ReplicaView> {
        &self.replicas
    }

    /// Requests under way.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Starts a request; `preferred` names a replica to use whenever it is online.
    pub fn submit(
        &mut self,
        now: Time,
        token: RequestToken,
        request: ClientRequest<A>,
        preferred: Option<ReplicaId>,
    ) {
        let pending = Pending {
            request,
            preferred,
            tried: BTreeSet::new(),
            current: None,
            give_up_at: now + self.config.request_budget,
        };
        self.pending.insert(token, pending);
        self.next_attempt_for(now, token);
    }

    /// Handles a replica's reply to `attempt`.
    pub fn handle_reply(&mut self, now: Time, attempt: AttemptId, reply: ClientReply<A>) {
        let Some(token) = self.attempts.remove(&attempt) else {
            return;
        };
        let Some(p) = self.pending.get_mut(&token) else {
            return;
        };
        let Some((replica, _, _)) = p.current.take() else {
            return;
        };
        let view = self.replicas.get_mut(&replica);
        if let Some(v) = view {
            v.in_flight = v.in_flight.saturating_sub(1);
            match &reply {
                ClientReply::Accepted { ts }
                | ClientReply::Answer { ts, .. }
                | ClientReply::Forced { ts, .. } => {
                    v.status = Status::Online;
                    v.ts.merge(ts);
                }
                ClientReply::NotYet { value_ts } => {
                    v.status = Status::Online;
                    v.ts.merge(value_ts);
                }
                ClientReply::Unavailable { status } => v.status = *status,
                ClientReply::Rejected { .. }
                | ClientReply::ForcedUnavailable { .. }
                | ClientReply::Reconfigured { .. } => {}
            }
        }
        match reply {
            ClientReply::NotYet { .. } | ClientReply::Unavailable { .. } => {
                self.next_attempt_for(now, token);
            }
            done => self.finish(token, Outcome::Reply(done)),
        }
    }

    /// Gives up on an attempt the transport could not deliver (connection lost).
    pub fn handle_failure(&mut self, now: Time, attempt: AttemptId) {
        let Some(token) = self.attempts.remove(&attempt) else {
            return;
        };
        let Some(p) = self.pending.get_mut(&token) else {
            return;
        };
        if let Some((replica, _, _)) = p.current.take() {
            if let Some(v) = self.replicas.get_mut(&replica) {
                v.in_flight = v.in_flight.saturating_sub(1);
                v.status = Status::Offline;
            }
        }
        self.next_attempt_for(now, token);
    }

    /// Times out attempts and requests whose time is up.
    pub fn handle_timeout(&mut self, now: Time) {
        let late: Vec<AttemptId> = self
            .pending
            .values()
            .filter_map(|p| p.current.as_ref())
            .filter(|(_, _, deadline)| *deadline <= now)
            .map(|(_, a, _)| *a)
            .collect();
        for attempt in late {
            self.handle_failure(now, attempt);
        }
    }

    /// The next time [`handle_timeout`](Self::handle_timeout) has work.
    pub fn poll_timeout(&self) -> Option<Time> {
        self.pending
            .values()
            .filter_map(|p| p.current.as_ref().map(|c| c.2))
            .min()
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<FrontEndOutput<A>> {
        self.outputs.pop_front()
    }

    fn finish(&mut self, token: RequestToken, outcome: Outcome<A>) {
        if let Some(p) = self.pending.remove(&token) {
            if let Some((_, a, _)) = p.current {
                self.attempts.remove(&a);
            }
        }
        self.outputs
            .push_back(FrontEndOutput::Done { token, outcome });
    }

    fn next_attempt_for(&mut self, now: Time, token: RequestToken) {
        let Some(p) = self.pending.get(&token) else {
            return;
        };
        if now >= p.give_up_at {
            self.finish(token, Outcome::Busy);
            return;
        }
        let Some(to) = self.choose(p) else {
            self.finish(token, Outcome::Busy);
            return;
        };
        let attempt = AttemptId(self.next_attempt);
        self.next_attempt += 1;
        let deadline = (now + self.config.attempt_timeout).min(p.give_up_at);
        let Some(p) = self.pending.get_mut(&token) else {
            return;
        };
        p.tried.insert(to.clone());
        p.current = Some((to.clone(), attempt, deadline));
        let request = p.request.clone();
        self.attempts.insert(attempt, token);
        if let Some(v) = self.replicas.get_mut(&to) {
            v.in_flight += 1;
        }
        self.outputs.push_back(FrontEndOutput::Send {
            to,
            attempt,
            request,
        });
    }

    fn choose(&self, p: &Pending<A>) -> Option<ReplicaId> {
        let prev = p.request.prev();
        self.replicas
            .iter()
            .filter(|(id, _)| !p.tried.contains(*id))
            .min_by_key(|(id, v)| {
                let status_rank = match v.status {
                    Status::Online => 0,
                    Status::Overloaded => 1,
                    Status::Offline => 2,
                };
                let not_preferred = p.preferred.as_ref() != Some(*id);
                let stale = !prev.le(&v.ts);
                (
                    status_rank,
                    not_preferred,
                    stale,
                    v.in_flight,
                    (*id).clone(),
                )
            })
            .map(|(id, _)| id.clone())
    }
}
