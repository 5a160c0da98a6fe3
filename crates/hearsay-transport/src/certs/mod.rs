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
//! `localhost` and `127.0.0.1`, so dev clusters on one machine verify. Its
//! role ([`Role`]) is a URI subject alternative name, `urn:hearsay:role:<role>`
//! (see [`crate::peer_role`]). It is valid as TLS server and TLS client,
//! because every node is both. These are dev-grade: validity runs from 1975
//! to 4096 and nothing is revoked; replace the directory to rotate.
//!
//! Only [`init`], [`issue`], [`issue_in_memory`] and [`ensure_dev_certs`] (when it has to make a
//! certificate) read `ca.key`. A node needs `ca.pem` and its own `.pem` and
//! `.key` ([`NodeCredentials::load`]); a directory holding just those is
//! enough to run it, so the CA's key can stay on one machine.

mod error;
mod files;
mod generate;
mod load;
mod role;

use std::path::{Path, PathBuf};

pub use error::CertsError;
pub use files::{ADMIN_TOKEN_FILE, CA_CERT_FILE, CA_KEY_FILE, cert_path, key_path};
pub use generate::check_node_name;
pub use load::{NodeCredentials, load_admin_token};
pub use role::{ROLE_URI_PREFIX, Role, UnknownRole};

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

/// Makes a new cluster CA, a certificate and key for each of `names` (each
/// in its [`Role::default_for`] role), and an admin token in `dir` (created
/// if needed). Returns the files written.
pub fn init<S: AsRef<str>>(
    dir: &Path,
    names: &[S],
    existing: Existing,
) -> Result<Vec<PathBuf>, CertsError> {
    let nodes: Vec<(&str, Role)> = names
        .iter()
        .map(|n| (n.as_ref(), Role::default_for(n.as_ref())))
        .collect();
    init_nodes(dir, &nodes, existing)
}

