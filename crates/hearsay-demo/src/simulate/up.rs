//! `simulate --up`: a cluster of its own for the run, as a child
//! `hearsay up --no-repl` on free ports in a temporary directory.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long the child may take to print its tracker's address.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running child cluster.
pub(super) struct Cluster {
    child: Child,
    /// Its data; removed when the cluster is dropped.
    _dir: tempfile::TempDir,
    pub(super) tracker_url: String,
}

/// Starts `hearsay up --no-repl --port 0` with `replicas` replicas and waits
/// for it to print its tracker's URL.
pub(super) async fn start(certs: &Path, replicas: u16) -> anyhow::Result<Cluster> {
    let dir = tempfile::tempdir().context("making a directory for the cluster's data")?;
    let exe = std::env::current_exe().context("finding the hearsay binary")?;
    let mut child = Command::new(exe)
        .args(["up", "--no-repl", "--port", "0", "--replicas"])
        .arg(replicas.to_string())
        .arg("--certs")
        .arg(certs)
        .arg("--data-dir")
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting `hearsay up`")?;
    let stderr = child.stderr.take().context("the cluster's stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let found = tokio::time::timeout(START_TIMEOUT, async {
        let mut seen = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = tracker_url_in(&line) {
                return Ok(url);
            }
            if seen.len() < 20 {
                seen.push(line);
            }
        }
        Err(seen.join("\n"))
    })
    .await;
    let tracker_url = match found {
        Ok(Ok(url)) => url,
        Ok(Err(said)) => anyhow::bail!("`hearsay up` stopped before it was ready:\n{said}"),
        Err(_) => anyhow::bail!("`hearsay up` did not come up within {START_TIMEOUT:?}"),
    };
    // Keep draining its stderr, so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Cluster {
        child,
        _dir: dir,
        tracker_url,
    })
}

/// The tracker URL in a line `hearsay up` prints (`... tracker ... http://HOST:PORT ...`).
fn tracker_url_in(line: &str) -> Option<String> {
    if !line.contains("tracker") {
        return None;
    }
    let start = line.find("http://")?;
    let url: String = line[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ')' && *c != ',')
        .collect();
    Some(url.trim_end_matches('/').to_owned())
}

impl Cluster {
    /// Stops the cluster: SIGTERM (it deregisters and flushes), SIGKILL if it
    /// has not stopped within five seconds.
    pub(super) async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_tracker_url() {
        assert_eq!(
            tracker_url_in("  tracker     http://127.0.0.1:40123 (HTTP)").as_deref(),
            Some("http://127.0.0.1:40123")
        );
        assert_eq!(
            tracker_url_in("  replica r1 http://127.0.0.1:1/metrics"),
            None
        );
    }
}
