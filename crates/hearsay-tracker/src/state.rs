//! [`Tracker`]: the tracker's state and every operation of its API, free of
//! HTTP (the routes only parse, call one method and answer).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hearsay_wire::tracker::{
    ActivityEntry, ActivityKind, ActivityQuery, Heartbeat, MAX_PAYLOAD_BYTES, MAX_RANDOM_PAYLOADS,
    Payload, PayloadIds, PayloadPage, PayloadQuery, Peer, PeerList, PeerQuery, PeerRole,
    RegisterPeer, ReplicaStatus, StatusChanged, WritePayloads,
};
use tokio::time::Instant;

use crate::admin::{AdminError, ReplicaAdmin};
use crate::config::Config;
use crate::error::ApiError;
use crate::forward::PayloadSink;
use crate::metrics::Metrics;
use crate::payload::{payload_id, random_payloads};
use crate::store::{Changes, NewActivity, Store, StoreError};
use crate::validate;

/// A live peer and when it expires.
struct Live {
    peer: Peer,
    /// On the tokio clock, so tests can pause and advance it.
    deadline: Instant,
}

/// The live peers; one lock, so a registration's uniqueness check and its
/// write are one step.
struct Peers {
    live: BTreeMap<u64, Live>,
    /// The id the next new peer gets (persisted, so ids are never reused).
    next_id: u64,
    /// Peers whose status an admin is changing right now (how many such
    /// calls each): the replica heartbeats its new status at once, and that
    /// change is the admin's, logged once by [`Tracker::set_status`] rather
    /// than a second time as a report.
    changing: BTreeMap<u64, u32>,
}

/// Marks a peer as having an admin status change under way, until dropped
/// (also when the request is abandoned half-way).
struct Changing<'a> {
    tracker: &'a Tracker,
    id: u64,
}

impl<'a> Changing<'a> {
    fn new(tracker: &'a Tracker, id: u64) -> Result<Self, ApiError> {
        *tracker.peers()?.changing.entry(id).or_insert(0) += 1;
        Ok(Self { tracker, id })
    }
}

impl Drop for Changing<'_> {
    fn drop(&mut self) {
        let mut peers = self.tracker.peers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = peers.changing.get_mut(&self.id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                peers.changing.remove(&self.id);
            }
        }
    }
}

/// The tracker: a store, the live peers, and the counters behind `/metrics`.
pub struct Tracker {
    store: Store,
    /// Compared in constant time with each bearer token.
    token: String,
    expiry: Duration,
    max_peers: usize,
    admin: Arc<dyn ReplicaAdmin>,
    sink: Arc<dyn PayloadSink>,
    /// Wakes the forwarder when new payloads were stored.
    stored: tokio::sync::Notify,
    /// The last reason forwarding failed, so a failure that repeats every
    /// retry is logged once, not every half second.
    forward_failure: Mutex<Option<String>>,
    /// Which live front end the next forwarding batch goes through, so
    /// writes spread over them.
    forward_turn: std::sync::atomic::AtomicUsize,
    peers: Mutex<Peers>,
    pub(crate) metrics: Metrics,
    /// The HTTP limits `serve` applies, kept from the config.
    pub(crate) http: hearsay_http::ServeConfig,
    /// The live monitor's browsers and what they were last shown.
    pub(crate) monitor: crate::monitor::Monitor,
}

/// Milliseconds since the Unix epoch, for people (never for expiry).
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Payloads written into the cluster per front-end call.
const FORWARD_BATCH: usize = 64;

fn activity(kind: ActivityKind, peer: Option<&str>, detail: String) -> NewActivity {
    NewActivity {
        at_ms: now_ms(),
        kind,
        peer: peer.map(str::to_owned),
        detail,
    }
}

impl Tracker {
    /// Opens the store in `config.data_dir` and takes back the peers it
    /// holds; each gets a full expiry period from now to heartbeat again.
    pub fn open(config: Config) -> Result<Self, StoreError> {
        let store = Store::open(
            &config.data_dir,
            config.activity_capacity,
            config.max_payloads,
        )?;
        let deadline = Instant::now() + config.expiry;
        let live = store
            .peers()?
            .into_iter()
            .map(|peer| (peer.id, Live { peer, deadline }))
            .collect();
        let next_id = store.next_peer_id()?;
        Ok(Self {
            store,
            token: config.admin_token,
            expiry: config.expiry,
            max_peers: config.max_peers,
            admin: config.replica_admin,
            sink: config.payload_sink,
            http: config.http,
            stored: tokio::sync::Notify::new(),
            forward_failure: Mutex::new(None),
            forward_turn: std::sync::atomic::AtomicUsize::new(0),
            peers: Mutex::new(Peers {
                live,
                next_id,
                changing: BTreeMap::new(),
            }),
            metrics: Metrics::default(),
            monitor: crate::monitor::Monitor::default(),
        })
    }

