//! Golden vectors: the exact bytes of one instance of every message and variant.
//!
//! If one of these fails, the wire format changed. Either the change was an
//! accident (fix it), or it is intended: then it breaks every deployed node, so
//! bump `PROTOCOL_VERSION` (which changes the ALPN) and update the vectors here.

mod common;

use common::{samples, variant_tag};

/// (sample name, its encoding in hex).
const GOLDEN: &[(&str, &str)] = &[
    (
        "peer/gossip",
        "01027231000202723103027232010107020272310301027232010001780a00",
    ),
    ("peer/digest", "0102723201010272320401"),
    (
        "peer/snapshot",
        "0102723302010178010a00070201016e03010272310101070202723101",
    ),
    (
        "peer/vr",
        "0102723103000002050107020007020102723201000001780a0004",
    ),
    ("peer/forward", "010272320400070201027232010001780c"),
    (
        "peer/forward-reply",
        "010272310507020005010d7820697320352c206e6f7420340206666f726365640402723103",
    ),
    (
        "replica-request/client-forced-query",
        "02000e0207020102723103000178",
    ),
    (
        "replica-response/forced",
        "03000e05000206666f726365640402723103",
    ),
    (
        "replica-response/forced-unavailable",
        "03000f0616756e617661696c61626c653a206e6f2071756f72756d",
    ),
    ("replica-response/reconfigured", "0300100701"),
    (
        "frontend-request/session-forced-query",
        "040007020702010272310300017800",
    ),
    (
        "replica-request/client-update",
        "0200090007020102723201010178",
    ),
    ("replica-request/client-query", "0200ac02010102723103000178"),
    ("replica-request/set-status", "020101"),
    ("replica-request/get-status", "0202"),
    ("replica-response/accepted", "03000900020272310402723201"),
    ("replica-response/answer", "03000a0100010a0102723103"),
    ("replica-response/not-yet", "03000b020102723102"),
    ("replica-response/unavailable", "03000c0302"),
    (
        "replica-response/rejected",
        "03000d041561206b65792063616e6e6f7420626520656d707479",
    ),
    (
        "replica-response/status",
        "0301027231000102723103020272310302723201010003000105766f74657201066e6f726d616c01010272310302723102723202723300020504",
    ),
    ("replica-response/error", "030209626164206672616d65"),
    (
        "frontend-request/session-update",
        "040007000702010272320101017800",
    ),
    ("frontend-request/session-query", "040007010001016e01027232"),
    ("frontend-request/change-status", "040102723302"),
    ("frontend-request/list-replicas", "0402"),
    ("frontend-response/reply", "05000101030102723101"),
    (
        "frontend-response/busy",
        "050136416c6c2073657276657273206172652063757272656e746c7920627573792c20706c656173652074727920616761696e206c61746572",
    ),
    (
        "frontend-response/status",
        "0502027231000102723103020272310302723201010003000105766f74657201066e6f726d616c01010272310302723102723202723300020504",
    ),
    (
        "frontend-response/replicas",
        "0503020272310001027231000102723103020272310302723201010003000105766f74657201066e6f726d616c010102723103027231027232027233000205040272320200",
    ),
    (
        "frontend-response/error",
        "0504136e6f207265706c696361206e616d6564207239",
    ),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("golden vectors are hex"))
        .collect()
}

#[test]
fn every_sample_has_a_golden_vector_and_matches_it() {
    let samples = samples();
    let mut table = String::new();
    let mut mismatches = Vec::new();
    for (name, sample) in &samples {
        let actual = hex(&sample.encode());
        table.push_str(&format!("    (\"{name}\", \"{actual}\"),\n"));
        match GOLDEN.iter().find(|(n, _)| n == name) {
            Some((_, expected)) if *expected == actual => {}
            Some((_, expected)) => {
                mismatches.push(format!("{name}: expected {expected}, got {actual}"))
            }
            None => mismatches.push(format!("{name}: no golden vector")),
        }
    }
    assert_eq!(
        GOLDEN.len(),
        samples.len(),
        "one golden vector per sample; current table:\n{table}"
    );
    assert!(
        mismatches.is_empty(),
        "wire format changed:\n{}\ncurrent table:\n{table}",
        mismatches.join("\n")
    );
}

#[test]
fn golden_vectors_decode_to_their_samples() {
    for (name, sample) in samples() {
        let Some((_, golden)) = GOLDEN.iter().find(|(n, _)| *n == name) else {
            panic!("{name}: no golden vector");
        };
        let decoded = sample
            .decode_same_kind(&unhex(golden))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decoded, sample, "{name}");
    }
}

#[test]
fn every_variant_has_a_sample_named_after_it() {
    for (name, sample) in samples() {
        assert_eq!(variant_tag(&sample), name, "sample named after its variant");
    }
    // Every tag `variant_tag` can return, each of which needs a sample.
    let all = [
        "peer/gossip",
        "peer/digest",
        "peer/snapshot",
        "peer/vr",
        "peer/forward",
        "peer/forward-reply",
        "replica-request/client-forced-query",
        "replica-response/forced",
        "replica-response/forced-unavailable",
        "replica-response/reconfigured",
        "frontend-request/session-forced-query",
        "replica-request/client-update",
        "replica-request/client-query",
        "replica-request/set-status",
        "replica-request/get-status",
        "replica-response/accepted",
        "replica-response/answer",
        "replica-response/not-yet",
        "replica-response/unavailable",
        "replica-response/rejected",
        "replica-response/status",
        "replica-response/error",
        "frontend-request/session-update",
        "frontend-request/session-query",
        "frontend-request/change-status",
        "frontend-request/list-replicas",
        "frontend-response/reply",
        "frontend-response/busy",
        "frontend-response/status",
        "frontend-response/replicas",
        "frontend-response/error",
    ];
    let covered: Vec<&str> = samples().iter().map(|(n, _)| *n).collect();
    for tag in all {
        assert!(covered.contains(&tag), "no sample of {tag}");
    }
}
