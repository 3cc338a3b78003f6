//! The provider's keys and its id_token (OpenID Connect Core 3.1.3.7). The keys come
//! from its JWKS, parsed key by key (a bad key is skipped, never fatal); the token is
//! checked with the algorithm pinned to the provider's allow list whatever its header
//! says, and every claim judged here at `now`, not by the library's defaults.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::credentials::jwt::read_jose_header;
use crate::primitives::crypto;

/// The id_token algorithms the relying party can verify.
pub const SUPPORTED_ALGS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
];

/// Clock skew allowed on `exp`, `iat` and `nbf`.
pub const LEEWAY_SECS: i64 = 60;

/// The longest `sub` accepted.
const MAX_SUB: usize = 255;

/// The smallest RSA modulus accepted.
const MIN_RSA_BITS: usize = 2048;

/// The two key families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    Rsa,
    /// P-256 only.
    Ec,
}

/// A usable provider key.
#[derive(Clone)]
pub struct OidcKey {
    pub kid: Option<String>,
    pub family: KeyFamily,
    /// The key's own `alg`, when it names one (then only that algorithm uses it).
    pub alg: Option<Algorithm>,
    key: DecodingKey,
}

impl std::fmt::Debug for OidcKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcKey")
            .field("kid", &self.kid)
            .field("family", &self.family)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl OidcKey {
    /// Whether this key may check a token signed with `alg`.
    fn fits(&self, alg: Algorithm) -> bool {
        family_of(alg) == Some(self.family) && self.alg.is_none_or(|a| a == alg)
    }

    /// Whether some algorithm of `allowed` may use this key.
    pub fn usable_with(&self, allowed: &[String]) -> bool {
        allowed
            .iter()
            .filter_map(|a| supported(a))
            .any(|a| self.fits(a))
    }
}

/// `alg` when the relying party supports it (never `none`, never HS*).
pub fn supported(alg: &str) -> Option<Algorithm> {
    if !SUPPORTED_ALGS.contains(&alg) {
        return None;
    }
    alg.parse().ok()
}

fn family_of(alg: Algorithm) -> Option<KeyFamily> {
    use Algorithm::*;
    match alg {
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => Some(KeyFamily::Rsa),
        ES256 => Some(KeyFamily::Ec),
        _ => None,
    }
}

/// Parses a provider JWKS (`{"keys": [...]}`) key by key; unusable keys are skipped.
pub fn parse_oidc_jwks(doc: &Value) -> Vec<OidcKey> {
    match doc.get("keys") {
        Some(Value::Array(keys)) => keys.iter().filter_map(parse_key).collect(),
        _ => Vec::new(),
    }
}

fn parse_key(jwk: &Value) -> Option<OidcKey> {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str);
    let use_ok = match jwk.get("use") {
        None => true,
        Some(u) => u == "sig",
    };
    let ops_ok = jwk.get("key_ops").is_none_or(|ops| {
        ops.as_array()
            .is_some_and(|o| o.iter().any(|x| x == "verify"))
    });
    if !use_ok || !ops_ok {
        return None;
    }
    let alg = match jwk.get("alg") {
        None => None,
        Some(a) => Some(supported(a.as_str()?)?),
    };
    let kid = match jwk.get("kid") {
        None => None,
        Some(k) => Some(k.as_str()?.to_owned()),
    };
    let (family, key) = match s("kty")? {
        "RSA" => (KeyFamily::Rsa, rsa_key(s("n")?, s("e")?)?),
        "EC" if s("crv")? == "P-256" => (KeyFamily::Ec, ec_key(s("x")?, s("y")?)?),
        _ => return None,
    };
    if alg.is_some_and(|a| family_of(a) != Some(family)) {
        return None;
    }
    Some(OidcKey {
        kid,
        family,
        alg,
        key,
    })
}

/// An RSA key of at least 2048 bits.
fn rsa_key(n: &str, e: &str) -> Option<DecodingKey> {
    let modulus = URL_SAFE_NO_PAD.decode(n).ok()?;
    let first = modulus.iter().position(|b| *b != 0)?;
    let bits = (modulus.len() - first) * 8 - modulus[first].leading_zeros() as usize;
    let exponent = URL_SAFE_NO_PAD.decode(e).ok()?;
    if bits < MIN_RSA_BITS || exponent.is_empty() || exponent.len() > 8 {
        return None;
    }
    DecodingKey::from_rsa_components(n, e).ok()
}

