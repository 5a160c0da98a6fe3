//! Extractors that turn every bad input into an [`ApiError`] with a JSON
//! reason, instead of axum's plain-text rejections.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::Tracker;

/// The state every handler gets.
pub(crate) type AppState = Arc<Tracker>;

/// Proof that the request carried the admin token. List it before any other
/// extractor, so a request without the token gets 401 whatever else is wrong.
pub(crate) struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        state.authorize(header).map(|()| Admin)
    }
}

/// A JSON body of type `T`. Any content type is accepted (so `curl -d` works);
/// the bytes must be JSON.
pub(crate) struct Body<T>(pub(crate) T);

/// A JSON body of type `T`, or `T::default()` when the body is empty.
pub(crate) struct OptionalBody<T>(pub(crate) T);

fn too_large() -> ApiError {
    ApiError::TooLarge(format!(
        "the request body is larger than the tracker accepts ({} bytes)",
        crate::MAX_BODY_BYTES
    ))
}

/// The body's bytes, at most [`crate::MAX_BODY_BYTES`]. A declared
/// `Content-Length` over the limit is refused before the body is touched,
/// so a client that sent `Expect: 100-continue` gets 413 at once instead of
/// "100 Continue" and an upload that would be thrown away.
async fn bytes(req: Request, state: &AppState) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > crate::MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    Bytes::from_request(req, state)
        .await
        .map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::BadRequest(format!(
                    "could not read the request body: {}",
                    e.body_text()
                ))
            }
        })
}

/// Parses in two steps, so the error names the right fault: bytes that are
/// not JSON are "malformed JSON"; JSON of the wrong shape (`{"status":1}`,
/// an unknown field) is "bad request body" with serde's reason. (Parsing
/// straight into `T`, serde_json reports some type errors, such as a number
/// where an enum's string belongs, as syntax errors.)
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    serde_json::from_value(value)
        .map_err(|e| ApiError::BadRequest(format!("bad request body: {e}")))
}

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::BadRequest(
                "this call needs a JSON body (see /openapi.json)".into(),
            ));
        }
        parse(&bytes).map(Body)
    }
}

impl<T: DeserializeOwned + Default> FromRequest<AppState> for OptionalBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalBody(T::default()));
        }
        parse(&bytes).map(OptionalBody)
    }
}

/// A query string of type `T`. Values must decode to UTF-8 (`%ff` is a
/// 400, not a silently replaced character).
pub(crate) struct Q<T>(pub(crate) T);

/// The query of a path that takes no parameters: any parameter is a 400.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoQuery {}

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !hearsay_http::decodes_to_utf8(parts.uri.query().unwrap_or_default()) {
            return Err(ApiError::BadRequest(hearsay_http::NOT_UTF8.into()));
        }
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Q(q))
            .map_err(|e| ApiError::BadRequest(format!("bad query string: {}", e.body_text())))
    }
}

/// The path's parameter of type `T` (a peer id, a payload id, a name).
pub(crate) struct P<T>(pub(crate) T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| P(p))
            .map_err(|e| ApiError::BadRequest(format!("bad path: {}", e.body_text())))
    }
}
