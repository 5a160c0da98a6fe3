//! A real tracker (`hearsay_tracker::serve`) on a loopback port, which tests
//! can stop and start again at the same address.

#![allow(dead_code)] // each test file uses a different part

use std::net::SocketAddr;
use std::time::Duration;

use hearsay_discovery::{TrackerClient, TrackerUrl};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The admin token of every test tracker.
pub(crate) const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A tracker serving HTTP on loopback.
pub(crate) struct TestTracker {
    pub(crate) addr: SocketAddr,
    pub(crate) dir: tempfile::TempDir,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl TestTracker {
    /// A tracker on a port the system picks, with a fresh data directory.
    pub(crate) async fn start(expiry: Duration) -> Self {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        Self::start_at(addr, tempfile::tempdir().unwrap(), expiry).await
    }

    /// A tracker at `addr` on `dir` (a stopped tracker's, to restart it).
    pub(crate) async fn start_at(
        addr: SocketAddr,
        dir: tempfile::TempDir,
        expiry: Duration,
    ) -> Self {
        let mut config = hearsay_tracker::Config::new(dir.path(), TOKEN);
        config.expiry = expiry;
        let tracker = hearsay_tracker::open(config).unwrap();
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            hearsay_tracker::serve(tracker, listener, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            dir,
            stop,
            task,
        }
    }

    /// Stops serving (and closes the database); returns the data directory.
    pub(crate) async fn stop(self) -> tempfile::TempDir {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the tracker stopped")
            .unwrap();
        self.dir
    }

    pub(crate) fn url(&self) -> TrackerUrl {
        TrackerUrl::from(self.addr)
    }

    /// A client with the right token.
    pub(crate) fn client(&self) -> TrackerClient {
        TrackerClient::new(self.url(), Some(TOKEN.into()))
    }
}

/// Waits until `check` holds, polling every 20 ms; panics with `what` after
/// `limit`.
pub(crate) async fn eventually(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = tokio::time::Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A loopback port nothing listens on (bound, then freed).
pub(crate) fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}
