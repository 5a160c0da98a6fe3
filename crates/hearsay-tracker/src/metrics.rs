//! Request counters and the Prometheus text of `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Requests answered, by method, route and status. The route is the
/// matched route *template* (`/v1/peers/{id}`) or `unmatched`, so the number
/// of series stays bounded whatever paths clients send.
#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, String, u16), u64>>,
}

impl Metrics {
    /// Counts one answered request.
    pub(crate) fn record(&self, method: &axum::http::Method, route: Option<&str>, status: u16) {
        use axum::http::Method;
        let method = match *method {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::DELETE => "DELETE",
            Method::HEAD => "HEAD",
            _ => "other",
        };
        let route = route.unwrap_or("unmatched").to_owned();
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests.entry((method, route, status)).or_default() += 1;
    }

    /// The Prometheus text exposition of the counters and the given gauges.
    pub(crate) fn render(
        &self,
        peers_by_role: &BTreeMap<&'static str, u64>,
        payloads: u64,
        pending: u64,
        activity: u64,
    ) -> String {
        let mut out = String::new();
        out.push_str("# HELP hearsay_tracker_requests_total HTTP requests answered, by method, route and status.\n");
        out.push_str("# TYPE hearsay_tracker_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        for ((method, route, status), n) in requests.iter() {
            let _ = writeln!(
                out,
                "hearsay_tracker_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        drop(requests);
        out.push_str("# HELP hearsay_tracker_peers Live registered peers, by role.\n");
        out.push_str("# TYPE hearsay_tracker_peers gauge\n");
        for (role, n) in peers_by_role {
            let _ = writeln!(out, "hearsay_tracker_peers{{role=\"{role}\"}} {n}");
        }
        out.push_str("# HELP hearsay_tracker_payloads Payloads stored.\n");
        out.push_str("# TYPE hearsay_tracker_payloads gauge\n");
        let _ = writeln!(out, "hearsay_tracker_payloads {payloads}");
        out.push_str("# HELP hearsay_tracker_payloads_pending Payloads stored but not yet written into the cluster.\n");
        out.push_str("# TYPE hearsay_tracker_payloads_pending gauge\n");
        let _ = writeln!(out, "hearsay_tracker_payloads_pending {pending}");
        out.push_str("# HELP hearsay_tracker_activity_entries Activity-log entries kept.\n");
        out.push_str("# TYPE hearsay_tracker_activity_entries gauge\n");
        let _ = writeln!(out, "hearsay_tracker_activity_entries {activity}");
        out
    }
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
