//! [`PeerApp`]: an application's state and the peer list, replicated
//! together, so presence travels by the same gossip as the application's
//! updates (and a late joiner's snapshot brings both).

use std::fmt::Debug;

use hearsay_core::{App, ApplyContext, ReplicaId, UpdateClass};
use serde::{Deserialize, Serialize};

use crate::roster::{Presence, Roster};

/// The replicated state of a peer: the peer list beside the application.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct PeerApp<A> {
    roster: Roster,
    app: A,
}

/// An update of a [`PeerApp`].
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum PeerUpdate<U> {
    /// A peer is here (joining), or withdrawn (`gone`: it left or crashed).
    Presence {
        /// The peer.
        name: ReplicaId,
        /// Its entry.
        presence: Presence,
    },
    /// An update of the application.
    App(U),
}

/// A query of a [`PeerApp`].
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum PeerQuery<Q> {
    /// The peer list (what a joining peer asks for).
    Roster,
    /// A query of the application.
    App(Q),
}

/// The answer to a [`PeerQuery`].
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum PeerReply<R> {
    /// The peer list.
    Roster(Roster),
    /// The application's answer.
    App(R),
}

impl<A> PeerApp<A> {
    /// `app` with an empty peer list.
    pub fn new(app: A) -> Self {
        Self {
            roster: Roster::default(),
            app,
        }
    }

    /// The peer list.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The application's state.
    pub fn app(&self) -> &A {
        &self.app
    }
}

impl<A: App> App for PeerApp<A> {
    type Update = PeerUpdate<A::Update>;
    type Query = PeerQuery<A::Query>;
    type Reply = PeerReply<A::Reply>;

    fn apply(&mut self, update: &Self::Update, ctx: &ApplyContext<'_>) {
        match update {
            PeerUpdate::Presence { name, presence } => {
                self.roster.note(name, *presence);
            }
            PeerUpdate::App(u) => self.app.apply(u, ctx),
        }
    }

    fn query(&self, query: &Self::Query) -> Self::Reply {
        match query {
            PeerQuery::Roster => PeerReply::Roster(self.roster.clone()),
            PeerQuery::App(q) => PeerReply::App(self.app.query(q)),
        }
    }

    fn validate(update: &Self::Update) -> Result<(), String> {
        match update {
            PeerUpdate::Presence { .. } => Ok(()),
            PeerUpdate::App(u) => A::validate(u),
        }
    }

    fn class(update: &Self::Update) -> UpdateClass {
        match update {
            PeerUpdate::Presence { .. } => UpdateClass::Causal,
            PeerUpdate::App(u) => A::class(u),
        }
    }

    fn decide_forced(&self, update: &Self::Update) -> Result<(), String> {
        match update {
            PeerUpdate::Presence { .. } => Ok(()),
            PeerUpdate::App(u) => self.app.decide_forced(u),
        }
    }
}

#[cfg(test)]
mod tests {
    use hearsay_core::conformance::check_convergence;
    use hearsay_core::testing::{KvApp, KvUpdate};

    use super::*;

    #[test]
    fn presences_and_app_updates_converge_in_any_order() {
        let name = |n: &str| ReplicaId::new(n).unwrap();
        let at = |inc, gone| Presence {
            incarnation: inc,
            gone,
            addr: "127.0.0.1:7".parse().unwrap(),
        };
        let updates = vec![
            PeerUpdate::Presence {
                name: name("a"),
                presence: at(1, false),
            },
            PeerUpdate::Presence {
                name: name("a"),
                presence: at(1, true),
            },
            PeerUpdate::Presence {
                name: name("b"),
                presence: at(3, false),
            },
            PeerUpdate::App(KvUpdate::Put {
                key: "k".into(),
                value: 1,
            }),
        ];
        check_convergence(&PeerApp::new(KvApp::default()), &updates, 40, 3).expect("converges");
    }
}
