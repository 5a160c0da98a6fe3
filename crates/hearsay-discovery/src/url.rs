//! [`TrackerUrl`]: where the tracker is, parsed from `--tracker`.

use std::str::FromStr;

use crate::error::TrackerError;

/// The longest URL accepted.
const MAX_URL: usize = 300;

/// Where the tracker listens: `http://HOST:PORT` (the scheme may be left
/// out; a trailing `/` is allowed). The tracker speaks plain HTTP/1.1 only.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct TrackerUrl {
    /// An IP address (IPv6 without brackets) or a host name.
    host: String,
    port: u16,
}

impl TrackerUrl {
    /// Parses `http://127.0.0.1:7400`, `127.0.0.1:7400`, `http://[::1]:7400/`
    /// or `http://localhost` (port 80).
    pub fn parse(s: &str) -> Result<Self, TrackerError> {
        let bad = |why: &str| TrackerError::BadUrl(format!("{s:?}: {why}"));
        let s = s.trim();
        if s.is_empty() {
            return Err(bad("empty (expected e.g. http://127.0.0.1:7400)"));
        }
        if s.len() > MAX_URL {
            return Err(bad("too long"));
        }
        let rest = match s.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(bad(&format!(
                    "scheme {scheme:?} is not supported: the tracker speaks plain http://"
                )));
            }
            None => s,
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return Err(bad(
                "give only http://HOST:PORT (no path, query or user; the API paths are added)",
            ));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 address needs its closing ]"))?;
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad("not an IPv6 address between [ and ]"));
            }
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| bad("expected :PORT after the ]"))?,
                ),
            };
            (host.to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (authority.to_owned(), None),
            }
        };
        let port = match port {
            None => 80,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("the port is not a number from 1 to 65535"))?,
        };
        let host_ok = !host.is_empty()
            && (host.contains(':')
                || host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.')));
        if !host_ok {
            return Err(bad("the host is neither an IP address nor a host name"));
        }
        Ok(Self {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The host: an IP address or a name.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `HOST:PORT`, with an IPv6 host in brackets: the `Host` header.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl std::fmt::Display for TrackerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}", self.authority())
    }
}

impl FromStr for TrackerUrl {
    type Err = TrackerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<std::net::SocketAddr> for TrackerUrl {
    fn from(addr: std::net::SocketAddr) -> Self {
        Self {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_urls() {
        for (s, shown) in [
            ("http://127.0.0.1:7400", "http://127.0.0.1:7400"),
            ("http://127.0.0.1:7400/", "http://127.0.0.1:7400"),
            ("127.0.0.1:7400", "http://127.0.0.1:7400"),
            ("HTTP://LocalHost:7400", "http://localhost:7400"),
            ("http://tracker.example", "http://tracker.example:80"),
            ("http://[::1]:7400/", "http://[::1]:7400"),
            (" http://10.0.0.1:1 ", "http://10.0.0.1:1"),
        ] {
            let url = TrackerUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(url.to_string(), shown, "{s}");
        }
        let v6 = TrackerUrl::parse("http://[::1]:7400").unwrap();
        assert_eq!((v6.host(), v6.port()), ("::1", 7400));
    }

    #[test]
    fn bad_urls_say_why() {
        for (s, why) in [
            ("", "empty"),
            ("https://127.0.0.1:7400", "plain http"),
            ("http://127.0.0.1:7400/v1/peers", "no path"),
            ("http://127.0.0.1:7400?x=1", "no path"),
            ("http://u@127.0.0.1:7400", "no path"),
            ("http://127.0.0.1:0", "port"),
            ("http://127.0.0.1:99999", "port"),
            ("http://127.0.0.1:x", "port"),
            ("http://:7400", "host"),
            ("http://bad_host:7400", "host"),
            ("http://[::1:7400", "closing ]"),
            ("http://[zz]:7400", "IPv6"),
        ] {
            let err = TrackerUrl::parse(s).unwrap_err().to_string();
            assert!(err.contains(why), "{s:?}: {err}");
        }
        let long = format!("http://{}:1", "a".repeat(400));
        assert!(TrackerUrl::parse(&long).is_err());
    }
}
