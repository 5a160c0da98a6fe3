//! QUIC endpoints with mutual TLS 1.3 against the cluster CA.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{IdleTimeout, TransportConfig, VarInt};
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::CertificateDer;

use crate::certs::{NodeCredentials, Role};
use crate::error::TransportError;

/// QUIC settings shared by servers and clients.
#[derive(Clone, Debug)]
pub struct EndpointConfig {
    /// How many request streams one peer may have open at once on one
    /// connection; further ones wait. Bounds the work one peer can queue.
    pub max_concurrent_bidi_streams: u32,
    /// The same for one-way streams (gossip).
    pub max_concurrent_uni_streams: u32,
    /// A connection that hears nothing for this long is dead: how fast a
    /// vanished peer is noticed.
    pub idle_timeout: Duration,
    /// How often an idle connection pings, so long-lived connections outlast
    /// `idle_timeout` while the peer is alive. Well below `idle_timeout`.
    pub keep_alive: Duration,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            max_concurrent_bidi_streams: 256,
            max_concurrent_uni_streams: 256,
            idle_timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(2),
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn config_err(what: &str) -> impl FnOnce(rustls::Error) -> TransportError + '_ {
    move |e| TransportError::Config(format!("{what}: {e}"))
}

fn roots(ca: &CertificateDer<'static>) -> Result<Arc<RootCertStore>, TransportError> {
    let mut roots = RootCertStore::empty();
    roots
        .add(ca.clone())
        .map_err(config_err("the cluster CA certificate"))?;
    Ok(Arc::new(roots))
}

fn transport(config: &EndpointConfig) -> Result<Arc<TransportConfig>, TransportError> {
    let idle = IdleTimeout::try_from(config.idle_timeout)
        .map_err(|e| TransportError::Config(format!("idle timeout: {e}")))?;
    let mut t = TransportConfig::default();
    t.max_concurrent_bidi_streams(VarInt::from_u32(config.max_concurrent_bidi_streams))
        .max_concurrent_uni_streams(VarInt::from_u32(config.max_concurrent_uni_streams))
        .max_idle_timeout(Some(idle))
        .keep_alive_interval(Some(config.keep_alive));
    Ok(Arc::new(t))
}

/// A server configuration that presents `creds` and *requires* every client
/// to present a certificate signed by the cluster CA; TLS 1.3 only, ALPN
/// [`hearsay_wire::ALPN`].
pub fn server_config(
    creds: &NodeCredentials,
    config: &EndpointConfig,
) -> Result<quinn::ServerConfig, TransportError> {
    let provider = provider();
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(&creds.ca)?, provider.clone())
        .build()
        .map_err(|e| TransportError::Config(format!("client verifier: {e}")))?;
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(config_err("TLS versions"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![creds.cert.clone()], creds.key.clone_key())
        .map_err(config_err("the node certificate and key"))?;
    tls.alpn_protocols = vec![hearsay_wire::ALPN.to_vec()];
    let quic = QuicServerConfig::try_from(tls)
        .map_err(|e| TransportError::Config(format!("QUIC server: {e}")))?;
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(quic));
    server.transport_config(transport(config)?);
    Ok(server)
}

/// A client configuration that presents `creds` and accepts only servers
/// whose certificate the cluster CA signed for the name dialled; TLS 1.3
/// only, ALPN [`hearsay_wire::ALPN`].
pub fn client_config(
    creds: &NodeCredentials,
    config: &EndpointConfig,
) -> Result<quinn::ClientConfig, TransportError> {
    let mut tls = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(config_err("TLS versions"))?
        .with_root_certificates(roots(&creds.ca)?)
        .with_client_auth_cert(vec![creds.cert.clone()], creds.key.clone_key())
        .map_err(config_err("the node certificate and key"))?;
    tls.alpn_protocols = vec![hearsay_wire::ALPN.to_vec()];
    let quic = QuicClientConfig::try_from(tls)
        .map_err(|e| TransportError::Config(format!("QUIC client: {e}")))?;
    let mut client = quinn::ClientConfig::new(Arc::new(quic));
    client.transport_config(transport(config)?);
    Ok(client)
}

