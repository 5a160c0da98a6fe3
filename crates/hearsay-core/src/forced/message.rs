//! What voters say to each other, and what they answer clients.
//!
//! Reference: Liskov and Cowling, "Viewstamped Replication Revisited" (2012),
//! §4.1 (normal operation), §4.2 (view changes), §4.3 (recovery), §5.2 (state
//! transfer), §7 (reconfiguration). Every message carries the sender's epoch and
//! view; the sender's identity comes from the transport (mutual TLS), not from
//! the message.

use serde::{Deserialize, Serialize};

/// A voter's identity in the forced order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct NodeId(pub u64);

/// One client request: the client and its request number. A client has at most
/// one request outstanding and numbers them upwards; retries reuse the number, which
/// is what makes each operation take effect exactly once.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct RequestId {
    /// The client.
    pub client: u64,
    /// The client's request number (VRR's `request-number`).
    pub seq: u64,
}

/// What a client asks the order to do.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Command<O> {
    /// An application operation (update or forced query).
    Op(O),
    /// Replace the voters, from the next epoch on (VRR §7).
    Reconfigure {
        /// The new voters.
        voters: Vec<NodeId>,
    },
}

/// What an entry of the order holds.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum EntryBody<O, D> {
    /// An application operation and the outcome the primary decided for it.
    Op {
        /// The operation.
        op: O,
        /// The decision, made once against the state at this place in the order.
        outcome: D,
    },
    /// A change of voters; executing it ends the epoch.
    Reconfigure {
        /// The voters of the next epoch, sorted and without duplicates.
        voters: Vec<NodeId>,
    },
}

/// One entry of the order.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Entry<O, D> {
    /// The request it answers.
    pub id: RequestId,
    /// The operation and its decision, or a reconfiguration.
    pub body: EntryBody<O, D>,
}

/// A voter's whole log with the numbers that place it: what a view change, a
/// state transfer or a recovery hands over.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct LogState<O, D> {
    /// The configuration number.
    pub epoch: u64,
    /// The view within the epoch.
    pub view: u64,
    /// The epoch's voters, sorted; the primary of view `v` is `voters[v % len]`.
    pub voters: Vec<NodeId>,
    /// Op number of the `Reconfigure` entry that started this epoch (0 for the
    /// first): lets a newcomer check that it starts from a complete order.
    pub epoch_start: u64,
    /// Entries from op number 1.
    pub entries: Vec<Entry<O, D>>,
    /// How many entries are committed.
    pub commit: u64,
}

/// A message between voters.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Message<O, D> {
    /// Primary to backups: append `entries` at op numbers `first..` (a batch: one
    /// round orders them all). Reference: VRR §4.1 step 3.
    Prepare {
        /// Sender's epoch.
        epoch: u64,
        /// Sender's view.
        view: u64,
        /// Op number of `entries[0]`.
        first: u64,
        /// The entries.
        entries: Vec<Entry<O, D>>,
        /// The primary's commit number.
        commit: u64,
    },
    /// Backup to primary: my log holds every op up to `op` of this view (VRR §4.1 step 4).
    PrepareOk {
        /// Sender's epoch.
        epoch: u64,
        /// Sender's view.
        view: u64,
        /// Length of the sender's log.
        op: u64,
    },
    /// Primary heartbeat with its commit number (VRR §4.1 step 6).
    Commit {
        /// Sender's epoch.
        epoch: u64,
        /// Sender's view.
        view: u64,
        /// The primary's commit number.
        commit: u64,
    },
    /// I gave up on the primary of the view before `view` (VRR §4.2 step 1).
    StartViewChange {
        /// Sender's epoch.
        epoch: u64,
        /// The view being started.
        view: u64,
    },
    /// To the new primary: my log, for it to pick the most advanced (VRR §4.2 step 2).
    DoViewChange {
        /// The sender's log; `state.view` is the new view.
        state: LogState<O, D>,
        /// The last view in which the sender's status was normal.
        last_normal_view: u64,
    },
    /// From the new primary: the log of the new view (VRR §4.2 step 4), or, with
    /// `view` 0, the start of a new epoch (VRR §7).
    StartView {
        /// The new view's log.
        state: LogState<O, D>,
    },
    /// A restarted voter asks for its state back (VRR §4.3 step 1).
    Recovery {
        /// Names this recovery, so old answers are not mistaken for new ones.
        nonce: u64,
    },
    /// An answer to [`Message::Recovery`] (VRR §4.3 step 2).
    RecoveryResponse {
        /// The recovery it answers.
        nonce: u64,
        /// Sender's epoch.
        epoch: u64,
        /// Sender's view.
        view: u64,
        /// The log, sent only by the primary of that view.
        state: Option<LogState<O, D>>,
    },
    /// A voter that heard of a newer epoch or view asks for the log (VRR §5.2).
    GetState {
        /// The receiver's epoch as the asker heard it.
        epoch: u64,
        /// The receiver's view as the asker heard it.
        view: u64,
    },
    /// The primary's log, answering [`Message::GetState`].
    NewState {
        /// The primary's log.
        state: LogState<O, D>,
    },
    /// The committed order up to the start of the sender's epoch: any voter can
    /// send it, and it checks itself (its last entry is the `Reconfigure`).
    EpochStarted {
        /// The order up to the epoch's first entry, `view` 0.
        state: LogState<O, D>,
    },
}

/// What a committed request gives its client.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Answer<D> {
    /// The outcome the primary decided.
    Outcome(D),
    /// The voters were replaced; this is the new epoch.
    Reconfigured {
        /// The epoch that starts with the new voters.
        epoch: u64,
    },
}

/// Why a request did not get an [`Answer`]. Every variant is retryable by the
/// client with the same [`RequestId`] (which keeps the retry exactly-once),
/// except [`ForcedError::Invalid`].
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error, Serialize, Deserialize)]
pub enum ForcedError {
    /// This voter is not the primary; try the one named, if any.
    #[error("not the primary (try {primary:?})")]
    NotPrimary {
        /// The primary this voter believes in.
        primary: Option<NodeId>,
    },
    /// Not committed by the request's deadline: this side may lack a majority. The
    /// request may still commit later (retry with the same id to learn).
    #[error("unavailable: no quorum")]
    NoQuorum,
    /// This voter was removed from the voters by a reconfiguration.
    #[error("not a voter any more")]
    Retired,
    /// The request can never succeed (for example an empty voter set).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// A reconfiguration is committing; the primary orders nothing after it
    /// until the next epoch starts. Retry shortly.
    #[error("a reconfiguration is under way")]
    Reconfiguring,
}

/// What [`crate::forced::Voter::order_decided`] did with a request.
#[derive(Clone, PartialEq, Debug)]
pub enum Ordered<D> {
    /// Appended to the log at this op number; answered once it commits.
    Appended(u64),
    /// Already in the log, not yet committed: answered once it commits.
    Pending,
    /// A retry of a committed request: its answer, from the client table.
    Committed(Answer<D>),
    /// Older than the client's latest request: the client has moved on, and
    /// nothing is done or answered.
    Stale,
}

/// Something a voter wants its shell to do.
#[derive(Clone, PartialEq, Debug)]
pub enum Output<O, D> {
    /// Send `msg` to voter `to`.
    Send {
        /// The receiver.
        to: NodeId,
        /// The message.
        msg: Message<O, D>,
    },
    /// Answer request `id` to its client.
    Reply {
        /// The request.
        id: RequestId,
        /// Its result.
        result: Result<Answer<D>, ForcedError>,
    },
}
