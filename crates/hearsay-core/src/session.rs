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

    /// A query request.
    pub fn query<A: App>(&self, query: A::Query) -> ClientRequest<A> {
        ClientRequest::Query {
            prev: self.prev.clone(),
            query,
        }
    }

    /// A forced query request: answered at its place in the forced order
    /// (linearizable). It takes a fresh id from the update counter, which
    /// names it in the forced order's client table, so a retry is answered
    /// once and never ordered twice.
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

    /// Merges the timestamp of a successful reply into `prev`. A forced
    /// update's answer counts whatever its outcome: its timestamp covers
    /// the forced record (a refused one is a no-op record) and what its
    /// decision saw.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ReplicaId;
    use crate::testing::{KvApp, KvQuery, KvUpdate};

    #[test]
    fn a_forced_query_takes_a_fresh_id_from_the_update_counter() {
        let mut s = Session::new(ClientId(4));
        let ClientRequest::<KvApp>::Update { id: first, .. } = s.update::<KvApp>(KvUpdate::Put {
            key: "k".into(),
            value: 1,
        }) else {
            panic!("an update request")
        };
        let q = s.forced_query::<KvApp>(KvQuery::Get { key: "k".into() });
        let ClientRequest::ForcedQuery { id, .. } = q else {
            panic!("a forced query request")
        };
        assert_eq!(id.client, ClientId(4));
        assert_eq!(id.seq, first.seq + 1);
    }

    #[test]
    fn a_forced_answer_is_observed_whatever_its_outcome() {
        let mut s = Session::new(ClientId(1));
        let mut ts = VectorTimestamp::new();
        ts.set(ReplicaId::forced(), 3);
        s.observe::<KvApp>(&ClientReply::Forced {
            outcome: Err("no".into()),
            ts: ts.clone(),
        });
        assert_eq!(s.prev(), &ts);
    }
}
