//! Requests over real QUIC with real certificates: round trips, concurrency,
//! connection reuse and reconnection, one-way messages, timeouts, shutdown.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use hearsay_transport::{EndpointConfig, RequestContext, ServeConfig, TransportError};
use tokio::sync::{Notify, mpsc};

#[tokio::test]
async fn a_request_gets_its_answer_and_the_server_knows_who_asked() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let server = Server::start(&creds(dir.path(), "r1"), echo);
        let fe = client(&creds(dir.path(), "fe"));

        let answer = fe
            .request(server.addr, "r1", b"hello", REQUEST_TIMEOUT)
            .await
            .expect("request");
        assert_eq!(answer, b"fe:hello");

        // An empty request is a request too.
        let answer = fe
            .request(server.addr, "r1", b"", REQUEST_TIMEOUT)
            .await
            .expect("empty request");
        assert_eq!(answer, b"fe:");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_second_request_reuses_the_connection() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let server = Server::start(&creds(dir.path(), "r1"), echo);
        let fe = client(&creds(dir.path(), "fe"));
        for i in 0..3 {
            let req = format!("n{i}");
            let answer = fe
                .request(server.addr, "r1", req.as_bytes(), REQUEST_TIMEOUT)
                .await
                .expect("request");
            assert_eq!(answer, format!("fe:n{i}").as_bytes());
        }
        assert_eq!(fe.connections_made(), 1);
        assert_eq!(server.endpoint.open_connections(), 1);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn many_concurrent_requests_share_one_connection_within_the_stream_bound() {
    const REQUESTS: usize = 200;
    const STREAM_LIMIT: u32 = 8;
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let handler = {
            let in_flight = in_flight.clone();
            let max_in_flight = max_in_flight.clone();
            move |ctx: RequestContext, req: Vec<u8>| {
                let in_flight = in_flight.clone();
                let max_in_flight = max_in_flight.clone();
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    max_in_flight.fetch_max(now, Ordering::SeqCst);
                    // Stand-in for real work, so that requests overlap.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    echo(ctx, req).await
                }
            }
        };
        let endpoint_config = EndpointConfig {
            max_concurrent_bidi_streams: STREAM_LIMIT,
            ..EndpointConfig::default()
        };
        let server = Server::start_with(
            &creds(dir.path(), "r1"),
            handler,
            endpoint_config,
            ServeConfig::default(),
        );
        let fe = client(&creds(dir.path(), "fe"));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..REQUESTS {
            let fe = fe.clone();
            let addr = server.addr;
            tasks.spawn(async move {
                let req = format!("request {i}");
                let answer = fe
                    .request(addr, "r1", req.as_bytes(), Duration::from_secs(20))
                    .await
                    .expect("request");
                assert_eq!(answer, format!("fe:request {i}").as_bytes());
            });
        }
        let mut done = 0;
        while let Some(result) = tasks.join_next().await {
            result.expect("request task");
            done += 1;
        }
        assert_eq!(done, REQUESTS);
        assert_eq!(fe.connections_made(), 1, "one connection for all");
        let max = max_in_flight.load(Ordering::SeqCst);
        assert!(max > 1, "requests overlapped (max in flight {max})");
        assert!(
            max <= STREAM_LIMIT as usize,
            "at most {STREAM_LIMIT} streams at once, saw {max}"
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_connector_reconnects_after_the_server_restarts() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let r1 = creds(dir.path(), "r1");
        let server = Server::start(&r1, echo);
        let addr = server.addr;
        let fe = client(&creds(dir.path(), "fe"));
        fe.request(addr, "r1", b"one", REQUEST_TIMEOUT)
            .await
            .expect("first");
        let endpoint = server.endpoint.clone();
        server.stop().await;
        endpoint.close(0u32.into(), b"restart");
        endpoint.wait_idle().await;
        drop(endpoint);

        wait_for_port(addr).await;
        let server = Server::start_on(
            addr,
            &r1,
            echo,
            EndpointConfig::default(),
            ServeConfig::default(),
        );
        let answer = fe
            .request(addr, "r1", b"two", REQUEST_TIMEOUT)
            .await
            .expect("request after restart");
        assert_eq!(answer, b"fe:two");
        assert_eq!(fe.connections_made(), 2);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_oneway_message_reaches_the_handler() {
    bounded(async {
        let dir = cluster(&["r1", "r2"]);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let handler = move |ctx: RequestContext, req: Vec<u8>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((ctx.peer.to_string(), ctx.oneway, req));
                Some(b"ignored".to_vec())
            }
        };
        let server = Server::start(&creds(dir.path(), "r1"), handler);
        let r2 = client(&creds(dir.path(), "r2"));
        r2.send_oneway(server.addr, "r1", b"gossip batch", REQUEST_TIMEOUT)
            .await
            .expect("send");
        let (peer, oneway, bytes) = rx.recv().await.expect("delivered");
        assert_eq!(peer, "r2");
        assert!(oneway);
        assert_eq!(bytes, b"gossip batch");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn oneway_messages_in_flight_together_all_arrive_and_are_confirmed() {
    bounded(async {
        let dir = cluster(&["r1", "r2"]);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let handler = move |_ctx: RequestContext, req: Vec<u8>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(req);
                None
            }
        };
        let server = Server::start(&creds(dir.path(), "r1"), handler);
        let r2 = client(&creds(dir.path(), "r2"));
        // Hand 50 messages to QUIC before confirming any of them.
        let mut deliveries = Vec::new();
        for i in 0..50u8 {
            let d = r2
                .start_oneway(server.addr, "r1", &[i; 100], REQUEST_TIMEOUT)
                .await
                .expect("handed over");
            deliveries.push(d);
        }
        for d in deliveries {
            d.confirmed(REQUEST_TIMEOUT).await.expect("confirmed");
        }
        let mut got: Vec<u8> = Vec::new();
        for _ in 0..50 {
            let bytes = rx.recv().await.expect("delivered");
            assert_eq!(bytes.len(), 100);
            got.push(bytes[0]);
        }
        got.sort_unstable();
        assert_eq!(got, (0..50).collect::<Vec<u8>>(), "each exactly once");
        assert_eq!(r2.connections_made(), 1, "one connection for all");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retryable() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let release = Arc::new(Notify::new());
        let handler = {
            let release = release.clone();
            move |_ctx: RequestContext, _req: Vec<u8>| {
                let release = release.clone();
                async move {
                    release.notified().await;
                    Some(b"late".to_vec())
                }
            }
        };
        let server = Server::start_with(
            &creds(dir.path(), "r1"),
            handler,
            EndpointConfig::default(),
            ServeConfig {
                shutdown_grace: Duration::from_millis(200),
                ..ServeConfig::default()
            },
        );
        let fe = client(&creds(dir.path(), "fe"));
        let err = fe
            .request(server.addr, "r1", b"x", Duration::from_millis(300))
            .await
            .expect_err("times out");
        assert!(matches!(err, TransportError::TimedOut { .. }), "{err:?}");
        assert!(err.is_retryable());
        release.notify_waiters();
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn nobody_listening_is_a_retryable_connect_failure() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        // A port that was just free: bind, note it, and close.
        let addr = {
            let socket = std::net::UdpSocket::bind(loopback()).expect("udp");
            socket.local_addr().expect("addr")
        };
        let endpoint = hearsay_transport::bind_client(
            loopback(),
            &creds(dir.path(), "fe"),
            &EndpointConfig::default(),
        )
        .expect("bind");
        let fe = hearsay_transport::Connector::new(
            endpoint,
            hearsay_transport::ConnectorConfig {
                connect_timeout: Duration::from_millis(300),
                ..Default::default()
            },
        );
        let err = fe
            .request(addr, "r1", b"x", REQUEST_TIMEOUT)
            .await
            .expect_err("no server");
        assert!(err.is_retryable(), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn shutdown_lets_requests_under_way_finish_then_refuses_new_ones() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let started = Arc::new(Notify::new());
        let release = Arc::new(Notify::new());
        let handler = {
            let started = started.clone();
            let release = release.clone();
            move |ctx: RequestContext, req: Vec<u8>| {
                let started = started.clone();
                let release = release.clone();
                async move {
                    if req == b"slow" {
                        started.notify_one();
                        release.notified().await;
                    }
                    echo(ctx, req).await
                }
            }
        };
        let mut server = Server::start(&creds(dir.path(), "r1"), handler);
        let addr = server.addr;
        let fe = client(&creds(dir.path(), "fe"));
        let slow = {
            let fe = fe.clone();
            tokio::spawn(async move { fe.request(addr, "r1", b"slow", REQUEST_TIMEOUT).await })
        };
        started.notified().await;
        server.begin_stop();
        // The in-flight request completes once its handler does.
        release.notify_one();
        let answer = slow
            .await
            .expect("task")
            .expect("in-flight request completes");
        assert_eq!(answer, b"fe:slow");
        server.join().await;

        let err = fe
            .request(addr, "r1", b"late", Duration::from_secs(2))
            .await
            .expect_err("server is gone");
        assert!(err.is_retryable(), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn a_request_to_a_node_restarted_after_a_crash_reconnects_at_once() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let r1 = creds(dir.path(), "r1");
        let crashed = Server::start(&r1, echo);
        let addr = crashed.addr;
        let fe = client(&creds(dir.path(), "fe"));
        fe.request(addr, "r1", b"before", REQUEST_TIMEOUT)
            .await
            .expect("first");

        // A crash, as the client sees it: the old process goes silent without
        // closing anything (its endpoint moves to another port and keeps its
        // connections), and a new one with the same key takes the port.
        // quinn keeps the previous socket after a rebind, so rebind twice to
        // let go of the original one.
        for _ in 0..2 {
            crashed
                .endpoint
                .rebind(std::net::UdpSocket::bind(loopback()).expect("udp"))
                .expect("rebind");
        }
        wait_for_port(addr).await;
        let restarted = Server::start_on(
            addr,
            &r1,
            echo,
            EndpointConfig::default(),
            ServeConfig::default(),
        );

        // The pooled connection is dead, which the client can only learn from
        // the new process's stateless reset; the request then goes out again
        // on a new connection, long before any idle timeout.
        let started = std::time::Instant::now();
        let answer = fe
            .request(addr, "r1", &[b'x'; 200], REQUEST_TIMEOUT)
            .await
            .expect("request to the restarted node");
        assert_eq!(&answer[..3], b"fe:");
        assert_eq!(answer.len(), 203);
        assert_eq!(fe.connections_made(), 2);
        assert!(
            started.elapsed() < EndpointConfig::default().idle_timeout / 2,
            "took {:?}",
            started.elapsed()
        );
        restarted.stop().await;
        crashed.stop().await;
    })
    .await;
}
