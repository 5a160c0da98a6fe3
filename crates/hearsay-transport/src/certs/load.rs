//! Loading a node's credentials from PEM files.

use std::fmt;
use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::error::CertsError;
use super::files::{ADMIN_TOKEN_FILE, CA_CERT_FILE, cert_path, key_path, read_file};
use super::role::Role;

/// What a node needs for mutual TLS: the cluster CA it trusts, and its own
/// certificate and key.
pub struct NodeCredentials {
    /// The node's name, as in its certificate.
    pub name: String,
    /// The node's role, as in its certificate: what peers let it do.
    pub role: Role,
    /// The cluster CA: peers must present a certificate it signed.
    pub ca: CertificateDer<'static>,
    /// The node's certificate.
    pub cert: CertificateDer<'static>,
    /// The node's private key.
    pub key: PrivateKeyDer<'static>,
}

impl NodeCredentials {
    /// Loads node `name`'s credentials from `dir` (`ca.pem`, `<name>.pem`,
    /// `<name>.key`; never the CA's key); errors name the file at fault. The
    /// certificate must name `name` and carry a role.
    pub fn load(dir: &Path, name: &str) -> Result<Self, CertsError> {
        let ca = read_cert(&dir.join(CA_CERT_FILE))?;
        let path = cert_path(dir, name);
        let cert = read_cert(&path)?;
        let found = webpki::EndEntityCert::try_from(&cert)
            .ok()
            .and_then(|c| c.valid_dns_names().next().map(str::to_owned));
        if found.as_deref() != Some(name) {
            return Err(CertsError::WrongName {
                path,
                expected: name.to_owned(),
                found,
            });
        }
        let role = Role::of_cert(&cert).ok_or(CertsError::NoRole { path })?;
        Ok(Self {
            name: name.to_owned(),
            role,
            ca,
            cert,
            key: read_key(&key_path(dir, name))?,
        })
    }

    /// [`load`](Self::load), and checks that the certificate's role is
    /// `role`: a node refuses to start as something its certificate does not
    /// allow.
    pub fn load_as(dir: &Path, name: &str, role: Role) -> Result<Self, CertsError> {
        let creds = Self::load(dir, name)?;
        if creds.role != role {
            return Err(CertsError::WrongRole {
                path: cert_path(dir, name),
                name: name.to_owned(),
                found: creds.role,
                wanted: role,
            });
        }
        Ok(creds)
    }
}

impl NodeCredentials {
    /// Credentials from PEM text made in this process (see
    /// [`super::issue_in_memory`]).
    pub(crate) fn from_pem(
        ca: CertificateDer<'static>,
        cert_pem: &str,
        key_pem: &str,
        name: &str,
        role: Role,
    ) -> Result<Self, CertsError> {
        let bad = |what: &str, e: rustls_pki_types::pem::Error| {
            CertsError::Generate(format!("the {what} just made does not parse: {e}"))
        };
        Ok(Self {
            name: name.to_owned(),
            role,
            ca,
            cert: CertificateDer::from_pem_slice(cert_pem.as_bytes())
                .map_err(|e| bad("certificate", e))?,
            key: PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| bad("key", e))?,
        })
    }
}

impl Clone for NodeCredentials {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            role: self.role,
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
            .field("role", &self.role)
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
