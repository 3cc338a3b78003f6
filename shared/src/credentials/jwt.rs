//! JWTs issued by Gatehouse (access tokens, widget security tokens): issue with the
//! ring's current key, verify strictly: algorithm pinned to the key's own, `kid`
//! required, `crit` refused, `exp`/`iat`/`iss`/`aud`/`sub` required, `nbf` honoured.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::authz::DenyReason;
use crate::credentials::keys::{LoadedRing, VerifyKey};
use crate::error::{Error, Result};
use crate::primitives::crypto::random_id;

/// Audience of access tokens (`/token`).
pub const AUD_API: &str = "api";
/// Audience of widget security tokens (`/widget/login/token`).
pub const AUD_WIDGET: &str = "widget";
/// Longest token accepted anywhere (bytes).
pub const MAX_TOKEN_LEN: usize = 8192;
/// Clock leeway for tokens Gatehouse issued itself (its own clocks are synchronized).
pub const ISSUED_LEEWAY_SECS: u64 = 5;

/// Claims of every token Gatehouse issues. Widget-only claims are optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_permissions: Option<Value>,
}

impl Claims {
    /// Minimal claims for a token of `aud` valid `ttl_secs` from `now`.
    pub fn new(iss: &str, aud: &str, sub: &str, scope: &str, now: i64, ttl_secs: i64) -> Claims {
        Claims {
            iss: iss.to_owned(),
            aud: aud.to_owned(),
            sub: sub.to_owned(),
            iat: now,
            exp: now + ttl_secs,
            jti: random_id(),
            scope: scope.to_owned(),
            client_id: None,
            app_id: None,
            org_id: None,
            dashboard_id: None,
            origins: None,
            permissions: None,
            asset_permissions: None,
        }
    }
}

/// Signs `claims` with the ring's current key (`kid` in the header).
pub fn issue(ring: &LoadedRing, claims: &Claims) -> Result<String> {
    let mut header = Header::new(ring.signer_alg.jwt());
    header.kid = Some(ring.signer_kid.clone());
    header.typ = Some("JWT".into());
    jsonwebtoken::encode(&header, claims, &ring.signer)
        .map_err(|e| Error::Internal(format!("signing failed: {e}")))
}

/// The parts of a JOSE header Gatehouse looks at, read before any key is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHeader {
    pub alg: String,
    pub kid: Option<String>,
    /// `typ`, when present (a string).
    pub typ: Option<String>,
}

/// Whether `typ` names a plain JWT (`JWT` or `at+jwt`, any case).
pub(crate) fn is_jwt_typ(typ: &str) -> bool {
    typ.eq_ignore_ascii_case("JWT") || typ.eq_ignore_ascii_case("at+jwt")
}

/// Reads and screens the header: three segments, a JSON object, `alg` a string,
/// no `crit` (no extension is understood), `typ` if present `JWT`, `kid` a string.
pub fn read_header(token: &str) -> std::result::Result<TokenHeader, DenyReason> {
    let header = read_jose_header(token)?;
    if !header.typ.as_deref().is_none_or(is_jwt_typ) {
        return Err(DenyReason::InvalidToken);
    }
    Ok(header)
}

/// [`read_header`] without the `typ` rule (a string when present): for callers with a
/// `typ` rule of their own (host codes).
pub fn read_jose_header(token: &str) -> std::result::Result<TokenHeader, DenyReason> {
    if token.len() > MAX_TOKEN_LEN || token.split('.').count() != 3 {
        return Err(DenyReason::MalformedCredential);
    }
    let segment = token.split('.').next().unwrap_or("");
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| DenyReason::MalformedCredential)?;
    let header: serde_json::Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| DenyReason::MalformedCredential)?;
    if header.contains_key("crit") {
        return Err(DenyReason::InvalidToken);
    }
    let typ = match header.get("typ") {
        None => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(_) => return Err(DenyReason::InvalidToken),
    };
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(DenyReason::MalformedCredential)?
        .to_owned();
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(DenyReason::MalformedCredential),
    };
    Ok(TokenHeader { alg, kid, typ })
}

/// What a verified issued token must be.
pub struct Expect<'a> {
    pub issuer: &'a str,
    /// Accepted audiences (`aud` must be one of them).
    pub audiences: &'a [&'a str],
    pub now: i64,
}

/// Verifies a token issued by Gatehouse with `key` (found by the header's `kid`).
pub fn verify_issued(
    token: &str,
    header: &TokenHeader,
    key: &VerifyKey,
    expect: &Expect<'_>,
) -> std::result::Result<Claims, DenyReason> {
    // The algorithm is the key's own, whatever the header claims.
    if header.alg != key.alg.as_str() {
        return Err(DenyReason::InvalidToken);
    }
    let mut v = Validation::new(key.alg.jwt());
    v.algorithms = vec![key.alg.jwt()];
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    v.leeway = ISSUED_LEEWAY_SECS;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.set_issuer(&[expect.issuer]);
    v.set_audience(expect.audiences);
    let data = jsonwebtoken::decode::<Claims>(token, &key.key, &v).map_err(|e| deny_reason(&e))?;
    let c = data.claims;
    if c.exp <= expect.now {
        return Err(DenyReason::Expired);
    }
    if c.iat > expect.now + ISSUED_LEEWAY_SECS as i64 {
        return Err(DenyReason::InvalidToken);
    }
    Ok(c)
}

