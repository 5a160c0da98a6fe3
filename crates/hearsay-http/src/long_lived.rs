//! [`LongLived`]: how a handler marks a response as a long-lived stream
//! (server-sent events), exempt from the connection's request and idle time
//! limit, and how it ends one that must go (a slow reader, shutdown).

use std::sync::Arc;

use tokio::sync::Notify;

/// Put in a response's extensions (`response.extensions_mut().insert(..)`)
/// to let its connection outlive the request and idle timeouts: the
/// connection then lasts until the body ends, the client goes, or
/// [`end`](Self::end) is called on a clone. The handler must bound what it
/// queues for the stream and call `end` when the client falls behind, and
/// should cap how many such streams it serves at once: each holds one of
/// the listener's connection slots.
#[derive(Clone, Debug, Default)]
pub struct LongLived {
    /// Fired by `end`; a permit is kept if the connection is not waiting
    /// yet, so an early `end` is not lost.
    end: Arc<Notify>,
}

impl LongLived {
    /// A new mark, not ended.
    pub fn new() -> Self {
        Self::default()
    }

    /// Closes the stream's connection (at once if it is past its normal
    /// time limit, else when that limit is reached).
    pub fn end(&self) {
        self.end.notify_one();
    }

    /// Completes once [`end`](Self::end) has been called.
    pub(crate) async fn ended(&self) {
        self.end.notified().await;
    }
}
