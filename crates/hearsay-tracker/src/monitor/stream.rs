//! The monitor's two routes: the page and its event stream.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use hearsay_http::LongLived;
use tokio::sync::mpsc;

use super::hub::{self, TooMany};
use super::{MAX_STREAMS, Monitor, STREAM_QUEUE};
use crate::error::ApiError;
use crate::extract::{AppState, NoQuery, Q};

/// The page: HTML, CSS and script in one file, built into the binary.
const PAGE: &str = include_str!("page.html");

/// How long a browser waits before reconnecting after a stream ends.
const RETRY: Duration = Duration::from_millis(300);

/// `GET /monitor`: the page.
pub(crate) async fn page(_: Q<NoQuery>) -> Response {
    let mut response = PAGE.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Nothing but this page's own inline code and the tracker itself.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /monitor/events`: server-sent events, a snapshot first and then
/// every change (see the module doc); 503 past [`MAX_STREAMS`].
pub(crate) async fn events(State(t): State<AppState>, _: Q<NoQuery>) -> Result<Response, ApiError> {
    let monitor = t.monitor.clone();
    let long = LongLived::new();
    let (id, rx) = monitor
        .hub(|h| h.subscribe(STREAM_QUEUE, MAX_STREAMS, long.clone()))
        .map_err(|TooMany(n)| {
            ApiError::Unavailable(format!(
                "{n} monitor streams are open already: try again later"
            ))
        })?;
    monitor.watchers.notify_one();
    let stream = Events {
        rx,
        id,
        monitor,
        first: true,
    };
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(10)))
        .into_response();
    response.extensions_mut().insert(long);
    Ok(response)
}

/// One browser's events; forgets the browser when dropped (it went away,
/// or its stream was ended).
struct Events {
    rx: mpsc::Receiver<hub::Event>,
    id: u64,
    monitor: Monitor,
    /// The first event also tells the browser how soon to reconnect.
    first: bool,
}

impl futures_core::Stream for Events {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(data)) => {
                let mut event = Event::default().data(&*data);
                if std::mem::take(&mut self.first) {
                    event = event.retry(RETRY);
                }
                Poll::Ready(Some(Ok(event)))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        let id = self.id;
        self.monitor.hub(|h| h.unsubscribe(id));
    }
}
