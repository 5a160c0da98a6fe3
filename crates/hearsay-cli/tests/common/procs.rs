//! A cluster of separate processes (`hearsay replica` ×N, `hearsay frontend`,
//! and with [`Procs::start_with_tracker`] a `hearsay tracker` they register
//! with) whose replicas can be killed, restarted and cut off one by one.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::{TempDir, hearsay, run_bounded};

/// A port the system just gave out on loopback (bound to port 0, then freed)
/// so that a restarted replica comes back at the same address.
fn free_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

/// A TCP port the system just gave out on loopback (for HTTP).
fn free_tcp_port() -> u16 {
    let s = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

/// Spawns `cmd` and waits until its stdout says it is listening.
fn spawn_ready(cmd: Command) -> Child {
    spawn_ready_line(cmd).0
}

/// Spawns `cmd`, waits until its stdout says it is listening, and returns
/// that line too.
fn spawn_ready_line(mut cmd: Command) -> (Child, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(line) if line.contains("listening on") => (child, line),
        other => {
            let _ = child.kill();
            panic!("node did not start: {other:?}");
        }
    }
}

pub(crate) struct Procs {
    pub(crate) dir: TempDir,
    ports: Vec<u16>,
    /// How many replicas get each other as `--peer` (the first ones);
    /// replicas added later know only the tracker.
    fixed: usize,
    fe_port: u16,
    /// Each replica's HTTP port, and the front end's.
    http_ports: Vec<u16>,
    fe_http_port: u16,
    /// Flags every replica is started with besides the usual ones.
    replica_args: Vec<String>,
    replicas: Vec<Option<Child>>,
    fe: Option<Child>,
    tracker: Option<Child>,
    /// The tracker's `HOST:PORT`, when there is one.
    pub(crate) tracker_addr: Option<String>,
    /// Where a dialer (`r1`.., `fe`) reaches replica `i` when that is not
    /// the replica's own address: a relay in front of it (see
    /// [`Procs::start_routed`]).
    routes: BTreeMap<(String, usize), SocketAddr>,
}

/// Chooses where `dialer` (`r1`.., `fe`) reaches replica `i`, which listens at
/// the given address; see [`Procs::start_routed`].
pub(crate) type Router<'a> = &'a mut dyn FnMut(&str, usize, SocketAddr) -> SocketAddr;

impl Procs {
    pub(crate) fn start(n: usize) -> Self {
        Self::start_inner(n, None, &[], None)
    }

    /// `n` replicas and a front end (no tracker) in which every QUIC link to
    /// a replica goes where `route` says: `route(dialer, i, addr)` is the
    /// address at which `dialer` (`r1`.., `fe`) reaches replica `i`
    /// (0-based), which listens at `addr`, such as a relay in front of it.
    /// Asked once per link, before anything starts.
    pub(crate) fn start_routed(n: usize, route: Router<'_>) -> Self {
        Self::start_inner(n, None, &[], Some(route))
    }

    /// A tracker (peers expire after `expiry`, e.g. `"3s"`) first, then `n`
    /// replicas and a front end that know each other by flags and also
    /// register with the tracker and follow its list.
    pub(crate) fn start_with_tracker(n: usize, expiry: &str) -> Self {
        Self::start_inner(n, Some(expiry), &[], None)
    }

    /// `n` replicas started with `replica_args` too, and a front end.
    pub(crate) fn start_with(n: usize, replica_args: &[&str]) -> Self {
        Self::start_inner(n, None, replica_args, None)
    }

    fn start_inner(
        n: usize,
        tracker_expiry: Option<&str>,
        replica_args: &[&str],
        route: Option<Router<'_>>,
    ) -> Self {
        let dir = TempDir::new("procs");
        let mut names: Vec<String> = (1..=n).map(|i| format!("r{i}")).collect();
        names.extend([
            "fe".to_string(),
            "client".to_string(),
            "tracker".to_string(),
        ]);
        let mut init = hearsay();
        init.args(["certs", "init", "--dir"])
            .arg(dir.path().join("certs"))
            .args(["--nodes", &names.join(",")]);
        assert!(run_bounded(init, None).status.success());
        let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let mut me = Self {
            dir,
            ports,
            fixed: n,
            fe_port: free_port(),
            http_ports: (0..n).map(|_| free_tcp_port()).collect(),
            fe_http_port: free_tcp_port(),
            replica_args: replica_args.iter().map(|s| s.to_string()).collect(),
            replicas: (0..n).map(|_| None).collect(),
            fe: None,
            tracker: None,
            tracker_addr: None,
            routes: BTreeMap::new(),
        };
        if let Some(route) = route {
            let dialers = (1..=n).map(|i| format!("r{i}")).chain(["fe".to_string()]);
            for dialer in dialers {
                for (i, p) in me.ports.iter().enumerate() {
                    if dialer != format!("r{}", i + 1) {
                        let at = route(&dialer, i, SocketAddr::from(([127, 0, 0, 1], *p)));
                        me.routes.insert((dialer.clone(), i), at);
                    }
                }
            }
        }
        if let Some(expiry) = tracker_expiry {
            let mut t = hearsay();
            t.args(["tracker", "--listen", "127.0.0.1:0", "--expiry", expiry])
                .arg("--certs")
                .arg(me.dir.path().join("certs"))
                .arg("--data-dir")
                .arg(me.dir.path().join("tracker"));
            let (child, line) = spawn_ready_line(t);
            let addr = line
                .split("http://")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_else(|| panic!("no address in {line:?}"))
                .to_owned();
            me.tracker = Some(child);
            me.tracker_addr = Some(addr);
        }
        for i in 0..n {
            me.start_replica(i);
        }
        let mut fe = hearsay();
        fe.args([
            "frontend",
            "--listen",
            &format!("127.0.0.1:{}", me.fe_port),
            "--http",
            &format!("127.0.0.1:{}", me.fe_http_port),
            "--certs",
        ])
        .arg(me.dir.path().join("certs"));
        for i in 0..n {
            fe.args(["--replica", &format!("r{}={}", i + 1, me.dial("fe", i))]);
        }
        if let Some(t) = &me.tracker_addr {
            fe.args(["--tracker", &format!("http://{t}")]);
        }
        me.fe = Some(spawn_ready(fe));
        me
    }