/// An endpoint on `addr` that both serves (see [`crate::serve`]) and connects
/// out (see [`crate::Connector`]) as node `creds.name`. Port 0 picks a free
/// port; `endpoint.local_addr()` tells which. Needs a tokio runtime.
///
/// A node restarted after a crash (same key, same port) resets its peers'
/// stale connections at their first packet instead of leaving them to time
/// out (see [`restart_aware`]); [`crate::Connector`] then retries on a new
/// connection.
pub fn bind(
    addr: SocketAddr,
    creds: &NodeCredentials,
    config: &EndpointConfig,
) -> Result<quinn::Endpoint, TransportError> {
    let bind_err = |e: std::io::Error| TransportError::Bind {
        addr,
        reason: e.to_string(),
    };
    let socket = std::net::UdpSocket::bind(addr).map_err(bind_err)?;
    let runtime = quinn::default_runtime()
        .ok_or_else(|| TransportError::Config("no async runtime (run inside tokio)".into()))?;
    let mut endpoint = quinn::Endpoint::new(
        restart_aware(creds),
        Some(server_config(creds, config)?),
        socket,
        runtime,
    )
    .map_err(bind_err)?;
    endpoint.set_default_client_config(client_config(creds, config)?);
    Ok(endpoint)
}

/// An endpoint configuration whose stateless-reset tokens and connection ids
/// survive a restart: both are keyed by a hash of the node's private key (which
/// the hash does not reveal). A restarted node then recognises the connection
/// ids it issued before the crash as its own and answers packets on them with
/// a reset its peers accept. With quinn's default random keys it would drop
/// those packets, and peers would wait for their idle timeout.
fn restart_aware(creds: &NodeCredentials) -> quinn::EndpointConfig {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"hearsay endpoint keys v1\0");
    ctx.update(creds.key.secret_der());
    let digest = ctx.finish();
    // A SHA-256 digest is 32 bytes, so both splits below are in bounds.
    let (reset_secret, cid_secret) = digest.as_ref().split_at(16);
    let reset_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, reset_secret);
    let mut cid_key = [0u8; 8];
    cid_key.copy_from_slice(&cid_secret[..8]);
    let cid_key = u64::from_le_bytes(cid_key);
    let mut endpoint = quinn::EndpointConfig::new(Arc::new(reset_key));
    endpoint.cid_generator(move || {
        Box::new(quinn_proto::HashedConnectionIdGenerator::from_key(cid_key))
    });
    endpoint
}

/// An endpoint on `addr` that only connects out (a client or a front end's
/// outgoing side). Needs a tokio runtime.
pub fn bind_client(
    addr: SocketAddr,
    creds: &NodeCredentials,
    config: &EndpointConfig,
) -> Result<quinn::Endpoint, TransportError> {
    let mut endpoint = quinn::Endpoint::client(addr).map_err(|e| TransportError::Bind {
        addr,
        reason: e.to_string(),
    })?;
    endpoint.set_default_client_config(client_config(creds, config)?);
    Ok(endpoint)
}

/// The node name in the peer's certificate: its first DNS subject alternative
/// name. `None` before the handshake, or when the certificate has no DNS name
/// (hearsay's never lack one; [`crate::serve`] refuses such peers).
///
/// The certificate has already been verified against the cluster CA by then,
/// so the name is the one the CA vouched for.
pub fn peer_name(conn: &quinn::Connection) -> Option<String> {
    let identity = conn.peer_identity()?;
    let chain = identity.downcast::<Vec<CertificateDer<'static>>>().ok()?;
    let leaf = chain.first()?;
    let cert = webpki::EndEntityCert::try_from(leaf).ok()?;
    cert.valid_dns_names().next().map(str::to_owned)
}

/// The role in the peer's certificate (see [`Role::of_cert`]). `None` before
/// the handshake, or when the certificate carries no single known role
/// ([`crate::serve`] refuses such peers).
///
/// Like [`peer_name`], it is read from a certificate the cluster CA signed.
pub fn peer_role(conn: &quinn::Connection) -> Option<Role> {
    let identity = conn.peer_identity()?;
    let chain = identity.downcast::<Vec<CertificateDer<'static>>>().ok()?;
    Role::of_cert(chain.first()?)
}
