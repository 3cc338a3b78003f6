//! The relying party over the `OidcHttp` port: discovery and JWKS cached per issuer,
//! the authorization URL, the RFC 9207 `iss` check, the code exchange and the
//! id_token's verification, and the administrators' `test` probe (never a grant).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;

use super::discovery::{Discovery, DiscoveryError, TokenAuth, discovery_url, parse_discovery};
use super::flow::{FlowSecrets, SsoError};
use super::id_token::{
    Expectation, IdClaims, IdTokenError, OidcKey, parse_oidc_jwks, verify_id_token,
};
use super::url::OutboundRule;
use crate::credentials::codes::{JwksCache, JwksFetch, KeyId};
use crate::credentials::jwt::read_jose_header;
use crate::error::Result;
use crate::primitives::cache::{Bound, Eviction, TtlCache};

/// Providers (issuers) whose metadata and keys one process keeps.
const MAX_ISSUERS: usize = 32;

/// The provider calls. Errors are `Error::dependency(Service::Idp, ..)`.
pub trait OidcHttp: Send + Sync {
    /// GETs a JSON document (2xx only).
    fn get_json(&self, url: &str) -> impl Future<Output = Result<Value>> + Send;
    /// POSTs a form, with HTTP Basic credentials when given; the status and JSON body.
    fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &SecretString)>,
    ) -> impl Future<Output = Result<(u16, Value)>> + Send;
}

/// The JWKS fetch through the provider port.
pub struct ViaOidc<H>(Arc<H>);

impl<H: OidcHttp> JwksFetch for ViaOidc<H> {
    async fn fetch(&self, url: &str) -> Result<Value> {
        self.0.get_json(url).await
    }
}

impl KeyId for OidcKey {
    fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

/// The provider as the relying party needs it.
#[derive(Debug, Clone, Copy)]
pub struct RpProvider<'a> {
    pub id: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// Space-separated (`openid email profile`).
    pub scopes: &'a str,
    pub allowed_algs: &'a [String],
}

/// What the callback exchanges: the code it received, with the client secret, the
/// redirect URI the authorization request named and the flow's derived secrets.
#[derive(Clone, Copy)]
pub struct Exchange<'a> {
    pub client_secret: &'a SecretString,
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub secrets: &'a FlowSecrets,
}

/// Discovery and keys loaded, before a transaction is spent.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub discovery: Arc<Discovery>,
    keys: Vec<OidcKey>,
}

/// The administrators' `test` report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProbeReport {
    pub ok: bool,
    pub issuer: String,
    /// `ok` or the refusal's code.
    pub discovery: String,
    /// `ok`, the refusal's code, or `skipped`.
    pub jwks: String,
    /// Keys usable with the provider's algorithms.
    pub keys: usize,
    pub token_auth: Option<TokenAuth>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
}

type Jwks<H> = JwksCache<ViaOidc<H>, OidcKey>;

/// The relying party: per-process caches of discovery (by issuer) and JWKS (by URI).
pub struct RelyingParty<H> {
    http: Arc<H>,
    rule: OutboundRule,
    metadata: TtlCache<String, Arc<Discovery>>,
    jwks: Mutex<HashMap<String, Arc<Jwks<H>>>>,
    jwks_ttl: Duration,
    cooldown: Duration,
}

impl<H: OidcHttp> RelyingParty<H> {
    pub fn new(
        http: H,
        rule: OutboundRule,
        metadata_ttl: Duration,
        jwks_ttl: Duration,
        cooldown: Duration,
    ) -> Self {
        let bound = Bound {
            capacity: MAX_ISSUERS,
            eviction: Eviction::Oldest,
        };
        RelyingParty {
            http: Arc::new(http),
            rule,
            metadata: TtlCache::new(metadata_ttl).partitioned(|_| 0, &[bound]),
            jwks: Mutex::new(HashMap::new()),
            jwks_ttl,
            cooldown,
        }
    }

    /// The provider's discovery, fetched and checked (no cache).
    async fn discover(&self, issuer: &str) -> std::result::Result<Discovery, Refusal> {
        let issuer = self.rule.issuer(issuer).map_err(|e| Refusal(e.as_str()))?;
        let doc = self
            .http
            .get_json(&discovery_url(&issuer))
            .await
            .map_err(|_| Refusal("unreachable"))?;
        parse_discovery(&doc, &issuer, &self.rule).map_err(|e: DiscoveryError| Refusal(e.as_str()))
    }

