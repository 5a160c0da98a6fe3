//! One sample of every message type and variant, shared by the golden-vector and
//! decode-robustness tests.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use hearsay_core::forced::{
    Entry, EntryBody, ForcedBody, ForcedOp, ForcedOutcome, Message, RequestId,
};
use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay_core::{
    App, ApplyContext, Arbitration, ClientId, ClientReply, ClientRequest, Dot, ForcedRequest,
    ForwardReply, Gossip, PeerMessage, ReplicaId, Snapshot, Status, UpdateId, UpdateRecord,
    VectorTimestamp,
};
use hearsay_wire::{
    ForcedReport, Frame, FrontendRequest, FrontendResponse, PeerFrame, ReplicaEntry,
    ReplicaRequest, ReplicaResponse, SessionRequest, StatusReport, decode, encode,
};

/// A message of any of the five frame kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Sample {
    Peer(PeerFrame<KvApp>),
    ReplicaRequest(ReplicaRequest<KvApp>),
    ReplicaResponse(ReplicaResponse<KvApp>),
    FrontendRequest(FrontendRequest<KvApp>),
    FrontendResponse(FrontendResponse<KvApp>),
}

impl Sample {
    pub(crate) fn encode(&self) -> Vec<u8> {
        match self {
            Sample::Peer(m) => encode(m),
            Sample::ReplicaRequest(m) => encode(m),
            Sample::ReplicaResponse(m) => encode(m),
            Sample::FrontendRequest(m) => encode(m),
            Sample::FrontendResponse(m) => encode(m),
        }
        .expect("every sample encodes")
    }

    /// Decodes `bytes` as this sample's kind.
    pub(crate) fn decode_same_kind(&self, bytes: &[u8]) -> Result<Sample, hearsay_wire::WireError> {
        Ok(match self {
            Sample::Peer(_) => Sample::Peer(decode(bytes)?),
            Sample::ReplicaRequest(_) => Sample::ReplicaRequest(decode(bytes)?),
            Sample::ReplicaResponse(_) => Sample::ReplicaResponse(decode(bytes)?),
            Sample::FrontendRequest(_) => Sample::FrontendRequest(decode(bytes)?),
            Sample::FrontendResponse(_) => Sample::FrontendResponse(decode(bytes)?),
        })
    }
}

/// Feeds `bytes` to every decode entry point; for each that succeeds, checks that
/// re-encoding and decoding again gives the same value.
pub(crate) fn decode_everything(bytes: &[u8]) {
    roundtrip_if_ok::<PeerFrame<KvApp>>(bytes);
    roundtrip_if_ok::<ReplicaRequest<KvApp>>(bytes);
    roundtrip_if_ok::<ReplicaResponse<KvApp>>(bytes);
    roundtrip_if_ok::<FrontendRequest<KvApp>>(bytes);
    roundtrip_if_ok::<FrontendResponse<KvApp>>(bytes);
}

fn roundtrip_if_ok<T: Frame + PartialEq + std::fmt::Debug>(bytes: &[u8]) {
    if let Ok(value) = decode::<T>(bytes) {
        let again = encode(&value).expect("a decoded frame re-encodes");
        assert_eq!(
            decode::<T>(&again).expect("re-encoded frame decodes"),
            value
        );
    }
}

fn r(name: &str) -> ReplicaId {
    ReplicaId::new(name).expect("valid replica name")
}

fn ts(entries: &[(&str, u64)]) -> VectorTimestamp {
    entries.iter().map(|(k, v)| (r(k), *v)).collect()
}

fn update_id() -> UpdateId {
    UpdateId {
        client: ClientId(7),
        seq: 2,
    }
}

fn record() -> UpdateRecord<KvUpdate> {
    UpdateRecord {
        id: update_id(),
        dot: Dot {
            origin: r("r1"),
            seq: 3,
        },
        prev: ts(&[("r2", 1)]),
        op: KvUpdate::Put {
            key: "x".into(),
            value: 5,
        },
        refused: None,
    }
}

