//! Nothing acknowledged is lost: `kill -9` of every replica, then a restart.

mod common;

use common::{Cluster, lines};

#[test]
fn every_acknowledged_rating_survives_kill_9_of_the_whole_cluster() {
    let c = Cluster::start(&[]);
    // A burst of acknowledged ratings from several users, through every replica.
    let titles = ["Heat", "Alien", "Up", "Fargo", "Memento", "Shrek"];
    let mut expected = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let user = i as u32 + 20;
        let prefer = format!("r{}", i % 3 + 1);
        let rating = format!("{}.5", i % 5);
        let out = c.client(
            user,
            &["--prefer", &prefer],
            &[&format!("rate {title} {rating}")],
        );
        assert!(out.status.success(), "{out:?}");
        expected.push((user, *title, rating));
    }
    let c = c.crash_and_restart(&[]);
    // Each `client` run is a new session, with no causal context: right after
    // the restart it may read from a replica that has not yet received, by
    // gossip, what another replica accepted (and kept on disk). Causal
    // consistency allows that; what must hold is that once gossip quiets
    // every acknowledged rating is everywhere.
    c.wait_converged(std::time::Duration::from_secs(30));
    for (user, title, rating) in expected {
        let out = c.client(user, &[], &[&format!("view {title}")]);
        let got = lines(&out);
        assert_eq!(got.len(), 1, "{out:?}");
        assert!(
            got[0].ends_with(&format!(": {rating}")),
            "user {user} lost {title}: {got:?}"
        );
    }
}
