//! What the fuzz targets share: the decode-everything check, and one valid
//! frame of every message variant for each app the project ships.
//!
//! The property checked is the one `hearsay_wire::decode` promises: whatever
//! the bytes, decoding returns `Ok` or `Err` and never panics; and a frame that
//! decodes re-encodes to bytes that decode to the same value (one encoding
//! means one value, so no value changes on its way through a node).

use std::fmt::Debug;

use hearsay_apps::movies::{
    Movie, MovieId, MovieQuery, MovieReply, MovieUpdate, Movies, Rating, UserId,
};
use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay_core::{
    App, ApplyContext, Arbitration, ClientId, ClientReply, ClientRequest, Dot, Gossip, PeerMessage,
    ReplicaId, Snapshot, Status, UpdateId, UpdateRecord, VectorTimestamp,
};
use hearsay_wire::{
    Frame, FrontendRequest, FrontendResponse, PeerFrame, ReplicaEntry, ReplicaRequest,
    ReplicaResponse, SessionRequest, StatusReport, decode, encode,
};

/// Feeds `bytes` to every decode entry point: the five frame kinds, each for
/// both apps. Panics only if the wire contract is broken. Returns how many
/// entry points accepted the bytes.
pub fn decode_everything(bytes: &[u8]) -> usize {
    decode_every_kind::<KvApp>(bytes) + decode_every_kind::<Movies>(bytes)
}

fn decode_every_kind<A: App>(bytes: &[u8]) -> usize {
    [
        roundtrip_if_ok::<PeerFrame<A>>(bytes),
        roundtrip_if_ok::<ReplicaRequest<A>>(bytes),
        roundtrip_if_ok::<ReplicaResponse<A>>(bytes),
        roundtrip_if_ok::<FrontendRequest<A>>(bytes),
        roundtrip_if_ok::<FrontendResponse<A>>(bytes),
    ]
    .into_iter()
    .filter(|&accepted| accepted)
    .count()
}

/// Decodes `bytes` as a `T`; if that succeeds, the value must re-encode (it
/// came in under the kind's cap, and re-encoding never grows it) and decode
/// back to itself. Returns whether `bytes` decoded.
fn roundtrip_if_ok<T: Frame + PartialEq + Debug>(bytes: &[u8]) -> bool {
    let Ok(value) = decode::<T>(bytes) else {
        return false;
    };
    let again = match encode(&value) {
        Ok(again) => again,
        Err(e) => panic!(
            "a decoded {} frame does not re-encode: {e}\nvalue: {value:?}",
            T::KIND
        ),
    };
    match decode::<T>(&again) {
        Ok(back) => assert_eq!(
            back,
            value,
            "a {} frame changed through encode and decode",
            T::KIND
        ),
        Err(e) => panic!(
            "a re-encoded {} frame does not decode: {e}\nvalue: {value:?}",
            T::KIND
        ),
    }
    true
}

/// One valid frame of every message type and variant, for both apps, each
/// under a stable file-name-safe name (`kv-peer-gossip`, `movies-...`).
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut all = frames("kv", kv_values());
    all.extend(frames("movies", movies_values()));
    all
}

/// The app-specific parts of the samples: a state, an update, a query, a reply.
struct AppValues<A: App> {
    state: A,
    update: A::Update,
    query: A::Query,
    reply: A::Reply,
}

fn r(name: &str) -> ReplicaId {
    // The names used here are literals that satisfy ReplicaId's rules.
    ReplicaId::new(name).expect("valid replica name")
}

fn ts(entries: &[(&str, u64)]) -> VectorTimestamp {
    entries.iter().map(|(k, v)| (r(k), *v)).collect()
}

const UPDATE_ID: UpdateId = UpdateId {
    client: ClientId(7),
    seq: 2,
};

fn kv_values() -> AppValues<KvApp> {
    let mut state = KvApp::default();
    let dot = Dot {
        origin: r("r1"),
        seq: 1,
    };
    let prev = VectorTimestamp::new();
    let ctx = ApplyContext {
        id: UPDATE_ID,
        dot: &dot,
        prev: &prev,
        order: Arbitration::of(UPDATE_ID, &prev),
    };
    state.apply(
        &KvUpdate::Put {
            key: "x".into(),
            value: 5,
        },
        &ctx,
    );
    state.apply(
        &KvUpdate::Add {
            key: "n".into(),
            delta: -2,
        },
        &ctx,
    );
    AppValues {
        state,
        update: KvUpdate::Put {
            key: "k".into(),
            value: 1,
        },
        query: KvQuery::Get { key: "k".into() },
        reply: KvReply::Value(Some(1)),
    }
}

