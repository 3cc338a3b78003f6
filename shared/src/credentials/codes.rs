//! Authorization codes signed by the host site (survey compatibility): RS256 JWTs
//! verified against the host's JWKS at `JWK_URL`.
//!
//! The JWKS is fetched with timeouts and a size cap, cached, and parsed key by key (a
//! bad key does not poison the set). Only RSA keys marked `use=sig` (and `alg` RS256
//! when given) are used. An unknown `kid` triggers at most one refetch per cooldown.
//! A code without `kid` is accepted when one of the keys verifies it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use crate::authz::{DenyReason, Verdict, or_deny};
use crate::credentials::jwt::{TokenHeader, deny_reason, is_jwt_typ, read_jose_header};
use crate::error::Result;
use crate::primitives::cache::{Cooldown, TtlCache};
use crate::primitives::crypto;

/// The JWT header `typ` of a host code, required when `CODE_REQUIRE_AUDIENCE` is on
/// (README, "Host-signed authorization codes").
pub const CODE_TYP: &str = "gatehouse-code+jwt";

/// Largest JWKS document read from the host.
pub(crate) const MAX_JWKS_BYTES: usize = 64 * 1024;

/// A usable host key.
#[derive(Clone)]
pub struct HostKey {
    pub kid: Option<String>,
    key: DecodingKey,
}

/// Parses a JWKS (`{"keys": [...]}`) or a single JWK, key by key. Keys that are not
/// RSA signature keys for RS256, or that do not parse, are skipped.
pub fn parse_jwks(doc: &Value) -> Vec<HostKey> {
    let items: Vec<&Value> = match doc.get("keys") {
        Some(Value::Array(keys)) => keys.iter().collect(),
        _ if doc.get("kty").is_some() => vec![doc],
        _ => Vec::new(),
    };
    items.into_iter().filter_map(parse_key).collect()
}

fn parse_key(jwk: &Value) -> Option<HostKey> {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str);
    if s("kty")? != "RSA" || s("use")? != "sig" {
        return None;
    }
    if jwk.get("alg").is_some() && s("alg") != Some("RS256") {
        return None;
    }
    let ops_ok = jwk.get("key_ops").is_none_or(|ops| {
        ops.as_array()
            .is_some_and(|o| o.iter().any(|x| x == "verify"))
    });
    if !ops_ok {
        return None;
    }
    let (n, e) = (s("n")?, s("e")?);
    // RSA-2048 at least: the modulus is 256 bytes (342 base64url characters).
    if n.len() < 342 {
        return None;
    }
    let key = DecodingKey::from_rsa_components(n, e).ok()?;
    Some(HostKey {
        kid: s("kid").map(str::to_owned),
        key,
    })
}

/// Fetches the host's JWKS document.
pub trait JwksFetch: Send + Sync {
    fn fetch(&self, url: &str) -> impl Future<Output = Result<Value>> + Send;
}

/// A key a JWKS cache selects by `kid`.
pub trait KeyId: Clone {
    fn kid(&self) -> Option<&str>;
}

impl KeyId for HostKey {
    fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

/// A cached JWKS at one URL, parsed by `parse` key by key: the host's ([`HostJwks`])
/// and each single sign-on provider's.
pub struct JwksCache<F, K> {
    fetcher: F,
    url: String,
    keys: TtlCache<(), Arc<Vec<K>>>,
    parse: fn(&Value) -> Vec<K>,
}

/// The cached host JWKS.
pub type HostJwks<F> = JwksCache<F, HostKey>;

impl<F: JwksFetch> JwksCache<F, HostKey> {
    /// The host JWKS at `url`, parsed by [`parse_jwks`] (see [`JwksCache::with_parser`]).
    pub fn new(fetcher: F, url: impl Into<String>, ttl: Duration, cooldown: Duration) -> Self {
        JwksCache::with_parser(fetcher, url, ttl, cooldown, parse_jwks)
    }
}

impl<F: JwksFetch, K: KeyId> JwksCache<F, K> {
    /// Keys cached for `ttl`; a refetch (unknown `kid`, or a token without `kid` that no
    /// key verifies) at most once per `cooldown` after any fetch: a flood must not
    /// hammer the server.
    pub fn with_parser(
        fetcher: F,
        url: impl Into<String>,
        ttl: Duration,
        cooldown: Duration,
        parse: fn(&Value) -> Vec<K>,
    ) -> Self {
        JwksCache {
            fetcher,
            url: url.into(),
            keys: TtlCache::new(ttl).with_cooldown(Cooldown::SinceAnyLoad(cooldown)),
            parse,
        }
    }