    /// How long a peer may go without a heartbeat.
    pub fn expiry(&self) -> Duration {
        self.expiry
    }

    /// Checks an `Authorization` header value against the admin token.
    pub fn authorize(&self, header: Option<&[u8]>) -> Result<(), ApiError> {
        let Some(value) = header else {
            return Err(ApiError::Unauthorized(
                "this call needs the admin token: send `Authorization: Bearer <token>` (the token is in certs/admin.token)".into(),
            ));
        };
        // The scheme is case-insensitive (RFC 7235 §2.1): `bearer` works too.
        let token = match value.split_at_checked(7) {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case(b"Bearer ") => Some(token),
            _ => None,
        };
        let Some(token) = token else {
            return Err(ApiError::Unauthorized(
                "the Authorization header must be `Bearer <token>`".into(),
            ));
        };
        let expected = self.token.as_bytes();
        // Constant time over the expected length, so timing does not reveal
        // how much of a guess was right.
        let mut diff = u8::from(token.len() != expected.len());
        for (i, e) in expected.iter().enumerate() {
            diff |= e ^ token.get(i).copied().unwrap_or(0);
        }
        if diff == 0 {
            Ok(())
        } else {
            Err(ApiError::Unauthorized("wrong admin token".into()))
        }
    }

    /// The peers, with every peer whose deadline passed dropped (and logged).
    fn peers(&self) -> Result<MutexGuard<'_, Peers>, ApiError> {
        // A poisoned lock only means a panic elsewhere; the map is still whole.
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let due: Vec<u64> = peers
            .live
            .iter()
            .filter(|(_, l)| l.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        if !due.is_empty() {
            let mut changes = Changes::default();
            for id in &due {
                // `due` was collected from this map under this lock: the index holds.
                let p = &peers.live[id].peer;
                changes.remove_peers.push(*id);
                changes.activity.push(activity(
                    ActivityKind::PeerExpired,
                    Some(&p.name),
                    format!(
                        "{} {} ({}, id {id}) sent no heartbeat for {:?} and was dropped",
                        p.role.as_str(),
                        p.name,
                        p.addr,
                        self.expiry
                    ),
                ));
            }
            self.store.commit(changes)?;
            for id in due {
                if let Some(l) = peers.live.remove(&id) {
                    tracing::info!(peer = %l.peer.name, "peer expired");
                }
            }
        }
        Ok(peers)
    }

    /// Drops the peers whose heartbeats stopped; run periodically so the
    /// activity log says so even when nobody asks.
    pub fn expire(&self) -> Result<(), ApiError> {
        self.peers().map(drop)
    }

    /// Registers a peer. Returns it and whether it is new (`false` when the
    /// same name registered again: same id, address updated if it moved).
    pub fn register(&self, req: RegisterPeer) -> Result<(Peer, bool), ApiError> {
        validate::name(&req.name)?;
        let (addr, key) = validate::addr("addr", &req.addr)?;
        let http_addr = match &req.http_addr {
            Some(h) => Some(validate::addr("http_addr", h)?.0),
            None => None,
        };
        let mut peers = self.peers()?;
        let holder = peers
            .live
            .values()
            .find(|l| validate::addr("addr", &l.peer.addr).is_ok_and(|(_, k)| k == key));
        if let Some(h) = holder
            && h.peer.name != req.name
        {
            return Err(ApiError::Conflict(format!(
                "address {addr} is registered to peer {} (id {}); deregister it or wait for it to expire",
                h.peer.name, h.peer.id
            )));
        }
        let now = now_ms();
        let existing = peers
            .live
            .values()
            .find(|l| l.peer.name == req.name)
            .map(|l| l.peer.clone());
        let mut changes = Changes::default();
        let (peer, created) = match existing {
            Some(old) => {
                let peer = Peer {
                    role: req.role,
                    addr: addr.clone(),
                    http_addr,
                    seen_ms: now,
                    ..old.clone()
                };
                let detail = if old.addr == addr {
                    format!(
                        "{} {} registered again at {addr} (id {})",
                        peer.role.as_str(),
                        peer.name,
                        peer.id
                    )
                } else {
                    format!(
                        "{} {} moved from {} to {addr} (id {})",
                        peer.role.as_str(),
                        peer.name,
                        old.addr,
                        peer.id
                    )
                };
                changes.activity.push(activity(
                    ActivityKind::PeerRenewed,
                    Some(&peer.name),
                    detail,
                ));
                (peer, false)
            }
            None => {
                if peers.live.len() >= self.max_peers {
                    return Err(ApiError::Full(format!(
                        "the tracker holds its maximum of {} peers",
                        self.max_peers
                    )));
                }
                let id = peers.next_id;
                let peer = Peer {
                    id,
                    name: req.name,
                    role: req.role,
                    addr,
                    http_addr,
                    status: ReplicaStatus::Online,
                    registered_ms: now,
                    seen_ms: now,
                };
                changes.next_peer_id = Some(id + 1);
                changes.activity.push(activity(
                    ActivityKind::PeerRegistered,
                    Some(&peer.name),
                    format!(
                        "{} {} registered at {} (id {id})",
                        peer.role.as_str(),
                        peer.name,
                        peer.addr
                    ),
                ));
                (peer, true)
            }
        };
        changes.put_peers.push(peer.clone());
        self.store.commit(changes)?;
        if created {
            peers.next_id = peer.id + 1;
        }
        let deadline = Instant::now() + self.expiry;
        peers.live.insert(
            peer.id,
            Live {
                peer: peer.clone(),
                deadline,
            },
        );
        Ok((peer, created))
    }

