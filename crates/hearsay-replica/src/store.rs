//! A replica's durable state, in an embedded redb database.
//!
//! Two tables: `meta` holds the format version, the replica's name and the
//! latest snapshot (an applied state with the update ids it includes);
//! `records` holds every update record written since, keyed by
//! `(origin, seq)`. Every batch of changes is one transaction, committed
//! before the replica lets any reply or gossip out, so what it acknowledges
//! or reports survives `kill -9`. A snapshot is written every
//! [`SNAPSHOT_EVERY`] records (and after a state transfer); the records it
//! covers are then deleted.

use std::path::{Path, PathBuf};

use hearsay_core::{App, Journal, ReplicaId, Snapshot, UpdateRecord, VectorTimestamp};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const RECORDS: TableDefinition<'_, (&str, u64), &[u8]> = TableDefinition::new("records");

/// The on-disk format; a data directory of another format is refused.
/// 2: the CLI's replicas hold the cluster app (movies and payloads), whose
/// snapshots and records a format-1 directory (movies only) cannot decode.
pub const FORMAT: u32 = 2;

/// Records written between two snapshots.
pub const SNAPSHOT_EVERY: u64 = 10_000;

/// The database file inside a data directory.
pub const DB_FILE: &str = "replica.redb";

/// Why durable state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file system or the database failed.
    #[error("{path}: {reason}")]
    Io {
        /// The database file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The directory was written by an incompatible version of hearsay.
    #[error(
        "{path} was written by an incompatible hearsay (data format {found}, this version reads {FORMAT}); move it away or use another --data-dir"
    )]
    Incompatible {
        /// The database file.
        path: PathBuf,
        /// Its format.
        found: u32,
    },
    /// The directory belongs to another replica.
    #[error("{path} belongs to replica {found}; give each replica its own --data-dir")]
    OtherReplica {
        /// The database file.
        path: PathBuf,
        /// The replica that wrote it.
        found: String,
    },
    /// Stored bytes do not decode.
    #[error("{path}: {what} does not decode")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What did not decode.
        what: String,
    },
}

/// What a data directory holds: the latest snapshot, if any, and the records
/// written since.
pub struct Stored<A: App> {
    /// The latest snapshot.
    pub snapshot: Option<Snapshot<A>>,
    /// Records written since, in key order.
    pub records: Vec<UpdateRecord<A::Update>>,
}

/// What a data directory holds, for `hearsay replica --inspect`.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// The replica that wrote it.
    pub replica: String,
    /// What the latest snapshot includes.
    pub snapshot_ts: VectorTimestamp,
    /// Update ids the snapshot remembers.
    pub snapshot_executed: usize,
    /// Records written since the snapshot.
    pub records: u64,
    /// Everything stored: the snapshot plus the records.
    pub stored_ts: VectorTimestamp,
}

/// An open data directory.
pub struct Store {
    db: Database,
    path: PathBuf,
    /// Records written since the last snapshot.
    since_snapshot: u64,
}

impl Store {
    /// Opens (or creates) `dir` for replica `name`, refusing a directory of
    /// another format or another replica.
    pub fn open(dir: &Path, name: &ReplicaId) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        let io = |e: &dyn std::fmt::Display| StoreError::Io {
            path: path.clone(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(&e))?;
        let db = Database::create(&path).map_err(|e| io(&e))?;
        let mut store = Self {
            db,
            path: path.clone(),
            since_snapshot: 0,
        };
        match store.meta("format")? {
            Some(bytes) => {
                let found = decode_u32(&bytes).ok_or_else(|| store.corrupt("the format"))?;
                if found != FORMAT {
                    return Err(StoreError::Incompatible { path, found });
                }
                let owner = store.meta("replica")?.unwrap_or_default();
                let owner = String::from_utf8_lossy(&owner).into_owned();
                if owner != name.as_str() {
                    return Err(StoreError::OtherReplica { path, found: owner });
                }
            }
            None => {
                let txn = store.db.begin_write().map_err(|e| io(&e))?;
                {
                    let mut meta = txn.open_table(META).map_err(|e| io(&e))?;
                    meta.insert("format", FORMAT.to_le_bytes().as_slice())
                        .map_err(|e| io(&e))?;
                    meta.insert("replica", name.as_str().as_bytes())
                        .map_err(|e| io(&e))?;
                }
                txn.commit().map_err(|e| io(&e))?;
            }
        }
        store.since_snapshot = store.record_count()?;
        Ok(store)
    }

