//! `hearsay chat`: the chat room of seed 004 on the peer network
//! (`hearsay_p2p`), every peer a replica of `hearsay_apps::chat::ChatApp`.
//!
//! stdout carries `listening on HOST:PORT`, then every line of the room,
//! once, as only its text; everything else goes to stderr. A line is sent
//! with this session's causal context, which is what this peer has printed,
//! so a reply is printed after what it answers at every peer.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use hearsay_demo::chat::ChatOptions;

/// Flags of `hearsay chat`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// An existing peer to join through (HOST:PORT). Without it, or if the
    /// address is invalid or nobody answers there within about 2 s, this
    /// peer starts a new network with only itself.
    #[arg(long, value_name = "HOST:PORT")]
    join: Option<String>,
    /// Where to listen (QUIC over UDP; port 0: the system picks). Peers are
    /// named after this address, so give one the others can reach.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "HOST:PORT")]
    listen: SocketAddr,
    /// The network's certificate directory (every peer shares its CA).
    /// Made on first run if missing; a peer without its own certificate
    /// there gets one signed in memory by the CA key.
    #[arg(long, default_value = "certs", value_name = "DIR")]
    certs: PathBuf,
}

/// Runs `hearsay chat` until EOF on stdin, `quit`, or ctrl-c.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(hearsay_demo::chat::run(ChatOptions {
        join: args.join,
        listen: args.listen,
        certs: args.certs,
    }))
}
