//! The interactive movie-ratings client: commands, their parser, what each
//! does, and the line loop.

pub mod command;
mod exec;
mod render;
mod run;
mod session;
mod tracker_view;

pub use exec::{Repl, Shown};
pub use run::{LineSource, run_lines};
pub use session::{Options, run_session};
