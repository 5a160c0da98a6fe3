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
}

impl Default for FrontendConfig {
    fn default() -> Self {
        Self {
            core: FrontEndConfig::default(),
            queue: 8192,
            status_timeout: Duration::from_millis(500),
            max_sessions: 100_000,
            activity: Activity::in_memory(ActivityConfig::default()),
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
    SetStatus(ReplicaId, Status),
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
    for r in replicas {
        fe.add_replica(r);
    }
    let actor = Actor {
        fe,
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
            let wake = self
                .fe
                .poll_timeout()
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
            self.fe.handle_timeout(now);
            self.flush();
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
                if let (ClientRequest::Query { prev, .. }, Some(known)) =
                    (&mut request, self.sessions.get(&client))
                {
                    prev.merge(known);
                }
                let token = RequestToken(self.next_token);
                self.next_token += 1;
                self.pending.insert(token, (reply, client));
                self.fe.submit(now, token, request, prefer);
            }
            Input::Replied { attempt, result } => match result {
                Ok(reply) => self.fe.handle_reply(now, attempt, reply),
                Err(_) => self.fe.handle_failure(now, attempt),
            },
            Input::SetStatus(r, s) => self.fe.set_replica_status(&r, s),
            Input::AddReplica(r) => {
                if !self.fe.replicas().contains_key(&r) {
                    self.activity.membership(r.as_str(), true);
                }
                self.fe.add_replica(r);
            }
            Input::RemoveReplica(r) => {
                if self.fe.replicas().contains_key(&r) {
                    self.activity.membership(r.as_str(), false);
                }
                self.fe.remove_replica(&r);
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
                            if let ClientReply::Accepted { ts } | ClientReply::Answer { ts, .. } =
                                &r
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
        let Some(old) = known.iter().find(|(r, _)| r == &replica).map(|(_, s)| *s) else {
            let names: Vec<String> = known.iter().map(|(r, _)| r.to_string()).collect();
            return FrontendResponse::Error {
                reason: format!(
                    "no replica named {replica}: the replicas are {}",
                    names.join(", ")
                ),
            };
        };
        let call = self.link.call(&replica, ReplicaRequest::SetStatus(status));
        match tokio::time::timeout(self.status_timeout * 4, call).await {
            Ok(Ok(ReplicaResponse::Status(report))) => {
                if old != report.status {
                    self.activity.status_changed(
                        Some(replica.as_str()),
                        format!(
                            "{replica}: {} -> {} (as routing saw it)",
                            old.as_str(),
                            report.status.as_str()
                        ),
                    );
                }
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
}
