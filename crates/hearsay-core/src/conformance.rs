//! Checks any [`App`] can run in its tests: concurrent updates converge
//! ([`check_convergence`]), and forced decisions stay true at every replica
//! ([`check_forced_decisions`]).

use crate::app::{App, ApplyContext, UpdateClass};
use crate::ids::{ClientId, Dot, ReplicaId, UpdateId};
use crate::record::UpdateRecord;
use crate::timestamp::VectorTimestamp;

/// Why an app failed [`check_convergence`].
#[derive(Debug, thiserror::Error)]
#[error(
    "concurrent updates did not converge:\n  order {first_order:?} gave {first_state:?}\n  order {other_order:?} gave {other_state:?}"
)]
pub struct ConvergenceFailure<A: App> {
    /// The delivery order (indices into the updates given) of the first run.
    pub first_order: Vec<usize>,
    /// Its final state.
    pub first_state: A,
    /// A delivery order that ended elsewhere.
    pub other_order: Vec<usize>,
    /// Its final state.
    pub other_state: A,
}

/// Applies `updates` to copies of `initial` in `orders` different delivery
/// orders and checks that every copy ends in the same state.
///
/// The updates are spread over three origin replicas in turn; updates of one
/// origin form a causal chain, updates of different origins are concurrent,
/// and every fifth update depends on all before it (so concurrency and
/// causality both occur). Each run delivers them in a random order that
/// respects those dependencies, as a replica might. `seed` makes the runs
/// reproducible.
pub fn check_convergence<A: App>(
    initial: &A,
    updates: &[A::Update],
    orders: usize,
    seed: u64,
) -> Result<(), Box<ConvergenceFailure<A>>> {
    let records = causal_records(updates);
    let mut rng = SplitMix(seed);
    let mut first: Option<(Vec<usize>, A)> = None;
    for _ in 0..orders.max(2) {
        let (order, state) = run_once(initial, &records, &mut rng);
        match &first {
            None => first = Some((order, state)),
            Some((first_order, first_state)) => {
                if &state != first_state {
                    return Err(Box::new(ConvergenceFailure {
                        first_order: first_order.clone(),
                        first_state: first_state.clone(),
                        other_order: order,
                        other_state: state,
                    }));
                }
            }
        }
    }
    Ok(())
}

fn causal_records<U: Clone>(updates: &[U]) -> Vec<UpdateRecord<U>> {
    let origins: Vec<ReplicaId> = ["a", "b", "c"]
        .iter()
        .map(|n| ReplicaId::new(*n).unwrap_or_else(|_| unreachable!("constant names are valid")))
        .collect();
    let mut out: Vec<UpdateRecord<U>> = Vec::with_capacity(updates.len());
    let mut all = VectorTimestamp::new();
    let mut per_origin: Vec<VectorTimestamp> = vec![VectorTimestamp::new(); origins.len()];
    for (i, op) in updates.iter().enumerate() {
        let o = i % origins.len();
        let origin = &origins[o];
        let prev = if i % 5 == 4 {
            all.clone()
        } else {
            per_origin[o].clone()
        };
        let seq = all.get(origin) + 1;
        let rec = UpdateRecord {
            id: UpdateId {
                client: ClientId(o as u64 + 1),
                seq: i as u64 + 1,
            },
            dot: Dot {
                origin: origin.clone(),
                seq,
            },
            prev,
            op: op.clone(),
            refused: None,
        };
        let ts = rec.ts();
        all.merge(&ts);
        per_origin[o] = ts;
        out.push(rec);
    }
    out
}

