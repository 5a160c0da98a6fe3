//! `hearsay client`: the movie-ratings REPL against a running front end.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_apps::movies::UserId;
use hearsay_client::SessionClient;
use hearsay_core::{ClientId, ReplicaId};

use crate::node;
use crate::repl::{LineSource, Repl, run_lines};

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
    #[arg(long, value_parser = crate::discover::parse_tracker_url)]
    tracker: Option<hearsay_discovery::TrackerUrl>,
    #[command(flatten)]
    repl: ReplArgs,
}

/// Asks for the user id on a terminal.
fn ask_user() -> anyhow::Result<u32> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "give the user with --user ID (stdin is not a terminal, so it cannot be asked)"
        );
    }
    let mut editor = rustyline::DefaultEditor::new()?;
    loop {
        let line = editor.readline("user id: ")?;
        match line.trim().parse::<u32>() {
            Ok(id) => return Ok(id),
            Err(_) => println!(
                "{:?} is not a user id: use a whole number such as 1",
                line.trim()
            ),
        }
    }
}

/// Runs the REPL over `client` with `args` (and the tracker's view in
/// `status` when `tracker` is given); the exit code says whether every
/// command succeeded.
pub(crate) async fn repl(
    client: hearsay_client::Client,
    args: ReplArgs,
    tracker: Option<hearsay_discovery::TrackerUrl>,
) -> anyhow::Result<ExitCode> {
    let user = match args.user {
        Some(u) => u,
        None => ask_user()?,
    };
    let id = ClientId(rand::Rng::random(
        &mut <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng(),
    ));
    let mut session = SessionClient::new(client, id);
    session.set_prefer(args.prefer);
    let mut repl = Repl::new(session, UserId(user))
        .with_tracker(tracker.map(|url| hearsay_discovery::TrackerClient::new(url, None)));
    let source = if args.exec.is_empty() {
        LineSource::Stdin
    } else {
        LineSource::Args(args.exec)
    };
    let ok = run_lines(&mut repl, source, args.json).await?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `hearsay client`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        node::ensure_certs(&args.certs, &[("client", hearsay_transport::Role::Client)])?;
        let client = node::connect_client(&args.certs, args.frontend, &args.frontend_name)?;
        repl(client, args.repl, args.tracker).await
    })
}
