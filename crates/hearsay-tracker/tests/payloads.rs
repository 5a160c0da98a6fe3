//! `/v1/admin/payloads` and `/v1/payloads`: ids are SHA-256, writes are
//! idempotent, pages are bounded.

mod common;

use axum::http::{Method, StatusCode};
use common::Api;

const HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const WRITE: &str = "/v1/admin/payloads";

#[tokio::test]
async fn ids_are_sha256_and_writes_idempotent() {
    let api = Api::new();
    let a = api
        .admin(Method::POST, WRITE, Some(r#"{"payload":"hello"}"#))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.json(), serde_json::json!({"ids": [HELLO], "created": 1}));
    let again = api
        .admin(Method::POST, WRITE, Some(r#"{"payload":"hello"}"#))
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(
        again.json(),
        serde_json::json!({"ids": [HELLO], "created": 0})
    );
    let abc = api
        .admin(Method::POST, WRITE, Some(r#"{"payload":"abc"}"#))
        .await;
    assert_eq!(abc.json()["ids"][0], ABC);

    let one = api.get(&format!("/v1/payloads/{HELLO}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(
        one.json(),
        serde_json::json!({"id": HELLO, "payload": "hello"})
    );
    let all = api.get("/v1/payloads").await.json();
    assert_eq!(
        all["payloads"].as_array().unwrap().len(),
        2,
        "one entry per payload"
    );
    assert_eq!(all["next"], serde_json::Value::Null);
}

#[tokio::test]
async fn random_payloads_hash_to_their_ids() {
    let api = Api::new();
    let a = api
        .admin(Method::POST, WRITE, Some(r#"{"random":5}"#))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.json()["created"], 5);
    let ids = a.json()["ids"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 5);
    for id in ids {
        let id = id.as_str().unwrap();
        let p = api.get(&format!("/v1/payloads/{id}")).await.json();
        let content = p["payload"].as_str().unwrap();
        assert_eq!(hearsay_tracker::payload_id(content.as_bytes()), id);
    }
}

#[tokio::test]
async fn bad_writes_are_400_or_401() {
    let api = Api::new();
    let long = format!(
        r#"{{"payload":"{}"}}"#,
        "x".repeat(hearsay_wire::tracker::MAX_PAYLOAD_BYTES + 1)
    );
    let cases = [
        (r#"{"random":0}"#.to_owned(), "bad random count 0"),
        (r#"{"random":1001}"#.to_owned(), "bad random count 1001"),
        (r#"{"random":-1}"#.to_owned(), "invalid value"),
        (r#"{"payload":"a","random":1}"#.to_owned(), "exactly one"),
        ("{}".to_owned(), "exactly one"),
        (r#"{"payload":""}"#.to_owned(), "1 to 4096 bytes"),
        (long, "1 to 4096 bytes"),
        (
            r#"{"payload":"a","colour":1}"#.to_owned(),
            "unknown field `colour`",
        ),
        (r#"{"payload":"a""#.to_owned(), "malformed JSON"),
        ("not json".to_owned(), "malformed JSON"),
    ];
    for (body, reason) in cases {
        let a = api.admin(Method::POST, WRITE, Some(&body)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(a.error().contains(reason), "{body}: {}", a.error());
    }
    let a = api
        .send(Method::POST, WRITE, None, Some(r#"{"payload":"hello"}"#))
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.error().contains("admin token"), "{}", a.error());
    assert!(
        api.get("/v1/payloads").await.json()["payloads"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn reads_check_ids() {
    let api = Api::new();
    let a = api.get(&format!("/v1/payloads/{HELLO}")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.error().contains(HELLO));
    let a = api
        .get(&format!("/v1/payloads/{}", HELLO.to_ascii_uppercase()))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.error().contains("lowercase"), "{}", a.error());
    for bad in ["xyz", "2cf24dba", "%FF"] {
        let a = api.get(&format!("/v1/payloads/{bad}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn pages_chain_and_are_bounded() {
    let api = Api::new();
    let a = api
        .admin(Method::POST, WRITE, Some(r#"{"random":7}"#))
        .await;
    let mut want: Vec<String> = a.json()["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    want.sort();
    let mut got = Vec::new();
    let mut path = "/v1/payloads?limit=3".to_owned();
    for _ in 0..10 {
        let page = api.get(&path).await.json();
        let items = page["payloads"].as_array().unwrap();
        assert!(items.len() <= 3);
        got.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page["next"].as_str() {
            Some(next) => path = format!("/v1/payloads?limit=3&after={next}"),
            None => break,
        }
    }
    assert_eq!(got, want);
    for bad in [
        "/v1/payloads?limit=0",
        "/v1/payloads?limit=1001",
        "/v1/payloads?limit=x",
        "/v1/payloads?after=zz",
        "/v1/payloads?page=2",
    ] {
        let a = api.get(bad).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(!a.error().is_empty());
    }
}

#[tokio::test]
async fn the_payload_table_is_bounded() {
    let api = Api::with(|c| c.max_payloads = 3);
    let a = api
        .admin(Method::POST, WRITE, Some(r#"{"random":2}"#))
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let a = api
        .admin(Method::POST, WRITE, Some(r#"{"random":2}"#))
        .await;
    assert_eq!(a.status, StatusCode::INSUFFICIENT_STORAGE);
    assert!(a.error().contains("maximum of 3 payloads"), "{}", a.error());
    // Nothing of the refused write was kept; a write that fits still works.
    assert_eq!(
        api.get("/v1/payloads").await.json()["payloads"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let a = api
        .admin(Method::POST, WRITE, Some(r#"{"payload":"hello"}"#))
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
}
