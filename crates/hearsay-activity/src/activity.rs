//! [`Activity`]: a node's activity log and counters, behind one cheap handle.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hearsay_wire::node::{NodeActivityEntry, NodeActivityKind, NodeActivityQuery, NodeMetrics};
use hearsay_wire::tracker::{DEFAULT_PAGE, MAX_PAGE};

use crate::counter::Counter;
use crate::extension::{ExtendError, MAX_EXTENSIONS, MetricsExtension};
use crate::store::{ActivityError, LogStore, NewEntry};
use crate::tally::Tallies;
use crate::writer::{Msg, Writer, now_ms};

/// The longest `detail` kept, in bytes; longer ones are cut.
pub const MAX_DETAIL: usize = 512;

/// The longest peer name accepted in a query or kept in an entry, in bytes.
pub const MAX_PEER_NAME: usize = 63;

/// How an activity log behaves.
#[derive(Clone, Debug)]
pub struct ActivityConfig {
    /// Entries kept; past it the oldest are deleted.
    pub capacity: u64,
    /// Entries waiting for the writer; past it new ones are dropped (and
    /// counted) rather than slowing the node down.
    pub queue: usize,
    /// How often client requests and gossip are summed up into log entries
    /// (one per requester or peer), instead of one entry per message.
    pub summary_every: Duration,
}

impl Default for ActivityConfig {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            queue: 4096,
            summary_every: Duration::from_secs(5),
        }
    }
}

/// A node's activity: the counters behind `/v1/metrics` and the log behind
/// `/v1/activity`. Cheap to clone; clones share everything.
///
/// Recording never blocks and never waits for the disk: counters are a few
/// additions under a short lock, log entries go through a bounded queue to a
/// writer thread that commits them in batches. When the queue is full the
/// entry is dropped and counted ([`Activity::dropped`]).
#[derive(Clone)]
pub struct Activity {
    inner: Arc<Inner>,
}

struct Inner {
    /// When the node started: uptime, and the seconds of the window.
    start: Instant,
    tallies: Arc<Mutex<Tallies>>,
    tx: SyncSender<Msg>,
    store: Arc<LogStore>,
    /// Entries lost to a full queue or a failed commit.
    dropped: Arc<AtomicU64>,
    /// What the application added to the metrics, by name
    /// ([`Activity::extend`]; at most [`MAX_EXTENSIONS`]).
    extensions: Mutex<BTreeMap<String, Arc<dyn MetricsExtension>>>,
    /// Joined on drop, so the log is committed and closed when the last
    /// handle goes (a node can reopen its directory at once).
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(w) = self.writer.get_mut().ok().and_then(Option::take) {
            let _ = w.join();
        }
    }
}

impl std::fmt::Debug for Activity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Activity")
            .field("log", &self.inner.store.place())
            .finish_non_exhaustive()
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// A Prometheus label value, escaped.
pub fn label_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Checks a `/v1/activity` query; the page size, or what is wrong with it.
pub fn check_query(q: &NodeActivityQuery) -> Result<usize, String> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(format!("limit must be 1 to {MAX_PAGE}, not {limit}"));
    }
    if let Some(p) = &q.peer {
        if p.is_empty() || p.len() > MAX_PEER_NAME {
            return Err(format!("peer must be a name of 1 to {MAX_PEER_NAME} bytes"));
        }
    }
    Ok(limit as usize)
}

impl Activity {
    /// The log in `dir/activity.redb` (created if missing; a restarted node
    /// keeps its log and numbering).
    pub fn open(dir: &Path, config: ActivityConfig) -> Result<Self, ActivityError> {
        let store = LogStore::open(dir, config.capacity)?;
        Ok(Self::start(store, config))
    }

    /// A log kept in memory only, for a node without a data directory.
    pub fn in_memory(config: ActivityConfig) -> Self {
        // The memory backend does no I/O, so creating the database and its
        // tables cannot fail short of running out of memory.
        let store = LogStore::in_memory(config.capacity)
            .expect("an in-memory redb database opens without I/O");
        Self::start(store, config)
    }

