//! What can go wrong in the peer network.

use std::net::SocketAddr;

use hearsay_replica::NodeError;
use hearsay_transport::CertsError;

/// An error of the peer network.
#[derive(Debug, thiserror::Error)]
pub enum P2pError {
    /// The listen address names no one host (`0.0.0.0`, `::`): peers are
    /// named and reached by it.
    #[error(
        "cannot listen on {0}: peers are named and reached by this address, so give the one \
         others reach this peer at (such as 127.0.0.1:0 or 192.168.1.5:7000)"
    )]
    UnspecifiedListen(SocketAddr),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// What was asked.
        addr: SocketAddr,
        /// Why not.
        source: std::io::Error,
    },
    /// No certificate for this peer, and none could be made.
    #[error("no certificate for peer {name}: {source}")]
    Certs {
        /// The peer's name.
        name: String,
        /// Why.
        source: CertsError,
    },
    /// The replica under the peer did not start.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The replica refused or could not take an update.
    #[error("the update was not taken: {0}")]
    Update(String),
    /// The replica has stopped.
    #[error("this peer has stopped")]
    Stopped,
}
