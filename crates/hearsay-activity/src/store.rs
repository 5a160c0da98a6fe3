//! [`LogStore`]: the activity log in redb — entries by sequence number,
//! bounded by count, in a file (`activity.redb`) or in memory.

use std::path::Path;

use hearsay_wire::node::{NodeActivityEntry, NodeActivityKind};
use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};

/// The file the log lives in, inside a node's data directory.
pub const DB_FILE: &str = "activity.redb";

/// The layout version; a file of another version is refused.
const FORMAT: u64 = 1;

/// `seq` → the entry as JSON.
const ENTRIES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("entries");
/// `"format"` → [`FORMAT`].
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");

/// Why the activity log could not be opened, written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivityError {
    /// The database failed (disk, permissions, a damaged file).
    #[error("activity log {place}: {reason}")]
    Io {
        /// Which log (a path, or "memory").
        place: String,
        /// What failed.
        reason: String,
    },
    /// The file holds something this version cannot read.
    #[error(
        "activity log {place} has format {found}, this version reads {FORMAT}: move it away to start a new log"
    )]
    Incompatible {
        /// Which log.
        place: String,
        /// The format it holds.
        found: u64,
    },
    /// A stored entry does not decode.
    #[error("activity log {place}: entry {seq} does not decode")]
    Corrupt {
        /// Which log.
        place: String,
        /// Which entry.
        seq: u64,
    },
}

/// An entry before the log gives it its sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NewEntry {
    pub(crate) at_ms: u64,
    pub(crate) kind: NodeActivityKind,
    pub(crate) peer: Option<String>,
    pub(crate) detail: String,
}

/// The log's table, bounded to `capacity` entries (the oldest go first).
pub(crate) struct LogStore {
    db: Database,
    /// Where it is, for error messages.
    place: String,
    capacity: u64,
    /// Write transactions committed: shows that entries share commits.
    commits: std::sync::atomic::AtomicU64,
}

