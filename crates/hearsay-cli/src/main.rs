//! `hearsay`: one binary for every part of the system.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: under `hearsay bench` the
/// system allocator took 17 % of all CPU time (perf), and mimalloc cut the
/// CPU per acknowledged update by about a third (README, Performance).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod claim_args;
mod cmd_bench;
mod cmd_certs;
mod cmd_chat;
mod cmd_client;
mod cmd_frontend;
mod cmd_maelstrom;
mod cmd_replica;
mod cmd_sim;
mod cmd_simulate;
mod cmd_tracker;
mod cmd_up;
mod duration_flag;
#[cfg(test)]
mod parse_flags;
mod sim_output;

/// hearsay: highly available replicated services on the gossip architecture.
#[derive(Parser, Debug)]
#[command(name = "hearsay", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start a local cluster (a tracker, three replicas and a front end) and open the REPL.
    Up(cmd_up::Args),
    /// The movie-ratings REPL against a running front end.
    Client(cmd_client::Args),
    /// Run one replica manager.
    Replica(cmd_replica::Args),
    /// Run a front end.
    Frontend(cmd_frontend::Args),
    /// Make the cluster's certificates and admin token.
    Certs(cmd_certs::Args),
    /// Run the deterministic fault simulation of the replication core.
    Sim(cmd_sim::Args),
    /// Run one Maelstrom node (reads Maelstrom JSON on stdin, writes it on stdout).
    Maelstrom(cmd_maelstrom::Args),
    /// Run the tracker: the HTTP peer list, payloads and activity log.
    Tracker(cmd_tracker::Args),
    /// Offer claims-network traffic to a running cluster and summarize what every peer did.
    Simulate(cmd_simulate::Args),
    /// Measure a local cluster, or attach to a running one: throughput, latency, convergence, traffic, memory.
    Bench(cmd_bench::Args),
    /// Chat with peers on a peer-to-peer network (seed 004): every line typed goes to every peer.
    Chat(cmd_chat::Args),
}

/// Logs go to stderr, filtered by RUST_LOG (default: warnings).
fn install_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Raises the soft limit on open descriptors to the hard limit: one
/// `hearsay up` process holds QUIC sockets, databases, the tracker's and
/// every node's HTTP connections and the heartbeats' own, and a low soft
/// limit (often 1,024) is what a flood would exhaust first. Failing to raise
/// it is logged, not fatal.
fn raise_fd_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(limit = n, "open descriptor limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open descriptor limit"),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    install_tracing();
    raise_fd_limit();
    let result = match cli.command {
        Command::Up(args) => cmd_up::run(args),
        Command::Client(args) => cmd_client::run(args),
        Command::Replica(args) => cmd_replica::run(args),
        Command::Frontend(args) => cmd_frontend::run(args),
        Command::Certs(args) => cmd_certs::run(args),
        Command::Sim(args) => cmd_sim::run(args),
        Command::Maelstrom(args) => cmd_maelstrom::run(args),
        Command::Tracker(args) => cmd_tracker::run(args),
        Command::Simulate(args) => cmd_simulate::run(args),
        Command::Bench(args) => cmd_bench::run(args),
        Command::Chat(args) => cmd_chat::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("hearsay: {err:#}");
            ExitCode::FAILURE
        }
    }
}
