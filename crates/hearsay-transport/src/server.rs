//! The answering side: accept connections, one task per stream, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::{ReadToEndError, RecvStream, SendStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::access::Access;
use crate::certs::Role;
use crate::codes;
use crate::endpoint::{peer_name, peer_role};

/// Limits of [`serve`].
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The largest request accepted on one stream, in bytes. A larger one is
    /// refused by resetting that stream only; the connection stays up.
    pub max_request_bytes: usize,
    /// How long a peer may take to send a whole request, so that a stuck or
    /// malicious peer cannot hold a task (and a stream slot) forever.
    pub read_timeout: Duration,
    /// How long a QUIC and TLS handshake may take.
    pub handshake_timeout: Duration,
    /// On shutdown, how long requests under way get to finish before their
    /// connections are closed anyway.
    pub shutdown_grace: Duration,
    /// Which roles may connect and open one-way streams (default: all).
    pub access: Access,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            max_request_bytes: hearsay_wire::MAX_FRAME_BYTES,
            read_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(3),
            access: Access::default(),
        }
    }
}

/// Who sent a request, as [`serve`] tells the handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestContext {
    /// The node name in the peer's certificate (verified against the cluster CA).
    pub peer: Arc<str>,
    /// The role in the peer's certificate; [`ServeConfig::access`] let it in.
    pub role: Role,
    /// The peer's address.
    pub remote: SocketAddr,
    /// Whether the request came on a one-way stream, where any answer is dropped.
    pub oneway: bool,
}

/// Answers requests: given who asked and the request's bytes, the answer's
/// bytes, or `None` to refuse (the requester sees
/// [`crate::TransportError::NoResponse`]).
///
/// Implemented for every `Fn(RequestContext, Vec<u8>) -> impl Future<Output =
/// Option<Vec<u8>>>` that is `Send + Sync + 'static`.
pub trait Handler: Send + Sync + 'static {
    /// Handles one request.
    fn handle(
        &self,
        ctx: RequestContext,
        request: Vec<u8>,
    ) -> impl Future<Output = Option<Vec<u8>>> + Send;
}

impl<F, Fut> Handler for F
where
    F: Fn(RequestContext, Vec<u8>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Vec<u8>>> + Send,
{
    fn handle(
        &self,
        ctx: RequestContext,
        request: Vec<u8>,
    ) -> impl Future<Output = Option<Vec<u8>>> + Send {
        self(ctx, request)
    }
}

/// Serves `endpoint` until `shutdown` completes: accepts connections whose
/// client certificate the cluster CA signed, and hands every stream's request
/// to `handler` in a task of its own.
///
/// A stream whose request is too large, too slow or refused by the handler is
/// reset alone; the connection and the server go on. On shutdown the endpoint
/// stops accepting connections, requests under way get
/// [`ServeConfig::shutdown_grace`] to finish, and then every connection is
/// closed with the "shutting down" code. The endpoint itself is left open (it
/// may also carry the node's outgoing connections).
pub async fn serve<H: Handler>(
    endpoint: quinn::Endpoint,
    handler: H,
    config: ServeConfig,
    shutdown: impl Future<Output = ()>,
) {
    let handler = Arc::new(handler);
    let config = Arc::new(config);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let local = endpoint.local_addr().ok();
    info!(?local, "serving");
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            incoming = endpoint.accept() => {
                let Some(incoming) = incoming else {
                    debug!("endpoint closed");
                    break;
                };
                let remote = incoming.remote_address();
                let span = info_span!("conn", %remote, peer = tracing::field::Empty);
                connections.spawn(
                    connection(incoming, handler.clone(), config.clone(), stop_rx.clone())
                        .instrument(span),
                );
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    info!(?local, connections = connections.len(), "shutting down");
    endpoint.set_server_config(None);
    // Receivers only stop listening when their task ends, which is fine.
    let _ = stop_tx.send(true);
    // Each connection bounds its own drain by the grace period (and a handshake
    // under way by the handshake timeout); this is a backstop.
    let backstop = config.shutdown_grace + config.handshake_timeout + Duration::from_secs(1);
    let drained = tokio::time::timeout(backstop, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!("connections did not drain in time; aborting them");
        connections.abort_all();
    }
}

async fn connection<H: Handler>(
    incoming: quinn::Incoming,
    handler: Arc<H>,
    config: Arc<ServeConfig>,
    mut stop: watch::Receiver<bool>,
) {
    let remote = incoming.remote_address();
    let conn = match tokio::time::timeout(config.handshake_timeout, incoming).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            info!(error = %e, "handshake refused");
            return;
        }
        Err(_) => {
            info!("handshake timed out");
            return;
        }
    };
    let Some(name) = peer_name(&conn) else {
        warn!("peer certificate names no node; closing");
        conn.close(codes::NO_NAME, b"certificate names no node");
        return;
    };
    tracing::Span::current().record("peer", name.as_str());
    let role = match config.access.check_connect(peer_role(&conn)) {
        Ok(role) => role,
        Err(why) => {
            warn!(reason = %why, "refusing a peer by its certificate's role");
            // The endpoint sends the close (with the reason) on its own.
            conn.close(codes::FORBIDDEN, why.as_bytes());
            return;
        }
    };
    debug!(%role, "connected");
    let peer: Arc<str> = name.into();
    let mut streams = JoinSet::new();
    let closed_by_peer = loop {
        let ctx = |oneway| RequestContext {
            peer: peer.clone(),
            role,
            remote,
            oneway,
        };
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break false,
            bi = conn.accept_bi() => match bi {
                Ok((send, recv)) => {
                    streams.spawn(request(handler.clone(), ctx(false), send, recv, config.clone()).in_current_span());
                }
                Err(e) => {
                    debug!(error = %e, "connection ended");
                    break true;
                }
            },
            uni = conn.accept_uni() => match uni {
                Ok(mut recv) if !config.access.allows_oneway(role) => {
                    warn!(%role, "refusing a one-way stream: this role may not send those here");
                    let _ = recv.stop(codes::FORBIDDEN);
                }
                Ok(recv) => {
                    streams.spawn(oneway(handler.clone(), ctx(true), recv, config.clone()).in_current_span());
                }
                Err(e) => {
                    debug!(error = %e, "connection ended");
                    break true;
                }
            },
            Some(_) = streams.join_next(), if !streams.is_empty() => {}
        }
    };
    if closed_by_peer {
        streams.abort_all();
        return;
    }
    let drained = tokio::time::timeout(config.shutdown_grace, async {
        while streams.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(left = streams.len(), "requests still under way at shutdown");
        streams.abort_all();
    }
    conn.close(codes::SHUTDOWN, b"server shutting down");
}

