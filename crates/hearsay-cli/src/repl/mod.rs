//! The interactive movie-ratings client: commands, their parser, what each
//! does, and the line loop.

pub(crate) mod command;
mod exec;
mod render;
mod run;

pub(crate) use exec::{Repl, Service, Shown};
pub(crate) use run::{LineSource, run_lines};
