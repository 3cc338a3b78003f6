//! Test helpers: provider keys, their JWKS entries and signed id_tokens.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::credentials::keys::{KeyRing, LoadedRing, SigningAlg};
use crate::primitives::crypto::b64url;

pub(crate) const ISSUER: &str = "https://idp.example.com";
pub(crate) const CLIENT_ID: &str = "gatehouse-client";
pub(crate) const NONCE: &str = "the-nonce";
pub(crate) const NOW: i64 = 1_800_000_000;

/// A provider signing key and its public JWK.
pub(crate) struct TestKey {
    pub(crate) signer: EncodingKey,
    pub(crate) jwk: Value,
}

/// A fresh RSA-2048 (`es256` false) or P-256 key published under `kid`.
pub(crate) fn key(es256: bool, kid: &str) -> TestKey {
    let alg = if es256 {
        SigningAlg::ES256
    } else {
        SigningAlg::RS256
    };
    let ring = LoadedRing::load(&KeyRing::create(alg, 0).unwrap()).unwrap();
    let jwk = ring
        .jwks
        .keys
        .iter()
        .find(|k| k.kid == ring.signer_kid)
        .unwrap();
    let mut jwk = serde_json::to_value(jwk).unwrap();
    jwk["kid"] = json!(kid);
    // Published without `alg` (most providers): any allowed algorithm of its family.
    jwk.as_object_mut().unwrap().remove("alg");
    TestKey {
        signer: ring.signer,
        jwk,
    }
}

/// Good claims for [`ISSUER`], [`CLIENT_ID`] and [`NONCE`] at [`NOW`].
pub(crate) fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "user-123",
        "nonce": NONCE,
        "iat": NOW - 5,
        "exp": NOW + 300,
        "email": "ada@example.com",
        "email_verified": true,
    })
}

/// `claims` signed by `key` with `alg`, its header naming `kid`.
pub(crate) fn sign(key: &TestKey, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key.signer).unwrap()
}

/// A token with `header` and `claims` and a junk signature (`alg: none` and the like).
pub(crate) fn unsigned(header: &Value, claims: &Value) -> String {
    let part = |v: &Value| b64url(v.to_string().as_bytes());
    format!("{}.{}.{}", part(header), part(claims), b64url(b"sig"))
}
