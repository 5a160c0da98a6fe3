//! The task that owns the routing state, and the handle clients use.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearsay_activity::{Activity, ActivityConfig};
use hearsay_core::{
    App, AttemptId, ClientId, ClientReply, ClientRequest, FrontEnd, FrontEndConfig, FrontEndOutput,
    Outcome, ReplicaId, RequestToken, Status, Time, VectorTimestamp,
};
use hearsay_wire::{
    FrontendRequest, FrontendResponse, ReplicaEntry, ReplicaRequest, ReplicaResponse,
    SessionRequest,
};
use tokio::sync::{mpsc, oneshot};
use tracing::debug;

use crate::availability::{Availability, AvailabilityConfig};
use crate::link::{LinkError, ReplicaLink};

/// How a front end behaves.
#[derive(Clone, Debug)]
pub struct FrontendConfig {
    /// Routing timeouts.
    pub core: FrontEndConfig,
    /// Inputs queued for the actor; senders wait when it is full.
    pub queue: usize,
    /// How long `status` waits for each replica's report.
    pub status_timeout: Duration,
    /// Sessions whose `prev` the front end remembers (the oldest are forgotten;
    /// clients hold their own `prev` too).
    pub max_sessions: usize,
    /// Where the front end's activity is counted and logged (`/v1/metrics`,
    /// `/v1/activity`); a memory-only log unless the node gives its own.
    pub activity: Activity,
    /// How often a replica that routing does not have online (a request to
    /// it failed, or it said it was offline or overloaded) is asked for its
    /// status, so that it takes traffic again soon after it is back.
    pub probe_every: Duration,
    /// How long one such probe may take before it counts as failed.
    pub probe_timeout: Duration,
    /// The shortest time between two `status_changed` entries of one
    /// replica; changes in between are summed up in the next entry.
    pub log_every: Duration,
}

impl Default for FrontendConfig {
    fn default() -> Self {
        Self {
            core: FrontEndConfig::default(),
            queue: 8192,
            status_timeout: Duration::from_millis(500),
            max_sessions: 100_000,
            activity: Activity::in_memory(ActivityConfig::default()),
            probe_every: Duration::from_millis(250),
            probe_timeout: Duration::from_secs(1),
            log_every: Duration::from_secs(1),
        }
    }
}

enum Input<A: App> {
    Session {
        request: SessionRequest<A>,
        reply: oneshot::Sender<FrontendResponse<A>>,
    },
    Replied {
        attempt: AttemptId,
        result: Result<ClientReply<A>, LinkError>,
    },
    /// A status change asked through this front end, as the replica
    /// reported it afterwards.
    SetStatus(ReplicaId, Status),
    /// A probe's answer: the replica's own status, or why it could not be
    /// asked.
    Probed {
        replica: ReplicaId,
        result: Result<Status, String>,
    },
    /// The status the tracker's peer list shows for a replica.
    TrackerStatus(ReplicaId, Status),
    AddReplica(ReplicaId),
    RemoveReplica(ReplicaId),
    Replicas(oneshot::Sender<Vec<(ReplicaId, Status)>>),
}

/// A cheap, cloneable handle to a running front end.
pub struct FrontendHandle<A: App> {
    tx: mpsc::Sender<Input<A>>,
    link: Arc<dyn ReplicaLink<A>>,
    status_timeout: Duration,
    activity: Activity,
}

impl<A: App> Clone for FrontendHandle<A> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            link: self.link.clone(),
            status_timeout: self.status_timeout,
            activity: self.activity.clone(),
        }
    }
}

/// Starts a front end routing to `replicas` through `link`.
pub fn spawn<A>(
    config: FrontendConfig,
    replicas: Vec<ReplicaId>,
    link: Arc<dyn ReplicaLink<A>>,
) -> FrontendHandle<A>
where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    let (tx, rx) = mpsc::channel(config.queue.max(1));
    let mut fe = FrontEnd::new(config.core.clone());
    let mut availability = Availability::new(AvailabilityConfig {
        probe_every: config.probe_every,
        log_every: config.log_every,
    });
    for r in replicas {
        fe.add_replica(r.clone());
        availability.add(Time::ZERO, r, Status::Online);
    }
    let actor = Actor {
        fe,
        availability,
        probe_timeout: config.probe_timeout,
        start: Instant::now(),
        link: link.clone(),
        tx: tx.clone(),
        pending: HashMap::new(),
        sessions: HashMap::new(),
        max_sessions: config.max_sessions.max(1),
        next_token: 0,
        activity: config.activity.clone(),
    };
    tokio::spawn(actor.run(rx));
    FrontendHandle {
        tx,
        link,
        status_timeout: config.status_timeout,
        activity: config.activity,
    }
}

