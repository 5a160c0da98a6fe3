//! The tracker's durable state, in an embedded redb database.
//!
//! Five tables: `meta` (the format and the next peer id), `peers` (each live
//! peer as JSON, by id), `payloads` (content by id), `outbox` (the ids of
//! payloads not yet written into the cluster, with the time they were
//! stored) and `activity` (each entry as JSON, by sequence number, bounded by
//! count: the oldest go first).
//! Every change a request makes is one transaction, committed before the
//! answer leaves, so what the tracker acknowledged survives a crash.

use std::path::{Path, PathBuf};

use hearsay_wire::tracker::{ActivityEntry, ActivityKind, Payload, Peer};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
const PEERS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("peers");
const PAYLOADS: TableDefinition<'_, &str, &str> = TableDefinition::new("payloads");
const ACTIVITY: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("activity");
const OUTBOX: TableDefinition<'_, &str, u64> = TableDefinition::new("outbox");

/// The on-disk format; a data directory of another format is refused.
pub(crate) const FORMAT: u64 = 1;

/// The database file inside a data directory.
pub const DB_FILE: &str = "tracker.redb";

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
        "{path} was written by an incompatible hearsay (tracker data format {found}, this version reads {FORMAT}); move it away or use another --data-dir"
    )]
    Incompatible {
        /// The database file.
        path: PathBuf,
        /// Its format.
        found: u64,
    },
    /// Stored bytes do not decode.
    #[error("{path}: {what} does not decode")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What did not decode.
        what: String,
    },
    /// A bounded table is full; nothing was written.
    #[error("the tracker holds its maximum of {max} {what}")]
    Full {
        /// Which table.
        what: &'static str,
        /// Its bound.
        max: u64,
    },
}

/// A new activity entry; the store gives it its sequence number.
#[derive(Clone, Debug)]
pub(crate) struct NewActivity {
    /// When, in milliseconds since the Unix epoch.
    pub(crate) at_ms: u64,
    /// What happened.
    pub(crate) kind: ActivityKind,
    /// The peer concerned, by name.
    pub(crate) peer: Option<String>,
    /// One line for people.
    pub(crate) detail: String,
}

/// Everything one request changes, written in one transaction.
#[derive(Default, Debug)]
pub(crate) struct Changes {
    /// Peers to write (new or updated).
    pub(crate) put_peers: Vec<Peer>,
    /// Peers to remove, by id.
    pub(crate) remove_peers: Vec<u64>,
    /// The next peer id to hand out, when it moved.
    pub(crate) next_peer_id: Option<u64>,
    /// Payloads to store: `(id, content)`; already stored ones are skipped,
    /// new ones also enter the outbox.
    pub(crate) payloads: Vec<(String, String)>,
    /// Payload ids now written into the cluster: they leave the outbox.
    pub(crate) forwarded: Vec<String>,
    /// Activity entries to append.
    pub(crate) activity: Vec<NewActivity>,
    /// When, in milliseconds since the Unix epoch (stamped on outbox entries).
    pub(crate) at_ms: u64,
}

/// An open data directory.
pub(crate) struct Store {
    db: Database,
    path: PathBuf,
    /// The activity log's bound: past it the oldest entries are deleted.
    activity_capacity: u64,
    /// The payload table's bound: a write past it is refused.
    max_payloads: u64,
}

