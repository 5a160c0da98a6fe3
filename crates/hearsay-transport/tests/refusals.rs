//! What the server refuses, and that it keeps serving afterwards: clients with
//! certificates from another CA or none, a server from another CA, the wrong
//! protocol version, oversized requests, garbage streams and garbage datagrams.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use hearsay_core::testing::KvApp;
use hearsay_transport::{
    Connector, ConnectorConfig, Handler, NodeCredentials, RequestContext, ServeConfig,
    TransportError,
};
use hearsay_wire::{ReplicaRequest, ReplicaResponse};
use quinn::crypto::rustls::QuicClientConfig;

/// An echo handler that counts the requests it sees (a `Handler` that is a
/// struct, not a closure).
struct CountingEcho(Arc<AtomicUsize>);

impl Handler for CountingEcho {
    fn handle(
        &self,
        ctx: RequestContext,
        request: Vec<u8>,
    ) -> impl Future<Output = Option<Vec<u8>>> + Send {
        self.0.fetch_add(1, Ordering::SeqCst);
        echo(ctx, request)
    }
}

fn counting_echo(seen: Arc<AtomicUsize>) -> CountingEcho {
    CountingEcho(seen)
}

/// A connector whose TLS client config is built by hand (for the cases our own
/// builders refuse to make).
fn raw_client(tls: rustls::ClientConfig) -> Connector {
    let quic = QuicClientConfig::try_from(tls).expect("quic client config");
    let mut endpoint = quinn::Endpoint::client(loopback()).expect("bind");
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));
    Connector::new(endpoint, ConnectorConfig::default())
}

fn tls_builder(
    ca: &NodeCredentials,
) -> rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.ca.clone()).expect("root");
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("tls 1.3")
        .with_root_certificates(roots)
}

/// The server still answers a good client.
async fn still_serves(dir: &std::path::Path, addr: std::net::SocketAddr) {
    let fe = client(&creds(dir, "fe"));
    let answer = fe
        .request(addr, "r1", b"ping", REQUEST_TIMEOUT)
        .await
        .expect("a good client is still served");
    assert_eq!(answer, b"fe:ping");
}

