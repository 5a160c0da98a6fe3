//! The movie-ratings service: a catalog (title, year, genres) and per-user
//! ratings, replicated with last-writer-wins per (movie, user).

mod catalog;
mod rating;
mod rows;
mod search;
mod view;

use std::collections::BTreeMap;

use hearsay_core::{App, ApplyContext, Arbitration, ClientId, UpdateClass, UpdateId};
use serde::{Deserialize, Serialize};

pub use catalog::{Catalog, LoadError, Movie, MovieId};
pub use rating::{Rating, RatingError};

/// A user of the service (the REPL's `user <id>`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct UserId(pub u32);

/// The replicated state: the catalog and every user's rating.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Movies {
    catalog: Catalog,
    /// Per (movie, user): the rating (`None` once deleted: a tombstone, so a
    /// delete and a concurrent rate agree everywhere) and the write that set it.
    ratings: BTreeMap<(MovieId, UserId), (Option<Rating>, Arbitration)>,
}

/// A change to the ratings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MovieUpdate {
    /// Add or change a user's rating of a movie.
    Rate {
        /// The movie.
        movie: MovieId,
        /// The user.
        user: UserId,
        /// The rating, 0 to 5 in halves.
        rating: Rating,
    },
    /// Remove a user's rating of a movie.
    Delete {
        /// The movie.
        movie: MovieId,
        /// The user.
        user: UserId,
    },
    /// Compare-and-set, a *forced* update (the REPL's `cas`): set the
    /// user's rating to `rating` only if it is `expected` now (`None`: not
    /// rated). Decided once, at its place in the forced order, so two
    /// sessions racing to move one rating from the same value cannot both
    /// win; the loser is refused with the rating it found.
    CompareAndRate {
        /// The movie.
        movie: MovieId,
        /// The user.
        user: UserId,
        /// The rating the user must have now (`None`: not rated).
        expected: Option<Rating>,
        /// The new rating.
        rating: Rating,
    },
}

/// A question about the catalog or the ratings. Titles are matched
/// case-insensitively; `Title (1995)` picks one year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MovieQuery {
    /// A movie's year and genres.
    Find {
        /// The title.
        title: String,
    },
    /// A user's rating of a movie.
    View {
        /// The title.
        title: String,
        /// The user.
        user: UserId,
    },
    /// The average rating of a movie.
    Average {
        /// The title.
        title: String,
    },
    /// Movies whose titles contain `text`, best matches first.
    Search {
        /// The text.
        text: String,
        /// At most this many.
        limit: u32,
    },
}

/// An answer about the catalog or the ratings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MovieReply {
    /// No movie has that title.
    NotFound {
        /// The title asked for.
        title: String,
        /// Up to three close titles.
        suggestions: Vec<String>,
    },
    /// The movie.
    Movie(Movie),
    /// A user's rating (`None`: not rated).
    UserRating {
        /// The movie.
        movie: Movie,
        /// The rating.
        rating: Option<Rating>,
    },
    /// The ratings of a movie, summed in half stars.
    Average {
        /// The movie.
        movie: Movie,
        /// Sum of all ratings, in half stars.
        sum_halves: u64,
        /// How many users rated it.
        count: u32,
    },
    /// Search results.
    Matches(Vec<Movie>),
}

impl MovieReply {
    /// The average in stars, if anyone rated the movie.
    pub fn average_stars(sum_halves: u64, count: u32) -> Option<f64> {
        (count > 0).then(|| sum_halves as f64 / 2.0 / f64::from(count))
    }
}

/// The order of ratings loaded from files: below every live update.
const SEEDED: Arbitration = Arbitration {
    depth: 0,
    id: UpdateId {
        client: ClientId(0),
        seq: 0,
    },
};

impl Movies {
    /// A service over `catalog` with no ratings.
    pub fn new(catalog: Catalog) -> Self {
        Self {
            catalog,
            ratings: BTreeMap::new(),
        }
    }

    /// The built-in sample catalog and its seeded ratings.
    pub fn sample() -> Self {
        // The sample files are part of the crate and tested below.
        Self::from_csv(catalog::SAMPLE_MOVIES, Some(catalog::SAMPLE_RATINGS))
            .unwrap_or_else(|e| unreachable!("the bundled sample is valid: {e}"))
    }

    /// Loads MovieLens-format text: `movies.csv` and, optionally, `ratings.csv`.
    pub fn from_csv(movies: &str, ratings: Option<&str>) -> Result<Self, LoadError> {
        let mut me = Self::new(Catalog::from_csv(movies)?);
        if let Some(text) = ratings {
            for (movie, user, rating) in catalog::parse_ratings(text, &me.catalog)? {
                me.ratings.insert((movie, user), (Some(rating), SEEDED));
            }
        }
        Ok(me)
    }

