//! `hearsay certs init`: make the cluster CA, node certificates and the admin
//! token; `hearsay certs issue NAME`: make one more node's certificate with
//! that CA. These are the only commands that read the CA's private key.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use hearsay_transport::certs::{self, CertsError, Existing, Role};

/// What `hearsay certs init` makes.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The directory to write them to (created if missing).
    pub dir: PathBuf,
    /// The nodes, each `NAME` or `NAME:ROLE` (a role by the name when absent);
    /// blank entries are skipped.
    pub nodes: Vec<String>,
    /// Replace files that already exist.
    pub force: bool,
}

/// What `hearsay certs issue` makes.
#[derive(Debug, Clone)]
pub struct IssueOptions {
    /// The node's name: its certificate's DNS name and its file names.
    pub name: String,
    /// What the node may do (`None`: by its name).
    pub role: Option<Role>,
    /// The directory holding the CA; the node's files are written there.
    pub dir: PathBuf,
    /// Replace the node's certificate and key if they exist.
    pub force: bool,
}

/// `NAME` or `NAME:ROLE` from `--nodes`.
fn parse_node(entry: &str) -> anyhow::Result<(String, Role)> {
    match entry.split_once(':') {
        None => Ok((entry.to_owned(), Role::default_for(entry))),
        Some((name, role)) => {
            let role = role
                .trim()
                .parse::<Role>()
                .with_context(|| format!("--nodes {entry:?}"))?;
            Ok((name.trim().to_owned(), role))
        }
    }
}

/// Runs `hearsay certs init`: prints what it wrote, or why it wrote nothing.
pub fn init(args: InitOptions) -> anyhow::Result<ExitCode> {
    let mut nodes: Vec<(String, Role)> = Vec::new();
    for entry in args
        .nodes
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        let (name, role) = parse_node(entry)?;
        if let Some((_, other)) = nodes.iter().find(|(n, _)| *n == name) {
            if *other != role {
                anyhow::bail!("--nodes gives {name} two roles, {other} and {role}: give one");
            }
            continue;
        }
        nodes.push((name, role));
    }
    if nodes.is_empty() {
        anyhow::bail!("--nodes names no node: give at least one name, such as --nodes r1,r2,r3,fe");
    }
    let existing = if args.force {
        Existing::Overwrite
    } else {
        Existing::Refuse
    };
    let written = match certs::init_nodes(&args.dir, &nodes, existing) {
        Ok(written) => written,
        Err(CertsError::AlreadyExists { paths }) => {
            eprintln!(
                "hearsay: {} already holds certificates ({}); nothing was written.\n\
                 Replacing them means every node needs the new ones: run again with --force to do so.",
                args.dir.display(),
                names(&paths)
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("making certificates in {}", args.dir.display()));
        }
    };
    let listed: Vec<String> = nodes.iter().map(|(n, r)| format!("{n} ({r})")).collect();
    println!(
        "Made a cluster CA and certificates for {} in {}:",
        listed.join(", "),
        args.dir.display()
    );
    for path in &written {
        println!("  {}", describe(path));
    }
    println!(
        "The .key files and admin.token are secrets (readable by you only): never commit them."
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `hearsay certs issue`: prints what it wrote, or why it wrote nothing.
pub fn issue(args: IssueOptions) -> anyhow::Result<ExitCode> {
    let role = args.role.unwrap_or_else(|| Role::default_for(&args.name));
    let existing = if args.force {
        Existing::Overwrite
    } else {
        Existing::Refuse
    };
    let written = match certs::issue(&args.dir, &args.name, role, existing) {
        Ok(written) => written,
        Err(CertsError::AlreadyExists { paths }) => {
            eprintln!(
                "hearsay: {} already has a certificate for {} ({}); nothing was written.\n\
                 Run again with --force to replace it (the node must then use the new one).",
                args.dir.display(),
                args.name,
                names(&paths)
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(CertsError::Missing { path }) => anyhow::bail!(
            "no cluster CA in {}: {} is missing. Make one with `hearsay certs init --dir {}`, \
             or pass the --dir that holds ca.pem and ca.key",
            args.dir.display(),
            path.display(),
            args.dir.display()
        ),
        Err(CertsError::NoCaKey { ca_key, .. }) => anyhow::bail!(
            "{} holds the CA certificate but not its private key ({} is missing), so it \
             cannot sign: run `hearsay certs issue` with --dir set to the directory that \
             holds ca.key",
            args.dir.display(),
            ca_key.display()
        ),
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "making a certificate for {} in {}",
                    args.name,
                    args.dir.display()
                )
            });
        }
    };
    println!(
        "Made a {role} certificate for {} in {}:",
        args.name,
        args.dir.display()
    );
    for path in &written {
        println!("  {}", describe(path));
    }
    println!(
        "Give the node {}, {} and {} (never ca.key); {} is a secret: never commit it.",
        certs::CA_CERT_FILE,
        file_name(&certs::cert_path(&args.dir, &args.name)),
        file_name(&certs::key_path(&args.dir, &args.name)),
        file_name(&certs::key_path(&args.dir, &args.name)),
    );
    Ok(ExitCode::SUCCESS)
}

