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
