//! A UDP relay that puts a bad network between real processes on loopback.
//!
//! The kernel here has no netem, so faults are made in user space: a
//! [`Network`] runs relays on its own tokio runtime, and each [`Link`] is one
//! relay standing in for one node's address. A process dials the link's
//! address instead of the node's; the link forwards each datagram to the node
//! from a socket of its own per dialer (so the node's replies come back to the
//! link, which forwards them to the dialer), after applying that direction's
//! [`Faults`]: delay with jitter, loss, duplication, reordering, and a switch
//! that cuts the link both ways. QUIC and TLS run end to end through it
//! unchanged: certificates name nodes, not addresses.
//!
//! Everything is bounded: the dialers one link serves ([`MAX_DIALERS`]) and
//! the datagrams in flight per link ([`MAX_IN_FLIGHT`]); beyond those,
//! datagrams are dropped and counted, as a router's full queue would.
//! Randomness comes from a seed per link and direction.

use std::collections::{BTreeMap, BinaryHeap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Dialers (source addresses) one link serves; datagrams from more are dropped.
pub(crate) const MAX_DIALERS: usize = 16;

/// Datagrams one link holds at once (both directions); more are dropped.
pub(crate) const MAX_IN_FLIGHT: usize = 8192;

/// The largest datagram relayed (the largest UDP payload).
const MAX_DATAGRAM: usize = 65_535;

/// What one direction of a link does to each datagram.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Faults {
    /// The one-way delay every datagram gets...
    pub(crate) delay: Duration,
    /// ...plus or minus up to this much, uniformly (jitter reorders
    /// datagrams sent closer together than the spread).
    pub(crate) jitter: Duration,
    /// Chance (0 to 1) that a datagram is dropped.
    pub(crate) loss: f64,
    /// Chance (0 to 1) that a datagram is delivered twice (the copy with its
    /// own delay).
    pub(crate) duplicate: f64,
    /// Chance (0 to 1) that a datagram is held back one more `delay` (at
    /// least 10 ms), so that later ones overtake it.
    pub(crate) reorder: f64,
}

impl Faults {
    /// A wide-area link: `delay_ms` ± `jitter_ms` one way and `loss` (0 to 1).
    pub(crate) fn wan(delay_ms: u64, jitter_ms: u64, loss: f64) -> Self {
        Self {
            delay: Duration::from_millis(delay_ms),
            jitter: Duration::from_millis(jitter_ms),
            loss,
            ..Self::default()
        }
    }
}

/// Counts of one direction of a link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DirectionStats {
    /// Datagrams that arrived at the relay.
    pub(crate) received: u64,
    /// Datagrams (copies included) sent on.
    pub(crate) delivered: u64,
    /// Dropped by the loss draw.
    pub(crate) lost: u64,
    /// Dropped because the link was cut (on arrival or while in flight).
    pub(crate) cut: u64,
    /// Extra copies made.
    pub(crate) duplicated: u64,
    /// Held back to be overtaken.
    pub(crate) reordered: u64,
    /// Dropped because a bound was reached (in flight, dialers).
    pub(crate) overflow: u64,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    delivered: AtomicU64,
    lost: AtomicU64,
    cut: AtomicU64,
    duplicated: AtomicU64,
    reordered: AtomicU64,
    overflow: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> DirectionStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        DirectionStats {
            received: get(&self.received),
            delivered: get(&self.delivered),
            lost: get(&self.lost),
            cut: get(&self.cut),
            duplicated: get(&self.duplicated),
            reordered: get(&self.reordered),
            overflow: get(&self.overflow),
        }
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// splitmix64: a small seeded generator, so a run's draws follow its seed.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }
}

/// One direction of a link: its faults, its draws, its counts.
struct Direction {
    faults: Mutex<Faults>,
    rng: Mutex<Rng>,
    counters: Counters,
}

impl Direction {
    fn new(faults: Faults, seed: u64) -> Self {
        Self {
            faults: Mutex::new(faults),
            rng: Mutex::new(Rng(seed)),
            counters: Counters::default(),
        }
    }

