//! Client to front end: session requests, replies, and admin pass-through.

use hearsay_core::{App, BUSY_MESSAGE, ClientId, ClientReply, ClientRequest, ReplicaId, Status};
use serde::{Deserialize, Serialize};

use crate::codec::{Frame, MAX_REPLY_BYTES, MAX_REQUEST_BYTES};
use crate::report::StatusReport;

/// One operation of a client session.
///
/// The operation travels as a [`ClientRequest`], built by the client's
/// [`hearsay_core::Session`]: it already holds the session's `prev` and, for an
/// update, the update id (client id and counter) that makes retries
/// exactly-once. Keeping the core's type here means no second operation enum to
/// keep in step with it.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct SessionRequest<A: App> {
    /// The session. Needed for queries, which carry no update id; for updates
    /// it equals the update id's client.
    pub client: ClientId,
    /// The operation, with the session's `prev`.
    pub request: ClientRequest<A>,
    /// A replica to use whenever it is available (the REPL's `--prefer`).
    pub prefer: Option<ReplicaId>,
}

/// One replica as the front end knows it, for [`FrontendResponse::Replicas`].
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ReplicaEntry {
    /// The replica's name.
    pub name: ReplicaId,
    /// The status the front end routes by (`Offline` when it did not answer).
    pub status: Status,
    /// The replica's own report, when it answered in time.
    pub report: Option<StatusReport>,
}

/// What a client asks of a front end. Variants are only ever appended.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum FrontendRequest<A: App> {
    /// An update or a query of a session. Answered with
    /// [`FrontendResponse::Reply`] or [`FrontendResponse::Busy`].
    Session(SessionRequest<A>),
    /// Admin: set the status of the replica named `replica`; reaches it even
    /// while it is offline. Answered with [`FrontendResponse::Status`].
    ChangeStatus {
        /// The replica.
        replica: ReplicaId,
        /// Its new status.
        status: Status,
    },
    /// Admin: list the replicas with their status. Answered with
    /// [`FrontendResponse::Replicas`].
    ListReplicas,
}

/// A front end's answer to a [`FrontendRequest`]. Variants are only ever appended.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum FrontendResponse<A: App> {
    /// A replica's reply: `Accepted`, `Answer` or `Rejected`. The client merges
    /// its timestamp into the session's `prev`.
    Reply(ClientReply<A>),
    /// No replica could serve the request; `message` is [`BUSY_MESSAGE`].
    Busy {
        /// The line to show the user (sent so that every client shows the same).
        message: String,
    },
    /// The replica's report after a [`FrontendRequest::ChangeStatus`].
    Status(StatusReport),
    /// The answer to [`FrontendRequest::ListReplicas`], in name order.
    Replicas(Vec<ReplicaEntry>),
    /// The request could not be done (unknown replica, malformed frame, ...).
    Error {
        /// What was wrong, for the user.
        reason: String,
    },
}

impl<A: App> FrontendResponse<A> {
    /// The busy answer, with [`BUSY_MESSAGE`].
    pub fn busy() -> Self {
        Self::Busy {
            message: BUSY_MESSAGE.to_owned(),
        }
    }
}

impl<A: App> Frame for FrontendRequest<A> {
    const KIND: &'static str = "front end request";
    const TAG: u8 = 4;
    const MAX_BYTES: usize = MAX_REQUEST_BYTES;
}

impl<A: App> Frame for FrontendResponse<A> {
    const KIND: &'static str = "front end response";
    const TAG: u8 = 5;
    const MAX_BYTES: usize = MAX_REPLY_BYTES;
}
