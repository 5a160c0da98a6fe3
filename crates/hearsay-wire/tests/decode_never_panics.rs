//! Decoding never panics, whatever the bytes: random bytes, and valid frames
//! truncated or mutated, go through every decode entry point.

mod common;

use common::{decode_everything, samples};
use proptest::prelude::*;

fn encoded_samples() -> Vec<(&'static str, Vec<u8>, common::Sample)> {
    samples()
        .into_iter()
        .map(|(name, s)| (name, s.encode(), s))
        .collect()
}

/// How to damage a valid frame.
#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte (position taken modulo the length).
    Flip(usize, u8),
    /// Insert a byte.
    Insert(usize, u8),
    /// Remove a byte.
    Remove(usize),
    /// Overwrite a byte with a large varint-looking value.
    Huge(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Huge),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match *m {
        Mutation::Flip(i, x) if len > 0 => bytes[i % len] ^= x,
        Mutation::Insert(i, b) => bytes.insert(i % (len + 1), b),
        Mutation::Remove(i) if len > 0 => {
            bytes.remove(i % len);
        }
        Mutation::Huge(i) if len > 0 => {
            let at = i % len;
            bytes.splice(at..=at, [0xff, 0xff, 0xff, 0xff, 0x0f]);
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&bytes);
    }

    #[test]
    fn truncated_frames_are_errors(which in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let all = encoded_samples();
        let (name, bytes, sample) = which.get(&all);
        let cut = cut.index(bytes.len());
        let prefix = &bytes[..cut];
        decode_everything(prefix);
        // postcard encodings are self-delimiting, so a strict prefix of a frame
        // is never a whole frame of the same kind.
        prop_assert!(sample.decode_same_kind(prefix).is_err(), "{} cut at {}", name, cut);
    }

    #[test]
    fn mutated_frames_never_panic(
        which in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let all = encoded_samples();
        let (_, bytes, _) = which.get(&all);
        let mut bytes = bytes.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        decode_everything(&bytes);
    }

    #[test]
    fn valid_frames_with_trailing_bytes_are_errors(
        which in any::<prop::sample::Index>(),
        tail in proptest::collection::vec(any::<u8>(), 1..8),
    ) {
        let all = encoded_samples();
        let (name, bytes, sample) = which.get(&all);
        let mut bytes = bytes.clone();
        bytes.extend_from_slice(&tail);
        decode_everything(&bytes);
        prop_assert!(
            matches!(
                sample.decode_same_kind(&bytes),
                Err(hearsay_wire::WireError::TrailingBytes { .. })
            ),
            "{} with {} trailing bytes", name, tail.len()
        );
    }
}

#[test]
fn every_sample_decodes_back_to_itself() {
    for (name, bytes, sample) in encoded_samples() {
        assert_eq!(
            sample.decode_same_kind(&bytes).expect(name),
            sample,
            "{name}"
        );
    }
}
