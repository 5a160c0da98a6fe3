//! Title search and "did you mean" suggestions.

use super::catalog::{Catalog, Movie, normalise};
use crate::text::edit_distance;

/// Movies whose title contains `text`, best first: exact title, then titles
/// starting with it, then a word starting with it, then anywhere; ties by
/// shorter title, then id.
pub(super) fn search(catalog: &Catalog, text: &str, limit: usize) -> Vec<Movie> {
    let needle = normalise(text);
    if needle.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(u8, usize, &Movie)> = catalog
        .iter()
        .filter_map(|m| {
            let title = normalise(&m.title);
            let rank = if title == needle {
                0
            } else if title.starts_with(&needle) {
                1
            } else if title.contains(&format!(" {needle}")) {
                2
            } else if title.contains(&needle) {
                3
            } else {
                return None;
            };
            Some((rank, title.len(), m))
        })
        .collect();
    hits.sort_by_key(|(rank, len, m)| (*rank, *len, m.id));
    hits.into_iter()
        .take(limit)
        .map(|(_, _, m)| m.clone())
        .collect()
}

/// Up to `n` titles close to `text`: those containing it first, then the
/// smallest edit distance.
pub(super) fn suggestions(catalog: &Catalog, text: &str, n: usize) -> Vec<String> {
    let needle = normalise(text);
    let mut scored: Vec<(usize, &Movie)> = catalog
        .iter()
        .map(|m| {
            let title = normalise(&m.title);
            let score =
                if !needle.is_empty() && (title.contains(&needle) || needle.contains(&title)) {
                    0
                } else {
                    1 + edit_distance(&needle, &title)
                };
            (score, m)
        })
        .collect();
    scored.sort_by_key(|(score, m)| (*score, m.id));
    scored
        .into_iter()
        .take(n)
        .map(|(_, m)| m.to_string())
        .collect()
}
