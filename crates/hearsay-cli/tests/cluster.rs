//! The movie-ratings system end to end: real processes, real QUIC with
//! mutual TLS, on loopback ports the system picks.

mod common;

use common::{Cluster, TempDir, hearsay, lines, run_bounded};

const BUSY: &str = "All servers are currently busy, please try again later";

#[test]
fn rate_then_view_returns_the_rating() {
    let c = Cluster::start(&[]);
    let out = c.client(1, &[], &["rate Toy Story 4.5", "view Toy Story"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        lines(&out),
        [
            "user 1 rated Toy Story (1995) 4.5",
            "user 1's rating of Toy Story (1995): 4.5"
        ]
    );
}

#[test]
fn a_rating_made_through_r1_is_visible_through_r3_after_gossip() {
    let c = Cluster::start(&[]);
    let out = c.client(7, &["--prefer", "r1"], &["rate Heat (1995) 3.5"]);
    assert!(out.status.success(), "{out:?}");
    // A new session (no causal context) reading from r3 sees it once gossip
    // has arrived, which takes milliseconds; allow a few seconds.
    for _ in 0..50 {
        let out = c.client(7, &["--prefer", "r3"], &["view Heat (1995)"]);
        if lines(&out) == ["user 7's rating of Heat (1995): 3.5"] {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("r3 never showed the rating made through r1");
}

#[test]
fn a_session_sent_to_a_stale_replica_still_sees_its_own_rating() {
    let c = Cluster::start(&[]);
    // r3 is offline (so it misses the rating) and back online just before the
    // view, which prefers it: r3 must wait for the rating or the front end
    // must go elsewhere. Either way the session never reads stale data.
    let out = c.client(
        2,
        &["--prefer", "r3"],
        &[
            "change r3 offline",
            "rate Jumanji 2.5",
            "change r3 online",
            "view Jumanji",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        lines(&out),
        [
            "r3 is now offline",
            "user 2 rated Jumanji (1995) 2.5",
            "r3 is now online",
            "user 2's rating of Jumanji (1995): 2.5"
        ]
    );
}

#[test]
fn offline_one_by_one_then_busy_and_a_returning_replica_catches_up() {
    let c = Cluster::start(&[]);
    let out = c.client(
        3,
        &["--prefer", "r1"],
        &[
            "change r1 offline",
            "change r2 offline",
            "rate Alien 5",
            "change r3 offline",
            "view Alien",
            "change r1",
            // Only r3 has the rating and it is offline (offline replicas take
            // no gossip): r1 cannot catch up, and stale data is never served.
            "view Alien",
            "change r3",
            // Now r1 catches up from r3 and the session reads its rating.
            "view Alien",
        ],
    );
    assert_eq!(
        lines(&out),
        [
            "r1 is now offline",
            "r2 is now offline",
            "user 3 rated Alien (1979) 5",
            "r3 is now offline",
            BUSY,
            "r1 is now online",
            BUSY,
            "r3 is now online",
            "user 3's rating of Alien (1979): 5",
        ]
    );
    assert!(
        !out.status.success(),
        "a busy command makes the exit status non-zero"
    );
    // r1 has everything r3 has, by gossip alone, within a few anti-entropy rounds.
    for _ in 0..50 {
        let out = c.client(3, &["--json"], &["status"]);
        let v: serde_json::Value = serde_json::from_str(&lines(&out)[0]).unwrap();
        let r1 = &v["replicas"][0];
        if r1["replica"] == "r1" && r1["value_ts"]["r3"] == 1 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("r1 did not catch up");
}

#[test]
fn a_client_with_a_certificate_from_another_ca_is_refused() {
    let c = Cluster::start(&[]);
    let other = TempDir::new("other-ca");
    let mut cmd = hearsay();
    cmd.args(["certs", "init", "--dir"])
        .arg(other.path())
        .args(["--nodes", "client"]);
    assert!(run_bounded(cmd, None).status.success());
    let mut cmd = hearsay();
    cmd.args([
        "client",
        "--frontend",
        &c.frontend,
        "--user",
        "1",
        "--exec",
        "view Up",
        "--certs",
    ])
    .arg(other.path());
    let out = run_bounded(cmd, None);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cannot reach the front end"), "{stdout}");
    // The cluster still serves its own clients.
    let ok = c.client(1, &[], &["find Up"]);
    assert_eq!(
        lines(&ok),
        ["Up (2009): Adventure, Animation, Children, Drama"]
    );
}

#[test]
fn the_overload_probability_sends_requests_elsewhere_or_answers_busy() {
    // Every replica refuses everything: always busy, never an error.
    let c = Cluster::start(&["--overload-probability", "1"]);
    let out = c.client(1, &[], &["view Up", "status"]);
    let got = lines(&out);
    assert_eq!(got[0], BUSY);
    assert!(got[2].starts_with("r1       online"), "{got:?}");
}
