//! Small cryptographic helpers over `aws-lc-rs`: CSPRNG, SHA-256, constant-time comparison.

use aws_lc_rs::{constant_time, digest, hmac, rand};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` characters drawn uniformly from the base62 alphabet with the system CSPRNG
/// (rejection sampling, so there is no modulo bias).
pub fn random_base62(n: usize) -> String {
    let rng = rand::SystemRandom::new();
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        #[allow(clippy::expect_used, reason = "see random_bytes")]
        rand::SecureRandom::fill(&rng, &mut buf).expect("system CSPRNG unavailable");
        for b in buf {
            // 248 = 4 * 62: bytes at or above it would bias the draw.
            if b < 248 && out.len() < n {
                out.push(BASE62[(b % 62) as usize] as char);
            }
        }
    }
    out
}

/// `n` random bytes from the system CSPRNG.
#[allow(
    clippy::expect_used,
    reason = "without the OS CSPRNG no secret can be made; stopping beats a guessable value"
)]
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    rand::SecureRandom::fill(&rand::SystemRandom::new(), &mut buf)
        .expect("system CSPRNG unavailable");
    buf
}

/// SHA-256 of `data`, lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

/// SHA-256 of `data`, raw.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

/// HMAC-SHA256 of `msg` under `key`.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Unpadded base64url (RFC 4648 section 5).
pub fn b64url(data: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, data)
}

/// Constant-time equality of two byte strings (length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Whether `s` consists only of base62 characters.
pub(crate) fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Random identifier for `jti`, session ids and the like (256 bits, base64url).
pub fn random_id() -> String {
    b64url(&random_bytes(32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_has_requested_length_and_alphabet() {
        for n in [0, 1, 16, 43, 200] {
            let s = random_base62(n);
            assert_eq!(s.len(), n);
            assert!(is_base62(&s));
        }
        assert_ne!(random_base62(43), random_base62(43));
    }

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// RFC 4231 test case 2 and the SHA-256 vector, raw.
    #[test]
    fn hmac_and_raw_sha256_match_known_vectors() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(hex::encode(sha256(b"abc")), sha256_hex(b"abc"));
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn ct_eq_compares_content_and_length() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }
}
