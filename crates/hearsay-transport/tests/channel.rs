//! The in-memory transport: requests and one-way messages between nodes of
//! one process, its cuts, its limits, and one clear error for each misuse.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hearsay_transport::{
    ChannelConfig, ChannelTransport, NodeSocket, OpenError, RequestContext, Role, ServeConfig,
    SharedHandler, StopSwitch, Transport, TransportError,
};
use tokio::sync::mpsc;

const T: Duration = Duration::from_secs(5);

fn any() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Answers every request with `name:` and the request; reports every
/// message's context on `seen`.
fn echo(
    name: &'static str,
    seen: mpsc::UnboundedSender<(RequestContext, Vec<u8>)>,
) -> SharedHandler {
    Arc::new(move |ctx: RequestContext, bytes: Vec<u8>| {
        let seen = seen.clone();
        Box::pin(async move {
            let _ = seen.send((ctx, bytes.clone()));
            if bytes == b"refuse" {
                return None;
            }
            let mut answer = format!("{name}:").into_bytes();
            answer.extend(bytes);
            Some(answer)
        })
    })
}

struct Served {
    socket: Arc<dyn NodeSocket>,
    seen: mpsc::UnboundedReceiver<(RequestContext, Vec<u8>)>,
    stop: StopSwitch,
}

fn serve(net: &ChannelTransport, name: &'static str, role: Role) -> Served {
    let socket = net.open(name, role, any()).expect("opens");
    let (tx, seen) = mpsc::unbounded_channel();
    let stop = StopSwitch::new(None);
    tokio::spawn(socket.serve(
        echo(name, tx),
        ServeConfig {
            max_request_bytes: 64,
            ..ServeConfig::default()
        },
        Box::pin(stop.stopped()),
    ));
    Served { socket, seen, stop }
}

#[tokio::test]
async fn a_request_is_answered_and_the_handler_is_told_who_sent_it() {
    let net = ChannelTransport::new();
    let mut r1 = serve(&net, "r1", Role::Replica);
    let fe = net.open("fe", Role::Frontend, any()).unwrap();
    assert_ne!(
        fe.local_addr(),
        r1.socket.local_addr(),
        "port 0 gives each its own"
    );
    let answer = fe
        .request(r1.socket.local_addr(), "r1", b"hello", T)
        .await
        .unwrap();
    assert_eq!(answer, b"r1:hello");
    let (ctx, bytes) = r1.seen.recv().await.unwrap();
    assert_eq!(&*ctx.peer, "fe");
    assert_eq!(ctx.role, Role::Frontend);
    assert_eq!(ctx.remote, fe.local_addr());
    assert!(!ctx.oneway);
    assert_eq!(bytes, b"hello");

    eprintln!("phase: a one-way message arrives marked one-way");
    let delivery = fe
        .start_oneway(r1.socket.local_addr(), "r1", b"gossip", T)
        .await
        .unwrap();
    delivery.confirmed(T).await.unwrap();
    let (ctx, bytes) = r1.seen.recv().await.unwrap();
    assert!(ctx.oneway);
    assert_eq!(bytes, b"gossip");
    assert_eq!(net.stats().delivered, 2);
}

#[tokio::test]
async fn a_cut_link_refuses_one_way_until_healed_and_a_partition_both_ways() {
    let net = ChannelTransport::new();
    let r1 = serve(&net, "r1", Role::Replica);
    let r2 = serve(&net, "r2", Role::Replica);
    let (a1, a2) = (r1.socket.local_addr(), r2.socket.local_addr());

    net.cut("r1", "r2");
    let err = r1.socket.request(a2, "r2", b"x", T).await.unwrap_err();
    assert!(
        matches!(&err, TransportError::Connect { addr, reason } if *addr == a2 && reason.contains("the link from r1 to r2 is cut")),
        "{err}"
    );
    assert!(err.is_retryable(), "a cut heals");
    let err = r1.socket.start_oneway(a2, "r2", b"x", T).await.unwrap_err();
    assert!(matches!(err, TransportError::Connect { .. }), "{err}");
    assert_eq!(
        r2.socket.request(a1, "r1", b"back", T).await.unwrap(),
        b"r1:back"
    );
    assert_eq!(net.stats().dropped, 2);

    net.heal();
    assert_eq!(r1.socket.request(a2, "r2", b"x", T).await.unwrap(), b"r2:x");

    net.partition(&["r1"], &["r2", "r3"]);
    assert!(r1.socket.request(a2, "r2", b"x", T).await.is_err());
    assert!(r2.socket.request(a1, "r1", b"x", T).await.is_err());
    net.heal();
    assert!(r2.socket.request(a1, "r1", b"x", T).await.is_ok());
}

