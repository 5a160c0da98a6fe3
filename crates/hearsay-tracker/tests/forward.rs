//! Payloads written at the tracker are written into the cluster through a
//! front end (here a fake `PayloadSink` that remembers what it was given; the
//! real one, over QUIC, is tested with real processes in hearsay-cli).

mod common;

use std::sync::{Arc, Mutex};

use axum::http::Method;
use common::Api;
use hearsay_tracker::{PayloadSink, SinkFuture};
use hearsay_wire::tracker::Peer;

/// Accepts writes while `up`, else fails; remembers what it accepted and
/// through which front end.
#[derive(Default)]
struct FakeSink {
    up: Mutex<bool>,
    written: Mutex<Vec<(String, String)>>,
}

impl FakeSink {
    fn set_up(&self, up: bool) {
        *self.up.lock().unwrap() = up;
    }
    fn written(&self) -> Vec<(String, String)> {
        self.written.lock().unwrap().clone()
    }
}

impl PayloadSink for FakeSink {
    fn write<'a>(&'a self, frontend: &'a Peer, payloads: &'a [String]) -> SinkFuture<'a> {
        let up = *self.up.lock().unwrap();
        if up {
            let mut w = self.written.lock().unwrap();
            w.extend(payloads.iter().map(|p| (frontend.name.clone(), p.clone())));
        }
        Box::pin(async move {
            if up {
                Ok(())
            } else {
                Err("the front end did not answer".to_owned())
            }
        })
    }
}

async fn write(api: &Api, body: &str) {
    let a = api
        .admin(Method::POST, "/v1/admin/payloads", Some(body))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
}

async fn kinds(api: &Api) -> Vec<String> {
    let a = api.get("/v1/activity?limit=1000").await;
    a.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn payloads_wait_for_a_front_end_then_enter_the_cluster_once() {
    let sink = Arc::new(FakeSink::default());
    sink.set_up(true);
    let api = Api::with(|c| c.payload_sink = sink.clone());
    write(&api, r#"{"payload":"hello"}"#).await;
    write(&api, r#"{"payload":"hello"}"#).await;
    write(&api, r#"{"random":100}"#).await;
    assert_eq!(api.tracker.payloads_pending().unwrap(), 101);

    // No front end registered: nothing is written, and the reason is logged
    // once however often the forwarder retries.
    assert_eq!(api.tracker.forward().await, 0);
    write(&api, r#"{"payload":"one more while none is registered"}"#).await;
    assert_eq!(api.tracker.forward().await, 0);
    let failed = kinds(&api).await;
    assert_eq!(
        failed
            .iter()
            .filter(|k| *k == "payloads_forward_failed")
            .count(),
        1,
        "{failed:?}"
    );

    api.register("fe", "frontend", "127.0.0.1:7500").await;
    assert_eq!(api.tracker.forward().await, 102);
    assert_eq!(api.tracker.payloads_pending().unwrap(), 0);
    let written = sink.written();
    assert_eq!(written.len(), 102, "each payload once");
    assert!(written.iter().all(|(fe, _)| fe == "fe"));
    assert_eq!(written.iter().filter(|(_, p)| p == "hello").count(), 1);
    let metrics = api.get("/metrics").await.text;
    assert!(
        metrics.contains("hearsay_tracker_payloads_pending 0"),
        "{metrics}"
    );

    // Nothing waits any more; writing the same payload again adds nothing.
    write(&api, r#"{"payload":"hello"}"#).await;
    assert_eq!(api.tracker.forward().await, 0);
    assert!(kinds(&api).await.contains(&"payloads_forwarded".to_owned()));
}

#[tokio::test]
async fn a_failed_write_keeps_the_payloads_for_the_next_try_even_across_a_restart() {
    let sink = Arc::new(FakeSink::default());
    let api = Api::with(|c| c.payload_sink = sink.clone());
    api.register("fe", "frontend", "127.0.0.1:7500").await;
    write(&api, r#"{"payload":"kept"}"#).await;
    assert_eq!(api.tracker.forward().await, 0);
    assert_eq!(api.tracker.payloads_pending().unwrap(), 1);
    let dir = api.stop();

    let api = Api::in_dir(dir, |c| c.payload_sink = sink.clone());
    assert_eq!(
        api.tracker.payloads_pending().unwrap(),
        1,
        "the outbox survives"
    );
    api.register("fe", "frontend", "127.0.0.1:7500").await;
    sink.set_up(true);
    assert_eq!(api.tracker.forward().await, 1);
    assert_eq!(sink.written(), vec![("fe".to_owned(), "kept".to_owned())]);
    assert_eq!(api.tracker.payloads_pending().unwrap(), 0);
}