fn app_with_state() -> KvApp {
    let mut app = KvApp::default();
    let dot = Dot {
        origin: r("r1"),
        seq: 1,
    };
    let prev = VectorTimestamp::new();
    let ctx = ApplyContext {
        id: update_id(),
        dot: &dot,
        prev: &prev,
        order: Arbitration::of(update_id(), &prev),
    };
    app.apply(
        &KvUpdate::Put {
            key: "x".into(),
            value: 5,
        },
        &ctx,
    );
    app.apply(
        &KvUpdate::Add {
            key: "n".into(),
            delta: -2,
        },
        &ctx,
    );
    app
}

fn report() -> StatusReport {
    StatusReport {
        name: r("r1"),
        status: Status::Online,
        value_ts: ts(&[("r1", 3)]),
        rep_ts: ts(&[("r1", 3), ("r2", 1)]),
        log_len: 1,
        held_queries: 0,
        oldest_held_ms: None,
        executed_len: 3,
        forced: Some(ForcedReport {
            role: "voter".into(),
            voter_status: Some("normal".into()),
            is_primary: true,
            primary: Some(r("r1")),
            voters: vec![r("r1"), r("r2"), r("r3")],
            epoch: 0,
            view: 2,
            commit: 5,
            applied: 4,
        }),
    }
}

/// The forced timestamp entry and one causal one.
fn forced_ts() -> VectorTimestamp {
    let mut t = ts(&[("r1", 3)]);
    t.set(ReplicaId::forced(), 4);
    t
}

fn forced_query_request() -> ClientRequest<KvApp> {
    ClientRequest::ForcedQuery {
        id: update_id(),
        prev: ts(&[("r1", 3)]),
        query: KvQuery::Get { key: "x".into() },
    }
}

fn update_request() -> ClientRequest<KvApp> {
    ClientRequest::Update {
        id: update_id(),
        prev: ts(&[("r2", 1)]),
        op: KvUpdate::Delete { key: "x".into() },
    }
}

fn query_request() -> ClientRequest<KvApp> {
    ClientRequest::Query {
        prev: ts(&[("r1", 3)]),
        query: KvQuery::Get { key: "x".into() },
    }
}

