//! The handle through which everything reaches a running replica.

use std::collections::BTreeMap;
use std::sync::Arc;

use hearsay_activity::Activity;
use hearsay_core::{
    App, ClientReply, ClientRequest, ForcedStatus, PeerMessage, Replica, ReplicaId, ReplicaStats,
    Status, Time, VectorTimestamp,
};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::admission::{Admission, PeerVerdict, RequestVerdict};
use crate::data_view::{DataPage, DataView, MAX_DATA_LIMIT};
use crate::gossip_seen::{GossipDirection, GossipSeen};
use crate::observe::RequestObserver;
use crate::overload::Overload;

/// A read-only job run inside the actor.
pub(crate) type InspectJob<A> = Box<dyn FnOnce(&Replica<A>, Time) + Send>;

/// What the actor takes.
pub(crate) enum Input<A: App> {
    Client {
        request: ClientRequest<A>,
        reply: oneshot::Sender<ClientReply<A>>,
    },
    Peer {
        from: ReplicaId,
        msg: PeerMessage<A>,
    },
    /// Answered with the status before the change.
    SetStatus(Status, oneshot::Sender<Status>),
    AddMember(ReplicaId),
    RemoveMember(ReplicaId),
    Inspect(InspectJob<A>),
    Shutdown,
}

/// A replica's state at one moment, for status pages and metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaSnapshot {
    /// Its name.
    pub name: ReplicaId,
    /// Its status.
    pub status: Status,
    /// What its state includes.
    pub value_ts: VectorTimestamp,
    /// What it has received.
    pub rep_ts: VectorTimestamp,
    /// Records in its log.
    pub log_len: usize,
    /// Entries in its executed-update table.
    pub executed_len: usize,
    /// Queries waiting for their causal past.
    pub held: usize,
    /// How long the oldest of them has waited.
    pub oldest_held: Option<std::time::Duration>,
    /// What each peer last reported having.
    pub timestamp_table: BTreeMap<ReplicaId, VectorTimestamp>,
    /// Counters since start.
    pub stats: ReplicaStats,
    /// Its part in the forced order; `None` when none is configured.
    pub forced: Option<ForcedStatus>,
}

/// A cheap, cloneable handle to a running replica.
pub struct ReplicaHandle<A: App> {
    name: ReplicaId,
    tx: mpsc::Sender<Input<A>>,
    /// The status after the last change, shared by every clone, so that
    /// discovery can tell the tracker of a change at once.
    status: Arc<watch::Sender<Status>>,
    overload: Overload,
    /// Kept by the first handle only, so `join` can wait for the actor.
    task: Option<JoinHandle<()>>,
    /// Where the replica's activity is counted and logged.
    activity: Activity,
    /// Sees requests from the network, when an app wants to (claims).
    observer: Option<Arc<dyn RequestObserver<A>>>,
    /// Shows the app's state as text, when the embedder gave one.
    data_view: Option<DataView<A>>,
    /// The latest gossip that carried records, for status pages.
    gossip_seen: GossipSeen,
    /// The service's policy for client requests and incoming peer
    /// messages, if it has one.
    admission: Option<Arc<dyn Admission<A>>>,
}

impl<A: App> Clone for ReplicaHandle<A> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            tx: self.tx.clone(),
            status: self.status.clone(),
            overload: self.overload.clone(),
            task: None,
            activity: self.activity.clone(),
            observer: self.observer.clone(),
            data_view: self.data_view.clone(),
            gossip_seen: self.gossip_seen.clone(),
            admission: self.admission.clone(),
        }
    }
}

