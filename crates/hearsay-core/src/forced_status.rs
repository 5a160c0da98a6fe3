//! What a replica reports about its part in the forced order.

use crate::forced::VoterStatus;
use crate::ids::ReplicaId;

/// A replica's part in the forced order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ForcedRole {
    /// Hosts a voter of the current epoch (primary or backup).
    Voter,
    /// Hosts no voter of the current epoch: forwards forced requests to the
    /// primary and learns forced records by gossip (a voter removed by a
    /// reconfiguration becomes one).
    Learner,
}

impl ForcedRole {
    /// The lowercase name shown in status output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Voter => "voter",
            Self::Learner => "learner",
        }
    }
}

/// A replica's view of the forced order ([`crate::Replica::forced_status`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ForcedStatus {
    /// Voter or learner.
    pub role: ForcedRole,
    /// The voter's protocol status (`None` for a learner that hosts no voter).
    pub voter_status: Option<VoterStatus>,
    /// Whether this replica is the primary, in normal status.
    pub is_primary: bool,
    /// The primary this replica believes in (a learner's best guess).
    pub primary: Option<ReplicaId>,
    /// The voters as this replica knows them (a learner's: the configured
    /// ones, until a forward answer names others).
    pub voters: Vec<ReplicaId>,
    /// The configuration number (0 until a reconfiguration commits; a
    /// learner's is 0).
    pub epoch: u64,
    /// The view within the epoch (a learner's is 0).
    pub view: u64,
    /// Entries in the voter's log, committed or not (0 for a learner).
    pub log_len: u64,
    /// Committed entries (VRR's commit number; 0 for a learner).
    pub commit: u64,
    /// Forced records applied here (the `forced` entry of the value
    /// timestamp): the same sequence at every replica.
    pub applied: u64,
    /// Forced requests waiting here (ordered, forwarded or not yet placed).
    pub pending: usize,
}