    /// Keys able to check a token with this `kid` (all keys when `None`). Fetches when
    /// the cache is empty or older than the TTL; refetches for an unknown `kid` at
    /// most once per cooldown. A failed fetch is an error (fail closed).
    pub async fn keys_for(&self, kid: Option<&str>) -> Result<Vec<K>> {
        let keys = self.keys.get_or_load(&(), || self.fetch()).await?;
        let found = select(&keys, kid);
        if !found.is_empty() {
            return Ok(found);
        }
        match self.keys.refetch(&(), || self.fetch()).await? {
            Some(keys) => Ok(select(&keys, kid)),
            // Fetched recently (perhaps by a concurrent caller): the current keys.
            None => Ok(select(&self.keys.get(&()).unwrap_or(keys), kid)),
        }
    }

    /// Refetches (once per cooldown) after no cached key verified a token without
    /// `kid`: the server may have rotated its key. `None` when the cooldown has not
    /// passed.
    pub(crate) async fn refetch_after_failure(&self) -> Result<Option<Vec<K>>> {
        let keys = self.keys.refetch(&(), || self.fetch()).await?;
        Ok(keys.map(|k| k.to_vec()))
    }

    /// Fetches and parses the document.
    async fn fetch(&self) -> Result<Arc<Vec<K>>> {
        let doc = self.fetcher.fetch(&self.url).await?;
        let parsed = Arc::new((self.parse)(&doc));
        if parsed.is_empty() {
            tracing::warn!(url = %self.url, "JWKS holds no usable signature key");
        }
        Ok(parsed)
    }
}

impl<F: JwksFetch> JwksCache<F, HostKey> {
    /// Verifies a code: the keys for its `kid` (refetched once per cooldown when
    /// unknown); for a code without `kid` that no cached key verifies, one refetch
    /// (once per cooldown) and a second try. `Err` only when the host JWKS cannot be
    /// fetched (fail closed); `Ok(Err(reason))` is a rejected code.
    pub async fn verify(&self, code: &str, rules: &CodeRules, now: i64) -> Verdict<CodeClaims> {
        let header = or_deny!(code_header(code, rules));
        let keys = self.keys_for(header.kid.as_deref()).await?;
        let first = verify_code(code, &keys, rules, now);
        let may_retry = header.kid.is_none()
            && matches!(
                first,
                Err(DenyReason::InvalidToken | DenyReason::UnknownKey)
            );
        if may_retry && let Some(keys) = self.refetch_after_failure().await? {
            return Ok(verify_code(code, &keys, rules, now));
        }
        Ok(first)
    }
}

fn select<K: KeyId>(keys: &[K], kid: Option<&str>) -> Vec<K> {
    keys.iter()
        .filter(|k| kid.is_none() || k.kid() == kid)
        .cloned()
        .collect()
}

/// Claims read from a host code (others are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct CodeClaims {
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub jti: Option<String>,
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub iss: Option<String>,
}

