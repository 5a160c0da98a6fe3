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
