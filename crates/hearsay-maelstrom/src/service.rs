//! How a workload's requests map onto an [`App`]'s updates and queries.

use std::fmt::Debug;

use hearsay_core::App;
use serde_json::Value;

use crate::codes::RequestError;
use crate::envelope::Body;

/// An [`App`] that serves one Maelstrom workload.
///
/// A request becomes a short plan of [`Step`]s: answer at once, submit one
/// update, or run one query and decide what to do with its answer (a
/// transaction reads, then writes). The server runs the steps against the
/// core replica with the client's session, so every update carries an update
/// id and a causal context.
pub(crate) trait MaelstromApp: App + Default {
    /// What the server keeps while a query is out, to finish the request.
    type Then: Debug;

    /// Plans the request `kind` with `body`; an unknown `kind` or a bad field
    /// is an error for the client.
    fn request(kind: &str, body: &Body) -> Result<Step<Self>, RequestError>;

    /// Continues a request after its query was answered with `reply`.
    fn answered(then: Self::Then, reply: Self::Reply) -> Step<Self>;
}

/// The next thing to do for a client request.
#[derive(Debug)]
pub(crate) enum Step<A: MaelstromApp> {
    /// Answer with this body (`type` set, no ids yet).
    Reply(Body),
    /// Submit `op`; once the replica accepts it, answer with `reply`.
    Update {
        /// The update.
        op: A::Update,
        /// The answer once accepted.
        reply: Body,
    },
    /// Run `query`, then call [`MaelstromApp::answered`] with `then`.
    Query {
        /// The query.
        query: A::Query,
        /// What to remember meanwhile.
        then: A::Then,
    },
}

/// The field `name` of `body` as an `i64`, or a malformed-request error.
pub(crate) fn int_field(body: &Body, name: &str) -> Result<i64, RequestError> {
    match body.get(name) {
        Some(v) => v.as_i64().ok_or_else(|| {
            RequestError::malformed(format!("`{name}` must be an integer, not {v}"))
        }),
        None => Err(RequestError::malformed(format!(
            "the request has no `{name}`"
        ))),
    }
}

/// A malformed-request error for a `kind` this workload does not serve.
pub(crate) fn unknown_type(kind: &str, workload: &str) -> RequestError {
    RequestError::malformed(format!(
        "unknown message type {kind:?} for the {workload} workload"
    ))
}

/// `body` with `field` set to `value`.
pub(crate) fn with(mut body: Body, field: &str, value: Value) -> Body {
    body.insert(field.into(), value);
    body
}