impl LogStore {
    /// Opens (or creates) `dir/activity.redb`.
    pub(crate) fn open(dir: &Path, capacity: u64) -> Result<Self, ActivityError> {
        let path = dir.join(DB_FILE);
        let place = path.display().to_string();
        let io = |e: &dyn std::fmt::Display| ActivityError::Io {
            place: place.clone(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(&e))?;
        let db = Database::create(&path).map_err(|e| io(&e))?;
        Self::init(db, place, capacity)
    }

    /// A log kept in memory only (a node without a data directory).
    pub(crate) fn in_memory(capacity: u64) -> Result<Self, ActivityError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| ActivityError::Io {
                place: "memory".into(),
                reason: e.to_string(),
            })?;
        Self::init(db, "memory".into(), capacity)
    }

    fn init(db: Database, place: String, capacity: u64) -> Result<Self, ActivityError> {
        let store = Self {
            db,
            place,
            capacity: capacity.max(1),
            commits: std::sync::atomic::AtomicU64::new(0),
        };
        let txn = store.db.begin_write().map_err(|e| store.io(e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| store.io(e))?;
            let found = meta
                .get("format")
                .map_err(|e| store.io(e))?
                .map(|v| v.value());
            match found {
                Some(f) if f != FORMAT => {
                    return Err(ActivityError::Incompatible {
                        place: store.place.clone(),
                        found: f,
                    });
                }
                Some(_) => {}
                None => {
                    meta.insert("format", FORMAT).map_err(|e| store.io(e))?;
                }
            }
            // Create the table now, so reads never meet a missing one.
            txn.open_table(ENTRIES).map_err(|e| store.io(e))?;
        }
        txn.commit().map_err(|e| store.io(e))?;
        Ok(store)
    }

    /// Where the log is, for messages.
    pub(crate) fn place(&self) -> &str {
        &self.place
    }

    fn io(&self, e: impl std::fmt::Display) -> ActivityError {
        ActivityError::Io {
            place: self.place.clone(),
            reason: e.to_string(),
        }
    }

    /// Appends `entries` in one transaction, numbering them after the last
    /// stored one, and deletes the oldest past the capacity. With `durable`
    /// false the commit skips the disk sync (a later durable commit makes it
    /// durable): the log is for people, and one fsync per entry would cost
    /// more than the work it records.
    pub(crate) fn append(
        &self,
        entries: Vec<NewEntry>,
        durable: bool,
    ) -> Result<(), ActivityError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut txn = self.db.begin_write().map_err(|e| self.io(e))?;
        if !durable {
            // Refused only with persistent savepoints, which this log never
            // makes; the commit is then simply durable.
            let _ = txn.set_durability(Durability::None);
        }
        {
            let mut table = txn.open_table(ENTRIES).map_err(|e| self.io(e))?;
            let mut seq = match table.last().map_err(|e| self.io(e))? {
                Some((k, _)) => k.value(),
                None => 0,
            };
            for e in entries {
                seq += 1;
                let entry = NodeActivityEntry {
                    seq,
                    at_ms: e.at_ms,
                    kind: e.kind,
                    peer: e.peer,
                    detail: e.detail,
                };
                let bytes = serde_json::to_vec(&entry).map_err(|e| self.io(e))?;
                table
                    .insert(seq, bytes.as_slice())
                    .map_err(|e| self.io(e))?;
            }
            let len = table.len().map_err(|e| self.io(e))?;
            for _ in self.capacity..len {
                table.pop_first().map_err(|e| self.io(e))?;
            }
        }
        txn.commit().map_err(|e| self.io(e))?;
        self.commits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Write transactions committed so far.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Makes every earlier commit durable: an empty commit that syncs.
    pub(crate) fn sync(&self) -> Result<(), ActivityError> {
        let txn = self.db.begin_write().map_err(|e| self.io(e))?;
        txn.commit().map_err(|e| self.io(e))
    }

    /// How many entries are kept.
    pub(crate) fn len(&self) -> Result<u64, ActivityError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(ENTRIES).map_err(|e| self.io(e))?;
        table.len().map_err(|e| self.io(e))
    }

    /// Up to `limit` entries, newest first, with a `seq` above `since`, that
    /// pass `keep`. Scans at most the whole (bounded) log.
    pub(crate) fn query(
        &self,
        since: Option<u64>,
        limit: usize,
        keep: impl Fn(&NodeActivityEntry) -> bool,
    ) -> Result<Vec<NodeActivityEntry>, ActivityError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(ENTRIES).map_err(|e| self.io(e))?;
        let from = since.map_or(0, |s| s.saturating_add(1));
        let mut out = Vec::new();
        for row in table.range(from..).map_err(|e| self.io(e))?.rev() {
            if out.len() >= limit {
                break;
            }
            let (seq, bytes) = row.map_err(|e| self.io(e))?;
            let entry: NodeActivityEntry =
                serde_json::from_slice(bytes.value()).map_err(|_| ActivityError::Corrupt {
                    place: self.place.clone(),
                    seq: seq.value(),
                })?;
            if keep(&entry) {
                out.push(entry);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u64) -> NewEntry {
        NewEntry {
            at_ms: i,
            kind: if i % 2 == 0 {
                NodeActivityKind::ClaimSent
            } else {
                NodeActivityKind::ClaimReceived
            },
            peer: Some(format!("r{}", i % 3)),
            detail: format!("entry {i}"),
        }
    }

    #[test]
    fn keeps_the_newest_up_to_the_capacity_and_numbers_on() {
        let s = LogStore::in_memory(5).unwrap();
        s.append((1..=3).map(entry).collect(), false).unwrap();
        s.append((4..=8).map(entry).collect(), true).unwrap();
        assert_eq!(s.len().unwrap(), 5);
        let all = s.query(None, 100, |_| true).unwrap();
        let seqs: Vec<u64> = all.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [8, 7, 6, 5, 4], "newest first, oldest deleted");
        assert_eq!(all[0].detail, "entry 8");
    }

    #[test]
    fn filters_by_since_limit_and_predicate() {
        let s = LogStore::in_memory(100).unwrap();
        s.append((1..=20).map(entry).collect(), false).unwrap();
        let after = s.query(Some(15), 100, |_| true).unwrap();
        assert_eq!(
            after.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [20, 19, 18, 17, 16]
        );
        let two = s.query(Some(15), 2, |_| true).unwrap();
        assert_eq!(two.iter().map(|e| e.seq).collect::<Vec<_>>(), [20, 19]);
        let sent = s
            .query(None, 3, |e| e.kind == NodeActivityKind::ClaimSent)
            .unwrap();
        assert_eq!(sent.iter().map(|e| e.seq).collect::<Vec<_>>(), [20, 18, 16]);
        assert!(s.query(Some(u64::MAX), 10, |_| true).unwrap().is_empty());
    }

    #[test]
    fn a_reopened_file_keeps_its_entries_and_numbering() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = LogStore::open(dir.path(), 10).unwrap();
            s.append((1..=4).map(entry).collect(), true).unwrap();
        }
        let s = LogStore::open(dir.path(), 10).unwrap();
        s.append(vec![entry(99)], true).unwrap();
        let all = s.query(None, 10, |_| true).unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[0].seq, 5);
        assert_eq!(all[0].detail, "entry 99");
    }

    #[test]
    fn a_file_of_another_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = Database::create(dir.path().join(DB_FILE)).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META).unwrap().insert("format", 99).unwrap();
            txn.commit().unwrap();
        }
        match LogStore::open(dir.path(), 10) {
            Err(ActivityError::Incompatible { found: 99, .. }) => {}
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("opened a log of another format"),
        }
    }
}
