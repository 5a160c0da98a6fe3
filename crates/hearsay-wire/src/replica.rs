//! Front end to replica: client requests and admin requests.

use hearsay_core::{App, ClientReply, ClientRequest, Status};
use serde::{Deserialize, Serialize};

use crate::codec::{Frame, MAX_REPLY_BYTES, MAX_REQUEST_BYTES};
use crate::report::StatusReport;

/// What a front end asks of a replica. Variants are only ever appended.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ReplicaRequest<A: App> {
    /// A client's update or query, as one attempt of the front end.
    Client {
        /// The front end's attempt id (`hearsay_core::AttemptId`'s number),
        /// echoed in the answer so a late answer to an abandoned attempt is
        /// recognised.
        attempt: u64,
        /// The request.
        request: ClientRequest<A>,
    },
    /// Admin: set the replica's status. Answered with [`ReplicaResponse::Status`].
    SetStatus(Status),
    /// Admin: report status and timestamps. Answered with [`ReplicaResponse::Status`].
    GetStatus,
}

/// A replica's answer to a [`ReplicaRequest`]. Variants are only ever appended.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ReplicaResponse<A: App> {
    /// The answer to [`ReplicaRequest::Client`].
    Client {
        /// The attempt id from the request.
        attempt: u64,
        /// The replica's reply.
        reply: ClientReply<A>,
    },
    /// The answer to [`ReplicaRequest::SetStatus`] and [`ReplicaRequest::GetStatus`].
    Status(StatusReport),
    /// The request could not be handled at all (for example it did not decode).
    Error {
        /// What was wrong, for logs and the user.
        reason: String,
    },
}

impl<A: App> Frame for ReplicaRequest<A> {
    const KIND: &'static str = "replica request";
    const TAG: u8 = 2;
    const MAX_BYTES: usize = MAX_REQUEST_BYTES;
}

impl<A: App> Frame for ReplicaResponse<A> {
    const KIND: &'static str = "replica response";
    const TAG: u8 = 3;
    const MAX_BYTES: usize = MAX_REPLY_BYTES;
}
