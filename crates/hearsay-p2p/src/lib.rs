//! A peer-to-peer network of hearsay replicas (seed 004): every peer is a
//! replica, linked to the ten peers after it on a sorted peer list.
//!
//! - **Joining** ([`Peer::join`]): ask the peer at an address for its
//!   sorted peer list ([`Roster`]), add yourself, link to the ten peers
//!   after you with wrap-around ([`topology`]), and broadcast your presence.
//!   With no address, an invalid one, or nobody answering within about two
//!   seconds, the peer starts a new network with only itself.
//! - **Presence** is replicated state: the peer list lives beside the
//!   application in a [`PeerApp`], and a presence (or a withdrawal) is an
//!   update of it, gossiped like any other. A peer that hears of a presence
//!   adds it to its list and re-links.
//! - **Links are the replica's membership.** A peer's members are its
//!   neighbours (the ten after it and the ten before it: links are used
//!   both ways), and only they get its gossip: eager pushes with relay
//!   ([`hearsay_core::ReplicaConfig::relay`]) and anti-entropy digests, over
//!   QUIC with mutual TLS. Every peer's records reach every peer through
//!   the relays; a late joiner catches up from its neighbours' logs, or by
//!   snapshot when they have discarded what it lacks.
//! - **Leaving** ([`Peer::leave`]) withdraws the peer's presence; a linked
//!   peer that stops answering heartbeats for
//!   [`PeerConfig::crash_timeout`] is withdrawn by its neighbours.
//! - **Identity**: a peer is named after its address ([`peer_name`]), and
//!   its certificate (role `replica`, signed by the network's CA) carries
//!   that name; peers of one CA admit each other as replicas.
//!
//! The crate is generic over the application: the chat room
//! (`hearsay_apps::chat`) runs on it, and so can a ledger.
//!
//! Tracing: joins, link changes and crashed peers at `info`/`warn`.

mod app;
mod config;
mod error;
mod join;
mod name;
mod peer;
mod roster;
pub mod topology;
mod upkeep;

pub use app::{PeerApp, PeerQuery, PeerReply, PeerUpdate};
pub use config::PeerConfig;
pub use error::P2pError;
pub use join::JoinOutcome;
pub use name::peer_name;
pub use peer::Peer;
pub use roster::{Presence, Roster};