struct Actor<A: App> {
    fe: FrontEnd<A>,
    /// Probes replicas routing has given up on, and paces the log.
    availability: Availability,
    /// Bounds each probe.
    probe_timeout: Duration,
    /// The epoch of this front end's `Time`.
    start: Instant,
    link: Arc<dyn ReplicaLink<A>>,
    /// For attempts' answers to come back in.
    tx: mpsc::Sender<Input<A>>,
    /// Per request: who asked, and the session to update.
    pending: HashMap<RequestToken, (oneshot::Sender<FrontendResponse<A>>, ClientId)>,
    /// Per session: everything it has seen, merged into its queries.
    sessions: HashMap<ClientId, VectorTimestamp>,
    max_sessions: usize,
    next_token: u64,
    /// Where routing changes are logged.
    activity: Activity,
}

impl<A> Actor<A>
where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    fn now(&self) -> Time {
        Time::from_micros(u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Input<A>>) {
        loop {
            let next = match (self.fe.poll_timeout(), self.availability.poll_timeout()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let wake = next
                .map(|t| self.start + Duration::from_micros(t.as_micros()))
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                input = rx.recv() => {
                    let Some(input) = input else { break };
                    self.handle(input);
                    while let Ok(input) = rx.try_recv() {
                        self.handle(input);
                    }
                }
                () = tokio::time::sleep_until(wake.into()) => {}
            }
            let now = self.now();
            let before = self.statuses();
            self.fe.handle_timeout(now);
            self.routed(now, &before, |_| {
                "it did not answer a request in time".into()
            });
            self.flush();
            self.probe(now);
            for (replica, detail) in self.availability.due_entries(now) {
                self.activity.status_changed(Some(replica.as_str()), detail);
            }
        }
        debug!("front end actor stopped");
    }

    fn handle(&mut self, input: Input<A>) {
        let now = self.now();
        match input {
            Input::Session { request, reply } => {
                let SessionRequest {
                    client,
                    mut request,
                    prefer,
                } = request;
                // A query may be held to everything the session is known to
                // have seen. Updates keep the client's `prev` untouched, so
                // every retry of one update is the same request.
                if let (
                    ClientRequest::Query { prev, .. } | ClientRequest::ForcedQuery { prev, .. },
                    Some(known),
                ) = (&mut request, self.sessions.get(&client))
                {
                    prev.merge(known);
                }
                let token = RequestToken(self.next_token);
                self.next_token += 1;
                self.pending.insert(token, (reply, client));
                self.fe.submit(now, token, request, prefer);
            }
            Input::Replied { attempt, result } => {
                let before = self.statuses();
                let cause = match &result {
                    Ok(ClientReply::Unavailable { status }) => {
                        format!("it answered {}", status.as_str())
                    }
                    Ok(_) => "it answered a request".to_owned(),
                    Err(e) => format!("a request to it failed: {e}"),
                };
                match result {
                    Ok(reply) => self.fe.handle_reply(now, attempt, reply),
                    Err(_) => self.fe.handle_failure(now, attempt),
                }
                self.routed(now, &before, |_| cause.clone());
            }
            Input::SetStatus(r, s) => {
                self.fe.set_replica_status(&r, s);
                self.route(now, &r, "changed through this front end");
            }
            Input::Probed { replica, result } => {
                let (status, cause) = match result {
                    Ok(s) => (s, "its own report".to_owned()),
                    Err(e) => (
                        Status::Offline,
                        format!("asking for its status failed: {e}"),
                    ),
                };
                self.fe.set_replica_status(&replica, status);
                self.route(now, &replica, &cause);
                self.availability.probed(now, &replica);
            }
            Input::TrackerStatus(r, s) => self.availability.tracker(now, &r, s),
            Input::AddReplica(r) => {
                if !self.fe.replicas().contains_key(&r) {
                    self.activity.membership(r.as_str(), true);
                }
                self.fe.add_replica(r.clone());
                if let Some(v) = self.fe.replicas().get(&r) {
                    let status = v.status;
                    self.availability.add(now, r, status);
                }
            }
            Input::RemoveReplica(r) => {
                if self.fe.replicas().contains_key(&r) {
                    self.activity.membership(r.as_str(), false);
                }
                self.fe.remove_replica(&r);
                self.availability.remove(&r);
            }
            Input::Replicas(tx) => {
                let list = self
                    .fe
                    .replicas()
                    .iter()
                    .map(|(id, v)| (id.clone(), v.status))
                    .collect();
                let _ = tx.send(list);
            }
        }
    }

    /// Routing's status of every replica, in name order (no names: this
    /// runs for every answer, and the set of replicas does not change
    /// while one input is handled).
    fn statuses(&self) -> Vec<Status> {
        self.fe.replicas().values().map(|v| v.status).collect()
    }

    /// Tells availability of every replica whose routing status is no
    /// longer what it was in `before` (from [`statuses`](Self::statuses)
    /// just before), for the reason `cause` gives.
    fn routed(&mut self, now: Time, before: &[Status], cause: impl Fn(&ReplicaId) -> String) {
        let changed: Vec<ReplicaId> = self
            .fe
            .replicas()
            .iter()
            .zip(before)
            .filter(|((_, v), old)| v.status != **old)
            .map(|((id, _), _)| id.clone())
            .collect();
        for id in changed {
            self.route(now, &id, &cause(&id));
        }
    }

    /// Tells availability routing's status of `id` now, and logs the
    /// change when it says so.
    fn route(&mut self, now: Time, id: &ReplicaId, cause: &str) {
        let Some(status) = self.fe.replicas().get(id).map(|v| v.status) else {
            return;
        };
        if let Some(detail) = self.availability.routed(now, id, status, cause) {
            debug!(replica = %id, %detail, "routing status changed");
            self.activity.status_changed(Some(id.as_str()), detail);
        }
    }

    /// Starts the probes that are due: each asks one replica for its status
    /// report, bounded by `probe_timeout`.
    fn probe(&mut self, now: Time) {
        for replica in self.availability.due_probes(now) {
            let call = self.link.call(&replica, ReplicaRequest::GetStatus);
            let tx = self.tx.clone();
            let timeout = self.probe_timeout;
            tokio::spawn(async move {
                let result = match tokio::time::timeout(timeout, call).await {
                    Ok(Ok(ReplicaResponse::Status(report))) => Ok(report.status),
                    Ok(Ok(ReplicaResponse::Error { reason })) => Err(reason),
                    Ok(Ok(other)) => Err(format!("unexpected answer {other:?}")),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("no answer in {} ms", timeout.as_millis())),
                };
                let _ = tx.send(Input::Probed { replica, result }).await;
            });
        }
    }

    fn flush(&mut self) {
        while let Some(out) = self.fe.poll_output() {
            match out {
                FrontEndOutput::Send {
                    to,
                    attempt,
                    request,
                } => {
                    let call = self.link.call(
                        &to,
                        ReplicaRequest::Client {
                            attempt: attempt.0,
                            request,
                        },
                    );
                    let tx = self.tx.clone();
                    tokio::spawn(async move {
                        let result = match call.await {
                            Ok(ReplicaResponse::Client { reply, .. }) => Ok(reply),
                            Ok(ReplicaResponse::Error { reason }) => {
                                Err(LinkError::Unreachable(reason))
                            }
                            Ok(other) => Err(LinkError::Unreachable(format!(
                                "unexpected answer {other:?}"
                            ))),
                            Err(e) => Err(e),
                        };
                        let _ = tx.send(Input::Replied { attempt, result }).await;
                    });
                }
                FrontEndOutput::Done { token, outcome } => {
                    let Some((reply, client)) = self.pending.remove(&token) else {
                        continue;
                    };
                    let response = match outcome {
                        Outcome::Busy => FrontendResponse::busy(),
                        Outcome::Reply(r) => {
                            if let ClientReply::Accepted { ts }
                            | ClientReply::Answer { ts, .. }
                            | ClientReply::Forced { ts, .. } = &r
                            {
                                self.remember(client, ts);
                            }
                            FrontendResponse::Reply(r)
                        }
                    };
                    let _ = reply.send(response);
                }
            }
        }
    }

    fn remember(&mut self, client: ClientId, ts: &VectorTimestamp) {
        if !self.sessions.contains_key(&client) && self.sessions.len() >= self.max_sessions {
            // Forget one session; its client still holds its own `prev`.
            if let Some(k) = self.sessions.keys().next().copied() {
                self.sessions.remove(&k);
            }
        }
        self.sessions.entry(client).or_default().merge(ts);
    }
}