fn movies_values() -> AppValues<Movies> {
    // A two-movie catalog with one rating: small seeds keep the fuzzer fast.
    let state = Movies::from_csv(
        "movieId,title,genres\n1,Toy Story (1995),Animation|Comedy\n2,\"American President, The (1995)\",Drama\n",
        Some("userId,movieId,rating,timestamp\n1,1,4.5,964982703\n"),
    )
    .expect("the literal catalog is valid");
    let movie = Movie {
        id: MovieId(1),
        title: "Toy Story".into(),
        year: Some(1995),
        genres: vec!["Animation".into(), "Comedy".into()],
    };
    AppValues {
        state,
        update: MovieUpdate::Rate {
            movie: MovieId(1),
            user: UserId(3),
            rating: Rating::from_halves(7).expect("7 half stars is in range"),
        },
        query: MovieQuery::View {
            title: "toy story".into(),
            user: UserId(3),
        },
        reply: MovieReply::UserRating {
            movie,
            rating: Rating::from_halves(7).ok(),
        },
    }
}

fn frame<T: Frame>(prefix: &str, name: &str, value: &T) -> (String, Vec<u8>) {
    // Every sample is far below its kind's cap.
    let bytes = encode(value).expect("a sample encodes");
    (format!("{prefix}-{name}"), bytes)
}

fn report() -> StatusReport {
    StatusReport {
        name: r("r1"),
        status: Status::Online,
        value_ts: ts(&[("r1", 3)]),
        rep_ts: ts(&[("r1", 3), ("r2", 1)]),
        log_len: 1,
        held_queries: 1,
        oldest_held_ms: Some(1500),
        executed_len: 3,
    }
}

/// Every variant of every frame kind for one app. Keep in step with
/// `crates/hearsay-wire/tests/common/mod.rs` when a variant is appended.
fn frames<A: App>(p: &str, v: AppValues<A>) -> Vec<(String, Vec<u8>)> {
    let update = ClientRequest::<A>::Update {
        id: UPDATE_ID,
        prev: ts(&[("r2", 1)]),
        op: v.update.clone(),
    };
    let query = ClientRequest::<A>::Query {
        prev: ts(&[("r1", 3)]),
        query: v.query.clone(),
    };
    let record = UpdateRecord {
        id: UPDATE_ID,
        dot: Dot {
            origin: r("r1"),
            seq: 3,
        },
        prev: ts(&[("r2", 1)]),
        op: v.update.clone(),
    };
    let answer = ClientReply::<A>::Answer {
        reply: v.reply.clone(),
        ts: ts(&[("r1", 3)]),
    };
    vec![
        frame(
            p,
            "peer-gossip",
            &PeerFrame::<A> {
                from: r("r1"),
                msg: PeerMessage::Gossip(Gossip {
                    rep_ts: ts(&[("r1", 3), ("r2", 1)]),
                    records: vec![record],
                }),
            },
        ),
        frame(
            p,
            "peer-digest",
            &PeerFrame::<A> {
                from: r("r2"),
                msg: PeerMessage::Digest {
                    rep_ts: ts(&[("r2", 4)]),
                    reply: true,
                },
            },
        ),
        frame(
            p,
            "peer-snapshot",
            &PeerFrame::<A> {
                from: r("r3"),
                msg: PeerMessage::Snapshot(Box::new(Snapshot {
                    app: v.state.clone(),
                    value_ts: ts(&[("r1", 1)]),
                    executed: vec![(
                        UPDATE_ID,
                        Dot {
                            origin: r("r1"),
                            seq: 1,
                        },
                    )],
                })),
            },
        ),
        frame(
            p,
            "replica-request-client-update",
            &ReplicaRequest::<A>::Client {
                attempt: 9,
                request: update.clone(),
            },
        ),
        frame(
            p,
            "replica-request-client-query",
            &ReplicaRequest::<A>::Client {
                attempt: 300,
                request: query.clone(),
            },
        ),
        frame(
            p,
            "replica-request-set-status",
            &ReplicaRequest::<A>::SetStatus(Status::Overloaded),
        ),
        frame(
            p,
            "replica-request-get-status",
            &ReplicaRequest::<A>::GetStatus,
        ),
        frame(
            p,
            "replica-response-accepted",
            &ReplicaResponse::<A>::Client {
                attempt: 9,
                reply: ClientReply::Accepted {
                    ts: ts(&[("r1", 4), ("r2", 1)]),
                },
            },
        ),
        frame(
            p,
            "replica-response-answer",
            &ReplicaResponse::<A>::Client {
                attempt: 10,
                reply: answer.clone(),
            },
        ),
        frame(
            p,
            "replica-response-not-yet",
            &ReplicaResponse::<A>::Client {
                attempt: 11,
                reply: ClientReply::NotYet {
                    value_ts: ts(&[("r1", 2)]),
                },
            },
        ),
        frame(
            p,
            "replica-response-unavailable",
            &ReplicaResponse::<A>::Client {
                attempt: 12,
                reply: ClientReply::Unavailable {
                    status: Status::Offline,
                },
            },
        ),
        frame(
            p,
            "replica-response-rejected",
            &ReplicaResponse::<A>::Client {
                attempt: 13,
                reply: ClientReply::Rejected {
                    reason: "a key cannot be empty".into(),
                },
            },
        ),
        frame(
            p,
            "replica-response-status",
            &ReplicaResponse::<A>::Status(report()),
        ),
        frame(
            p,
            "replica-response-error",
            &ReplicaResponse::<A>::Error {
                reason: "bad frame".into(),
            },
        ),
        frame(
            p,
            "frontend-request-session-update",
            &FrontendRequest::<A>::Session(SessionRequest {
                client: ClientId(7),
                request: update,
                prefer: None,
            }),
        ),
        frame(
            p,
            "frontend-request-session-query",
            &FrontendRequest::<A>::Session(SessionRequest {
                client: ClientId(7),
                request: query,
                prefer: Some(r("r2")),
            }),
        ),
        frame(
            p,
            "frontend-request-change-status",
            &FrontendRequest::<A>::ChangeStatus {
                replica: r("r3"),
                status: Status::Offline,
            },
        ),
        frame(
            p,
            "frontend-request-list-replicas",
            &FrontendRequest::<A>::ListReplicas,
        ),
        frame(
            p,
            "frontend-response-reply",
            &FrontendResponse::<A>::Reply(answer),
        ),
        frame(p, "frontend-response-busy", &FrontendResponse::<A>::busy()),
        frame(
            p,
            "frontend-response-status",
            &FrontendResponse::<A>::Status(report()),
        ),
        frame(
            p,
            "frontend-response-replicas",
            &FrontendResponse::<A>::Replicas(vec![
                ReplicaEntry {
                    name: r("r1"),
                    status: Status::Online,
                    report: Some(report()),
                },
                ReplicaEntry {
                    name: r("r2"),
                    status: Status::Offline,
                    report: None,
                },
            ]),
        ),
        frame(
            p,
            "frontend-response-error",
            &FrontendResponse::<A>::Error {
                reason: "no replica named r9".into(),
            },
        ),
    ]
}