impl Store {
    /// Opens (or creates) the tracker database in `dir`.
    pub(crate) fn open(
        dir: &Path,
        activity_capacity: u64,
        max_payloads: u64,
    ) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        let io = |e: &dyn std::fmt::Display| StoreError::Io {
            path: path.clone(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(&e))?;
        let db = Database::create(&path).map_err(|e| io(&e))?;
        let store = Self {
            db,
            path: path.clone(),
            activity_capacity: activity_capacity.max(1),
            max_payloads,
        };
        match store.meta("format")? {
            Some(found) if found != FORMAT => return Err(StoreError::Incompatible { path, found }),
            Some(_) => {}
            None => {
                let txn = store.db.begin_write().map_err(|e| io(&e))?;
                {
                    let mut meta = txn.open_table(META).map_err(|e| io(&e))?;
                    meta.insert("format", FORMAT).map_err(|e| io(&e))?;
                    // Create the other tables, so reads never meet a missing one.
                    txn.open_table(PEERS).map_err(|e| io(&e))?;
                    txn.open_table(PAYLOADS).map_err(|e| io(&e))?;
                    txn.open_table(ACTIVITY).map_err(|e| io(&e))?;
                    txn.open_table(OUTBOX).map_err(|e| io(&e))?;
                }
                txn.commit().map_err(|e| io(&e))?;
            }
        }
        Ok(store)
    }

    fn io(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    fn corrupt(&self, what: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            what: what.into(),
        }
    }

    fn meta(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = match txn.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        Ok(table.get(key).map_err(|e| self.io(e))?.map(|v| v.value()))
    }

    /// The next peer id to hand out.
    pub(crate) fn next_peer_id(&self) -> Result<u64, StoreError> {
        Ok(self.meta("next_peer_id")?.unwrap_or(1))
    }

