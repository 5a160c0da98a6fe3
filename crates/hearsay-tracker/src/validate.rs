//! Checks on the input: names, addresses, payload ids. Each failure is an
//! [`ApiError::BadRequest`] that names the field, quotes (a bounded prefix
//! of) the value and says what is accepted.

use std::net::SocketAddr;

use crate::error::ApiError;

/// The longest peer name.
pub(crate) const MAX_NAME: usize = 63;

/// The longest `HOST:PORT` accepted.
const MAX_ADDR: usize = 261;

/// `s` quoted for an error message, cut to a bounded length.
pub(crate) fn echo(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut:?}...")
    }
}

/// A peer name: 1 to [`MAX_NAME`] letters, digits, `-`, `_` or `.`.
pub(crate) fn name(s: &str) -> Result<(), ApiError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_NAME
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "bad peer name {}: use 1 to {MAX_NAME} letters, digits, '-', '_' or '.'",
            echo(s)
        )))
    }
}

/// A `HOST:PORT` address, returned in canonical form (IP addresses as Rust
/// prints them, host names in lowercase) with its `(host, port)` key.
pub(crate) fn addr(field: &str, s: &str) -> Result<(String, (String, u16)), ApiError> {
    let bad = |why: &str| {
        ApiError::BadRequest(format!(
            "bad {field} {}: {why} (expected HOST:PORT, e.g. 127.0.0.1:7501)",
            echo(s)
        ))
    };
    if s.len() > MAX_ADDR {
        return Err(bad("too long"));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        if sa.port() == 0 {
            return Err(bad("port 0 is not an address a peer can be reached at"));
        }
        return Ok((sa.to_string(), (sa.ip().to_string(), sa.port())));
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return Err(bad("no port"));
    };
    let port: u16 = port
        .parse()
        .map_err(|_| bad("the port is not a number from 1 to 65535"))?;
    if port == 0 {
        return Err(bad("port 0 is not an address a peer can be reached at"));
    }
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
    if !host_ok {
        return Err(bad("the host is neither an IP address nor a host name"));
    }
    let host = host.to_ascii_lowercase();
    Ok((format!("{host}:{port}"), (host, port)))
}

/// A peer id: a whole number, as `GET /v1/peers` shows it.
pub(crate) fn peer_id(s: &str) -> Result<u64, ApiError> {
    s.parse().map_err(|_| {
        ApiError::BadRequest(format!(
            "bad peer id {}: ids are whole numbers (see GET /v1/peers)",
            echo(s)
        ))
    })
}

/// A payload id: 64 lowercase hex digits.
pub(crate) fn payload_id(field: &str, s: &str) -> Result<(), ApiError> {
    if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Ok(());
    }
    let why = if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        "ids are lowercase hex"
    } else {
        "an id is the SHA-256 of the payload: 64 lowercase hex digits"
    };
    Err(ApiError::BadRequest(format!(
        "bad {field} {}: {why}",
        echo(s)
    )))
}

/// A page size: 1 to [`hearsay_wire::tracker::MAX_PAGE`], default
/// [`hearsay_wire::tracker::DEFAULT_PAGE`].
pub(crate) fn limit(limit: Option<u32>) -> Result<usize, ApiError> {
    use hearsay_wire::tracker::{DEFAULT_PAGE, MAX_PAGE};
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(n as usize),
        n => Err(ApiError::BadRequest(format!(
            "bad limit {n}: use 1 to {MAX_PAGE}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_canonical() {
        assert_eq!(addr("addr", "127.0.0.1:7501").unwrap().0, "127.0.0.1:7501");
        assert_eq!(addr("addr", "[::1]:7501").unwrap().1, ("::1".into(), 7501));
        assert_eq!(
            addr("addr", "Node-1.local:80").unwrap().0,
            "node-1.local:80"
        );
        for bad in [
            "",
            "127.0.0.1",
            "127.0.0.1:0",
            "h:99999",
            ":80",
            "a b:1",
            "x:y",
        ] {
            assert!(addr("addr", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_ids() {
        assert!(name("r1").is_ok());
        assert!(name("").is_err());
        assert!(name("r 1").is_err());
        assert!(name(&"x".repeat(64)).is_err());
        let id = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        assert!(payload_id("id", id).is_ok());
        let upper = id.to_ascii_uppercase();
        let err = format!("{:?}", payload_id("id", &upper).unwrap_err());
        assert!(err.contains("lowercase"), "{err}");
        assert!(payload_id("id", "abc").is_err());
        assert!(echo(&"é".repeat(100)).ends_with("..."));
    }
}
