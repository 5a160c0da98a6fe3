//! Making, refusing to overwrite, completing and loading certificate sets.

use std::fs;
use std::path::Path;

use super::*;

fn names() -> Vec<String> {
    vec!["r1".into(), "fe".into()]
}

/// `names` in their default roles, as [`ensure_dev_certs`] takes them.
fn nodes(names: &[&str]) -> Vec<(String, Role)> {
    names
        .iter()
        .map(|n| (n.to_string(), Role::default_for(n)))
        .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .expect("file exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn init_writes_the_ca_node_certificates_and_a_token_with_private_keys_private() {
    let dir = tempfile::tempdir().expect("temp dir");
    let certs = dir.path().join("certs");
    let written = init(&certs, &names(), Existing::Refuse).expect("init");
    let mut expected: Vec<_> = [
        "ca.pem",
        "ca.key",
        "r1.pem",
        "r1.key",
        "fe.pem",
        "fe.key",
        "admin.token",
    ]
    .iter()
    .map(|f| certs.join(f))
    .collect();
    let mut got = written.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    for path in &written {
        assert!(path.exists(), "{} written", path.display());
    }
    #[cfg(unix)]
    {
        for secret in ["ca.key", "r1.key", "fe.key", "admin.token"] {
            assert_eq!(mode(&certs.join(secret)), 0o600, "{secret}");
        }
        assert_eq!(mode(&certs.join("ca.pem")), 0o644);
    }
    let token = load_admin_token(&certs).expect("token");
    assert_eq!(token.len(), 64);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    let creds = NodeCredentials::load(&certs, "r1").expect("load r1");
    assert_eq!(creds.name, "r1");
    assert!(
        !format!("{creds:?}").contains("key:"),
        "Debug hides the key"
    );
    // No temporary files are left behind.
    assert_eq!(fs::read_dir(&certs).expect("read dir").count(), 7);
}

#[test]
fn two_tokens_differ() {
    assert_ne!(
        generate::admin_token().expect("token"),
        generate::admin_token().expect("token")
    );
}

#[test]
fn init_refuses_to_overwrite_unless_told_to() {
    let dir = tempfile::tempdir().expect("temp dir");
    init(dir.path(), &names(), Existing::Refuse).expect("first init");
    let ca_before = fs::read(dir.path().join(CA_CERT_FILE)).expect("ca");
    match init(dir.path(), &["r1", "r9"], Existing::Refuse) {
        Err(CertsError::AlreadyExists { paths }) => {
            assert!(paths.contains(&dir.path().join("ca.pem")));
            assert!(paths.contains(&dir.path().join("r1.key")));
            assert!(!paths.iter().any(|p| p.ends_with("r9.pem")));
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert!(!dir.path().join("r9.pem").exists(), "nothing written");
    assert_eq!(
        fs::read(dir.path().join(CA_CERT_FILE)).expect("ca"),
        ca_before
    );
    init(dir.path(), &names(), Existing::Overwrite).expect("forced init");
    assert_ne!(
        fs::read(dir.path().join(CA_CERT_FILE)).expect("ca"),
        ca_before
    );
}

#[test]
fn ensure_dev_certs_makes_only_what_is_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(ensure_dev_certs(dir.path(), &nodes(&["r1", "fe"])).expect("first"));
    let ca = fs::read(dir.path().join(CA_CERT_FILE)).expect("ca");
    let r1 = fs::read(dir.path().join("r1.pem")).expect("r1");
    let token = load_admin_token(dir.path()).expect("token");
    assert!(!ensure_dev_certs(dir.path(), &nodes(&["r1", "fe"])).expect("second"));

    // A new node: signed by the CA already there, nothing else touched.
    assert!(ensure_dev_certs(dir.path(), &nodes(&["r1", "r2"])).expect("add r2"));
    assert!(dir.path().join("r2.pem").exists() && dir.path().join("r2.key").exists());
    assert_eq!(fs::read(dir.path().join(CA_CERT_FILE)).expect("ca"), ca);
    assert_eq!(fs::read(dir.path().join("r1.pem")).expect("r1"), r1);
    assert_eq!(load_admin_token(dir.path()).expect("token"), token);

    // A lost token is remade, alone.
    fs::remove_file(dir.path().join(ADMIN_TOKEN_FILE)).expect("rm token");
    assert!(ensure_dev_certs(dir.path(), &nodes(&["r1"])).expect("token again"));
    assert_ne!(load_admin_token(dir.path()).expect("token"), token);
    assert_eq!(fs::read(dir.path().join(CA_CERT_FILE)).expect("ca"), ca);
}

#[test]
fn ensure_dev_certs_remakes_a_certificate_from_before_roles_when_it_holds_the_ca_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(ensure_dev_certs(dir.path(), &nodes(&["r1", "fe"])).expect("first"));
    let old = Ca::load(dir.path())
        .expect("ca")
        .issue_without_role("r1")
        .expect("old-style r1");
    fs::write(dir.path().join("r1.pem"), old.cert_pem).expect("write r1.pem");
    fs::write(dir.path().join("r1.key"), old.key_pem).expect("write r1.key");
    assert!(matches!(
        NodeCredentials::load(dir.path(), "r1"),
        Err(CertsError::NoRole { .. })
    ));

    assert!(ensure_dev_certs(dir.path(), &nodes(&["r1", "fe"])).expect("upgrade"));
    let r1 = NodeCredentials::load_as(dir.path(), "r1", Role::Replica).expect("r1 now loads");
    assert_eq!(r1.role, Role::Replica);

    // Without the CA's key (a node's directory) it is left alone.
    let old = Ca::load(dir.path())
        .expect("ca")
        .issue_without_role("fe")
        .expect("old-style fe");
    fs::write(dir.path().join("fe.pem"), old.cert_pem).expect("write fe.pem");
    fs::write(dir.path().join("fe.key"), old.key_pem).expect("write fe.key");
    fs::remove_file(dir.path().join(CA_KEY_FILE)).expect("rm ca.key");
    assert!(!ensure_dev_certs(dir.path(), &nodes(&["fe"])).expect("no key: nothing made"));
    assert!(matches!(
        NodeCredentials::load(dir.path(), "fe"),
        Err(CertsError::NoRole { .. })
    ));
}

#[test]
fn ensure_dev_certs_refuses_half_a_ca_and_a_foreign_one() {
    let a = tempfile::tempdir().expect("temp dir");
    let b = tempfile::tempdir().expect("temp dir");
    init(a.path(), &["r1"], Existing::Refuse).expect("init a");
    init(b.path(), &["r1"], Existing::Refuse).expect("init b");

    let a_ca = fs::read(a.path().join(CA_CERT_FILE)).expect("a's ca");
    fs::remove_file(a.path().join(CA_CERT_FILE)).expect("rm cert");
    match ensure_dev_certs(a.path(), &nodes(&["r2"])) {
        Err(CertsError::IncompleteCa { missing }) => {
            assert_eq!(missing, a.path().join(CA_CERT_FILE))
        }
        other => panic!("expected IncompleteCa, got {other:?}"),
    }
    assert!(!a.path().join("r2.pem").exists());

    // b's key with a's certificate: signing would make certificates nobody trusts.
    fs::write(b.path().join(CA_CERT_FILE), a_ca).expect("write");
    match ensure_dev_certs(b.path(), &nodes(&["r2"])) {
        Err(CertsError::ForeignCa { path }) => assert_eq!(path, b.path().join(CA_CERT_FILE)),
        other => panic!("expected ForeignCa, got {other:?}"),
    }
    assert!(!b.path().join("r2.pem").exists());
}

#[test]
fn loading_names_the_file_at_fault() {
    let dir = tempfile::tempdir().expect("temp dir");
    match NodeCredentials::load(dir.path(), "r1") {
        Err(e @ CertsError::Missing { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("ca.pem") && text.contains("hearsay certs init"),
                "{text}"
            );
        }
        other => panic!("expected Missing, got {other:?}"),
    }
    init(dir.path(), &["r1"], Existing::Refuse).expect("init");
    match NodeCredentials::load(dir.path(), "r2") {
        Err(CertsError::Missing { path }) => assert_eq!(path, dir.path().join("r2.pem")),
        other => panic!("expected Missing r2.pem, got {other:?}"),
    }
    fs::write(dir.path().join("r1.key"), "not a key").expect("write");
    match NodeCredentials::load(dir.path(), "r1") {
        Err(CertsError::BadPem { path, .. }) => assert_eq!(path, dir.path().join("r1.key")),
        other => panic!("expected BadPem r1.key, got {other:?}"),
    }
    fs::write(dir.path().join(ADMIN_TOKEN_FILE), "\n").expect("write");
    assert!(matches!(
        load_admin_token(dir.path()),
        Err(CertsError::BadPem { .. })
    ));
}

#[test]
fn node_names_must_be_file_and_dns_safe() {
    for good in ["r1", "fe", "tracker", "node-a.b_c", "localhost"] {
        assert!(check_node_name(good).is_ok(), "{good}");
    }
    for bad in [
        "",
        "a b",
        "../x",
        "ca",
        "CA",
        "admin",
        "r1/",
        &"x".repeat(65),
    ] {
        assert!(
            matches!(check_node_name(bad), Err(CertsError::BadName { .. })),
            "{bad:?}"
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(matches!(
        init(dir.path(), &["r1", "no good"], Existing::Refuse),
        Err(CertsError::BadName { .. })
    ));
    assert_eq!(
        fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing written"
    );
}

/// A node's directory as an operator would hand it out: the CA certificate
/// and the node's own pair, nothing else.
fn node_dir(from: &Path, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for file in [
        CA_CERT_FILE.to_owned(),
        format!("{name}.pem"),
        format!("{name}.key"),
    ] {
        fs::copy(from.join(&file), dir.path().join(&file)).expect("copy");
    }
    dir
}

#[test]
fn a_node_runs_from_the_ca_certificate_and_its_own_pair_alone() {
    let full = tempfile::tempdir().expect("temp dir");
    init(full.path(), &["r1", "client"], Existing::Refuse).expect("init");
    let only = node_dir(full.path(), "client");

    // Nothing is missing for it, so nothing is made and no CA key is needed
    // (this was "ca.key is missing but the other half of the CA is there").
    assert!(!ensure_dev_certs(only.path(), &[("client", Role::Client)]).expect("ensure"));
    let creds = NodeCredentials::load_as(only.path(), "client", Role::Client).expect("load");
    assert_eq!((creds.name.as_str(), creds.role), ("client", Role::Client));
    let files = fs::read_dir(only.path()).expect("dir").count();
    assert_eq!(files, 3, "no token or key invented");

    // It cannot mint anyone else: there is no CA key to sign with.
    match ensure_dev_certs(only.path(), &[("r9", Role::Replica)]) {
        Err(e @ CertsError::NoCaKey { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("hearsay certs issue r9 --role replica") && text.contains("ca.key"),
                "{text}"
            );
        }
        other => panic!("expected NoCaKey, got {other:?}"),
    }
    assert!(matches!(
        issue(only.path(), "r9", Role::Replica, Existing::Refuse),
        Err(CertsError::NoCaKey { .. })
    ));
    assert!(!only.path().join("r9.pem").exists());
    assert!(!only.path().join("r9.key").exists());
}

#[test]
fn issue_makes_one_node_signed_by_the_ca_in_the_role_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    init(dir.path(), &["r1"], Existing::Refuse).expect("init");
    let ca = fs::read(dir.path().join(CA_CERT_FILE)).expect("ca");
    let token = load_admin_token(dir.path()).expect("token");
    let written = issue(dir.path(), "edge", Role::Frontend, Existing::Refuse).expect("issue");
    assert_eq!(
        written,
        [dir.path().join("edge.key"), dir.path().join("edge.pem")]
    );
    #[cfg(unix)]
    assert_eq!(mode(&dir.path().join("edge.key")), 0o600);
    let creds = NodeCredentials::load(dir.path(), "edge").expect("load");
    assert_eq!(creds.role, Role::Frontend);
    assert_eq!(fs::read(dir.path().join(CA_CERT_FILE)).expect("ca"), ca);
    assert_eq!(load_admin_token(dir.path()).expect("token"), token);

    // Again: refused, untouched; with Overwrite: a new key in the new role.
    let pem = fs::read(dir.path().join("edge.pem")).expect("pem");
    match issue(dir.path(), "edge", Role::Client, Existing::Refuse) {
        Err(CertsError::AlreadyExists { paths }) => assert_eq!(paths.len(), 2),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(fs::read(dir.path().join("edge.pem")).expect("pem"), pem);
    issue(dir.path(), "edge", Role::Client, Existing::Overwrite).expect("reissue");
    let creds = NodeCredentials::load(dir.path(), "edge").expect("load");
    assert_eq!(creds.role, Role::Client);

    assert!(matches!(
        issue(dir.path(), "no good", Role::Replica, Existing::Refuse),
        Err(CertsError::BadName { .. })
    ));
    let empty = tempfile::tempdir().expect("temp dir");
    match issue(empty.path(), "r1", Role::Replica, Existing::Refuse) {
        Err(CertsError::Missing { path }) => assert_eq!(path, empty.path().join(CA_CERT_FILE)),
        other => panic!("expected Missing ca.pem, got {other:?}"),
    }
}

#[test]
fn each_default_name_gets_its_role_and_init_nodes_takes_others() {
    let dir = tempfile::tempdir().expect("temp dir");
    init(
        dir.path(),
        &["r1", "fe", "client", "tracker"],
        Existing::Refuse,
    )
    .expect("init");
    for (name, role) in [
        ("r1", Role::Replica),
        ("fe", Role::Frontend),
        ("client", Role::Client),
        ("tracker", Role::Tracker),
    ] {
        let creds = NodeCredentials::load(dir.path(), name).expect("load");
        assert_eq!(creds.role, role, "{name}");
        assert_eq!(Role::of_cert(&creds.cert), Some(role));
    }
    let other = tempfile::tempdir().expect("temp dir");
    init_nodes(other.path(), &[("edge", Role::Tracker)], Existing::Refuse).expect("init");
    let creds = NodeCredentials::load(other.path(), "edge").expect("load");
    assert_eq!(creds.role, Role::Tracker);
}

#[test]
fn default_roles_follow_the_naming_convention() {
    for (name, role) in [
        ("tracker", Role::Tracker),
        ("client", Role::Client),
        ("client-7", Role::Client),
        ("fe", Role::Frontend),
        ("fe2", Role::Frontend),
        ("fe-east", Role::Frontend),
        ("frontend", Role::Frontend),
        ("r1", Role::Replica),
        ("federation", Role::Replica),
        ("clients", Role::Replica),
        ("trackers", Role::Replica),
    ] {
        assert_eq!(Role::default_for(name), role, "{name}");
    }
    for role in Role::ALL {
        assert_eq!(role.as_str().parse::<Role>(), Ok(role));
    }
    let err = "admin".parse::<Role>().unwrap_err();
    assert!(
        err.to_string()
            .contains("replica, frontend, client or tracker")
    );
}

#[test]
fn a_copied_or_renamed_certificate_or_one_in_the_wrong_role_does_not_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    init(dir.path(), &["r1", "client"], Existing::Refuse).expect("init");
    // client's pair, renamed to r9: it still says "client".
    fs::copy(dir.path().join("client.pem"), dir.path().join("r9.pem")).expect("copy");
    fs::copy(dir.path().join("client.key"), dir.path().join("r9.key")).expect("copy");
    match NodeCredentials::load(dir.path(), "r9") {
        Err(e @ CertsError::WrongName { .. }) => {
            assert!(e.to_string().contains("\"client\""), "{e}")
        }
        other => panic!("expected WrongName, got {other:?}"),
    }
    match NodeCredentials::load_as(dir.path(), "client", Role::Replica) {
        Err(e @ CertsError::WrongRole { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("client certificate") && text.contains("as a replica"),
                "{text}"
            );
        }
        other => panic!("expected WrongRole, got {other:?}"),
    }
}

#[test]
fn a_certificate_without_a_role_does_not_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    init(dir.path(), &["r1"], Existing::Refuse).expect("init");
    // What an older hearsay made: the same CA, no role URI.
    let ca = generate::Ca::load(dir.path()).expect("ca");
    let old = ca.issue_without_role("r1").expect("issue");
    fs::write(dir.path().join("r1.pem"), old.cert_pem).expect("write");
    fs::write(dir.path().join("r1.key"), old.key_pem).expect("write");
    match NodeCredentials::load(dir.path(), "r1") {
        Err(e @ CertsError::NoRole { .. }) => {
            assert!(e.to_string().contains("carries no hearsay role"), "{e}")
        }
        other => panic!("expected NoRole, got {other:?}"),
    }
}

#[test]
fn a_certificate_issued_in_memory_names_the_node_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let none: [(&str, Role); 0] = [];
    init_nodes(dir.path(), &none, Existing::Refuse).unwrap();
    let before = std::fs::read_dir(dir.path()).unwrap().count();
    let creds = issue_in_memory(dir.path(), "peer-127-0-0-1-7000", Role::Replica).unwrap();
    assert_eq!(creds.name, "peer-127-0-0-1-7000");
    assert_eq!(creds.role, Role::Replica);
    assert_eq!(Role::of_cert(&creds.cert), Some(Role::Replica));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), before);
    let no_key = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join(CA_CERT_FILE),
        no_key.path().join(CA_CERT_FILE),
    )
    .unwrap();
    assert!(matches!(
        issue_in_memory(no_key.path(), "p", Role::Replica),
        Err(CertsError::NoCaKey { .. })
    ));
    assert!(issue_in_memory(dir.path(), "bad name", Role::Replica).is_err());
}
