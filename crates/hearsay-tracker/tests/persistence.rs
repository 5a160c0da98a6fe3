//! A restarted tracker still knows its peers, payloads and activity log.

mod common;

use axum::http::{Method, StatusCode};
use common::Api;

const HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

#[tokio::test]
async fn a_restarted_tracker_remembers() {
    eprintln!("-- phase 1: a tracker learns peers, payloads, a status and a deregistration");
    let api = Api::new();
    let r1 = api.register("r1", "replica", "127.0.0.1:7501").await;
    let r2 = api.register("r2", "replica", "127.0.0.1:7502").await;
    let fe = api.register("fe", "frontend", "127.0.0.1:7500").await;
    let hb = format!("/v1/peers/{r1}/heartbeat");
    api.admin(Method::PUT, &hb, Some(r#"{"status":"overloaded"}"#))
        .await;
    api.admin(Method::DELETE, &format!("/v1/peers/{r2}"), None)
        .await;
    api.admin(
        Method::POST,
        "/v1/admin/payloads",
        Some(r#"{"payload":"hello"}"#),
    )
    .await;
    let peers_before = api.get("/v1/peers").await.json();
    let activity_before = api.get("/v1/activity").await.json();
    let dir = api.stop();

    eprintln!("-- phase 2: the same data directory, a new tracker");
    let api = Api::in_dir(dir, |_| {});
    assert_eq!(api.get("/v1/peers").await.json(), peers_before);
    let p = api.get(&format!("/v1/peers/{r1}")).await.json();
    assert_eq!(p["status"], "overloaded");
    assert_eq!(
        api.get(&format!("/v1/peers/{fe}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.get(&format!("/v1/peers/{r2}")).await.status,
        StatusCode::NOT_FOUND
    );
    let payload = api.get(&format!("/v1/payloads/{HELLO}")).await;
    assert_eq!(payload.json()["payload"], "hello");
    assert_eq!(api.get("/v1/activity").await.json(), activity_before);

    eprintln!("-- phase 3: ids and sequence numbers go on, never reused");
    let r4 = api.register("r4", "replica", "127.0.0.1:7504").await;
    assert_eq!(r4, fe + 1);
    let newest = api.get("/v1/activity?limit=1").await.json();
    let before = activity_before["entries"][0]["seq"].as_u64().unwrap();
    assert_eq!(newest["entries"][0]["seq"].as_u64(), Some(before + 1));
    // The same payload again is still one entry.
    let a = api
        .admin(
            Method::POST,
            "/v1/admin/payloads",
            Some(r#"{"payload":"hello"}"#),
        )
        .await;
    assert_eq!(a.json()["created"], 0);
}

#[tokio::test]
async fn a_directory_of_another_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(hearsay_tracker::DB_FILE), b"not a database").unwrap();
    let err = hearsay_tracker::open(hearsay_tracker::Config::new(dir.path(), common::TOKEN))
        .err()
        .expect("a garbage file must not open");
    assert!(err.to_string().contains(hearsay_tracker::DB_FILE), "{err}");
    let err = hearsay_tracker::open(hearsay_tracker::Config::new(dir.path(), " "))
        .err()
        .expect("an empty token must be refused");
    assert!(err.to_string().contains("token"), "{err}");
}