    /// Starts one more replica, `r<n+1>`, that knows only the tracker (no
    /// `--peer`); returns its index. It has its own certificate, made on
    /// start.
    pub(crate) fn add_replica_by_tracker(&mut self) -> usize {
        assert!(self.tracker_addr.is_some(), "no tracker to join through");
        self.ports.push(free_port());
        self.http_ports.push(free_tcp_port());
        self.replicas.push(None);
        let i = self.ports.len() - 1;
        self.start_replica(i);
        i
    }

    /// Replica `i`'s HTTP address (`HOST:PORT`: status, metrics, activity).
    pub(crate) fn http_addr(&self, i: usize) -> String {
        format!("127.0.0.1:{}", self.http_ports[i])
    }

    /// The admin token.
    pub(crate) fn token(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("certs").join("admin.token"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// SIGTERM to replica `i`, and waits (bounded) for it to exit.
    pub(crate) fn term(&mut self, i: usize) -> std::process::ExitStatus {
        let mut c = self.replicas[i].take().expect("replica running");
        let sent = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = c.try_wait().unwrap() {
                return status;
            }
            if std::time::Instant::now() > deadline {
                let _ = c.kill();
                panic!("replica {} still running 15 s after SIGTERM", i + 1);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn isolate_file(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("isolate-r{}", i + 1))
    }

    /// Starts (or restarts) replica `i` (0-based) at its address and data directory.
    pub(crate) fn start_replica(&mut self, i: usize) {
        let mut cmd = hearsay();
        cmd.args(["replica", "--name", &format!("r{}", i + 1)])
            .args(["--listen", &format!("127.0.0.1:{}", self.ports[i])])
            .arg("--certs")
            .arg(self.dir.path().join("certs"))
            .arg("--data-dir")
            .arg(self.dir.path().join(format!("data-r{}", i + 1)))
            .arg("--isolate-file")
            .arg(self.isolate_file(i))
            .args(["--http", &format!("127.0.0.1:{}", self.http_ports[i])])
            .args(&self.replica_args);
        if i < self.fixed {
            let me = format!("r{}", i + 1);
            for j in (0..self.fixed).filter(|j| *j != i) {
                cmd.args(["--peer", &format!("r{}={}", j + 1, self.dial(&me, j))]);
            }
        }
        if let Some(t) = &self.tracker_addr {
            cmd.args(["--tracker", &format!("http://{t}")]);
        }
        self.replicas[i] = Some(spawn_ready(cmd));
    }

    /// Where `dialer` reaches replica `i`: its route, or its own address.
    fn dial(&self, dialer: &str, i: usize) -> SocketAddr {
        self.routes
            .get(&(dialer.to_owned(), i))
            .copied()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], self.ports[i])))
    }

    /// The front end's HTTP address.
    pub(crate) fn frontend_http(&self) -> String {
        format!("127.0.0.1:{}", self.fe_http_port)
    }

    /// The front end's QUIC address.
    pub(crate) fn frontend(&self) -> String {
        format!("127.0.0.1:{}", self.fe_port)
    }

    /// SIGKILL to replica `i`.
    pub(crate) fn kill9(&mut self, i: usize) {
        if let Some(mut c) = self.replicas[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Cuts replica `i` off from its peers (or heals it).
    pub(crate) fn isolate(&self, i: usize, on: bool) {
        let f = self.isolate_file(i);
        if on {
            std::fs::write(&f, b"").unwrap();
        } else {
            let _ = std::fs::remove_file(&f);
        }
        std::thread::sleep(Duration::from_millis(150)); // the switch polls every 50 ms
    }

    /// `hearsay client` started in the background (stdout piped).
    pub(crate) fn client_spawn(&self, user: u32, extra: &[&str], commands: &[String]) -> Child {
        let mut cmd = self.client_command(user, extra, commands);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap()
    }

    fn client_command(&self, user: u32, extra: &[&str], commands: &[String]) -> Command {
        let mut cmd = hearsay();
        cmd.args([
            "client",
            "--frontend",
            &format!("127.0.0.1:{}", self.fe_port),
            "--user",
            &user.to_string(),
        ])
        .arg("--certs")
        .arg(self.dir.path().join("certs"))
        .args(extra);
        for c in commands {
            cmd.args(["--exec", c]);
        }
        cmd
    }

    pub(crate) fn client(&self, user: u32, extra: &[&str], commands: &[String]) -> Output {
        run_bounded(self.client_command(user, extra, commands), None)
    }

    /// The `status` JSON of every replica.
    pub(crate) fn status(&self) -> Vec<serde_json::Value> {
        let out = self.client(1, &["--json"], &["status".to_string()]);
        let line = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or(serde_json::Value::Null);
        v["replicas"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until gossip has quieted (see [`super::wait_converged`]).
    pub(crate) fn wait_converged(&self, limit: Duration) -> Vec<serde_json::Value> {
        super::wait_converged(|| self.status(), self.ports.len(), limit)
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for c in self
            .replicas
            .iter_mut()
            .chain([&mut self.fe, &mut self.tracker])
        {
            if let Some(c) = c.as_mut() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}
