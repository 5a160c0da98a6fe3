//! Arbitrary bytes through every decode entry point: the five frame kinds,
//! each for `KvApp` and `Movies`. Decoding must never panic, and a frame that
//! decodes must survive re-encoding unchanged (see `hearsay_fuzz`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    hearsay_fuzz::decode_everything(bytes);
});
