//! [`ClusterApp`]: what a `hearsay up` cluster replicates — the movie ratings
//! and the tracker's payloads, side by side in one store, so one set of
//! replicas serves the REPL and the claims network alike. It is the demo's
//! app, so it lives here, above the library; the claims reach its payloads
//! through [`ClaimsApp`], and the bench's attached mode names it from here.

use hearsay_apps::movies::{MovieQuery, MovieReply, MovieUpdate, Movies};
use hearsay_apps::payloads::{PayloadId, PayloadQuery, PayloadReply, PayloadUpdate, Payloads};
use hearsay_claims::ClaimsApp;
use hearsay_core::{App, ApplyContext, UpdateClass};
use serde::{Deserialize, Serialize};

/// The movies and the payloads, each its own app; an operation names which.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterApp {
    /// The movie-ratings service.
    pub movies: Movies,
    /// The payloads written at the tracker.
    pub payloads: Payloads,
}

/// A change to one of the two.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClusterUpdate {
    /// A change to the ratings.
    Movie(MovieUpdate),
    /// A change to the payloads.
    Payload(PayloadUpdate),
}

/// A question to one of the two.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClusterQuery {
    /// A question about the movies.
    Movie(MovieQuery),
    /// A question about the payloads (a claim among them).
    Payload(PayloadQuery),
}

/// An answer from one of the two.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ClusterReply {
    /// An answer about the movies.
    Movie(MovieReply),
    /// An answer about the payloads.
    Payload(PayloadReply),
}

impl ClusterApp {
    /// The movies given and no payloads.
    pub fn new(movies: Movies) -> Self {
        Self {
            movies,
            payloads: Payloads::new(),
        }
    }
}

impl ClusterApp {
    /// The state as key → value text, ratings first, then payloads: a
    /// replica's data view (the tracker's live monitor shows it).
    pub fn view(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.movies.view().chain(self.payloads.view())
    }

    /// How many entries [`view`](Self::view) yields.
    pub fn view_len(&self) -> usize {
        self.movies.view_len() + self.payloads.len()
    }
}

impl App for ClusterApp {
    type Update = ClusterUpdate;
    type Query = ClusterQuery;
    type Reply = ClusterReply;

    fn apply(&mut self, update: &ClusterUpdate, ctx: &ApplyContext<'_>) {
        match update {
            ClusterUpdate::Movie(u) => self.movies.apply(u, ctx),
            ClusterUpdate::Payload(u) => self.payloads.apply(u, ctx),
        }
    }

    fn query(&self, query: &ClusterQuery) -> ClusterReply {
        match query {
            ClusterQuery::Movie(q) => ClusterReply::Movie(self.movies.query(q)),
            ClusterQuery::Payload(q) => ClusterReply::Payload(self.payloads.query(q)),
        }
    }

    fn validate(update: &ClusterUpdate) -> Result<(), String> {
        match update {
            ClusterUpdate::Movie(u) => Movies::validate(u),
            ClusterUpdate::Payload(u) => Payloads::validate(u),
        }
    }

    fn class(update: &ClusterUpdate) -> UpdateClass {
        match update {
            ClusterUpdate::Movie(u) => Movies::class(u),
            ClusterUpdate::Payload(u) => Payloads::class(u),
        }
    }

    fn decide_forced(&self, update: &ClusterUpdate) -> Result<(), String> {
        match update {
            ClusterUpdate::Movie(u) => self.movies.decide_forced(u),
            ClusterUpdate::Payload(u) => self.payloads.decide_forced(u),
        }
    }
}

impl ClaimsApp for ClusterApp {
    fn held_payload(&self, pick: usize) -> Option<(PayloadId, String)> {
        self.payloads.held_payload(pick)
    }

    fn verify_query(id: PayloadId, content: String) -> ClusterQuery {
        ClusterQuery::Payload(Payloads::verify_query(id, content))
    }

    fn claimed_id(query: &ClusterQuery) -> Option<&PayloadId> {
        match query {
            ClusterQuery::Payload(q) => Payloads::claimed_id(q),
            ClusterQuery::Movie(_) => None,
        }
    }

    fn verdict(reply: &ClusterReply) -> Option<bool> {
        match reply {
            ClusterReply::Payload(r) => Payloads::verdict(r),
            ClusterReply::Movie(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use hearsay_apps::movies::{MovieId, Rating, UserId};
    use hearsay_core::conformance::check_convergence;

    use super::*;

    #[test]
    fn movies_and_payloads_converge_together() {
        let rate = |m, u, h| {
            ClusterUpdate::Movie(MovieUpdate::Rate {
                movie: MovieId(m),
                user: UserId(u),
                rating: Rating::from_halves(h).unwrap(),
            })
        };
        let put = |p: &str| ClusterUpdate::Payload(PayloadUpdate::Put { payload: p.into() });
        let updates = [
            rate(1, 1, 4),
            put("a"),
            rate(1, 1, 6),
            put("b"),
            rate(2, 3, 1),
            put("a"),
        ];
        for seed in 0..10 {
            if let Err(e) = check_convergence(&ClusterApp::new(Movies::sample()), &updates, 8, seed)
            {
                panic!("{e}");
            }
        }
    }

    #[test]
    fn each_operation_reaches_its_own_app() {
        let app = ClusterApp::new(Movies::sample());
        assert_eq!(
            app.query(&ClusterQuery::Payload(PayloadQuery::Count)),
            ClusterReply::Payload(PayloadReply::Count(0))
        );
        let bad = ClusterUpdate::Payload(PayloadUpdate::Put {
            payload: String::new(),
        });
        assert!(ClusterApp::validate(&bad).is_err());
    }

    #[test]
    fn claims_reach_the_payloads_and_only_them() {
        let id = PayloadId::of(b"a");
        let q = ClusterApp::verify_query(id, "a".into());
        assert_eq!(ClusterApp::claimed_id(&q), Some(&id));
        assert_eq!(
            ClusterApp::claimed_id(&ClusterQuery::Payload(PayloadQuery::Count)),
            None
        );
        let app = ClusterApp::new(Movies::sample());
        assert_eq!(
            ClusterApp::verdict(&app.query(&q)),
            Some(false),
            "nothing is held yet"
        );
        assert_eq!(app.held_payload(3), None);
        assert_eq!(
            ClusterApp::verdict(&ClusterReply::Payload(PayloadReply::Count(1))),
            None
        );
    }
}
