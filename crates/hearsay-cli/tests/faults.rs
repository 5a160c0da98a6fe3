//! Faults on real processes: kill -9, partitions, long outages. Each test is
//! bounded in time and talks over loopback only.

mod common;

use std::time::Duration;

use common::lines;
use common::procs::Procs;

/// `n` rate commands by users `first..first+n`, the rating cycling 1..5;
/// returns them and the sum of half stars they add.
fn ratings(title: &str, first: u32, n: u32) -> (Vec<String>, u64) {
    let mut cmds = Vec::new();
    let mut halves = 0;
    for k in 0..n {
        let stars = k % 5 + 1;
        cmds.push(format!("user {}", first + k));
        cmds.push(format!("rate {title} {stars}"));
        halves += u64::from(stars) * 2;
    }
    (cmds, halves)
}

fn average_line(p: &Procs, prefer: &str, title: &str) -> String {
    let out = p.client(1, &["--prefer", prefer], &[format!("average {title}")]);
    lines(&out).join("\n")
}

#[test]
fn a_replica_killed_right_after_a_burst_keeps_every_acknowledged_update() {
    let mut p = Procs::start(3);
    // 150 acknowledged ratings of Memento (which has none in the sample),
    // accepted by r2 (the session prefers it).
    let (cmds, halves) = ratings("Memento", 1000, 150);
    let out = p.client(1, &["--prefer", "r2"], &cmds);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    p.kill9(1);
    p.start_replica(1);
    p.wait_converged(Duration::from_secs(30));
    let expected = format!(
        "Memento (2000): {:.2} average from 150 ratings",
        halves as f64 / 2.0 / 150.0
    );
    for r in ["r1", "r2", "r3"] {
        assert_eq!(average_line(&p, r, "Memento"), expected, "at {r}");
    }
}

#[test]
fn a_partitioned_replica_takes_writes_and_everyone_converges_after_the_heal() {
    let p = Procs::start(3);
    p.isolate(2, true);
    let (left, _) = ratings("Inception", 2000, 20);
    let (right, _) = ratings("Inception", 3000, 20);
    assert!(p.client(1, &["--prefer", "r1"], &left).status.success());
    assert!(p.client(1, &["--prefer", "r3"], &right).status.success());
    // During the partition r3 has only its side, r1 only the other.
    std::thread::sleep(Duration::from_millis(400));
    let s = p.status();
    assert!(
        s[2]["value_ts"].get("r1").is_none(),
        "r3 heard r1 through the partition: {s:#?}"
    );
    assert!(
        s[0]["value_ts"].get("r3").is_none(),
        "r1 heard r3 through the partition: {s:#?}"
    );
    p.isolate(2, false);
    let s = p.wait_converged(Duration::from_secs(30));
    assert_eq!(s[0]["value_ts"]["r3"], 20);
    for r in ["r1", "r2", "r3"] {
        // 40 new ratings and the sample's one (user 3).
        assert!(
            average_line(&p, r, "Inception").ends_with("from 41 ratings"),
            "at {r}"
        );
    }
}

#[test]
fn a_replica_offline_through_thousands_of_updates_catches_up() {
    let p = Procs::start(3);
    let off = p.client(1, &[], &["change r3 offline".to_string()]);
    assert_eq!(lines(&off), ["r3 is now offline"]);
    let (cmds, _) = ratings("Gladiator", 5000, 1000);
    let out = p.client(1, &[], &cmds);
    assert!(out.status.success());
    let on = p.client(1, &[], &["change r3 online".to_string()]);
    assert_eq!(lines(&on), ["r3 is now online"]);
    p.wait_converged(Duration::from_secs(60));
    assert!(average_line(&p, "r3", "Gladiator").ends_with("from 1000 ratings"));
}

#[test]
fn a_replica_killed_mid_burst_loses_no_acknowledged_update() {
    let mut p = Procs::start(3);
    // 200 users rate Up (unrated in the sample) through r2, which is killed
    // while the burst is under way and restarted a moment later. Requests
    // meanwhile go elsewhere; those whose causal past only r2 holds are
    // answered "busy" (never with stale data) until r2 is back.
    let (cmds, _) = ratings("Up", 7000, 200);
    let burst = p.client_spawn(1, &["--prefer", "r2"], &cmds);
    std::thread::sleep(Duration::from_millis(200));
    p.kill9(1);
    std::thread::sleep(Duration::from_millis(300));
    p.start_replica(1);
    let out = burst.wait_with_output().unwrap();
    let got = lines(&out);
    let acked: Vec<&String> = got.iter().filter(|l| l.contains(" rated Up")).collect();
    let busy = got.iter().filter(|l| l.contains("busy")).count();
    assert_eq!(
        acked.len() + busy,
        200,
        "each rating acknowledged or busy: {got:?}"
    );
    assert!(acked.len() >= 100, "most ratings acknowledged: {got:?}");
    p.wait_converged(Duration::from_secs(30));
    // A busy `rate` failed at its lookup, before any update was sent, so
    // exactly the acknowledged ratings exist, at every replica.
    let count = format!("from {} ratings", acked.len());
    for r in ["r1", "r2", "r3"] {
        let line = average_line(&p, r, "Up");
        assert!(line.ends_with(&count), "at {r}: {line}, expected {count}");
    }
}
