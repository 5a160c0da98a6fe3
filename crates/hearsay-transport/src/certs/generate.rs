//! Making the cluster CA, node certificates and the admin token with rcgen.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use rand::TryRngCore;
use rand::rngs::OsRng;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls_pki_types::ServerName;

use super::error::CertsError;
use super::files::{CA_CERT_FILE, CA_KEY_FILE, read_file};
use super::role::Role;

/// The common name of every hearsay cluster CA. Node certificates name their
/// issuer by it, which is what lets a CA be rebuilt from its key alone.
const CA_COMMON_NAME: &str = "hearsay cluster CA";

/// The longest node name, as for replica names.
const MAX_NAME_LEN: usize = 64;

/// A CA that can sign: its certificate (as rcgen needs it) and its key.
pub(crate) struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// A freshly made certificate and key, in PEM.
pub(crate) struct Issued {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
}

fn ca_params() -> Result<CertificateParams, CertsError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_COMMON_NAME);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

impl Ca {
    /// A new CA with a new key.
    pub(crate) fn generate() -> Result<Self, CertsError> {
        let key = KeyPair::generate()?;
        let cert = ca_params()?.self_signed(&key)?;
        Ok(Self { cert, key })
    }

    /// The CA in `dir`, rebuilt from its key and checked against its certificate.
    ///
    /// rcgen cannot parse a certificate back (that needs an X.509 parser we do
    /// not otherwise carry), so the CA is re-made from hearsay's fixed CA
    /// parameters and the key on disk; it signs exactly like the original when
    /// both have the same subject and public key, which is checked here.
    pub(crate) fn load(dir: &Path) -> Result<Self, CertsError> {
        let cert_path = dir.join(CA_CERT_FILE);
        let key_path = dir.join(CA_KEY_FILE);
        let key_pem = String::from_utf8(read_file(&key_path)?).map_err(|_| CertsError::BadPem {
            path: key_path.clone(),
            reason: "not a PEM file (not text)".into(),
        })?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| CertsError::BadPem {
            path: key_path.clone(),
            reason: format!("not a usable private key: {e}"),
        })?;
        let on_disk = super::load::read_cert(&cert_path)?;
        let cert = ca_params()?.self_signed(&key)?;
        let anchor = |der| webpki::anchor_from_trusted_cert(der).map(|a| a.to_owned());
        let disk_anchor = anchor(&on_disk).map_err(|e| CertsError::BadPem {
            path: cert_path.clone(),
            reason: format!("not a usable CA certificate: {e}"),
        })?;
        let rebuilt = anchor(cert.der()).map_err(|e| CertsError::Generate(e.to_string()))?;
        if disk_anchor.subject != rebuilt.subject
            || disk_anchor.subject_public_key_info != rebuilt.subject_public_key_info
        {
            return Err(CertsError::ForeignCa { path: cert_path });
        }
        Ok(Self { cert, key })
    }

    /// The CA certificate in PEM.
    pub(crate) fn cert_pem(&self) -> String {
        self.cert.pem()
    }

    /// The CA key in PEM.
    pub(crate) fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// A certificate for node `name` in `role`, valid for TLS as server and
    /// client, with the SANs `name`, `localhost` and `127.0.0.1` (the first is
    /// how peers know who connected) and the role's URI (see [`Role::uri`]).
    pub(crate) fn issue(&self, name: &str, role: Role) -> Result<Issued, CertsError> {
        self.sign(name, Some(role))
    }

    /// A node certificate as hearsay made them before roles: no role URI.
    #[cfg(test)]
    pub(crate) fn issue_without_role(&self, name: &str) -> Result<Issued, CertsError> {
        self.sign(name, None)
    }

    fn sign(&self, name: &str, role: Option<Role>) -> Result<Issued, CertsError> {
        check_node_name(name)?;
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        params.distinguished_name = dn;
        let mut sans = vec![SanType::DnsName(name.try_into()?)];
        if name != "localhost" {
            sans.push(SanType::DnsName("localhost".try_into()?));
        }
        sans.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        if let Some(role) = role {
            sans.push(SanType::URI(role.uri().try_into()?));
        }
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.cert, &self.key)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// Checks that `name` can name a node: it becomes a file name and a DNS name
/// in a certificate.
pub fn check_node_name(name: &str) -> Result<(), CertsError> {
    let bad = |reason| {
        Err(CertsError::BadName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return bad("it is longer than 64 bytes");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return bad("use only letters, digits, '-', '_' and '.'");
    }
    if name.eq_ignore_ascii_case("ca") || name.eq_ignore_ascii_case("admin") {
        return bad("it is reserved for the CA's and the admin token's files");
    }
    match ServerName::try_from(name) {
        Ok(ServerName::DnsName(_)) => Ok(()),
        _ => bad("it is not a valid DNS name"),
    }
}

/// 32 random bytes from the operating system, in hex: the admin token.
pub(crate) fn admin_token() -> Result<String, CertsError> {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| CertsError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
