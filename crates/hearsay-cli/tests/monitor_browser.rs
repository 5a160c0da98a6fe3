//! The live monitor in a real headless Chromium, driven through
//! chromedriver's WebDriver HTTP API: a new key's cell turns `new` (green),
//! a changed value's `changed` (blue), the page loads nothing from
//! elsewhere, and a screenshot is saved as `target/monitor.png`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (CI installs them); when
//! they are missing the test fails and says how to install them.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::http::get;
use common::{Cluster, TempDir};
use serde_json::{Value, json};

const INSTALL: &str = "apt-get install -y --no-install-recommends chromium chromium-driver";

/// The first of `names` found on `PATH`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// chromedriver on a port the system picks; killed on drop.
struct Driver {
    child: Child,
    addr: String,
}

impl Driver {
    fn start(exe: &PathBuf) -> Self {
        let mut child = Command::new(exe)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", exe.display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let port = loop {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => {
                    if let Some(rest) = line.split("started successfully on port ").nth(1) {
                        break rest.trim_end_matches('.').trim().to_owned();
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("chromedriver did not start; it said: {seen:#?}");
                }
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || while rx.recv().is_ok() {});
        Self {
            child,
            addr: format!("127.0.0.1:{port}"),
        }
    }

    /// A WebDriver command: `value` of the answer, which must be 200.
    fn call(&self, method: &str, path: &str, body: &Value) -> Value {
        let body = if method == "GET" || method == "DELETE" {
            String::new()
        } else {
            body.to_string()
        };
        let (status, answer) = exchange(&self.addr, method, path, &body);
        let v: Value = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {answer}"));
        assert_eq!(status, 200, "{method} {path}: {v}");
        v["value"].clone()
    }
}

/// One HTTP/1.1 request to chromedriver; reads the answer by its
/// `Content-Length` (chromedriver may keep the connection open).
fn exchange(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).expect("a status line");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {status_line:?}"));
    let mut length = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a header line");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut answer = Vec::new();
    match length {
        Some(n) => {
            answer.resize(n, 0);
            reader.read_exact(&mut answer).expect("the answer's body");
        }
        None => {
            reader.read_to_end(&mut answer).expect("the answer's body");
        }
    }
    (status, String::from_utf8_lossy(&answer).into_owned())
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session; closed on drop.
struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl<'a> Session<'a> {
    fn open(driver: &'a Driver, chromium: &PathBuf, profile: &TempDir) -> Self {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-default-apps", "--disable-sync", "--disable-extensions",
                    "--no-first-run", "--no-default-browser-check", "--metrics-recording-only",
                    "--window-size=1280,800",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        }}});
        let v = driver.call("POST", "/session", &caps);
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {v}"))
            .to_owned();
        Self { driver, id }
    }

    fn call(&self, method: &str, what: &str, body: &Value) -> Value {
        self.driver
            .call(method, &format!("/session/{}/{what}", self.id), body)
    }

    /// Runs `script` (a function body) in the page with `args`.
    fn run(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "execute/sync",
            &json!({"script": script, "args": args}),
        )
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.id);
        let _ = exchange(&self.driver.addr, "DELETE", &path, "");
    }
}

/// What each node's card shows for `key`: `{node: {class, value}}`.
const CELLS: &str = r#"
const out = {};
for (const card of document.querySelectorAll("section.node")) {
  for (const tr of card.querySelectorAll("tr")) {
    if (tr.dataset.key === arguments[0]) {
      const td = tr.querySelector("td.v");
      out[card.dataset.node] = { class: td.className, value: td.textContent };
    }
  }
}
return out;
"#;

/// Polls `CELLS` for `key` until every replica's cell has `class` and
/// `value` (each seen at least once so, while the class lasts), or panics
/// after `limit`.
fn wait_for_class(s: &Session<'_>, replicas: &[String], key: &str, class: &str, value: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen: Vec<String> = Vec::new();
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = s.run(CELLS, json!([key]));
        for r in replicas {
            let cell = &last[r.as_str()];
            let classes = cell["class"].as_str().unwrap_or("");
            if classes.split_whitespace().any(|c| c == class)
                && cell["value"] == value
                && !seen.contains(r)
            {
                seen.push(r.clone());
            }
        }
        if replicas.iter().all(|r| seen.contains(r)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "the cell of {key:?} did not show class {class:?} with {value:?} at every replica (seen at {seen:?}); last: {last}"
    );
}

