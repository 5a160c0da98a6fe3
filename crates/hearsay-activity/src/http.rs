//! The HTTP side every node shares: `GET /v1/activity`, JSON errors, and a
//! query-string extractor whose every rejection is a 400 with a reason.

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearsay_wire::node::{NodeActivityPage, NodeActivityQuery};
use hearsay_wire::tracker::ErrorBody;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::activity::{Activity, QueryError};

/// The longest query string accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 1024;

/// A failed request: its status and what was wrong, answered as
/// `{"error": ...}`. Server errors are logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What was wrong, for people.
    pub message: String,
}

impl HttpError {
    /// A 400: the input is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// A 503: the node cannot answer now (it has stopped).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: message.into(),
        }
    }

    /// A 500: the node failed (logged).
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = self.status.as_u16(), error = %self.message, "HTTP request failed");
        }
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}

/// The answer to an unknown path.
pub async fn not_found() -> HttpError {
    HttpError::not_found("no such path: try /v1/status, /v1/metrics, /v1/activity or /metrics")
}

/// The answer to a known path with the wrong method.
pub async fn method_not_allowed() -> HttpError {
    HttpError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "this path only answers GET".into(),
    }
}

/// A query string of type `T`: unknown parameters, bad values, values that
/// do not decode to UTF-8 and overlong query strings are 400s that say what
/// was wrong.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        let len = parts.uri.query().map_or(0, str::len);
        if len > MAX_QUERY_BYTES {
            return Err(HttpError::bad_request(format!(
                "the query string is {len} bytes; at most {MAX_QUERY_BYTES} are accepted"
            )));
        }
        if !hearsay_http::decodes_to_utf8(parts.uri.query().unwrap_or_default()) {
            return Err(HttpError::bad_request(hearsay_http::NOT_UTF8));
        }
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Params(q))
            .map_err(|e| HttpError::bad_request(format!("bad query string: {}", e.body_text())))
    }
}

/// The query of a path that takes no parameters: any parameter is a 400.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// `GET /v1/activity` over `activity`: a router to merge into a node's.
pub fn router(activity: Activity) -> Router {
    Router::new()
        .route("/v1/activity", get(entries))
        .with_state(activity)
}

async fn entries(
    State(activity): State<Activity>,
    Params(q): Params<NodeActivityQuery>,
) -> Result<Json<NodeActivityPage>, HttpError> {
    let read = tokio::task::spawn_blocking(move || activity.entries(&q)).await;
    match read {
        Ok(Ok(entries)) => Ok(Json(NodeActivityPage { entries })),
        Ok(Err(QueryError::Bad(why))) => Err(HttpError::bad_request(why)),
        Ok(Err(QueryError::Log(e))) => Err(HttpError::internal(format!(
            "the activity log could not be read: {e}"
        ))),
        Err(e) => Err(HttpError::internal(format!(
            "reading the activity log: {e}"
        ))),
    }
}
