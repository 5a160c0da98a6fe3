//! `hearsay chat` as separate processes over loopback: five peers joined
//! through different peers (one late) print the same lines, each once, with
//! replies after what they answer; a peer whose `--join` nobody answers
//! starts its own network and sees nothing of the first; EOF exits 0.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{TempDir, hearsay};

/// Generous: five debug processes share a busy machine.
const DEADLINE: Duration = Duration::from_secs(90);

/// One `hearsay chat` process: its stdin, and its stdout lines as they come.
struct ChatPeer {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: String,
    lines: mpsc::Receiver<String>,
    /// Every line printed after `listening on`, in order.
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl ChatPeer {
    fn start(certs: &TempDir, join: Option<&str>) -> Self {
        let mut cmd = hearsay();
        cmd.args(["chat", "--listen", "127.0.0.1:0", "--certs"])
            .arg(certs.path());
        if let Some(j) = join {
            cmd.args(["--join", j]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hearsay chat");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let first = rx.recv_timeout(DEADLINE).expect("a first line");
        let addr = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line {first:?}"))
            .to_owned();
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            addr,
            lines: rx,
            seen: Vec::new(),
            stderr,
        }
    }

    /// Waits until the peer has said (on stderr) how it came in.
    fn wait_joined(&self) -> String {
        let start = Instant::now();
        loop {
            let err = self.stderr.lock().unwrap().clone();
            if err.contains("joined the network") || err.contains("new network") {
                return err;
            }
            assert!(start.elapsed() < DEADLINE, "never joined: {err}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn say(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{text}").unwrap();
        stdin.flush().unwrap();
    }

    /// Reads lines until every one of `wanted` has been printed.
    fn wait_for(&mut self, wanted: &[&str]) {
        let start = Instant::now();
        while !wanted.iter().all(|w| self.seen.iter().any(|s| s == w)) {
            let left = DEADLINE.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left.max(Duration::from_millis(1))) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "peer {} printed {:?}, not all of {wanted:?}; stderr:\n{}",
                    self.addr,
                    self.seen,
                    self.stderr.lock().unwrap()
                ),
            }
        }
    }

    /// Reads whatever else arrives within `quiet`.
    fn drain(&mut self, quiet: Duration) {
        while let Ok(line) = self.lines.recv_timeout(quiet) {
            self.seen.push(line);
        }
    }

    /// Closes stdin and waits (bounded) for the exit status.
    fn eof(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > DEADLINE {
                let _ = self.child.kill();
                panic!("did not exit after EOF");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn index_of(&self, line: &str) -> usize {
        self.seen
            .iter()
            .position(|s| s == line)
            .unwrap_or_else(|| panic!("{line:?} not printed by {}", self.addr))
    }
}

impl Drop for ChatPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn five_peers_print_the_same_lines_once_with_replies_after_what_they_answer() {
    let certs = TempDir::new("chat");
    eprintln!("phase 1: four peers, each joining through a different one");
    let mut a = ChatPeer::start(&certs, None);
    assert!(a.wait_joined().contains("starting a new network"));
    let mut b = ChatPeer::start(&certs, Some(&a.addr));
    let b_err = b.wait_joined();
    assert!(b_err.contains("joined the network through"), "{b_err}");
    let mut c = ChatPeer::start(&certs, Some(&b.addr));
    c.wait_joined();
    let mut d = ChatPeer::start(&certs, Some(&c.addr));
    d.wait_joined();

    eprintln!("phase 2: a question, an answer typed after seeing it, and a concurrent line");
    a.say("anyone there?");
    for p in [&mut a, &mut b, &mut c, &mut d] {
        p.wait_for(&["anyone there?"]);
    }
    c.say("yes, here");
    d.say("hello from d");
    for p in [&mut a, &mut b, &mut c, &mut d] {
        p.wait_for(&["anyone there?", "yes, here", "hello from d"]);
    }

    eprintln!("phase 3: a late peer joins through the fourth and catches up");
    let mut e = ChatPeer::start(&certs, Some(&d.addr));
    e.wait_joined();
    e.wait_for(&["anyone there?", "yes, here", "hello from d"]);
    e.say("sorry I'm late");
    b.wait_for(&["sorry I'm late"]);
    b.say("welcome, late one");
    let all = [
        "anyone there?",
        "yes, here",
        "hello from d",
        "sorry I'm late",
        "welcome, late one",
    ];
    let mut peers = [a, b, c, d, e];
    for p in peers.iter_mut() {
        p.wait_for(&all);
    }
    for p in peers.iter_mut() {
        p.drain(Duration::from_millis(500));
    }

    eprintln!("phase 4: same set everywhere, each line once, replies after what they answer");
    let expected: BTreeSet<&str> = all.into_iter().collect();
    for p in &peers {
        let set: BTreeSet<&str> = p.seen.iter().map(String::as_str).collect();
        assert_eq!(set, expected, "peer {}", p.addr);
        assert_eq!(
            p.seen.len(),
            all.len(),
            "each line once at {}: {:?}",
            p.addr,
            p.seen
        );
        assert!(p.index_of("anyone there?") < p.index_of("yes, here"));
        assert!(p.index_of("sorry I'm late") < p.index_of("welcome, late one"));
    }
    for p in peers {
        let addr = p.addr.clone();
        assert!(p.eof().success(), "peer {addr} exits 0 at EOF");
    }
}

#[test]
fn a_peer_nobody_answers_starts_its_own_network_and_sees_nothing_of_the_first() {
    let certs = TempDir::new("chat-alone");
    let mut a = ChatPeer::start(&certs, None);
    a.wait_joined();
    let mut b = ChatPeer::start(&certs, Some(&a.addr));
    b.wait_joined();
    // A port nothing listens on: a UDP socket bound, then dropped.
    let dead = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().to_string()
    };
    let mut alone = ChatPeer::start(&certs, Some(&dead));
    let err = alone.wait_joined();
    assert!(
        err.contains("nobody answered") && err.contains("starting a new network"),
        "{err}"
    );
    let invalid = ChatPeer::start(&certs, Some("not-an-address"));
    let err = invalid.wait_joined();
    assert!(
        err.contains("not a valid HOST:PORT") && err.contains("starting a new network"),
        "{err}"
    );

    a.say("for the first network");
    alone.say("on my own");
    b.wait_for(&["for the first network"]);
    alone.wait_for(&["on my own"]);
    b.say("still the first");
    a.wait_for(&["for the first network", "still the first"]);
    alone.drain(Duration::from_secs(2));
    b.drain(Duration::from_millis(200));
    assert_eq!(
        alone.seen,
        vec!["on my own".to_owned()],
        "nothing of the first network"
    );
    assert!(!b.seen.iter().any(|l| l == "on my own"));
    for p in [a, b, alone, invalid] {
        assert!(p.eof().success());
    }
}

#[test]
fn a_listen_address_others_cannot_reach_is_refused_with_one_clear_error() {
    let certs = TempDir::new("chat-listen");
    let mut cmd = hearsay();
    cmd.args(["chat", "--listen", "0.0.0.0:0", "--certs"])
        .arg(certs.path());
    let out = common::run_bounded(cmd, Some(""));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot listen on 0.0.0.0:0") && err.contains("peers are named"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout");
}
