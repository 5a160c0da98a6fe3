//! One REPL session over a front end: the user, a fresh client id, and the
//! line loop (`hearsay client` and `hearsay up`).

use std::io::IsTerminal;
use std::process::ExitCode;

use hearsay_apps::movies::UserId;
use hearsay_client::SessionClient;
use hearsay_core::{ClientId, ReplicaId};
use hearsay_discovery::{TrackerClient, TrackerUrl};

use super::exec::Repl;
use super::run::{LineSource, run_lines};

/// The REPL's settings, shared by `hearsay client` and `hearsay up`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The user to act as (asked for when `None` and stdin is a terminal).
    pub user: Option<u32>,
    /// Commands to run in order before exiting; empty means read stdin.
    pub exec: Vec<String>,
    /// Print one JSON object per reply.
    pub json: bool,
    /// Route this session to this replica whenever it is available.
    pub prefer: Option<ReplicaId>,
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

/// Runs the REPL over `client` with `options` (and the tracker's view in
/// `status` when `tracker` is given); the exit code says whether every
/// command succeeded.
pub async fn run_session(
    client: hearsay_client::Client,
    options: Options,
    tracker: Option<TrackerUrl>,
) -> anyhow::Result<ExitCode> {
    let user = match options.user {
        Some(u) => u,
        None => ask_user()?,
    };
    let id = ClientId(rand::Rng::random(
        &mut <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng(),
    ));
    let mut session = SessionClient::new(client, id);
    session.set_prefer(options.prefer);
    let mut repl = Repl::new(session, UserId(user))
        .with_tracker(tracker.map(|url| TrackerClient::new(url, None)));
    let source = if options.exec.is_empty() {
        LineSource::Stdin
    } else {
        LineSource::Args(options.exec)
    };
    let ok = run_lines(&mut repl, source, options.json).await?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