#[tokio::test]
async fn each_misuse_gets_one_clear_error() {
    let net = ChannelTransport::new();
    let r1 = serve(&net, "r1", Role::Replica);
    let a1 = r1.socket.local_addr();
    let fe = net.open("fe", Role::Frontend, any()).unwrap();

    eprintln!("phase: nobody at the address");
    let nowhere: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let err = fe.request(nowhere, "r1", b"x", T).await.unwrap_err();
    assert!(
        matches!(err, TransportError::Connect { addr, .. } if addr == nowhere),
        "{err}"
    );

    eprintln!("phase: the node there has another name");
    let err = fe.request(a1, "r2", b"x", T).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("bad TLS or QUIC setup: {a1} is node r1, not r2 (in-memory transport)")
    );
    assert!(!err.is_retryable());

    eprintln!("phase: over the server's size cap, and refused by the handler");
    let err = fe.request(a1, "r1", &[7; 65], T).await.unwrap_err();
    assert_eq!(err, TransportError::RequestTooLarge { addr: a1 });
    let err = fe.request(a1, "r1", b"refuse", T).await.unwrap_err();
    assert_eq!(err, TransportError::NoResponse { addr: a1 });

    eprintln!("phase: an address already open");
    let err = net.open("r9", Role::Replica, a1).map(|_| ()).unwrap_err();
    assert!(
        matches!(&err, OpenError::Bind(TransportError::Bind { addr, .. }) if *addr == a1),
        "{err}"
    );
}

#[tokio::test]
async fn an_answer_over_the_cap_is_refused_and_a_full_queue_makes_senders_wait_bounded() {
    let net = ChannelTransport::with_config(ChannelConfig {
        queue: 1,
        max_concurrent: 1,
        max_response_bytes: 4,
    });
    let r1 = serve(&net, "r1", Role::Replica);
    let a1 = r1.socket.local_addr();
    let fe = net.open("fe", Role::Frontend, any()).unwrap();
    let err = fe.request(a1, "r1", b"long", T).await.unwrap_err();
    assert_eq!(err, TransportError::ResponseTooLarge { addr: a1, max: 4 });

    eprintln!("phase: a node that is not served takes one message, then senders time out");
    let idle = net.open("idle", Role::Replica, any()).unwrap();
    let ai = idle.local_addr();
    fe.start_oneway(ai, "idle", b"1", T).await.unwrap();
    let short = Duration::from_millis(100);
    let err = fe.start_oneway(ai, "idle", b"2", short).await.unwrap_err();
    assert!(
        matches!(err, TransportError::TimedOut { addr, .. } if addr == ai),
        "{err}"
    );
}

#[tokio::test]
async fn a_stopped_node_frees_its_address_and_its_peers_hear_so() {
    let net = ChannelTransport::new();
    let r1 = serve(&net, "r1", Role::Replica);
    let a1 = r1.socket.local_addr();
    let fe = net.open("fe", Role::Frontend, any()).unwrap();
    assert!(fe.request(a1, "r1", b"x", T).await.is_ok());
    r1.stop.stop();
    let deadline = tokio::time::Instant::now() + T;
    while net.nodes().contains_key(&a1) {
        assert!(tokio::time::Instant::now() < deadline, "r1 still open");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let err = fe.request(a1, "r1", b"x", T).await.unwrap_err();
    assert!(matches!(err, TransportError::Connect { .. }), "{err}");
    drop(fe);
    assert!(net.nodes().is_empty(), "a dropped socket closes its node");
    // The address is free again.
    let again = net.open("r1", Role::Replica, a1).unwrap();
    assert_eq!(again.local_addr(), a1);
}