/// The code rules (README, "Host-signed authorization codes"); the configuration
/// builds them from the `CODE_*` variables.
#[derive(Debug, Clone)]
pub struct CodeRules {
    pub max_lifetime_secs: i64,
    pub leeway_secs: u64,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// `CODE_REQUIRE_AUDIENCE`: codes must carry `typ` [`CODE_TYP`] (the audience is
    /// then always set: the configuration refuses to start without it).
    pub require_typ: bool,
}

/// Whether a code's `typ` passes: [`CODE_TYP`] (also as `application/…`) always; when
/// not required, also none or a plain JWT type (the documented host example).
fn typ_allowed(typ: Option<&str>, required: bool) -> bool {
    // RFC 7515 section 4.1.9: `typ` may drop the `application/` of its media type.
    const MEDIA: &str = "application/";
    let code_typ = |t: &str| {
        let bare = match t.get(..MEDIA.len()) {
            Some(p) if p.eq_ignore_ascii_case(MEDIA) => &t[MEDIA.len()..],
            _ => t,
        };
        bare.eq_ignore_ascii_case(CODE_TYP)
    };
    match typ {
        Some(t) if code_typ(t) => true,
        _ if required => false,
        None => true,
        Some(t) => is_jwt_typ(t),
    }
}

/// The screened header of a code ([`read_jose_header`]) with the code `typ` rule.
fn code_header(code: &str, rules: &CodeRules) -> std::result::Result<TokenHeader, DenyReason> {
    let header = read_jose_header(code)?;
    if !typ_allowed(header.typ.as_deref(), rules.require_typ) {
        return Err(DenyReason::InvalidToken);
    }
    Ok(header)
}

/// Verifies a code against `keys` at `now`. RS256 is pinned whatever the header says.
pub fn verify_code(
    code: &str,
    keys: &[HostKey],
    rules: &CodeRules,
    now: i64,
) -> std::result::Result<CodeClaims, DenyReason> {
    let header = code_header(code, rules)?;
    if header.alg != "RS256" {
        return Err(DenyReason::InvalidToken);
    }
    if keys.is_empty() {
        return Err(DenyReason::UnknownKey);
    }
    let mut v = Validation::new(Algorithm::RS256);
    v.algorithms = vec![Algorithm::RS256];
    // A configured issuer or audience is required, not merely checked when present.
    let mut required = vec!["exp"];
    if rules.issuer.is_some() {
        required.push("iss");
    }
    if rules.audience.is_some() {
        required.push("aud");
    }
    v.set_required_spec_claims(&required);
    // `exp` and `nbf` are judged below at `now`, not at the library's own clock.
    v.validate_exp = false;
    v.validate_nbf = false;
    match &rules.issuer {
        Some(iss) => v.set_issuer(&[iss]),
        None => v.iss = None,
    }
    match &rules.audience {
        Some(aud) => v.set_audience(&[aud]),
        None => v.validate_aud = false,
    }
    let mut last = DenyReason::InvalidToken;
    for k in keys {
        match jsonwebtoken::decode::<CodeClaims>(code, &k.key, &v) {
            Ok(data) => {
                let c = data.claims;
                let leeway = rules.leeway_secs as i64;
                if c.exp < now.saturating_sub(leeway) {
                    return Err(DenyReason::Expired);
                }
                if c.exp > now + rules.max_lifetime_secs {
                    return Err(DenyReason::InvalidToken);
                }
                if c.iat.is_some_and(|iat| iat > now + leeway)
                    || c.nbf.is_some_and(|nbf| nbf > now + leeway)
                {
                    return Err(DenyReason::InvalidToken);
                }
                return Ok(c);
            }
            Err(e) => last = deny_reason(&e),
        }
    }
    Err(last)
}

