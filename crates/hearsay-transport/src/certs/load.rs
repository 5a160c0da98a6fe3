//! Loading a node's credentials from PEM files.

use std::fmt;
use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::error::CertsError;
use super::files::{ADMIN_TOKEN_FILE, CA_CERT_FILE, cert_path, key_path, read_file};

/// What a node needs for mutual TLS: the cluster CA it trusts, and its own
/// certificate and key.
pub struct NodeCredentials {
    /// The node's name, as in its certificate.
    pub name: String,
    /// The cluster CA: peers must present a certificate it signed.
    pub ca: CertificateDer<'static>,
    /// The node's certificate.
    pub cert: CertificateDer<'static>,
    /// The node's private key.
    pub key: PrivateKeyDer<'static>,
}

impl NodeCredentials {
    /// Loads node `name`'s credentials from `dir` (`ca.pem`, `<name>.pem`,
    /// `<name>.key`); errors name the file at fault.
    pub fn load(dir: &Path, name: &str) -> Result<Self, CertsError> {
        Ok(Self {
            name: name.to_owned(),
            ca: read_cert(&dir.join(CA_CERT_FILE))?,
            cert: read_cert(&cert_path(dir, name))?,
            key: read_key(&key_path(dir, name))?,
        })
    }
}

impl Clone for NodeCredentials {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            ca: self.ca.clone(),
            cert: self.cert.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for NodeCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the key.
        f.debug_struct("NodeCredentials")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Reads the first certificate of a PEM file.
pub(crate) fn read_cert(path: &Path) -> Result<CertificateDer<'static>, CertsError> {
    let bytes = read_file(path)?;
    CertificateDer::from_pem_slice(&bytes).map_err(|e| CertsError::BadPem {
        path: path.to_path_buf(),
        reason: format!("no certificate in it ({e})"),
    })
}

/// Reads the first private key of a PEM file.
pub(crate) fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, CertsError> {
    let bytes = read_file(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| CertsError::BadPem {
        path: path.to_path_buf(),
        reason: format!("no private key in it ({e})"),
    })
}

/// Reads the admin token from `dir/admin.token` (surrounding whitespace removed).
pub fn load_admin_token(dir: &Path) -> Result<String, CertsError> {
    let path = dir.join(ADMIN_TOKEN_FILE);
    let bytes = read_file(&path)?;
    let text = String::from_utf8(bytes).map_err(|_| CertsError::BadPem {
        path: path.clone(),
        reason: "the admin token is not text".into(),
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(CertsError::BadPem {
            path,
            reason: "the admin token file is empty".into(),
        });
    }
    Ok(token.to_owned())
}
