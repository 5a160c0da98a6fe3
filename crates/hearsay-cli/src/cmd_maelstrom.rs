//! `hearsay maelstrom` (being built).

use std::process::ExitCode;

/// Flags of `hearsay maelstrom`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {}

/// Runs `hearsay maelstrom`.
pub(crate) fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("hearsay maelstrom is not built yet")
}
