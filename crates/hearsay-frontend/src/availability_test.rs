use super::*;

fn r(n: &str) -> ReplicaId {
    ReplicaId::new(n).unwrap()
}

fn ms(n: u64) -> Time {
    Time::from_micros(n * 1000)
}

fn setup() -> Availability {
    let mut a = Availability::new(AvailabilityConfig {
        probe_every: Duration::from_millis(250),
        log_every: Duration::from_secs(1),
    });
    for n in ["r1", "r2", "r3"] {
        a.add(ms(0), r(n), Status::Online);
    }
    a
}

#[test]
fn online_replicas_are_never_probed() {
    let mut a = setup();
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(a.due_probes(ms(10_000)), Vec::<ReplicaId>::new());
}

#[test]
fn a_replica_marked_offline_is_probed_until_it_is_back() {
    let mut a = setup();
    let entry = a.routed(ms(100), &r("r2"), Status::Offline, "a request to it failed");
    assert_eq!(
        entry.as_deref(),
        Some("r2: online -> offline (a request to it failed)")
    );
    assert_eq!(a.poll_timeout(), Some(ms(350)));
    assert_eq!(a.due_probes(ms(349)), Vec::<ReplicaId>::new());
    assert_eq!(a.due_probes(ms(350)), vec![r("r2")]);
    // One probe at a time: none while the first is under way.
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(a.due_probes(ms(5_000)), Vec::<ReplicaId>::new());
    // It failed (the replica is still down): probed again a period later.
    a.probed(ms(1_350), &r("r2"));
    assert_eq!(a.poll_timeout(), Some(ms(1_600)));
    assert_eq!(a.due_probes(ms(1_600)), vec![r("r2")]);
    // Its own report says online: routing takes it back, probing stops.
    let entry = a.routed(ms(1_610), &r("r2"), Status::Online, "its own report");
    assert_eq!(
        entry.as_deref(),
        Some("r2: offline -> online (its own report)")
    );
    a.probed(ms(1_610), &r("r2"));
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(a.due_probes(ms(10_000)), Vec::<ReplicaId>::new());
}

#[test]
fn an_offline_report_keeps_the_probes_going() {
    let mut a = setup();
    a.routed(
        ms(0),
        &r("r1"),
        Status::Offline,
        "changed through this front end",
    );
    assert_eq!(a.due_probes(ms(250)), vec![r("r1")]);
    // The replica says it is offline: no change, probed again later.
    assert_eq!(
        a.routed(ms(260), &r("r1"), Status::Offline, "its own report"),
        None
    );
    a.probed(ms(260), &r("r1"));
    assert_eq!(a.due_probes(ms(509)), Vec::<ReplicaId>::new());
    assert_eq!(a.due_probes(ms(510)), vec![r("r1")]);
}

#[test]
fn overloaded_is_probed_too() {
    let mut a = setup();
    a.routed(
        ms(0),
        &r("r3"),
        Status::Overloaded,
        "it answered overloaded",
    );
    assert_eq!(a.due_probes(ms(250)), vec![r("r3")]);
}

#[test]
fn the_tracker_disagreeing_triggers_one_probe_at_once() {
    let mut a = setup();
    a.routed(ms(0), &r("r2"), Status::Offline, "a request to it failed");
    // The tracker still lists it offline: nothing new, the period holds.
    a.tracker(ms(10), &r("r2"), Status::Offline);
    assert_eq!(a.poll_timeout(), Some(ms(250)));
    // Its heartbeat says online again: probed now, not at 250 ms.
    a.tracker(ms(20), &r("r2"), Status::Online);
    assert_eq!(a.due_probes(ms(20)), vec![r("r2")]);
    // An online replica the tracker lists as offline is probed once; the
    // probe (its own report) decides, and the same listing again does
    // not trigger another.
    a.tracker(ms(30), &r("r1"), Status::Offline);
    assert_eq!(a.due_probes(ms(30)), vec![r("r1")]);
    a.probed(ms(40), &r("r1"));
    a.tracker(ms(1_030), &r("r1"), Status::Offline);
    assert_eq!(a.due_probes(ms(5_000)), Vec::<ReplicaId>::new());
    // The tracker agreeing with routing triggers nothing.
    a.tracker(ms(40), &r("r3"), Status::Online);
    assert_eq!(a.due_probes(ms(40)), Vec::<ReplicaId>::new());
    // Unknown replicas are ignored.
    a.tracker(ms(40), &r("r9"), Status::Online);
    assert_eq!(a.due_probes(ms(40)), Vec::<ReplicaId>::new());
}

