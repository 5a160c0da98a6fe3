//! What can go wrong making or loading certificates.

use std::fmt;
use std::io;
use std::path::PathBuf;

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
    /// Only one of the CA's certificate and key is there.
    IncompleteCa {
        /// The one that is missing.
        missing: PathBuf,
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
