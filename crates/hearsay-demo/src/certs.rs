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