    /// The live peers that pass the query's filters, by id.
    pub fn list(&self, q: &PeerQuery) -> Result<PeerList, ApiError> {
        let peers = self.peers()?;
        let peers = peers
            .live
            .values()
            .map(|l| &l.peer)
            .filter(|p| q.role.is_none_or(|r| p.role == r))
            .filter(|p| q.status.is_none_or(|s| p.status == s))
            .cloned()
            .collect();
        Ok(PeerList { peers })
    }

    fn no_peer(id: u64) -> ApiError {
        ApiError::NotFound(format!(
            "no live peer has id {id} (it may have expired or deregistered; register again)"
        ))
    }

    /// One live peer.
    pub fn peer(&self, id: u64) -> Result<Peer, ApiError> {
        let peers = self.peers()?;
        peers
            .live
            .get(&id)
            .map(|l| l.peer.clone())
            .ok_or_else(|| Self::no_peer(id))
    }

    /// Removes a peer.
    pub fn deregister(&self, id: u64) -> Result<(), ApiError> {
        let mut peers = self.peers()?;
        let p = peers
            .live
            .get(&id)
            .map(|l| l.peer.clone())
            .ok_or_else(|| Self::no_peer(id))?;
        self.store.commit(Changes {
            remove_peers: vec![id],
            activity: vec![activity(
                ActivityKind::PeerDeregistered,
                Some(&p.name),
                format!(
                    "{} {} ({}, id {id}) deregistered",
                    p.role.as_str(),
                    p.name,
                    p.addr
                ),
            )],
            ..Changes::default()
        })?;
        peers.live.remove(&id);
        Ok(())
    }

    /// A peer is alive (and, optionally, reports its status). A reported
    /// status that differs from the one on record is a `status_changed`
    /// entry, unless an admin's change of it is under way (that call logs
    /// it).
    pub fn heartbeat(&self, id: u64, beat: Heartbeat) -> Result<(), ApiError> {
        let mut peers = self.peers()?;
        let deadline = Instant::now() + self.expiry;
        let admin_changing = peers.changing.contains_key(&id);
        let live = peers.live.get_mut(&id).ok_or_else(|| Self::no_peer(id))?;
        let seen_ms = now_ms();
        if let Some(status) = beat.status
            && status != live.peer.status
        {
            // Persisted only when the status changes: heartbeats are frequent.
            let mut peer = live.peer.clone();
            let was = peer.status;
            peer.status = status;
            peer.seen_ms = seen_ms;
            let mut changes = Changes {
                put_peers: vec![peer.clone()],
                ..Changes::default()
            };
            if !admin_changing {
                changes.activity.push(activity(
                    ActivityKind::StatusChanged,
                    Some(&peer.name),
                    format!(
                        "{} {} reports it is now {} (was {})",
                        peer.role.as_str(),
                        peer.name,
                        status.as_str(),
                        was.as_str()
                    ),
                ));
            }
            self.store.commit(changes)?;
            live.peer = peer;
        }
        live.peer.seen_ms = seen_ms;
        live.deadline = deadline;
        Ok(())
    }