/// Damages `bytes` as `edits` say, three bytes per edit: an operation, a
/// position (modulo the length) and a value. The operations are those that
/// break length prefixes and variant indices: flip bits, insert, remove,
/// overwrite with a large varint, truncate, duplicate a span.
pub fn mutate(bytes: &mut Vec<u8>, edits: &[u8]) {
    for edit in edits.chunks_exact(3) {
        let (op, pos, val) = (edit[0], usize::from(edit[1]), edit[2]);
        let len = bytes.len();
        match op % 6 {
            0 if len > 0 => bytes[pos % len] ^= val.max(1),
            1 => bytes.insert(pos % (len + 1), val),
            2 if len > 0 => {
                bytes.remove(pos % len);
            }
            3 if len > 0 => {
                let at = pos % len;
                let huge: &[u8] = match val % 3 {
                    0 => &[0xff, 0xff, 0xff, 0xff, 0x0f],
                    1 => &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                    _ => &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80],
                };
                bytes.splice(at..=at, huge.iter().copied());
            }
            4 => bytes.truncate(pos % (len + 1)),
            5 if len > 0 => {
                let at = pos % len;
                let end = (at + usize::from(val % 16) + 1).min(len);
                let span = bytes[at..end].to_vec();
                bytes.splice(end..end, span);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_decodes_and_names_are_unique() {
        let seeds = seeds();
        let mut names: Vec<_> = seeds.iter().map(|(n, _)| n.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), seeds.len());
        // 23 variants for each of the two apps.
        assert_eq!(seeds.len(), 46);
        for (name, bytes) in &seeds {
            assert!(decode_everything(bytes) >= 1, "{name} decodes nowhere");
        }
    }

    #[test]
    fn mutations_never_panic_on_short_inputs() {
        for op in 0..6u8 {
            let mut empty = Vec::new();
            mutate(&mut empty, &[op, 0, 0, op, 255, 255]);
            let mut one = vec![1];
            mutate(&mut one, &[op, 200, 0, op, 7, 255]);
        }
    }
}
