//! What can go wrong making or loading certificates.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::role::Role;

/// Why certificates could not be made or loaded. Every variant names the file
/// or the name at fault; none is retryable.
#[derive(Debug)]
pub enum CertsError {
    /// A file or directory could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A file that should exist does not.
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// A file does not hold a usable PEM certificate or key.
    BadPem {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// Making certificates would overwrite these files.
    AlreadyExists {
        /// The files in the way.
        paths: Vec<PathBuf>,
    },
    /// The CA's key is there without its certificate.
    IncompleteCa {
        /// The one that is missing.
        missing: PathBuf,
    },
    /// Node certificates are missing and the CA's private key, which signs
    /// them, is not here (a node's directory holds only the CA certificate).
    NoCaKey {
        /// The CA key that would be needed.
        ca_key: PathBuf,
        /// The nodes whose certificate or key is missing, with their roles.
        missing: Vec<(String, Role)>,
    },
    /// A node certificate does not name the node it is loaded for (a file
    /// copied or renamed).
    WrongName {
        /// The certificate.
        path: PathBuf,
        /// The name it was loaded as.
        expected: String,
        /// The name it carries, if any.
        found: Option<String>,
    },
    /// A node certificate carries no role (made by an older hearsay, or by
    /// another tool).
    NoRole {
        /// The certificate.
        path: PathBuf,
    },
    /// A node certificate's role is not the one the node runs as.
    WrongRole {
        /// The certificate.
        path: PathBuf,
        /// The node.
        name: String,
        /// The role in the certificate.
        found: Role,
        /// The role the node needs.
        wanted: Role,
    },
    /// The CA on disk was not made by hearsay, so hearsay cannot sign with it.
    ForeignCa {
        /// The CA certificate.
        path: PathBuf,
    },
    /// A node name cannot be used in a certificate.
    BadName {
        /// The name.
        name: String,
        /// Why not.
        reason: &'static str,
    },
    /// Generating a key or a certificate failed.
    Generate(String),
    /// The operating system's random number generator failed.
    Random(String),
}

impl fmt::Display for CertsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Missing { path } => write!(
                f,
                "{} is missing: make certificates with `hearsay certs init`",
                path.display()
            ),
            Self::BadPem { path, reason } => write!(f, "{}: {reason}", path.display()),
            Self::AlreadyExists { paths } => {
                let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "refusing to overwrite {} (use --force to replace them)",
                    list.join(", ")
                )
            }
            Self::IncompleteCa { missing } => write!(
                f,
                "{} is missing but the other half of the CA is there: restore it, or \
                 remake everything with `hearsay certs init --force`",
                missing.display()
            ),
            Self::NoCaKey { ca_key, missing } => {
                let names: Vec<&str> = missing.iter().map(|(n, _)| n.as_str()).collect();
                let commands: Vec<String> = missing
                    .iter()
                    .map(|(n, r)| format!("`hearsay certs issue {n} --role {r}`"))
                    .collect();
                write!(
                    f,
                    "no certificate for {} here, and making one needs the CA's private key \
                     {}, which only the machine running `hearsay certs` should hold: run {} \
                     there and copy the .pem and .key files here",
                    names.join(", "),
                    ca_key.display(),
                    commands.join(", ")
                )
            }
            Self::WrongName {
                path,
                expected,
                found,
            } => match found {
                Some(found) => write!(
                    f,
                    "{} is the certificate of {found:?}, not of {expected:?}: a node must use \
                     its own (make one with `hearsay certs issue {expected}`)",
                    path.display()
                ),
                None => write!(
                    f,
                    "{} names no node: make one with `hearsay certs issue {expected}`",
                    path.display()
                ),
            },
            Self::NoRole { path } => write!(
                f,
                "{} carries no hearsay role (it was made by an older hearsay or another \
                 tool): make a new one with `hearsay certs issue`, or remake everything \
                 with `hearsay certs init --force`",
                path.display()
            ),
            Self::WrongRole {
                path,
                name,
                found,
                wanted,
            } => write!(
                f,
                "{} is a {found} certificate, so {name:?} cannot run as a {wanted}: use a \
                 {wanted} certificate (`hearsay certs issue {name} --role {wanted} --force`)",
                path.display()
            ),
            Self::ForeignCa { path } => write!(
                f,
                "{} was not made by hearsay, so hearsay cannot sign node certificates \
                 with it: make them with the tool that made it, or remake everything with \
                 `hearsay certs init --force`",
                path.display()
            ),
            Self::BadName { name, reason } => {
                write!(f, "{name:?} cannot be a node name: {reason}")
            }
            Self::Generate(reason) => write!(f, "cannot generate a certificate: {reason}"),
            Self::Random(reason) => {
                write!(f, "the system random number generator failed: {reason}")
            }
        }
    }
}

impl std::error::Error for CertsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<rcgen::Error> for CertsError {
    fn from(e: rcgen::Error) -> Self {
        Self::Generate(e.to_string())
    }
}