/// Checks the forced-update contract of [`App::decide_forced`] on one
/// scenario, as the core runs it.
///
/// `forced` are forced updates in their order. Each is decided once, against
/// the *decider* copy (the primary's tip), and both copies then apply it with
/// that outcome (a refused one changes nothing). Before the k-th forced
/// update, the *replica* copy also applies `between[k]` (causal updates the
/// contract allows concurrently with the decision, for a ledger: credits),
/// which the decider never saw: that is what a replica's different
/// interleaving of causal updates looks like. `invariant` (the condition the
/// decisions protect, for a ledger "no balance below zero") must hold on both
/// copies after every apply. Also checked: classes (`forced` are forced,
/// `between` causal) and that deciding twice against equal states agrees.
///
/// Returns a description of the first breach. Call it from the app's tests
/// with scenarios that push the protected condition to its edge.
pub fn check_forced_decisions<A: App>(
    start: &A,
    forced: &[A::Update],
    between: &[Vec<A::Update>],
    invariant: impl Fn(&A) -> Result<(), String>,
) -> Result<(), String> {
    let forced_origin = ReplicaId::forced();
    let causal_origin = ReplicaId::new("conformance").map_err(|e| e.to_string())?;
    let mut decider = start.clone();
    let mut replica = start.clone();
    let mut causal_seq = 0u64;
    let apply = |state: &mut A, op: &A::Update, origin: &ReplicaId, seq: u64| {
        let dot = Dot {
            origin: origin.clone(),
            seq,
        };
        let id = UpdateId {
            client: ClientId(u64::from(origin.is_forced())),
            seq,
        };
        let prev = VectorTimestamp::new();
        let ctx = ApplyContext {
            id,
            dot: &dot,
            prev: &prev,
            order: crate::app::Arbitration::of(id, &prev),
        };
        state.apply(op, &ctx);
    };
    for (k, op) in forced.iter().enumerate() {
        if A::class(op) != UpdateClass::Forced {
            return Err(format!("forced update {k} ({op:?}) is not classed forced"));
        }
        for c in between.get(k).into_iter().flatten() {
            if A::class(c) != UpdateClass::Causal {
                return Err(format!("{c:?}, given as causal, is classed forced"));
            }
            causal_seq += 1;
            apply(&mut replica, c, &causal_origin, causal_seq);
            invariant(&replica)
                .map_err(|e| format!("after causal {c:?} before forced update {k}: {e}"))?;
        }
        let outcome = decider.decide_forced(op);
        if decider.clone().decide_forced(op) != outcome {
            return Err(format!(
                "forced update {k} ({op:?}): deciding twice disagreed"
            ));
        }
        if outcome.is_ok() {
            let seq = k as u64 + 1;
            apply(&mut decider, op, &forced_origin, seq);
            apply(&mut replica, op, &forced_origin, seq);
        }
        invariant(&decider)
            .map_err(|e| format!("decider, after forced update {k} ({op:?}, {outcome:?}): {e}"))?;
        invariant(&replica)
            .map_err(|e| format!("replica, after forced update {k} ({op:?}, {outcome:?}): {e}"))?;
    }
    Ok(())
}

fn run_once<A: App>(
    initial: &A,
    records: &[UpdateRecord<A::Update>],
    rng: &mut SplitMix,
) -> (Vec<usize>, A) {
    let mut state = initial.clone();
    let mut applied = VectorTimestamp::new();
    let mut done = vec![false; records.len()];
    let mut order = Vec::with_capacity(records.len());
    while order.len() < records.len() {
        let ready: Vec<usize> = (0..records.len())
            .filter(|&i| !done[i] && records[i].is_stable(&applied))
            .collect();
        // The records form a causal order, so one is always ready.
        let Some(&pick) = ready.get(rng.below(ready.len())) else {
            break;
        };
        let rec = &records[pick];
        let ctx = ApplyContext {
            id: rec.id,
            dot: &rec.dot,
            prev: &rec.prev,
            order: rec.arbitration(),
        };
        state.apply(&rec.op, &ctx);
        applied.set(rec.dot.origin.clone(), rec.dot.seq);
        done[pick] = true;
        order.push(pick);
    }
    (order, state)
}

/// A tiny seeded generator, so the check needs no randomness from outside.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}
