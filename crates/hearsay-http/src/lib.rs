//! Hardened HTTP/1.1 serving for the tracker and every node's metrics: one
//! [`serve`] that both use, so a flood of slow or malformed requests cannot
//! take the process's descriptors or its heartbeats with it.
//!
//! Per listener ([`ServeConfig`], defaults in brackets):
//! - **A connection cap** [256] with load shedding: at the cap a new
//!   connection sheds the oldest one still waiting for its request head; a
//!   connection whose head is already complete is served even when shed, so
//!   clients that send their request at once (heartbeats, `curl`) get
//!   through a slowloris flood. New connections are refused (closed at once)
//!   only when every slot is serving a request.
//! - **A header timeout** [5 s] from accept to the end of the head; **a
//!   request timeout** [10 s] for the handler (503 past it); **an idle
//!   timeout** [5 s] for writing the answer. Each connection serves one
//!   request (`Connection: close`), so none idles between requests. A
//!   response marked [`LongLived`] (server-sent events) is exempt from the
//!   last two: it lasts until its body ends, the client goes, or its
//!   handler ends it.
//! - **Heads checked before hyper**: over-long request lines (414), large or
//!   many headers (431), bytes that are not HTTP, a bad target, and
//!   ambiguous body framing (both `Content-Length` and `Transfer-Encoding`,
//!   repeated lengths, codings other than `chunked`) get a 400 with the
//!   JSON error shape `{"error": "..."}` every route uses.
//! - **Accept errors** (no descriptor left) shed the oldest waiting
//!   connection and back off 20 ms instead of spinning.

mod config;
mod conn;
mod head;
mod long_lived;
mod query;
mod reply;
mod rewind;
mod slots;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use tokio::net::TcpListener;

pub use config::ServeConfig;
pub use long_lived::LongLived;
pub use query::{NOT_UTF8, decodes_to_utf8};
use slots::{Admission, Slots};

/// How long accepting pauses after it failed (for want of a descriptor).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// Serves `app` on `listener` with the limits of `config` until `shutdown`
/// completes; then stops accepting, closes connections still waiting for
/// their head, and returns once requests in progress are answered (bounded
/// by the request and idle timeouts).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send,
) {
    let addr = listener.local_addr().ok();
    let slots = Slots::new(config.max_connections);
    let cap = config.max_connections;
    let config = Arc::new(config);
    // Each connection task holds a sender; when all are dropped, `recv`
    // returns None: every connection has ended.
    let (alive, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
    let mut failing = false;
    let mut shed_logged = 0;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                failing = false;
                stream
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(?addr, error = %e, "accepting an HTTP connection failed; shedding a waiting one and backing off");
                    failing = true;
                }
                slots.shed_oldest();
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let admission = slots.admit();
        let shed = slots.shed_count();
        if shed > shed_logged && (shed_logged == 0 || shed >= shed_logged + 1000) {
            tracing::warn!(
                ?addr,
                cap,
                shed,
                "HTTP connections at the cap: shedding slow ones"
            );
            shed_logged = shed;
        }
        match admission {
            Admission::Admitted(slot) => {
                let (app, config, alive) = (app.clone(), config.clone(), alive.clone());
                tokio::spawn(async move {
                    conn::serve(stream, slot, app, config).await;
                    drop(alive);
                });
            }
            Admission::Refused => {
                let bytes = reply::error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many connections: try again shortly",
                );
                // Best effort, without waiting; then the connection closes.
                let _ = stream.try_write(&bytes);
            }
        }
    }
    drop(listener);
    slots.shed_all();
    drop(alive);
    let _ = all_done.recv().await;
    tracing::debug!(?addr, open = slots.open(), "HTTP listener stopped");
}

#[cfg(test)]
mod serve_test;
