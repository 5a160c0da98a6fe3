//! [`ChannelTransport`]: the seam's in-memory implementation, for tests.
//! Nodes of one process reach each other through bounded queues, with no
//! socket and no certificate, and a test can cut links between them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::certs::Role;
use crate::connector::Delivery;
use crate::error::TransportError;
use crate::node::StopSignal;
use crate::seam::{BoxFuture, NodeSocket, OpenError, SharedHandler, Transport};
use crate::server::{RequestContext, ServeConfig};

/// Limits of a [`ChannelTransport`].
#[derive(Clone, Debug)]
pub struct ChannelConfig {
    /// Messages queued for one node before senders wait (bounded by their
    /// timeout), as QUIC's flow control makes them wait.
    pub queue: usize,
    /// Messages one node handles at once; the next wait in its queue (QUIC
    /// bounds the streams a peer may open the same way).
    pub max_concurrent: usize,
    /// The largest answer a requester accepts, in bytes.
    pub max_response_bytes: usize,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        Self {
            queue: 1024,
            max_concurrent: 256,
            max_response_bytes: hearsay_wire::MAX_FRAME_BYTES,
        }
    }
}

/// What a [`ChannelTransport`] has carried so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelStats {
    /// Messages handed to a node's queue.
    pub delivered: u64,
    /// Messages refused because their link was cut.
    pub dropped: u64,
}

/// An in-memory network for the nodes of one process (tests, examples):
/// every node opened on one `ChannelTransport` (clones share it) reaches
/// every other through a bounded queue, by the address it opened at (port
/// 0: the next free one). No socket, no certificate.
///
/// Faults: [`cut`](Self::cut) a link one way, [`partition`](Self::partition)
/// two groups of nodes, [`heal`](Self::heal). A message on a cut link is
/// refused at once with a retryable [`TransportError::Connect`] (a front end
/// tries another replica; gossip is repaired by anti-entropy once healed).
///
/// What it does **not** check, unlike QUIC: nodes are who they say they are.
/// The name and role a node opens with are taken as given (there is no
/// certificate to prove them) and reach the handler in its
/// [`RequestContext`]; [`ServeConfig::access`] is not enforced, so a role
/// the QUIC server would turn away gets in. Handlers' own checks (a replica
/// checks each request against the sender's role) still run, on the
/// declared role. Sizes are capped (requests by
/// [`ServeConfig::max_request_bytes`], answers by
/// [`ChannelConfig::max_response_bytes`]); there is no encryption, and
/// nothing leaves the process.
#[derive(Clone, Default)]
pub struct ChannelTransport {
    hub: Arc<Hub>,
}

#[derive(Default)]
struct Hub {
    config: ChannelConfig,
    state: Mutex<State>,
    delivered: AtomicU64,
    dropped: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Every open node, by the address it is reached at.
    nodes: BTreeMap<SocketAddr, Entry>,
    /// Links cut, as (from, to) node names: one direction each.
    cuts: BTreeSet<(String, String)>,
    /// The last port handed out for port 0.
    last_port: u16,
    /// Tells open nodes apart when an address is reused.
    next_id: u64,
}

struct Entry {
    id: u64,
    name: Arc<str>,
    inbox: mpsc::Sender<Envelope>,
}

/// One message in a node's queue.
struct Envelope {
    ctx: RequestContext,
    bytes: Vec<u8>,
    /// Where the answer goes; `None` for a one-way message.
    reply: Option<oneshot::Sender<Result<Vec<u8>, TransportError>>>,
}

impl ChannelTransport {
    /// A new, empty network with default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new, empty network with `config`'s limits.
    pub fn with_config(config: ChannelConfig) -> Self {
        Self {
            hub: Arc::new(Hub {
                config,
                ..Hub::default()
            }),
        }
    }

    /// Cuts the link from node `from` to node `to` (one direction): what
    /// `from` sends `to` is refused until [`heal`](Self::heal).
    pub fn cut(&self, from: &str, to: &str) {
        self.hub
            .state()
            .cuts
            .insert((from.to_owned(), to.to_owned()));
    }

    /// Cuts every link between a node of `a` and a node of `b`, both ways.
    pub fn partition(&self, a: &[&str], b: &[&str]) {
        let mut state = self.hub.state();
        for x in a {
            for y in b {
                state.cuts.insert(((*x).to_owned(), (*y).to_owned()));
                state.cuts.insert(((*y).to_owned(), (*x).to_owned()));
            }
        }
    }

    /// Restores every cut link.
    pub fn heal(&self) {
        self.hub.state().cuts.clear();
    }

