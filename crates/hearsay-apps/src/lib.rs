//! Applications replicated by hearsay, each an [`hearsay_core::App`].
//!
//! - [`movies`]: a movie catalog with per-user ratings (the movie-ratings service).
//! - [`payloads`]: content-addressed payloads and the claim check (the claims network).
//! - [`chat`]: the chat room of seed 004 (lines in one causal order).
//! - [`cluster`]: both side by side, the app a `hearsay up` cluster runs.

pub mod chat;
pub mod cluster;
pub mod movies;
pub mod payloads;
pub mod text;
