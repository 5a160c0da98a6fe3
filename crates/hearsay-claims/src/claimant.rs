//! [`run`]: the claimant — every interval, a claim to a random peer.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearsay_activity::Activity;
use hearsay_core::{ClientRequest, ReplicaId, Status, VectorTimestamp};
use hearsay_replica::{AddressBook, ReplicaHandle};
use hearsay_transport::NodeSocket;
use hearsay_wire::node::NodeActivityKind;
use hearsay_wire::{ReplicaRequest, ReplicaResponse, decode, encode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;
use tracing::{debug, error};

use crate::claim::{Claim, make_claim, short, verdict_of};
use crate::{ClaimAnswer, ClaimTally, ClaimsApp};

/// How a replica presents claims.
#[derive(Clone, Debug)]
pub struct ClaimConfig {
    /// Time between two claims; zero turns claims off.
    pub interval: Duration,
    /// Chance (0 to 1) that a claim is deliberately bad.
    pub bad_probability: f64,
    /// How long to wait for a verdict: above the peer's held-query deadline
    /// (2 s), so a peer that is catching up answers before the claimant
    /// gives up.
    pub timeout: Duration,
    /// Claims awaiting a verdict at once; a round finding them all busy is
    /// skipped, so a peer that never answers cannot pile claims up.
    pub max_in_flight: usize,
}

impl Default for ClaimConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(500),
            bad_probability: 0.1,
            timeout: Duration::from_secs(4),
            max_in_flight: 64,
        }
    }
}

/// Presents claims from replica `me` (behind `handle`) to peers in `book`
/// until `shutdown`, counting each outcome in `tally` and logging it in the
/// replica's activity.
///
/// Each round picks a random peer and a random payload the replica holds,
/// read inside the replica's actor together with its value timestamp, which
/// travels as the claim's `prev`: the peer holds the claim until its own
/// state includes everything the claimant's did (or says "not yet" after its
/// held-query deadline), so a lagging peer can be slow but never wrong. A
/// replica that is offline presents none.
pub async fn run<A: ClaimsApp>(
    me: ReplicaId,
    handle: ReplicaHandle<A>,
    tally: Arc<ClaimTally>,
    socket: Arc<dyn NodeSocket>,
    book: AddressBook,
    config: ClaimConfig,
    shutdown: impl Future<Output = ()> + Send,
) {
    if config.interval.is_zero() {
        return;
    }
    let mut rng = StdRng::from_os_rng();
    let mut tick = tokio::time::interval(config.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let slots = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
    let mut attempt = 0u64;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            debug!(replica = %me, "every claim slot is waiting for a verdict; skipping a round");
            continue;
        };
        let peers: Vec<(ReplicaId, SocketAddr)> = match book.read() {
            Ok(b) => b
                .iter()
                .filter(|(n, _)| **n != me)
                .map(|(n, a)| (n.clone(), *a))
                .collect(),
            Err(_) => continue,
        };
        if peers.is_empty() {
            continue;
        }
        let (peer, addr) = peers[rng.random_range(0..peers.len())].clone();
        let pick = rng.random::<u32>() as usize;
        let read = handle
            .inspect(move |r, _| {
                let held = r.app().held_payload(pick);
                (held, r.value_ts().clone(), r.status())
            })
            .await;
        let Some((held, prev, status)) = read else {
            break; // the replica has stopped
        };
        if status == Status::Offline {
            continue;
        }
        let Some(claim) = make_claim(&mut rng, held, config.bad_probability) else {
            continue;
        };
        attempt += 1;
        let presenting = Presenting {
            socket: socket.clone(),
            activity: handle.activity().clone(),
            tally: tally.clone(),
            timeout: config.timeout,
        };
        tokio::spawn(async move {
            let _slot = slot;
            presenting
                .present::<A>(peer, addr, claim, prev, attempt)
                .await;
        });
    }
    debug!(replica = %me, "claims stopped");
}

/// What presenting one claim needs.
struct Presenting {
    socket: Arc<dyn NodeSocket>,
    activity: Activity,
    tally: Arc<ClaimTally>,
    timeout: Duration,
}

impl Presenting {
    /// Sends `claim` to `peer` as a causal query after `prev` and records the
    /// outcome.
    async fn present<A: ClaimsApp>(
        self,
        peer: ReplicaId,
        addr: SocketAddr,
        claim: Claim,
        prev: VectorTimestamp,
        attempt: u64,
    ) {
        let started = Instant::now();
        let request = ReplicaRequest::<A>::Client {
            attempt,
            request: ClientRequest::Query {
                prev,
                query: A::verify_query(claim.id, claim.content.clone()),
            },
        };
        let outcome = match encode(&request) {
            Err(e) => Err(format!("could not encode the claim: {e}")),
            Ok(bytes) => match self
                .socket
                .request(addr, peer.as_str(), &bytes, self.timeout)
                .await
            {
                Err(e) => Err(format!("unreachable: {e}")),
                Ok(answer) => match decode::<ReplicaResponse<A>>(&answer) {
                    Ok(ReplicaResponse::Client { reply, .. }) => verdict_of(&reply),
                    Ok(ReplicaResponse::Error { reason }) => Err(format!("refused: {reason}")),
                    Ok(other) => Err(format!("an unexpected answer: {other:?}")),
                    Err(e) => Err(format!("a bad answer: {e}")),
                },
            },
        };
        let ms = started.elapsed().as_millis();
        let what = format!("{} {}…", claim.kind.as_str(), short(&claim.id));
        match outcome {
            Ok(got) => {
                let deserved = claim.kind.deserves();
                let detail = if got == deserved {
                    debug!(%peer, claim = %what, verdict = got, ms, "claim answered");
                    format!("{what} answered {got} ({ms} ms)")
                } else {
                    error!(%peer, claim = %what, verdict = got, deserved, "WRONG ANSWER to a claim");
                    format!("WRONG ANSWER: {what} answered {got}, deserved {deserved} ({ms} ms)")
                };
                self.outcome(&peer, ClaimAnswer::Verdict { got, deserved }, detail);
            }
            Err(why) => {
                debug!(%peer, claim = %what, %why, "claim not answered");
                let detail = format!("{what} not answered: {why} ({ms} ms)");
                self.outcome(&peer, ClaimAnswer::Unanswered, detail);
            }
        }
    }

    /// Counts a completed claim and logs it.
    fn outcome(&self, peer: &ReplicaId, answer: ClaimAnswer, detail: String) {
        self.tally.sent(peer.as_str(), answer);
        self.activity
            .record(NodeActivityKind::ClaimSent, Some(peer.as_str()), detail);
    }
}
