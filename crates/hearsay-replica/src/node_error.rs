//! Why a [`crate::ReplicaNode`] could not start.

use std::fmt;
use std::net::SocketAddr;

use hearsay_core::ForcedConfigError;
use hearsay_transport::{CertsError, TransportError};

use crate::store::StoreError;

/// Why [`crate::ReplicaNodeBuilder::spawn`] failed. Nothing is left running
/// when it does.
#[derive(Debug)]
pub enum NodeError {
    /// The name given is not a valid replica name.
    Name {
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// No name was given (see [`crate::ReplicaNodeBuilder::name`]).
    NoName,
    /// No certificate was given for QUIC (the default transport): neither a
    /// directory to load it from
    /// ([`crate::ReplicaNodeBuilder::certs_dir`]) nor loaded credentials.
    NoCredentials,
    /// The node's certificate or key could not be loaded.
    Credentials(CertsError),
    /// The node's address on its transport (its QUIC endpoint, by
    /// default) could not be taken.
    Bind(TransportError),
    /// The replica's durable state could not be opened or read.
    Store(StoreError),
    /// The forced order's settings cannot run (no voters, a reserved name).
    Forced(ForcedConfigError),
    /// The HTTP address could not be bound.
    Http {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name { name, reason } => write!(f, "{name:?} is not a replica name: {reason}"),
            Self::NoName => f.write_str("a replica node needs a name (builder.name(\"r1\"))"),
            Self::NoCredentials => f.write_str(
                "a replica node needs a certificate: give certs_dir(..) or credentials(..), or another transport(..)",
            ),
            Self::Credentials(e) => write!(f, "loading the replica's certificate: {e}"),
            Self::Bind(e) => write!(f, "opening the replica's endpoint: {e}"),
            Self::Store(e) => write!(f, "opening the replica's state: {e}"),
            Self::Forced(e) => write!(f, "the forced order's voters: {e}"),
            Self::Http { addr, source } => {
                write!(f, "serving the replica's HTTP on {addr}: {source}")
            }
        }
    }
}

impl std::error::Error for NodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Credentials(e) => Some(e),
            Self::Bind(e) => Some(e),
            Self::Store(e) => Some(e),
            Self::Forced(e) => Some(e),
            Self::Http { source, .. } => Some(source),
            _ => None,
        }
    }
}
