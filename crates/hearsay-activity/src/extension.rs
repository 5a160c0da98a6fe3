//! [`MetricsExtension`]: figures an application adds to its nodes'
//! `/v1/metrics` (under [`NodeMetrics::extensions`](hearsay_wire::node::NodeMetrics::extensions))
//! and `/metrics`, so the library's counters name no application. The demo's
//! claims network registers its claim counters this way
//! (`hearsay_claims::ClaimTally`).

/// Extensions one node keeps at most; registering more is refused.
pub const MAX_EXTENSIONS: usize = 16;

/// An application's own figures, registered with
/// [`crate::Activity::extend`]. It is asked for them on every metrics
/// request, so it keeps them ready in memory; it must not block.
pub trait MetricsExtension: Send + Sync + 'static {
    /// Its key in `/v1/metrics`' `extensions` (one per node).
    fn name(&self) -> &str;

    /// Its figures as JSON, at `second` of the node's uptime (for figures
    /// over a window such as the last minute).
    fn metrics(&self, second: u64) -> serde_json::Value;

    /// Its figures as Prometheus text, each sample labelled with `labels`
    /// (such as `replica="r1"`), appended to `out`.
    fn prometheus(&self, second: u64, labels: &str, out: &mut String);
}

/// Why [`crate::Activity::extend`] refused an extension.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExtendError {
    /// Another extension has the name already.
    #[error("a metrics extension named {0:?} is registered already")]
    Taken(String),
    /// The node has [`MAX_EXTENSIONS`] already.
    #[error("a node takes at most {MAX_EXTENSIONS} metrics extensions")]
    Full,
}