    /// What the network has carried and refused so far.
    pub fn stats(&self) -> ChannelStats {
        ChannelStats {
            delivered: self.hub.delivered.load(Ordering::Relaxed),
            dropped: self.hub.dropped.load(Ordering::Relaxed),
        }
    }

    /// The names of the nodes open now, by address.
    pub fn nodes(&self) -> BTreeMap<SocketAddr, String> {
        self.hub
            .state()
            .nodes
            .iter()
            .map(|(a, e)| (*a, e.name.to_string()))
            .collect()
    }
}

impl Transport for ChannelTransport {
    /// Registers node `name` at `listen` (port 0: the next free port of
    /// `listen`'s address); an address already open is refused with
    /// [`TransportError::Bind`].
    fn open(
        &self,
        name: &str,
        role: Role,
        listen: SocketAddr,
    ) -> Result<Arc<dyn NodeSocket>, OpenError> {
        let (tx, rx) = mpsc::channel(self.hub.config.queue.max(1));
        let mut state = self.hub.state();
        let addr = if listen.port() == 0 {
            free_addr(&mut state, listen)?
        } else if state.nodes.contains_key(&listen) {
            return Err(OpenError::Bind(TransportError::Bind {
                addr: listen,
                reason: "address in use (in-memory transport)".to_owned(),
            }));
        } else {
            listen
        };
        state.next_id += 1;
        let id = state.next_id;
        let name: Arc<str> = name.into();
        state.nodes.insert(
            addr,
            Entry {
                id,
                name: name.clone(),
                inbox: tx,
            },
        );
        debug!(node = %name, %addr, "opened on the in-memory transport");
        Ok(Arc::new(ChannelSocket {
            node: Arc::new(Node {
                hub: self.hub.clone(),
                id,
                name,
                role,
                addr,
                inbox: Mutex::new(Some(rx)),
            }),
        }))
    }
}

/// The next port of `listen`'s address no node has.
fn free_addr(state: &mut State, listen: SocketAddr) -> Result<SocketAddr, TransportError> {
    for _ in 0..u16::MAX {
        state.last_port = state.last_port.checked_add(1).unwrap_or(1);
        let addr = SocketAddr::new(listen.ip(), state.last_port);
        if !state.nodes.contains_key(&addr) {
            return Ok(addr);
        }
    }
    Err(TransportError::Bind {
        addr: listen,
        reason: "no free port left (in-memory transport)".to_owned(),
    })
}

impl Hub {
    fn state(&self) -> MutexGuard<'_, State> {
        // Every change under the lock is a single insert or removal, so a
        // panic elsewhere while it was held leaves the maps consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The queue of the node at `addr`, if `from` may reach it as
    /// `server_name`.
    fn route(
        &self,
        from: &str,
        addr: SocketAddr,
        server_name: &str,
    ) -> Result<mpsc::Sender<Envelope>, TransportError> {
        let state = self.state();
        let Some(entry) = state.nodes.get(&addr) else {
            return Err(TransportError::Connect {
                addr,
                reason: "no node is open there (in-memory transport)".to_owned(),
            });
        };
        if *entry.name != *server_name {
            return Err(TransportError::Config(format!(
                "{addr} is node {}, not {server_name} (in-memory transport)",
                entry.name
            )));
        }
        if state
            .cuts
            .contains(&(from.to_owned(), server_name.to_owned()))
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return Err(TransportError::Connect {
                addr,
                reason: format!(
                    "the link from {from} to {server_name} is cut (in-memory transport)"
                ),
            });
        }
        Ok(entry.inbox.clone())
    }

    /// Takes the node `id` at `addr` off the network (if it is still there).
    fn close(&self, addr: SocketAddr, id: u64) {
        let mut state = self.state();
        if state.nodes.get(&addr).is_some_and(|e| e.id == id) {
            state.nodes.remove(&addr);
        }
    }
}

/// One node on a [`ChannelTransport`].
struct ChannelSocket {
    node: Arc<Node>,
}

/// Shared by the socket and its server, so the node stays open while
/// either lives.
struct Node {
    hub: Arc<Hub>,
    id: u64,
    name: Arc<str>,
    role: Role,
    addr: SocketAddr,
    /// Taken by the one [`NodeSocket::serve`] call.
    inbox: Mutex<Option<mpsc::Receiver<Envelope>>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.hub.close(self.addr, self.id);
    }
}

impl Node {
    fn context(&self, oneway: bool) -> RequestContext {
        RequestContext {
            peer: self.name.clone(),
            role: self.role,
            remote: self.addr,
            oneway,
        }
    }

