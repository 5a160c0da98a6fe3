//! Why a [`crate::FrontendNode`] could not start.

use std::fmt;
use std::net::SocketAddr;

use hearsay_transport::{CertsError, TransportError};

/// Why [`crate::FrontendNodeBuilder::spawn`] failed. Nothing is left running
/// when it does.
#[derive(Debug)]
pub enum FrontendNodeError {
    /// A replica name given is not a valid replica name.
    ReplicaName {
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// No certificate was given for QUIC (the default transport): neither a
    /// directory to load it from
    /// ([`crate::FrontendNodeBuilder::certs_dir`]) nor loaded credentials.
    NoCredentials,
    /// The node's certificate or key could not be loaded.
    Credentials(CertsError),
    /// The node's address on its transport (its QUIC endpoint, by
    /// default) could not be taken.
    Bind(TransportError),
    /// The HTTP address could not be bound.
    Http {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
}

impl fmt::Display for FrontendNodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReplicaName { name, reason } => {
                write!(f, "{name:?} is not a replica name: {reason}")
            }
            Self::NoCredentials => f.write_str(
                "a front end needs a certificate: give certs_dir(..) or credentials(..), or another transport(..)",
            ),
            Self::Credentials(e) => write!(f, "loading the front end's certificate: {e}"),
            Self::Bind(e) => write!(f, "opening the front end's endpoint: {e}"),
            Self::Http { addr, source } => {
                write!(f, "serving the front end's HTTP on {addr}: {source}")
            }
        }
    }
}

impl std::error::Error for FrontendNodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Credentials(e) => Some(e),
            Self::Bind(e) => Some(e),
            Self::Http { source, .. } => Some(source),
            _ => None,
        }
    }
}