#[tokio::test]
async fn a_client_certificate_from_another_ca_is_refused() {
    bounded(async {
        let ours = cluster(&["r1", "fe"]);
        let theirs = cluster(&["fe"]);
        let seen = Arc::new(AtomicUsize::new(0));
        let server = Server::start(&creds(ours.path(), "r1"), counting_echo(seen.clone()));

        // Trusts our CA (so it would accept our server), but presents a
        // certificate another CA signed, under the very same name.
        let mut impostor = creds(theirs.path(), "fe");
        impostor.ca = creds(ours.path(), "fe").ca;
        let impostor = client(&impostor);
        let err = impostor
            .request(server.addr, "r1", b"let me in", REQUEST_TIMEOUT)
            .await
            .expect_err("refused");
        assert!(matches!(err, TransportError::TlsRefused { .. }), "{err:?}");
        assert!(!err.is_retryable());
        assert_eq!(
            seen.load(Ordering::SeqCst),
            0,
            "no request reached the handler"
        );

        still_serves(ours.path(), server.addr).await;
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let seen = Arc::new(AtomicUsize::new(0));
        let server = Server::start(&creds(dir.path(), "r1"), counting_echo(seen.clone()));

        let mut tls = tls_builder(&creds(dir.path(), "fe")).with_no_client_auth();
        tls.alpn_protocols = vec![hearsay_wire::ALPN.to_vec()];
        let anonymous = raw_client(tls);
        let err = anonymous
            .request(server.addr, "r1", b"let me in", REQUEST_TIMEOUT)
            .await
            .expect_err("refused");
        assert!(matches!(err, TransportError::TlsRefused { .. }), "{err:?}");
        assert_eq!(seen.load(Ordering::SeqCst), 0);

        still_serves(dir.path(), server.addr).await;
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_client_speaking_another_protocol_version_is_refused() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let seen = Arc::new(AtomicUsize::new(0));
        let server = Server::start(&creds(dir.path(), "r1"), counting_echo(seen.clone()));

        let fe = creds(dir.path(), "fe");
        let mut tls = tls_builder(&fe)
            .with_client_auth_cert(vec![fe.cert.clone()], fe.key.clone_key())
            .expect("client cert");
        tls.alpn_protocols = vec![b"hearsay/0".to_vec()];
        let old = raw_client(tls);
        let err = old
            .request(server.addr, "r1", b"hi", REQUEST_TIMEOUT)
            .await
            .expect_err("refused");
        assert!(matches!(err, TransportError::TlsRefused { .. }), "{err:?}");
        assert_eq!(seen.load(Ordering::SeqCst), 0);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_or_for_another_name_is_refused() {
    bounded(async {
        let ours = cluster(&["r1", "r2", "fe"]);
        let theirs = cluster(&["r1"]);
        let rogue = Server::start(&creds(theirs.path(), "r1"), echo);
        let fe = client(&creds(ours.path(), "fe"));
        let err = fe
            .request(rogue.addr, "r1", b"secret", REQUEST_TIMEOUT)
            .await
            .expect_err("rogue server refused");
        assert!(matches!(err, TransportError::TlsRefused { .. }), "{err:?}");

        // A genuine r2 answering where r1 was expected is refused too.
        let r2 = Server::start(&creds(ours.path(), "r2"), echo);
        let err = fe
            .request(r2.addr, "r1", b"secret", REQUEST_TIMEOUT)
            .await
            .expect_err("wrong name refused");
        assert!(matches!(err, TransportError::TlsRefused { .. }), "{err:?}");
        rogue.stop().await;
        r2.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_oversized_request_is_refused_and_only_its_stream_is_closed() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let seen = Arc::new(AtomicUsize::new(0));
        let server = Server::start_with(
            &creds(dir.path(), "r1"),
            counting_echo(seen.clone()),
            hearsay_transport::EndpointConfig::default(),
            ServeConfig {
                max_request_bytes: 1024,
                ..ServeConfig::default()
            },
        );
        let fe = client(&creds(dir.path(), "fe"));
        fe.request(server.addr, "r1", &[7u8; 1024], REQUEST_TIMEOUT)
            .await
            .expect("exactly at the limit is fine");
        for size in [1025, 64 * 1024, 4 * 1024 * 1024] {
            let err = fe
                .request(server.addr, "r1", &vec![7u8; size], REQUEST_TIMEOUT)
                .await
                .expect_err("too large");
            assert!(
                matches!(err, TransportError::RequestTooLarge { .. }),
                "{size} bytes: {err:?}"
            );
            assert!(!err.is_retryable());
        }
        assert_eq!(
            seen.load(Ordering::SeqCst),
            1,
            "only the good request was handled"
        );

        let answer = fe
            .request(server.addr, "r1", b"small", REQUEST_TIMEOUT)
            .await
            .expect("served after");
        assert_eq!(answer, b"fe:small");
        assert_eq!(fe.connections_made(), 1, "the connection survived");
        server.stop().await;
    })
    .await;
}

/// A replica-like handler: decodes a `ReplicaRequest`, answers `GetStatus`
/// with an error frame naming it, and refuses what does not decode.
async fn replica_like(_ctx: RequestContext, req: Vec<u8>) -> Option<Vec<u8>> {
    let request = hearsay_wire::decode::<ReplicaRequest<KvApp>>(&req).ok()?;
    let answer: ReplicaResponse<KvApp> = ReplicaResponse::Error {
        reason: format!("{request:?}"),
    };
    hearsay_wire::encode(&answer).ok()
}

#[tokio::test]
async fn garbage_streams_and_datagrams_do_not_kill_the_server() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let server = Server::start(&creds(dir.path(), "r1"), replica_like);
        let fe = client(&creds(dir.path(), "fe"));

        // Garbage that is not even QUIC, straight at the UDP port.
        let udp = std::net::UdpSocket::bind(loopback()).expect("udp");
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in [0usize, 1, 20, 1200, 1500] {
            let junk: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            udp.send_to(&junk, server.addr).expect("send junk datagram");
        }

        // Garbage frames on good streams: each refused alone.
        for i in 0..20 {
            let junk: Vec<u8> = (0..(i * 37 % 300) + 1).map(|_| next() as u8).collect();
            match fe.request(server.addr, "r1", &junk, REQUEST_TIMEOUT).await {
                Err(TransportError::NoResponse { .. }) => {}
                // Random bytes may, rarely, be a valid frame; then it is answered.
                Ok(answer) => {
                    assert!(hearsay_wire::decode::<ReplicaResponse<KvApp>>(&answer).is_ok())
                }
                Err(other) => panic!("junk {i}: {other:?}"),
            }
        }

        let request = hearsay_wire::encode(&ReplicaRequest::<KvApp>::GetStatus).expect("encode");
        let answer = fe
            .request(server.addr, "r1", &request, REQUEST_TIMEOUT)
            .await
            .expect("a valid request is still answered");
        let answer: ReplicaResponse<KvApp> = hearsay_wire::decode(&answer).expect("decode");
        assert_eq!(
            answer,
            ReplicaResponse::Error {
                reason: "GetStatus".into()
            }
        );
        assert_eq!(fe.connections_made(), 1);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_request_that_never_finishes_sending_is_cut_off() {
    bounded(async {
        let dir = cluster(&["r1", "fe"]);
        let seen = Arc::new(AtomicUsize::new(0));
        let server = Server::start_with(
            &creds(dir.path(), "r1"),
            counting_echo(seen.clone()),
            hearsay_transport::EndpointConfig::default(),
            ServeConfig {
                read_timeout: Duration::from_millis(200),
                ..ServeConfig::default()
            },
        );
        // Open a stream by hand, send half a request and never finish it.
        let fe = creds(dir.path(), "fe");
        let endpoint = hearsay_transport::bind_client(
            loopback(),
            &fe,
            &hearsay_transport::EndpointConfig::default(),
        )
        .expect("bind");
        let conn = endpoint
            .connect(server.addr, "r1")
            .expect("dial")
            .await
            .expect("connect");
        let (mut send, mut recv) = conn.open_bi().await.expect("open");
        send.write_all(b"half a req").await.expect("write");
        let err = recv
            .read_to_end(1024)
            .await
            .expect_err("reset by the server");
        assert!(
            matches!(err, quinn::ReadToEndError::Read(quinn::ReadError::Reset(_))),
            "{err:?}"
        );
        assert_eq!(seen.load(Ordering::SeqCst), 0);
        drop(send);
        still_serves(dir.path(), server.addr).await;
        server.stop().await;
    })
    .await;
}
