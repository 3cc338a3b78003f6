//! Tokens Gatehouse issued (access and widget security tokens): header screening, kid
//! lookup, signature and claim validation against the fixed key ring.
//! Input: mode byte, then either a raw token (mode even) or `header \0 payload` JSON
//! that the target signs with the ring's current key (mode odd; numeric `exp`, `iat`,
//! `nbf` are offsets from now), so claim checks are reached past the signature.
#![no_main]

use gatehouse::credentials::jwt::{
    AUD_API, AUD_WIDGET, Expect, ISSUED_LEEWAY_SECS, MAX_TOKEN_LEN, read_header, verify_issued,
};
use gatehouse_fuzz::{ISSUER, loaded_ring, parts, shift_times, sign_jws};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let ring = loaded_ring();
    let now = gatehouse::primitives::time::now_epoch();
    let token = if mode % 2 == 0 {
        match std::str::from_utf8(rest) {
            Ok(t) => t.to_owned(),
            Err(_) => return,
        }
    } else {
        let p = parts(rest, 2);
        sign_jws(
            p[0],
            &shift_times(p[1], now),
            &ring.signer,
            ring.signer_alg.jwt(),
        )
    };
    let Ok(header) = read_header(&token) else {
        return;
    };
    assert!(token.len() <= MAX_TOKEN_LEN && token.split('.').count() == 3);
    let Some(key) = header.kid.as_deref().and_then(|k| ring.verifiers.get(k)) else {
        return;
    };
    let expect = Expect {
        issuer: ISSUER,
        audiences: &[AUD_API, AUD_WIDGET],
        now,
    };
    if let Ok(c) = verify_issued(&token, &header, key, &expect) {
        assert_eq!(header.alg, key.alg.as_str(), "algorithm pinned to the key");
        assert_eq!(c.iss, ISSUER);
        assert!(c.aud == AUD_API || c.aud == AUD_WIDGET, "aud {}", c.aud);
        assert!(c.exp > now, "expired token accepted");
        assert!(
            c.iat <= now + ISSUED_LEEWAY_SECS as i64,
            "future iat accepted"
        );
    }
});
