//! `hearsay chat`: the chat room of seed 004 on the peer network
//! (`hearsay_p2p`), every peer a replica of `hearsay_apps::chat::ChatApp`.
//!
//! stdout carries `listening on HOST:PORT`, then every line of the room,
//! once, as only its text; everything else goes to stderr. A line is sent
//! with this session's causal context, which is what this peer has printed,
//! so a reply is printed after what it answers at every peer.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use hearsay_apps::chat::{ChatApp, Say};
use hearsay_core::{UpdateId, VectorTimestamp};
use hearsay_p2p::{JoinOutcome, Peer, PeerConfig};
use hearsay_transport::certs::{self, Role};
use tokio::io::AsyncBufReadExt;

/// How often the room is checked for new lines.
const PRINT_POLL: Duration = Duration::from_millis(20);

/// What `hearsay chat` was asked to do.
#[derive(Clone, Debug)]
pub struct ChatOptions {
    /// An existing peer to join through (HOST:PORT); `None` starts a new network.
    pub join: Option<String>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The network's certificate directory (made on first run if missing).
    pub certs: PathBuf,
}

/// Runs `hearsay chat` until EOF on stdin, `quit`, or ctrl-c.
pub async fn run(args: ChatOptions) -> anyhow::Result<ExitCode> {
    let nodes: [(&str, Role); 0] = [];
    if certs::ensure_dev_certs(&args.certs, &nodes)
        .with_context(|| format!("certificates in {}", args.certs.display()))?
    {
        eprintln!(
            "made a development CA in {} (share the directory with every peer)",
            args.certs.display()
        );
    }
    let mut config = PeerConfig::new(&args.certs);
    config.listen = args.listen;
    let mut peer = Peer::start(config, ChatApp::default()).await?;
    println!("listening on {}", peer.addr());
    std::io::stdout().flush().ok();
    match peer.join(args.join.as_deref()).await {
        JoinOutcome::Joined { via, peers } => {
            eprintln!("joined the network through {via} (peers on its list: {peers})")
        }
        JoinOutcome::NewNetwork { reason } => {
            eprintln!("{reason}: starting a new network with only this peer")
        }
    }
    if std::io::stdin().is_terminal() {
        eprintln!("type a line and press enter to send it; ctrl-d or `quit` leaves");
    }
    let peer = Arc::new(peer);
    // What this peer has printed: the causal context of the lines it sends.
    let seen = Arc::new(Mutex::new(VectorTimestamp::new()));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let printer = tokio::spawn(print_lines(peer.clone(), seen.clone(), stop_rx));

    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => line,
            _ = tokio::signal::ctrl_c() => break,
        };
        let line = match line {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                eprintln!("cannot read stdin: {e}; leaving");
                break;
            }
        };
        let line = line.trim_end_matches('\r');
        if line.trim() == "quit" {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let say = match Say::new(line) {
            Ok(say) => say,
            Err(reason) => {
                eprintln!("not sent: {reason}");
                continue;
            }
        };
        let prev = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Err(e) = peer.submit(say, prev).await {
            eprintln!("not sent: {e}");
        }
    }
    let _ = stop_tx.send(true);
    let _ = printer.await;
    match Arc::try_unwrap(peer) {
        Ok(peer) => peer.leave().await,
        // The printer has returned, so this is the only reference left.
        Err(_) => eprintln!("could not leave cleanly"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints every line of the room not printed yet, in the room's order,
/// until `stop`; keeps `seen` at the state printed.
async fn print_lines(
    peer: Arc<Peer<ChatApp>>,
    seen: Arc<Mutex<VectorTimestamp>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut printed: BTreeSet<UpdateId> = BTreeSet::new();
    let mut last = VectorTimestamp::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(PRINT_POLL) => {}
            _ = stop.changed() => return,
        }
        let known = last.clone();
        let mut done = std::mem::take(&mut printed);
        let read = peer
            .read(move |room: &ChatApp, value_ts: &VectorTimestamp| {
                if *value_ts == known {
                    return (done, None);
                }
                let mut fresh = Vec::new();
                for (id, text) in room.lines() {
                    if !done.contains(&id) {
                        fresh.push(text.to_owned());
                        done.insert(id);
                    }
                }
                // Forget lines the room no longer keeps (bounded history).
                if done.len() > room.len() {
                    let kept: BTreeSet<UpdateId> = room.lines().map(|(id, _)| id).collect();
                    done.retain(|id| kept.contains(id));
                }
                (done, Some((fresh, value_ts.clone())))
            })
            .await;
        let Some((done, news)) = read else { return };
        printed = done;
        let Some((fresh, value_ts)) = news else {
            continue;
        };
        // The context first: a line typed once these are on screen must
        // find them in it (it may also cover lines about to be printed).
        *seen.lock().unwrap_or_else(|e| e.into_inner()) = value_ts.clone();
        let mut out = std::io::stdout().lock();
        for text in fresh {
            let _ = writeln!(out, "{text}");
        }
        let _ = out.flush();
        drop(out);
        last = value_ts;
    }
}