/// A P-256 key: both coordinates 32 bytes.
fn ec_key(x: &str, y: &str) -> Option<DecodingKey> {
    let len = |c: &str| URL_SAFE_NO_PAD.decode(c).ok().map(|b| b.len());
    if len(x)? != 32 || len(y)? != 32 {
        return None;
    }
    DecodingKey::from_ec_components(x, y).ok()
}

/// What the token must say.
#[derive(Debug, Clone, Copy)]
pub struct Expectation<'a> {
    /// The provider's issuer, compared exactly.
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The provider's allow list (`allowed_algs`).
    pub allowed_algs: &'a [String],
    /// The nonce sent with the authorization request.
    pub nonce: &'a SecretString,
}

/// The verified identity.
#[derive(Debug, Clone, PartialEq)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub email: Option<String>,
    /// True only when the claim is JSON `true`.
    pub email_verified: bool,
    /// Every claim, for the claim map.
    pub claims: Map<String, Value>,
}

/// Why an id_token is refused (logged at warn; the browser sees `invalid_id_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenError {
    UnknownKid,
    BadAlg,
    BadSignature,
    BadIss,
    BadAud,
    BadAzp,
    Expired,
    IatFuture,
    NotYetValid,
    NonceMismatch,
    NoSub,
    Malformed,
}

impl IdTokenError {
    pub fn as_str(self) -> &'static str {
        match self {
            IdTokenError::UnknownKid => "unknown_kid",
            IdTokenError::BadAlg => "bad_alg",
            IdTokenError::BadSignature => "bad_signature",
            IdTokenError::BadIss => "bad_iss",
            IdTokenError::BadAud => "bad_aud",
            IdTokenError::BadAzp => "bad_azp",
            IdTokenError::Expired => "expired",
            IdTokenError::IatFuture => "iat_future",
            IdTokenError::NotYetValid => "not_yet_valid",
            IdTokenError::NonceMismatch => "nonce_mismatch",
            IdTokenError::NoSub => "no_sub",
            IdTokenError::Malformed => "malformed",
        }
    }
}

impl std::fmt::Display for IdTokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for IdTokenError {}

/// Verifies `token` against `keys` at `now`: the header's algorithm must be supported
/// and allowed (checked before any key is looked at), the key chosen by `kid` and
/// family, then the signature and every claim.
pub fn verify_id_token(
    token: &str,
    keys: &[OidcKey],
    expect: &Expectation<'_>,
    now: i64,
) -> Result<IdClaims, IdTokenError> {
    let header = read_jose_header(token).map_err(|_| IdTokenError::Malformed)?;
    let alg = supported(&header.alg)
        .filter(|_| expect.allowed_algs.contains(&header.alg))
        .ok_or(IdTokenError::BadAlg)?;
    let kid = header.kid.as_deref();
    let candidates: Vec<&OidcKey> = keys
        .iter()
        .filter(|k| k.fits(alg) && (kid.is_none() || k.kid.as_deref() == kid))
        .collect();
    if candidates.is_empty() {
        return Err(IdTokenError::UnknownKid);
    }
    let claims = verify_signature(token, alg, &candidates)?;
    check_claims(claims, expect, now)
}

/// The claims of the first candidate key whose signature holds; nothing is judged yet.
fn verify_signature(
    token: &str,
    alg: Algorithm,
    candidates: &[&OidcKey],
) -> Result<Map<String, Value>, IdTokenError> {
    let mut v = Validation::new(alg);
    v.algorithms = vec![alg];
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.iss = None;
    v.aud = None;
    v.sub = None;
    let mut last = IdTokenError::BadSignature;
    for k in candidates {
        match jsonwebtoken::decode::<Map<String, Value>>(token, &k.key, &v) {
            Ok(data) => return Ok(data.claims),
            Err(e) => last = signature_error(&e),
        }
    }
    Err(last)
}

fn signature_error(e: &jsonwebtoken::errors::Error) -> IdTokenError {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::InvalidToken | K::Base64(_) | K::Json(_) | K::Utf8(_) => IdTokenError::Malformed,
        K::InvalidAlgorithm | K::InvalidAlgorithmName => IdTokenError::BadAlg,
        _ => IdTokenError::BadSignature,
    }
}

/// A NumericDate claim (seconds; a fraction is dropped).
fn numeric(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, IdTokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or(IdTokenError::Malformed),
    }
}

