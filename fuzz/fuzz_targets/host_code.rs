//! Authorization codes signed by the host site, verified against its JWKS: JWKS
//! documents (a set or a single JWK) parsed key by key, then the code through the
//! cached `HostJwks` (kid lookup, refetch, no-kid fallback) and `verify_code`.
//! Input: mode byte, then `jwks \0 code` (mode bit 0 clear) or `jwks \0 header \0
//! payload` signed with the host key by the target (bit 0 set; numeric `exp`, `iat`,
//! `nbf` are offsets from now). An empty jwks is the host's real one. Mode bit 1
//! configures an issuer and audience; bit 2 requires the code `typ` (as
//! `CODE_REQUIRE_AUDIENCE` does).
#![no_main]

use std::time::Duration;

use gatehouse::credentials::codes::{
    CODE_TYP, CodeRules, HostJwks, JwksFetch, parse_jwks, verify_code,
};
use gatehouse::error::{Error, Result};
use gatehouse_fuzz::{host_jwks, host_ring, parts, runtime, shift_times, sign_jws};
use jsonwebtoken::Algorithm;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

struct Doc(Option<Value>);

impl JwksFetch for Doc {
    async fn fetch(&self, _url: &str) -> Result<Value> {
        self.0
            .clone()
            .ok_or_else(|| Error::Internal("host returned garbage".into()))
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let now = gatehouse::primitives::time::now_epoch();
    let p = parts(rest, 3);
    let doc = if p[0].is_empty() {
        Some(host_jwks())
    } else {
        serde_json::from_slice::<Value>(p[0]).ok()
    };
    let code = if mode & 1 == 0 {
        // Raw code: the rest after the jwks (a code never contains \0).
        let raw = &rest[(p[0].len() + 1).min(rest.len())..];
        match std::str::from_utf8(raw) {
            Ok(c) => c.to_owned(),
            Err(_) => return,
        }
    } else {
        sign_jws(
            p[1],
            &shift_times(p[2], now),
            &host_ring().signer,
            Algorithm::RS256,
        )
    };
    let rules = CodeRules {
        max_lifetime_secs: 120,
        leeway_secs: 30,
        issuer: (mode & 2 != 0).then(|| "https://host.example".to_owned()),
        audience: (mode & 2 != 0).then(|| "gatehouse".to_owned()),
        require_typ: mode & 4 != 0,
    };
    let typ = gatehouse::credentials::jwt::read_jose_header(&code)
        .ok()
        .and_then(|h| h.typ)
        .map(|t| t.to_ascii_lowercase());
    let check = |c: &gatehouse::credentials::codes::CodeClaims| {
        assert!(
            c.exp <= now + rules.max_lifetime_secs,
            "code lives too long"
        );
        assert!(
            c.exp >= now - rules.leeway_secs as i64 - 1,
            "expired code accepted"
        );
        assert!(
            c.iat.is_none_or(|i| i <= now + rules.leeway_secs as i64),
            "future iat"
        );
        assert!(
            c.nbf
                .is_none_or(|n| n <= now + rules.leeway_secs as i64 + 1),
            "nbf ignored"
        );
        if let Some(iss) = &rules.issuer {
            assert_eq!(c.iss.as_ref(), Some(iss));
        }
        if rules.require_typ {
            assert!(
                typ.as_deref()
                    .is_some_and(|t| t.trim_start_matches("application/") == CODE_TYP),
                "untyped code accepted"
            );
        }
    };
    if let Some(d) = &doc {
        let keys = parse_jwks(d);
        if let Ok(c) = verify_code(&code, &keys, &rules, now) {
            check(&c);
        }
    }
    let jwks = HostJwks::new(
        Doc(doc),
        "https://host.example/jwks",
        Duration::from_secs(300),
        Duration::ZERO,
    );
    if let Ok(Ok(c)) = runtime().block_on(jwks.verify(&code, &rules, now)) {
        check(&c);
    }
});
