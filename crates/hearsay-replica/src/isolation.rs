//! A fault switch for tests: cut a replica off from its peers and heal it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// While on, the replica drops every peer message it receives and sends none;
/// clients are still served. Off unless a test turns it on.
#[derive(Clone, Debug, Default)]
pub struct Isolation(Arc<AtomicBool>);

impl Isolation {
    /// Whether the replica is cut off now.
    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Cuts the replica off (`true`) or heals it (`false`).
    pub fn set(&self, on: bool) {
        self.0.store(on, Ordering::Relaxed);
    }

    /// A switch that is on while `file` exists, checked every 50 ms: how a
    /// test process partitions a replica process it started.
    pub fn following_file(file: PathBuf) -> Self {
        let switch = Self::default();
        let s = switch.clone();
        tokio::spawn(async move {
            loop {
                s.set(file.exists());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        switch
    }
}
