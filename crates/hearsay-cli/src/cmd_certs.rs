//! `hearsay certs init`: make the cluster CA, node certificates and the admin
//! token; `hearsay certs issue NAME`: make one more node's certificate with
//! that CA. These are the only commands that read the CA's private key.

use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_transport::certs::Role;

/// Flags of `hearsay certs`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: CertsCommand,
}

#[derive(clap::Subcommand, Debug)]
enum CertsCommand {
    /// Make a new cluster CA, a certificate and key for each node, and an admin token.
    Init(InitArgs),
    /// Make one node's certificate and key, signed by the CA in --dir (which
    /// needs ca.pem and ca.key). Give the node ca.pem, NAME.pem and NAME.key;
    /// never ca.key.
    #[command(after_help = ISSUE_AFTER_HELP)]
    Issue(IssueArgs),
}

const ISSUE_AFTER_HELP: &str = "\
Roles: a peer's role comes from its certificate, and servers enforce it:
  replica   gossips with replicas and answers front ends
  frontend  routes clients to replicas, changes a replica's status
  client    talks to front ends only (sessions, `status`, `change`)
  tracker   changes a replica's status, writes payloads through front ends

Examples:
  hearsay certs issue r4                      # a replica (the default for most names)
  hearsay certs issue alice --role client     # a client's certificate
  hearsay certs issue fe2 --dir /secure/certs # a front end (fe2 is one by its name)";

#[derive(clap::Args, Debug)]
struct InitArgs {
    /// The directory to write them to (created if missing).
    #[arg(long, default_value = "certs")]
    dir: PathBuf,
    /// The nodes to make certificates for, comma-separated, each NAME or
    /// NAME:ROLE; the name becomes the certificate's DNS name. Without a role:
    /// `tracker` is the tracker, `client` and `client-*` are clients, `fe`,
    /// `fe<N>`, `fe-*` and `frontend*` are front ends, any other name a replica.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "r1,r2,r3,fe,client,tracker"
    )]
    nodes: Vec<String>,
    /// Replace files that already exist. Every node must then use the new
    /// certificates: the old ones are signed by a CA nobody trusts any more.
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args, Debug)]
struct IssueArgs {
    /// The node's name: its certificate's DNS name, and the file names
    /// NAME.pem and NAME.key.
    name: String,
    /// What the node may do: replica, frontend, client or tracker (see
    /// below). Default: by its name, as for `init --nodes`.
    #[arg(long, value_name = "ROLE")]
    role: Option<Role>,
    /// The directory holding the CA (ca.pem and ca.key); the node's files are
    /// written there.
    #[arg(long, default_value = "certs")]
    dir: PathBuf,
    /// Replace the node's certificate and key if they exist.
    #[arg(long)]
    force: bool,
}