impl<A: App + Send + 'static> ReplicaHandle<A>
where
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    pub(crate) fn new(
        name: ReplicaId,
        (tx, status): (mpsc::Sender<Input<A>>, Status),
        overload: Overload,
        task: JoinHandle<()>,
        activity: Activity,
    ) -> Self {
        Self {
            name,
            tx,
            status: Arc::new(watch::channel(status).0),
            overload,
            task: Some(task),
            activity,
            observer: None,
            data_view: None,
            gossip_seen: GossipSeen::default(),
            admission: None,
        }
    }

    /// The replica's name.
    pub fn name(&self) -> &ReplicaId {
        &self.name
    }

    /// This handle, and the clones made from it afterwards, with `observer`
    /// watching the requests served through them ([`crate::serve_from`]).
    /// Set it before serving.
    pub fn with_observer(mut self, observer: Arc<dyn RequestObserver<A>>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// This handle, and the clones made from it afterwards, with `admission`
    /// deciding which client requests are handled and which peer messages
    /// reach the replica through them. Set it before serving.
    pub fn with_admission(mut self, admission: Arc<dyn Admission<A>>) -> Self {
        self.admission = Some(admission);
        self
    }

    /// The admission policy, if any.
    pub fn admission(&self) -> Option<&Arc<dyn Admission<A>>> {
        self.admission.as_ref()
    }

    /// The observer, if any.
    pub fn observer(&self) -> Option<&Arc<dyn RequestObserver<A>>> {
        self.observer.as_ref()
    }

    /// This handle, and the clones made from it afterwards, showing the
    /// app's state through `view` ([`data`](Self::data), `GET /v1/data`).
    pub fn with_data_view(mut self, view: DataView<A>) -> Self {
        self.data_view = Some(view);
        self
    }

    /// Whether the app's state can be shown ([`with_data_view`](Self::with_data_view)).
    pub fn has_data_view(&self) -> bool {
        self.data_view.is_some()
    }

    /// A page of the app's state: at most `limit` entries (capped at
    /// [`MAX_DATA_LIMIT`]) from `offset`; `None` if there is no data view
    /// or the replica has stopped.
    pub async fn data(&self, offset: usize, limit: usize) -> Option<DataPage> {
        let view = self.data_view.clone()?;
        let limit = limit.min(MAX_DATA_LIMIT);
        self.inspect(move |r, _| {
            let mut page = view(r.app(), offset, limit);
            page.entries.truncate(limit);
            page
        })
        .await
    }

    /// The latest gossip that carried records, and with whom.
    pub fn gossip_seen(&self) -> &GossipSeen {
        &self.gossip_seen
    }

    /// Where the replica's activity is counted and logged.
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    /// Handles a client request. When the admission policy says busy, or
    /// past the in-flight bound, the answer is "overloaded" without queueing.
    pub async fn request(&self, request: ClientRequest<A>) -> ClientReply<A> {
        let refused = self
            .admission
            .as_ref()
            .is_some_and(|a| a.request(&request) == RequestVerdict::Busy);
        let slot = if refused { None } else { self.overload.admit() };
        let Some(_slot) = slot else {
            return ClientReply::Unavailable {
                status: Status::Overloaded,
            };
        };
        let (reply, rx) = oneshot::channel();
        if self
            .tx
            .send(Input::Client { request, reply })
            .await
            .is_err()
        {
            return ClientReply::Unavailable {
                status: Status::Offline,
            };
        }
        rx.await.unwrap_or(ClientReply::Unavailable {
            status: Status::Offline,
        })
    }

    /// Hands a peer's message to the replica, unless the admission policy
    /// drops it.
    pub async fn peer(&self, from: ReplicaId, msg: PeerMessage<A>) {
        if let Some(a) = &self.admission {
            if a.receive(&from, &msg) == PeerVerdict::Drop {
                return;
            }
        }
        let carries = match &msg {
            PeerMessage::Gossip(g) => !g.records.is_empty(),
            PeerMessage::Snapshot(_) => true,
            PeerMessage::Digest { .. }
            | PeerMessage::Vr(_)
            | PeerMessage::Forward(_)
            | PeerMessage::ForwardReply { .. } => false,
        };
        if carries {
            self.gossip_seen
                .note(from.as_str(), GossipDirection::Received);
        }
        let _ = self.tx.send(Input::Peer { from, msg }).await; // stopped: nothing to do
    }

    /// Changes the replica's status; `false` if it has stopped.
    pub async fn set_status(&self, status: Status) -> bool {
        self.change_status(status, None).await
    }

    /// Changes the status at `by`'s request (a node name, for the log);
    /// `false` if the replica has stopped.
    pub(crate) async fn change_status(&self, status: Status, by: Option<&str>) -> bool {
        let (done, rx) = oneshot::channel();
        if self.tx.send(Input::SetStatus(status, done)).await.is_err() {
            return false;
        }
        let Ok(old) = rx.await else { return false };
        self.status
            .send_if_modified(|s| std::mem::replace(s, status) != status);
        if old != status {
            let by = by.map_or(String::new(), |b| format!(" (asked by {b})"));
            self.activity
                .status_changed(None, format!("{} -> {}{by}", old.as_str(), status.as_str()));
        }
        true
    }

    /// The replica's status, marked changed at every change of it (through
    /// [`set_status`](Self::set_status) or a `SetStatus` request): what
    /// discovery watches to heartbeat a change to the tracker at once.
    pub fn status_changes(&self) -> watch::Receiver<Status> {
        self.status.subscribe()
    }

    /// Adds a gossip peer.
    pub async fn add_member(&self, peer: ReplicaId) {
        let _ = self.tx.send(Input::AddMember(peer)).await;
    }

    /// Removes a gossip peer.
    pub async fn remove_member(&self, peer: ReplicaId) {
        let _ = self.tx.send(Input::RemoveMember(peer)).await;
    }

    /// Runs `f` on the replica inside its actor, with the replica's clock
    /// now; `None` if it has stopped.
    pub async fn inspect<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Replica<A>, Time) -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = oneshot::channel();
        let job: InspectJob<A> = Box::new(move |r, now| {
            let _ = tx.send(f(r, now));
        });
        self.tx.send(Input::Inspect(job)).await.ok()?;
        rx.await.ok()
    }

    /// The replica's state now.
    pub async fn snapshot(&self) -> Option<ReplicaSnapshot> {
        self.inspect(|r, now| ReplicaSnapshot {
            name: r.id().clone(),
            status: r.status(),
            value_ts: r.value_ts().clone(),
            rep_ts: r.rep_ts().clone(),
            log_len: r.log_len(),
            executed_len: r.executed_len(),
            held: r.held_len(),
            // Held at `deadline - hold_timeout`, so its age is this.
            oldest_held: r.oldest_held_deadline().map(|deadline| {
                let hold = u64::try_from(r.config().hold_timeout.as_micros()).unwrap_or(u64::MAX);
                let held_at = deadline.as_micros().saturating_sub(hold);
                std::time::Duration::from_micros(now.as_micros().saturating_sub(held_at))
            }),
            timestamp_table: r.timestamp_table().clone(),
            stats: r.stats().clone(),
            forced: r.forced_status(),
        })
        .await
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.overload.in_flight()
    }

    /// Stops the actor and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.tx.send(Input::Shutdown).await;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