impl<A> FrontendHandle<A>
where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    /// Answers one client request.
    pub async fn handle(&self, request: FrontendRequest<A>) -> FrontendResponse<A> {
        match request {
            FrontendRequest::Session(request) => {
                let (reply, rx) = oneshot::channel();
                if self
                    .tx
                    .send(Input::Session { request, reply })
                    .await
                    .is_err()
                {
                    return FrontendResponse::busy();
                }
                rx.await.unwrap_or_else(|_| FrontendResponse::busy())
            }
            FrontendRequest::ChangeStatus { replica, status } => self.change(replica, status).await,
            FrontendRequest::ListReplicas => FrontendResponse::Replicas(self.list().await),
        }
    }

    async fn change(&self, replica: ReplicaId, status: Status) -> FrontendResponse<A> {
        let known = self.replicas().await;
        if !known.iter().any(|(r, _)| r == &replica) {
            let names: Vec<String> = known.iter().map(|(r, _)| r.to_string()).collect();
            return FrontendResponse::Error {
                reason: format!(
                    "no replica named {replica}: the replicas are {}",
                    names.join(", ")
                ),
            };
        }
        let call = self.link.call(&replica, ReplicaRequest::SetStatus(status));
        match tokio::time::timeout(self.status_timeout * 4, call).await {
            Ok(Ok(ReplicaResponse::Status(report))) => {
                // The actor logs the change of routing, if it is one.
                let _ = self.tx.send(Input::SetStatus(replica, report.status)).await;
                FrontendResponse::Status(report)
            }
            Ok(Ok(other)) => FrontendResponse::Error {
                reason: format!("{replica} answered unexpectedly: {other:?}"),
            },
            Ok(Err(e)) => FrontendResponse::Error {
                reason: format!("cannot reach {replica}: {e}"),
            },
            Err(_) => FrontendResponse::Error {
                reason: format!("{replica} did not answer in time"),
            },
        }
    }

    /// Every replica with the status routing uses and its own report.
    pub async fn list(&self) -> Vec<ReplicaEntry> {
        let known = self.replicas().await;
        let mut asks = Vec::new();
        for (name, status) in known {
            let call = self.link.call(&name, ReplicaRequest::GetStatus);
            let timeout = self.status_timeout;
            asks.push(tokio::spawn(async move {
                let report = match tokio::time::timeout(timeout, call).await {
                    Ok(Ok(ReplicaResponse::Status(r))) => Some(r),
                    _ => None,
                };
                ReplicaEntry {
                    name,
                    status,
                    report,
                }
            }));
        }
        let mut out = Vec::new();
        for a in asks {
            if let Ok(entry) = a.await {
                out.push(entry);
            }
        }
        out
    }

    /// Every replica with the status routing uses now, without asking them.
    pub async fn routing(&self) -> Vec<(ReplicaId, Status)> {
        self.replicas().await
    }

    /// Where the front end's activity is counted and logged.
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    async fn replicas(&self) -> Vec<(ReplicaId, Status)> {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Input::Replicas(tx)).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Starts routing to a replica.
    pub async fn add_replica(&self, replica: ReplicaId) {
        let _ = self.tx.send(Input::AddReplica(replica)).await;
    }

    /// Stops routing to a replica.
    pub async fn remove_replica(&self, replica: ReplicaId) {
        let _ = self.tx.send(Input::RemoveReplica(replica)).await;
    }

    /// Tells routing the status the tracker's peer list shows for `replica`
    /// (what it last heartbeated). A hint only: when it disagrees with
    /// routing, the replica is asked at once, and its answer decides.
    pub async fn tracker_status(&self, replica: ReplicaId, status: Status) {
        let _ = self.tx.send(Input::TrackerStatus(replica, status)).await;
    }
}