    /// Every stored peer, by id.
    pub(crate) fn peers(&self) -> Result<Vec<Peer>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(PEERS).map_err(|e| self.io(e))?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(|e| self.io(e))? {
            let (id, bytes) = entry.map_err(|e| self.io(e))?;
            let peer: Peer = serde_json::from_slice(bytes.value())
                .map_err(|_| self.corrupt(format!("peer {}", id.value())))?;
            out.push(peer);
        }
        Ok(out)
    }

    /// How many payloads are stored.
    pub(crate) fn payload_count(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(PAYLOADS).map_err(|e| self.io(e))?;
        table.len().map_err(|e| self.io(e))
    }

    /// Payloads waiting to be written into the cluster.
    pub(crate) fn outbox_len(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        // A directory from before the outbox existed has no such table yet.
        match txn.open_table(OUTBOX) {
            Ok(table) => table.len().map_err(|e| self.io(e)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Up to `limit` payloads waiting to be written into the cluster, as
    /// `(id, content)`, in id order.
    pub(crate) fn outbox(&self, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let outbox = match txn.open_table(OUTBOX) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        let payloads = txn.open_table(PAYLOADS).map_err(|e| self.io(e))?;
        let mut out = Vec::new();
        for row in outbox.iter().map_err(|e| self.io(e))?.take(limit) {
            let (id, _) = row.map_err(|e| self.io(e))?;
            let id = id.value().to_owned();
            let content = payloads
                .get(id.as_str())
                .map_err(|e| self.io(e))?
                .ok_or_else(|| self.corrupt(format!("outbox entry {id} without its payload")))?
                .value()
                .to_owned();
            out.push((id, content));
        }
        Ok(out)
    }

    /// The payload with this id.
    pub(crate) fn payload(&self, id: &str) -> Result<Option<String>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(PAYLOADS).map_err(|e| self.io(e))?;
        Ok(table
            .get(id)
            .map_err(|e| self.io(e))?
            .map(|v| v.value().to_owned()))
    }

    /// Up to `limit` payloads with ids after `after`, in id order, and
    /// whether more follow.
    pub(crate) fn payloads(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Payload>, bool), StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(PAYLOADS).map_err(|e| self.io(e))?;
        let range = match after {
            Some(a) => {
                table.range::<&str>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
            }
            None => table.range::<&str>(..),
        }
        .map_err(|e| self.io(e))?;
        let mut out = Vec::new();
        for entry in range {
            let (id, payload) = entry.map_err(|e| self.io(e))?;
            if out.len() == limit {
                return Ok((out, true));
            }
            out.push(Payload {
                id: id.value().to_owned(),
                payload: payload.value().to_owned(),
            });
        }
        Ok((out, false))
    }

    /// How many activity entries are kept.
    pub(crate) fn activity_len(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(ACTIVITY).map_err(|e| self.io(e))?;
        table.len().map_err(|e| self.io(e))
    }

    /// Up to `limit` activity entries, newest first, with a larger `seq`
    /// than `since`, that pass `keep`.
    pub(crate) fn activity(
        &self,
        since: Option<u64>,
        limit: usize,
        keep: impl Fn(&ActivityEntry) -> bool,
    ) -> Result<Vec<ActivityEntry>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(ACTIVITY).map_err(|e| self.io(e))?;
        let from = since.map_or(0, |s| s.saturating_add(1));
        let mut out = Vec::new();
        for entry in table.range(from..).map_err(|e| self.io(e))?.rev() {
            if out.len() == limit {
                break;
            }
            let (seq, bytes) = entry.map_err(|e| self.io(e))?;
            let entry: ActivityEntry = serde_json::from_slice(bytes.value())
                .map_err(|_| self.corrupt(format!("activity entry {}", seq.value())))?;
            if keep(&entry) {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// Writes `changes` in one transaction. Returns how many payloads were
    /// new. A payload write past the bound writes nothing and fails with
    /// [`StoreError::Full`].
    pub(crate) fn commit(&self, changes: Changes) -> Result<u32, StoreError> {
        let txn = self.db.begin_write().map_err(|e| self.io(e))?;
        let mut created = 0u32;
        {
            if !changes.payloads.is_empty() || !changes.forwarded.is_empty() {
                let mut outbox = txn.open_table(OUTBOX).map_err(|e| self.io(e))?;
                for id in &changes.forwarded {
                    outbox.remove(id.as_str()).map_err(|e| self.io(e))?;
                }
                let mut table = txn.open_table(PAYLOADS).map_err(|e| self.io(e))?;
                for (id, content) in &changes.payloads {
                    if table.get(id.as_str()).map_err(|e| self.io(e))?.is_none() {
                        table
                            .insert(id.as_str(), content.as_str())
                            .map_err(|e| self.io(e))?;
                        outbox
                            .insert(id.as_str(), changes.at_ms)
                            .map_err(|e| self.io(e))?;
                        created += 1;
                    }
                }
                if table.len().map_err(|e| self.io(e))? > self.max_payloads {
                    // Dropping the transaction aborts it: nothing is written.
                    return Err(StoreError::Full {
                        what: "payloads",
                        max: self.max_payloads,
                    });
                }
            }
            let mut peers = txn.open_table(PEERS).map_err(|e| self.io(e))?;
            for peer in &changes.put_peers {
                let bytes = serde_json::to_vec(peer).map_err(|e| self.io(e))?;
                peers
                    .insert(peer.id, bytes.as_slice())
                    .map_err(|e| self.io(e))?;
            }
            for id in &changes.remove_peers {
                peers.remove(*id).map_err(|e| self.io(e))?;
            }
            if let Some(next) = changes.next_peer_id {
                let mut meta = txn.open_table(META).map_err(|e| self.io(e))?;
                meta.insert("next_peer_id", next).map_err(|e| self.io(e))?;
            }
            if !changes.activity.is_empty() {
                let mut log = txn.open_table(ACTIVITY).map_err(|e| self.io(e))?;
                let mut seq = match log.last().map_err(|e| self.io(e))? {
                    Some((k, _)) => k.value(),
                    None => 0,
                };
                for a in changes.activity {
                    seq += 1;
                    let entry = ActivityEntry {
                        seq,
                        at_ms: a.at_ms,
                        kind: a.kind,
                        peer: a.peer,
                        detail: a.detail,
                    };
                    let bytes = serde_json::to_vec(&entry).map_err(|e| self.io(e))?;
                    log.insert(seq, bytes.as_slice()).map_err(|e| self.io(e))?;
                }
                while log.len().map_err(|e| self.io(e))? > self.activity_capacity {
                    log.pop_first().map_err(|e| self.io(e))?;
                }
            }
        }
        txn.commit().map_err(|e| self.io(e))?;
        Ok(created)
    }
}
