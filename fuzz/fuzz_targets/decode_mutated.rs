//! Valid frames, damaged: the first input byte picks one of the seed frames
//! (every variant of every kind, for both apps), the rest is a list of edits
//! (`hearsay_fuzz::mutate`). Reaches deep into well-formed frames even with an
//! empty corpus; the check is the same as `decode`'s.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();

fuzz_target!(|input: &[u8]| {
    let Some((&pick, edits)) = input.split_first() else {
        return;
    };
    let seeds = SEEDS.get_or_init(|| hearsay_fuzz::seeds().into_iter().map(|(_, b)| b).collect());
    let mut bytes = seeds[usize::from(pick) % seeds.len()].clone();
    hearsay_fuzz::mutate(&mut bytes, edits);
    hearsay_fuzz::decode_everything(&bytes);
});
