//! A client session's causal context, kept by clients and front ends alike.

use crate::app::App;
use crate::ids::{ClientId, UpdateId};
use crate::message::{ClientReply, ClientRequest};
use crate::timestamp::VectorTimestamp;

/// One client's session: its id, the next update counter and its `prev`.
///
/// A session issues one request at a time: an update is retried with the same
/// id until it is acknowledged or given up, and the next update follows it.
/// Holding `prev` here (on the client) is what keeps the session's guarantees
/// when it reconnects through another front end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    client: ClientId,
    next_seq: u64,
    prev: VectorTimestamp,
}

impl Session {
    /// A new session with a zero context.
    pub fn new(client: ClientId) -> Self {
        Self {
            client,
            next_seq: 1,
            prev: VectorTimestamp::new(),
        }
    }

    /// The session's id.
    pub fn client(&self) -> ClientId {
        self.client
    }

    /// Everything this session has seen or written.
    pub fn prev(&self) -> &VectorTimestamp {
        &self.prev
    }

    /// A fresh update request, with a new id.
    pub fn update<A: App>(&mut self, op: A::Update) -> ClientRequest<A> {
        let id = UpdateId {
            client: self.client,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        ClientRequest::Update {
            id,
            prev: self.prev.clone(),
            op,
        }
    }

    /// A forced query request (linearizable: answered at its place in the
    /// forced order), with a new id so that its retries are answered once.
    pub fn forced_query<A: App>(&mut self, query: A::Query) -> ClientRequest<A> {
        let id = UpdateId {
            client: self.client,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        ClientRequest::ForcedQuery {
            id,
            prev: self.prev.clone(),
            query,
        }
    }

    /// A query request.
    pub fn query<A: App>(&self, query: A::Query) -> ClientRequest<A> {
        ClientRequest::Query {
            prev: self.prev.clone(),
            query,
        }
    }

    /// Merges the timestamp of a successful reply into `prev`.
    pub fn observe<A: App>(&mut self, reply: &ClientReply<A>) {
        match reply {
            ClientReply::Accepted { ts }
            | ClientReply::Answer { ts, .. }
            | ClientReply::Forced { ts, .. } => self.prev.merge(ts),
            _ => {}
        }
    }

    /// Merges a context from elsewhere (a reconnecting client presents its own).
    pub fn merge_prev(&mut self, ts: &VectorTimestamp) {
        self.prev.merge(ts);
    }
}
