//! Certificates for a cluster: a CA, one certificate per node, an admin token.
//!
//! `init` writes, into one directory:
//!
//! | file | what | mode |
//! | --- | --- | --- |
//! | `ca.pem`, `ca.key` | the cluster CA | key 0600 |
//! | `<name>.pem`, `<name>.key` | node `name`, signed by the CA | key 0600 |
//! | `admin.token` | 32 random bytes in hex, for admin calls | 0600 |
//!
//! A node certificate names the node as its first DNS subject alternative
//! name (the name peers see, see [`crate::peer_name`]) and also carries
//! `localhost` and `127.0.0.1`, so dev clusters on one machine verify. It is
//! valid as TLS server and TLS client, because every node is both. These are
//! dev-grade: validity runs from 1975 to 4096 and nothing is revoked; replace
//! the directory to rotate.

mod error;
mod files;
mod generate;
mod load;

use std::path::{Path, PathBuf};

pub use error::CertsError;
pub use files::{ADMIN_TOKEN_FILE, CA_CERT_FILE, CA_KEY_FILE, cert_path, key_path};
pub use generate::check_node_name;
pub use load::{NodeCredentials, load_admin_token};

use files::{Secrecy, write_file};
use generate::{Ca, admin_token};

/// What [`init`] does with files that are already there.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Existing {
    /// Write nothing and fail with [`CertsError::AlreadyExists`].
    Refuse,
    /// Replace them.
    Overwrite,
}

/// Makes a new cluster CA, a certificate and key for each of `names`, and an
/// admin token in `dir` (created if needed). Returns the files written.
pub fn init<S: AsRef<str>>(
    dir: &Path,
    names: &[S],
    existing: Existing,
) -> Result<Vec<PathBuf>, CertsError> {
    for name in names {
        check_node_name(name.as_ref())?;
    }
    if existing == Existing::Refuse {
        let mut targets = vec![
            dir.join(CA_CERT_FILE),
            dir.join(CA_KEY_FILE),
            dir.join(ADMIN_TOKEN_FILE),
        ];
        for name in names {
            targets.push(cert_path(dir, name.as_ref()));
            targets.push(key_path(dir, name.as_ref()));
        }
        let present: Vec<PathBuf> = targets.into_iter().filter(|p| p.exists()).collect();
        if !present.is_empty() {
            return Err(CertsError::AlreadyExists { paths: present });
        }
    }
    create_dir(dir)?;
    let ca = Ca::generate()?;
    let mut written = Vec::new();
    // The key first: a CA certificate without its key is useless.
    let ca_key = dir.join(CA_KEY_FILE);
    write_file(&ca_key, ca.key_pem().as_bytes(), Secrecy::Secret)?;
    written.push(ca_key);
    let ca_cert = dir.join(CA_CERT_FILE);
    write_file(&ca_cert, ca.cert_pem().as_bytes(), Secrecy::Public)?;
    written.push(ca_cert);
    for name in names {
        written.extend(issue_node(&ca, dir, name.as_ref())?);
    }
    written.push(write_token(dir)?);
    Ok(written)
}

/// Makes whatever is missing for `names` in `dir`, for commands that need
/// certificates and should work on first run: the whole set when there is no
/// CA, otherwise the missing node certificates (signed by the CA there) and a
/// missing admin token. Returns whether it made anything.
pub fn ensure_dev_certs<S: AsRef<str>>(dir: &Path, names: &[S]) -> Result<bool, CertsError> {
    let ca_cert = dir.join(CA_CERT_FILE);
    let ca_key = dir.join(CA_KEY_FILE);
    match (ca_cert.exists(), ca_key.exists()) {
        (false, false) => {
            init(dir, names, Existing::Overwrite)?;
            return Ok(true);
        }
        (true, false) => return Err(CertsError::IncompleteCa { missing: ca_key }),
        (false, true) => return Err(CertsError::IncompleteCa { missing: ca_cert }),
        (true, true) => {}
    }
    for name in names {
        check_node_name(name.as_ref())?;
    }
    let missing: Vec<&str> = names
        .iter()
        .map(AsRef::as_ref)
        .filter(|n| !cert_path(dir, n).exists() || !key_path(dir, n).exists())
        .collect();
    let token_missing = !dir.join(ADMIN_TOKEN_FILE).exists();
    if missing.is_empty() && !token_missing {
        return Ok(false);
    }
    if !missing.is_empty() {
        let ca = Ca::load(dir)?;
        for name in missing {
            issue_node(&ca, dir, name)?;
        }
    }
    if token_missing {
        write_token(dir)?;
    }
    Ok(true)
}

fn issue_node(ca: &Ca, dir: &Path, name: &str) -> Result<[PathBuf; 2], CertsError> {
    let issued = ca.issue(name)?;
    let key = key_path(dir, name);
    write_file(&key, issued.key_pem.as_bytes(), Secrecy::Secret)?;
    let cert = cert_path(dir, name);
    write_file(&cert, issued.cert_pem.as_bytes(), Secrecy::Public)?;
    Ok([key, cert])
}

fn write_token(dir: &Path) -> Result<PathBuf, CertsError> {
    let path = dir.join(ADMIN_TOKEN_FILE);
    let mut token = admin_token()?;
    token.push('\n');
    write_file(&path, token.as_bytes(), Secrecy::Secret)?;
    Ok(path)
}

fn create_dir(dir: &Path) -> Result<(), CertsError> {
    std::fs::create_dir_all(dir).map_err(|source| CertsError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests;
