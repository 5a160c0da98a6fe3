//! Issue #16 item 5 at the router: unknown query parameters on routes that
//! take none, type errors named as such, query values that are not UTF-8,
//! an oversized declared body refused before it is read, and the token's
//! variants.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{Api, TOKEN};
use tower::ServiceExt;

#[tokio::test]
async fn unknown_query_parameters_are_400_on_routes_that_take_none() {
    let api = Api::new();
    let id = api.register("r1", "replica", "127.0.0.1:7501").await;
    let reads = [
        "/healthz?x=1".to_owned(),
        "/metrics?verbose".to_owned(),
        "/openapi.json?v=2".to_owned(),
        format!("/v1/peers/{id}?x=1"),
        "/v1/payloads/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824?x=1"
            .to_owned(),
    ];
    for path in reads {
        let a = api.get(&path).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}: {}", a.text);
        assert!(a.error().contains("unknown field"), "{path}: {}", a.text);
    }
    let writes = [
        (
            Method::POST,
            "/v1/peers?dry_run=1".to_owned(),
            Some(r#"{"name":"r2","role":"replica","addr":"127.0.0.1:7502"}"#),
        ),
        (Method::PUT, format!("/v1/peers/{id}/heartbeat?x=1"), None),
        (Method::DELETE, format!("/v1/peers/{id}?force=1"), None),
        (
            Method::POST,
            "/v1/admin/payloads?x=1".to_owned(),
            Some(r#"{"payload":"hello"}"#),
        ),
        (
            Method::PUT,
            "/v1/admin/replicas/r1/status?x=1".to_owned(),
            Some(r#"{"status":"online"}"#),
        ),
    ];
    for (method, path, body) in writes {
        let a = api.admin(method.clone(), &path, body).await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "{method} {path}: {}",
            a.text
        );
        assert!(
            a.error().contains("unknown field"),
            "{method} {path}: {}",
            a.text
        );
    }
    // Nothing changed: r1 is still the only peer, no payload was stored.
    assert_eq!(
        api.get("/v1/peers").await.json()["peers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.get("/v1/payloads").await.json()["payloads"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Routes that take parameters still take theirs.
    assert_eq!(
        api.get("/v1/peers?role=replica").await.status,
        StatusCode::OK
    );
    assert_eq!(api.get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_type_is_a_bad_body_not_malformed_json() {
    let api = Api::new();
    let a = api
        .admin(
            Method::PUT,
            "/v1/admin/replicas/r1/status",
            Some(r#"{"status":1}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    let e = a.error();
    assert!(
        e.starts_with("bad request body: invalid type: integer `1`"),
        "{e}"
    );
    let id = api.register("r1", "replica", "127.0.0.1:7501").await;
    let a = api
        .admin(
            Method::PUT,
            &format!("/v1/peers/{id}/heartbeat"),
            Some(r#"{"status":true}"#),
        )
        .await;
    assert!(
        a.error()
            .starts_with("bad request body: invalid type: boolean"),
        "{}",
        a.text
    );
    // Bytes that are not JSON are still called so.
    let a = api
        .admin(
            Method::PUT,
            "/v1/admin/replicas/r1/status",
            Some(r#"{"status":"#),
        )
        .await;
    assert!(a.error().starts_with("malformed JSON"), "{}", a.text);
}

#[tokio::test]
async fn query_values_that_are_not_utf8_are_400() {
    let api = Api::new();
    for path in [
        "/v1/activity?peer=%ff%fe",
        "/v1/peers?role=%c3",
        "/v1/payloads?after=%ff",
        "/healthz?%ff=1",
    ] {
        let a = api.get(path).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}: {}", a.text);
        assert_eq!(a.error(), hearsay_http::NOT_UTF8, "{path}");
    }
    // A real non-ASCII name is fine.
    assert_eq!(
        api.get("/v1/activity?peer=caf%C3%A9").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_413_before_it_is_read() {
    let api = Api::new();
    // The body is empty: only the declared length can make this a 413 (the
    // old code read the empty body and answered 400 "needs a JSON body",
    // and over a socket sent "100 Continue" first).
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/admin/payloads")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_LENGTH, "100000000")
        .header(header::EXPECT, "100-continue")
        .body(Body::empty())
        .unwrap();
    let response = api.app.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let bytes = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(v["error"].as_str().unwrap().contains("65536 bytes"), "{v}");
    // The token still comes first.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/admin/payloads")
        .header(header::CONTENT_LENGTH, "100000000")
        .body(Body::empty())
        .unwrap();
    let response = api.app.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_variants() {
    let api = Api::new();
    let body = r#"{"payload":"hello"}"#;
    let refused = [
        format!("Bearer  {TOKEN}"),
        format!("Bearer {TOKEN} "),
        format!("Bearer{TOKEN}"),
        format!("Token {TOKEN}"),
        format!("Basic {TOKEN}"),
        format!("Bearer {}", TOKEN.to_uppercase()),
        format!("Bearer {}", &TOKEN[..63]),
        format!("Bearer {TOKEN}0"),
        "Bearer ".to_owned(),
        String::new(),
    ];
    for auth in &refused {
        let a = api
            .send(Method::POST, "/v1/admin/payloads", Some(auth), Some(body))
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth:?}: {}", a.text);
        assert_eq!(a.headers["www-authenticate"], "Bearer");
        assert!(!a.error().is_empty());
    }
    assert_eq!(
        api.get("/v1/payloads").await.json()["payloads"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // The scheme is case-insensitive (RFC 7235); the token is not.
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} {TOKEN}");
        let a = api
            .send(Method::POST, "/v1/admin/payloads", Some(&auth), Some(body))
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{auth:?}: {}", a.text);
    }
}