/// Standard base64 (what WebDriver screenshots are in).
fn base64_decode(text: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= u32::from(val(*c)) << (18 - 6 * i);
        }
        let b = n.to_be_bytes();
        out.extend_from_slice(&b[1..chunk.len()]);
    }
    out
}

/// `target/` (the binary under test lives in `target/<profile>/`).
fn target_dir() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_hearsay"));
    exe.parent()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .expect("the binary is in target/<profile>/")
}

#[test]
fn a_new_key_flashes_green_and_a_changed_value_blue_in_headless_chromium() {
    let chromium = on_path(&["chromium", "chromium-browser"]);
    let chromedriver = on_path(&["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        panic!(
            "the monitor's browser test needs Chromium and chromedriver; install them with: {INSTALL}"
        );
    };

    eprintln!("phase: a cluster with its tracker, and the page");
    let cluster = Cluster::start(&[]);
    let url = cluster
        .monitor
        .clone()
        .expect("hearsay up prints `monitor: URL`");
    assert_eq!(url, format!("http://{}/monitor", cluster.tracker));
    let (status, html) = get(&cluster.tracker, "/monitor");
    assert_eq!(status, 200);
    for scheme in ["http://", "https://", "//fonts.", "cdn"] {
        assert!(
            !html.contains(scheme),
            "the page names {scheme:?}: it must load nothing from elsewhere"
        );
    }
    let replicas: Vec<String> = cluster.replicas.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(replicas.len(), 3);

    eprintln!("phase: headless Chromium opens the monitor");
    let driver = Driver::start(&chromedriver);
    let profile = TempDir::new("chromium");
    let s = Session::open(&driver, &chromium, &profile);
    s.call("POST", "url", &json!({ "url": url }));
    // Every replica's card shows its data (a seeded rating) first.
    wait_for_class(&s, &replicas, "Toy Story (1995) · user 1", "v", "4");

    eprintln!("phase: a new key turns green at every replica");
    let key = "Toy Story (1995) · user 77";
    let out = cluster.client(77, &[], &["rate Toy Story 4.5"]);
    assert!(out.status.success(), "{out:?}");
    wait_for_class(&s, &replicas, key, "new", "4.5");

    eprintln!("phase: a changed value turns blue");
    let out = cluster.client(77, &[], &["rate Toy Story 2"]);
    assert!(out.status.success(), "{out:?}");
    wait_for_class(&s, &replicas, key, "changed", "2");

    eprintln!("phase: unchanged cells stay plain");
    let plain = s.run(CELLS, json!(["Toy Story (1995) · user 1"]));
    for r in &replicas {
        assert_eq!(plain[r.as_str()]["class"], "v", "{plain}");
    }

    eprintln!("phase: another new key, so the screenshot shows both colours");
    let out = cluster.client(78, &[], &["rate Toy Story 3"]);
    assert!(out.status.success(), "{out:?}");
    wait_for_class(&s, &replicas, "Toy Story (1995) · user 78", "new", "3");

    eprintln!("phase: nothing came from elsewhere");
    let origin = format!("http://{}/", cluster.tracker);
    let loaded = s.run(
        "return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name));",
        json!([]),
    );
    for name in loaded.as_array().expect("a list") {
        let name = name.as_str().unwrap_or_default();
        assert!(
            name.starts_with(&origin),
            "the page loaded {name}, not from {origin}"
        );
    }

    eprintln!("phase: a screenshot for people");
    let png = base64_decode(
        s.call("GET", "screenshot", &Value::Null)
            .as_str()
            .expect("base64"),
    );
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let path = target_dir().join("monitor.png");
    std::fs::write(&path, &png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    eprintln!("saved {}", path.display());
}
