//! The REPL driven through a pipe, as a script would.

mod common;

use common::{Cluster, TempDir, hearsay, lines, run_bounded};

#[test]
fn commands_from_a_pipe_run_in_order_and_bad_lines_change_nothing() {
    let c = Cluster::start(&[]);
    let input = "\
# comments and blank lines are skipped

view The Matrix
rate The Matrix 6
rate The Matrix
rate The Matrix 2
vew The Matrix
user x
view the matrix
average The Matrix
find Toy Stroy
search toy story
user 9
view The Matrix
delete The Matrix
user 1
delete The Matrix
view The Matrix
quit
view The Matrix
";
    let out = c.client_piped(&["--user", "1"], input);
    assert_eq!(
        lines(&out),
        [
            "user 1's rating of The Matrix (1999): 5",
            "error: 6 is out of range: a rating is from 0 to 5",
            "error: \"Matrix\" is not a rating: use a number from 0 to 5, such as 4 or 3.5",
            "user 1 rated The Matrix (1999) 2",
            "error: unknown command \"vew\" (did you mean view?): type help for the list",
            "error: \"x\" is not a user id: use a whole number such as 1",
            "user 1's rating of The Matrix (1999): 2",
            "The Matrix (1999): 2.00 average from 1 rating",
            "error: \"Toy Stroy\" is not in the catalog; did you mean: Toy Story (1995), Toy Story 2 (1999), Toy Story 3 (2010)?",
            " 1. Toy Story (1995)",
            " 2. Toy Story 2 (1999)",
            " 3. Toy Story 3 (2010)",
            "now acting as user 9",
            "user 9 has not rated The Matrix (1999)",
            "error: user 9 has not rated The Matrix (1999): nothing to delete",
            "now acting as user 1",
            "deleted user 1's rating of The Matrix (1999)",
            "user 1 has not rated The Matrix (1999)",
            "bye",
        ]
    );
    assert!(
        !out.status.success(),
        "bad lines make the exit status non-zero"
    );
}

#[test]
fn json_mode_prints_one_object_per_reply() {
    let c = Cluster::start(&[]);
    let out = c.client(4, &["--json"], &["rate Up 3.5", "average Up", "view Nope"]);
    let objects: Vec<serde_json::Value> = lines(&out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 3);
    assert_eq!(objects[0]["command"], "rate");
    assert_eq!(objects[0]["rating"], 3.5);
    assert_eq!(objects[1]["average"], 3.5);
    assert_eq!(objects[1]["count"], 1);
    assert_eq!(objects[2]["ok"], false);
    assert_eq!(objects[2]["error"], "not in the catalog");
}

#[test]
fn without_a_user_and_without_a_terminal_the_client_says_what_to_do() {
    let c = Cluster::start(&[]);
    let out = c.client_piped(&[], "view Up\n");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--user"),
        "{out:?}"
    );
}

#[test]
fn quit_in_up_stops_the_cluster_without_gossip_timeouts() {
    // Regression: `up` stopped every server before the replicas' gossip
    // senders drained, so each sender waited out its grace on peers that no
    // longer answered: about 3 s and a "peer unreachable" warning per peer
    // at every `quit`.
    let certs = TempDir::new("quit-certs");
    let data = TempDir::new("quit-data");
    let mut cmd = hearsay();
    cmd.args(["up", "--port", "0", "--user", "1", "--certs"])
        .arg(certs.path())
        .arg("--data-dir")
        .arg(data.path());
    let out = run_bounded(cmd, Some("rate Heat 3\nview Heat\nquit\n"));
    assert_eq!(
        lines(&out),
        [
            "user 1 rated Heat (1995) 3",
            "user 1's rating of Heat (1995): 3",
            "bye"
        ]
    );
    assert!(out.status.success(), "quit exits 0");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("peer unreachable"),
        "gossip timed out while the cluster stopped:\n{stderr}"
    );
}