/// Runs `hearsay certs`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        CertsCommand::Init(a) => hearsay_demo::certs::init(hearsay_demo::certs::InitOptions {
            dir: a.dir,
            nodes: a.nodes,
            force: a.force,
        }),
        CertsCommand::Issue(a) => hearsay_demo::certs::issue(hearsay_demo::certs::IssueOptions {
            name: a.name,
            role: a.role,
            dir: a.dir,
            force: a.force,
        }),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use hearsay_transport::certs;

    use super::*;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(line: &[&str]) -> Args {
        let mut argv = vec!["certs"];
        argv.extend_from_slice(line);
        Cli::try_parse_from(argv).expect("parses").args
    }

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("hearsay-cmd-certs-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn defaults_cover_a_local_cluster() {
        let CertsCommand::Init(init) = parse(&["init"]).command else {
            panic!("init parses as init");
        };
        assert_eq!(init.dir, PathBuf::from("certs"));
        assert_eq!(init.nodes, ["r1", "r2", "r3", "fe", "client", "tracker"]);
        assert!(!init.force);
    }

    #[test]
    fn init_refuses_to_overwrite_without_force() {
        let tmp = TempDir::new("force");
        let dir = tmp.0.to_string_lossy().into_owned();
        let init = |extra: &[&str]| {
            let mut line = vec!["init", "--dir", &dir, "--nodes", "r1,fe"];
            line.extend_from_slice(extra);
            run(parse(&line)).expect("runs")
        };
        assert_eq!(init(&[]), ExitCode::SUCCESS);
        let ca = std::fs::read(tmp.0.join("ca.pem")).expect("ca written");
        assert!(tmp.0.join("fe.key").exists());

        assert_eq!(init(&[]), ExitCode::FAILURE);
        assert_eq!(
            std::fs::read(tmp.0.join("ca.pem")).expect("ca"),
            ca,
            "untouched"
        );

        assert_eq!(init(&["--force"]), ExitCode::SUCCESS);
        assert_ne!(
            std::fs::read(tmp.0.join("ca.pem")).expect("ca"),
            ca,
            "replaced"
        );
    }

    #[test]
    fn a_bad_node_name_is_an_error_naming_it() {
        let tmp = TempDir::new("badname");
        let dir = tmp.0.to_string_lossy().into_owned();
        let err =
            run(parse(&["init", "--dir", &dir, "--nodes", "r1,bad name"])).expect_err("bad name");
        assert!(format!("{err:#}").contains("\"bad name\""), "{err:#}");
    }

    #[test]
    fn issue_makes_one_node_with_the_ca_and_says_what_is_wrong_otherwise() {
        let tmp = TempDir::new("issue");
        let dir = tmp.0.to_string_lossy().into_owned();
        // No CA yet: an error saying how to make one.
        let err = run(parse(&["issue", "r4", "--dir", &dir])).expect_err("no CA");
        let text = format!("{err:#}");
        assert!(
            text.contains("no cluster CA") && text.contains("hearsay certs init"),
            "{text}"
        );
        assert_eq!(
            run(parse(&["init", "--dir", &dir, "--nodes", "r1"])).expect("init"),
            ExitCode::SUCCESS
        );
        assert_eq!(
            run(parse(&["issue", "r4", "--dir", &dir])).expect("issue"),
            ExitCode::SUCCESS
        );
        let r4 = certs::NodeCredentials::load(&tmp.0, "r4").expect("r4 loads");
        assert_eq!(r4.role, Role::Replica, "the default for r4");
        assert_eq!(
            run(parse(&[
                "issue", "alice", "--role", "client", "--dir", &dir
            ]))
            .expect("issue"),
            ExitCode::SUCCESS
        );
        let alice = certs::NodeCredentials::load(&tmp.0, "alice").expect("alice loads");
        assert_eq!(alice.role, Role::Client);

        // Again: refused without --force, replaced with it.
        let pem = std::fs::read(tmp.0.join("r4.pem")).expect("pem");
        assert_eq!(
            run(parse(&["issue", "r4", "--dir", &dir])).expect("runs"),
            ExitCode::FAILURE
        );
        assert_eq!(std::fs::read(tmp.0.join("r4.pem")).expect("pem"), pem);
        assert_eq!(
            run(parse(&["issue", "r4", "--dir", &dir, "--force"])).expect("runs"),
            ExitCode::SUCCESS
        );
        assert_ne!(std::fs::read(tmp.0.join("r4.pem")).expect("pem"), pem);

        // A bad name, and a directory without the CA key.
        let err = run(parse(&["issue", "ca", "--dir", &dir])).expect_err("reserved");
        assert!(
            format!("{err:#}").contains("\"ca\" cannot be a node name"),
            "{err:#}"
        );
        std::fs::remove_file(tmp.0.join("ca.key")).expect("rm");
        let err = run(parse(&["issue", "r5", "--dir", &dir])).expect_err("no key");
        assert!(
            format!("{err:#}").contains("not its private key"),
            "{err:#}"
        );
        assert!(!tmp.0.join("r5.pem").exists());
    }

    #[test]
    fn a_bad_role_is_refused_by_the_parser_naming_the_roles() {
        let mut argv = vec!["certs", "issue", "r1", "--role", "admin"];
        let err = Cli::try_parse_from(argv.drain(..)).expect_err("bad role");
        assert!(
            err.to_string()
                .contains("replica, frontend, client or tracker"),
            "{err}"
        );
    }

    #[test]
    fn init_takes_a_role_after_a_name() {
        let tmp = TempDir::new("roles");
        let dir = tmp.0.to_string_lossy().into_owned();
        let init = |nodes: &str| run(parse(&["init", "--dir", &dir, "--nodes", nodes, "--force"]));
        assert_eq!(
            init("r1,edge:frontend,ops:tracker").expect("init"),
            ExitCode::SUCCESS
        );
        let edge = certs::NodeCredentials::load(&tmp.0, "edge").expect("edge");
        assert_eq!(edge.role, Role::Frontend);
        let ops = certs::NodeCredentials::load(&tmp.0, "ops").expect("ops");
        assert_eq!(ops.role, Role::Tracker);
        let err = init("r1:boss").expect_err("bad role");
        assert!(
            format!("{err:#}").contains("\"boss\" is not a role"),
            "{err:#}"
        );
        let err = init("r1,r1:client").expect_err("two roles");
        assert!(format!("{err:#}").contains("two roles"), "{err:#}");
    }
}