    /// The JWKS cache of `uri` (at most [`MAX_ISSUERS`]; a full map drops one).
    fn jwks_cache(&self, uri: &str) -> Arc<Jwks<H>> {
        let mut map = self.jwks.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = map.get(uri) {
            return c.clone();
        }
        if map.len() >= MAX_ISSUERS
            && let Some(k) = map.keys().next().cloned()
        {
            map.remove(&k);
        }
        let cache = Arc::new(JwksCache::with_parser(
            ViaOidc(self.http.clone()),
            uri,
            self.jwks_ttl,
            self.cooldown,
            parse_oidc_jwks,
        ));
        map.insert(uri.to_owned(), cache.clone());
        cache
    }

    /// Discovery and the JWKS, from the caches or fetched. Any failure is
    /// `ProviderUnavailable` and touches nothing: callers run this before they spend a
    /// transaction.
    pub async fn prepare(&self, p: &RpProvider<'_>) -> std::result::Result<Prepared, SsoError> {
        let discovery = self
            .metadata
            .get_or_load(p.issuer, || async {
                self.discover(p.issuer).await.map(Arc::new)
            })
            .await
            .map_err(|why| {
                tracing::warn!(idp = p.id, reason = why.0, "provider discovery failed");
                SsoError::ProviderUnavailable
            })?;
        let keys = self
            .jwks_cache(&discovery.jwks_uri)
            .keys_for(None)
            .await
            .map_err(|_| {
                tracing::warn!(idp = p.id, "provider JWKS unavailable");
                SsoError::ProviderUnavailable
            })?;
        let keys: Vec<OidcKey> = keys
            .into_iter()
            .filter(|k| k.usable_with(p.allowed_algs))
            .collect();
        if keys.is_empty() {
            tracing::warn!(idp = p.id, "provider JWKS holds no usable key");
            return Err(SsoError::ProviderUnavailable);
        }
        Ok(Prepared { discovery, keys })
    }

    /// The authorization request (code flow, PKCE S256, nonce); an existing query on
    /// the endpoint is kept.
    pub fn authorization_url(
        &self,
        prepared: &Prepared,
        p: &RpProvider<'_>,
        redirect_uri: &str,
        state: &str,
        secrets: &FlowSecrets,
    ) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("scope", p.scopes)
            .append_pair("client_id", p.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("nonce", secrets.nonce.expose_secret())
            .append_pair("code_challenge", &secrets.challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        let endpoint = &prepared.discovery.authorization_endpoint;
        let sep = match endpoint.contains('?') {
            true if endpoint.ends_with(['?', '&']) => "",
            true => "&",
            false => "?",
        };
        format!("{endpoint}{sep}{query}")
    }

    /// RFC 9207: a given `iss` equals the issuer exactly; required when advertised.
    pub fn check_iss_param(
        &self,
        prepared: &Prepared,
        iss: Option<&str>,
    ) -> std::result::Result<(), SsoError> {
        match iss {
            Some(i) if i == prepared.discovery.issuer => Ok(()),
            Some(_) => Err(SsoError::IssuerMismatch),
            None if prepared.discovery.iss_parameter_supported => Err(SsoError::IssuerMismatch),
            None => Ok(()),
        }
    }

    /// Exchanges the code and verifies the id_token (one JWKS refetch, once per
    /// cooldown, for an unknown `kid`).
    pub async fn redeem(
        &self,
        prepared: &Prepared,
        p: &RpProvider<'_>,
        x: &Exchange<'_>,
        now: i64,
    ) -> std::result::Result<IdClaims, SsoError> {
        let body = self.token_request(prepared, p, x).await?;
        let token = body
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or(SsoError::InvalidIdToken)?;
        let expect = Expectation {
            issuer: &prepared.discovery.issuer,
            client_id: p.client_id,
            allowed_algs: p.allowed_algs,
            nonce: &x.secrets.nonce,
        };
        let mut verdict = verify_id_token(token, &prepared.keys, &expect, now);
        if verdict == Err(IdTokenError::UnknownKid) {
            let kid = read_jose_header(token).ok().and_then(|h| h.kid);
            let cache = self.jwks_cache(&prepared.discovery.jwks_uri);
            let keys = cache
                .keys_for(kid.as_deref())
                .await
                .map_err(|_| SsoError::ProviderUnavailable)?;
            verdict = verify_id_token(token, &keys, &expect, now);
        }
        verdict.map_err(|e| {
            tracing::warn!(idp = p.id, reason = e.as_str(), "id_token refused");
            SsoError::InvalidIdToken
        })
    }

    /// The token request: `client_secret_basic` (RFC 6749 section 2.3.1: id and secret
    /// form-urlencoded, then base64) or `client_secret_post`.
    async fn token_request(
        &self,
        prepared: &Prepared,
        p: &RpProvider<'_>,
        x: &Exchange<'_>,
    ) -> std::result::Result<Value, SsoError> {
        let Exchange {
            client_secret,
            code,
            redirect_uri,
            secrets,
        } = *x;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", secrets.verifier.expose_secret()),
        ];
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let (id, secret) = (encode(p.client_id), encode(client_secret.expose_secret()));
        let secret = SecretString::from(secret);
        let basic = match prepared.discovery.token_auth {
            TokenAuth::Basic => Some((id.as_str(), &secret)),
            TokenAuth::Post => {
                form.push(("client_id", p.client_id));
                form.push(("client_secret", client_secret.expose_secret()));
                None
            }
        };
        let endpoint = &prepared.discovery.token_endpoint;
        let (status, body) = self
            .http
            .post_form(endpoint, &form, basic)
            .await
            .map_err(|_| SsoError::ProviderUnavailable)?;
        if !(200..300).contains(&status) || body.get("error").is_some() {
            tracing::warn!(idp = p.id, status, "token request refused by the provider");
            return Err(SsoError::ProviderError);
        }
        Ok(body)
    }

