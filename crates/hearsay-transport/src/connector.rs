//! The requesting side: one long-lived connection per peer, one stream per request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use quinn::{ConnectError, Connection};
use tracing::{Instrument, debug, debug_span};

use crate::codes;
use crate::error::TransportError;

/// Limits of a [`Connector`].
#[derive(Clone, Debug)]
pub struct ConnectorConfig {
    /// How long a new connection (QUIC and TLS handshake) may take.
    pub connect_timeout: Duration,
    /// The largest answer accepted, in bytes; a larger one is an error.
    pub max_response_bytes: usize,
}

impl Default for ConnectorConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            max_response_bytes: hearsay_wire::MAX_FRAME_BYTES,
        }
    }
}

/// Where a connection goes: the address, and the name its certificate must carry.
type Key = (SocketAddr, String);

/// One cached connection; the async lock makes concurrent first requests to
/// one peer share a single handshake instead of racing to open several.
type Slot = Arc<tokio::sync::Mutex<Option<Connection>>>;

/// Sends requests to peers over a pool of long-lived QUIC connections: one per
/// (address, server name), opened on first use, reopened after it fails.
/// Each request is one bidirectional stream. Cheap to clone; clones share the pool.
#[derive(Clone, Debug)]
pub struct Connector {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    endpoint: quinn::Endpoint,
    config: ConnectorConfig,
    slots: Mutex<HashMap<Key, Slot>>,
    /// Connections opened so far: lets tests and metrics see that connections
    /// are reused rather than made per request.
    connects: AtomicU64,
}

