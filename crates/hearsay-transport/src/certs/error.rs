//! What can go wrong making or loading certificates.

use std::io;
use std::path::PathBuf;

use super::role::Role;

/// Why certificates could not be made or loaded. Every variant names the file
/// or the name at fault; none is retryable.
#[derive(Debug, thiserror::Error)]
pub enum CertsError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A file that should exist does not.
    #[error("{path} is missing: make certificates with `hearsay certs init`")]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// A file does not hold a usable PEM certificate or key.
    #[error("{path}: {reason}")]
    BadPem {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// Making certificates would overwrite these files.
    #[error("refusing to overwrite {} (use --force to replace them)", list(.paths))]
    AlreadyExists {
        /// The files in the way.
        paths: Vec<PathBuf>,
    },
    /// Only one of the CA's certificate and key is there.
    #[error(
        "{missing} is missing but the other half of the CA is there: restore it, or \
         remake everything with `hearsay certs init --force`"
    )]
    IncompleteCa {
        /// The one that is missing.
        missing: PathBuf,
    },
    /// Node certificates are missing and the CA's private key, which signs
    /// them, is not here (a node's directory holds only the CA certificate).
    #[error("{}", no_ca_key(ca_key, missing))]
    NoCaKey {
        /// The CA key that would be needed.
        ca_key: PathBuf,
        /// The nodes whose certificate or key is missing, with their roles.
        missing: Vec<(String, Role)>,
    },
    /// A node certificate does not name the node it is loaded for (a file
    /// copied or renamed).
    #[error("{}", wrong_name(path, expected, found.as_ref()))]
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
    #[error(
        "{} carries no hearsay role (it was made by an older hearsay or another tool): make \
         a new one with `hearsay certs issue`, or remake everything with \
         `hearsay certs init --force`",
        path.display()
    )]
    NoRole {
        /// The certificate.
        path: PathBuf,
    },
    /// A node certificate's role is not the one the node runs as.
    #[error(
        "{} is a {found} certificate, so {name:?} cannot run as a {wanted}: use a {wanted} \
         certificate (`hearsay certs issue {name} --role {wanted} --force`)",
        path.display()
    )]
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
    #[error(
        "{path} was not made by hearsay, so hearsay cannot sign node certificates \
         with it: make them with the tool that made it, or remake everything with \
         `hearsay certs init --force`"
    )]
    ForeignCa {
        /// The CA certificate.
        path: PathBuf,
    },
    /// A node name cannot be used in a certificate.
    #[error("{name:?} cannot be a node name: {reason}")]
    BadName {
        /// The name.
        name: String,
        /// Why not.
        reason: &'static str,
    },
    /// Generating a key or a certificate failed.
    #[error("cannot generate a certificate: {0}")]
    Generate(String),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

/// The paths, comma-separated, for [`CertsError::AlreadyExists`].
fn list(paths: &[PathBuf]) -> String {
    let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    list.join(", ")
}

/// The message of [`CertsError::NoCaKey`]: the nodes, and the command that
/// makes each where the CA key is.
fn no_ca_key(ca_key: &std::path::Path, missing: &[(String, Role)]) -> String {
    let names: Vec<&str> = missing.iter().map(|(n, _)| n.as_str()).collect();
    let commands: Vec<String> = missing
        .iter()
        .map(|(n, r)| format!("`hearsay certs issue {n} --role {r}`"))
        .collect();
    format!(
        "no certificate for {} here, and making one needs the CA's private key {}, which \
         only the machine running `hearsay certs` should hold: run {} there and copy the \
         .pem and .key files here",
        names.join(", "),
        ca_key.display(),
        commands.join(", ")
    )
}

/// The message of [`CertsError::WrongName`].
fn wrong_name(path: &std::path::Path, expected: &str, found: Option<&String>) -> String {
    match found {
        Some(found) => format!(
            "{} is the certificate of {found:?}, not of {expected:?}: a node must use its own \
             (make one with `hearsay certs issue {expected}`)",
            path.display()
        ),
        None => format!(
            "{} names no node: make one with `hearsay certs issue {expected}`",
            path.display()
        ),
    }
}

impl From<rcgen::Error> for CertsError {
    fn from(e: rcgen::Error) -> Self {
        Self::Generate(e.to_string())
    }
}