fn check_claims(
    claims: Map<String, Value>,
    expect: &Expectation<'_>,
    now: i64,
) -> Result<IdClaims, IdTokenError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(expect.issuer) {
        return Err(IdTokenError::BadIss);
    }
    check_audience(&claims, expect.client_id)?;
    check_times(&claims, now)?;
    let nonce = text("nonce").ok_or(IdTokenError::NonceMismatch)?;
    if !crypto::ct_eq(nonce.as_bytes(), expect.nonce.expose_secret().as_bytes()) {
        return Err(IdTokenError::NonceMismatch);
    }
    let sub = text("sub")
        .filter(|s| !s.is_empty() && s.len() <= MAX_SUB)
        .ok_or(IdTokenError::NoSub)?
        .to_owned();
    Ok(IdClaims::new(expect.issuer, sub, claims))
}

impl IdClaims {
    /// The claims of a verified id_token from `iss` for `sub`: `email` when it is a
    /// string, `email_verified` only when it is JSON `true`.
    pub fn new(iss: &str, sub: String, claims: Map<String, Value>) -> IdClaims {
        IdClaims {
            iss: iss.to_owned(),
            sub,
            email: claims
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_owned),
            email_verified: claims.get("email_verified") == Some(&Value::Bool(true)),
            claims,
        }
    }
}

/// `aud` (a string or an array of strings) holds the client id; `azp`, required with
/// several audiences, equals it whenever present.
fn check_audience(claims: &Map<String, Value>, client_id: &str) -> Result<(), IdTokenError> {
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|a| a.as_str().ok_or(IdTokenError::BadAud))
            .collect::<Result<_, _>>()?,
        _ => return Err(IdTokenError::BadAud),
    };
    if !audiences.contains(&client_id) {
        return Err(IdTokenError::BadAud);
    }
    match claims.get("azp") {
        None if audiences.len() > 1 => Err(IdTokenError::BadAzp),
        None => Ok(()),
        Some(azp) if azp == client_id => Ok(()),
        Some(_) => Err(IdTokenError::BadAzp),
    }
}