    /// Discovery and the JWKS for `issuer`, fetched now (no cache), never a grant.
    pub async fn probe(&self, issuer: &str, allowed_algs: &[String]) -> ProbeReport {
        let mut report = ProbeReport {
            ok: false,
            issuer: issuer.to_owned(),
            discovery: "ok".into(),
            jwks: "skipped".into(),
            keys: 0,
            token_auth: None,
            authorization_endpoint: None,
            token_endpoint: None,
            jwks_uri: None,
        };
        let d = match self.discover(issuer).await {
            Ok(d) => d,
            Err(why) => {
                report.discovery = why.0.into();
                return report;
            }
        };
        report.token_auth = Some(d.token_auth);
        report.authorization_endpoint = Some(d.authorization_endpoint);
        report.token_endpoint = Some(d.token_endpoint);
        report.jwks_uri = Some(d.jwks_uri.clone());
        match self.http.get_json(&d.jwks_uri).await {
            Ok(doc) => {
                let keys = parse_oidc_jwks(&doc);
                report.keys = keys.iter().filter(|k| k.usable_with(allowed_algs)).count();
                report.jwks = if report.keys > 0 {
                    "ok"
                } else {
                    "no_usable_key"
                }
                .into();
            }
            Err(_) => report.jwks = "unreachable".into(),
        }
        report.ok = report.keys > 0;
        report
    }
}