    fn start(store: LogStore, config: ActivityConfig) -> Self {
        let store = Arc::new(store);
        let (tx, rx) = sync_channel(config.queue.max(1));
        let tallies = Arc::new(Mutex::new(Tallies::default()));
        let dropped = Arc::new(AtomicU64::new(0));
        let writer = Writer {
            store: store.clone(),
            rx,
            tallies: tallies.clone(),
            summary_every: config.summary_every.max(Duration::from_millis(10)),
            dropped: dropped.clone(),
        };
        // Like `std::thread::spawn`, which panics the same way: a node that
        // cannot start a thread cannot start at all.
        let writer = std::thread::Builder::new()
            .name("activity-log".into())
            .spawn(move || writer.run())
            .expect("spawning the activity log's writer thread");
        Self {
            inner: Arc::new(Inner {
                start: Instant::now(),
                tallies,
                tx,
                store,
                dropped,
                extensions: Mutex::new(BTreeMap::new()),
                writer: Mutex::new(Some(writer)),
            }),
        }
    }

    fn tallies(&self) -> MutexGuard<'_, Tallies> {
        // Counting cannot leave the tallies half-updated in a way that matters.
        self.inner.tallies.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn second(&self) -> u64 {
        self.inner.start.elapsed().as_secs()
    }

    /// How long since the node started.
    pub fn uptime(&self) -> Duration {
        self.inner.start.elapsed()
    }

