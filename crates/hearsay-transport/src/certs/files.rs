//! Where certificate files live, and writing them safely.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::CertsError;

/// The cluster CA's certificate, in PEM.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The cluster CA's private key, in PEM (mode 0600).
pub const CA_KEY_FILE: &str = "ca.key";
/// The admin token: 64 hex digits (mode 0600).
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// `<dir>/<name>.pem`: a node's certificate.
pub fn cert_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.pem"))
}

/// `<dir>/<name>.key`: a node's private key.
pub fn key_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.key"))
}

/// Whether a file should be readable by its owner only.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Secrecy {
    Public,
    Secret,
}

/// Writes `contents` to `path` through a temporary file and a rename, so a
/// crash never leaves half a key; secrets get mode 0600 before any byte is written.
pub(crate) fn write_file(path: &Path, contents: &[u8], secrecy: Secrecy) -> Result<(), CertsError> {
    let io_err = |source| CertsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mode = match secrecy {
            Secrecy::Secret => 0o600,
            Secrecy::Public => 0o644,
        };
        options.mode(mode);
        let mut file = options.open(&tmp).map_err(io_err)?;
        // `mode` applies only when the file is created; a stale temporary file
        // keeps its old mode unless it is set again.
        fs::set_permissions(&tmp, fs::Permissions::from_mode(mode)).map_err(io_err)?;
        file.write_all(contents).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
    }
    #[cfg(not(unix))]
    {
        let _ = secrecy;
        let mut file = options.open(&tmp).map_err(io_err)?;
        file.write_all(contents).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
    }
    fs::rename(&tmp, path).map_err(io_err)
}

/// Reads a whole file, with an error naming it (and saying how to make it if missing).
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, CertsError> {
    fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            CertsError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            CertsError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}
