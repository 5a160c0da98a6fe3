//! QUIC through a bad network. Real `hearsay` processes on loopback (three
//! replicas and a front end), with every replica↔replica and
//! front-end↔replica link passing through a UDP relay (`common/relay.rs`)
//! that delays, jitters, drops, duplicates, reorders and cuts datagrams.
//! Clients reach the front end directly; replicas' HTTP status is read
//! directly. Waits are bounded polls; nothing asserts on speed.
//!
//! The measured times are printed; to see them (README, "Through a lossy
//! network"):
//!
//! ```sh
//! cargo test -p hearsay-cli --test lossy_network -- --nocapture
//! ```

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::http::get_json;
use common::lines;
use common::procs::Procs;
use common::relay::{DirectionStats, Faults, Link, Network};
use serde_json::Value;

/// The conditions of the issue: 50 ms ± 20 ms one way, 2 % loss, each
/// direction of each link.
fn wan() -> Faults {
    Faults::wan(50, 20, 0.02)
}

/// A cluster of `n` replicas and a front end whose links all go through
/// relays with `faults`.
struct Lossy {
    /// Declared first so the processes stop before the relays do.
    procs: Procs,
    /// One per directed link, named `DIALER->rI`.
    links: Vec<Link>,
    /// The runtime the relays run on; dropping it stops them.
    _net: Network,
    n: usize,
}

impl Lossy {
    fn start(n: usize, faults: Faults, seed: u64) -> Self {
        let mut net = Network::new(seed);
        let mut links = Vec::new();
        let procs = Procs::start_routed(n, &mut |dialer: &str, i: usize, addr: SocketAddr| {
            let link = net.link(&format!("{dialer}->r{}", i + 1), addr, faults);
            let at = link.addr();
            links.push(link);
            at
        });
        Self {
            procs,
            links,
            _net: net,
            n,
        }
    }

    /// Every replica's `/v1/status`, read over HTTP (not through a relay).
    fn status(&self) -> Vec<Value> {
        (0..self.n)
            .map(|i| get_json(&self.procs.http_addr(i), "/v1/status"))
            .collect()
    }

    /// Cuts (or heals) every link to and from replica `name`.
    fn cut(&self, name: &str, on: bool) {
        let to = format!("->{name}");
        let from = format!("{name}->");
        for l in &self.links {
            if l.name().ends_with(&to) || l.name().starts_with(&from) {
                l.cut(on);
            }
        }
    }

    /// The counts of every link, both directions added up.
    fn totals(&self) -> DirectionStats {
        let mut t = DirectionStats::default();
        for l in &self.links {
            let (a, b) = l.stats();
            for d in [a, b] {
                t.received += d.received;
                t.delivered += d.delivered;
                t.lost += d.lost;
                t.cut += d.cut;
                t.duplicated += d.duplicated;
                t.reordered += d.reordered;
                t.overflow += d.overflow;
            }
        }
        t
    }

    fn average(&self, prefer: &str, title: &str) -> String {
        let out = self
            .procs
            .client(1, &["--prefer", prefer], &[format!("average {title}")]);
        lines(&out).join("\n")
    }
}

/// `n` rate commands by users `first..first+n`, the rating cycling 1..5.
fn ratings(title: &str, first: u32, n: u32) -> Vec<String> {
    (0..n)
        .flat_map(|k| {
            [
                format!("user {}", first + k),
                format!("rate {title} {}", k % 5 + 1),
            ]
        })
        .collect()
}

/// Runs `commands` as one client session preferring each of `prefer` at
/// once, and returns each session's acknowledged ratings of `title`.
fn rate_in_parallel(c: &Lossy, title: &str, prefer: &[(&str, u32)], n: u32) -> Vec<usize> {
    let children: Vec<_> = prefer
        .iter()
        .map(|(r, first)| {
            c.procs
                .client_spawn(1, &["--prefer", r], &ratings(title, *first, n))
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = common::wait_bounded(child);
            let got = lines(&out);
            assert!(
                out.status.success(),
                "client failed: {got:?} {}",
                String::from_utf8_lossy(&out.stderr)
            );
            got.iter()
                .filter(|l| l.contains(&format!(" rated {title}")))
                .count()
        })
        .collect()
}

/// A vector timestamp as `(replica, count)` pairs.
fn ts(v: &Value) -> Vec<(String, u64)> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether timestamp `a` has seen everything `b` has.
fn covers(a: &Value, b: &Value) -> bool {
    ts(b).iter().all(|(k, n)| a[k].as_u64().unwrap_or(0) >= *n)
}

/// Every replica holds the same value timestamp (it has applied the same
/// updates).
fn same_value(s: &[Value]) -> bool {
    s.iter().all(|r| r["value_ts"] == s[0]["value_ts"])
}

/// Gossip has quieted: the same value everywhere, nothing received but not
/// applied, and empty logs (every replica knows every other has it all).
fn quiet(s: &[Value]) -> bool {
    same_value(s)
        && s.iter()
            .all(|r| r["rep_ts"] == s[0]["value_ts"] && r["log_len"] == 0)
}