    /// Stores one given payload or `random` new ones.
    pub fn write_payloads(&self, req: WritePayloads) -> Result<PayloadIds, ApiError> {
        let contents = match (req.payload, req.random) {
            (Some(p), None) => {
                if p.is_empty() || p.len() > MAX_PAYLOAD_BYTES {
                    return Err(ApiError::BadRequest(format!(
                        "bad payload: {} bytes; a payload has 1 to {MAX_PAYLOAD_BYTES} bytes",
                        p.len()
                    )));
                }
                vec![p]
            }
            (None, Some(n)) => {
                if n == 0 || n > MAX_RANDOM_PAYLOADS {
                    return Err(ApiError::BadRequest(format!(
                        "bad random count {n}: ask for 1 to {MAX_RANDOM_PAYLOADS} payloads"
                    )));
                }
                random_payloads(n)?
            }
            _ => {
                return Err(ApiError::BadRequest(
                    "give exactly one of `payload` (a string) and `random` (a count)".into(),
                ));
            }
        };
        let payloads: Vec<(String, String)> = contents
            .into_iter()
            .map(|c| (payload_id(c.as_bytes()), c))
            .collect();
        let ids: Vec<String> = payloads.iter().map(|(id, _)| id.clone()).collect();
        let detail = match ids.as_slice() {
            [one] => format!("payload {one} written"),
            many => format!("{} payloads written", many.len()),
        };
        let created = self.store.commit(Changes {
            payloads,
            activity: vec![activity(ActivityKind::PayloadsWritten, None, detail)],
            at_ms: now_ms(),
            ..Changes::default()
        })?;
        if created > 0 {
            self.stored.notify_one();
        }
        Ok(PayloadIds { ids, created })
    }

    /// Completes once payloads were stored since the last time it completed:
    /// what the forwarder waits for between its periodic retries.
    pub async fn payloads_stored(&self) {
        self.stored.notified().await;
    }

    /// Payloads stored but not yet written into the cluster.
    pub fn payloads_pending(&self) -> Result<u64, ApiError> {
        Ok(self.store.outbox_len()?)
    }

    /// Writes waiting payloads into the cluster through a live front end, a
    /// batch at a time, until none wait or a write fails (the next call
    /// retries). Each batch leaves the outbox only once the front end has
    /// acknowledged it. Returns how many were written.
    pub async fn forward(&self) -> usize {
        let mut written = 0;
        loop {
            let batch = match self.store.outbox(FORWARD_BATCH) {
                Ok(batch) => batch,
                Err(e) => {
                    self.forward_failed(None, format!("reading the outbox: {e}"));
                    return written;
                }
            };
            if batch.is_empty() {
                return written;
            }
            let Some(frontend) = self.pick_frontend() else {
                // No count in the reason: it would change with every write
                // and log again; `/metrics` has the count.
                self.forward_failed(
                    None,
                    "payloads wait: no front end is registered to write them into the cluster"
                        .to_owned(),
                );
                return written;
            };
            let contents: Vec<String> = batch.iter().map(|(_, c)| c.clone()).collect();
            if let Err(e) = self.sink.write(&frontend, &contents).await {
                self.forward_failed(
                    Some(&frontend.name),
                    format!("writing payloads through {}: {e}", frontend.name),
                );
                return written;
            }
            let n = batch.len();
            let forwarded = batch.into_iter().map(|(id, _)| id).collect();
            let detail = format!(
                "{n} payloads written into the cluster through {}",
                frontend.name
            );
            let committed = self.store.commit(Changes {
                forwarded,
                activity: vec![activity(
                    ActivityKind::PayloadsForwarded,
                    Some(&frontend.name),
                    detail,
                )],
                ..Changes::default()
            });
            if let Err(e) = committed {
                // They were written; writing them again later is harmless
                // (a payload's id is its hash, so a second put changes nothing).
                self.forward_failed(None, format!("emptying the outbox: {e}"));
                return written;
            }
            *self
                .forward_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = None;
            written += n;
        }
    }

    /// A live front end, taking turns among them.
    fn pick_frontend(&self) -> Option<Peer> {
        let peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        let frontends: Vec<&Peer> = peers
            .live
            .values()
            .map(|l| &l.peer)
            .filter(|p| p.role == PeerRole::Frontend)
            .collect();
        if frontends.is_empty() {
            return None;
        }
        let turn = self
            .forward_turn
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(frontends[turn % frontends.len()].clone())
    }

    /// Logs a forwarding failure, unless it is the one logged last.
    fn forward_failed(&self, peer: Option<&str>, reason: String) {
        let mut last = self
            .forward_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if last.as_deref() == Some(reason.as_str()) {
            return;
        }
        tracing::warn!(%reason, "payloads not yet written into the cluster");
        let _ = self.store.commit(Changes {
            activity: vec![activity(
                ActivityKind::PayloadsForwardFailed,
                peer,
                reason.clone(),
            )],
            ..Changes::default()
        });
        *last = Some(reason);
    }

