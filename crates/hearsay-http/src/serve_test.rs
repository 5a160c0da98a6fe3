//! [`serve`] over loopback: shedding, timeouts, JSON errors, shutdown.

use std::time::Duration;

use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

async fn start(config: ServeConfig) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "late"
            }),
        );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, app, config, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// Sends `raw` and reads the whole answer (the server closes).
async fn exchange(addr: std::net::SocketAddr, raw: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(raw).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out))
        .await
        .expect("the server answers and closes")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_full_request_gets_through_a_flood_of_slow_ones() {
    let config = ServeConfig {
        max_connections: 8,
        ..ServeConfig::default()
    };
    let (addr, _stop) = start(config).await;
    let mut slow = Vec::new();
    for _ in 0..100 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(s);
    }
    for _ in 0..5 {
        let answer = exchange(addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("ok"), "{answer}");
    }
    // Most of the slow ones were shed: the server closed them.
    let mut closed = 0;
    for s in &mut slow {
        let mut b = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(50), s.read(&mut b)).await
        {
            closed += 1;
        }
    }
    assert!(
        closed >= 80,
        "only {closed} of 100 slow connections were shed"
    );
}

#[tokio::test]
async fn a_slow_head_times_out_with_408() {
    let config = ServeConfig {
        header_timeout: Duration::from_millis(200),
        ..ServeConfig::default()
    };
    let (addr, _stop) = start(config).await;
    let answer = exchange(addr, b"GET /healthz HTTP/1.1\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("{\"error\":\"the request head did not arrive within 200 ms\"}"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_slow_handler_gets_503_after_the_request_timeout() {
    let config = ServeConfig {
        request_timeout: Duration::from_millis(200),
        ..ServeConfig::default()
    };
    let (addr, _stop) = start(config).await;
    let answer = exchange(addr, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("took longer than 200 ms"), "{answer}");
}

#[tokio::test]
async fn refused_heads_get_json_errors_even_with_input_left_unread() {
    let (addr, _stop) = start(ServeConfig::default()).await;
    let mut long = b"GET /".to_vec();
    long.extend(std::iter::repeat_n(b'a', 64 * 1024));
    long.extend(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    let answer = exchange(addr, &long).await;
    assert!(answer.starts_with("HTTP/1.1 414"), "{answer}");
    assert!(
        answer.contains("\"error\":\"the request line is longer than 8192 bytes\""),
        "{answer}"
    );
    let answer = exchange(
        addr,
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("application/json"), "{answer}");
}

#[tokio::test]
async fn shutdown_closes_waiting_connections_and_returns() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        Router::new(),
        ServeConfig::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    let mut waiting = TcpStream::connect(addr).await.unwrap();
    waiting.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returns once connections are closed")
        .unwrap();
    let mut b = [0u8; 1];
    assert_eq!(waiting.read(&mut b).await.unwrap_or(0), 0, "closed");
}

/// A body that sends `tick\n` every 50 ms, forever.
struct Ticks(tokio::time::Interval);

impl futures_core::Stream for Ticks {
    type Item = Result<&'static str, std::convert::Infallible>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_tick(cx).map(|_| Some(Ok("tick\n")))
    }
}

/// Serves `/stream` (marked long-lived, ended through `end`) and
/// `/unmarked` (the same body, unmarked) with short time limits.
async fn start_streams(end: LongLived) -> std::net::SocketAddr {
    use axum::response::IntoResponse;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body =
        || axum::body::Body::from_stream(Ticks(tokio::time::interval(Duration::from_millis(50))));
    let app = Router::new()
        .route(
            "/stream",
            get(move || {
                let end = end.clone();
                async move {
                    let mut r = body().into_response();
                    r.extensions_mut().insert(end);
                    r
                }
            }),
        )
        .route(
            "/unmarked",
            get(move || async move { body().into_response() }),
        );
    let config = ServeConfig {
        request_timeout: Duration::from_millis(200),
        idle_timeout: Duration::from_millis(200),
        ..ServeConfig::default()
    };
    tokio::spawn(serve(listener, app, config, std::future::pending()));
    addr
}

/// Reads from `s` for `for_how_long`; returns the bytes read and whether
/// the server closed the connection meanwhile.
async fn read_for(s: &mut TcpStream, for_how_long: Duration) -> (usize, bool) {
    let deadline = tokio::time::Instant::now() + for_how_long;
    let mut total = 0;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return (total, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (total, true),
            Ok(Ok(n)) => total += n,
        }
    }
}

#[tokio::test]
async fn a_long_lived_stream_outlives_the_time_limits_until_its_handler_ends_it() {
    let end = LongLived::new();
    let addr = start_streams(end.clone()).await;
    let request = b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n";

    // Unmarked, the same body is cut at request + idle timeout (400 ms).
    let mut unmarked = TcpStream::connect(addr).await.unwrap();
    unmarked
        .write_all(b"GET /unmarked HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (_, closed) = read_for(&mut unmarked, Duration::from_secs(10)).await;
    assert!(closed, "an unmarked stream is cut at its time limit");

    // Marked, it keeps streaming well past that.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let (read, closed) = read_for(&mut s, Duration::from_millis(1500)).await;
    assert!(!closed, "a long-lived stream is not cut at the time limit");
    assert!(read > 0);

    // Its handler ends it.
    end.end();
    let (_, closed) = read_for(&mut s, Duration::from_secs(10)).await;
    assert!(closed, "an ended stream's connection closes");
}
