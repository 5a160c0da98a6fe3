//! The floor: a bare QUIC request/response over the same two hops as a
//! bench request (client → front end → replica), with no hearsay logic.
//!
//! A relay server stands in for the front end: it takes a request and
//! forwards it, as a new request on its own pooled connection, to an echo
//! server standing in for the replica, and returns the echo's answer. Both
//! are built from what the nodes use ([`hearsay_transport::bind`],
//! [`serve`], [`Connector`] with their default settings), present the run's
//! certificates (the relay as `fe`, the echo as `r1`, the client as
//! `client`) and run on the same tokio runtime as the local cluster. The
//! request is as many bytes as an encoded client update of the run
//! ([`request_bytes`]); the echo answers with the same bytes, so the floor
//! carries a little more than hearsay's short replies do.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use hearsay_core::{ClientId, ClientRequest, ReplicaId, UpdateId, VectorTimestamp};
use hearsay_transport::{
    Connector, ConnectorConfig, EndpointConfig, NodeCredentials, RequestContext, ServeConfig, serve,
};
use hearsay_wire::{FrontendRequest, SessionRequest};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::app::{PayloadApp, Put};
use crate::error::BenchError;
use crate::load::{Timed, micros, new_hist};
use crate::pace::{Pacer, lock};

/// Longest wait for one bare request (both hops): far above any healthy
/// figure, so only a stuck path hits it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The name the relay's certificate carries (the front end's).
const RELAY: &str = "fe";
/// The name the echo server's certificate carries (the first replica's).
const ECHO: &str = "r1";

/// What one bare phase measured (requests due inside its window).
pub(crate) struct BareMeasured {
    /// Latency of answered requests, microseconds, from when each was due.
    pub(crate) hist: Histogram<u64>,
    /// Requests that failed or timed out.
    pub(crate) errors: u64,
    /// Requests not sent because too many were outstanding.
    pub(crate) shed: u64,
}

/// A relay and an echo server on loopback, and a client of the relay.
pub(crate) struct BareQuic {
    client: Connector,
    relay: SocketAddr,
    /// The relay's own connector to the echo server, closed at shutdown.
    relay_out: Connector,
    /// The bytes every request carries.
    request: Arc<[u8]>,
    /// Tells both servers to stop.
    stop: watch::Sender<bool>,
    servers: JoinSet<()>,
}

