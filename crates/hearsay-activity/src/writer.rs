//! The writer thread: takes entries off the bounded queue and commits them
//! to the log in batches, adding the periodic traffic summaries.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::warn;

use crate::store::{LogStore, NewEntry};
use crate::tally::Tallies;

/// What the writer takes.
pub(crate) enum Msg {
    /// An entry to append.
    Entry(NewEntry),
    /// Commit (durably) everything queued before this, then answer.
    Flush(Sender<()>),
    /// The last handle is gone: commit what is left and stop.
    Stop,
}

/// The most entries committed in one transaction.
const MAX_BATCH: usize = 1024;

/// How long the writer waits after an entry for more to share its commit: it
/// bounds commits to about twenty a second however busy the node is.
const LINGER: Duration = Duration::from_millis(50);

/// How long a commit may stay unsynced to disk: commits skip the fsync and
/// one durable commit a second covers them (a crash loses at most that much
/// of the log, never the node's replicated state).
const SYNC_EVERY: Duration = Duration::from_secs(1);

pub(crate) struct Writer {
    pub(crate) store: Arc<LogStore>,
    pub(crate) rx: Receiver<Msg>,
    pub(crate) tallies: Arc<Mutex<Tallies>>,
    /// How often client and gossip traffic is summed up into log entries.
    pub(crate) summary_every: Duration,
    /// Entries lost: a full queue (counted by the sender) or a failed commit.
    pub(crate) dropped: Arc<AtomicU64>,
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What the writer took off the queue in one go.
#[derive(Default)]
struct Taken {
    batch: Vec<NewEntry>,
    flushes: Vec<Sender<()>>,
    /// The last handle is gone.
    closed: bool,
}

impl Taken {
    fn take(&mut self, m: Msg) {
        match m {
            Msg::Entry(e) => self.batch.push(e),
            Msg::Flush(done) => self.flushes.push(done),
            Msg::Stop => self.closed = true,
        }
    }
}

impl Writer {
    /// Waits until `wake` for a message, then lets more join it for
    /// [`LINGER`], up to [`MAX_BATCH`] entries.
    fn gather(&self, wake: Instant) -> Taken {
        let mut t = Taken::default();
        match self
            .rx
            .recv_timeout(wake.saturating_duration_since(Instant::now()))
        {
            Ok(m) => t.take(m),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => t.closed = true,
        }
        let linger_until = Instant::now() + LINGER;
        while !t.closed && !t.batch.is_empty() && t.batch.len() < MAX_BATCH {
            match self.rx.try_recv() {
                Ok(m) => t.take(m),
                Err(TryRecvError::Disconnected) => t.closed = true,
                Err(TryRecvError::Empty) => {
                    let left = linger_until.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    match self.rx.recv_timeout(left) {
                        Ok(m) => t.take(m),
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => t.closed = true,
                    }
                }
            }
        }
        t
    }

    /// Runs until the last handle is gone, then commits what is left and stops.
    pub(crate) fn run(self) {
        let mut last_summary = Instant::now();
        let mut next_summary = last_summary + self.summary_every;
        // Whether a commit since the last sync skipped the disk.
        let mut unsynced = false;
        let mut last_sync = Instant::now();
        let mut failures = 0u64;
        loop {
            let mut wake = next_summary;
            if unsynced {
                wake = wake.min(last_sync + SYNC_EVERY);
            }
            let Taken {
                mut batch,
                flushes,
                closed,
            } = self.gather(wake);
            let now = Instant::now();
            if now >= next_summary || closed {
                // The period actually covered: the last one before a stop is short.
                let period = u64::try_from((now - last_summary).as_millis()).unwrap_or(u64::MAX);
                let mut tallies = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
                batch.extend(tallies.take_summaries(now_ms(), period));
                last_summary = now;
                next_summary = now + self.summary_every;
            }
            let sync = closed
                || !flushes.is_empty()
                || (unsynced || !batch.is_empty()) && now >= last_sync + SYNC_EVERY;
            let n = batch.len() as u64;
            let result = if batch.is_empty() && sync && unsynced {
                self.store.sync()
            } else {
                self.store.append(batch, sync)
            };
            match result {
                Ok(()) if sync => {
                    unsynced = false;
                    last_sync = now;
                }
                Ok(()) => unsynced |= n > 0,
                Err(e) => {
                    self.dropped.fetch_add(n, Ordering::Relaxed);
                    failures += 1;
                    if failures.is_power_of_two() {
                        warn!(error = %e, failures, "could not write the activity log; entries dropped");
                    }
                }
            }
            for done in flushes {
                let _ = done.send(()); // the asker may have gone
            }
            if closed {
                break;
            }
        }
    }
}
