//! Payload ids (lowercase hex SHA-256, with ring) and random payloads.

use crate::error::ApiError;

/// The lowercase hex SHA-256 of `bytes`: a payload's id.
pub fn payload_id(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    hex(digest.as_ref())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// `n` fresh random payloads: `random-` and 32 hex digits each.
pub(crate) fn random_payloads(n: u32) -> Result<Vec<String>, ApiError> {
    use ring::rand::{SecureRandom, SystemRandom};
    let rng = SystemRandom::new();
    let mut bytes = vec![0u8; 16 * n as usize];
    rng.fill(&mut bytes)
        .map_err(|_| ApiError::Unavailable("the system's random generator failed".into()))?;
    Ok(bytes
        .chunks(16)
        .map(|c| format!("random-{}", hex(c)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_ids_are_sha256_hex() {
        assert_eq!(
            payload_id(b"hello"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(
            payload_id(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn random_payloads_differ() {
        let p = random_payloads(3).unwrap();
        assert_eq!(p.len(), 3);
        assert_ne!(p[0], p[1]);
        assert!(p.iter().all(|s| s.len() == "random-".len() + 32));
    }
}
