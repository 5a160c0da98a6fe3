use super::*;

fn step(raw: &[u8]) -> Step {
    check(raw, &ServeConfig::default())
}

fn rejected(raw: &[u8]) -> Rejection {
    match step(raw) {
        Step::Reject(r) => r,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(raw)),
    }
}

#[test]
fn a_plain_request_is_accepted_and_a_partial_one_waits() {
    assert_eq!(
        step(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
        Step::Done
    );
    assert_eq!(
        step(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"),
        Step::NeedMore
    );
    assert_eq!(step(b""), Step::NeedMore);
    let post = b"POST /v1/peers HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
    assert_eq!(step(post), Step::Done);
    let chunked = b"POST /v1/peers HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_eq!(step(chunked), Step::Done);
}

#[test]
fn long_request_lines_and_heads_are_refused_before_they_end() {
    let mut long = b"GET /".to_vec();
    long.extend(std::iter::repeat_n(b'a', 9000));
    assert_eq!(rejected(&long).status, StatusCode::URI_TOO_LONG);
    let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 17 * 1024));
    assert_eq!(
        rejected(&big).status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let mut many = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..65 {
        many.extend(format!("X-{i}: y\r\n").as_bytes());
    }
    many.extend(b"\r\n");
    let r = rejected(&many);
    assert_eq!(r.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert!(r.message.contains("64 header fields"), "{r:?}");
}

#[test]
fn bytes_that_are_not_http_are_a_bad_request() {
    for raw in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..],
        b"GET /\x00 HTTP/1.1\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
        b"GET /\xff HTTP/1.1\r\n\r\n",
        b"GET http://[::1 HTTP/1.1\r\n\r\n",
    ] {
        assert_eq!(
            rejected(raw).status,
            StatusCode::BAD_REQUEST,
            "{:?}",
            String::from_utf8_lossy(raw)
        );
    }
}

#[test]
fn ambiguous_body_framing_is_refused() {
    let cases: [&[u8]; 7] = [
        b"POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    ];
    for raw in cases {
        assert_eq!(
            rejected(raw).status,
            StatusCode::BAD_REQUEST,
            "{:?}",
            String::from_utf8_lossy(raw)
        );
    }
    let two_hosts = b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
    assert_eq!(rejected(two_hosts).status, StatusCode::BAD_REQUEST);
}