    /// Loads `movies.csv` and (if present) `ratings.csv` from a directory.
    pub fn from_dir(dir: &std::path::Path) -> Result<Self, LoadError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| LoadError::Io {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        let movies = read("movies.csv")?;
        let ratings = if dir.join("ratings.csv").exists() {
            Some(read("ratings.csv")?)
        } else {
            None
        };
        Self::from_csv(&movies, ratings.as_deref())
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// How many ratings are held (deleted ones excluded).
    pub fn rating_count(&self) -> usize {
        self.ratings.values().filter(|(r, _)| r.is_some()).count()
    }

    fn write(&mut self, movie: MovieId, user: UserId, rating: Option<Rating>, order: Arbitration) {
        let slot = self.ratings.entry((movie, user)).or_insert((None, SEEDED));
        if order >= slot.1 {
            *slot = (rating, order);
        }
    }

    fn rating_of(&self, movie: MovieId, user: UserId) -> Option<Rating> {
        self.ratings.get(&(movie, user)).and_then(|(r, _)| *r)
    }

    fn lookup(&self, title: &str) -> Result<&Movie, MovieReply> {
        self.catalog
            .find(title)
            .ok_or_else(|| MovieReply::NotFound {
                title: title.trim().to_owned(),
                suggestions: search::suggestions(&self.catalog, title, 3),
            })
    }
}

impl App for Movies {
    type Update = MovieUpdate;
    type Query = MovieQuery;
    type Reply = MovieReply;

    fn apply(&mut self, update: &MovieUpdate, ctx: &ApplyContext<'_>) {
        match update {
            MovieUpdate::Rate {
                movie,
                user,
                rating,
            } => self.write(*movie, *user, Some(*rating), ctx.order),
            MovieUpdate::Delete { movie, user } => self.write(*movie, *user, None, ctx.order),
            // Applied only when granted (a refused forced update is a
            // no-op): the decided effect, without reading the state again.
            MovieUpdate::CompareAndRate {
                movie,
                user,
                rating,
                ..
            } => self.write(*movie, *user, Some(*rating), ctx.order),
        }
    }

    fn query(&self, query: &MovieQuery) -> MovieReply {
        match query {
            MovieQuery::Find { title } => match self.lookup(title) {
                Ok(m) => MovieReply::Movie(m.clone()),
                Err(not_found) => not_found,
            },
            MovieQuery::View { title, user } => match self.lookup(title) {
                Ok(m) => MovieReply::UserRating {
                    movie: m.clone(),
                    rating: self.rating_of(m.id, *user),
                },
                Err(not_found) => not_found,
            },
            MovieQuery::Average { title } => match self.lookup(title) {
                Ok(m) => {
                    let (mut sum_halves, mut count) = (0u64, 0u32);
                    let range = (m.id, UserId(0))..=(m.id, UserId(u32::MAX));
                    for (rating, _) in self.ratings.range(range).map(|(_, v)| v) {
                        if let Some(r) = rating {
                            sum_halves += u64::from(r.halves());
                            count += 1;
                        }
                    }
                    MovieReply::Average {
                        movie: m.clone(),
                        sum_halves,
                        count,
                    }
                }
                Err(not_found) => not_found,
            },
            MovieQuery::Search { text, limit } => {
                MovieReply::Matches(search::search(&self.catalog, text, *limit as usize))
            }
        }
    }

    fn validate(update: &MovieUpdate) -> Result<(), String> {
        match update {
            MovieUpdate::Rate { rating, .. } => Rating::from_halves(rating.halves())
                .map(|_| ())
                .map_err(|e| e.to_string()),
            MovieUpdate::Delete { .. } => Ok(()),
            MovieUpdate::CompareAndRate {
                expected, rating, ..
            } => expected
                .iter()
                .chain(std::iter::once(rating))
                .try_for_each(|r| Rating::from_halves(r.halves()).map(|_| ()))
                .map_err(|e| e.to_string()),
        }
    }

    fn class(update: &MovieUpdate) -> UpdateClass {
        match update {
            MovieUpdate::CompareAndRate { .. } => UpdateClass::Forced,
            MovieUpdate::Rate { .. } | MovieUpdate::Delete { .. } => UpdateClass::Causal,
        }
    }

    /// A compare-and-set is granted when the rating is the expected one at
    /// its place in the forced order (with the session's causal past).
    fn decide_forced(&self, update: &MovieUpdate) -> Result<(), String> {
        let MovieUpdate::CompareAndRate {
            movie,
            user,
            expected,
            ..
        } = update
        else {
            return Ok(());
        };
        let found = self.rating_of(*movie, *user);
        if found == *expected {
            return Ok(());
        }
        let show = |r: Option<Rating>| r.map_or_else(|| "not rated".to_owned(), |r| r.to_string());
        Err(format!(
            "the rating is {}, not {}",
            show(found),
            show(*expected)
        ))
    }
}

#[cfg(test)]
mod tests;
