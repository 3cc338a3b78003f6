//! The token function: `POST /token` (client credentials, host authorization codes),
//! `POST /authorize`, `GET /.well-known/jwks.json`,
//! `GET /.well-known/oauth-authorization-server`, `GET /openapi.json`, and `GET /whoami` plus the demo
//! routes, which echo the caller's normalized principal from the authorizer context.
//! Both grants run under the failed-attempt limits of [`crate::records::rate`] (README, "Rate
//! limits").

use std::time::Duration;

use http::header::{CACHE_CONTROL, HeaderValue, LOCATION};
use http::{HeaderMap, StatusCode};
use lambda_http::Request;

use crate::answers::Caller;
use crate::answers::token::{ServerMetadata, TokenAnswer};
use crate::authz::Scope;
use crate::config::{Config, HttpsUrl};
use crate::credentials::clients::ClientCache;
use crate::credentials::codes::{CodeRules, HostJwks, JwksFetch, redemption_hash};
use crate::credentials::jwt::{AUD_API, Claims, issue};
use crate::credentials::keys::SigningKeys;
use crate::credentials::secrets::SecretSource;
use crate::error::{Error, Result};
use crate::http::{
    Handler, Response, authorizer_context, empty, header_value, issuer, json, json_text, source_ip,
};
use crate::records::once::OneTimeStore;
use crate::records::rate::{self, Limiter, RateStore};
pub use crate::requests::form::{Form, TokenForm, basic_credentials, read_form};

/// Routes that echo the principal: `/whoami` and the demo data routes.
const ECHO_ROUTES: [(&str, &str); 5] = [
    ("GET", "/whoami"),
    ("GET", "/display"),
    ("GET", "/display/rules"),
    ("POST", "/comments"),
    ("GET", "/stats"),
];

/// The demo app route `GET /apps/{app_id}/data`, which echoes the decided app context
/// (README "Applications and sharing").
fn is_app_data_path(path: &str) -> bool {
    matches!(
        path.strip_prefix("/apps/").and_then(|p| p.split_once('/')),
        Some((id, "data")) if !id.is_empty()
    )
}

/// The API description this build serves (`make openapi` regenerates it; a test fails
/// when it differs from the route table).
const OPENAPI: &str = include_str!("../../../docs/openapi.json");
/// `GET /openapi.json` may be cached this long (a documented exception to `no-store`).
const OPENAPI_MAX_AGE: Duration = Duration::from_secs(300);

/// The host-code half of the function (present when `AUTH_URL`/`JWK_URL` are set).
struct HostCodes<F> {
    auth_url: HttpsUrl,
    jwks: HostJwks<F>,
    rules: CodeRules,
}

/// The token function over its ports: `S` stores redeemed codes and the failed-attempt
/// counters, `K` reads the key ring and the client list, `F` fetches the host's JWKS.
pub struct TokenFunction<S, K, F> {
    config: Config,
    keys: SigningKeys<K>,
    clients: Option<ClientCache<K>>,
    codes: Option<HostCodes<F>>,
    store: S,
}