/// [`init`] with each node's role given.
pub fn init_nodes<S: AsRef<str>>(
    dir: &Path,
    nodes: &[(S, Role)],
    existing: Existing,
) -> Result<Vec<PathBuf>, CertsError> {
    for (name, _) in nodes {
        check_node_name(name.as_ref())?;
    }
    if existing == Existing::Refuse {
        let mut targets = vec![
            dir.join(CA_CERT_FILE),
            dir.join(CA_KEY_FILE),
            dir.join(ADMIN_TOKEN_FILE),
        ];
        for (name, _) in nodes {
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
    for (name, role) in nodes {
        written.extend(issue_node(&ca, dir, name.as_ref(), *role)?);
    }
    written.push(write_token(dir)?);
    Ok(written)
}

/// Makes a certificate and key for node `name` in `role`, signed by the CA in
/// `dir` (which needs `ca.pem` and `ca.key`). Returns the files written
/// (key, certificate). Refuses to replace an existing certificate or key of
/// that name unless `existing` is [`Existing::Overwrite`].
pub fn issue(
    dir: &Path,
    name: &str,
    role: Role,
    existing: Existing,
) -> Result<[PathBuf; 2], CertsError> {
    check_node_name(name)?;
    let ca_cert = dir.join(CA_CERT_FILE);
    let ca_key = dir.join(CA_KEY_FILE);
    if !ca_cert.exists() {
        return Err(CertsError::Missing { path: ca_cert });
    }
    if !ca_key.exists() {
        return Err(CertsError::NoCaKey {
            ca_key,
            missing: vec![(name.to_owned(), role)],
        });
    }
    if existing == Existing::Refuse {
        let present: Vec<PathBuf> = [cert_path(dir, name), key_path(dir, name)]
            .into_iter()
            .filter(|p| p.exists())
            .collect();
        if !present.is_empty() {
            return Err(CertsError::AlreadyExists { paths: present });
        }
    }
    let ca = Ca::load(dir)?;
    issue_node(&ca, dir, name, role)
}

/// Credentials for node `name` in `role`, signed now by the CA in `dir`
/// (which needs `ca.pem` and `ca.key`) and kept in memory only: for nodes
/// whose names are made at start (a peer named after its address) and that
/// should leave no files behind.
pub fn issue_in_memory(dir: &Path, name: &str, role: Role) -> Result<NodeCredentials, CertsError> {
    check_node_name(name)?;
    let ca_key = dir.join(CA_KEY_FILE);
    if !ca_key.exists() {
        return Err(CertsError::NoCaKey {
            ca_key,
            missing: vec![(name.to_owned(), role)],
        });
    }
    let ca = Ca::load(dir)?;
    let issued = ca.issue(name, role)?;
    // The CA as on disk (what every other node trusts), not the rebuilt one.
    let ca_cert = load::read_cert(&dir.join(CA_CERT_FILE))?;
    NodeCredentials::from_pem(ca_cert, &issued.cert_pem, &issued.key_pem, name, role)
}

/// Makes whatever is missing for `nodes` in `dir`, for commands that need
/// certificates and should work on first run: the whole set when there is no
/// CA; otherwise the missing node certificates, signed by the CA there, and a
/// missing admin token. Both need the CA's key: a directory with only the CA
/// certificate (a node's) gets nothing new, and a missing certificate is then
/// [`CertsError::NoCaKey`]. Returns whether it made anything.
pub fn ensure_dev_certs<S: AsRef<str>>(
    dir: &Path,
    nodes: &[(S, Role)],
) -> Result<bool, CertsError> {
    let ca_cert = dir.join(CA_CERT_FILE);
    let ca_key = dir.join(CA_KEY_FILE);
    match (ca_cert.exists(), ca_key.exists()) {
        (false, false) => {
            init_nodes(dir, nodes, Existing::Overwrite)?;
            return Ok(true);
        }
        (false, true) => return Err(CertsError::IncompleteCa { missing: ca_cert }),
        (true, _) => {}
    }
    for (name, _) in nodes {
        check_node_name(name.as_ref())?;
    }
    let has_ca_key = ca_key.exists();
    // With the CA's key here, a certificate made by a hearsay from before
    // roles is remade too: this is a development directory, and whoever holds
    // the key may sign anything anyway. Without the key it stays, and loading
    // it names the fix ([`CertsError::NoRole`]).
    let missing: Vec<(&str, Role)> = nodes
        .iter()
        .map(|(n, r)| (n.as_ref(), *r))
        .filter(|(n, _)| {
            !cert_path(dir, n).exists()
                || !key_path(dir, n).exists()
                || (has_ca_key && lacks_role(&cert_path(dir, n)))
        })
        .collect();
    if !missing.is_empty() && !has_ca_key {
        return Err(CertsError::NoCaKey {
            ca_key,
            missing: missing
                .into_iter()
                .map(|(n, r)| (n.to_owned(), r))
                .collect(),
        });
    }
    // A token made without the CA's key would match no one else's: a node's
    // directory gets the cluster's token copied in, if the node needs one.
    let token_missing = has_ca_key && !dir.join(ADMIN_TOKEN_FILE).exists();
    if missing.is_empty() && !token_missing {
        return Ok(false);
    }
    if !missing.is_empty() {
        let ca = Ca::load(dir)?;
        for (name, role) in missing {
            issue_node(&ca, dir, name, role)?;
        }
    }
    if token_missing {
        write_token(dir)?;
    }
    Ok(true)
}

/// Whether the certificate at `path` reads but carries no role (one made
/// before roles). Unreadable files are left for loading to report.
fn lacks_role(path: &Path) -> bool {
    load::read_cert(path).is_ok_and(|cert| Role::of_cert(&cert).is_none())
}

fn issue_node(ca: &Ca, dir: &Path, name: &str, role: Role) -> Result<[PathBuf; 2], CertsError> {
    let issued = ca.issue(name, role)?;
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