impl Connector {
    /// A connector dialling out of `endpoint`, which must have a default
    /// client configuration ([`crate::bind`] and [`crate::bind_client`] set one).
    pub fn new(endpoint: quinn::Endpoint, config: ConnectorConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                endpoint,
                config,
                slots: Mutex::new(HashMap::new()),
                connects: AtomicU64::new(0),
            }),
        }
    }

    /// Sends `request` to `addr` (whose certificate must name `server_name`) on
    /// a new stream and returns the answer. `timeout` bounds the whole call,
    /// connecting included; connecting alone is also bounded by
    /// [`ConnectorConfig::connect_timeout`].
    pub async fn request(
        &self,
        addr: SocketAddr,
        server_name: &str,
        request: &[u8],
        timeout: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let span = debug_span!("request", %addr, server = server_name, len = request.len());
        let max = self.inner.config.max_response_bytes;
        let work = self.on_pooled(
            addr,
            server_name,
            |conn| async move { conn.open_bi().await },
            |(mut send, mut recv)| async move {
                send.write_all(request)
                    .await
                    .map_err(|e| TransportError::from_write(addr, &e))?;
                // Finishing fails only if the stream was already reset, which the
                // read below reports with its reason.
                let _ = send.finish();
                recv.read_to_end(max)
                    .await
                    .map_err(|e| TransportError::from_read(addr, &e, max))
            },
        );
        self.bounded(addr, timeout, work).instrument(span).await
    }

    /// Sends `message` to `addr` on a one-way stream (for gossip) and waits
    /// until the peer has received all of it, within `timeout`.
    pub async fn send_oneway(
        &self,
        addr: SocketAddr,
        server_name: &str,
        message: &[u8],
        timeout: Duration,
    ) -> Result<(), TransportError> {
        let span = debug_span!("oneway", %addr, server = server_name, len = message.len());
        let work = self.on_pooled(
            addr,
            server_name,
            |conn| async move { conn.open_uni().await },
            |mut send: quinn::SendStream| async move {
                send.write_all(message)
                    .await
                    .map_err(|e| TransportError::from_write(addr, &e))?;
                let _ = send.finish();
                match send.stopped().await {
                    Ok(None) => Ok(()),
                    Ok(Some(code)) => Err(TransportError::from_code(addr, code)),
                    Err(quinn::StoppedError::ConnectionLost(e)) => {
                        Err(TransportError::from_connection(addr, &e, false))
                    }
                    Err(e) => Err(TransportError::ConnectionLost {
                        addr,
                        reason: e.to_string(),
                    }),
                }
            },
        );
        self.bounded(addr, timeout, work).instrument(span).await
    }

    /// Starts sending `message` to `addr` on a one-way stream and returns as
    /// soon as QUIC has taken all of it (written and finished), without
    /// waiting for the peer's acknowledgement; [`Delivery::confirmed`] waits
    /// for that. So a sender can keep several messages in flight to one peer
    /// instead of paying a round trip (and the peer's delayed ACK) for each.
    /// `timeout` bounds connecting and handing the bytes over (QUIC's flow
    /// control makes the write wait while the peer is slow to read).
    ///
    /// Messages sent this way may be *processed* by the peer in any order.
    pub async fn start_oneway(
        &self,
        addr: SocketAddr,
        server_name: &str,
        message: &[u8],
        timeout: Duration,
    ) -> Result<Delivery, TransportError> {
        let span = debug_span!("oneway", %addr, server = server_name, len = message.len());
        let work = self.on_pooled(
            addr,
            server_name,
            |conn| async move { conn.open_uni().await },
            |mut send: quinn::SendStream| async move {
                send.write_all(message)
                    .await
                    .map_err(|e| TransportError::from_write(addr, &e))?;
                let _ = send.finish();
                Ok(Delivery {
                    addr,
                    pending: Pending::Quic(send),
                })
            },
        );
        self.bounded(addr, timeout, work).instrument(span).await
    }

    /// How many connections this connector has opened so far.
    pub fn connections_made(&self) -> u64 {
        self.inner.connects.load(Ordering::Relaxed)
    }

    /// Closes every pooled connection (say, at shutdown); later requests reconnect.
    pub async fn close_all(&self) {
        let slots: Vec<Slot> = self.slots().drain().map(|(_, s)| s).collect();
        for slot in slots {
            if let Some(conn) = slot.lock().await.take() {
                conn.close(codes::DONE, b"done");
            }
        }
    }

    /// The endpoint this connector dials from.
    pub fn endpoint(&self) -> &quinn::Endpoint {
        &self.inner.endpoint
    }

    async fn bounded<T>(
        &self,
        addr: SocketAddr,
        timeout: Duration,
        work: impl Future<Output = Result<T, TransportError>>,
    ) -> Result<T, TransportError> {
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::TimedOut {
                addr,
                during: "waiting for the answer",
            }),
        }
    }

    /// Opens a stream with `open` on the pooled connection to `addr` and runs
    /// `exchange` on it. If a pooled (not just made) connection turns out to
    /// be dead in a way that proves the peer processed nothing, does it all
    /// once more on a new connection: either no stream could be opened
    /// (nothing was sent), or the peer answered with a stateless reset (it has
    /// no state for the connection: it restarted). Any other failure is
    /// returned as is, because the peer may have acted on the request.
    async fn on_pooled<S, T, O, OF, X, XF>(
        &self,
        addr: SocketAddr,
        server_name: &str,
        open: O,
        exchange: X,
    ) -> Result<T, TransportError>
    where
        O: Fn(Connection) -> OF,
        OF: Future<Output = Result<S, quinn::ConnectionError>>,
        X: Fn(S) -> XF,
        XF: Future<Output = Result<T, TransportError>>,
    {
        let mut retried = false;
        loop {
            let (conn, fresh) = self.connection(addr, server_name).await?;
            let may_retry = !fresh && !retried;
            let error = match open(conn.clone()).await {
                Ok(stream) => match exchange(stream).await {
                    Err(e) if may_retry && peer_lost_state(&conn) => e,
                    done => return done,
                },
                Err(e) if may_retry => TransportError::from_connection(addr, &e, false),
                Err(e) => return Err(TransportError::from_connection(addr, &e, false)),
            };
            debug!(%error, "pooled connection is dead, reconnecting");
            self.drop_if_same(addr, server_name, &conn).await;
            retried = true;
        }
    }

    /// The pooled connection to `addr`, made if there is none or it has
    /// closed; `true` when it was just made.
    async fn connection(
        &self,
        addr: SocketAddr,
        server_name: &str,
    ) -> Result<(Connection, bool), TransportError> {
        let slot = self
            .slots()
            .entry((addr, server_name.to_owned()))
            .or_default()
            .clone();
        let mut pooled = slot.lock().await;
        if let Some(conn) = pooled.as_ref() {
            if conn.close_reason().is_none() {
                return Ok((conn.clone(), false));
            }
            debug!(reason = ?conn.close_reason(), "pooled connection closed");
        }
        *pooled = None;
        let connecting = self
            .inner
            .endpoint
            .connect(addr, server_name)
            .map_err(|e| match e {
                ConnectError::EndpointStopping => TransportError::EndpointClosed,
                other => {
                    TransportError::Config(format!("cannot dial {addr} as {server_name}: {other}"))
                }
            })?;
        let conn = match tokio::time::timeout(self.inner.config.connect_timeout, connecting).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(TransportError::from_connection(addr, &e, true)),
            Err(_) => {
                return Err(TransportError::TimedOut {
                    addr,
                    during: "connecting",
                });
            }
        };
        self.inner.connects.fetch_add(1, Ordering::Relaxed);
        debug!(%addr, server = server_name, "connected");
        *pooled = Some(conn.clone());
        Ok((conn, true))
    }

    async fn drop_if_same(&self, addr: SocketAddr, server_name: &str, dead: &Connection) {
        let slot = self.slots().get(&(addr, server_name.to_owned())).cloned();
        if let Some(slot) = slot {
            let mut pooled = slot.lock().await;
            if pooled
                .as_ref()
                .is_some_and(|c| c.stable_id() == dead.stable_id())
            {
                *pooled = None;
            }
        }
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<Key, Slot>> {
        // The map is only ever left consistent (single inserts and removals), so
        // a panic elsewhere while holding the lock does not corrupt it.
        self.inner
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether `conn` ended by a stateless reset: the peer had no state for it.
fn peer_lost_state(conn: &Connection) -> bool {
    matches!(conn.close_reason(), Some(quinn::ConnectionError::Reset))
}

/// A one-way message handed to the transport ([`Connector::start_oneway`],
/// [`crate::NodeSocket::start_oneway`]), not yet known to have arrived.
#[derive(Debug)]
pub struct Delivery {
    addr: SocketAddr,
    pending: Pending,
}

#[derive(Debug)]
enum Pending {
    /// Kept until the peer acknowledges the whole stream (or resets it).
    Quic(quinn::SendStream),
    /// Already in the peer's hands (an in-memory transport's queue).
    Arrived,
}

impl Delivery {
    /// A message already received by the peer at `addr` (for transports
    /// that know it at once, such as an in-memory one).
    pub fn arrived(addr: SocketAddr) -> Self {
        Self {
            addr,
            pending: Pending::Arrived,
        }
    }

    /// Waits, at most `timeout`, until the peer has received the whole message.
    pub async fn confirmed(self, timeout: Duration) -> Result<(), TransportError> {
        let addr = self.addr;
        let send = match self.pending {
            Pending::Arrived => return Ok(()),
            Pending::Quic(send) => send,
        };
        match tokio::time::timeout(timeout, send.stopped()).await {
            Err(_) => Err(TransportError::TimedOut {
                addr,
                during: "waiting for the peer to receive a message",
            }),
            Ok(Ok(None)) => Ok(()),
            Ok(Ok(Some(code))) => Err(TransportError::from_code(addr, code)),
            Ok(Err(quinn::StoppedError::ConnectionLost(e))) => {
                Err(TransportError::from_connection(addr, &e, false))
            }
            Ok(Err(e)) => Err(TransportError::ConnectionLost {
                addr,
                reason: e.to_string(),
            }),
        }
    }
}