/// `exp` and `iat` required, `nbf` honoured, each with [`LEEWAY_SECS`].
fn check_times(claims: &Map<String, Value>, now: i64) -> Result<(), IdTokenError> {
    let exp = numeric(claims, "exp")?.ok_or(IdTokenError::Malformed)?;
    let iat = numeric(claims, "iat")?.ok_or(IdTokenError::Malformed)?;
    if now >= exp.saturating_add(LEEWAY_SECS) {
        return Err(IdTokenError::Expired);
    }
    if iat > now.saturating_add(LEEWAY_SECS) {
        return Err(IdTokenError::IatFuture);
    }
    if numeric(claims, "nbf")?.is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS)) {
        return Err(IdTokenError::NotYetValid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::oidc::testkit::{self, CLIENT_ID, ISSUER, NONCE, NOW, TestKey};
    use serde_json::json;

    fn allowed() -> Vec<String> {
        vec!["RS256".into(), "ES256".into(), "PS256".into()]
    }

    fn check(token: &str, keys: &[OidcKey]) -> Result<IdClaims, IdTokenError> {
        let nonce = SecretString::from(NONCE);
        let algs = allowed();
        let expect = Expectation {
            issuer: ISSUER,
            client_id: CLIENT_ID,
            allowed_algs: &algs,
            nonce: &nonce,
        };
        verify_id_token(token, keys, &expect, NOW)
    }

    fn keys_of(keys: &[&TestKey]) -> Vec<OidcKey> {
        parse_oidc_jwks(&json!({ "keys": keys.iter().map(|k| &k.jwk).collect::<Vec<_>>() }))
    }

    fn with(f: impl FnOnce(&mut Value)) -> Value {
        let mut c = testkit::claims();
        f(&mut c);
        c
    }

    #[test]
    fn good_tokens_verify_with_rsa_pss_and_ec_keys() {
        let (rsa, ec) = (testkit::key(false, "r"), testkit::key(true, "e"));
        let keys = keys_of(&[&rsa, &ec]);
        assert_eq!(keys.len(), 2);
        let c = testkit::claims();
        for token in [
            testkit::sign(&rsa, Algorithm::RS256, Some("r"), &c),
            testkit::sign(&rsa, Algorithm::PS256, Some("r"), &c),
            testkit::sign(&ec, Algorithm::ES256, Some("e"), &c),
            testkit::sign(&ec, Algorithm::ES256, None, &c),
        ] {
            let got = check(&token, &keys).unwrap();
            assert_eq!((got.iss.as_str(), got.sub.as_str()), (ISSUER, "user-123"));
            assert_eq!(got.email.as_deref(), Some("ada@example.com"));
            assert!(got.email_verified);
        }
        let unverified = with(|c| c["email_verified"] = json!("true"));
        let token = testkit::sign(&rsa, Algorithm::RS256, Some("r"), &unverified);
        assert!(
            !check(&token, &keys).unwrap().email_verified,
            "only JSON true"
        );
    }

    /// `none` and HS256 (signed with what a client secret would be) are refused before
    /// any key is looked at, as is an algorithm outside the provider's list.
    #[test]
    fn the_algorithm_is_pinned_to_the_allow_list() {
        let rsa = testkit::key(false, "r");
        let keys = keys_of(&[&rsa]);
        let c = testkit::claims();
        let none = testkit::unsigned(&json!({"alg": "none", "kid": "r"}), &c);
        let hs = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &c,
            &jsonwebtoken::EncodingKey::from_secret(b"client-secret"),
        )
        .unwrap();
        let rs512 = testkit::sign(&rsa, Algorithm::RS512, Some("r"), &c);
        for t in [&none, &hs, &rs512] {
            assert_eq!(check(t, &keys), Err(IdTokenError::BadAlg));
            assert_eq!(check(t, &[]), Err(IdTokenError::BadAlg), "before any key");
        }
        // An RSA key does not check an ES256 header, and a key's own alg binds it.
        let es = testkit::unsigned(&json!({"alg": "ES256", "kid": "r"}), &c);
        assert_eq!(check(&es, &keys), Err(IdTokenError::UnknownKid));
        let mut pinned = rsa.jwk.clone();
        pinned["alg"] = json!("RS256");
        let pinned = parse_oidc_jwks(&json!({ "keys": [pinned] }));
        let ps = testkit::sign(&rsa, Algorithm::PS256, Some("r"), &c);
        assert_eq!(check(&ps, &pinned), Err(IdTokenError::UnknownKid));
    }

    #[test]
    fn each_claim_rule_has_its_refusal() {
        use IdTokenError::*;
        let rsa = testkit::key(false, "r");
        let keys = keys_of(&[&rsa]);
        let cases: Vec<(Value, IdTokenError)> = vec![
            (
                with(|c| c["iss"] = json!("https://idp.example.com/")),
                BadIss,
            ),
            (
                with(|c| drop(c.as_object_mut().unwrap().remove("iss"))),
                BadIss,
            ),
            (with(|c| c["aud"] = json!("other")), BadAud),
            (with(|c| c["aud"] = json!([])), BadAud),
            (with(|c| c["aud"] = json!([CLIENT_ID, 5])), BadAud),
            (with(|c| c["aud"] = json!([CLIENT_ID, "other"])), BadAzp),
            (with(|c| c["azp"] = json!("other")), BadAzp),
            (with(|c| c["exp"] = json!(NOW - LEEWAY_SECS)), Expired),
            (
                with(|c| drop(c.as_object_mut().unwrap().remove("exp"))),
                Malformed,
            ),
            (
                with(|c| drop(c.as_object_mut().unwrap().remove("iat"))),
                Malformed,
            ),
            (with(|c| c["iat"] = json!(NOW + LEEWAY_SECS + 1)), IatFuture),
            (
                with(|c| c["nbf"] = json!(NOW + LEEWAY_SECS + 1)),
                NotYetValid,
            ),
            (with(|c| c["nonce"] = json!("the-noncE")), NonceMismatch),
            (
                with(|c| drop(c.as_object_mut().unwrap().remove("nonce"))),
                NonceMismatch,
            ),
            (
                with(|c| drop(c.as_object_mut().unwrap().remove("sub"))),
                NoSub,
            ),
            (with(|c| c["sub"] = json!("")), NoSub),
            (with(|c| c["sub"] = json!("x".repeat(256))), NoSub),
        ];
        for (claims, why) in cases {
            let token = testkit::sign(&rsa, Algorithm::RS256, Some("r"), &claims);
            assert_eq!(check(&token, &keys), Err(why), "{claims}");
        }
        for ok in [
            with(|c| c["aud"] = json!([CLIENT_ID, "other"])).tap_azp(),
            with(|c| c["exp"] = json!(NOW - LEEWAY_SECS + 1)),
            with(|c| c["iat"] = json!(NOW + LEEWAY_SECS)),
            with(|c| c["nbf"] = json!(NOW + LEEWAY_SECS)),
            with(|c| c["sub"] = json!("x".repeat(255))),
        ] {
            let token = testkit::sign(&rsa, Algorithm::RS256, Some("r"), &ok);
            assert!(check(&token, &keys).is_ok(), "{ok}");
        }
    }

    trait TapAzp {
        fn tap_azp(self) -> Value;
    }
    impl TapAzp for Value {
        fn tap_azp(mut self) -> Value {
            self["azp"] = json!(CLIENT_ID);
            self
        }
    }

    #[test]
    fn kid_and_signature_failures() {
        let (a, b) = (testkit::key(false, "a"), testkit::key(false, "b"));
        let keys = keys_of(&[&a]);
        let c = testkit::claims();
        let unknown = testkit::sign(&a, Algorithm::RS256, Some("zz"), &c);
        assert_eq!(check(&unknown, &keys), Err(IdTokenError::UnknownKid));
        let forged = testkit::sign(&b, Algorithm::RS256, Some("a"), &c);
        assert_eq!(check(&forged, &keys), Err(IdTokenError::BadSignature));
        for junk in ["", "a.b", "a.b.c", "e30.e30.e30"] {
            assert_eq!(check(junk, &keys), Err(IdTokenError::Malformed), "{junk}");
        }
    }

    /// Keys are parsed one by one; unusable ones are skipped, the rest kept.
    #[test]
    fn unusable_keys_are_skipped() {
        let (rsa, ec) = (testkit::key(false, "r"), testkit::key(true, "e"));
        let variant = |base: &Value, f: &dyn Fn(&mut Value)| {
            let mut k = base.clone();
            f(&mut k);
            k
        };
        let bad = vec![
            variant(&rsa.jwk, &|k| k["use"] = json!("enc")),
            variant(&rsa.jwk, &|k| k["key_ops"] = json!(["encrypt"])),
            variant(&rsa.jwk, &|k| k["alg"] = json!("HS256")),
            variant(&rsa.jwk, &|k| k["alg"] = json!("ES256")),
            variant(&rsa.jwk, &|k| k["alg"] = json!("RSA-OAEP")),
            variant(&rsa.jwk, &|k| {
                let n = k["n"].as_str().unwrap();
                k["n"] = json!(n[..171].to_owned());
            }),
            variant(&ec.jwk, &|k| k["crv"] = json!("P-384")),
            variant(&ec.jwk, &|k| k["x"] = json!("AAAA")),
            variant(&rsa.jwk, &|k| k["kid"] = json!(7)),
            json!({"kty": "oct", "k": "c2VjcmV0"}),
            json!("junk"),
        ];
        let good = vec![
            variant(&rsa.jwk, &|k| {
                drop(k.as_object_mut().unwrap().remove("use"))
            }),
            variant(&rsa.jwk, &|k| k["key_ops"] = json!(["verify"])),
            ec.jwk.clone(),
        ];
        let mut all = bad.clone();
        all.extend(good.clone());
        assert_eq!(parse_oidc_jwks(&json!({ "keys": all })).len(), good.len());
        for b in bad {
            assert!(parse_oidc_jwks(&json!({ "keys": [b] })).is_empty(), "{b}");
        }
        assert!(parse_oidc_jwks(&json!({"kty": "RSA"})).is_empty());
        let only_rs = vec!["RS256".to_owned()];
        let parsed = parse_oidc_jwks(&json!({ "keys": [ec.jwk] }));
        assert!(!parsed[0].usable_with(&only_rs));
        assert!(parsed[0].usable_with(&allowed()));
    }

    #[test]
    fn error_codes_are_stable() {
        assert_eq!(IdTokenError::UnknownKid.as_str(), "unknown_kid");
        assert_eq!(IdTokenError::IatFuture.to_string(), "iat_future");
        assert!(SUPPORTED_ALGS.iter().all(|a| supported(a).is_some()));
        for a in ["none", "HS256", "HS512", "ES384", "EdDSA", "rs256"] {
            assert!(supported(a).is_none(), "{a}");
        }
    }
}