/// Every message type and every variant, each under a stable name.
pub(crate) fn samples() -> Vec<(&'static str, Sample)> {
    use Sample as S;
    vec![
        (
            "peer/gossip",
            S::Peer(PeerFrame {
                from: r("r1"),
                msg: PeerMessage::Gossip(Gossip {
                    rep_ts: ts(&[("r1", 3), ("r2", 1)]),
                    records: vec![record()],
                }),
            }),
        ),
        (
            "peer/digest",
            S::Peer(PeerFrame {
                from: r("r2"),
                msg: PeerMessage::Digest {
                    rep_ts: ts(&[("r2", 4)]),
                    reply: true,
                },
            }),
        ),
        (
            "peer/snapshot",
            S::Peer(PeerFrame {
                from: r("r3"),
                msg: PeerMessage::Snapshot(Box::new(Snapshot {
                    app: app_with_state(),
                    value_ts: ts(&[("r1", 1)]),
                    executed: vec![(
                        update_id(),
                        Dot {
                            origin: r("r1"),
                            seq: 1,
                        },
                    )],
                })),
            }),
        ),
        (
            "peer/vr",
            S::Peer(PeerFrame {
                from: r("r1"),
                msg: PeerMessage::Vr(Box::new(Message::Prepare {
                    epoch: 0,
                    view: 2,
                    first: 5,
                    entries: vec![Entry {
                        id: RequestId { client: 7, seq: 2 },
                        body: EntryBody::Op {
                            op: ForcedOp {
                                id: update_id(),
                                prev: ts(&[("r2", 1)]),
                                body: ForcedBody::Update(KvUpdate::Put {
                                    key: "x".into(),
                                    value: 5,
                                }),
                            },
                            outcome: ForcedOutcome::Granted,
                        },
                    }],
                    commit: 4,
                })),
            }),
        ),
        (
            "peer/forward",
            S::Peer(PeerFrame {
                from: r("r2"),
                msg: PeerMessage::Forward(Box::new(ForcedRequest::Update {
                    id: update_id(),
                    prev: ts(&[("r2", 1)]),
                    op: KvUpdate::Put {
                        key: "x".into(),
                        value: 6,
                    },
                })),
            }),
        ),
        (
            "peer/forward-reply",
            S::Peer(PeerFrame {
                from: r("r1"),
                msg: PeerMessage::ForwardReply {
                    id: update_id(),
                    reply: Box::new(ForwardReply::Done(ClientReply::Forced {
                        outcome: Err("x is 5, not 4".into()),
                        ts: forced_ts(),
                    })),
                },
            }),
        ),
        (
            "replica-request/client-forced-query",
            S::ReplicaRequest(ReplicaRequest::Client {
                attempt: 14,
                request: forced_query_request(),
            }),
        ),
        (
            "replica-response/forced",
            S::ReplicaResponse(ReplicaResponse::Client {
                attempt: 14,
                reply: ClientReply::Forced {
                    outcome: Ok(()),
                    ts: forced_ts(),
                },
            }),
        ),
        (
            "replica-response/forced-unavailable",
            S::ReplicaResponse(ReplicaResponse::Client {
                attempt: 15,
                reply: ClientReply::ForcedUnavailable {
                    reason: "unavailable: no quorum".into(),
                },
            }),
        ),
        (
            "replica-response/reconfigured",
            S::ReplicaResponse(ReplicaResponse::Client {
                attempt: 16,
                reply: ClientReply::Reconfigured { epoch: 1 },
            }),
        ),
        (
            "frontend-request/session-forced-query",
            S::FrontendRequest(FrontendRequest::Session(SessionRequest {
                client: ClientId(7),
                request: forced_query_request(),
                prefer: None,
            })),
        ),
        (
            "replica-request/client-update",
            S::ReplicaRequest(ReplicaRequest::Client {
                attempt: 9,
                request: update_request(),
            }),
        ),
        (
            "replica-request/client-query",
            S::ReplicaRequest(ReplicaRequest::Client {
                attempt: 300,
                request: query_request(),
            }),
        ),
        (
            "replica-request/set-status",
            S::ReplicaRequest(ReplicaRequest::SetStatus(Status::Overloaded)),
        ),
        (
            "replica-request/get-status",
            S::ReplicaRequest(ReplicaRequest::GetStatus),
        ),
        (
            "replica-response/accepted",
            S::ReplicaResponse(ReplicaResponse::Client {
                attempt: 9,
                reply: ClientReply::Accepted {
                    ts: ts(&[("r1", 4), ("r2", 1)]),
                },
            }),
        ),
        (
            "replica-response/answer",
            S::ReplicaResponse(ReplicaResponse::Client {
                attempt: 10,
                reply: ClientReply::Answer {
                    reply: KvReply::Value(Some(5)),
                    ts: ts(&[("r1", 3)]),
                },
            }),
        ),
        (
            "replica-response/not-yet",
            S::ReplicaResponse(ReplicaResponse::Client {
                attempt: 11,
                reply: ClientReply::NotYet {
                    value_ts: ts(&[("r1", 2)]),
                },
            }),
        ),
        (
            "replica-response/unavailable",
            S::ReplicaResponse(ReplicaResponse::Client {
                attempt: 12,
                reply: ClientReply::Unavailable {
                    status: Status::Offline,
                },
            }),
        ),
        (
            "replica-response/rejected",
            S::ReplicaResponse(ReplicaResponse::Client {
                attempt: 13,
                reply: ClientReply::Rejected {
                    reason: "a key cannot be empty".into(),
                },
            }),
        ),
        (
            "replica-response/status",
            S::ReplicaResponse(ReplicaResponse::Status(report())),
        ),
        (
            "replica-response/error",
            S::ReplicaResponse(ReplicaResponse::Error {
                reason: "bad frame".into(),
            }),
        ),
        (
            "frontend-request/session-update",
            S::FrontendRequest(FrontendRequest::Session(SessionRequest {
                client: ClientId(7),
                request: update_request(),
                prefer: None,
            })),
        ),
        (
            "frontend-request/session-query",
            S::FrontendRequest(FrontendRequest::Session(SessionRequest {
                client: ClientId(7),
                request: ClientRequest::Query {
                    prev: VectorTimestamp::new(),
                    query: KvQuery::Count { key: "n".into() },
                },
                prefer: Some(r("r2")),
            })),
        ),
        (
            "frontend-request/change-status",
            S::FrontendRequest(FrontendRequest::ChangeStatus {
                replica: r("r3"),
                status: Status::Offline,
            }),
        ),
        (
            "frontend-request/list-replicas",
            S::FrontendRequest(FrontendRequest::ListReplicas),
        ),
        (
            "frontend-response/reply",
            S::FrontendResponse(FrontendResponse::Reply(ClientReply::Answer {
                reply: KvReply::Count(-2),
                ts: ts(&[("r1", 1)]),
            })),
        ),
        (
            "frontend-response/busy",
            S::FrontendResponse(FrontendResponse::busy()),
        ),
        (
            "frontend-response/status",
            S::FrontendResponse(FrontendResponse::Status(report())),
        ),
        (
            "frontend-response/replicas",
            S::FrontendResponse(FrontendResponse::Replicas(vec![
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
            ])),
        ),
        (
            "frontend-response/error",
            S::FrontendResponse(FrontendResponse::Error {
                reason: "no replica named r9".into(),
            }),
        ),
    ]
}

