//! `hearsay tracker` as a process, spoken to in plain HTTP/1.1 over a
//! `TcpStream`: the payload id with the token, 401 without, 400 for bad JSON.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::TempDir;

const HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

/// A `hearsay tracker` process on a port the system picks; killed on drop.
struct Tracker {
    child: Child,
    addr: String,
    certs: TempDir,
    _data: TempDir,
}

impl Tracker {
    fn start() -> Self {
        let certs = TempDir::new("tracker-certs");
        let data = TempDir::new("tracker-data");
        let mut child = common::hearsay()
            .args([
                "tracker",
                "--listen",
                "127.0.0.1:0",
                "--expiry",
                "5s",
                "--certs",
            ])
            .arg(certs.path())
            .arg("--data-dir")
            .arg(data.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hearsay tracker");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("hearsay tracker printed no address in 30 s");
            }
        };
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Self {
            child,
            addr,
            certs,
            _data: data,
        }
    }

    fn token(&self) -> String {
        std::fs::read_to_string(self.certs.path().join("admin.token"))
            .expect("the tracker made an admin token")
            .trim()
            .to_owned()
    }

    /// One HTTP/1.1 request; returns the status code and the body.
    fn request(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
        common::http::request(&self.addr, method, path, token, body)
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn tracker_answers_plain_http() {
    eprintln!("-- phase 1: start the tracker; it makes certificates and a token");
    let tracker = Tracker::start();
    let token = tracker.token();
    assert_eq!(token.len(), 64);
    let (status, body) = tracker.request("GET", "/healthz", None, "");
    assert_eq!(status, 200, "{body}");

    eprintln!("-- phase 2: the payload \"hello\" with the token gets its SHA-256 id");
    let (status, body) = tracker.request(
        "POST",
        "/v1/admin/payloads",
        Some(&token),
        r#"{"payload":"hello"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["ids"][0], HELLO);
    let (status, body) = tracker.request("GET", &format!("/v1/payloads/{HELLO}"), None, "");
    assert_eq!(status, 200);
    assert!(body.contains(r#""payload":"hello""#), "{body}");

    eprintln!("-- phase 3: without the token, 401; with bad JSON, 400 and a reason");
    let (status, body) =
        tracker.request("POST", "/v1/admin/payloads", None, r#"{"payload":"hello"}"#);
    assert_eq!(status, 401, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        json["error"].as_str().unwrap().contains("admin token"),
        "{body}"
    );
    let (status, body) = tracker.request(
        "POST",
        "/v1/admin/payloads",
        Some(&token),
        r#"{"payload": "#,
    );
    assert_eq!(status, 400, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        json["error"].as_str().unwrap().contains("malformed JSON"),
        "{body}"
    );

    #[cfg(unix)]
    {
        eprintln!("-- phase 4: SIGTERM stops it cleanly");
        let mut tracker = tracker;
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &tracker.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(killed.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = tracker.child.try_wait().unwrap() {
                assert!(status.success(), "exit status {status}");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still running 10 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