fn creds(dir: &Path, name: &str) -> Result<NodeCredentials, BenchError> {
    NodeCredentials::load(dir, name)
        .map_err(|e| BenchError::Start(format!("bare QUIC floor, {name}: {e}")))
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The encoded size of a client update of the run: a session request with
/// `payload_bytes` of payload and a context naming all `replicas`, as the
/// front end receives it.
pub(crate) fn request_bytes(payload_bytes: usize, replicas: usize) -> usize {
    let mut prev = VectorTimestamp::new();
    for i in 0..replicas {
        // "r" and a number is always a valid replica name.
        let r = ReplicaId::new(format!("r{}", i + 1)).unwrap_or_else(|_| unreachable!());
        prev.set(r, 10_000);
    }
    let client = ClientId(1);
    let frame = FrontendRequest::<PayloadApp>::Session(SessionRequest {
        client,
        request: ClientRequest::Update {
            id: UpdateId { client, seq: 1_000 },
            prev,
            op: Put {
                key: 1_000,
                payload: vec![0xa5; payload_bytes],
            },
        },
        prefer: None,
    });
    // A payload within MAX_PAYLOAD always fits a frame; fall back to the
    // payload's size if it somehow did not.
    hearsay_wire::encode(&frame).map_or(payload_bytes, |b| b.len())
}

impl BareQuic {
    /// Starts the relay and the echo server with the certificates in
    /// `certs` (made for the run by the local cluster); requests carry
    /// `request_bytes` bytes.
    pub(crate) async fn start(certs: &Path, request_bytes: usize) -> Result<Self, BenchError> {
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            BenchError::Start(format!("bare QUIC floor, {what}: {e}"))
        };
        let config = EndpointConfig::default();
        let echo_ep = hearsay_transport::bind(loopback(), &creds(certs, ECHO)?, &config)
            .map_err(|e| failed(ECHO, &e))?;
        let relay_ep = hearsay_transport::bind(loopback(), &creds(certs, RELAY)?, &config)
            .map_err(|e| failed(RELAY, &e))?;
        let echo = echo_ep.local_addr().map_err(|e| failed(ECHO, &e))?;
        let relay = relay_ep.local_addr().map_err(|e| failed(RELAY, &e))?;
        let client_ep =
            hearsay_transport::bind_client(loopback(), &creds(certs, "client")?, &config)
                .map_err(|e| failed("client", &e))?;

        let (stop, stopped) = watch::channel(false);
        let until = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let mut servers = JoinSet::new();
        servers.spawn(serve(
            echo_ep,
            |_: RequestContext, request: Vec<u8>| async move { Some(request) },
            ServeConfig::default(),
            until(stopped.clone()),
        ));
        let relay_out = Connector::new(relay_ep.clone(), ConnectorConfig::default());
        let out = relay_out.clone();
        servers.spawn(serve(
            relay_ep,
            move |_: RequestContext, request: Vec<u8>| {
                let out = out.clone();
                async move {
                    out.request(echo, ECHO, &request, REQUEST_TIMEOUT)
                        .await
                        .ok()
                }
            },
            ServeConfig::default(),
            until(stopped),
        ));
        Ok(Self {
            client: Connector::new(client_ep, ConnectorConfig::default()),
            relay,
            relay_out,
            request: vec![0x5a; request_bytes].into(),
            stop,
            servers,
        })
    }

    /// Bytes per request.
    pub(crate) fn request_len(&self) -> usize {
        self.request.len()
    }

    /// One request through both hops; whether the whole request came back.
    async fn once(&self) -> bool {
        match self
            .client
            .request(self.relay, RELAY, &self.request, REQUEST_TIMEOUT)
            .await
        {
            Ok(answer) => answer.len() == self.request.len(),
            Err(e) => {
                tracing::debug!(error = %e, "bare QUIC request failed");
                false
            }
        }
    }

    /// Requests at `rate` per second for `warmup` then `window`, paced as
    /// the bench's open loop paces hearsay's (timed as `timed` says, at most
    /// `max_outstanding` at once).
    pub(crate) async fn open_loop(
        self: &Arc<Self>,
        rate: f64,
        warmup: Duration,
        window: Duration,
        max_outstanding: usize,
        timed: Timed,
    ) -> BareMeasured {
        let origin = Instant::now();
        let start = origin + warmup;
        let end = start + window;
        let permits = Arc::new(Semaphore::new(max_outstanding));
        let results = Arc::new(Mutex::new(BareMeasured {
            hist: new_hist(),
            errors: 0,
            shed: 0,
        }));
        let mut pacer = Pacer::new(origin, rate, end);
        let mut tasks = JoinSet::new();
        while let Some(due) = pacer.due().await {
            for (_, due) in due {
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    if due >= start {
                        lock(&results).shed += 1;
                    }
                    continue;
                };
                let (this, results) = (self.clone(), results.clone());
                tasks.spawn(async move {
                    let from = timed.origin(due);
                    let ok = this.once().await;
                    let took = from.elapsed();
                    drop(permit);
                    if due >= start {
                        let mut r = lock(&results);
                        if ok {
                            let _ = r.hist.record(micros(took));
                        } else {
                            r.errors += 1;
                        }
                    }
                });
            }
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        let mut r = lock(&results);
        BareMeasured {
            hist: std::mem::replace(&mut r.hist, new_hist()),
            errors: r.errors,
            shed: r.shed,
        }
    }

    /// Stops both servers and closes every connection.
    pub(crate) async fn shutdown(mut self) {
        self.client.close_all().await;
        let _ = self.stop.send(true);
        while self.servers.join_next().await.is_some() {}
        self.relay_out.close_all().await;
        self.client.endpoint().wait_idle().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_a_client_update_of_the_run() {
        let small = request_bytes(0, 3);
        let big = request_bytes(100, 3);
        // One byte of length either way: the payload alone makes the difference.
        assert_eq!(big - small, 100);
        assert!(big > 100 && big < 400, "{big}");
        assert!(
            request_bytes(100, 30) > big,
            "the context grows with replicas"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_cross_both_hops_and_are_timed() {
        let dir = tempfile::tempdir().unwrap();
        hearsay_transport::certs::init(
            dir.path(),
            &["r1".to_owned(), "fe".to_owned(), "client".to_owned()],
            hearsay_transport::certs::Existing::Overwrite,
        )
        .unwrap();
        let bare = Arc::new(BareQuic::start(dir.path(), 150).await.unwrap());
        assert_eq!(bare.request_len(), 150);
        assert!(bare.once().await, "a request comes back whole");
        let m = bare
            .open_loop(
                200.0,
                Duration::from_millis(100),
                Duration::from_millis(300),
                64,
                Timed::FromSend,
            )
            .await;
        assert_eq!((m.errors, m.shed), (0, 0));
        assert!(m.hist.len() >= 40, "{} measured", m.hist.len());
        assert!(m.hist.value_at_quantile(0.5) >= 1);
        let bare = Arc::into_inner(bare).unwrap();
        bare.shutdown().await;
    }
}