    /// The delays after which a datagram arriving now is delivered: none
    /// (lost), one, or two (duplicated).
    fn draw(&self) -> Vec<Duration> {
        let f = *self.faults.lock().unwrap();
        let mut rng = self.rng.lock().unwrap();
        if rng.chance(f.loss) {
            bump(&self.counters.lost);
            return Vec::new();
        }
        let copies = if rng.chance(f.duplicate) {
            bump(&self.counters.duplicated);
            2
        } else {
            1
        };
        (0..copies)
            .map(|_| {
                let spread = f.jitter.as_secs_f64() * (2.0 * rng.unit() - 1.0);
                let mut d = (f.delay.as_secs_f64() + spread).max(0.0);
                if rng.chance(f.reorder) {
                    bump(&self.counters.reordered);
                    d += f.delay.as_secs_f64().max(0.010);
                }
                Duration::from_secs_f64(d)
            })
            .collect()
    }
}

/// A datagram waiting for its time.
struct Pending {
    due: Instant,
    /// Arrival order, to break ties in `due` (equal delays keep their order).
    seq: u64,
    out: Arc<UdpSocket>,
    to: SocketAddr,
    bytes: Vec<u8>,
    /// Which direction's counts it goes to.
    forward: bool,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    /// Reversed: `BinaryHeap` pops the greatest, and the earliest is due first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

/// What the link's tasks share.
struct Shared {
    name: String,
    /// Towards the node.
    forward: Direction,
    /// Back to the dialer.
    backward: Direction,
    cut: AtomicBool,
    /// Datagrams on their way to the delivery task, which holds at most
    /// [`MAX_IN_FLIGHT`]; past either bound a datagram is dropped.
    queue: mpsc::Sender<Pending>,
    seq: AtomicU64,
}

impl Shared {
    fn direction(&self, forward: bool) -> &Direction {
        if forward {
            &self.forward
        } else {
            &self.backward
        }
    }

    /// Applies the faults to a datagram that just arrived and queues what
    /// survives for delivery.
    fn admit(&self, forward: bool, bytes: &[u8], out: &Arc<UdpSocket>, to: SocketAddr) {
        let dir = self.direction(forward);
        bump(&dir.counters.received);
        if self.cut.load(Ordering::Relaxed) {
            bump(&dir.counters.cut);
            return;
        }
        let now = Instant::now();
        for delay in dir.draw() {
            let p = Pending {
                due: now + delay,
                seq: self.seq.fetch_add(1, Ordering::Relaxed),
                out: out.clone(),
                to,
                bytes: bytes.to_vec(),
                forward,
            };
            if self.queue.try_send(p).is_err() {
                bump(&dir.counters.overflow);
            }
        }
    }
}

/// One relay: dial [`Link::addr`] to reach the node behind it.
pub(crate) struct Link {
    addr: SocketAddr,
    target: SocketAddr,
    shared: Arc<Shared>,
}

impl Link {
    /// The address to dial instead of the node's.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The node's own address.
    pub(crate) fn target(&self) -> SocketAddr {
        self.target
    }

    /// The link's name (as given to [`Network::link`]).
    pub(crate) fn name(&self) -> &str {
        &self.shared.name
    }

    /// Cuts the link both ways (`true`) or heals it (`false`). Datagrams in
    /// flight when it is cut are dropped too.
    pub(crate) fn cut(&self, on: bool) {
        self.shared.cut.store(on, Ordering::Relaxed);
    }

    /// Sets the faults of both directions.
    pub(crate) fn set_faults(&self, towards_node: Faults, back: Faults) {
        *self.shared.forward.faults.lock().unwrap() = towards_node;
        *self.shared.backward.faults.lock().unwrap() = back;
    }

    /// Counts towards the node, and back to the dialer.
    pub(crate) fn stats(&self) -> (DirectionStats, DirectionStats) {
        (
            self.shared.forward.counters.snapshot(),
            self.shared.backward.counters.snapshot(),
        )
    }
}

/// A set of links on their own runtime; dropping it stops them all.
pub(crate) struct Network {
    runtime: Option<tokio::runtime::Runtime>,
    seed: u64,
    links: Vec<Arc<Shared>>,
}

impl Network {
    /// A network whose links draw from `seed` (each link and direction from
    /// its own stream derived from it).
    pub(crate) fn new(seed: u64) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("relay")
            .enable_all()
            .build()
            .expect("a runtime for the relays");
        Self {
            runtime: Some(runtime),
            seed,
            links: Vec::new(),
        }
    }

