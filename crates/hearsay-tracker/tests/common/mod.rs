//! Drives the tracker's router with `oneshot`, without a socket.

#![allow(dead_code)] // each test file uses a different part

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use hearsay_tracker::{Config, Tracker};
use serde_json::Value;
use tower::ServiceExt;

/// The admin token of every test tracker.
pub(crate) const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A tracker on a fresh data directory (removed on drop).
pub(crate) struct Api {
    pub(crate) app: Router,
    pub(crate) tracker: Arc<Tracker>,
    pub(crate) dir: tempfile::TempDir,
}

/// One answer: the status, the headers and the body (JSON, or a string).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) text: String,
}

impl Answer {
    /// The body as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// The `error` field of a JSON error body.
    pub(crate) fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field: {}", self.text))
            .to_owned()
    }
}

impl Api {
    pub(crate) fn new() -> Self {
        Self::with(|_| {})
    }

    pub(crate) fn with(tune: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::in_dir(dir, tune)
    }

    /// A tracker on `dir`, e.g. the directory of a tracker that was stopped.
    pub(crate) fn in_dir(dir: tempfile::TempDir, tune: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::new(dir.path(), TOKEN);
        tune(&mut config);
        let tracker = hearsay_tracker::open(config).unwrap();
        Self {
            app: hearsay_tracker::app(tracker.clone()),
            tracker,
            dir,
        }
    }

    /// Stops the tracker (closing its database) and hands back its directory.
    pub(crate) fn stop(self) -> tempfile::TempDir {
        let Self { app, tracker, dir } = self;
        drop(app);
        assert_eq!(
            Arc::strong_count(&tracker),
            1,
            "something still holds the tracker"
        );
        drop(tracker);
        dir
    }

    /// Sends one request; `token` is the whole Authorization value to send.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(a) = authorization {
            req = req.header(header::AUTHORIZATION, a);
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
            .unwrap();
        let response = self.app.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, None).await
    }

    /// A call with the right token.
    pub(crate) async fn admin(&self, method: Method, path: &str, body: Option<&str>) -> Answer {
        let auth = format!("Bearer {TOKEN}");
        self.send(method, path, Some(&auth), body).await
    }

    /// Registers a peer and returns its id.
    pub(crate) async fn register(&self, name: &str, role: &str, addr: &str) -> u64 {
        let body = format!(r#"{{"name":"{name}","role":"{role}","addr":"{addr}"}}"#);
        let a = self.admin(Method::POST, "/v1/peers", Some(&body)).await;
        assert!(a.status.is_success(), "{}: {}", a.status, a.text);
        a.json()["id"].as_u64().unwrap()
    }
}
