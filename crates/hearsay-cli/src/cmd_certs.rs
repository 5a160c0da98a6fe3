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
/// The parser only: what `init` and `issue` do is tested in `hearsay_demo::certs`.
mod tests {
    use super::*;

    fn parse(line: &[&str]) -> Args {
        crate::parse_flags::parse("certs", &line.join(" ")).expect("parses")
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
    fn a_bad_role_is_refused_by_the_parser_naming_the_roles() {
        let err = crate::parse_flags::parse::<Args>("certs", "issue r1 --role admin")
            .expect_err("bad role");
        assert!(
            err.to_string()
                .contains("replica, frontend, client or tracker"),
            "{err}"
        );
    }
}