    /// Appends an entry to the log (after a moment, by the writer thread).
    /// Never blocks: when the queue is full the entry is dropped and counted.
    pub fn record(&self, kind: NodeActivityKind, peer: Option<&str>, detail: impl Into<String>) {
        let entry = NewEntry {
            at_ms: now_ms(),
            kind,
            peer: peer.map(|p| cut(p.to_owned(), MAX_PEER_NAME)),
            detail: cut(detail.into(), MAX_DETAIL),
        };
        match self.inner.tx.try_send(Msg::Entry(entry)) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.inner.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Counts `n` of `counter`, in the totals and the last minute.
    pub fn count(&self, counter: Counter, n: u64) {
        let second = self.second();
        self.tallies().count(second, counter, n);
    }

    /// Adds an application's figures to this node's `/v1/metrics` and
    /// `/metrics`. Refused when the name is taken or the node has
    /// [`MAX_EXTENSIONS`].
    pub fn extend(&self, extension: Arc<dyn MetricsExtension>) -> Result<(), ExtendError> {
        let mut all = self.extensions();
        let name = extension.name().to_owned();
        if all.contains_key(&name) {
            return Err(ExtendError::Taken(name));
        }
        if all.len() >= MAX_EXTENSIONS {
            return Err(ExtendError::Full);
        }
        all.insert(name, extension);
        Ok(())
    }

    fn extensions(&self) -> MutexGuard<'_, BTreeMap<String, Arc<dyn MetricsExtension>>> {
        // Inserting is one step: a panic elsewhere cannot leave it half-done.
        self.inner
            .extensions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The registered extensions, outside the lock (they are asked for
    /// their figures without holding it).
    fn extension_list(&self) -> Vec<Arc<dyn MetricsExtension>> {
        self.extensions().values().cloned().collect()
    }

    /// A call to the tracker (register, heartbeat, peer list, deregister)
    /// and whether it succeeded: counted and logged. For the discovery code.
    pub fn tracker_call(&self, ok: bool, detail: impl Into<String>) {
        self.tracker_call_counted(ok);
        self.record(NodeActivityKind::TrackerCall, None, detail);
    }

    /// A tracker call counted but not logged: the routine heartbeats and
    /// peer-list polls, two a second, which would crowd the log out.
    pub fn tracker_call_counted(&self, ok: bool) {
        let second = self.second();
        let mut t = self.tallies();
        t.count(second, Counter::TrackerCalls, 1);
        if !ok {
            t.count(second, Counter::TrackerFailures, 1);
        }
    }

    /// A client request from `from` (a certificate name): counted, and summed
    /// up in the log once per summary period rather than logged one by one.
    pub fn client_request(&self, from: &str) {
        let second = self.second();
        let mut t = self.tallies();
        t.count(second, Counter::ClientRequests, 1);
        t.client(from);
    }

    /// A gossip message to `to` of `bytes` (`digest`: an anti-entropy
    /// digest), delivered or not: counted when delivered, and summed up in
    /// the log once per summary period.
    pub fn gossip(&self, to: &str, bytes: usize, digest: bool, delivered: bool) {
        let second = self.second();
        let bytes = bytes as u64;
        let mut t = self.tallies();
        if delivered {
            t.count(second, Counter::GossipMessages, 1);
            t.count(second, Counter::GossipBytes, bytes);
        }
        t.gossip(to, bytes, digest, delivered);
    }

    /// A status change (of this node, or of `peer` as this node sees it):
    /// counted and logged.
    pub fn status_changed(&self, peer: Option<&str>, detail: impl Into<String>) {
        self.count(Counter::StatusChanges, 1);
        self.record(NodeActivityKind::StatusChanged, peer, detail);
    }

    /// `peer` joined (`true`) or left this node's membership: logged.
    pub fn membership(&self, peer: &str, joined: bool) {
        let detail = if joined {
            format!("{peer} joined")
        } else {
            format!("{peer} left")
        };
        self.record(NodeActivityKind::Membership, Some(peer), detail);
    }

    /// The counters as `/v1/metrics` shows them. The node fills in its name,
    /// role, status and gauges.
    pub fn metrics(&self) -> NodeMetrics {
        let second = self.second();
        let uptime_ms = u64::try_from(self.uptime().as_millis()).unwrap_or(u64::MAX);
        let memory = crate::process::read();
        let extensions = self
            .extension_list()
            .iter()
            .map(|e| (e.name().to_owned(), e.metrics(second)))
            .collect();
        let t = self.tallies();
        NodeMetrics {
            uptime_ms,
            pid: Some(std::process::id()),
            rss_bytes: memory.map(|m| m.now),
            peak_rss_bytes: memory.map(|m| m.peak),
            total: t.total,
            last_minute: t.window.sum(second),
            extensions,
            ..NodeMetrics::default()
        }
    }

    /// Log entries as `/v1/activity` asks for them, newest first. Reads the
    /// database: call it off the async threads (`spawn_blocking`).
    pub fn entries(&self, q: &NodeActivityQuery) -> Result<Vec<NodeActivityEntry>, QueryError> {
        let limit = check_query(q).map_err(QueryError::Bad)?;
        self.inner
            .store
            .query(q.since, limit, |e| {
                q.peer.as_ref().is_none_or(|p| e.peer.as_ref() == Some(p))
                    && q.kind.is_none_or(|k| e.kind == k)
            })
            .map_err(QueryError::Log)
    }

    /// Entries kept in the log now.
    pub fn len(&self) -> Result<u64, ActivityError> {
        self.inner.store.len()
    }

    /// Whether the log is empty now.
    pub fn is_empty(&self) -> Result<bool, ActivityError> {
        Ok(self.len()? == 0)
    }

    /// Batches committed to the log so far (entries share commits).
    pub fn commits(&self) -> u64 {
        self.inner.store.commits()
    }

    /// Entries lost so far (a full queue or a failed write).
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// Waits until everything recorded before this call is committed, and
    /// durably (at shutdown, and in tests). Blocks the calling thread.
    pub fn flush(&self) {
        let (done, wait) = std::sync::mpsc::channel();
        if self.inner.tx.send(Msg::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(Duration::from_secs(10));
        }
    }

    /// The counters and the extensions' figures as Prometheus text, each
    /// sample labelled with `labels` (such as `replica="r1"`); counters in
    /// `skip` are left out (a node that exports them under other names).
    pub fn prometheus(&self, labels: &str, skip: &[Counter]) -> String {
        let metrics = self.metrics();
        let mut out = String::new();
        for c in Counter::ALL.iter().filter(|c| !skip.contains(c)) {
            let name = c.name();
            let _ = writeln!(
                out,
                "# HELP hearsay_{name}_total {}\n# TYPE hearsay_{name}_total counter\nhearsay_{name}_total{{{labels}}} {}",
                c.help(),
                c.get(&metrics.total)
            );
        }
        let second = self.second();
        for e in self.extension_list() {
            e.prometheus(second, labels, &mut out);
        }
        let _ = writeln!(
            out,
            "# HELP hearsay_activity_entries Entries kept in the activity log\n# TYPE hearsay_activity_entries gauge\nhearsay_activity_entries{{{labels}}} {}",
            self.len().unwrap_or(0)
        );
        let _ = writeln!(
            out,
            "# HELP hearsay_activity_dropped_total Activity entries dropped (queue full or write failed)\n# TYPE hearsay_activity_dropped_total counter\nhearsay_activity_dropped_total{{{labels}}} {}",
            self.dropped()
        );
        out
    }
}

/// Why [`Activity::entries`] gave no entries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query is out of range (a 400): what is wrong.
    #[error("{0}")]
    Bad(String),
    /// The log could not be read (a 500).
    #[error("{0}")]
    Log(ActivityError),
}
