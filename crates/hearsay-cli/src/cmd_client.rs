//! `hearsay client`: the movie-ratings REPL against a running front end.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_core::ReplicaId;
use hearsay_demo::node;

/// Flags of the REPL, shared by `hearsay client` and `hearsay up`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ReplArgs {
    /// The user to act as (asked for when not given and stdin is a terminal).
    #[arg(long)]
    pub(crate) user: Option<u32>,
    /// Run this command and exit (repeatable; runs in order).
    #[arg(long = "exec", value_name = "COMMAND")]
    pub(crate) exec: Vec<String>,
    /// Print one JSON object per reply.
    #[arg(long)]
    pub(crate) json: bool,
    /// Route this session to this replica whenever it is available.
    #[arg(long, value_parser = |s: &str| ReplicaId::new(s).map_err(|e| e.to_string()))]
    pub(crate) prefer: Option<ReplicaId>,
}

/// Flags of `hearsay client`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The front end's address.
    #[arg(long, default_value = "127.0.0.1:7500")]
    frontend: SocketAddr,
    /// The name in the front end's certificate.
    #[arg(long, default_value = "fe")]
    frontend_name: String,
    /// Directory of the cluster's certificates.
    #[arg(long, default_value = "certs")]
    certs: PathBuf,
    /// The tracker whose view `status` shows too, such as http://127.0.0.1:7400.
    #[arg(long, value_parser = hearsay_demo::discover::parse_tracker_url)]
    tracker: Option<hearsay_discovery::TrackerUrl>,
    #[command(flatten)]
    repl: ReplArgs,
}

impl From<ReplArgs> for hearsay_demo::repl::Options {
    fn from(args: ReplArgs) -> Self {
        Self {
            user: args.user,
            exec: args.exec,
            json: args.json,
            prefer: args.prefer,
        }
    }
}

/// Runs `hearsay client`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        node::ensure_certs(&args.certs, &[("client", hearsay_transport::Role::Client)])?;
        let client = node::connect_client(&args.certs, args.frontend, &args.frontend_name)?;
        hearsay_demo::repl::run_session(client, args.repl.into(), args.tracker).await
    })
}
