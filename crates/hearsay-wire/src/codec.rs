//! [`encode`] and [`decode`]: postcard with a size cap per frame kind.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::WireError;

/// The largest frame of any kind, in bytes (16 MiB): peers' gossip batches and
/// snapshots. A replica state larger than this cannot be transferred whole.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// The cap on requests from clients and front ends (1 MiB): one operation and a
/// causal context, far below this in any sane app.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// The cap on answers to clients and front ends (4 MiB): an app's reply, such as
/// a list of search results, plus timestamps.
pub const MAX_REPLY_BYTES: usize = 4 * 1024 * 1024;

/// A message that travels alone on one stream.
///
/// Implemented by every top-level message type of this crate; [`encode`] and
/// [`decode`] accept nothing else, so every read is capped.
pub trait Frame: Serialize + DeserializeOwned {
    /// The kind's name, for errors and logs.
    const KIND: &'static str;
    /// The first byte of every frame of this kind, distinct per kind.
    ///
    /// postcard carries no type information, so without it a frame sent to
    /// the wrong kind of node could decode as something else (a front end's
    /// `ListReplicas` is byte for byte a replica's `GetStatus`). With it, a
    /// misdirected frame is refused before anything is parsed.
    const TAG: u8;
    /// The largest encoding accepted for this kind, at most [`MAX_FRAME_BYTES`].
    const MAX_BYTES: usize;
}

/// Encodes `frame`, refusing one over its kind's cap (the receiver would refuse it).
pub fn encode<T: Frame>(frame: &T) -> Result<Vec<u8>, WireError> {
    let bytes = postcard::to_extend(frame, vec![T::TAG]).map_err(|e| WireError::Unencodable {
        kind: T::KIND,
        reason: e.to_string(),
    })?;
    check_len::<T>(bytes.len())?;
    Ok(bytes)
}

/// Encodes `frame` into `buf` (cleared first), reusing its allocation: for
/// senders that encode many frames, such as a replica's gossip queue.
pub fn encode_into<T: Frame>(frame: &T, buf: &mut Vec<u8>) -> Result<(), WireError> {
    let mut out = std::mem::take(buf);
    out.clear();
    out.push(T::TAG);
    *buf = postcard::to_extend(frame, out).map_err(|e| WireError::Unencodable {
        kind: T::KIND,
        reason: e.to_string(),
    })?;
    check_len::<T>(buf.len())
}

/// Decodes one whole frame of kind `T`; never panics, whatever `bytes` hold.
///
/// The frame must fill `bytes` exactly: leftover bytes are an error, so one
/// encoding means one value.
pub fn decode<T: Frame>(bytes: &[u8]) -> Result<T, WireError> {
    check_len::<T>(bytes.len())?;
    let Some((&tag, bytes)) = bytes.split_first() else {
        return Err(WireError::Truncated { kind: T::KIND });
    };
    if tag != T::TAG {
        return Err(WireError::WrongKind { kind: T::KIND, tag });
    }
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(WireError::TrailingBytes {
            kind: T::KIND,
            extra: rest.len(),
        }),
        Err(postcard::Error::DeserializeUnexpectedEnd) => {
            Err(WireError::Truncated { kind: T::KIND })
        }
        Err(e) => Err(WireError::Malformed {
            kind: T::KIND,
            reason: e.to_string(),
        }),
    }
}

fn check_len<T: Frame>(len: usize) -> Result<(), WireError> {
    let max = T::MAX_BYTES.min(MAX_FRAME_BYTES);
    if len > max {
        return Err(WireError::TooLarge {
            kind: T::KIND,
            len,
            max,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use hearsay_core::testing::{KvApp, KvUpdate};
    use hearsay_core::{ClientId, ClientRequest, UpdateId, VectorTimestamp};

    use super::*;
    use crate::{FrontendRequest, ReplicaRequest, SessionRequest};

    fn put(value_len: usize) -> FrontendRequest<KvApp> {
        FrontendRequest::Session(SessionRequest {
            client: ClientId(1),
            request: ClientRequest::Update {
                id: UpdateId {
                    client: ClientId(1),
                    seq: 1,
                },
                prev: VectorTimestamp::new(),
                op: KvUpdate::Put {
                    key: "k".repeat(value_len),
                    value: 1,
                },
            },
            prefer: None,
        })
    }

    #[test]
    fn encoding_over_the_cap_is_refused_at_the_sender() {
        let err = encode(&put(MAX_REQUEST_BYTES)).unwrap_err();
        assert!(
            matches!(err, WireError::TooLarge { max, len, .. } if max == MAX_REQUEST_BYTES && len > max),
            "{err}"
        );
        assert!(encode(&put(1000)).is_ok());
    }

    #[test]
    fn encoding_into_a_buffer_gives_the_same_bytes_and_reuses_it() {
        let mut buf = Vec::with_capacity(4096);
        encode_into(&put(10), &mut buf).unwrap();
        assert_eq!(buf, encode(&put(10)).unwrap());
        let cap = buf.capacity();
        encode_into(&put(3), &mut buf).unwrap();
        assert_eq!(buf, encode(&put(3)).unwrap());
        assert_eq!(buf.capacity(), cap, "no new allocation");
        assert!(encode_into(&put(MAX_REQUEST_BYTES), &mut buf).is_err());
    }

    #[test]
    fn decoding_over_the_cap_is_refused_before_parsing() {
        let bytes = vec![0u8; MAX_REQUEST_BYTES + 1];
        let err = decode::<ReplicaRequest<KvApp>>(&bytes).unwrap_err();
        assert_eq!(
            err,
            WireError::TooLarge {
                kind: "replica request",
                len: MAX_REQUEST_BYTES + 1,
                max: MAX_REQUEST_BYTES,
            }
        );
    }

    #[test]
    fn empty_truncated_and_malformed_bytes_are_told_apart() {
        assert_eq!(
            decode::<ReplicaRequest<KvApp>>(&[]),
            Err(WireError::Truncated {
                kind: "replica request"
            })
        );
        // Variant index 7 does not exist.
        assert!(matches!(
            decode::<ReplicaRequest<KvApp>>(&[2, 7]),
            Err(WireError::Malformed { .. })
        ));
        // GetStatus (index 2) followed by a stray byte.
        assert_eq!(
            decode::<ReplicaRequest<KvApp>>(&[2, 2, 0]),
            Err(WireError::TrailingBytes {
                kind: "replica request",
                extra: 1
            })
        );
    }

    /// Found by a black-box test: without a kind tag, a front end's
    /// `ListReplicas` decoded as a replica's `GetStatus`.
    #[test]
    fn a_frame_of_another_kind_is_refused_before_parsing() {
        let list = encode(&FrontendRequest::<KvApp>::ListReplicas).unwrap();
        assert_eq!(
            decode::<ReplicaRequest<KvApp>>(&list),
            Err(WireError::WrongKind {
                kind: "replica request",
                tag: 4
            })
        );
        assert_eq!(
            decode::<FrontendRequest<KvApp>>(&list),
            Ok(FrontendRequest::ListReplicas)
        );
    }

    #[test]
    fn a_huge_claimed_length_does_not_allocate_it() {
        // A session request whose key claims to be ~2^35 bytes long: the decoder
        // must fail on the short input rather than trust the length.
        // Session, client 1, Update, id (1, 1), empty prev, Put, key length.
        let bytes = [4, 0, 1, 0, 1, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x7f, b'k'];
        assert_eq!(
            decode::<FrontendRequest<KvApp>>(&bytes),
            Err(WireError::Truncated {
                kind: "front end request"
            })
        );
    }
}
