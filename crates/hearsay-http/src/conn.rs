//! One connection: its head read and checked under the header timeout (and
//! shedding), then one request served by hyper under the request timeout.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tower::ServiceExt;

use crate::config::ServeConfig;
use crate::head::{HeadReader, Step};
use crate::long_lived::LongLived;
use crate::reply;
use crate::rewind::Rewind;
use crate::slots::Slot;

/// How the wait for the head ended.
enum Wait {
    Head(Step),
    Shed,
    TimedOut,
}

/// Serves `stream` (admitted as `slot`) with `app`, then closes it.
pub(crate) async fn serve(stream: TcpStream, slot: Slot, app: Router, config: Arc<ServeConfig>) {
    let mut head = HeadReader::default();
    let wait = tokio::select! {
        step = head.read(&stream, &config) => Wait::Head(step),
        () = slot.shed.notified() => Wait::Shed,
        () = tokio::time::sleep(config.header_timeout) => Wait::TimedOut,
    };
    let step = match wait {
        Wait::Head(step) => step,
        // Shed for a newer connection: a client whose head is already here
        // is served anyway; a slow one is closed without a word.
        Wait::Shed => match head.read_buffered(&stream, &config) {
            Step::NeedMore | Step::Closed => {
                tracing::trace!("shed a connection still waiting for its head");
                return;
            }
            step => step,
        },
        Wait::TimedOut => {
            let message = format!(
                "the request head did not arrive within {} ms",
                config.header_timeout.as_millis()
            );
            let bytes = reply::error_response(StatusCode::REQUEST_TIMEOUT, &message);
            // Best effort, without waiting: the client is slow by definition.
            let _ = stream.try_write(&bytes);
            return;
        }
    };
    match step {
        Step::Done => {}
        Step::Reject(r) => {
            tracing::debug!(status = r.status.as_u16(), reason = %r.message, "refused a request head");
            reply::refuse(stream, r.status, &r.message, config.idle_timeout).await;
            return;
        }
        Step::NeedMore | Step::Closed => return,
    }
    slot.serving();
    let request_timeout = config.request_timeout;
    // Set when the handler marks its response long-lived (one request per
    // connection, so at most one mark).
    let long_lived: Arc<Mutex<Option<LongLived>>> = Arc::default();
    let mark = long_lived.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        let mark = mark.clone();
        async move {
            let req = req.map(axum::body::Body::new);
            let response = match tokio::time::timeout(request_timeout, app.oneshot(req)).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => timed_out(request_timeout),
            };
            if let Some(l) = response.extensions().get::<LongLived>() {
                *mark.lock().unwrap_or_else(|e| e.into_inner()) = Some(l.clone());
            }
            Ok::<_, Infallible>(response)
        }
    });
    let io = TokioIo::new(Rewind::new(head.into_bytes(), stream));
    let connection = http1::Builder::new()
        .keep_alive(false)
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .serve_connection(io, service);
    let limit = config.request_timeout + config.idle_timeout;
    tokio::pin!(connection);
    let ended = tokio::select! {
        ended = &mut connection => Some(ended),
        () = tokio::time::sleep(limit) => None,
    };
    let ended = match ended {
        Some(ended) => ended,
        None => {
            // A poisoned lock only means the service panicked mid-assignment.
            let long = long_lived.lock().unwrap_or_else(|e| e.into_inner()).take();
            let Some(long) = long else {
                tracing::debug!("HTTP connection outlived its request and idle timeouts");
                return;
            };
            tokio::select! {
                ended = &mut connection => ended,
                () = long.ended() => {
                    tracing::debug!("a long-lived HTTP stream was ended by its handler");
                    return;
                }
            }
        }
    };
    if let Err(e) = ended {
        tracing::debug!(error = %e, "HTTP connection ended with an error");
    }
}

/// The answer to a request whose handler did not finish in time.
fn timed_out(after: std::time::Duration) -> Response {
    let message = format!("the request took longer than {} ms", after.as_millis());
    let body = serde_json::json!({ "error": message });
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
}