    /// A new link named `name` in front of `target`, with `faults` in each
    /// direction, listening on a loopback port of its own.
    pub(crate) fn link(&mut self, name: &str, target: SocketAddr, faults: Faults) -> Link {
        let n = self.links.len() as u64;
        let seed = self
            .seed
            .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17));
        let (queue, rx) = mpsc::channel(MAX_IN_FLIGHT);
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            forward: Direction::new(faults, seed),
            backward: Direction::new(faults, seed ^ 0xD1B5_4A32_D192_ED03),
            cut: AtomicBool::new(false),
            queue,
            seq: AtomicU64::new(0),
        });
        let runtime = self.runtime.as_ref().expect("the network is running");
        let listen = runtime
            .block_on(UdpSocket::bind("127.0.0.1:0"))
            .expect("bind a relay socket");
        let addr = listen.local_addr().expect("the relay's address");
        runtime.spawn(deliver(shared.clone(), rx));
        runtime.spawn(accept(shared.clone(), Arc::new(listen), target));
        self.links.push(shared.clone());
        Link {
            addr,
            target,
            shared,
        }
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Reads what dialers send to the link and passes it towards the node, each
/// dialer through its own upstream socket.
async fn accept(shared: Arc<Shared>, listen: Arc<UdpSocket>, target: SocketAddr) {
    let mut upstream: BTreeMap<SocketAddr, Arc<UdpSocket>> = BTreeMap::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let Ok((len, from)) = listen.recv_from(&mut buf).await else {
            // ICMP errors surface here on some systems; the socket stays
            // usable. The pause keeps a persistent error from spinning.
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        let up = match upstream.get(&from) {
            Some(up) => up.clone(),
            None if upstream.len() >= MAX_DIALERS => {
                bump(&shared.forward.counters.overflow);
                continue;
            }
            None => {
                let Ok(sock) = UdpSocket::bind("127.0.0.1:0").await else {
                    bump(&shared.forward.counters.overflow);
                    continue;
                };
                let up = Arc::new(sock);
                upstream.insert(from, up.clone());
                tokio::spawn(answer(shared.clone(), up.clone(), listen.clone(), from));
                up
            }
        };
        shared.admit(true, &buf[..len], &up, target);
    }
}

/// Reads the node's replies on one dialer's upstream socket and passes them
/// back towards that dialer.
async fn answer(
    shared: Arc<Shared>,
    up: Arc<UdpSocket>,
    listen: Arc<UdpSocket>,
    dialer: SocketAddr,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let Ok((len, _)) = up.recv_from(&mut buf).await else {
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        shared.admit(false, &buf[..len], &listen, dialer);
    }
}

/// Sends each queued datagram when it is due (unless the link was cut
/// meanwhile).
async fn deliver(shared: Arc<Shared>, mut rx: mpsc::Receiver<Pending>) {
    let mut heap: BinaryHeap<Pending> = BinaryHeap::new();
    loop {
        let next_due = heap.peek().map(|p| p.due);
        tokio::select! {
            p = rx.recv() => match p {
                Some(p) if heap.len() >= MAX_IN_FLIGHT => {
                    bump(&shared.direction(p.forward).counters.overflow);
                }
                Some(p) => heap.push(p),
                None => return,
            },
            () = sleep_until(next_due), if next_due.is_some() => {
                let now = Instant::now();
                while heap.peek().is_some_and(|p| p.due <= now) {
                    let Some(p) = heap.pop() else { break };
                    let dir = shared.direction(p.forward);
                    if shared.cut.load(Ordering::Relaxed) {
                        bump(&dir.counters.cut);
                        continue;
                    }
                    // A full socket buffer or a node gone: the datagram is lost,
                    // as it would be on a wire.
                    let _ = p.out.send_to(&p.bytes, p.to).await;
                    bump(&dir.counters.delivered);
                }
            }
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
