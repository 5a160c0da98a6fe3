//! The interactive movie-ratings client: commands, their parser, what each
//! does, and the line loop.

pub(crate) mod command;
mod exec;
mod render;
mod run;
mod tracker_view;

pub(crate) use exec::{Repl, Shown};
pub(crate) use run::{LineSource, run_lines};
