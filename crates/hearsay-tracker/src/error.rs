//! [`ApiError`]: every way a request can fail, and the answer it gets.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearsay_wire::tracker::ErrorBody;

use crate::store::StoreError;

/// Why a request failed. Client errors (4xx) say what was wrong with the
/// input; server errors (5xx) are logged and say little.
#[derive(Debug)]
pub enum ApiError {
    /// The input is malformed or out of range (400).
    BadRequest(String),
    /// No admin token, or the wrong one (401).
    Unauthorized(String),
    /// No such peer, payload, replica or path (404).
    NotFound(String),
    /// The path exists but not with this method (405).
    MethodNotAllowed,
    /// The request conflicts with what is registered (409).
    Conflict(String),
    /// The body is larger than the tracker accepts (413).
    TooLarge(String),
    /// A bounded table is full (507); says which bound.
    Full(String),
    /// The replica could not be reached or refused (502).
    BadGateway(String),
    /// The tracker cannot do this now (503).
    Unavailable(String),
    /// The tracker's store failed (500): logged, not shown.
    Store(StoreError),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Full(_) => StatusCode::INSUFFICIENT_STORAGE,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message the client sees.
    fn message(&self) -> String {
        match self {
            Self::BadRequest(m)
            | Self::Unauthorized(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::TooLarge(m)
            | Self::Full(m)
            | Self::BadGateway(m)
            | Self::Unavailable(m) => m.clone(),
            Self::MethodNotAllowed => "this path does not take that method".into(),
            Self::Store(_) => "internal error in the tracker's store (see its log)".into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Full { .. } => Self::Full(e.to_string()),
            e => Self::Store(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Store(e) = &self {
            tracing::error!(error = %e, "tracker store failed");
        } else if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), error = %self.message(), "request failed");
        }
        let body = axum::Json(ErrorBody {
            error: self.message(),
        });
        let mut response = (status, body).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
