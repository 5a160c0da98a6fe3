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

async fn bytes(req: Request, state: &AppState) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state)
        .await
        .map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(format!(
                    "the request body is larger than the tracker accepts ({} bytes)",
                    crate::MAX_BODY_BYTES
                ))
            } else {
                ApiError::BadRequest(format!(
                    "could not read the request body: {}",
                    e.body_text()
                ))
            }
        })
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        let what = match e.classify() {
            Category::Syntax | Category::Eof => "malformed JSON",
            Category::Data | Category::Io => "bad request body",
        };
        ApiError::BadRequest(format!("{what}: {e}"))
    })
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

/// A query string of type `T`.
pub(crate) struct Q<T>(pub(crate) T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
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
