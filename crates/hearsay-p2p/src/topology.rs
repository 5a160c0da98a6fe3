//! The seed's link rule: every peer links to the ten peers after it on the
//! sorted peer list, with wrap-around.
//!
//! A link is used both ways (gossip, digests and heartbeats go over it in
//! either direction), so a peer's **neighbours** are the peers it links to
//! and the peers that link to it: the ten after it and the ten before it.
//! Both ends of a link compute it alike from the same list, which keeps the
//! replicas' memberships symmetric (what log discarding relies on: a record
//! is dropped once every neighbour has it, and each neighbour keeps it until
//! its own neighbours have it).

use std::collections::BTreeSet;

/// The number of peers after itself that each peer links to.
pub const LINKS: usize = 10;

/// The `k` peers after `me` on the sorted list `peers`, with wrap-around
/// (fewer when the list is short; never `me`). `me` need not be on the list:
/// then "after" is where it would be.
pub fn successors<T: Ord + Clone>(peers: &BTreeSet<T>, me: &T, k: usize) -> Vec<T> {
    peers
        .range((std::ops::Bound::Excluded(me), std::ops::Bound::Unbounded))
        .chain(peers.range(..me))
        .filter(|p| *p != me)
        .take(k)
        .cloned()
        .collect()
}

/// The `k` peers before `me`, nearest first, with wrap-around.
pub fn predecessors<T: Ord + Clone>(peers: &BTreeSet<T>, me: &T, k: usize) -> Vec<T> {
    peers
        .range(..me)
        .rev()
        .chain(
            peers
                .range((std::ops::Bound::Excluded(me), std::ops::Bound::Unbounded))
                .rev(),
        )
        .filter(|p| *p != me)
        .take(k)
        .cloned()
        .collect()
}

/// `me`'s neighbours: the `k` peers after it and the `k` before it.
pub fn neighbours<T: Ord + Clone>(peers: &BTreeSet<T>, me: &T, k: usize) -> BTreeSet<T> {
    successors(peers, me, k)
        .into_iter()
        .chain(predecessors(peers, me, k))
        .collect()
}

/// Every link of the network on `peers`: each peer to its `k` successors,
/// as pairs `(i, j)` of indices into the sorted list with `i < j`, each link
/// once. The graph the peers build, for analysis (cuts, diameter).
pub fn link_graph<T: Ord + Clone>(peers: &BTreeSet<T>, k: usize) -> BTreeSet<(usize, usize)> {
    let sorted: Vec<&T> = peers.iter().collect();
    let index = |p: &T| sorted.binary_search(&p).unwrap_or(0);
    let mut edges = BTreeSet::new();
    for (i, p) in sorted.iter().enumerate() {
        for q in successors(peers, *p, k) {
            let j = index(&q);
            edges.insert((i.min(j), i.max(j)));
        }
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: u32) -> BTreeSet<u32> {
        (0..n).collect()
    }

    #[test]
    fn ten_after_with_wrap_around() {
        let peers = ring(30);
        assert_eq!(successors(&peers, &0, LINKS), (1..=10).collect::<Vec<_>>());
        assert_eq!(
            successors(&peers, &25, LINKS),
            vec![26, 27, 28, 29, 0, 1, 2, 3, 4, 5]
        );
        assert_eq!(
            predecessors(&peers, &3, LINKS),
            vec![2, 1, 0, 29, 28, 27, 26, 25, 24, 23]
        );
        let n = neighbours(&peers, &0, LINKS);
        assert_eq!(n.len(), 20);
        assert!(n.contains(&10) && n.contains(&20) && !n.contains(&11) && !n.contains(&0));
    }

    #[test]
    fn small_networks_link_everyone_else_once() {
        assert!(successors(&ring(1), &0, LINKS).is_empty());
        assert_eq!(successors(&ring(3), &1, LINKS), vec![2, 0]);
        assert_eq!(
            neighbours(&ring(5), &2, LINKS),
            BTreeSet::from([0, 1, 3, 4])
        );
        assert_eq!(link_graph(&ring(4), LINKS).len(), 6, "a full mesh of 4");
    }

    #[test]
    fn links_are_symmetric_so_memberships_agree() {
        for n in [2, 11, 12, 21, 22, 40] {
            let peers = ring(n);
            for p in &peers {
                for q in neighbours(&peers, p, LINKS) {
                    assert!(
                        neighbours(&peers, &q, LINKS).contains(p),
                        "{p} and {q} in {n}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_join_relinks_only_the_ten_before_and_after_it() {
        let mut peers: BTreeSet<u32> = (0..40).map(|i| i * 10).collect();
        let before: Vec<BTreeSet<u32>> =
            peers.iter().map(|p| neighbours(&peers, p, LINKS)).collect();
        peers.insert(205); // between 200 and 210
        let newcomer = neighbours(&peers, &205, LINKS);
        assert_eq!(newcomer.len(), 20);
        assert_eq!(successors(&peers, &205, LINKS)[0], 210);
        assert_eq!(predecessors(&peers, &205, LINKS)[0], 200);
        let mut changed = 0;
        for (old, p) in before.iter().zip(peers.iter().filter(|p| **p != 205)) {
            let new = neighbours(&peers, p, LINKS);
            if &new != old {
                changed += 1;
                assert!(
                    new.contains(&205),
                    "{p} relinked without linking the newcomer"
                );
            }
        }
        assert_eq!(changed, 20, "exactly the newcomer's neighbours relink");
        // Leaving undoes it.
        peers.remove(&205);
        for (old, p) in before.iter().zip(peers.iter()) {
            assert_eq!(&neighbours(&peers, p, LINKS), old);
        }
    }

    #[test]
    fn the_link_graph_has_k_links_per_peer() {
        let g = link_graph(&ring(1000), LINKS);
        assert_eq!(g.len(), 1000 * LINKS);
    }
}