/// A refusal's code, for logs and the probe.
#[derive(Debug, Clone, Copy)]
struct Refusal(&'static str);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::oidc::discovery::tests::doc as discovery_doc;
    use crate::credentials::oidc::flow::derive;
    use crate::credentials::oidc::testkit::{self, CLIENT_ID, ISSUER, NOW, TestKey};
    use jsonwebtoken::Algorithm;
    use serde_json::json;

    const JWKS: &str = "https://keys.example.com/jwks";
    const TOKEN: &str = "https://idp.example.com/token";
    const REDIRECT: &str = "https://api.example.com/sso/callback";

    type Post = (String, Vec<(String, String)>, Option<(String, String)>);

    /// A provider in memory: documents by URL (absent: a transport error), one token
    /// answer, and a record of every call.
    #[derive(Default)]
    struct Fake {
        docs: Mutex<HashMap<String, Value>>,
        token: Mutex<Option<(u16, Value)>>,
        gets: Mutex<Vec<String>>,
        posts: Mutex<Vec<Post>>,
    }

    impl OidcHttp for Fake {
        async fn get_json(&self, url: &str) -> Result<Value> {
            self.gets.lock().unwrap().push(url.to_owned());
            let doc = self.docs.lock().unwrap().get(url).cloned();
            doc.ok_or_else(|| crate::error::Error::Internal("down".into()))
        }

        async fn post_form(
            &self,
            url: &str,
            form: &[(&str, &str)],
            basic: Option<(&str, &SecretString)>,
        ) -> Result<(u16, Value)> {
            let form = form.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            let basic = basic.map(|(i, s)| (i.to_owned(), s.expose_secret().to_owned()));
            let post = (url.to_owned(), form.collect(), basic);
            self.posts.lock().unwrap().push(post);
            let answer = self.token.lock().unwrap().clone();
            answer.ok_or_else(|| crate::error::Error::Internal("down".into()))
        }
    }

    fn algs() -> Vec<String> {
        vec!["RS256".into(), "ES256".into()]
    }

    fn provider(algs: &[String]) -> RpProvider<'_> {
        RpProvider {
            id: "corp",
            issuer: ISSUER,
            client_id: CLIENT_ID,
            scopes: "openid email",
            allowed_algs: algs,
        }
    }

    fn party(discovery: Value, keys: &[&TestKey], cooldown: u64) -> RelyingParty<Fake> {
        let fake = Fake::default();
        let jwks = json!({ "keys": keys.iter().map(|k| &k.jwk).collect::<Vec<_>>() });
        fake.docs
            .lock()
            .unwrap()
            .extend([(discovery_url(ISSUER), discovery), (JWKS.to_owned(), jwks)]);
        let hour = Duration::from_secs(3600);
        let rule = OutboundRule::default();
        RelyingParty::new(fake, rule, hour, hour, Duration::from_secs(cooldown))
    }

    fn jwks_fetches(rp: &RelyingParty<Fake>) -> usize {
        rp.http
            .gets
            .lock()
            .unwrap()
            .iter()
            .filter(|u| *u == JWKS)
            .count()
    }

    fn answer(rp: &RelyingParty<Fake>, status: u16, body: Value) {
        *rp.http.token.lock().unwrap() = Some((status, body));
    }

    fn id_token(key: &TestKey, kid: &str, secrets: &FlowSecrets) -> String {
        let mut c = testkit::claims();
        c["nonce"] = json!(secrets.nonce.expose_secret());
        testkit::sign(key, Algorithm::RS256, Some(kid), &c)
    }

    async fn redeem(
        rp: &RelyingParty<Fake>,
        secrets: &FlowSecrets,
    ) -> std::result::Result<IdClaims, SsoError> {
        let algs = algs();
        let p = provider(&algs);
        let prepared = rp.prepare(&p).await?;
        let secret = SecretString::from("s3cr:t+/");
        let x = Exchange {
            client_secret: &secret,
            code: "the-code",
            redirect_uri: REDIRECT,
            secrets,
        };
        rp.redeem(&prepared, &p, &x, NOW).await
    }

    fn secrets() -> FlowSecrets {
        derive(&SecretString::from("cookie"), "state")
    }

    #[tokio::test]
    async fn the_authorization_url_carries_pkce_nonce_and_keeps_the_endpoint_query() {
        let key = testkit::key(false, "k");
        let rp = party(discovery_doc(), &[&key], 0);
        let algs = algs();
        let p = provider(&algs);
        let prepared = rp.prepare(&p).await.unwrap();
        let s = secrets();
        let url = rp.authorization_url(&prepared, &p, REDIRECT, "st&te", &s);
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(base, "https://idp.example.com/authorize");
        let pairs: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        for (k, v) in [
            ("tenant", "a"),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("state", "st&te"),
            ("nonce", s.nonce.expose_secret()),
            ("code_challenge", &s.challenge),
            ("code_challenge_method", "S256"),
        ] {
            assert_eq!(pairs.get(k).map(String::as_str), Some(v), "{k}");
        }
        assert!(!url.contains(s.verifier.expose_secret()));
    }

    /// Discovery whose issuer differs, an http endpoint, a JWKS that is down: all
    /// `ProviderUnavailable`, and nothing is posted.
    #[tokio::test]
    async fn a_bad_or_unreachable_provider_is_unavailable() {
        let key = testkit::key(false, "k");
        let mut other = discovery_doc();
        other["issuer"] = json!("https://evil.example.com");
        let mut http = discovery_doc();
        http["token_endpoint"] = json!("http://idp.example.com/token");
        for doc in [other, http] {
            let rp = party(doc, &[&key], 0);
            assert_eq!(
                redeem(&rp, &secrets()).await,
                Err(SsoError::ProviderUnavailable)
            );
            assert!(rp.http.posts.lock().unwrap().is_empty());
        }
        let rp = party(discovery_doc(), &[&key], 0);
        rp.http.docs.lock().unwrap().remove(JWKS);
        assert_eq!(
            redeem(&rp, &secrets()).await,
            Err(SsoError::ProviderUnavailable)
        );
        assert!(rp.http.posts.lock().unwrap().is_empty());
        let rp = party(discovery_doc(), &[], 0);
        assert_eq!(
            redeem(&rp, &secrets()).await,
            Err(SsoError::ProviderUnavailable)
        );
    }

    #[tokio::test]
    async fn basic_by_default_post_when_it_is_all_the_provider_supports() {
        let key = testkit::key(false, "k");
        let s = secrets();
        let rp = party(discovery_doc(), &[&key], 0);
        answer(&rp, 200, json!({"id_token": id_token(&key, "k", &s)}));
        let claims = redeem(&rp, &s).await.unwrap();
        assert_eq!(claims.sub, "user-123");
        let (url, form, basic) = rp.http.posts.lock().unwrap()[0].clone();
        assert_eq!(url, TOKEN);
        // RFC 6749 2.3.1: form-urlencoded before base64.
        assert_eq!(
            basic,
            Some((CLIENT_ID.to_owned(), "s3cr%3At%2B%2F".to_owned()))
        );
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("grant_type").as_deref(), Some("authorization_code"));
        assert_eq!(get("code").as_deref(), Some("the-code"));
        assert_eq!(get("redirect_uri").as_deref(), Some(REDIRECT));
        assert_eq!(
            get("code_verifier").as_deref(),
            Some(s.verifier.expose_secret())
        );
        assert_eq!(get("client_secret"), None);

        let mut post_only = discovery_doc();
        post_only["token_endpoint_auth_methods_supported"] = json!(["client_secret_post"]);
        let rp = party(post_only, &[&key], 0);
        answer(&rp, 200, json!({"id_token": id_token(&key, "k", &s)}));
        assert!(redeem(&rp, &s).await.is_ok());
        let (_, form, basic) = rp.http.posts.lock().unwrap()[0].clone();
        assert_eq!(basic, None);
        assert!(form.contains(&("client_id".into(), CLIENT_ID.into())));
        assert!(form.contains(&("client_secret".into(), "s3cr:t+/".into())));
    }

    #[tokio::test]
    async fn token_endpoint_failures_and_bad_id_tokens() {
        let key = testkit::key(false, "k");
        let s = secrets();
        let rp = party(discovery_doc(), &[&key], 0);
        for (status, body, why) in [
            (
                400,
                json!({"error": "invalid_grant"}),
                SsoError::ProviderError,
            ),
            (
                200,
                json!({"error": "invalid_grant"}),
                SsoError::ProviderError,
            ),
            (500, json!({}), SsoError::ProviderError),
            (200, json!({"access_token": "a"}), SsoError::InvalidIdToken),
            (200, json!({"id_token": 5}), SsoError::InvalidIdToken),
        ] {
            answer(&rp, status, body);
            assert_eq!(redeem(&rp, &s).await, Err(why));
        }
        *rp.http.token.lock().unwrap() = None;
        assert_eq!(redeem(&rp, &s).await, Err(SsoError::ProviderUnavailable));
        // Another browser's cookie derives another nonce.
        let other = derive(&SecretString::from("other-cookie"), "state");
        answer(&rp, 200, json!({"id_token": id_token(&key, "k", &other)}));
        assert_eq!(redeem(&rp, &s).await, Err(SsoError::InvalidIdToken));
        // HS256 signed with the client secret.
        let mut c = testkit::claims();
        c["nonce"] = json!(s.nonce.expose_secret());
        let hs = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &c,
            &jsonwebtoken::EncodingKey::from_secret(b"s3cr:t+/"),
        )
        .unwrap();
        answer(&rp, 200, json!({ "id_token": hs }));
        assert_eq!(redeem(&rp, &s).await, Err(SsoError::InvalidIdToken));
    }

    /// An unknown `kid` refetches the JWKS once (a rotated key then verifies); within
    /// the cooldown of the last fetch it refetches nothing.
    #[tokio::test]
    async fn an_unknown_kid_refetches_the_jwks_once_per_cooldown() {
        let (old, new) = (testkit::key(false, "old"), testkit::key(false, "new"));
        let s = secrets();
        let rp = party(discovery_doc(), &[&old], 0);
        answer(&rp, 200, json!({"id_token": id_token(&new, "new", &s)}));
        assert_eq!(redeem(&rp, &s).await, Err(SsoError::InvalidIdToken));
        assert_eq!(
            jwks_fetches(&rp),
            2,
            "the first load and exactly one refetch"
        );
        let rotated = json!({ "keys": [old.jwk, new.jwk] });
        rp.http.docs.lock().unwrap().insert(JWKS.into(), rotated);
        assert!(redeem(&rp, &s).await.is_ok());
        assert_eq!(jwks_fetches(&rp), 3);

        let rp = party(discovery_doc(), &[&old], 3600);
        answer(&rp, 200, json!({"id_token": id_token(&new, "new", &s)}));
        for _ in 0..3 {
            assert_eq!(redeem(&rp, &s).await, Err(SsoError::InvalidIdToken));
        }
        assert_eq!(
            jwks_fetches(&rp),
            1,
            "within the cooldown of the first fetch"
        );
    }

    #[tokio::test]
    async fn the_iss_parameter_must_match_and_is_required_when_advertised() {
        let key = testkit::key(false, "k");
        let algs = algs();
        let rp = party(discovery_doc(), &[&key], 0);
        let prepared = rp.prepare(&provider(&algs)).await.unwrap();
        assert_eq!(rp.check_iss_param(&prepared, None), Ok(()));
        assert_eq!(rp.check_iss_param(&prepared, Some(ISSUER)), Ok(()));
        for bad in ["https://evil.example.com", "https://idp.example.com/", ""] {
            let got = rp.check_iss_param(&prepared, Some(bad));
            assert_eq!(got, Err(SsoError::IssuerMismatch), "{bad}");
        }
        let mut advertised = discovery_doc();
        advertised["authorization_response_iss_parameter_supported"] = json!(true);
        let rp = party(advertised, &[&key], 0);
        let prepared = rp.prepare(&provider(&algs)).await.unwrap();
        assert_eq!(
            rp.check_iss_param(&prepared, None),
            Err(SsoError::IssuerMismatch)
        );
        assert_eq!(rp.check_iss_param(&prepared, Some(ISSUER)), Ok(()));
    }

    #[tokio::test]
    async fn the_probe_reports_without_a_grant() {
        let (rsa, ec) = (testkit::key(false, "r"), testkit::key(true, "e"));
        let mut enc = rsa.jwk.clone();
        enc["use"] = json!("enc");
        let rp = party(discovery_doc(), &[&rsa, &ec], 0);
        let report = rp.probe(ISSUER, &["RS256".to_owned()]).await;
        assert!(report.ok);
        assert_eq!(
            (report.discovery.as_str(), report.jwks.as_str()),
            ("ok", "ok")
        );
        assert_eq!(report.keys, 1, "the EC key does not serve RS256");
        assert_eq!(report.token_auth, Some(TokenAuth::Basic));
        assert_eq!(report.jwks_uri.as_deref(), Some(JWKS));
        assert!(rp.http.posts.lock().unwrap().is_empty());
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["token_auth"], "basic");

        let bad = rp.probe("http://idp.example.com", &algs()).await;
        assert_eq!((bad.ok, bad.discovery.as_str()), (false, "not_https"));
        let mut other = discovery_doc();
        other["issuer"] = json!("https://evil.example.com");
        let rp = party(other, &[&rsa], 0);
        assert_eq!(rp.probe(ISSUER, &algs()).await.discovery, "issuer_mismatch");
        let rp = party(discovery_doc(), &[], 0);
        rp.http
            .docs
            .lock()
            .unwrap()
            .insert(JWKS.into(), json!({ "keys": [enc] }));
        let report = rp.probe(ISSUER, &algs()).await;
        assert_eq!((report.ok, report.jwks.as_str()), (false, "no_usable_key"));
        rp.http.docs.lock().unwrap().remove(JWKS);
        assert_eq!(rp.probe(ISSUER, &algs()).await.jwks, "unreachable");
    }
}
