//! Applications replicated by hearsay, each an [`hearsay_core::App`].
//!
//! - [`movies`]: a movie catalog with per-user ratings (the movie-ratings service).
//! - [`payloads`]: content-addressed payloads and the claim check (the claims network).
//! - [`chat`]: the chat room of seed 004 (lines in one causal order).
//!
//! The demo's `ClusterApp` (both side by side, what a `hearsay up` cluster
//! runs) lives in `hearsay-demo`, above the library.

pub mod chat;
pub mod movies;
pub mod payloads;
pub mod text;
