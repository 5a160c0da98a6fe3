//! Helpers for black-box tests: a cluster in a child process and clients.

#![allow(dead_code)] // each test file uses a different part

pub(crate) mod http;
pub(crate) mod procs;
pub(crate) mod relay;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary under test.
pub(crate) fn hearsay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hearsay"))
}

/// A fresh directory, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        let n: u64 = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let dir =
            std::env::temp_dir().join(format!("hearsay-test-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// `hearsay up --no-repl` on ports the system picks; killed on drop.
pub(crate) struct Cluster {
    child: Child,
    /// The replicas' data directories (kept across `restart`).
    pub(crate) data: TempDir,
    pub(crate) frontend: String,
    /// `(name, address)` of each replica, as `up` printed them.
    pub(crate) replicas: Vec<(String, String)>,
    /// `(name, HTTP address)` of each replica (metrics, status, activity).
    pub(crate) replica_http: Vec<(String, String)>,
    /// The front end's HTTP address, if `up` printed one.
    pub(crate) frontend_http: Option<String>,
    pub(crate) certs: TempDir,
    /// The tracker's `HOST:PORT`, as `up` printed it.
    pub(crate) tracker: String,
    /// The live monitor's URL, as `up` printed it (`monitor: URL`).
    pub(crate) monitor: Option<String>,
}

/// The `HOST:PORT` after `http://` in a line, if any.
fn http_addr_in(line: &str) -> Option<String> {
    let rest = line.split("http://").nth(1)?;
    rest.split('/').next().map(str::to_owned)
}

impl Cluster {
    pub(crate) fn start(extra: &[&str]) -> Self {
        Self::start_in(TempDir::new("certs"), TempDir::new("data"), extra)
    }

    /// Like [`Cluster::start`], with the process's open descriptor limit
    /// (soft and hard, so the binary cannot raise it) set to `limit`.
    pub(crate) fn start_with_fd_limit(limit: u64, extra: &[&str]) -> Self {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_hearsay"));
        Self::start_cmd(cmd, TempDir::new("certs"), TempDir::new("data"), extra)
    }

    /// Kills the whole cluster with SIGKILL and starts it again on the same
    /// certificates and data directories.
    pub(crate) fn crash_and_restart(mut self, extra: &[&str]) -> Self {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let certs = std::mem::replace(&mut self.certs, TempDir(PathBuf::new()));
        let data = std::mem::replace(&mut self.data, TempDir(PathBuf::new()));
        Self::start_in(certs, data, extra)
    }

    fn start_in(certs: TempDir, data: TempDir, extra: &[&str]) -> Self {
        Self::start_cmd(hearsay(), certs, data, extra)
    }

    /// Starts `up` through `cmd` (the binary, or a wrapper that execs it).
    fn start_cmd(mut cmd: Command, certs: TempDir, data: TempDir, extra: &[&str]) -> Self {
        let mut child = cmd
            .args(["up", "--no-repl", "--port", "0", "--certs"])
            .arg(certs.path())
            .arg("--data-dir")
            .arg(data.path())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start hearsay up");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut frontend = None;
        let mut tracker = String::new();
        let mut frontend_http = None;
        let mut monitor = None;
        let mut seen: Vec<String> = Vec::new();
        while frontend.is_none() {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => {
                    // `up` prints the tracker before the front end.
                    if let Some(rest) = line.trim().strip_prefix("tracker") {
                        tracker = rest.trim().trim_start_matches("http://").to_owned();
                    }
                    if let Some(rest) = line.trim().strip_prefix("monitor: ") {
                        monitor = Some(rest.trim().to_owned());
                    }
                    if let Some(rest) = line.trim().strip_prefix("front end fe") {
                        frontend = rest.split_whitespace().next().map(str::to_owned);
                        frontend_http = http_addr_in(rest);
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("hearsay up did not come up; it said: {seen:#?}");
                }
            }
        }
        // `up` prints the replicas after the front end.
        let mut replicas = Vec::new();
        let mut replica_http = Vec::new();
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
            let mut words = line.split_whitespace();
            if words.next() == Some("replica") {
                if let (Some(n), Some(a)) = (words.next(), words.next()) {
                    replicas.push((n.to_owned(), a.to_owned()));
                    if let Some(h) = http_addr_in(&line) {
                        replica_http.push((n.to_owned(), h));
                    }
                }
            }
            if line.contains("press ctrl-c") {
                break;
            }
        }
        // Keep draining stderr so the child never blocks on a full pipe.
        std::thread::spawn(move || while rx.recv().is_ok() {});
        Self {
            child,
            data,
            frontend: frontend.unwrap(),
            replicas,
            replica_http,
            frontend_http,
            certs,
            tracker,
            monitor,
        }
    }

    /// Runs `hearsay client` with these commands as user `user`.
    pub(crate) fn client(&self, user: u32, extra: &[&str], commands: &[&str]) -> Output {
        let mut cmd = hearsay();
        cmd.args([
            "client",
            "--frontend",
            &self.frontend,
            "--user",
            &user.to_string(),
            "--certs",
        ])
        .arg(self.certs.path())
        .args(extra);
        for c in commands {
            cmd.args(["--exec", c]);
        }
        run_bounded(cmd, None)
    }

    /// Runs `hearsay client` reading `input` from a pipe.
    pub(crate) fn client_piped(&self, args: &[&str], input: &str) -> Output {
        let mut cmd = hearsay();
        cmd.args(["client", "--frontend", &self.frontend, "--certs"])
            .arg(self.certs.path())
            .args(args);
        run_bounded(cmd, Some(input))
    }
}

/// Waits until `n` replicas report the same value timestamp, have received
/// nothing more than they applied, and hold empty logs: gossip has quieted.
/// Panics after `limit`, showing the last status.
pub(crate) fn wait_converged(
    status: impl Fn() -> Vec<serde_json::Value>,
    n: usize,
    limit: Duration,
) -> Vec<serde_json::Value> {
    let start = std::time::Instant::now();
    loop {
        let s = status();
        let same = s.len() == n
            && s.iter().all(|r| {
                r["value_ts"] == s[0]["value_ts"]
                    && r["rep_ts"] == s[0]["value_ts"]
                    && r["log_len"] == 0
            });
        if same {
            return s;
        }
        assert!(
            start.elapsed() < limit,
            "not converged after {limit:?}: {s:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Cluster {
    /// Every replica's `status` JSON, through a fresh client.
    pub(crate) fn status(&self) -> Vec<serde_json::Value> {
        let out = self.client(1, &["--json"], &["status"]);
        let line = lines(&out).into_iter().next().unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or(serde_json::Value::Null);
        v["replicas"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until gossip has quieted (see [`wait_converged`]).
    pub(crate) fn wait_converged(&self, limit: Duration) -> Vec<serde_json::Value> {
        wait_converged(|| self.status(), self.replicas.len(), limit)
    }

    /// The resident memory of the cluster's process, in bytes (Linux).
    pub(crate) fn rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command with optional stdin, killing it after 60 s.
pub(crate) fn run_bounded(mut cmd: Command, input: Option<&str>) -> Output {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    if let Some(text) = input {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
    }
    wait_bounded(child)
}

/// Waits for a spawned command's output, killing it after 60 s.
pub(crate) fn wait_bounded(child: Child) -> Output {
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if done_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    });
    let out = child.wait_with_output().expect("wait");
    let _ = done_tx.send(());
    out
}

/// Standard output as lines.
pub(crate) fn lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Polls `probe` every 100 ms until `check` holds and returns that value;
/// panics with `what` and the last value after `limit`.
pub(crate) fn eventually<T: std::fmt::Debug>(
    what: &str,
    limit: Duration,
    mut probe: impl FnMut() -> T,
    check: impl Fn(&T) -> bool,
) -> T {
    let start = Instant::now();
    loop {
        let v = probe();
        if check(&v) {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "not within {limit:?}: {what}; last: {v:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
