//! `/v1/peers`: registration, uniqueness, listing, heartbeats, expiry.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{Api, TOKEN};

const R1: &str =
    r#"{"name":"r1","role":"replica","addr":"127.0.0.1:7501","http_addr":"127.0.0.1:7601"}"#;

#[tokio::test]
async fn register_gives_an_id_and_the_same_one_again() {
    let api = Api::new();
    let a = api.admin(Method::POST, "/v1/peers", Some(R1)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let peer = a.json();
    assert_eq!(peer["name"], "r1");
    assert_eq!(peer["role"], "replica");
    assert_eq!(peer["addr"], "127.0.0.1:7501");
    assert_eq!(peer["http_addr"], "127.0.0.1:7601");
    assert_eq!(peer["status"], "online");
    let id = peer["id"].as_u64().unwrap();

    // The same name and address again: idempotent, 200, same id.
    let again = api.admin(Method::POST, "/v1/peers", Some(R1)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["id"].as_u64(), Some(id));
    assert_eq!(
        api.get("/v1/peers").await.json()["peers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A taken address under another name: 409, saying who holds it.
    let taken = r#"{"name":"r2","role":"replica","addr":"127.0.0.1:7501"}"#;
    let c = api.admin(Method::POST, "/v1/peers", Some(taken)).await;
    assert_eq!(c.status, StatusCode::CONFLICT);
    assert!(c.error().contains("registered to peer r1"), "{}", c.error());

    // The same name at a new address moves the peer (same id) and frees the old one.
    let moved = r#"{"name":"r1","role":"replica","addr":"127.0.0.1:7511"}"#;
    let m = api.admin(Method::POST, "/v1/peers", Some(moved)).await;
    assert_eq!(m.status, StatusCode::OK);
    assert_eq!(m.json()["id"].as_u64(), Some(id));
    assert_eq!(m.json()["addr"], "127.0.0.1:7511");
    assert_eq!(
        api.admin(Method::POST, "/v1/peers", Some(taken))
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn writes_need_the_token() {
    let api = Api::new();
    let id = api.register("r1", "replica", "127.0.0.1:7501").await;
    let wrong = format!("Bearer {}", TOKEN.replace('0', "1"));
    let basic = format!("Basic {TOKEN}");
    let short = "Bearer 0123";
    let calls = [
        (Method::POST, "/v1/peers".to_owned(), Some(R1)),
        (Method::DELETE, format!("/v1/peers/{id}"), None),
        (Method::PUT, format!("/v1/peers/{id}/heartbeat"), None),
    ];
    for (method, path, body) in calls {
        for auth in [
            None,
            Some(wrong.as_str()),
            Some(basic.as_str()),
            Some(short),
        ] {
            let a = api.send(method.clone(), &path, auth, body).await;
            assert_eq!(
                a.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {auth:?}"
            );
            assert_eq!(a.headers["www-authenticate"], "Bearer");
            assert!(!a.error().is_empty());
        }
    }
    // Nothing changed, and reads need no token.
    let list = api.get("/v1/peers").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["peers"].as_array().unwrap().len(), 1);
    // The token check comes before the body: no token and bad JSON is 401.
    let a = api.send(Method::POST, "/v1/peers", None, Some("{")).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_registrations_are_400_with_a_reason() {
    let api = Api::new();
    let cases = [
        ("{", "malformed JSON"),
        ("", "needs a JSON body"),
        ("[1,2]", "bad request body"),
        (
            r#"{"name":"r1","role":"replica","addr":"127.0.0.1:7501","x":1}"#,
            "unknown field `x`",
        ),
        (
            r#"{"name":"r1","role":"king","addr":"127.0.0.1:7501"}"#,
            "unknown variant `king`",
        ),
        (r#"{"name":"r1","role":"replica"}"#, "missing field `addr`"),
        (
            r#"{"name":"r 1","role":"replica","addr":"127.0.0.1:7501"}"#,
            "bad peer name",
        ),
        (
            r#"{"name":"r1","role":"replica","addr":"127.0.0.1"}"#,
            "bad addr",
        ),
        (
            r#"{"name":"r1","role":"replica","addr":"127.0.0.1:0"}"#,
            "port 0",
        ),
        (
            r#"{"name":"r1","role":"replica","addr":"h:1","http_addr":"nope"}"#,
            "bad http_addr",
        ),
        (r#"{"name":"r1","role":"replica","addr":7}"#, "invalid type"),
    ];
    for (body, reason) in cases {
        let a = api.admin(Method::POST, "/v1/peers", Some(body)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.text);
        assert!(a.error().contains(reason), "{body}: {}", a.error());
    }
    let huge = format!(
        r#"{{"name":"{}"}}"#,
        "x".repeat(hearsay_tracker::MAX_BODY_BYTES)
    );
    let a = api.admin(Method::POST, "/v1/peers", Some(&huge)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(a.error().contains("larger than"), "{}", a.error());
    assert!(
        api.get("/v1/peers").await.json()["peers"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn list_filters_get_delete() {
    let api = Api::new();
    let r1 = api.register("r1", "replica", "127.0.0.1:7501").await;
    let r2 = api.register("r2", "replica", "127.0.0.1:7502").await;
    let fe = api.register("fe", "frontend", "127.0.0.1:7500").await;
    let names = |a: common::Answer| -> Vec<String> {
        a.json()["peers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(api.get("/v1/peers").await), ["r1", "r2", "fe"]);
    assert_eq!(names(api.get("/v1/peers?role=replica").await), ["r1", "r2"]);
    assert_eq!(names(api.get("/v1/peers?role=frontend").await), ["fe"]);
    // A heartbeat may report a status; the filter sees it.
    let hb = format!("/v1/peers/{r2}/heartbeat");
    let a = api
        .admin(Method::PUT, &hb, Some(r#"{"status":"overloaded"}"#))
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text);
    assert_eq!(names(api.get("/v1/peers?status=overloaded").await), ["r2"]);
    assert_eq!(
        names(api.get("/v1/peers?role=replica&status=online").await),
        ["r1"]
    );
    for bad in [
        "/v1/peers?role=king",
        "/v1/peers?status=asleep",
        "/v1/peers?colour=red",
    ] {
        let a = api.get(bad).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(a.error().contains("bad query string"), "{}", a.error());
    }

    let one = api.get(&format!("/v1/peers/{fe}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["name"], "fe");
    let a = api.get("/v1/peers/999").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.error().contains("no live peer has id 999"),
        "{}",
        a.error()
    );
    for bad in [
        "/v1/peers/abc",
        "/v1/peers/-1",
        "/v1/peers/99999999999999999999999",
    ] {
        let a = api.get(bad).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(a.error().starts_with("bad peer id"), "{}", a.error());
    }

    let del = format!("/v1/peers/{r1}");
    assert_eq!(
        api.admin(Method::DELETE, &del, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.admin(Method::DELETE, &del, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.admin(Method::DELETE, "/v1/peers/x", None).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(names(api.get("/v1/peers").await), ["r2", "fe"]);
    let kinds: Vec<String> = api.get("/v1/activity?peer=r1").await.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["peer_deregistered", "peer_registered"]);
}

#[tokio::test]
async fn heartbeat_errors() {
    let api = Api::new();
    let id = api.register("r1", "replica", "127.0.0.1:7501").await;
    let hb = format!("/v1/peers/{id}/heartbeat");
    assert_eq!(
        api.admin(Method::PUT, &hb, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.admin(Method::PUT, &hb, Some("{}")).await.status,
        StatusCode::NO_CONTENT
    );
    let a = api
        .admin(Method::PUT, &hb, Some(r#"{"status":"asleep"}"#))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.error().contains("unknown variant `asleep`"),
        "{}",
        a.error()
    );
    let a = api.admin(Method::PUT, &hb, Some(r#"{"load":1}"#)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = api.admin(Method::PUT, "/v1/peers/77/heartbeat", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.error().contains("register again"), "{}", a.error());
}

#[tokio::test(start_paused = true)]
async fn silent_peers_expire_and_the_log_says_so() {
    let api = Api::with(|c| c.expiry = Duration::from_secs(5));
    let r1 = api.register("r1", "replica", "127.0.0.1:7501").await;
    let _r2 = api.register("r2", "replica", "127.0.0.1:7502").await;
    let hb = format!("/v1/peers/{r1}/heartbeat");

    tracing_phase("phase 1: both peers live for 4 s; only r1 heartbeats");
    tokio::time::advance(Duration::from_secs(4)).await;
    assert_eq!(
        api.admin(Method::PUT, &hb, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("/v1/peers").await.json()["peers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    tracing_phase("phase 2: at 5 s r2 is gone; r1's heartbeat keeps it");
    tokio::time::advance(Duration::from_secs(1)).await;
    let peers = api.get("/v1/peers").await.json();
    let peers = peers["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0]["name"], "r1");
    let log = api.get("/v1/activity?kind=peer_expired").await.json();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["peer"], "r2");
    assert!(
        entries[0]["detail"]
            .as_str()
            .unwrap()
            .contains("no heartbeat")
    );

    tracing_phase(
        "phase 3: r1 (last heard at 4 s) is dropped at 9 s by expire(), no request needed",
    );
    tokio::time::advance(Duration::from_millis(3999)).await;
    api.tracker.expire().unwrap();
    assert_eq!(
        api.get("/v1/peers").await.json()["peers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    api.tracker.expire().unwrap();
    assert_eq!(
        api.get(&format!("/v1/peers/{r1}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.admin(Method::PUT, &hb, None).await.status,
        StatusCode::NOT_FOUND
    );
    let log = api.get("/v1/activity?kind=peer_expired").await.json();
    assert_eq!(log["entries"].as_array().unwrap().len(), 2);

    tracing_phase("phase 4: an expired peer registers again under a new id; its address is free");
    let again = api.register("r2", "replica", "127.0.0.1:7501").await;
    assert!(again > r1);
}

/// Marks a test phase in the output (shown for failing tests).
fn tracing_phase(what: &str) {
    eprintln!("-- {what}");
}

#[tokio::test]
async fn the_peer_table_is_bounded() {
    let api = Api::with(|c| c.max_peers = 2);
    api.register("r1", "replica", "127.0.0.1:7501").await;
    api.register("r2", "replica", "127.0.0.1:7502").await;
    let r3 = r#"{"name":"r3","role":"replica","addr":"127.0.0.1:7503"}"#;
    let a = api.admin(Method::POST, "/v1/peers", Some(r3)).await;
    assert_eq!(a.status, StatusCode::INSUFFICIENT_STORAGE);
    assert!(a.error().contains("maximum of 2 peers"), "{}", a.error());
    // A peer already in the table may still register again.
    let again = r#"{"name":"r2","role":"replica","addr":"127.0.0.1:7502"}"#;
    assert_eq!(
        api.admin(Method::POST, "/v1/peers", Some(again))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_heartbeat_that_changes_the_status_is_logged_once() {
    let api = Api::new();
    let r1 = api.register("r1", "replica", "127.0.0.1:7501").await;
    let hb = format!("/v1/peers/{r1}/heartbeat");
    let details = |a: common::Answer| -> Vec<String> {
        a.json()["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["peer"], "r1", "{e}");
                e["detail"].as_str().unwrap().to_owned()
            })
            .collect()
    };
    for body in [
        r#"{"status":"online"}"#,
        r#"{"status":"offline"}"#,
        r#"{"status":"offline"}"#,
        "",
        r#"{"status":"online"}"#,
    ] {
        let body = (!body.is_empty()).then_some(body);
        let a = api.admin(Method::PUT, &hb, body).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text);
    }
    // Newest first: one entry per change, none for the same status again.
    assert_eq!(
        details(api.get("/v1/activity?kind=status_changed").await),
        [
            "replica r1 reports it is now online (was offline)",
            "replica r1 reports it is now offline (was online)",
        ]
    );
}
