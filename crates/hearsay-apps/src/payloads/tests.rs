use hearsay_core::conformance::check_convergence;

use super::*;

fn apply(app: &mut Payloads, update: &PayloadUpdate) {
    hearsay_core::testing::apply_first(app, update);
}

const HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

#[test]
fn ids_are_the_sha256_of_the_bytes() {
    // Known vectors: SHA-256 of "hello" and of the empty string.
    assert_eq!(PayloadId::of(b"hello").to_string(), HELLO);
    assert_eq!(
        PayloadId::of(b"").to_string(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(HELLO.parse::<PayloadId>(), Ok(PayloadId::of(b"hello")));
}

#[test]
fn bad_ids_are_refused_with_a_reason() {
    for bad in [
        "",
        "abc",
        &HELLO.to_uppercase(),
        &format!("{HELLO}0"),
        &HELLO.replace('2', "g"),
    ] {
        let err = bad.parse::<PayloadId>().unwrap_err();
        assert!(err.to_string().contains("64 lowercase hex"), "{err}");
    }
}

fn put(p: &str) -> PayloadUpdate {
    PayloadUpdate::Put { payload: p.into() }
}

#[test]
fn claims_are_true_only_for_a_stored_id_with_its_content() {
    let mut app = Payloads::new();
    apply(&mut app, &put("hello"));
    let id = PayloadId::of(b"hello");
    assert!(app.verify(&id, "hello"));
    assert!(!app.verify(&id, "hellO"), "tampered content");
    assert!(!app.verify(&PayloadId::of(b"other"), "other"), "unknown id");
    assert_eq!(
        app.query(&PayloadQuery::Verify {
            id,
            content: "hello".into()
        }),
        PayloadReply::Verdict(true)
    );
    assert_eq!(
        app.query(&PayloadQuery::Get { id }),
        PayloadReply::Payload(Some("hello".into()))
    );
}

#[test]
fn putting_twice_keeps_one_entry() {
    let mut app = Payloads::new();
    apply(&mut app, &put("a"));
    apply(&mut app, &put("a"));
    apply(&mut app, &put("b"));
    assert_eq!(app.len(), 2);
    assert_eq!(app.query(&PayloadQuery::Count), PayloadReply::Count(2));
    assert_eq!(app.nth(3).map(|(_, p)| p), app.nth(1).map(|(_, p)| p));
}

#[test]
fn validate_refuses_empty_and_oversize_payloads() {
    assert!(Payloads::validate(&put("")).is_err());
    assert!(Payloads::validate(&put(&"x".repeat(MAX_PAYLOAD_BYTES + 1))).is_err());
    assert!(Payloads::validate(&put(&"x".repeat(MAX_PAYLOAD_BYTES))).is_ok());
}

#[test]
fn concurrent_puts_commute() {
    let updates = [put("a"), put("b"), put("a"), put("c"), put("d"), put("b")];
    for seed in 0..20 {
        if let Err(e) = check_convergence(&Payloads::new(), &updates, 8, seed) {
            panic!("{e}");
        }
    }
}
