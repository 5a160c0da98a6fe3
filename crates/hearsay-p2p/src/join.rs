//! Joining: asking a peer at an address for its peer list.

use std::net::SocketAddr;
use std::time::Duration;

use hearsay_core::{App, ClientReply, ClientRequest, VectorTimestamp};
use hearsay_transport::NodeSocket;
use hearsay_wire::{ReplicaRequest, ReplicaResponse, decode, encode};

use crate::app::{PeerApp, PeerQuery, PeerReply};
use crate::name::peer_name;
use crate::roster::Roster;

/// How a peer came into a network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinOutcome {
    /// The peer at `via` answered with its list of `peers` (those here).
    Joined {
        /// Who answered.
        via: SocketAddr,
        /// How many peers its list held.
        peers: usize,
    },
    /// Nobody to join: the peer started a new network with only itself.
    NewNetwork {
        /// Why (no address given, an invalid one, nobody answering there).
        reason: String,
    },
}

/// Asks the peer at `target` (`HOST:PORT`) for its peer list, through
/// `connector`; everything, resolving included, within `timeout`. The error
/// says why, for the user.
pub(crate) async fn ask_roster<A>(
    connector: &dyn NodeSocket,
    target: &str,
    me: SocketAddr,
    timeout: Duration,
) -> Result<(SocketAddr, Roster), String>
where
    A: App,
{
    let resolved = tokio::time::timeout(timeout, tokio::net::lookup_host(target))
        .await
        .map_err(|_| format!("{target} did not resolve within {timeout:?}"))?
        .map_err(|e| format!("{target} is not a valid HOST:PORT address ({e})"))?;
    let addrs: Vec<SocketAddr> = resolved.collect();
    // Prefer an address of the family we listen on (localhost has both).
    let addr = addrs
        .iter()
        .find(|a| a.is_ipv4() == me.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("{target} resolved to no address"))?;
    if addr == me {
        return Err(format!("{target} is this peer's own address"));
    }
    let request = ReplicaRequest::<PeerApp<A>>::Client {
        attempt: 1,
        request: ClientRequest::Query {
            prev: VectorTimestamp::new(),
            query: PeerQuery::Roster,
        },
    };
    let bytes = encode(&request).map_err(|e| format!("could not encode the join request: {e}"))?;
    let name = peer_name(addr);
    let answer = connector
        .request(addr, name.as_str(), &bytes, timeout)
        .await
        .map_err(|e| format!("nobody answered at {addr} within {timeout:?} ({e})"))?;
    match decode::<ReplicaResponse<PeerApp<A>>>(&answer) {
        Ok(ReplicaResponse::Client {
            reply:
                ClientReply::Answer {
                    reply: PeerReply::Roster(roster),
                    ..
                },
            ..
        }) => Ok((addr, roster)),
        Ok(ReplicaResponse::Error { reason }) => Err(format!(
            "the peer at {addr} refused to share its list: {reason}"
        )),
        Ok(_) => Err(format!(
            "the node at {addr} answered, but not with a peer list"
        )),
        Err(e) => Err(format!(
            "the node at {addr} is not a peer of this kind of network ({e})"
        )),
    }
}
