//! [`DataView`]: the hook through which an embedder shows a replica's state
//! as key → value strings, a page at a time (`GET /v1/data`, the tracker's
//! live monitor). The core's [`App`](hearsay_core::App) knows nothing of
//! it: an app that wants to be seen gives the builder a function.

use std::sync::Arc;

use serde::Serialize;

/// Entries a page holds when the caller does not say.
pub const DEFAULT_DATA_LIMIT: usize = 100;

/// Entries a page holds at most, whatever the caller asks.
pub const MAX_DATA_LIMIT: usize = 500;

/// Characters of a key or value shown at most; longer ones are cut and end
/// in `…`, so one huge value cannot blow up a page.
pub const MAX_CELL_CHARS: usize = 200;

/// One page of a replica's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DataPage {
    /// Entries in the whole state (not just this page).
    pub total: u64,
    /// The page's entries, in the app's order (keys unique).
    pub entries: Vec<DataEntry>,
}

/// One key and its value, both as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DataEntry {
    /// The key.
    pub key: String,
    /// Its value.
    pub value: String,
}

impl DataEntry {
    /// An entry, each side cut to [`MAX_CELL_CHARS`].
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: cut(key.into()),
            value: cut(value.into()),
        }
    }
}

fn cut(mut s: String) -> String {
    if let Some((at, _)) = s.char_indices().nth(MAX_CELL_CHARS) {
        s.truncate(at);
        s.push('…');
    }
    s
}

/// Shows the app's state: called with the state, an offset and a limit
/// (already capped at [`MAX_DATA_LIMIT`]); returns at most `limit` entries
/// starting at `offset` in the app's own order, and the total. It runs
/// inside the replica's actor, so it should be quick (a page, not the whole
/// state).
pub type DataView<A> = Arc<dyn Fn(&A, usize, usize) -> DataPage + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_cut() {
        let e = DataEntry::new("k", "é".repeat(MAX_CELL_CHARS + 5));
        assert_eq!(e.value.chars().count(), MAX_CELL_CHARS + 1);
        assert!(e.value.ends_with('…'));
        assert_eq!(DataEntry::new("k", "short").value, "short");
    }
}
