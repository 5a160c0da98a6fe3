//! Forced updates through the real stack (issue #13): three `hearsay replica`
//! processes that are the voters of the forced order, a `hearsay frontend`,
//! and `hearsay client` sessions issuing `cas` (a forced compare-and-set) and
//! `fview` (a forced query).
//!
//! Phases: two clients race up one chain of compare-and-sets (total order:
//! each step is won exactly once); a forced query sees every acknowledged
//! one; kill -9 the primary and forced updates resume, nothing acknowledged
//! lost; with two of three down, a forced update answers "unavailable: no
//! quorum" while causal updates still work.

mod common;

use std::time::{Duration, Instant};

use common::procs::Procs;
use serde_json::Value;

/// The chain both clients climb: not rated, then 0, 0.5, ... 5.
fn chain() -> Vec<(String, String)> {
    let mut steps = Vec::new();
    let mut from = "none".to_string();
    for halves in 0..=10u32 {
        let to = if halves % 2 == 0 {
            format!("{}", halves / 2)
        } else {
            format!("{}.5", halves / 2)
        };
        steps.push((from.clone(), to.clone()));
        from = to;
    }
    steps
}

/// The JSON lines a client printed.
fn json_lines(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Replica statuses until one reports itself the primary (bounded).
fn wait_primary(procs: &Procs, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let status = procs.status();
        if let Some(p) = status
            .iter()
            .find(|r| r["forced"]["primary"] == Value::Bool(true))
        {
            return p["replica"].as_str().unwrap().to_owned();
        }
        assert!(
            start.elapsed() < limit,
            "no primary after {limit:?}: {status:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `fview TITLE` as user 7: the rating it reads (`None`: not rated).
fn forced_view(procs: &Procs, title: &str) -> Option<f64> {
    let out = procs.client(7, &["--json"], &[format!("fview {title}")]);
    let lines = json_lines(&out);
    let v = lines.first().unwrap_or_else(|| {
        panic!(
            "no answer to fview: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(v["ok"], true, "fview failed: {v}");
    assert_eq!(v["forced"], true, "{v}");
    v["rating"].as_f64()
}

#[test]
fn forced_updates_are_totally_ordered_survive_the_primary_and_refuse_without_quorum() {
    let mut procs = Procs::start_with(3, &["--voters", "r1,r2,r3"]);
    eprintln!("phase: wait for the voters to agree on a primary");
    let primary = wait_primary(&procs, Duration::from_secs(30));
    let status = procs.status();
    for r in &status {
        assert_eq!(r["forced"]["role"], "voter", "{r}");
    }
    eprintln!("primary: {primary}");

    eprintln!("phase: two clients race up one chain of compare-and-sets");
    let commands: Vec<String> = chain()
        .iter()
        .map(|(from, to)| format!("cas Toy Story {from} {to}"))
        .collect();
    let a = procs.client_spawn(7, &["--json"], &commands);
    let b = procs.client_spawn(7, &["--json"], &commands);
    let (a, b) = (common::wait_bounded(a), common::wait_bounded(b));
    let (a, b) = (json_lines(&a), json_lines(&b));
    assert_eq!(a.len(), commands.len(), "{a:#?}");
    assert_eq!(b.len(), commands.len(), "{b:#?}");
    let mut granted = 0;
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        for v in [x, y] {
            assert!(
                v["ok"] == true || v["refused"] == true,
                "step {i}: neither granted nor refused: {v}"
            );
        }
        let wins = usize::from(x["ok"] == true) + usize::from(y["ok"] == true);
        // Each step leaves a value the chain never returns to: in one total
        // order exactly one of the two can move it.
        assert_eq!(wins, 1, "step {i} won {wins} times: {x} / {y}");
        granted += wins;
    }
    assert_eq!(granted, commands.len());

    eprintln!("phase: a forced query sees every acknowledged forced update");
    assert_eq!(forced_view(&procs, "Toy Story"), Some(5.0));

    eprintln!("phase: kill -9 the primary; forced updates resume");
    let p: usize = primary.trim_start_matches('r').parse::<usize>().unwrap() - 1;
    procs.kill9(p);
    let killed = Instant::now();
    let limit = Duration::from_secs(60);
    let resumed = loop {
        let out = procs.client(7, &["--json"], &["cas Jumanji none 4".to_string()]);
        let lines = json_lines(&out);
        match lines.first() {
            Some(v) if v["ok"] == true => break killed.elapsed(),
            // A retry after an "unavailable" that did commit meets its own
            // write: refused, with the value it set.
            Some(v) if v["refused"] == true => {
                assert!(
                    v["error"].as_str().unwrap_or_default().contains("is 4,"),
                    "{v}"
                );
                break killed.elapsed();
            }
            other => {
                assert!(
                    killed.elapsed() < limit,
                    "no forced update acknowledged {limit:?} after the primary died: {other:?}"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    };
    eprintln!("forced updates resumed {resumed:?} after kill -9 of {primary}");
    let new_primary = wait_primary(&procs, Duration::from_secs(30));
    assert_ne!(new_primary, primary);
    eprintln!("phase: nothing acknowledged is lost");
    assert_eq!(forced_view(&procs, "Toy Story"), Some(5.0));
    assert_eq!(forced_view(&procs, "Jumanji"), Some(4.0));

    eprintln!("phase: two of three down: no quorum for forced, causal still works");
    let q: usize = new_primary
        .trim_start_matches('r')
        .parse::<usize>()
        .unwrap()
        - 1;
    procs.kill9(q);
    let asked = Instant::now();
    let out = procs.client(7, &["--json"], &["cas Heat none 2".to_string()]);
    let took = asked.elapsed();
    let lines = json_lines(&out);
    let v = lines.first().expect("an answer to cas");
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["error"], "unavailable: no quorum", "{v}");
    assert_eq!(v["unavailable"], true, "{v}");
    // Within the front end's request budget (5 s), with room for a noisy
    // machine and the client's start.
    assert!(
        took < Duration::from_secs(20),
        "no-quorum answer took {took:?}"
    );
    eprintln!("no-quorum answer after {took:?}");
    let out = procs.client(
        7,
        &["--json"],
        &["rate Heat 2".to_string(), "view Heat".to_string()],
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0]["ok"], true, "{}", lines[0]);
    assert_eq!(lines[1]["rating"], 2.0, "{}", lines[1]);
    let out = procs.client(7, &["--json"], &["fview Heat".to_string()]);
    let lines = json_lines(&out);
    assert_eq!(lines[0]["error"], "unavailable: no quorum", "{}", lines[0]);
}
