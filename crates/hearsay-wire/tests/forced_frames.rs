//! Forced-order frames (issue #13) that are too large, cut short or made up
//! are refused with one clear error, before anything is trusted.

mod common;

use common::{Sample, samples};
use hearsay_core::testing::{KvApp, KvQuery, KvUpdate};
use hearsay_core::{
    ClientId, ClientRequest, ForcedRequest, PeerMessage, ReplicaId, UpdateId, VectorTimestamp,
};
use hearsay_wire::{
    FrontendRequest, MAX_FRAME_BYTES, MAX_REQUEST_BYTES, PeerFrame, ReplicaRequest, SessionRequest,
    WireError, decode, encode,
};

fn id() -> UpdateId {
    UpdateId {
        client: ClientId(7),
        seq: 2,
    }
}

fn forced_query(key_len: usize) -> FrontendRequest<KvApp> {
    FrontendRequest::Session(SessionRequest {
        client: ClientId(7),
        request: ClientRequest::ForcedQuery {
            id: id(),
            prev: VectorTimestamp::new(),
            query: KvQuery::Get {
                key: "k".repeat(key_len),
            },
        },
        prefer: None,
    })
}

fn forced_sample(name: &str) -> Vec<u8> {
    samples()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s.encode())
        .unwrap_or_else(|| panic!("no sample {name}"))
}

#[test]
fn an_oversized_forced_query_is_refused_at_both_ends() {
    let err = encode(&forced_query(MAX_REQUEST_BYTES)).unwrap_err();
    assert!(
        matches!(err, WireError::TooLarge { max, .. } if max == MAX_REQUEST_BYTES),
        "{err}"
    );
    let mut bytes = encode(&forced_query(10)).unwrap();
    bytes.resize(MAX_REQUEST_BYTES + 1, 0);
    assert_eq!(
        decode::<FrontendRequest<KvApp>>(&bytes),
        Err(WireError::TooLarge {
            kind: "front end request",
            len: MAX_REQUEST_BYTES + 1,
            max: MAX_REQUEST_BYTES,
        })
    );
}

#[test]
fn an_oversized_forward_between_replicas_is_refused() {
    let frame = PeerFrame::<KvApp> {
        from: ReplicaId::new("r2").unwrap(),
        msg: PeerMessage::Forward(Box::new(ForcedRequest::Update {
            id: id(),
            prev: VectorTimestamp::new(),
            op: KvUpdate::Put {
                key: "k".repeat(MAX_FRAME_BYTES),
                value: 1,
            },
        })),
    };
    let err = encode(&frame).unwrap_err();
    assert!(
        matches!(err, WireError::TooLarge { max, .. } if max == MAX_FRAME_BYTES),
        "{err}"
    );
}

#[test]
fn every_cut_of_a_forced_frame_is_an_error_never_a_value() {
    for name in [
        "peer/vr",
        "peer/forward",
        "peer/forward-reply",
        "replica-request/client-forced-query",
        "replica-response/forced",
        "replica-response/forced-unavailable",
        "frontend-request/session-forced-query",
    ] {
        let (_, sample) = samples().into_iter().find(|(n, _)| *n == name).unwrap();
        let bytes = sample.encode();
        for cut in 0..bytes.len() {
            assert!(
                sample.decode_same_kind(&bytes[..cut]).is_err(),
                "{name} cut at {cut} of {} decoded",
                bytes.len()
            );
        }
        // And one byte too many is refused, not ignored.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(
            matches!(
                sample.decode_same_kind(&longer),
                Err(WireError::TrailingBytes { extra: 1, .. })
            ),
            "{name}"
        );
    }
}

#[test]
fn a_made_up_vr_message_kind_is_malformed() {
    // Peer tag, from "r1", PeerMessage::Vr (index 3), then a VR message
    // index no variant has.
    let bytes = [1, 2, b'r', b'1', 3, 42];
    assert!(
        matches!(
            decode::<PeerFrame<KvApp>>(&bytes),
            Err(WireError::Malformed { kind: "peer", .. })
        ),
        "{:?}",
        decode::<PeerFrame<KvApp>>(&bytes)
    );
    // The same bytes with a real kind (Prepare, index 0) but a huge claimed
    // entry count: cut short, nothing of that size allocated.
    let bytes = [
        1, 2, b'r', b'1', 3, 0, 0, 2, 5, 0xff, 0xff, 0xff, 0xff, 0x0f,
    ];
    assert!(decode::<PeerFrame<KvApp>>(&bytes).is_err());
}

#[test]
fn a_forced_frame_sent_to_the_wrong_kind_of_node_is_refused_before_parsing() {
    let to_frontend = forced_sample("frontend-request/session-forced-query");
    assert!(matches!(
        decode::<ReplicaRequest<KvApp>>(&to_frontend),
        Err(WireError::WrongKind { tag: 4, .. })
    ));
    let vr = forced_sample("peer/vr");
    assert!(matches!(
        decode::<FrontendRequest<KvApp>>(&vr),
        Err(WireError::WrongKind { tag: 1, .. })
    ));
    // The samples themselves decode (the checks above are not vacuous).
    for (name, s) in samples() {
        if name.starts_with("peer/") {
            assert!(matches!(s, Sample::Peer(_)));
            assert!(s.decode_same_kind(&s.encode()).is_ok(), "{name}");
        }
    }
}
