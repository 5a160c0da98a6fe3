//! Load through the front end: a closed loop of clients, and an open loop at
//! a fixed offered rate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use hearsay_activity::process;
use hearsay_client::{Client, SessionClient};
use hearsay_core::{ClientId, ClientReply, ClientRequest, Dot, UpdateRecord, encoded_len};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::Semaphore;

use crate::pace::{Pacer, lock};
use crate::probe::Probe;
use crate::workload::Workload;

/// Size every this many updates' records (sizing costs a little CPU).
const SIZE_EVERY: u64 = 16;

/// What one load phase measured (requests completed in its window).
pub(crate) struct Measured {
    /// Latency of acknowledged updates, microseconds.
    pub(crate) updates: Histogram<u64>,
    /// Latency of answered queries, microseconds.
    pub(crate) queries: Histogram<u64>,
    /// Updates acknowledged inside the window.
    pub(crate) acked: u64,
    /// Requests answered busy, rejected or failed inside the window.
    pub(crate) errors: u64,
    /// Open loop only: requests not sent because too many were outstanding.
    pub(crate) shed: u64,
    /// The window's length.
    pub(crate) window: Duration,
    /// CPU seconds the process used during the window (closed loop only).
    pub(crate) cpu_s: f64,
}

impl Measured {
    /// Nothing measured yet, over a window of `window`.
    fn empty(window: Duration) -> Self {
        Self {
            updates: new_hist(),
            queries: new_hist(),
            acked: 0,
            errors: 0,
            shed: 0,
            window,
            cpu_s: 0.0,
        }
    }
}

pub(crate) fn new_hist() -> Histogram<u64> {
    // 1 us to 10 minutes at 3 significant digits: these bounds are valid.
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!())
}

/// What every load task shares.
pub(crate) struct Load<W> {
    pub(crate) client: Client,
    pub(crate) probe: Probe,
    /// What to send.
    pub(crate) workload: Arc<W>,
    /// Sessions are numbered from here so no two collide.
    pub(crate) next_client: Arc<AtomicU64>,
    /// Sum and count of sampled records' encoded sizes.
    pub(crate) record_bytes: Arc<(AtomicU64, AtomicU64)>,
}

/// Where an open loop's latency counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timed {
    /// From when the request was due: a dispatcher running late, or a
    /// queue of requests waiting for a free slot, shows in it (no
    /// coordinated omission). For loads that may build a backlog.
    FromDue,
    /// From when the request was sent: the request path's own time, without
    /// the dispatcher's timer lateness (up to a tick, 1 ms). For light
    /// loads, where no backlog forms and that lateness would swamp it.
    FromSend,
}

impl Timed {
    /// The instant a request due at `due` and being sent now counts from.
    pub(crate) fn origin(self, due: Instant) -> Instant {
        match self {
            Self::FromDue => due,
            Self::FromSend => Instant::now(),
        }
    }
}

/// How one request ended, for the caller's histograms.
enum Done {
    Update(Duration),
    Query(Duration),
    Failed,
}

impl<W> Clone for Load<W> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            probe: self.probe.clone(),
            workload: self.workload.clone(),
            next_client: self.next_client.clone(),
            record_bytes: self.record_bytes.clone(),
        }
    }
}

impl<W: Workload> Load<W> {
    /// Load through `client`; sessions are numbered from `first_client` up.
    pub(crate) fn new(client: Client, probe: Probe, workload: W, first_client: u64) -> Self {
        Self {
            client,
            probe,
            workload: Arc::new(workload),
            next_client: Arc::new(AtomicU64::new(first_client)),
            record_bytes: Arc::new((AtomicU64::new(0), AtomicU64::new(0))),
        }
    }

    /// A new session; not retried, so a request that fails counts as an
    /// error at once.
    fn session(&self) -> SessionClient<W::App> {
        let id = ClientId(self.next_client.fetch_add(1, Ordering::Relaxed));
        SessionClient::new(self.client.clone(), id).retries(0)
    }