/// The variant a sample exercises. The matches are exhaustive on purpose: a new
/// variant does not compile here until it has a tag, and
/// `every_variant_has_a_sample` then asks for a sample of it.
pub(crate) fn variant_tag(sample: &Sample) -> &'static str {
    match sample {
        Sample::Peer(f) => match f.msg {
            PeerMessage::Gossip(_) => "peer/gossip",
            PeerMessage::Digest { .. } => "peer/digest",
            PeerMessage::Snapshot(_) => "peer/snapshot",
            PeerMessage::Vr(_) => "peer/vr",
            PeerMessage::Forward(_) => "peer/forward",
            PeerMessage::ForwardReply { .. } => "peer/forward-reply",
        },
        Sample::ReplicaRequest(r) => match r {
            ReplicaRequest::Client { request, .. } => match request {
                ClientRequest::Update { .. } => "replica-request/client-update",
                ClientRequest::Query { .. } => "replica-request/client-query",
                ClientRequest::ForcedQuery { .. } => "replica-request/client-forced-query",
            },
            ReplicaRequest::SetStatus(_) => "replica-request/set-status",
            ReplicaRequest::GetStatus => "replica-request/get-status",
        },
        Sample::ReplicaResponse(r) => match r {
            ReplicaResponse::Client { reply, .. } => match reply {
                ClientReply::Accepted { .. } => "replica-response/accepted",
                ClientReply::Answer { .. } => "replica-response/answer",
                ClientReply::NotYet { .. } => "replica-response/not-yet",
                ClientReply::Unavailable { .. } => "replica-response/unavailable",
                ClientReply::Rejected { .. } => "replica-response/rejected",
                ClientReply::Forced { .. } => "replica-response/forced",
                ClientReply::ForcedUnavailable { .. } => "replica-response/forced-unavailable",
                ClientReply::Reconfigured { .. } => "replica-response/reconfigured",
            },
            ReplicaResponse::Status(_) => "replica-response/status",
            ReplicaResponse::Error { .. } => "replica-response/error",
        },
        Sample::FrontendRequest(r) => match r {
            FrontendRequest::Session(s) => match s.request {
                ClientRequest::Update { .. } => "frontend-request/session-update",
                ClientRequest::Query { .. } => "frontend-request/session-query",
                ClientRequest::ForcedQuery { .. } => "frontend-request/session-forced-query",
            },
            FrontendRequest::ChangeStatus { .. } => "frontend-request/change-status",
            FrontendRequest::ListReplicas => "frontend-request/list-replicas",
        },
        Sample::FrontendResponse(r) => match r {
            FrontendResponse::Reply(_) => "frontend-response/reply",
            FrontendResponse::Busy { .. } => "frontend-response/busy",
            FrontendResponse::Status(_) => "frontend-response/status",
            FrontendResponse::Replicas(_) => "frontend-response/replicas",
            FrontendResponse::Error { .. } => "frontend-response/error",
        },
    }
}
