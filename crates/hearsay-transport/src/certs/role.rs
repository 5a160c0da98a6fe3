//! A node's role, and how a certificate carries it.
//!
//! The role travels in the certificate as one URI subject alternative name,
//! `urn:hearsay:role:<role>` (for example `urn:hearsay:role:replica`). The CA
//! signs it along with the node's name, so a peer's role is as trustworthy as
//! its name, and reading it needs no X.509 parser beyond webpki's. A
//! certificate with no such URI, or with more than one, has no role and is
//! refused by every hearsay server.

use std::fmt;
use std::str::FromStr;

use rustls_pki_types::CertificateDer;

/// The prefix of the URI subject alternative name that carries a role.
pub const ROLE_URI_PREFIX: &str = "urn:hearsay:role:";

/// What a node may do, as its certificate says.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Role {
    /// A replica manager: gossips with other replicas, answers front ends.
    Replica,
    /// A front end: routes client sessions to replicas.
    Frontend,
    /// A client: talks to front ends only.
    Client,
    /// The tracker: sets replicas' status and writes payloads through a front end.
    Tracker,
}

impl Role {
    /// Every role, in a fixed order (for help text and errors).
    pub const ALL: [Role; 4] = [Role::Replica, Role::Frontend, Role::Client, Role::Tracker];

    /// The role's name, as in certificates and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Replica => "replica",
            Self::Frontend => "frontend",
            Self::Client => "client",
            Self::Tracker => "tracker",
        }
    }

    /// The role a node named `name` gets when none is given: `tracker` is the
    /// tracker; `client` and names starting `client-` are clients; `fe`,
    /// `frontend` and names starting `fe-` or `frontend-`, or `fe` followed by
    /// digits, are front ends; every other name is a replica.
    pub fn default_for(name: &str) -> Self {
        let is = |base: &str| {
            name == base
                || name
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('-'))
        };
        let fe_digits = name
            .strip_prefix("fe")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()));
        if name == "tracker" {
            Self::Tracker
        } else if is("client") {
            Self::Client
        } else if is("fe") || is("frontend") || fe_digits {
            Self::Frontend
        } else {
            Self::Replica
        }
    }

    /// The URI subject alternative name that says this role.
    pub fn uri(self) -> String {
        format!("{ROLE_URI_PREFIX}{}", self.as_str())
    }

    /// The role a certificate carries: its one `urn:hearsay:role:` URI name.
    /// `None` if it does not parse, carries none, carries more than one, or
    /// names a role this version does not know.
    ///
    /// This does not verify the certificate: call it on one the TLS handshake
    /// (or the caller) already checked against the cluster CA.
    pub fn of_cert(cert: &CertificateDer<'_>) -> Option<Self> {
        let cert = webpki::EndEntityCert::try_from(cert).ok()?;
        let mut roles = cert
            .valid_uri_names()
            .filter_map(|uri| uri.strip_prefix(ROLE_URI_PREFIX));
        let first = roles.next()?;
        if roles.next().is_some() {
            return None;
        }
        first.parse().ok()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a role: use replica, frontend, client or tracker",
            self.0
        )
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}
