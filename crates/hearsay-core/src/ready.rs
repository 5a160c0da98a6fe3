//! `Ready`: persist-before-send as a type.
//!
//! The model is raft-rs's `RawNode::ready` and `advance`: a shell takes a
//! [`Ready`] from [`Replica::ready`](crate::Replica::ready), writes its
//! [`Journal`] to durable storage, and only then gets the outputs, by handing
//! the `Ready` back to [`Replica::advance`](crate::Replica::advance). The
//! outputs are a private field, so no code outside the core can send,
//! acknowledge or report anything before the caller has said the journal is
//! persisted: the order is the type's, not a contract in a doc comment.

use crate::app::App;
use crate::record::UpdateRecord;
use crate::replica::Output;
use crate::stats::SendCost;

/// What a replica changed that durable storage must hold before any output
/// leaves (with [`ReplicaConfig::journal`](crate::ReplicaConfig::journal);
/// always empty without it).
#[derive(Debug)]
pub struct Journal<A: App> {
    /// Records that entered the log, in the order they did.
    pub records: Vec<UpdateRecord<A::Update>>,
    /// The replica adopted a snapshot (state transfer): write
    /// [`Replica::snapshot`](crate::Replica::snapshot) too.
    pub snapshot: bool,
}

impl<A: App> Default for Journal<A> {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            snapshot: false,
        }
    }
}

impl<A: App> Journal<A> {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && !self.snapshot
    }
}

/// What a replica has for its shell since the last [`Replica::ready`](crate::Replica::ready):
/// a journal to persist, and outputs that [`Replica::advance`](crate::Replica::advance)
/// releases once it is persisted. Dropping a `Ready` without advancing drops
/// its outputs, which is what a shell that cannot persist must do.
#[derive(Debug)]
#[must_use = "the outputs leave only through Replica::advance"]
pub struct Ready<A: App> {
    journal: Journal<A>,
    /// Private so that only `advance` hands them out, and only after the
    /// caller has said the journal is persisted. Each carries what it costs
    /// in the traffic counters, counted as it is released.
    outputs: Vec<(Output<A>, SendCost)>,
}

impl<A: App> Ready<A> {
    /// Built by the replica only.
    pub(crate) fn new(journal: Journal<A>, outputs: Vec<(Output<A>, SendCost)>) -> Self {
        Self { journal, outputs }
    }

    /// What must be on durable storage before the outputs are released.
    pub fn journal(&self) -> &Journal<A> {
        &self.journal
    }

    /// How many outputs wait for [`Replica::advance`](crate::Replica::advance).
    pub fn pending_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Whether there is nothing to persist and nothing to release.
    pub fn is_empty(&self) -> bool {
        self.journal.is_empty() && self.outputs.is_empty()
    }

    /// The outputs, for `advance`.
    pub(crate) fn into_outputs(self) -> Vec<(Output<A>, SendCost)> {
        self.outputs
    }
}