/// Maps a verification error to a deny reason (never echoing the token).
pub(crate) fn deny_reason(e: &jsonwebtoken::errors::Error) -> DenyReason {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => DenyReason::Expired,
        K::InvalidAudience => DenyReason::WrongAudience,
        K::InvalidToken | K::Base64(_) | K::Json(_) | K::Utf8(_) => DenyReason::MalformedCredential,
        _ => DenyReason::InvalidToken,
    }
}

/// The algorithm named by a header, if Gatehouse knows it.
#[cfg(test)]
pub(crate) fn header_alg(h: &TokenHeader) -> Option<jsonwebtoken::Algorithm> {
    match h.alg.as_str() {
        "RS256" => Some(jsonwebtoken::Algorithm::RS256),
        "ES256" => Some(jsonwebtoken::Algorithm::ES256),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::keys::{KeyRing, LoadedRing, SigningAlg};

    fn ring(alg: SigningAlg) -> LoadedRing {
        LoadedRing::load(&KeyRing::create(alg, 0).unwrap()).unwrap()
    }

    fn check(
        r: &LoadedRing,
        token: &str,
        aud: &str,
        now: i64,
    ) -> std::result::Result<Claims, DenyReason> {
        let h = read_header(token)?;
        let key = r
            .verifiers
            .get(h.kid.as_deref().unwrap_or(""))
            .ok_or(DenyReason::UnknownKey)?;
        verify_issued(
            token,
            &h,
            key,
            &Expect {
                issuer: "https://iss",
                audiences: &[aud],
                now,
            },
        )
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn issued_tokens_verify_for_both_algorithms() {
        for alg in [SigningAlg::RS256, SigningAlg::ES256] {
            let r = ring(alg);
            let now = crate::primitives::time::now_epoch();
            let c = Claims::new("https://iss", AUD_API, "1", "data", now, 900);
            let t = issue(&r, &c).unwrap();
            assert_eq!(check(&r, &t, AUD_API, now).unwrap(), c);
            assert_eq!(
                check(&r, &t, AUD_WIDGET, now),
                Err(DenyReason::WrongAudience)
            );
            assert_eq!(check(&r, &t, AUD_API, now + 900), Err(DenyReason::Expired));
            let h = read_header(&t).unwrap();
            assert_eq!(h.kid.as_deref(), Some(r.signer_kid.as_str()));
            assert_eq!(header_alg(&h), Some(alg.jwt()));
        }
    }

    #[test]
    fn forged_tokens_are_refused() {
        let r = ring(SigningAlg::RS256);
        let now = crate::primitives::time::now_epoch();
        let t = issue(
            &r,
            &Claims::new("https://iss", AUD_API, "1", "data", now, 900),
        )
        .unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let claims = serde_json::json!({"iss":"https://iss","aud":"api","sub":"1","iat":now,"exp":now+900,"jti":"x","scope":"data"});
        let kid = r.signer_kid.clone();
        // alg none, no signature.
        let none = format!(
            "{}.{}.",
            b64(&serde_json::json!({"alg":"none","kid":kid})),
            b64(&claims)
        );
        assert!(check(&r, &none, AUD_API, now).is_err());
        // HS256 "signed" with the public key as secret.
        let hs = format!(
            "{}.{}.{}",
            b64(&serde_json::json!({"alg":"HS256","kid":kid})),
            b64(&claims),
            parts[2]
        );
        assert_eq!(check(&r, &hs, AUD_API, now), Err(DenyReason::InvalidToken));
        // Signature stripped.
        assert!(check(&r, &format!("{}.{}.", parts[0], parts[1]), AUD_API, now).is_err());
        // Payload tampered (scope widened).
        let wider = serde_json::json!({"iss":"https://iss","aud":"api","sub":"1","iat":now,"exp":now+900,"jti":"x","scope":"data client"});
        assert_eq!(
            check(
                &r,
                &format!("{}.{}.{}", parts[0], b64(&wider), parts[2]),
                AUD_API,
                now
            ),
            Err(DenyReason::InvalidToken)
        );
        // crit header.
        let crit = format!(
            "{}.{}.{}",
            b64(&serde_json::json!({"alg":"RS256","kid":kid,"crit":["exp"]})),
            parts[1],
            parts[2]
        );
        assert_eq!(
            check(&r, &crit, AUD_API, now),
            Err(DenyReason::InvalidToken)
        );
        // Unknown kid, garbage.
        let other = ring(SigningAlg::RS256);
        let foreign = issue(
            &other,
            &Claims::new("https://iss", AUD_API, "1", "data", now, 900),
        )
        .unwrap();
        assert_eq!(
            check(&r, &foreign, AUD_API, now),
            Err(DenyReason::UnknownKey)
        );
        for junk in ["", "a.b", "a.b.c", "....", &"x".repeat(MAX_TOKEN_LEN + 1)] {
            assert!(check(&r, junk, AUD_API, now).is_err());
        }
    }

    #[test]
    fn wrong_issuer_and_future_iat_are_refused() {
        let r = ring(SigningAlg::ES256);
        let now = crate::primitives::time::now_epoch();
        let t = issue(
            &r,
            &Claims::new("https://other", AUD_API, "1", "data", now, 900),
        )
        .unwrap();
        assert_eq!(check(&r, &t, AUD_API, now), Err(DenyReason::InvalidToken));
        let mut c = Claims::new("https://iss", AUD_API, "1", "data", now, 900);
        c.iat = now + 60;
        let t = issue(&r, &c).unwrap();
        assert_eq!(check(&r, &t, AUD_API, now), Err(DenyReason::InvalidToken));
    }
}
