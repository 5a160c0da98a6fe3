//! The live monitor: its page, and its event stream over a real socket
//! with a stand-in node (a small HTTP server with `/v1/status` and
//! `/v1/data`) registered like a replica.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::http::{Method, StatusCode};
use axum::routing::get;
use common::Api;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[tokio::test]
async fn the_page_is_self_contained() {
    let api = Api::new();
    let a = api.get("/monitor").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers["content-type"], "text/html; charset=utf-8");
    let csp = a.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(!a.text.contains("http://") && !a.text.contains("https://"));
    assert!(a.text.contains("/monitor/events"));
    // Its classes are what the browser test reads.
    assert!(a.text.contains("td.new") && a.text.contains("td.changed"));
    let a = api.get("/monitor?x=1").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

/// A node's state as the stand-in serves it: `(key, value)` pairs.
type Entries = Arc<Mutex<Vec<(String, String)>>>;

/// Serves `/v1/status` and `/v1/data` like a replica; returns its address.
async fn stand_in(entries: Entries) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let data = {
        let entries = entries.clone();
        move || {
            let e = entries.lock().unwrap().clone();
            async move {
                let list: Vec<Value> = e
                    .iter()
                    .map(|(k, v)| json!({"key": k, "value": v}))
                    .collect();
                Json(json!({"total": list.len(), "entries": list}))
            }
        }
    };
    let app = Router::new()
        .route(
            "/v1/status",
            get(|| async {
                Json(
                    json!({"name": "n1", "status": "online", "value_ts": {"n1": 1},
                    "rep_ts": {"n1": 1}, "log_len": 0, "held_queries": 0, "tier": 2}),
                )
            }),
        )
        .route("/v1/data", get(data));
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Reads server-sent events' `data:` lines as JSON.
struct Events(BufReader<TcpStream>);

impl Events {
    async fn open(tracker: &str) -> Self {
        let mut s = TcpStream::connect(tracker).await.unwrap();
        s.write_all(b"GET /monitor/events HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut r = BufReader::new(s);
        let mut status = String::new();
        r.read_line(&mut status).await.unwrap();
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        Self(r)
    }

    /// The next event (skipping keep-alives), within 10 s.
    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let mut line = String::new();
                let n = self.0.read_line(&mut line).await.unwrap();
                assert!(n > 0, "the stream ended");
                if let Some(data) = line.strip_prefix("data: ") {
                    return serde_json::from_str(data.trim()).unwrap();
                }
            }
        })
        .await
        .expect("an event within 10 s")
    }

    /// Events until one satisfies `f`.
    async fn until(&mut self, f: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..100 {
            let ev = self.next().await;
            if f(&ev) {
                return ev;
            }
        }
        panic!("no such event in 100");
    }

    /// Whether the server closed the stream within 10 s.
    async fn closed(&mut self) -> bool {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let mut line = String::new();
                match self.0.read_line(&mut line).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => {}
                }
            }
        })
        .await
        .unwrap_or(false)
    }
}

#[tokio::test]
async fn a_node_s_changes_stream_to_browsers_and_shutdown_ends_the_streams() {
    eprintln!("-- phase 1: a tracker, a stand-in node registered with its HTTP address");
    let api = Api::new();
    let entries: Entries = Arc::new(Mutex::new(vec![("a".into(), "1".into())]));
    let http = stand_in(entries.clone()).await;
    let body =
        json!({"name": "n1", "role": "replica", "addr": "127.0.0.1:7501", "http_addr": http});
    let a = api
        .admin(Method::POST, "/v1/peers", Some(&body.to_string()))
        .await;
    assert!(a.status.is_success(), "{}", a.text);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tracker = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hearsay_tracker::serve(
        api.tracker.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));

    eprintln!("-- phase 2: a browser gets a snapshot, then the node's state");
    let mut ev = Events::open(&tracker).await;
    assert_eq!(ev.next().await["type"], "snapshot");
    let info = ev.until(|e| e["type"] == "info").await;
    assert_eq!(info["name"], "n1");
    assert_eq!(info["info"]["tier"], 2);
    assert_eq!(info["info"]["status"], "online");
    let data = ev.until(|e| e["type"] == "data").await;
    assert_eq!(data["set"], json!([["a", "1"]]));

    eprintln!("-- phase 3: a new key and a changed value arrive as differences");
    *entries.lock().unwrap() = vec![("a".into(), "2".into()), ("b".into(), "1".into())];
    let data = ev.until(|e| e["type"] == "data").await;
    assert_eq!(data["set"], json!([["a", "2"], ["b", "1"]]));
    assert_eq!(data["del"], json!([]));
    assert_eq!(data["total"], 2);

    eprintln!("-- phase 4: a second browser starts from a snapshot of it all");
    let mut late = Events::open(&tracker).await;
    let snap = late.next().await;
    assert_eq!(snap["type"], "snapshot");
    assert_eq!(
        snap["nodes"][0]["data"]["set"],
        json!([["a", "2"], ["b", "1"]])
    );

    eprintln!("-- phase 5: shutdown ends the streams and serve returns");
    stop.send(()).unwrap();
    assert!(ev.closed().await, "the stream ends at shutdown");
    assert!(late.closed().await, "the stream ends at shutdown");
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("serve returns")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn fifty_nodes_are_all_shown_with_their_data() {
    let api = Api::new();
    for i in 0..50 {
        let entries: Entries = Arc::new(Mutex::new(vec![(format!("k{i}"), format!("{i}"))]));
        let http = stand_in(entries).await;
        let body = json!({"name": format!("n{i:02}"), "role": "replica",
            "addr": format!("127.0.0.1:{}", 20000 + i), "http_addr": http});
        let a = api
            .admin(Method::POST, "/v1/peers", Some(&body.to_string()))
            .await;
        assert!(a.status.is_success(), "{}", a.text);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tracker = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hearsay_tracker::serve(
        api.tracker.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let mut ev = Events::open(&tracker).await;
    let mut with_data = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while with_data.len() < 50 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of 50 nodes showed their data",
            with_data.len()
        );
        let e = ev.next().await;
        if e["type"] == "data" {
            let name = e["name"].as_str().unwrap().to_owned();
            let i: u32 = name[1..].parse().unwrap();
            assert_eq!(e["set"], json!([[format!("k{i}"), format!("{i}")]]));
            with_data.insert(name);
        }
    }
    stop.send(()).unwrap();
    assert!(ev.closed().await);
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("serve returns")
        .unwrap()
        .unwrap();
}
