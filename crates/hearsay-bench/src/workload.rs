//! What the load sends: updates and queries of the app the cluster runs.
//!
//! A local run replicates [`PayloadApp`], whose updates carry
//! `--payload-bytes` of payload. An attached cluster runs
//! [`ClusterApp`], so the load rates movies there ([`MovieWorkload`]).

use hearsay_apps::movies::{MovieId, MovieQuery, MovieUpdate, Movies, Rating, UserId};
use hearsay_core::App;
use hearsay_demo::cluster::{ClusterApp, ClusterQuery, ClusterUpdate};
use rand::Rng;
use rand::rngs::StdRng;

use crate::app::{Get, KEYS, PayloadApp, Put};

/// Makes the requests of one app.
pub(crate) trait Workload: Send + Sync + 'static {
    /// The app the cluster replicates.
    type App: App<Update: Clone + Send + Sync, Query: Send + Sync, Reply: Send + Sync>
        + Send
        + Sync
        + 'static;

    /// A random update.
    fn update(&self, rng: &mut StdRng) -> <Self::App as App>::Update;

    /// A random query.
    fn query(&self, rng: &mut StdRng) -> <Self::App as App>::Query;
}

/// [`PayloadApp`] registers: a random key of [`KEYS`] gets `payload_bytes`.
pub(crate) struct PayloadWorkload {
    pub(crate) payload_bytes: usize,
}

impl Workload for PayloadWorkload {
    type App = PayloadApp;

    fn update(&self, rng: &mut StdRng) -> Put {
        Put {
            key: rng.random_range(0..KEYS),
            payload: vec![rng.random::<u8>(); self.payload_bytes],
        }
    }

    fn query(&self, rng: &mut StdRng) -> Get {
        Get {
            key: rng.random_range(0..KEYS),
        }
    }
}

/// The first user id the bench rates as, far above the ids people use
/// (the REPL's `user <id>`), so its ratings stay apart from theirs.
pub const BENCH_USER: u32 = 4_000_000_000;

/// Movies of the sample catalog the bench rates, at most.
const MOVIES: usize = 64;

/// Ratings of the sample catalog's first movies by bench users
/// (from [`BENCH_USER`]), over [`KEYS`] (movie, user) pairs at most, so a
/// long run leaves a bounded number of ratings behind; queries ask for
/// those movies' averages.
pub(crate) struct MovieWorkload {
    movies: Vec<(MovieId, String)>,
}

impl MovieWorkload {
    pub(crate) fn new() -> Self {
        let movies = Movies::sample()
            .catalog()
            .iter()
            .take(MOVIES)
            .map(|m| (m.id, m.title.clone()))
            .collect();
        Self { movies }
    }

    fn pick(&self, rng: &mut StdRng) -> (usize, u32) {
        let n = self.movies.len().max(1);
        let key = rng.random_range(0..KEYS) as usize;
        // Fewer than 2^32 keys: the user number fits.
        (key % n, BENCH_USER + u32::try_from(key / n).unwrap_or(0))
    }
}

impl Workload for MovieWorkload {
    type App = ClusterApp;

    fn update(&self, rng: &mut StdRng) -> ClusterUpdate {
        let (movie, user) = self.pick(rng);
        let movie = self.movies.get(movie).map_or(MovieId(1), |m| m.0);
        // 0 to 10 half stars are all valid ratings.
        let rating =
            Rating::from_halves(rng.random_range(0..=10)).unwrap_or_else(|_| unreachable!());
        ClusterUpdate::Movie(MovieUpdate::Rate {
            movie,
            user: UserId(user),
            rating,
        })
    }

    fn query(&self, rng: &mut StdRng) -> ClusterQuery {
        let (movie, _) = self.pick(rng);
        let title = self
            .movies
            .get(movie)
            .map_or_else(|| "Toy Story".to_owned(), |m| m.1.clone());
        ClusterQuery::Movie(MovieQuery::Average { title })
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn movie_load_stays_within_the_bench_users_and_valid_ratings() {
        let w = MovieWorkload::new();
        assert!(!w.movies.is_empty() && w.movies.len() <= MOVIES);
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..1000 {
            let u = w.update(&mut rng);
            assert_eq!(ClusterApp::validate(&u), Ok(()));
            let ClusterUpdate::Movie(MovieUpdate::Rate { user, .. }) = u else {
                panic!("not a rating: {u:?}");
            };
            assert!(
                user.0 >= BENCH_USER && user.0 < BENCH_USER + KEYS,
                "{user:?}"
            );
        }
    }
}
