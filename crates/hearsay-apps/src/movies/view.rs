//! The ratings as key → value text, for a replica's data view (the
//! tracker's live monitor shows it).

use super::{Movies, UserId};

impl Movies {
    /// Every live rating as (`"<movie> · user <id>"`, `"<stars>"`), in
    /// (movie id, user) order; deleted ratings are not shown. The catalog is
    /// not shown: it never changes.
    pub fn view(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.ratings
            .iter()
            .filter_map(|(&(movie, UserId(user)), (rating, _))| {
                let rating = (*rating)?;
                let title = self
                    .catalog
                    .get(movie)
                    .map_or_else(|| format!("movie {}", movie.0), ToString::to_string);
                Some((format!("{title} · user {user}"), rating.to_string()))
            })
    }

    /// How many entries [`view`](Self::view) yields.
    pub fn view_len(&self) -> usize {
        self.rating_count()
    }
}
