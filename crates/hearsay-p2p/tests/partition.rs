//! The seed's question 3: how many connections must break to partition a
//! 1,000-peer network linked by the next-ten rule? Computed by max-flow
//! over the undirected link graph that [`hearsay_p2p::topology`] builds
//! (the function every peer links by), not by formula.

use std::collections::{BTreeSet, VecDeque};

use hearsay_p2p::topology::{LINKS, link_graph};

/// An undirected graph with unit capacity per link, as a residual network:
/// each link is a pair of arcs of capacity 1 each way.
struct Flow {
    head: Vec<usize>,
    cap: Vec<i32>,
    /// Arcs leaving each node (indices into `head`/`cap`).
    out: Vec<Vec<usize>>,
}

impl Flow {
    fn new(n: usize) -> Self {
        Self {
            head: Vec::new(),
            cap: Vec::new(),
            out: vec![Vec::new(); n],
        }
    }

    /// Adds a link (or, with `cap` large, a super-node's tie) between `a` and `b`.
    fn link(&mut self, a: usize, b: usize, cap: i32) {
        self.out[a].push(self.head.len());
        self.head.push(b);
        self.cap.push(cap);
        self.out[b].push(self.head.len());
        self.head.push(a);
        self.cap.push(cap);
    }

    /// The maximum flow from `s` to `t` (Edmonds–Karp): by max-flow/min-cut,
    /// the fewest links whose breaking separates `s` from `t`.
    fn max_flow(&mut self, s: usize, t: usize) -> i32 {
        let mut flow = 0;
        loop {
            let mut via = vec![usize::MAX; self.out.len()];
            via[s] = usize::MAX - 1;
            let mut queue = VecDeque::from([s]);
            while let Some(u) = queue.pop_front() {
                if u == t {
                    break;
                }
                for &arc in &self.out[u] {
                    let v = self.head[arc];
                    if self.cap[arc] > 0 && via[v] == usize::MAX {
                        via[v] = arc;
                        queue.push_back(v);
                    }
                }
            }
            if via[t] == usize::MAX {
                return flow;
            }
            let mut v = t;
            while v != s {
                let arc = via[v];
                self.cap[arc] -= 1;
                self.cap[arc ^ 1] += 1;
                v = self.head[arc ^ 1];
            }
            flow += 1;
        }
    }
}

fn network(n: usize) -> (usize, BTreeSet<(usize, usize)>) {
    // Peer names as the peers would sort them; any n distinct names give
    // the same ring, so numbers stand in for them.
    let names: BTreeSet<usize> = (0..n).collect();
    (n, link_graph(&names, LINKS))
}

fn flow_graph(n: usize, links: &BTreeSet<(usize, usize)>, extra: usize) -> Flow {
    let mut f = Flow::new(n + extra);
    for &(a, b) in links {
        f.link(a, b, 1);
    }
    f
}

#[test]
fn partitioning_a_thousand_peers_takes_twenty_links_for_one_peer_and_110_for_two_arcs() {
    let (n, links) = network(1000);
    assert_eq!(
        links.len(),
        n * LINKS,
        "ten links per peer, each counted once"
    );

    // Isolating one peer: the min cut between it and any other peer. The
    // graph looks the same from every peer (a circulant), so peer 0 stands
    // for all, and it is symmetric under reflection (t and n - t alike), so
    // trying t = 1..=n/2 covers every other peer: the least of those cuts is
    // the global minimum cut of the network (any cut separates 0 from someone).
    let mut min = (i32::MAX, 0);
    let mut isolate_far = 0;
    for t in 1..=n / 2 {
        let cut = flow_graph(n, &links, 0).max_flow(0, t);
        if cut < min.0 {
            min = (cut, t);
        }
        if t == n / 2 {
            isolate_far = cut;
        }
    }
    println!(
        "1000 peers, next-{LINKS} links ({} links): the smallest cut that partitions the \
         network breaks {} links (it isolates one peer: its {} links; between peer 0 and \
         peer 500 the min cut is {isolate_far})",
        links.len(),
        min.0,
        2 * LINKS
    );
    assert_eq!(min.0, (2 * LINKS) as i32);
    assert_eq!(isolate_far, (2 * LINKS) as i32);

    // Two arcs of 500 peers: tie each arc to a super-node and cut between them.
    let (src, sink) = (n, n + 1);
    let mut f = flow_graph(n, &links, 2);
    for p in 0..n {
        let tie = if p < n / 2 { src } else { sink };
        f.link(tie, p, i32::MAX / 4);
    }
    let arcs = f.max_flow(src, sink);
    println!(
        "splitting the ring into two arcs of 500 breaks {arcs} links \
         (55 where each arc ends: 1 + 2 + ... + 10)"
    );
    assert_eq!(arcs, 110);
}