    /// Queues `bytes` for the node at `addr` within `timeout`.
    async fn enqueue(
        &self,
        addr: SocketAddr,
        server_name: &str,
        bytes: &[u8],
        reply: Option<oneshot::Sender<Result<Vec<u8>, TransportError>>>,
    ) -> Result<(), TransportError> {
        let inbox = self.hub.route(&self.name, addr, server_name)?;
        let envelope = Envelope {
            ctx: self.context(reply.is_none()),
            bytes: bytes.to_vec(),
            reply,
        };
        inbox
            .send(envelope)
            .await
            .map_err(|_| TransportError::ShuttingDown { addr })?;
        self.hub.delivered.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn timed_out(addr: SocketAddr) -> TransportError {
    TransportError::TimedOut {
        addr,
        during: "waiting for the answer",
    }
}

impl NodeSocket for ChannelSocket {
    fn local_addr(&self) -> SocketAddr {
        self.node.addr
    }

    fn request<'a>(
        &'a self,
        addr: SocketAddr,
        server_name: &'a str,
        request: &'a [u8],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<u8>, TransportError>> {
        let max = self.node.hub.config.max_response_bytes;
        Box::pin(async move {
            let call = async {
                let (tx, rx) = oneshot::channel();
                self.node
                    .enqueue(addr, server_name, request, Some(tx))
                    .await?;
                let answer = rx.await.map_err(|_| TransportError::ConnectionLost {
                    addr,
                    reason: "the node stopped before answering".to_owned(),
                })??;
                if answer.len() > max {
                    return Err(TransportError::ResponseTooLarge { addr, max });
                }
                Ok(answer)
            };
            tokio::time::timeout(timeout, call)
                .await
                .unwrap_or_else(|_| Err(timed_out(addr)))
        })
    }

    fn start_oneway<'a>(
        &'a self,
        addr: SocketAddr,
        server_name: &'a str,
        message: &'a [u8],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Delivery, TransportError>> {
        Box::pin(async move {
            let send = self.node.enqueue(addr, server_name, message, None);
            match tokio::time::timeout(timeout, send).await {
                Ok(Ok(())) => Ok(Delivery::arrived(addr)),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(timed_out(addr)),
            }
        })
    }

    fn serve(
        &self,
        handler: SharedHandler,
        config: ServeConfig,
        shutdown: StopSignal,
    ) -> BoxFuture<'static, ()> {
        let node = self.node.clone();
        let inbox = node.inbox.lock().unwrap_or_else(|p| p.into_inner()).take();
        Box::pin(async move {
            let Some(inbox) = inbox else {
                warn!(node = %node.name, "this node is already served; ignoring a second serve");
                return;
            };
            run_server(node, inbox, handler, config, shutdown).await;
        })
    }
}

/// Serves one node's queue until `shutdown`, then closes it: new messages
/// are refused, queued ones dropped (their requesters hear so), and those
/// under way get the grace period.
async fn run_server(
    node: Arc<Node>,
    mut inbox: mpsc::Receiver<Envelope>,
    handler: SharedHandler,
    config: ServeConfig,
    shutdown: StopSignal,
) {
    let slots = Arc::new(Semaphore::new(node.hub.config.max_concurrent.max(1)));
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while tasks.try_join_next().is_some() {}
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed
            },
        };
        let envelope = tokio::select! {
            () = &mut shutdown => break,
            envelope = inbox.recv() => match envelope {
                Some(e) => e,
                None => break,
            },
        };
        let handler = handler.clone();
        let (addr, max) = (node.addr, config.max_request_bytes);
        tasks.spawn(async move {
            let _slot = slot;
            let Envelope { ctx, bytes, reply } = envelope;
            if bytes.len() > max {
                warn!(peer = %ctx.peer, max, "request over the size limit; refusing it");
                if let Some(reply) = reply {
                    let _ = reply.send(Err(TransportError::RequestTooLarge { addr }));
                }
                return;
            }
            let answer = handler(ctx, bytes).await;
            if let Some(reply) = reply {
                let _ = reply.send(answer.ok_or(TransportError::NoResponse { addr }));
            }
        });
    }
    node.hub.close(node.addr, node.id);
    inbox.close();
    while inbox.try_recv().is_ok() {} // dropped: their requesters hear so
    let drained = tokio::time::timeout(config.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(node = %node.name, left = tasks.len(), "messages still under way at shutdown");
        tasks.abort_all();
    }
    debug!(node = %node.name, "in-memory server stopped");
}
