//! What can go wrong making or loading certificates.

use std::io;
use std::path::PathBuf;

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

impl From<rcgen::Error> for CertsError {
    fn from(e: rcgen::Error) -> Self {
        Self::Generate(e.to_string())
    }
}
