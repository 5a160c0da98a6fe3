//! Garbage in, never a 5xx out: seeded random bodies, paths and query
//! strings against every route, with and without the token.

mod common;

use axum::http::Method;
use common::{Api, TOKEN};
use hearsay_tracker::{AdminFuture, ReplicaAdmin};
use hearsay_wire::tracker::{Peer, ReplicaStatus};

/// A replica client that always succeeds: a well-formed status change is
/// not an error, and must not count as one here.
struct Obedient;

impl ReplicaAdmin for Obedient {
    fn set_status<'a>(&'a self, _: &'a Peer, status: ReplicaStatus) -> AdminFuture<'a> {
        Box::pin(async move { Ok(status) })
    }
}

/// xorshift64*: deterministic, so a failure names its seed and case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// A string of fragments that are often almost valid.
    fn text(&mut self) -> String {
        const BITS: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"",
            "\"payload\"",
            "\"random\"",
            "\"name\"",
            "\"role\"",
            "\"addr\"",
            "\"status\"",
            "\"replica\"",
            "\"online\"",
            "1000",
            "-1",
            "1e400",
            "null",
            "true",
            "\"127.0.0.1:7501\"",
            "\\u0000",
            "é",
            "%",
            "/",
            "..",
            "0",
            "18446744073709551616",
            " ",
            "\u{1F980}",
        ];
        let n = self.next() % 12;
        (0..n).map(|_| self.pick(BITS)).collect()
    }
}

#[tokio::test]
async fn no_input_gets_a_server_error() {
    let api = Api::with(|c| c.replica_admin = std::sync::Arc::new(Obedient));
    api.register("r1", "replica", "127.0.0.1:7501").await;
    let auth = format!("Bearer {TOKEN}");
    let routes: &[(Method, &str)] = &[
        (Method::POST, "/v1/peers"),
        (Method::GET, "/v1/peers?"),
        (Method::GET, "/v1/peers/"),
        (Method::DELETE, "/v1/peers/"),
        (Method::PUT, "/v1/peers/1/heartbeat"),
        (Method::POST, "/v1/admin/payloads"),
        (Method::GET, "/v1/payloads?"),
        (Method::GET, "/v1/payloads/"),
        (Method::PUT, "/v1/admin/replicas/r1/status"),
        (Method::GET, "/v1/activity?"),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut seen = std::collections::BTreeMap::<u16, u32>::new();
    for case in 0..1500 {
        let (method, base) = &routes[case % routes.len()];
        let text = rng.text();
        // Path and query take the text percent-encoded; bodies take it raw.
        let encoded: String = text
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"=&-_.".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let (path, body) = if base.ends_with('?') || base.ends_with('/') {
            (format!("{base}{encoded}"), None)
        } else {
            (base.to_string(), Some(text.as_str()))
        };
        let token = if rng.next() % 4 == 0 {
            None
        } else {
            Some(auth.as_str())
        };
        let a = api.send(method.clone(), &path, token, body).await;
        *seen.entry(a.status.as_u16()).or_default() += 1;
        assert!(
            !a.status.is_server_error(),
            "case {case}: {method} {path} {body:?} -> {} {}",
            a.status,
            a.text
        );
        if !a.status.is_success() {
            assert!(
                !a.error().is_empty(),
                "case {case}: no reason in {}",
                a.text
            );
        }
    }
    eprintln!("answers by status: {seen:?}");
    for status in [200, 204, 400, 401, 404] {
        assert!(seen.contains_key(&status), "no {status} answer: {seen:?}");
    }
}
