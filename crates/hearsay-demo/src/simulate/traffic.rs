//! [`Traffic`]: the load a simulation offers — random payloads written at the
//! tracker, peer-list polls, movie reads and writes through the front ends,
//! and (with `--chaos`) replicas sent offline or overloaded and back.
//! Claims need no driving: the replicas present them to each other by
//! themselves.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cluster::{ClusterApp, ClusterQuery, ClusterReply, ClusterUpdate};
use hearsay_apps::movies::{MovieId, MovieQuery, MovieUpdate, Rating, UserId};
use hearsay_client::{SessionClient, SessionError};
use hearsay_core::ClientId;
use hearsay_discovery::TrackerClient;
use hearsay_wire::tracker::{PeerQuery, ReplicaStatus, WritePayloads};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;

use super::latency::Latencies;

/// Operations in flight at once; past it the offered rate waits.
const MAX_IN_FLIGHT: usize = 64;
/// Simulated users, each with its own causal session.
const USERS: u32 = 16;
/// How often `--chaos` disturbs a replica, and for how long.
const CHAOS_EVERY: Duration = Duration::from_secs(4);
const CHAOS_FOR: Duration = Duration::from_millis(1500);

/// What the simulator itself saw.
#[derive(Debug, Default)]
pub(super) struct TrafficStats {
    pub(super) reads: u64,
    pub(super) writes: u64,
    pub(super) busy: u64,
    pub(super) errors: u64,
    /// The first few distinct errors, to show the user why.
    pub(super) error_samples: Vec<String>,
    pub(super) latency: Latencies,
    /// Latency per front end, by name.
    pub(super) per_frontend: BTreeMap<String, Latencies>,
    pub(super) payloads_written: u64,
    pub(super) polls: u64,
    pub(super) status_changes: u64,
    pub(super) tracker_calls: u64,
    pub(super) tracker_failures: u64,
}

impl TrafficStats {
    fn tracker_call<T, E: std::fmt::Display>(&mut self, r: &Result<T, E>) {
        self.tracker_calls += 1;
        if let Err(e) = r {
            self.tracker_failures += 1;
            self.sample_error(format!("tracker: {e}"));
        }
    }

    fn sample_error(&mut self, e: String) {
        if self.error_samples.len() < 5 && !self.error_samples.contains(&e) {
            self.error_samples.push(e);
        }
    }
}

/// A front end to send client operations through.
#[derive(Clone, Debug)]
pub(super) struct Frontend {
    pub(super) name: String,
    pub(super) client: hearsay_client::Client,
}

/// The traffic of one run.
pub(super) struct Traffic {
    pub(super) tracker: TrackerClient,
    pub(super) frontends: Vec<Frontend>,
    pub(super) replicas: Vec<String>,
    /// Movies to read and rate: `(id, title)`.
    pub(super) movies: Vec<(MovieId, String)>,
    pub(super) rate: f64,
    pub(super) chaos: bool,
    pub(super) seed: u64,
}

/// One simulated user: a causal session, used by one operation at a time,
/// through whichever front end the operation picks.
type User = Arc<tokio::sync::Mutex<SessionClient<ClusterApp>>>;

