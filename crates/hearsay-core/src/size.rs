//! Encoded sizes, for bounding gossip messages in bytes.

use serde::Serialize;

/// The postcard-encoded size of `value` (what `hearsay-wire` puts on the wire).
/// Counts without allocating.
pub fn encoded_len<T: Serialize + ?Sized>(value: &T) -> usize {
    // Serializing into a counter cannot fail for our types; if it ever did,
    // counting the value as huge keeps the byte bound conservative.
    postcard::serialize_with_flavor(value, postcard::ser_flavors::Size::default())
        .unwrap_or(usize::MAX / 4)
}

/// The length of `n` as a postcard varint (a length prefix).
pub(crate) fn varint_len(n: usize) -> usize {
    let bits = usize::BITS - n.leading_zeros();
    (bits as usize).div_ceil(7).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_len_matches_postcard() {
        for n in [0usize, 1, 127, 128, 16_383, 16_384, 1 << 21, usize::MAX] {
            let bytes = postcard::to_allocvec(&(n as u64)).unwrap();
            assert_eq!(varint_len(n), bytes.len(), "{n}");
        }
    }
}
