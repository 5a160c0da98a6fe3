//! [`Admission`]: the hook through which the service layer decides which
//! client requests a replica takes and which peer messages pass, so that
//! policies (a demo's random overload, a test's partition switch) live
//! above the library.

use std::sync::Arc;

use hearsay_core::{App, ClientRequest, PeerMessage, ReplicaId};

/// What an [`Admission`] says of a client request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestVerdict {
    /// Handle it.
    Admit,
    /// Answer "overloaded" at once, without queueing (the front end tries
    /// another replica, or answers busy).
    Busy,
}

/// What an [`Admission`] says of a peer message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerVerdict {
    /// Let it through.
    Deliver,
    /// Drop it (anti-entropy repairs what gossip loses, once messages pass
    /// again).
    Drop,
}

/// A replica's admission policy, given by the service that runs it
/// ([`crate::ReplicaNodeBuilder::admission`], [`ReplicaHandle::with_admission`](crate::ReplicaHandle::with_admission)).
/// Every method defaults to letting everything through.
///
/// The replica's own bound on requests in flight
/// ([`crate::ReplicaServerConfig::max_in_flight`]) applies besides, after
/// the policy. Methods run on the request and gossip paths: keep them quick
/// and never block.
pub trait Admission<A: App>: Send + Sync + 'static {
    /// Whether to handle a client request now.
    fn request(&self, _request: &ClientRequest<A>) -> RequestVerdict {
        RequestVerdict::Admit
    }

    /// Whether a message from peer `from` reaches the replica.
    fn receive(&self, _from: &ReplicaId, _msg: &PeerMessage<A>) -> PeerVerdict {
        PeerVerdict::Deliver
    }

    /// Whether a message the replica sends to peer `to` leaves.
    fn send(&self, _to: &ReplicaId, _msg: &PeerMessage<A>) -> PeerVerdict {
        PeerVerdict::Deliver
    }
}

/// Several policies, every one of which must agree.
pub(crate) struct AllOf<A: App>(pub(crate) Vec<Arc<dyn Admission<A>>>);

impl<A: App + 'static> AllOf<A> {
    /// One policy of `policies`: `None` if there is none, itself if one.
    pub(crate) fn combine(
        mut policies: Vec<Arc<dyn Admission<A>>>,
    ) -> Option<Arc<dyn Admission<A>>> {
        match policies.len() {
            0 => None,
            1 => policies.pop(),
            _ => Some(Arc::new(Self(policies))),
        }
    }
}

impl<A: App + 'static> AllOf<A> {
    /// Whether every policy passes `pass`.
    fn all(&self, pass: impl Fn(&dyn Admission<A>) -> bool) -> bool {
        self.0.iter().all(|p| pass(&**p))
    }
}

/// `Deliver` if every policy let a message through.
fn delivered(all: bool) -> PeerVerdict {
    if all {
        PeerVerdict::Deliver
    } else {
        PeerVerdict::Drop
    }
}

impl<A: App + 'static> Admission<A> for AllOf<A> {
    fn request(&self, request: &ClientRequest<A>) -> RequestVerdict {
        if self.all(|p| p.request(request) == RequestVerdict::Admit) {
            RequestVerdict::Admit
        } else {
            RequestVerdict::Busy
        }
    }

    fn receive(&self, from: &ReplicaId, msg: &PeerMessage<A>) -> PeerVerdict {
        delivered(self.all(|p| p.receive(from, msg) == PeerVerdict::Deliver))
    }

    fn send(&self, to: &ReplicaId, msg: &PeerMessage<A>) -> PeerVerdict {
        delivered(self.all(|p| p.send(to, msg) == PeerVerdict::Deliver))
    }
}

#[cfg(test)]
mod tests {
    use hearsay_core::testing::{KvApp, KvQuery};
    use hearsay_core::{Session, VectorTimestamp};

    use super::*;

    /// Says `request` to requests and `peer` to messages both ways.
    struct Fixed(RequestVerdict, PeerVerdict);

    impl Admission<KvApp> for Fixed {
        fn request(&self, _: &ClientRequest<KvApp>) -> RequestVerdict {
            self.0
        }
        fn receive(&self, _: &ReplicaId, _: &PeerMessage<KvApp>) -> PeerVerdict {
            self.1
        }
        fn send(&self, _: &ReplicaId, _: &PeerMessage<KvApp>) -> PeerVerdict {
            self.1
        }
    }

    #[test]
    fn several_policies_pass_a_request_or_message_only_if_every_one_does() {
        use {PeerVerdict::*, RequestVerdict::*};
        let query = Session::new(hearsay_core::ClientId(1))
            .query::<KvApp>(KvQuery::Count { key: "k".into() });
        let msg = PeerMessage::<KvApp>::Digest {
            rep_ts: VectorTimestamp::default(),
            reply: false,
        };
        let peer = ReplicaId::new("r2").unwrap();
        assert!(AllOf::<KvApp>::combine(Vec::new()).is_none());
        let open = AllOf::combine(vec![
            Arc::new(Fixed(Admit, Deliver)) as Arc<dyn Admission<KvApp>>,
            Arc::new(Fixed(Admit, Deliver)),
        ])
        .unwrap();
        assert_eq!(open.request(&query), Admit);
        assert_eq!(open.receive(&peer, &msg), Deliver);
        let one_says_no = AllOf::combine(vec![
            Arc::new(Fixed(Admit, Deliver)) as Arc<dyn Admission<KvApp>>,
            Arc::new(Fixed(Busy, Drop)),
        ])
        .unwrap();
        assert_eq!(one_says_no.request(&query), Busy);
        assert_eq!(one_says_no.receive(&peer, &msg), Drop);
        assert_eq!(one_says_no.send(&peer, &msg), Drop);
    }
}