/// The value whose hash marks a code as used: its `jti` (with issuer) when present,
/// otherwise the whole code.
pub(crate) fn redemption_hash(code: &str, claims: &CodeClaims) -> String {
    match &claims.jti {
        Some(jti) => crypto::sha256_hex(
            format!("jti\0{}\0{jti}", claims.iss.as_deref().unwrap_or("")).as_bytes(),
        ),
        None => crypto::sha256_hex(code.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn with_header(header: serde_json::Value) -> String {
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.sig", b64(header.to_string().as_bytes()), b64(b"{}"))
    }

    /// A host JWKS in memory that counts its fetches; `None` fails them.
    struct Host(Option<Value>, std::sync::atomic::AtomicUsize);

    impl JwksFetch for Host {
        async fn fetch(&self, _: &str) -> Result<Value> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let doc = self.0.clone();
            doc.ok_or_else(|| crate::error::Error::Internal("down".into()))
        }
    }

    fn host_jwks(doc: Option<Value>) -> HostJwks<Host> {
        let hour = Duration::from_secs(3600);
        HostJwks::new(Host(doc, Default::default()), "https://host", hour, hour)
    }

    fn fetches(j: &HostJwks<Host>) -> usize {
        j.fetcher.1.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Concurrent first uses fetch once; within a cooldown of that fetch, unknown kids
    /// and failed codes without `kid` fetch nothing more.
    #[tokio::test]
    async fn the_host_jwks_is_fetched_once_and_not_refetched_within_the_cooldown() {
        use crate::credentials::keys::{SigningAlg, generate_key, public_jwk};
        let jwk = public_jwk(&generate_key(SigningAlg::RS256, 0).unwrap()).unwrap();
        let kid = jwk.kid.clone();
        let j = Arc::new(host_jwks(Some(serde_json::json!({ "keys": [jwk] }))));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (j, kid) = (j.clone(), kid.clone());
            tasks.push(tokio::spawn(async move { j.keys_for(Some(&kid)).await }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().len(), 1);
        }
        assert_eq!(fetches(&j), 1, "one fetch for 20 concurrent first uses");
        for i in 0..20 {
            let unknown = format!("unknown-{i}");
            assert!(j.keys_for(Some(&unknown)).await.unwrap().is_empty());
        }
        assert_eq!(j.keys_for(None).await.unwrap().len(), 1);
        assert!(j.refetch_after_failure().await.unwrap().is_none());
        assert_eq!(fetches(&j), 1, "within the cooldown of the first fetch");
    }

    #[tokio::test]
    async fn a_failed_jwks_fetch_is_an_error_and_is_not_cached() {
        let j = host_jwks(None);
        assert!(j.keys_for(None).await.is_err());
        assert!(j.keys_for(Some("k")).await.is_err());
        assert_eq!(fetches(&j), 2);
    }

    #[test]
    fn code_typ_is_required_only_when_configured() {
        let rules = |require_typ| CodeRules {
            max_lifetime_secs: 120,
            leeway_secs: 30,
            issuer: None,
            audience: Some("gatehouse".into()),
            require_typ,
        };
        let typed = [
            "gatehouse-code+jwt",
            "Gatehouse-Code+JWT",
            "application/gatehouse-code+jwt",
        ];
        for t in typed {
            let code = with_header(serde_json::json!({"alg": "RS256", "typ": t}));
            for required in [false, true] {
                assert!(code_header(&code, &rules(required)).is_ok(), "{t}");
            }
        }
        // Untyped and plain-JWT codes: the documented host example, accepted unless required.
        for header in [
            serde_json::json!({"alg": "RS256"}),
            serde_json::json!({"alg": "RS256", "typ": "JWT"}),
        ] {
            let code = with_header(header.clone());
            assert!(code_header(&code, &rules(false)).is_ok(), "{header}");
            assert_eq!(
                code_header(&code, &rules(true)),
                Err(DenyReason::InvalidToken),
                "{header}"
            );
        }
        for t in ["gatehouse-code", "application/jwt", "x/gatehouse-code+jwt"] {
            let code = with_header(serde_json::json!({"alg": "RS256", "typ": t}));
            assert!(code_header(&code, &rules(true)).is_err(), "{t}");
        }
    }
}