/// Reads one request with the size cap and the read timeout; on failure,
/// resets the stream with the reason and returns `None`.
async fn read_request(
    recv: &mut RecvStream,
    send: Option<&mut SendStream>,
    config: &ServeConfig,
) -> Option<Vec<u8>> {
    let code = match tokio::time::timeout(
        config.read_timeout,
        recv.read_to_end(config.max_request_bytes),
    )
    .await
    {
        Ok(Ok(bytes)) => return Some(bytes),
        Ok(Err(ReadToEndError::TooLong)) => {
            warn!(
                max = config.max_request_bytes,
                "request over the size limit; refusing it"
            );
            codes::TOO_LARGE
        }
        Ok(Err(e)) => {
            debug!(error = %e, "request stream failed");
            return None;
        }
        Err(_) => {
            warn!("request not received in time; refusing it");
            codes::READ_TIMEOUT
        }
    };
    // Either may already be closed by the peer; nothing more to do then.
    let _ = recv.stop(code);
    if let Some(send) = send {
        let _ = send.reset(code);
    }
    None
}

async fn request<H: Handler>(
    handler: Arc<H>,
    ctx: RequestContext,
    mut send: SendStream,
    mut recv: RecvStream,
    config: Arc<ServeConfig>,
) {
    let Some(bytes) = read_request(&mut recv, Some(&mut send), &config).await else {
        return;
    };
    let Some(answer) = handler.handle(ctx, bytes).await else {
        let _ = send.reset(codes::NO_RESPONSE);
        return;
    };
    if let Err(e) = send.write_all(&answer).await {
        debug!(error = %e, "could not send the answer");
        return;
    }
    let _ = send.finish();
    // Wait until the peer has the whole answer, so that closing the connection
    // at shutdown right after this task cannot cut it off.
    let _ = tokio::time::timeout(config.read_timeout, send.stopped()).await;
}

async fn oneway<H: Handler>(
    handler: Arc<H>,
    ctx: RequestContext,
    mut recv: RecvStream,
    config: Arc<ServeConfig>,
) {
    if let Some(bytes) = read_request(&mut recv, None, &config).await {
        // Nobody is listening for an answer on a one-way stream.
        let _ = handler.handle(ctx, bytes).await;
    }
}