impl Traffic {
    /// Offers the load until `deadline`, calling `tick` about every 100 ms
    /// with the figures so far; returns them at the end.
    pub(super) async fn run(
        self,
        deadline: Instant,
        mut tick: impl FnMut(&TrafficStats),
    ) -> TrafficStats {
        let me = Arc::new(self);
        let stats = Arc::new(Mutex::new(TrafficStats::default()));
        let mut rng = StdRng::seed_from_u64(me.seed);
        // Users exist only when there is a front end to send through.
        let users: Vec<User> = match me.frontends.first() {
            None => Vec::new(),
            Some(fe) => (0..USERS)
                .map(|u| {
                    let id = ClientId(me.seed.wrapping_mul(1_000_003).wrapping_add(u64::from(u)));
                    // Not retried: a failed operation is counted as one.
                    let session = SessionClient::new(fe.client.clone(), id).retries(0);
                    Arc::new(tokio::sync::Mutex::new(session))
                })
                .collect(),
        };
        let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let period = Duration::from_secs_f64(1.0 / me.rate.max(0.1));
        let mut next = tokio::time::Instant::now();
        let mut next_chaos = Instant::now() + CHAOS_EVERY;
        let mut last_tick = Instant::now();
        let mut chaos_tasks = Vec::new();
        while Instant::now() < deadline {
            tokio::time::sleep_until(next).await;
            next += period;
            if last_tick.elapsed() >= Duration::from_millis(100) {
                last_tick = Instant::now();
                tick(&stats.lock().unwrap_or_else(|e| e.into_inner()));
            }
            if me.chaos && Instant::now() >= next_chaos && !me.replicas.is_empty() {
                next_chaos = Instant::now() + CHAOS_EVERY;
                let victim = me.replicas[rng.random_range(0..me.replicas.len())].clone();
                let status = if rng.random_bool(0.5) {
                    ReplicaStatus::Offline
                } else {
                    ReplicaStatus::Overloaded
                };
                chaos_tasks.push(tokio::spawn(disturb(
                    me.tracker.clone(),
                    victim,
                    status,
                    stats.clone(),
                )));
            }
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let roll: f64 = rng.random();
            let me2 = me.clone();
            let stats2 = stats.clone();
            if roll < 0.10 {
                let n = rng.random_range(1..=3);
                tokio::spawn(async move {
                    let r = me2
                        .tracker
                        .write_payloads(&WritePayloads {
                            payload: None,
                            random: Some(n),
                        })
                        .await;
                    let mut s = stats2.lock().unwrap_or_else(|e| e.into_inner());
                    s.tracker_call(&r);
                    if let Ok(ids) = r {
                        s.payloads_written += u64::from(ids.created);
                    }
                    drop(permit);
                });
            } else if roll < 0.20 {
                tokio::spawn(async move {
                    let r = me2.tracker.peers(&PeerQuery::default()).await;
                    let mut s = stats2.lock().unwrap_or_else(|e| e.into_inner());
                    s.tracker_call(&r);
                    s.polls += 1;
                    drop(permit);
                });
            } else if !me.frontends.is_empty() {
                let fe = me.frontends[rng.random_range(0..me.frontends.len())].clone();
                let user_no = rng.random_range(0..USERS);
                let user = users[user_no as usize].clone();
                let (movie, title) = me.movies[rng.random_range(0..me.movies.len())].clone();
                let write = rng.random_bool(0.5);
                let halves = rng.random_range(0..=10u8);
                tokio::spawn(async move {
                    let mut session = user.lock().await;
                    session.reconnect(fe.client.clone());
                    let started = Instant::now();
                    let answer = if write {
                        let rating = Rating::from_halves(halves)
                            .unwrap_or_else(|_| unreachable!("0 to 10 half stars is a rating"));
                        let op = ClusterUpdate::Movie(MovieUpdate::Rate {
                            movie,
                            user: UserId(user_no + 1),
                            rating,
                        });
                        session.update(op).await.map(|_| ())
                    } else {
                        let query = ClusterQuery::Movie(MovieQuery::Average { title });
                        match session.query(query).await {
                            Ok(ClusterReply::Movie(_)) => Ok(()),
                            Ok(other) => Err(SessionError::Unexpected(format!("{other:?}"))),
                            Err(e) => Err(e),
                        }
                    };
                    let took = started.elapsed();
                    let mut s = stats2.lock().unwrap_or_else(|e| e.into_inner());
                    match answer {
                        Ok(()) => {
                            if write {
                                s.writes += 1;
                            } else {
                                s.reads += 1;
                            }
                            s.latency.record(took);
                            s.per_frontend
                                .entry(fe.name.clone())
                                .or_default()
                                .record(took);
                        }
                        Err(SessionError::Busy(_)) => s.busy += 1,
                        Err(e) => {
                            s.errors += 1;
                            s.sample_error(format!("{}: {e}", fe.name));
                        }
                    }
                    drop(permit);
                });
            } else {
                drop(permit);
            }
        }
        // Wait for what is in flight, and for every disturbed replica to be
        // back online.
        let _ = slots.acquire_many(MAX_IN_FLIGHT as u32).await;
        for t in chaos_tasks {
            let _ = t.await;
        }
        std::mem::take(&mut *stats.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Sends `replica` to `status` through the tracker, then back online.
async fn disturb(
    tracker: TrackerClient,
    replica: String,
    status: ReplicaStatus,
    stats: Arc<Mutex<TrafficStats>>,
) {
    let r = tracker.set_status(&replica, status).await;
    let changed = r.is_ok();
    {
        let mut s = stats.lock().unwrap_or_else(|e| e.into_inner());
        s.tracker_call(&r);
        s.status_changes += u64::from(changed);
    }
    tokio::time::sleep(CHAOS_FOR).await;
    // Back online, retried: a replica left offline would skew every figure after.
    for _ in 0..5 {
        let r = tracker.set_status(&replica, ReplicaStatus::Online).await;
        let back = r.is_ok();
        {
            let mut s = stats.lock().unwrap_or_else(|e| e.into_inner());
            s.tracker_call(&r);
            s.status_changes += u64::from(back);
        }
        if back {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The front ends of a peer list, each with a client.
pub(super) fn frontends(
    peers: &[hearsay_wire::tracker::Peer],
    connector: &hearsay_transport::Connector,
) -> Vec<Frontend> {
    peers
        .iter()
        .filter(|p| p.role == hearsay_wire::tracker::PeerRole::Frontend)
        .filter_map(|p| {
            let addr: SocketAddr = p.addr.parse().ok()?;
            Some(Frontend {
                name: p.name.clone(),
                client: hearsay_client::Client::new(connector.clone(), addr, p.name.clone()),
            })
        })
        .collect()
}