    fn io(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    fn corrupt(&self, what: &str) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            what: what.to_owned(),
        }
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = match txn.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        Ok(table
            .get(key)
            .map_err(|e| self.io(e))?
            .map(|v| v.value().to_vec()))
    }

    fn record_count(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        match txn.open_table(RECORDS) {
            Ok(t) => t.len().map_err(|e| self.io(e)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
            Err(e) => Err(self.io(e)),
        }
    }

    /// The latest snapshot (if any) and every record written since.
    pub fn load<A: App>(&self) -> Result<Stored<A>, StoreError> {
        let snapshot = match self.meta("snapshot")? {
            Some(bytes) => {
                Some(postcard::from_bytes(&bytes).map_err(|_| self.corrupt("the snapshot"))?)
            }
            None => None,
        };
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let mut records = Vec::new();
        match txn.open_table(RECORDS) {
            Ok(table) => {
                for entry in table.iter().map_err(|e| self.io(e))? {
                    let (_, v) = entry.map_err(|e| self.io(e))?;
                    records.push(
                        postcard::from_bytes(v.value()).map_err(|_| self.corrupt("a record"))?,
                    );
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(self.io(e)),
        }
        Ok(Stored { snapshot, records })
    }

    /// Whether the next write should carry a snapshot.
    pub fn snapshot_due<A: App>(&self, journal: &Journal<A>) -> bool {
        journal.snapshot
            || (!journal.records.is_empty()
                && self.since_snapshot + journal.records.len() as u64 >= SNAPSHOT_EVERY)
    }

    /// Writes `journal` (and `snapshot`) in one durable transaction. With a
    /// snapshot, deletes the stored records at or below `prune`, per origin:
    /// the caller passes the lower of the snapshot's timestamp and the
    /// replica's log horizon, so no record a peer may still need is deleted.
    pub fn write<A: App>(
        &mut self,
        journal: &Journal<A>,
        snapshot: Option<(&Snapshot<A>, &VectorTimestamp)>,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(|e| self.io(e))?;
        {
            let mut records = txn.open_table(RECORDS).map_err(|e| self.io(e))?;
            for rec in &journal.records {
                let bytes = postcard::to_allocvec(rec).map_err(|e| self.io(e))?;
                records
                    .insert((rec.dot.origin.as_str(), rec.dot.seq), bytes.as_slice())
                    .map_err(|e| self.io(e))?;
            }
            if let Some((snap, prune)) = snapshot {
                let bytes = postcard::to_allocvec(snap).map_err(|e| self.io(e))?;
                let mut meta = txn.open_table(META).map_err(|e| self.io(e))?;
                meta.insert("snapshot", bytes.as_slice())
                    .map_err(|e| self.io(e))?;
                for (origin, upto) in prune.iter() {
                    records
                        .retain_in((origin.as_str(), 0)..=(origin.as_str(), upto), |_, _| false)
                        .map_err(|e| self.io(e))?;
                }
            }
        }
        txn.commit().map_err(|e| self.io(e))?;
        // Records still stored after a snapshot (not yet applied) do not
        // count toward the next one, or a replica holding many of them would
        // write a snapshot on every batch.
        self.since_snapshot = if snapshot.is_some() {
            0
        } else {
            self.since_snapshot + journal.records.len() as u64
        };
        Ok(())
    }

    /// Summarises what is stored, without starting anything.
    pub fn inspect<A: App>(&self) -> Result<Inspection, StoreError> {
        let replica =
            String::from_utf8_lossy(&self.meta("replica")?.unwrap_or_default()).into_owned();
        let Stored { snapshot, records } = self.load::<A>()?;
        let (snapshot_ts, snapshot_executed) = snapshot
            .map(|s| (s.value_ts, s.executed.len()))
            .unwrap_or_default();
        let mut stored_ts = snapshot_ts.clone();
        for r in &records {
            stored_ts.raise(&r.dot.origin, r.dot.seq);
        }
        Ok(Inspection {
            replica,
            snapshot_ts,
            snapshot_executed,
            records: records.len() as u64,
            stored_ts,
        })
    }
}

fn decode_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use hearsay_core::testing::{KvApp, KvUpdate};
    use hearsay_core::{ClientId, Dot, Replica, ReplicaConfig, Time, UpdateId};

    use super::*;

    fn r(n: &str) -> ReplicaId {
        ReplicaId::new(n).unwrap()
    }

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hearsay-store-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn rec(seq: u64) -> UpdateRecord<KvUpdate> {
        UpdateRecord {
            id: UpdateId {
                client: ClientId(1),
                seq,
            },
            dot: Dot {
                origin: r("r1"),
                seq,
            },
            prev: VectorTimestamp::new(),
            op: KvUpdate::Add {
                key: "c".into(),
                delta: 1,
            },
            refused: None,
        }
    }

    fn journal(seqs: std::ops::RangeInclusive<u64>) -> Journal<KvApp> {
        Journal {
            records: seqs.map(rec).collect(),
            snapshot: false,
        }
    }

    #[test]
    fn records_survive_a_reopen_and_a_snapshot_prunes_only_below_the_bound() {
        let d = dir("prune");
        let mut store = Store::open(&d, &r("r1")).unwrap();
        store.write(&journal(1..=5), None).unwrap();
        drop(store);
        let mut store = Store::open(&d, &r("r1")).unwrap();
        let stored = store.load::<KvApp>().unwrap();
        assert_eq!(stored.records.len(), 5);
        assert!(stored.snapshot.is_none());
        // A snapshot covering all five, but peers still lack 4 and 5: only
        // 1..=3 may go.
        let mut rep = Replica::restore(
            r("r1"),
            ReplicaConfig::default(),
            &[],
            Replica::new(
                r("r1"),
                ReplicaConfig::default(),
                KvApp::default(),
                Time::ZERO,
            )
            .snapshot(),
            stored.records,
            Time::ZERO,
        );
        let snap = rep.snapshot();
        assert_eq!(snap.value_ts.get(&r("r1")), 5);
        let bound: VectorTimestamp = [(r("r1"), 3)].into_iter().collect();
        store
            .write(&Journal::<KvApp>::default(), Some((&snap, &bound)))
            .unwrap();
        let stored = store.load::<KvApp>().unwrap();
        let seqs: Vec<u64> = stored.records.iter().map(|x| x.dot.seq).collect();
        assert_eq!(seqs, [4, 5]);
        assert_eq!(stored.snapshot.map(|s| s.app), Some(rep.app().clone()));
        rep.handle_timeout(Time::ZERO);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn another_replicas_or_formats_directory_is_refused() {
        let d = dir("owner");
        drop(Store::open(&d, &r("r1")).unwrap());
        let err = Store::open(&d, &r("r2")).err().unwrap();
        assert!(err.to_string().contains("belongs to replica r1"), "{err}");
        // Rewrite the format to a future one.
        {
            let db = Database::create(d.join(DB_FILE)).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META)
                .unwrap()
                .insert("format", 99u32.to_le_bytes().as_slice())
                .unwrap();
            txn.commit().unwrap();
        }
        let err = Store::open(&d, &r("r1")).err().unwrap();
        assert!(err.to_string().contains("incompatible"), "{err}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