impl<S, K, F> TokenFunction<S, K, F>
where
    S: OneTimeStore + RateStore,
    K: SecretSource + Clone,
    F: JwksFetch,
{
    pub(crate) fn from_parts(config: Config, secrets: K, store: S, fetch: F) -> Result<Self> {
        let keys_secret = Config::require(&config.signing_keys_secret, "SIGNING_KEYS_SECRET_ARN")?;
        let keys = SigningKeys::new(
            secrets.clone(),
            keys_secret,
            config.key_ring_refresh,
            config.jwks_refetch_cooldown,
        );
        let clients = config
            .client_secrets_secret
            .clone()
            .map(|id| ClientCache::new(secrets.clone(), id, config.secrets_cache_ttl));
        let codes = match (&config.auth_url, &config.jwk_url) {
            (Some(auth_url), Some(jwk_url)) => Some(HostCodes {
                auth_url: auth_url.clone(),
                jwks: HostJwks::new(
                    fetch,
                    jwk_url.clone(),
                    config.host_jwks_ttl,
                    config.jwks_refetch_cooldown,
                ),
                rules: config.code_rules(),
            }),
            _ => None,
        };
        Ok(TokenFunction {
            config,
            keys,
            clients,
            codes,
            store,
        })
    }

    /// Builds the function from the environment (no network call).
    async fn jwks(&self) -> Result<Response> {
        let ring = self.keys.ring().await?;
        let mut resp = json(StatusCode::OK, &ring.jwks);
        set_public_cache(&mut resp, self.config.jwks_max_age)?;
        Ok(resp)
    }

    fn metadata(&self, req: &Request) -> Result<Response> {
        let iss = issuer(&self.config, req)?;
        let mut doc = ServerMetadata {
            authorization_endpoint: None,
            token_endpoint: format!("{iss}/token"),
            jwks_uri: format!("{iss}/.well-known/jwks.json"),
            token_endpoint_auth_methods_supported: vec![
                "client_secret_basic",
                "client_secret_post",
            ],
            scopes_supported: vec![Scope::Data.as_str(), Scope::Client.as_str()],
            response_types_supported: Vec::new(),
            grant_types_supported: Vec::new(),
            issuer: iss.clone(),
        };
        if self.clients.is_some() {
            doc.grant_types_supported.push("client_credentials");
        }
        if self.codes.is_some() {
            doc.grant_types_supported.push("authorization_code");
            doc.authorization_endpoint = Some(format!("{iss}/authorize"));
            doc.response_types_supported.push("code");
        }
        let mut resp = json(StatusCode::OK, &doc);
        set_public_cache(&mut resp, self.config.jwks_max_age)?;
        Ok(resp)
    }

    /// `GET /openapi.json`: the committed API description (`docs/openapi.json`), public
    /// and cacheable (README "API description").
    fn openapi(&self) -> Result<Response> {
        let mut resp = json_text(StatusCode::OK, OPENAPI);
        set_public_cache(&mut resp, OPENAPI_MAX_AGE)?;
        Ok(resp)
    }

    fn authorize(&self, req: &Request) -> Result<Response> {
        let codes = self.codes.as_ref().ok_or(Error::NotFound)?;
        let mut location = codes.auth_url.as_str().to_owned();
        if let Some(q) = req.uri().query().filter(|q| !q.is_empty()) {
            location.push(if location.contains('?') { '&' } else { '?' });
            location.push_str(q);
        }
        let mut resp = empty(StatusCode::TEMPORARY_REDIRECT);
        let loc = HeaderValue::from_str(&location)
            .map_err(|_| Error::bad_request("query string is not valid"))?;
        resp.headers_mut().insert(LOCATION, loc);
        Ok(resp)
    }

    async fn token(&self, req: &Request) -> Result<Response> {
        let form = read_form(req.headers(), req.body().as_ref())?;
        let params = TokenForm::read(&form)?;
        let iss = issuer(&self.config, req)?;
        let claims = match params.grant_type {
            "client_credentials" => self.client_credentials(req, &params, &iss).await?,
            "authorization_code" => self.authorization_code(req, &params, &iss).await?,
            _ => return Err(Error::UnsupportedGrantType),
        };
        let ring = self.keys.ring().await?;
        let token = issue(&ring, &claims)?;
        let mut resp = json(
            StatusCode::OK,
            &TokenAnswer {
                access_token: token,
                token_type: "Bearer",
                expires_in: claims.exp - claims.iat,
                scope: claims.scope,
            },
        );
        resp.headers_mut()
            .insert(http::header::PRAGMA, HeaderValue::from_static("no-cache"));
        Ok(resp)
    }

    /// The failed-attempt limits of `/token` at `now`; a 429 carries `oauth_error`.
    fn limiter(&self, now: i64, oauth_error: &'static str) -> Limiter<'_, S> {
        Limiter::new(&self.store, rate::TOKEN, self.config.token_limits, now).oauth(oauth_error)
    }

    async fn client_credentials(
        &self,
        req: &Request,
        form: &TokenForm<'_>,
        iss: &str,
    ) -> Result<Claims> {
        let clients = self.clients.as_ref().ok_or(Error::UnsupportedGrantType)?;
        // Read before the limits: malformed client authentication counts for nothing.
        let (id, secret, used_basic) = client_authentication(req.headers(), form)?;
        let now = crate::primitives::time::now_epoch();
        let limiter = self.limiter(now, "invalid_client");
        let slot = limiter.reserve(&source_ip(req)).await?;
        let outcome = authenticate(clients, &id, &secret, used_basic).await;
        let (failure, known) = match &outcome {
            Ok(_) => (None, None),
            Err((e, known)) => (Some(e), known.map(|n| n.to_string())),
        };
        limiter.settle(slot, failure, known.as_deref()).await?;
        let client_id = outcome.map_err(|(e, _)| e)?.to_string();
        let mut claims = Claims::new(
            iss,
            AUD_API,
            &client_id,
            Scope::Data.as_str(),
            now,
            self.config.access_token_ttl.as_secs() as i64,
        );
        claims.client_id = Some(client_id);
        Ok(claims)
    }

    async fn authorization_code(
        &self,
        req: &Request,
        form: &TokenForm<'_>,
        iss: &str,
    ) -> Result<Claims> {
        let codes = self.codes.as_ref().ok_or(Error::UnsupportedGrantType)?;
        let code = form
            .code
            .ok_or_else(|| Error::bad_request("code is required"))?;
        let now = crate::primitives::time::now_epoch();
        // A code carries no client id: the source IP is the only limit.
        let limiter = self.limiter(now, "invalid_grant");
        let slot = limiter.reserve(&source_ip(req)).await?;
        let outcome = self.redeem(codes, code, iss, now).await;
        limiter.settle(slot, outcome.as_ref().err(), None).await?;
        outcome
    }

    async fn redeem(
        &self,
        codes: &HostCodes<F>,
        code: &str,
        iss: &str,
        now: i64,
    ) -> Result<Claims> {
        let claims = codes
            .jwks
            .verify(code, &codes.rules, now)
            .await?
            .map_err(|reason| {
                tracing::info!(reason = reason.as_str(), "authorization code rejected");
                Error::InvalidGrant("code is invalid or expired")
            })?;
        // The ring before the code is spent: a Secrets Manager outage must not burn a
        // one-time code (the caller would have no way to retry).
        self.keys.ring().await?;
        let until = claims.exp + codes.rules.leeway_secs as i64;
        if !self
            .store
            .redeem_once("code", &redemption_hash(code, &claims), until)
            .await?
        {
            tracing::warn!(reason = "code_replayed", "authorization code rejected");
            return Err(Error::InvalidGrant("code has already been used"));
        }
        let sub = claims.sub.clone().unwrap_or_else(|| "host".to_owned());
        Ok(Claims::new(
            iss,
            AUD_API,
            &sub,
            Scope::Client.as_str(),
            now,
            self.config.access_token_ttl.as_secs() as i64,
        ))
    }
}

/// The client's id and secret, by HTTP Basic or the form body (both at once must
/// agree), and whether Basic was used.
fn client_authentication(
    headers: &HeaderMap,
    form: &TokenForm<'_>,
) -> Result<(String, String, bool)> {
    let basic = basic_credentials(headers)?;
    let body = (form.client_id, form.client_secret);
    let used_basic = basic.is_some();
    let (id, secret) = match (basic, body) {
        (Some((bid, bsecret)), (None, None)) => (bid, bsecret),
        (Some((bid, bsecret)), (cid, csecret)) => {
            if cid.is_some_and(|c| c != bid) || csecret.is_some_and(|c| c != bsecret) {
                return Err(Error::bad_request(
                    "client authenticated twice with different values",
                ));
            }
            (bid, bsecret)
        }
        (None, (Some(cid), csecret)) => (cid.to_owned(), csecret.unwrap_or("").to_owned()),
        (None, (None, _)) => return Err(Error::InvalidClient { basic: false }),
    };
    Ok((id, secret, used_basic))
}

/// Checks the client against `CLIENT_SECRETS`: its id, or the refusal and the client it
/// was for (when `id` names one of the list).
async fn authenticate(
    clients: &ClientCache<impl SecretSource>,
    id: &str,
    secret: &str,
    basic: bool,
) -> std::result::Result<u32, (Error, Option<u32>)> {
    let list = clients.list().await.map_err(|e| (e, None))?;
    if list.is_empty() {
        return Err((Error::UnsupportedGrantType, None));
    }
    list.authenticate(id, secret)
        .ok_or_else(|| (Error::InvalidClient { basic }, list.known_id(id)))
}

impl<S, K, F> Handler for TokenFunction<S, K, F>
where
    S: OneTimeStore + RateStore + 'static,
    K: SecretSource + Clone + 'static,
    F: JwksFetch + 'static,
{
    const FUNCTION: crate::records::access::Function = crate::records::access::Function::Token;

    async fn handle(&self, req: Request) -> Result<Response> {
        let method = req.method().as_str();
        let path = req.uri().path();
        match (method, path) {
            ("GET", "/.well-known/jwks.json") => self.jwks().await,
            ("GET", "/.well-known/oauth-authorization-server") => self.metadata(&req),
            ("GET", "/openapi.json") => self.openapi(),
            ("POST", "/authorize") => self.authorize(&req),
            ("POST", "/token") => self.token(&req).await,
            r if ECHO_ROUTES.contains(&r) || (method == "GET" && is_app_data_path(path)) => {
                // Reached only through the authorizer; no context means a misrouted call.
                let caller = authorizer_context(&req)
                    .as_ref()
                    .and_then(Caller::from_context)
                    .ok_or(Error::Unauthorized("no_principal"))?;
                Ok(json(StatusCode::OK, &caller))
            }
            _ => Err(Error::NotFound),
        }
    }
}

fn set_public_cache(resp: &mut Response, max_age: Duration) -> Result<()> {
    let v = header_value(&format!("public, max-age={}", max_age.as_secs()))?;
    resp.headers_mut().insert(CACHE_CONTROL, v);
    Ok(())
}
