//! `hearsay sim` (being built).

use std::process::ExitCode;

/// Flags of `hearsay sim`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {}

/// Runs `hearsay sim`.
pub(crate) fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("hearsay sim is not built yet")
}