#[test]
fn flapping_is_summed_up_at_most_once_a_second() {
    let mut a = setup();
    let first = a.routed(
        ms(0),
        &r("r1"),
        Status::Overloaded,
        "it answered overloaded",
    );
    assert_eq!(
        first.as_deref(),
        Some("r1: online -> overloaded (it answered overloaded)")
    );
    assert_eq!(
        a.routed(ms(100), &r("r1"), Status::Online, "its own report"),
        None
    );
    assert_eq!(
        a.routed(
            ms(200),
            &r("r1"),
            Status::Overloaded,
            "it answered overloaded"
        ),
        None
    );
    assert_eq!(a.poll_timeout(), Some(ms(450)), "the next probe");
    assert_eq!(a.due_probes(ms(450)), vec![r("r1")]);
    assert_eq!(a.poll_timeout(), Some(ms(1_000)), "the held entry");
    assert_eq!(a.due_entries(ms(999)), vec![]);
    assert_eq!(
        a.due_entries(ms(1_000)),
        vec![(
            r("r1"),
            "r1: overloaded again after 2 brief changes (latest: it answered overloaded)"
                .to_string()
        )]
    );
    assert_eq!(a.due_entries(ms(5_000)), vec![]);
    // Held changes that end elsewhere say where, and how many there were.
    assert_eq!(
        a.routed(
            ms(1_500),
            &r("r1"),
            Status::Offline,
            "a request to it failed"
        ),
        None
    );
    assert_eq!(
        a.routed(ms(1_600), &r("r1"), Status::Online, "its own report"),
        None
    );
    assert_eq!(
        a.due_entries(ms(2_000)),
        vec![(
            r("r1"),
            "r1: overloaded -> online (its own report; 2 changes in 1000 ms)".to_string()
        )]
    );
    // A change after a quiet second is logged as it happens.
    assert_eq!(
        a.routed(
            ms(3_000),
            &r("r1"),
            Status::Offline,
            "a request to it failed"
        )
        .as_deref(),
        Some("r1: online -> offline (a request to it failed)")
    );
    // Other replicas have their own window.
    assert!(
        a.routed(ms(3_001), &r("r2"), Status::Offline, "x")
            .is_some()
    );
}

#[test]
fn a_change_within_the_window_is_logged_when_it_ends() {
    let mut a = setup();
    a.routed(ms(0), &r("r1"), Status::Offline, "a request to it failed");
    assert_eq!(
        a.routed(ms(400), &r("r1"), Status::Online, "its own report"),
        None
    );
    assert_eq!(
        a.due_entries(ms(1_000)),
        vec![(
            r("r1"),
            "r1: offline -> online (its own report)".to_string()
        )]
    );
}

#[test]
fn removed_replicas_are_forgotten() {
    let mut a = setup();
    a.routed(ms(0), &r("r1"), Status::Offline, "a request to it failed");
    a.remove(&r("r1"));
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(a.routed(ms(10), &r("r1"), Status::Online, "x"), None);
    a.probed(ms(10), &r("r1"));
    assert_eq!(a.due_probes(ms(10_000)), Vec::<ReplicaId>::new());
    // Added back as offline (routing kept it so): probed.
    a.add(ms(20), r("r1"), Status::Offline);
    assert_eq!(a.due_probes(ms(270)), vec![r("r1")]);
}