/// Polls `status` every 20 ms until `done` holds; how long after `since`
/// that was. Panics `limit` after `since`, showing the last status.
fn time_until(
    since: Instant,
    status: impl Fn() -> Vec<Value>,
    done: impl Fn(&[Value]) -> bool,
    limit: Duration,
    what: &str,
) -> Duration {
    loop {
        let s = status();
        if done(&s) {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < limit,
            "{what}: not reached after {limit:?}: {s:#?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pointwise maximum of the replicas' value timestamps.
fn merged(s: &[Value]) -> Value {
    let mut m = serde_json::Map::new();
    for r in s {
        for (k, n) in ts(&r["value_ts"]) {
            let old = m.get(&k).and_then(Value::as_u64).unwrap_or(0);
            m.insert(k, Value::from(old.max(n)));
        }
    }
    Value::Object(m)
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

#[test]
fn the_movies_cluster_works_and_converges_through_delay_jitter_and_loss() {
    let c = Lossy::start(3, wan(), 0x5EED_0001);
    eprintln!("phase: 30 ratings of Memento, 10 through each replica, three sessions at once");
    let acked = rate_in_parallel(
        &c,
        "Memento",
        &[("r1", 1000), ("r2", 2000), ("r3", 3000)],
        10,
    );
    let last_ack = Instant::now();
    assert_eq!(acked, [10, 10, 10], "every rating acknowledged");

    eprintln!("phase: every replica converges");
    let limit = Duration::from_secs(30);
    let applied = time_until(last_ack, || c.status(), same_value, limit, "same value");
    let drained = time_until(last_ack, || c.status(), quiet, limit, "logs drained");
    for r in ["r1", "r2", "r3"] {
        let line = c.average(r, "Memento");
        // Memento has no ratings in the sample: exactly the 30 acknowledged.
        assert!(line.ends_with("from 30 ratings"), "at {r}: {line}");
    }

    eprintln!("phase: one update at a time, from r1 until r2 and r3 have it");
    let mut spread = Vec::new();
    let mut calls = Vec::new();
    for k in 0..10u32 {
        let called = Instant::now();
        let out = c.procs.client(
            1,
            &["--prefer", "r1"],
            &[format!("user {}", 4000 + k), "rate Heat 4".to_string()],
        );
        assert!(
            lines(&out).iter().any(|l| l.contains(" rated Heat")),
            "{:?}",
            lines(&out)
        );
        let acked_at = Instant::now();
        // A new client process: connect to the front end (directly), then
        // the title's lookup and the rating, each a round trip through a
        // relay of at least 2 × 30 ms.
        calls.push(acked_at - called);
        assert!(
            acked_at - called >= Duration::from_millis(120),
            "a rating answered faster than the relays allow: {:?}",
            acked_at - called
        );
        // The update is at the replica that took it, at least.
        let target = merged(&c.status());
        spread.push(time_until(
            acked_at,
            || c.status(),
            |s| s.iter().all(|r| covers(&r["value_ts"], &target)),
            limit,
            "one update everywhere",
        ));
    }
    spread.sort();
    calls.sort();
    let mid = |v: &[Duration]| ms(v[v.len() / 2]);

    let t = c.totals();
    println!("through 50 ms ± 20 ms one way and 2 % loss on every link (3 replicas, front end):");
    println!(
        "  30 ratings from 3 sessions at once: at every replica {} ms after the last \
         acknowledgement, logs drained after {} ms",
        ms(applied),
        ms(drained)
    );
    println!(
        "  one rating through r1, {} times: the client call (new process, look up, rate) \
         took {} / {} / {} ms (min / median / max); r1, r2 and r3 all had it {} / {} / {} ms \
         after the client had its acknowledgement",
        spread.len(),
        ms(calls[0]),
        mid(&calls),
        ms(calls[calls.len() - 1]),
        ms(spread[0]),
        mid(&spread),
        ms(spread[spread.len() - 1]),
    );
    println!(
        "  relays: {} datagrams received, {} delivered, {} lost, {} dropped on a full queue",
        t.received, t.delivered, t.lost, t.overflow
    );
    // The run really went through the relays, and really lost datagrams.
    for l in &c.links {
        let (there, back) = l.stats();
        assert!(
            there.delivered > 0 && back.delivered > 0,
            "{} carried nothing: {there:?} {back:?}",
            l.name()
        );
    }
    assert!(t.lost > 0, "no datagram was lost: {t:?}");
}

#[test]
fn a_partition_under_loss_heals_with_nothing_acknowledged_lost() {
    let c = Lossy::start(3, wan(), 0x5EED_0002);
    eprintln!("phase: r3 is cut off from r1, r2 and the front end");
    // Wait until the cluster is connected and quiet, so r3's value
    // timestamp before the cut is final.
    let start = Instant::now();
    time_until(
        start,
        || c.status(),
        quiet,
        Duration::from_secs(30),
        "quiet at start",
    );
    let before = c.status()[2]["value_ts"].clone();
    c.cut("r3", true);
    let cut_at = Instant::now();

    eprintln!("phase: 20 ratings of Inception through the majority (r1, r2)");
    let acked = rate_in_parallel(&c, "Inception", &[("r1", 5000), ("r2", 6000)], 10);
    assert_eq!(
        acked,
        [10, 10],
        "every rating through the majority acknowledged"
    );
    let majority = || {
        let s = c.status();
        vec![s[0].clone(), s[1].clone()]
    };
    time_until(
        Instant::now(),
        majority,
        same_value,
        Duration::from_secs(30),
        "r1 and r2 agree",
    );
    let s = c.status();
    assert_eq!(
        s[2]["value_ts"], before,
        "r3 heard something through the cut: {s:#?}"
    );

    // Held past the QUIC idle timeout (10 s), so the connections to r3 die
    // and must be made again after the heal.
    let hold = Duration::from_secs(12);
    std::thread::sleep(hold.saturating_sub(cut_at.elapsed()));

    eprintln!("phase: heal; everyone converges");
    c.cut("r3", false);
    let heal_at = Instant::now();
    let held = heal_at - cut_at;
    let healed = time_until(
        heal_at,
        || c.status(),
        quiet,
        Duration::from_secs(40),
        "converged after the heal",
    );
    let s = c.status();
    assert!(covers(&s[2]["value_ts"], &s[0]["value_ts"]), "{s:#?}");
    for r in ["r1", "r2", "r3"] {
        let line = c.average(r, "Inception");
        // The 20 acknowledged ratings and the sample's one (user 3).
        assert!(line.ends_with("from 21 ratings"), "at {r}: {line}");
    }
    let t = c.totals();
    println!(
        "partition of r3 for {} s under the same conditions: after the heal every replica \
         had every acknowledged update and empty logs in {} ms",
        held.as_secs(),
        ms(healed)
    );
    println!(
        "  relays: {} datagrams dropped at the cut, {} lost, {} delivered",
        t.cut, t.lost, t.delivered
    );
    assert!(t.cut > 0, "the cut dropped nothing: {t:?}");
}

/// The relay itself, against a UDP echo server: it forwards both ways and
/// each fault does what it says.
#[test]
fn the_relay_delays_drops_duplicates_reorders_and_cuts() {
    let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
    echo.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let target = echo.local_addr().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_echo = stop.clone();
    let server = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        while !stop_echo.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok((n, from)) = echo.recv_from(&mut buf) {
                let _ = echo.send_to(&buf[..n], from);
            }
        }
    });
    let mut net = Network::new(7);
    let link = net.link("test->echo", target, Faults::default());
    let me = UdpSocket::bind("127.0.0.1:0").unwrap();
    me.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    // Sends 0..n and returns what comes back, in arrival order, until a
    // 500 ms silence.
    let round = |n: u32| -> Vec<u32> {
        for k in 0..n {
            me.send_to(&k.to_be_bytes(), link.addr()).unwrap();
        }
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while let Ok(len) = me.recv(&mut buf) {
            assert_eq!(len, 4);
            got.push(u32::from_be_bytes(buf[..4].try_into().unwrap()));
        }
        got
    };

    eprintln!("phase: a clean link carries everything, in order");
    assert_eq!(round(50), (0..50).collect::<Vec<_>>());

    eprintln!("phase: delay applies each way");
    link.set_faults(Faults::wan(60, 0, 0.0), Faults::wan(60, 0, 0.0));
    let sent = Instant::now();
    me.send_to(&7u32.to_be_bytes(), link.addr()).unwrap();
    let mut buf = [0u8; 4];
    me.recv(&mut buf).unwrap();
    assert!(
        sent.elapsed() >= Duration::from_millis(120),
        "{:?}",
        sent.elapsed()
    );

    eprintln!("phase: loss towards the node drops everything at 1.0");
    link.set_faults(Faults::wan(0, 0, 1.0), Faults::default());
    assert_eq!(round(20), Vec::<u32>::new());
    assert_eq!(link.stats().0.lost, 20);

    eprintln!("phase: duplication on the way back doubles everything at 1.0");
    let dup = Faults {
        duplicate: 1.0,
        ..Faults::default()
    };
    link.set_faults(Faults::default(), dup);
    let mut got = round(20);
    got.sort();
    let twice: Vec<u32> = (0..20).flat_map(|k| [k, k]).collect();
    assert_eq!(got, twice);

    eprintln!("phase: reordering lets later datagrams overtake held ones");
    let shuffle = Faults {
        delay: Duration::from_millis(30),
        reorder: 0.5,
        ..Faults::default()
    };
    link.set_faults(shuffle, Faults::default());
    let got = round(40);
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, (0..40).collect::<Vec<_>>(), "all arrive");
    assert_ne!(got, sorted, "and some out of order");

    eprintln!("phase: a cut link carries nothing, and everything again once healed");
    link.set_faults(Faults::default(), Faults::default());
    link.cut(true);
    assert_eq!(round(10), Vec::<u32>::new());
    assert_eq!(link.stats().0.cut, 10);
    link.cut(false);
    assert_eq!(round(10), (0..10).collect::<Vec<_>>());

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    server.join().unwrap();
}
