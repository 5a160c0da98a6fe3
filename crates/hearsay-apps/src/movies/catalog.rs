//! The movie catalog and the MovieLens file format.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::rows::{Row, rows};
use super::{Rating, UserId};

/// The sample catalog shipped with hearsay (written for this project).
pub(super) const SAMPLE_MOVIES: &str = include_str!("../../data/movies.csv");
/// Seeded ratings for the sample catalog.
pub(super) const SAMPLE_RATINGS: &str = include_str!("../../data/ratings.csv");

/// A movie's id, as in MovieLens' `movieId`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct MovieId(pub u32);

/// One movie of the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movie {
    /// Its id.
    pub id: MovieId,
    /// Its title, articles in front ("The American President", not
    /// MovieLens' "American President, The").
    pub title: String,
    /// Its release year, when the file gave one.
    pub year: Option<u16>,
    /// Its genres, as listed.
    pub genres: Vec<String>,
}

impl fmt::Display for Movie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.year {
            Some(y) => write!(f, "{} ({y})", self.title),
            None => f.write_str(&self.title),
        }
    }
}

/// Why catalog or rating files could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        reason: String,
    },
    /// A line is malformed.
    #[error("{file} line {line}: {reason}")]
    Line {
        /// Which file kind (`movies.csv` or `ratings.csv`).
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Every movie, with an index by normalised title.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Catalog {
    movies: BTreeMap<MovieId, Movie>,
    /// Normalised title to the movies that carry it (remakes share titles).
    by_title: BTreeMap<String, Vec<MovieId>>,
}

/// Lower case, single spaces: how titles are compared.
pub(super) fn normalise(title: &str) -> String {
    title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Splits MovieLens' `Title, The (1995)` into `("The Title", Some(1995))`.
fn parse_title(raw: &str) -> (String, Option<u16>) {
    let raw = raw.trim();
    let (mut title, year) = match raw.rsplit_once(" (") {
        Some((t, rest)) if rest.len() == 5 && rest.ends_with(')') => match rest[..4].parse::<u16>()
        {
            Ok(y) => (t.trim().to_owned(), Some(y)),
            Err(_) => (raw.to_owned(), None),
        },
        _ => (raw.to_owned(), None),
    };
    for article in ["The", "A", "An"] {
        if let Some(stem) = title.strip_suffix(&format!(", {article}")) {
            title = format!("{article} {stem}");
            break;
        }
    }
    (title, year)
}

impl Catalog {
    /// Adds a movie (replacing one with the same id).
    pub fn insert(&mut self, movie: Movie) {
        if let Some(old) = self.movies.remove(&movie.id) {
            if let Some(ids) = self.by_title.get_mut(&normalise(&old.title)) {
                ids.retain(|id| *id != old.id);
            }
        }
        self.by_title
            .entry(normalise(&movie.title))
            .or_default()
            .push(movie.id);
        self.movies.insert(movie.id, movie);
    }

    /// Reads MovieLens `movies.csv` text (`movieId,title,genres`, header optional).
    pub fn from_csv(text: &str) -> Result<Self, LoadError> {
        let mut catalog = Catalog::default();
        for row in rows(text, "movies.csv", "movieId") {
            let Row { line, fields } = row?;
            let bad = |reason: String| LoadError::Line {
                file: "movies.csv",
                line,
                reason,
            };
            let [id, title, genres] = fields.as_slice() else {
                return Err(bad(format!(
                    "expected 3 fields (movieId,title,genres), found {}",
                    fields.len()
                )));
            };
            let id: u32 = id
                .trim()
                .parse()
                .map_err(|_| bad(format!("movieId {id:?} is not a number")))?;
            let (title, year) = parse_title(title);
            if title.is_empty() {
                return Err(bad("the title is empty".into()));
            }
            let genres = genres
                .split('|')
                .map(str::trim)
                .filter(|g| !g.is_empty() && *g != "(no genres listed)")
                .map(str::to_owned)
                .collect();
            catalog.insert(Movie {
                id: MovieId(id),
                title,
                year,
                genres,
            });
        }
        Ok(catalog)
    }

    /// The movie titled `title` (case-insensitive; `Title (1995)` picks a
    /// year; among remakes without a year, the lowest id).
    pub fn find(&self, title: &str) -> Option<&Movie> {
        let (stem, year) = parse_title(title);
        let ids = self.by_title.get(&normalise(&stem))?;
        ids.iter()
            .filter_map(|id| self.movies.get(id))
            .filter(|m| year.is_none() || m.year == year)
            .min_by_key(|m| m.id)
    }

    /// The movie with this id.
    pub fn get(&self, id: MovieId) -> Option<&Movie> {
        self.movies.get(&id)
    }

    /// Every movie, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Movie> + '_ {
        self.movies.values()
    }

    /// How many movies.
    pub fn len(&self) -> usize {
        self.movies.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.movies.is_empty()
    }
}

/// Reads MovieLens `ratings.csv` text (`userId,movieId,rating[,timestamp]`).
/// Ratings of movies not in the catalog are skipped.
pub(super) fn parse_ratings(
    text: &str,
    catalog: &Catalog,
) -> Result<Vec<(MovieId, UserId, Rating)>, LoadError> {
    let mut out = Vec::new();
    for row in rows(text, "ratings.csv", "userId") {
        let Row { line, fields } = row?;
        let bad = |reason: String| LoadError::Line {
            file: "ratings.csv",
            line,
            reason,
        };
        if fields.len() < 3 {
            return Err(bad(format!(
                "expected userId,movieId,rating, found {} fields",
                fields.len()
            )));
        }
        let user: u32 = fields[0]
            .trim()
            .parse()
            .map_err(|_| bad(format!("userId {:?} is not a number", fields[0])))?;
        let movie: u32 = fields[1]
            .trim()
            .parse()
            .map_err(|_| bad(format!("movieId {:?} is not a number", fields[1])))?;
        let rating: Rating = fields[2]
            .parse()
            .map_err(|e: super::RatingError| bad(e.to_string()))?;
        if catalog.get(MovieId(movie)).is_some() {
            out.push((MovieId(movie), UserId(user), rating));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movielens_titles_become_readable() {
        assert_eq!(
            parse_title("Toy Story (1995)"),
            ("Toy Story".into(), Some(1995))
        );
        assert_eq!(
            parse_title("American President, The (1995)"),
            ("The American President".into(), Some(1995))
        );
        assert_eq!(parse_title("Untitled"), ("Untitled".into(), None));
        assert_eq!(
            parse_title("Se7en (not a year)"),
            ("Se7en (not a year)".into(), None)
        );
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let err = Catalog::from_csv(
            "movieId,title,genres\n1,Toy Story (1995),Comedy\nx,Heat (1995),Action\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "movies.csv line 3: movieId \"x\" is not a number"
        );
        let err = Catalog::from_csv("1,\"Heat (1995),Action\n").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn find_matches_case_insensitively_and_by_year() {
        let c = Catalog::from_csv(
            "1,Heat (1986),Action\n2,Heat (1995),Crime\n3,\"Matrix, The (1999)\",Sci-Fi\n",
        )
        .unwrap();
        assert_eq!(c.find("heat").map(|m| m.id), Some(MovieId(1)));
        assert_eq!(c.find("Heat (1995)").map(|m| m.id), Some(MovieId(2)));
        assert_eq!(c.find("  the   MATRIX ").map(|m| m.id), Some(MovieId(3)));
        assert_eq!(c.find("Heat (2001)"), None);
    }
}
