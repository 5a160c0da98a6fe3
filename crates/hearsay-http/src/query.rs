//! Checks on query strings that serde's URL decoding would let through.

/// Whether every name and value of the `application/x-www-form-urlencoded`
/// query `q` decodes to UTF-8. The usual decoders replace bad bytes with
/// U+FFFD, so `?peer=%ff%fe` would silently ask for a peer named "��";
/// callers refuse such a query instead.
pub fn decodes_to_utf8(q: &str) -> bool {
    q.split('&').all(|pair| {
        let bytes = pair.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match (b, hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (b'%', Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                (b'+', _, _) => {
                    out.push(b' ');
                    i += 1;
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        std::str::from_utf8(&out).is_ok()
    })
}

fn hex(b: Option<&u8>) -> Option<u8> {
    let b = *b?;
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The message for a query that [`decodes_to_utf8`] refuses.
pub const NOT_UTF8: &str = "bad query string: a percent-encoded value is not UTF-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_after_decoding_is_refused() {
        assert!(!decodes_to_utf8("peer=%ff%fe"));
        assert!(!decodes_to_utf8("a=1&%c3=x"));
        assert!(!decodes_to_utf8("peer=%e2%82"), "a truncated sequence");
    }

    #[test]
    fn valid_queries_pass() {
        assert!(decodes_to_utf8(""));
        assert!(decodes_to_utf8("peer=r1&limit=10"));
        assert!(decodes_to_utf8("peer=%e2%82%ac+x"), "a euro sign");
        assert!(
            decodes_to_utf8("a=%zz&b=%"),
            "malformed escapes stay literal"
        );
        assert!(decodes_to_utf8("name=caf%C3%A9"));
    }
}
