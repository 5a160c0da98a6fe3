//! A peer's name, made from its address.
//!
//! Peers are named after where they listen (`peer-127-0-0-1-7000`), so a
//! peer that knows only an address (`--join HOST:PORT`) also knows the name
//! the certificate there must carry, and the sorted peer list is sorted by
//! address-derived names. The name is a valid node name for certificates
//! (letters, digits and `-`, one DNS label) and a valid replica id.

use std::net::{IpAddr, SocketAddr};

use hearsay_core::ReplicaId;

/// The name of the peer listening at `addr`.
pub fn peer_name(addr: SocketAddr) -> ReplicaId {
    let host = match addr.ip() {
        IpAddr::V4(ip) => ip.octets().map(|o| o.to_string()).join("-"),
        IpAddr::V6(ip) => format!("v6-{}", ip.segments().map(|s| format!("{s:x}")).join("-")),
    };
    // Digits, letters and '-' only, at most 53 bytes: always a valid id.
    ReplicaId::new(format!("peer-{host}-{}", addr.port()))
        .expect("address-derived names hold only letters, digits and '-'")
}

#[cfg(test)]
mod tests {
    use hearsay_transport::certs::check_node_name;

    use super::*;

    #[test]
    fn names_are_valid_certificate_names_for_v4_and_v6() {
        let v4 = peer_name("127.0.0.1:40123".parse().unwrap());
        assert_eq!(v4.as_str(), "peer-127-0-0-1-40123");
        let v6 = peer_name(
            "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            v6.as_str(),
            "peer-v6-ffff-ffff-ffff-ffff-ffff-ffff-ffff-ffff-65535"
        );
        for name in [v4, v6, peer_name("[::1]:1".parse().unwrap())] {
            check_node_name(name.as_str()).expect("a certificate can carry it");
        }
    }
}
