//! [`PeerConfig`]: how a peer runs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use hearsay_core::ReplicaConfig;

use crate::topology::LINKS;

/// How a peer runs; [`PeerConfig::new`] gives the defaults.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    /// Where to listen (port 0: the system picks); also the peer's name.
    pub listen: SocketAddr,
    /// The network's certificate directory: `ca.pem`, and either this
    /// peer's `<name>.pem`/`.key` or the CA's key to sign one in memory.
    pub certs: PathBuf,
    /// Peers after itself each peer links to (the seed's ten).
    pub links: usize,
    /// How long the peer asked at join may take to answer.
    pub join_timeout: Duration,
    /// How often each link is asked whether its peer is alive.
    pub heartbeat_interval: Duration,
    /// A linked peer not heard from for this long is dropped as crashed.
    pub crash_timeout: Duration,
    /// How often the peer list is re-read and links redone.
    pub upkeep_interval: Duration,
    /// How long leaving waits for the withdrawal to reach a neighbour.
    pub leave_timeout: Duration,
    /// The replica's tunables; `relay` is always turned on (links are not
    /// a full mesh, so records must be passed on).
    pub core: ReplicaConfig,
}

impl PeerConfig {
    /// The defaults, with certificates from `certs`.
    pub fn new(certs: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            certs: certs.into(),
            links: LINKS,
            join_timeout: Duration::from_secs(2),
            heartbeat_interval: Duration::from_secs(1),
            crash_timeout: Duration::from_secs(5),
            upkeep_interval: Duration::from_millis(100),
            leave_timeout: Duration::from_secs(2),
            core: ReplicaConfig::default(),
        }
    }
}
