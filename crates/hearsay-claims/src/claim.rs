//! [`Claim`]: what a replica presents to a peer, how it is made good or bad,
//! and what the answer must be.

use hearsay_apps::payloads::PayloadId;
use hearsay_core::ClientReply;
use rand::Rng;

use crate::ClaimsApp;

/// What kind of claim it is, which decides the answer it deserves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimKind {
    /// A payload the claimant holds, as it holds it: deserves `true`.
    Good,
    /// A payload the claimant holds, with its content changed: deserves
    /// `false` (the content no longer hashes to the id).
    Tampered,
    /// A payload nobody wrote (its id is the hash of fresh random content):
    /// deserves `false` (no such id).
    Unknown,
}

impl ClaimKind {
    /// The verdict the claim deserves.
    pub fn deserves(self) -> bool {
        self == Self::Good
    }

    /// How logs name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Good => "good claim",
            Self::Tampered => "bad claim (tampered content)",
            Self::Unknown => "bad claim (unknown id)",
        }
    }
}

/// A claim: "the payload `id` has this `content`".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Good or bad, and how.
    pub kind: ClaimKind,
    /// The claimed id.
    pub id: PayloadId,
    /// The claimed content.
    pub content: String,
}

/// The first hex digits of an id, for logs.
pub fn short(id: &PayloadId) -> String {
    let mut s = id.to_string();
    s.truncate(12);
    s
}

fn random_hex(rng: &mut impl Rng, bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// Makes a claim from `held` (a payload the claimant holds, picked at
/// random, or `None` when it holds none): bad with `bad_probability`.
///
/// With nothing held there is nothing true to claim, so the round yields a
/// bad claim of an unknown id with `bad_probability` and nothing otherwise:
/// `false` answers happen even before any payload exists. With a payload
/// held, a bad claim is tampered content or an unknown id, half and half.
pub fn make_claim(
    rng: &mut impl Rng,
    held: Option<(PayloadId, String)>,
    bad_probability: f64,
) -> Option<Claim> {
    let bad = rng.random_bool(bad_probability.clamp(0.0, 1.0));
    let unknown = |rng: &mut _| {
        let content = format!("never written {}", random_hex(rng, 16));
        Claim {
            kind: ClaimKind::Unknown,
            id: PayloadId::of(content.as_bytes()),
            content,
        }
    };
    match (held, bad) {
        (None, false) => None,
        (None, true) => Some(unknown(rng)),
        (Some((id, content)), false) => Some(Claim {
            kind: ClaimKind::Good,
            id,
            content,
        }),
        (Some(_), true) if rng.random_bool(0.5) => Some(unknown(rng)),
        (Some((id, mut content)), true) => {
            // Any change makes the SHA-256 differ; appending one character
            // keeps the claim within the payload size limit plus one byte.
            content.push(char::from(b'a' + rng.random_range(0..26u8)));
            Some(Claim {
                kind: ClaimKind::Tampered,
                id,
                content,
            })
        }
    }
}

/// The verdict in a replica's reply to a claim, or why there is none.
pub fn verdict_of<A: ClaimsApp>(reply: &ClientReply<A>) -> Result<bool, String> {
    match reply {
        ClientReply::Answer { reply, .. } => {
            A::verdict(reply).ok_or_else(|| format!("an answer that is no verdict: {reply:?}"))
        }
        ClientReply::NotYet { .. } => {
            Err("not yet: it could not catch up with the claimant in time".into())
        }
        ClientReply::Unavailable { status } => {
            Err(format!("unavailable: it is {}", status.as_str()))
        }
        ClientReply::Rejected { reason } => Err(format!("rejected: {reason}")),
        ClientReply::Accepted { .. } | ClientReply::Forced { .. } => {
            Err("an update's acknowledgement, not a verdict".into())
        }
        ClientReply::ForcedUnavailable { reason } => Err(reason.clone()),
        ClientReply::Reconfigured { .. } => Err("a reconfiguration's answer, not a verdict".into()),
    }
}

#[cfg(test)]
mod tests {
    use hearsay_apps::payloads::{PayloadReply, PayloadUpdate, Payloads};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn put(app: &mut Payloads, payload: &str) {
        let update = PayloadUpdate::Put {
            payload: payload.into(),
        };
        hearsay_core::testing::apply_first(app, &update);
    }

    #[test]
    fn every_claim_gets_from_the_payloads_exactly_the_verdict_it_deserves() {
        let mut payloads = Payloads::new();
        for p in ["hello", "world", "ünïcödé payload", &"x".repeat(4096)] {
            put(&mut payloads, p);
        }
        let mut rng = StdRng::seed_from_u64(7);
        let mut kinds = [0u32; 3];
        for i in 0..3000 {
            let held = payloads.nth(i).map(|(id, c)| (*id, c.to_owned()));
            let claim = make_claim(&mut rng, held, 0.5).expect("a payload is held");
            kinds[claim.kind as usize] += 1;
            assert_eq!(
                payloads.verify(&claim.id, &claim.content),
                claim.kind.deserves(),
                "{claim:?}"
            );
        }
        assert!(
            kinds.iter().all(|k| *k > 500),
            "every kind is made: {kinds:?}"
        );
    }

    #[test]
    fn with_nothing_held_only_bad_claims_are_made() {
        let mut rng = StdRng::seed_from_u64(1);
        let claims: Vec<Claim> = (0..1000)
            .filter_map(|_| make_claim(&mut rng, None, 0.1))
            .collect();
        assert!((50..150).contains(&claims.len()), "{}", claims.len());
        assert!(claims.iter().all(|c| c.kind == ClaimKind::Unknown));
        assert!(make_claim(&mut rng, None, 0.0).is_none());
        let held = Some((PayloadId::of(b"a"), "a".to_string()));
        for _ in 0..100 {
            assert_eq!(
                make_claim(&mut rng, held.clone(), 0.0).unwrap().kind,
                ClaimKind::Good
            );
            assert_ne!(
                make_claim(&mut rng, held.clone(), 1.0).unwrap().kind,
                ClaimKind::Good
            );
        }
    }

    #[test]
    fn only_a_verdict_is_an_answer() {
        let ts = hearsay_core::VectorTimestamp::new();
        let yes = ClientReply::<Payloads>::Answer {
            reply: PayloadReply::Verdict(true),
            ts: ts.clone(),
        };
        assert_eq!(verdict_of(&yes), Ok(true));
        let not_yet = ClientReply::<Payloads>::NotYet { value_ts: ts };
        assert!(verdict_of(&not_yet).unwrap_err().starts_with("not yet"));
        let off = ClientReply::<Payloads>::Unavailable {
            status: hearsay_core::Status::Offline,
        };
        assert_eq!(verdict_of(&off), Err("unavailable: it is offline".into()));
    }
}
