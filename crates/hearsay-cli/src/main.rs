//! `hearsay`: one binary for every part of the system.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd_maelstrom;
mod cmd_sim;

/// hearsay: highly available replicated services on the gossip architecture.
#[derive(Parser, Debug)]
#[command(name = "hearsay", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the deterministic fault simulation of the replication core.
    Sim(cmd_sim::Args),
    /// Run one Maelstrom node (reads Maelstrom JSON on stdin, writes it on stdout).
    Maelstrom(cmd_maelstrom::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sim(args) => cmd_sim::run(args),
        Command::Maelstrom(args) => cmd_maelstrom::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("hearsay: {err:#}");
            ExitCode::FAILURE
        }
    }
}