/// The file names in `paths`, comma-separated.
fn names(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| file_name(p))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last component of `path` (all of it when it has none).
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// One line about a file just written.
fn describe(path: &Path) -> String {
    let name = file_name(path);
    let what = match name.as_str() {
        certs::CA_CERT_FILE => "the cluster CA certificate (give it to every node)".to_owned(),
        certs::CA_KEY_FILE => "the cluster CA key (signs new nodes; keep it safe)".to_owned(),
        certs::ADMIN_TOKEN_FILE => "the admin token".to_owned(),
        other => match other.rsplit_once('.') {
            Some((node, "pem")) => format!("{node}'s certificate"),
            Some((node, "key")) => format!("{node}'s private key"),
            _ => String::new(),
        },
    };
    format!("{}  {what}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("hearsay-demo-certs-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// `certs init --dir DIR --nodes NODES [--force]`.
    fn init_in(dir: &Path, nodes: &str, force: bool) -> anyhow::Result<ExitCode> {
        init(InitOptions {
            dir: dir.to_owned(),
            nodes: nodes.split(',').map(str::to_owned).collect(),
            force,
        })
    }

    /// `certs issue NAME --dir DIR [--role ROLE] [--force]`.
    fn issue_in(
        dir: &Path,
        name: &str,
        role: Option<Role>,
        force: bool,
    ) -> anyhow::Result<ExitCode> {
        issue(IssueOptions {
            name: name.to_owned(),
            role,
            dir: dir.to_owned(),
            force,
        })
    }

    #[test]
    fn init_refuses_to_overwrite_without_force() {
        let tmp = TempDir::new("force");
        let init = |force| init_in(&tmp.0, "r1,fe", force).expect("runs");
        assert_eq!(init(false), ExitCode::SUCCESS);
        let ca = std::fs::read(tmp.0.join("ca.pem")).expect("ca written");
        assert!(tmp.0.join("fe.key").exists());

        assert_eq!(init(false), ExitCode::FAILURE);
        assert_eq!(
            std::fs::read(tmp.0.join("ca.pem")).expect("ca"),
            ca,
            "untouched"
        );

        assert_eq!(init(true), ExitCode::SUCCESS);
        assert_ne!(
            std::fs::read(tmp.0.join("ca.pem")).expect("ca"),
            ca,
            "replaced"
        );
    }

    #[test]
    fn a_bad_node_name_is_an_error_naming_it() {
        let tmp = TempDir::new("badname");
        let err = init_in(&tmp.0, "r1,bad name", false).expect_err("bad name");
        assert!(format!("{err:#}").contains("\"bad name\""), "{err:#}");
    }

    #[test]
    fn issue_makes_one_node_with_the_ca_and_says_what_is_wrong_otherwise() {
        let tmp = TempDir::new("issue");
        let dir = tmp.0.as_path();
        // No CA yet: an error saying how to make one.
        let err = issue_in(dir, "r4", None, false).expect_err("no CA");
        let text = format!("{err:#}");
        assert!(
            text.contains("no cluster CA") && text.contains("hearsay certs init"),
            "{text}"
        );
        assert_eq!(init_in(dir, "r1", false).expect("init"), ExitCode::SUCCESS);
        assert_eq!(
            issue_in(dir, "r4", None, false).expect("issue"),
            ExitCode::SUCCESS
        );
        let r4 = certs::NodeCredentials::load(dir, "r4").expect("r4 loads");
        assert_eq!(r4.role, Role::Replica, "the default for r4");
        assert_eq!(
            issue_in(dir, "alice", Some(Role::Client), false).expect("issue"),
            ExitCode::SUCCESS
        );
        let alice = certs::NodeCredentials::load(dir, "alice").expect("alice loads");
        assert_eq!(alice.role, Role::Client);

        // Again: refused without force, replaced with it.
        let pem = std::fs::read(dir.join("r4.pem")).expect("pem");
        assert_eq!(
            issue_in(dir, "r4", None, false).expect("runs"),
            ExitCode::FAILURE
        );
        assert_eq!(std::fs::read(dir.join("r4.pem")).expect("pem"), pem);
        assert_eq!(
            issue_in(dir, "r4", None, true).expect("runs"),
            ExitCode::SUCCESS
        );
        assert_ne!(std::fs::read(dir.join("r4.pem")).expect("pem"), pem);

        // A bad name, and a directory without the CA key.
        let err = issue_in(dir, "ca", None, false).expect_err("reserved");
        assert!(
            format!("{err:#}").contains("\"ca\" cannot be a node name"),
            "{err:#}"
        );
        std::fs::remove_file(dir.join("ca.key")).expect("rm");
        let err = issue_in(dir, "r5", None, false).expect_err("no key");
        assert!(
            format!("{err:#}").contains("not its private key"),
            "{err:#}"
        );
        assert!(!dir.join("r5.pem").exists());
    }

    #[test]
    fn init_takes_a_role_after_a_name() {
        let tmp = TempDir::new("roles");
        let init = |nodes: &str| init_in(&tmp.0, nodes, true);
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