    /// One update of `session` through the front end; `track`: follow its
    /// convergence.
    async fn update(
        &self,
        session: &mut SessionClient<W::App>,
        rng: &mut StdRng,
        track: bool,
    ) -> bool {
        let op = self.workload.update(rng);
        let request = session.update_request(op);
        let ClientRequest::Update { id, .. } = &request else {
            return false;
        };
        let id = *id;
        let track = track && self.probe.follows(id);
        if track {
            self.probe.track(id);
        }
        let sized = (id.seq % SIZE_EVERY == 0).then(|| request.clone());
        match session.send(request).await {
            Ok(ClientReply::Accepted { ts }) => {
                if track {
                    self.probe.acked(id, &ts);
                }
                if let Some(ClientRequest::Update { id, prev, op }) = sized {
                    // The record's origin is the entry its timestamp raised.
                    let origin = ts.ahead_of(&prev).next().cloned();
                    if let Some(origin) = origin {
                        let seq = ts.get(&origin);
                        let rec = UpdateRecord {
                            id,
                            dot: Dot { origin, seq },
                            prev,
                            op,
                            refused: None,
                        };
                        let (sum, n) = &*self.record_bytes;
                        sum.fetch_add(encoded_len(&rec) as u64, Ordering::Relaxed);
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                }
                true
            }
            _ => {
                if track {
                    self.probe.forget(id);
                }
                false
            }
        }
    }

    async fn query(&self, session: &mut SessionClient<W::App>, rng: &mut StdRng) -> bool {
        session.query(self.workload.query(rng)).await.is_ok()
    }

    /// Mean encoded size of the update records sized so far.
    pub(crate) fn mean_record_bytes(&self) -> f64 {
        let (sum, n) = &*self.record_bytes;
        let n = n.load(Ordering::Relaxed);
        if n == 0 {
            return 0.0;
        }
        sum.load(Ordering::Relaxed) as f64 / n as f64
    }
}

/// `clients` sessions, each sending its next update as soon as the last is
/// acknowledged, for `warmup` then `window`; measures what completes in the
/// window.
pub(crate) async fn closed_loop<W: Workload>(
    load: &Load<W>,
    clients: usize,
    warmup: Duration,
    window: Duration,
) -> Measured {
    let start = Instant::now() + warmup;
    let end = start + window;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let load = load.clone();
        tasks.spawn(async move {
            let mut rng = StdRng::seed_from_u64(c as u64);
            let mut session = load.session();
            let mut hist = new_hist();
            let (mut acked, mut errors) = (0u64, 0u64);
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let ok = load.update(&mut session, &mut rng, sent >= start).await;
                let done = Instant::now();
                if done < start || done > end {
                    continue;
                }
                if ok {
                    acked += 1;
                    let _ = hist.record(micros(done - sent));
                } else {
                    errors += 1;
                }
            }
            (hist, acked, errors)
        });
    }
    let mut m = Measured::empty(window);
    // CPU time over the window, read by a timer of its own.
    let cpu = tokio::spawn(async move {
        tokio::time::sleep_until(start.into()).await;
        let before = process::cpu_seconds().unwrap_or(0.0);
        tokio::time::sleep_until(end.into()).await;
        process::cpu_seconds().unwrap_or(0.0) - before
    });
    while let Some(joined) = tasks.join_next().await {
        if let Ok((hist, acked, errors)) = joined {
            let _ = m.updates.add(&hist);
            m.acked += acked;
            m.errors += errors;
        }
    }
    m.cpu_s = cpu.await.unwrap_or(0.0);
    m
}

/// Requests at `rate` per second, alternately updates and queries, each from
/// a free session (a session has one request out at a time), for `warmup`
/// then `window`. Latency counts from when a request was due or sent, as
/// `timed` says. `track`: follow the convergence of the updates measured.
pub(crate) async fn open_loop<W: Workload>(
    load: &Load<W>,
    rate: f64,
    warmup: Duration,
    window: Duration,
    max_outstanding: usize,
    timed: Timed,
    track: bool,
) -> Measured {
    let origin = Instant::now();
    let start = origin + warmup;
    let end = start + window;
    let permits = Arc::new(Semaphore::new(max_outstanding));
    let sessions: Arc<Mutex<Vec<SessionClient<W::App>>>> = Arc::new(Mutex::new(Vec::new()));
    let results: Arc<Mutex<Measured>> = Arc::new(Mutex::new(Measured::empty(window)));
    let mut pacer = Pacer::new(origin, rate, end);
    let mut tasks = tokio::task::JoinSet::new();
    // Every request due by now goes out, each stamped with its due time.
    while let Some(due) = pacer.due().await {
        for (i, due) in due {
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                if due >= start {
                    lock(&results).shed += 1;
                }
                continue;
            };
            let session = lock(&sessions).pop().unwrap_or_else(|| load.session());
            let (load, sessions, results) = (load.clone(), sessions.clone(), results.clone());
            tasks.spawn(async move {
                let mut session = session;
                let mut rng = StdRng::seed_from_u64(i);
                let measured = due >= start;
                let from = timed.origin(due);
                let done = if i % 2 == 0 {
                    if load.update(&mut session, &mut rng, track && measured).await {
                        Done::Update(from.elapsed())
                    } else {
                        Done::Failed
                    }
                } else if load.query(&mut session, &mut rng).await {
                    Done::Query(from.elapsed())
                } else {
                    Done::Failed
                };
                lock(&sessions).push(session);
                drop(permit);
                if measured {
                    let mut r = lock(&results);
                    match done {
                        Done::Update(d) => {
                            r.acked += 1;
                            let _ = r.updates.record(micros(d));
                        }
                        Done::Query(d) => {
                            let _ = r.queries.record(micros(d));
                        }
                        Done::Failed => r.errors += 1,
                    }
                }
            });
        }
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let mut r = lock(&results);
    std::mem::replace(&mut *r, Measured::empty(window))
}

pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}
