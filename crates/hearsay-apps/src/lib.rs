//! Applications replicated by hearsay, each an [`hearsay_core::App`].
//!
//! - [`movies`]: a movie catalog with per-user ratings (the movie-ratings service).

pub mod csv;
pub mod movies;
pub mod text;