    /// One payload.
    pub fn payload(&self, id: &str) -> Result<Payload, ApiError> {
        validate::payload_id("payload id", id)?;
        match self.store.payload(id)? {
            Some(payload) => Ok(Payload {
                id: id.to_owned(),
                payload,
            }),
            None => Err(ApiError::NotFound(format!("no payload has id {id}"))),
        }
    }

    /// One page of payloads.
    pub fn payloads(&self, q: &PayloadQuery) -> Result<PayloadPage, ApiError> {
        if let Some(after) = &q.after {
            validate::payload_id("after", after)?;
        }
        let limit = validate::limit(q.limit)?;
        let (payloads, more) = self.store.payloads(q.after.as_deref(), limit)?;
        let next = if more {
            payloads.last().map(|p| p.id.clone())
        } else {
            None
        };
        Ok(PayloadPage { payloads, next })
    }

    /// Asks replica `name` to take `status`, and records what it says.
    pub async fn set_status(
        &self,
        name: &str,
        status: ReplicaStatus,
    ) -> Result<StatusChanged, ApiError> {
        validate::name(name)?;
        let peer = {
            let peers = self.peers()?;
            peers
                .live
                .values()
                .find(|l| l.peer.name == name)
                .map(|l| l.peer.clone())
        };
        let Some(peer) = peer else {
            return Err(ApiError::NotFound(format!(
                "no replica named {name} is registered (see GET /v1/peers?role=replica)"
            )));
        };
        if peer.role != PeerRole::Replica {
            return Err(ApiError::BadRequest(format!(
                "{name} is a {}, not a replica: only replicas have a status to change",
                peer.role.as_str()
            )));
        }
        // Held to the end: a heartbeat meanwhile is this change, not news.
        let _changing = Changing::new(self, peer.id)?;
        let result = self.admin.set_status(&peer, status).await;
        let mut peers = self.peers()?;
        match result {
            Ok(now) => {
                let mut changes = Changes::default();
                if let Some(live) = peers.live.get(&peer.id) {
                    let mut updated = live.peer.clone();
                    updated.status = now;
                    changes.put_peers.push(updated);
                }
                changes.activity.push(activity(
                    ActivityKind::StatusChanged,
                    Some(name),
                    format!(
                        "replica {name} asked to be {}; it is now {}",
                        status.as_str(),
                        now.as_str()
                    ),
                ));
                self.store.commit(changes)?;
                if let Some(live) = peers.live.get_mut(&peer.id) {
                    live.peer.status = now;
                }
                Ok(StatusChanged {
                    name: name.to_owned(),
                    status: now,
                })
            }
            Err(e) => {
                self.store.commit(Changes {
                    activity: vec![activity(
                        ActivityKind::StatusChangeFailed,
                        Some(name),
                        format!("replica {name} asked to be {}: {e}", status.as_str()),
                    )],
                    ..Changes::default()
                })?;
                Err(match e {
                    AdminError::Unavailable(m) => ApiError::Unavailable(m),
                    AdminError::UnknownReplica(m)
                    | AdminError::Unreachable(m)
                    | AdminError::Refused(m) => ApiError::BadGateway(m),
                })
            }
        }
    }

    /// The activity log, newest first, filtered. It does not expire peers
    /// itself (the route does, first), so tests can see what the periodic
    /// sweep wrote.
    pub fn activity(&self, q: &ActivityQuery) -> Result<Vec<ActivityEntry>, ApiError> {
        let limit = validate::limit(q.limit)?;
        Ok(self.store.activity(q.since, limit, |e| {
            q.peer.as_ref().is_none_or(|p| e.peer.as_ref() == Some(p))
                && q.kind.is_none_or(|k| e.kind == k)
        })?)
    }

    /// Live peers by role, payloads stored and activity entries kept: the
    /// gauges of `/metrics`.
    pub(crate) fn gauges(&self) -> Result<(BTreeMap<&'static str, u64>, u64, u64), ApiError> {
        let mut by_role = BTreeMap::from([
            (PeerRole::Replica.as_str(), 0),
            (PeerRole::Frontend.as_str(), 0),
        ]);
        for l in self.peers()?.live.values() {
            *by_role.entry(l.peer.role.as_str()).or_default() += 1;
        }
        Ok((
            by_role,
            self.store.payload_count()?,
            self.store.activity_len()?,
        ))
    }
}
