//! Making, refusing to overwrite, completing and loading certificate sets.

use std::fs;
use std::path::Path;

use super::*;

fn names() -> Vec<String> {
    vec!["r1".into(), "fe".into()]
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
    assert!(ensure_dev_certs(dir.path(), &names()).expect("first"));
    let ca = fs::read(dir.path().join(CA_CERT_FILE)).expect("ca");
    let r1 = fs::read(dir.path().join("r1.pem")).expect("r1");
    let token = load_admin_token(dir.path()).expect("token");
    assert!(!ensure_dev_certs(dir.path(), &names()).expect("second"));

    // A new node: signed by the CA already there, nothing else touched.
    assert!(ensure_dev_certs(dir.path(), &["r1", "r2"]).expect("add r2"));
    assert!(dir.path().join("r2.pem").exists() && dir.path().join("r2.key").exists());
    assert_eq!(fs::read(dir.path().join(CA_CERT_FILE)).expect("ca"), ca);
    assert_eq!(fs::read(dir.path().join("r1.pem")).expect("r1"), r1);
    assert_eq!(load_admin_token(dir.path()).expect("token"), token);

    // A lost token is remade, alone.
    fs::remove_file(dir.path().join(ADMIN_TOKEN_FILE)).expect("rm token");
    assert!(ensure_dev_certs(dir.path(), &["r1"]).expect("token again"));
    assert_ne!(load_admin_token(dir.path()).expect("token"), token);
    assert_eq!(fs::read(dir.path().join(CA_CERT_FILE)).expect("ca"), ca);
}

#[test]
fn ensure_dev_certs_refuses_half_a_ca_and_a_foreign_one() {
    let a = tempfile::tempdir().expect("temp dir");
    let b = tempfile::tempdir().expect("temp dir");
    init(a.path(), &["r1"], Existing::Refuse).expect("init a");
    init(b.path(), &["r1"], Existing::Refuse).expect("init b");

    fs::remove_file(a.path().join(CA_KEY_FILE)).expect("rm key");
    match ensure_dev_certs(a.path(), &["r2"]) {
        Err(CertsError::IncompleteCa { missing }) => {
            assert_eq!(missing, a.path().join(CA_KEY_FILE))
        }
        other => panic!("expected IncompleteCa, got {other:?}"),
    }

    // b's key with a's certificate: signing would make certificates nobody trusts.
    fs::copy(a.path().join(CA_CERT_FILE), b.path().join(CA_CERT_FILE)).expect("copy");
    match ensure_dev_certs(b.path(), &["r2"]) {
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
