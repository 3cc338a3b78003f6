//! Signing in through an OpenID Connect provider (README "Single sign-on"): the enabled
//! providers, the start (a transaction bound to the browser by `__Host-gh_sso`), the
//! callback (cookie and provider checked and loaded before the transaction is spent,
//! then the code exchanged and the id_token verified) and the one-time code's
//! redemption for the `__Host-gh_user` session. The callback sets no session: it hands
//! the user's page a code in the fragment, which the page redeems from its own site.

use http::header::{CACHE_CONTROL, HeaderValue, LOCATION};
use secrecy::ExposeSecret;

use super::*;
use crate::answers::idps::{SsoProvider, SsoProviders};
use crate::credentials::idps::Provider;
use crate::credentials::idps::sso::{CODE_TTL, SsoGrant, SsoTransaction, TRANSACTION_TTL};
use crate::credentials::oidc::flow::{
    FlowSecrets, SsoError, derive, new_browser_secret, new_state,
};
use crate::credentials::oidc::id_token::IdClaims;
use crate::credentials::oidc::party::{Exchange, Prepared, RpProvider};
use crate::http::{empty, issuer};
use crate::primitives::crypto::ct_eq;
use crate::requests::sso::{CallbackQuery, SsoRedeem, StartQuery};

/// The cookie binding a started sign-in to the browser (top-level visits on the API's
/// site: not partitioned).
pub const SSO_COOKIE: &str = "__Host-gh_sso";

fn sso_cookie(value: &str, max_age: i64) -> String {
    format!(
        "{SSO_COOKIE}={value}; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age={}",
        max_age.max(0)
    )
}

/// A 302 to `location`, never cached.
fn found(location: &str) -> Result<Response> {
    let mut resp = empty(StatusCode::FOUND);
    let loc =
        HeaderValue::from_str(location).map_err(|_| Error::Internal("bad location".into()))?;
    resp.headers_mut().insert(LOCATION, loc);
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The query's pairs, percent-decoded.
fn query_pairs(req: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn pairs(v: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The relying party's view of a provider.
fn rp<'a>(p: &'a Provider, scope: &'a str) -> RpProvider<'a> {
    RpProvider {
        id: &p.id,
        issuer: &p.issuer,
        client_id: &p.client_id,
        scopes: scope,
        allowed_algs: &p.allowed_algs,
    }
}

/// An enabled provider with its discovery and keys loaded.
struct Loaded {
    p: Provider,
    scope: String,
    prepared: Prepared,
}

impl Loaded {
    fn rp(&self) -> RpProvider<'_> {
        rp(&self.p, &self.scope)
    }
}

/// The sign-in so far: enough to say where the user goes next.
struct Done {
    code: String,
    return_to: String,
}

impl<S: UsersPorts, M: Mailer, K: SecretSource, O: OidcHttp> UsersFunction<S, M, K, O> {
    /// `GET /sso/providers`: the enabled providers' ids and display names.
    pub(super) async fn sso_providers(&self) -> Result<Response> {
        let all = self.idps.current(&self.store).await?;
        let providers = all
            .0
            .values()
            .filter(|p| p.enabled)
            .map(|p| SsoProvider {
                id: p.id.clone(),
                display_name: p.display_name.clone(),
            })
            .collect();
        Ok(json(StatusCode::OK, &SsoProviders { providers }))
    }

    /// A 302 to the user's page with `what=value` in its fragment (409
    /// `user_ui_not_configured` without `USER_UI_URL`).
    fn to_ui(&self, what: &str, value: &str) -> Result<Response> {
        found(self.config.user_ui_link(what, value)?.expose_secret())
    }

    /// The refusal every SSO route redirects with: a code from the fixed list.
    fn sso_refused(&self, step: &'static str, e: SsoError) -> Result<Response> {
        tracing::warn!(
            event = "sso_signin",
            step,
            outcome = "failure",
            reason = e.as_str()
        );
        self.to_ui("sso_error", e.as_str())
    }

    fn callback_url(&self, req: &Request) -> Result<String> {
        Ok(format!("{}/sso/callback", issuer(&self.config, req)?))
    }

    /// The enabled provider `id`, its discovery and keys loaded.
    async fn provider(&self, id: &str) -> Result<Result<Loaded, SsoError>> {
        let all = self.idps.current(&self.store).await?;
        let Some(p) = all.enabled(id).cloned() else {
            return Ok(Err(SsoError::UnknownProvider));
        };
        let scope = p.scope();
        Ok(match self.party.prepare(&rp(&p, &scope)).await {
            Ok(prepared) => Ok(Loaded { p, scope, prepared }),
            Err(e) => Err(e),
        })
    }

    /// `GET /sso/start?idp=&return_to=`: a transaction (10 minutes) bound to a fresh
    /// `__Host-gh_sso` cookie, and a 302 to the provider's authorization endpoint.
    pub(super) async fn sso_start(&self, req: &Request) -> Result<Response> {
        let q = query_pairs(req);
        let start = match StartQuery::parse(pairs(&q)) {
            Ok(s) => s,
            Err(e) => return self.sso_refused("start", e),
        };
        let loaded = match self.provider(&start.idp).await? {
            Ok(loaded) => loaded,
            Err(e) => return self.sso_refused("start", e),
        };
        let now = (self.clock)();
        let (state, browser) = (new_state(), new_browser_secret());
        self.store
            .put_sso_transaction(&SsoTransaction {
                state_hash: sha256_hex(state.as_bytes()),
                idp: loaded.p.id.clone(),
                browser: sha256_hex(browser.expose_secret().as_bytes()),
                return_to: start.return_to,
                created_at: now,
                expires_at: now + TRANSACTION_TTL,
            })
            .await?;
        let secrets = derive(&browser, &state);
        let redirect = self.callback_url(req)?;
        let url = self.party.authorization_url(
            &loaded.prepared,
            &loaded.rp(),
            &redirect,
            &state,
            &secrets,
        );
        tracing::info!(event = "sso_start", idp = %loaded.p.id);
        let mut resp = found(&url)?;
        append_cookie(
            &mut resp,
            &sso_cookie(browser.expose_secret(), TRANSACTION_TTL),
        )?;
        Ok(resp)
    }

    /// `GET /sso/callback`: on success a 302 to the user's page with
    /// `#sso_code=<code>&return_to=<path>`; on a refusal `#sso_error=<code>`. The
    /// cookie is cleared once the transaction is spent, and kept when it is not (a
    /// forged or early-failing callback leaves the browser's sign-in in progress).
    pub(super) async fn sso_callback(&self, req: &Request) -> Result<Response> {
        let mut spent = false;
        let outcome = match self.callback(req, &mut spent).await {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::error!(event = "sso_signin", outcome = "error", error = %e.detail());
                Err(SsoError::ServerError)
            }
        };
        let mut resp = match outcome {
            Ok(done) => {
                let path: String =
                    form_urlencoded::byte_serialize(done.return_to.as_bytes()).collect();
                self.to_ui("sso_code", &format!("{}&return_to={path}", done.code))?
            }
            Err(e) => self.sso_refused("callback", e)?,
        };
        if spent {
            append_cookie(&mut resp, &sso_cookie("", 0))?;
        }
        Ok(resp)
    }

    /// The callback's steps; `Err` only for a failing dependency. `spent` turns true
    /// once this request has consumed the transaction.
    async fn callback(&self, req: &Request, spent: &mut bool) -> Result<Result<Done, SsoError>> {
        let q = query_pairs(req);
        let cb = match CallbackQuery::parse(pairs(&q)) {
            Ok(cb) if cb.error => return Ok(Err(SsoError::ProviderError)),
            Ok(cb) => cb,
            Err(e) => return Ok(Err(e)),
        };
        let Ok(Some(browser)) = cookie(req.headers(), SSO_COOKIE) else {
            return Ok(Err(SsoError::StateMismatch));
        };
        let now = (self.clock)();
        let state_hash = sha256_hex(cb.state.as_bytes());
        let browser_hash = sha256_hex(browser.as_bytes());
        let tx = self.store.get_sso_transaction(&state_hash, now).await?;
        let Some(tx) = tx.filter(|t| ct_eq(t.browser.as_bytes(), browser_hash.as_bytes())) else {
            return Ok(Err(SsoError::StateMismatch));
        };
        // Discovery and keys first: a failure there spends nothing.
        let loaded = match self.provider(&tx.idp).await? {
            Ok(loaded) => loaded,
            Err(e) => return Ok(Err(e)),
        };
        let all_secrets = self.idp_secrets.get(self.config.idp_secrets_id()?).await?;
        let client_secret = all_secrets.get(&loaded.p.id).ok_or_else(|| {
            Error::Internal(format!("no client secret for provider {}", loaded.p.id))
        })?;
        if !self
            .store
            .consume_sso_transaction(&state_hash, &browser_hash, now)
            .await?
        {
            return Ok(Err(SsoError::StateMismatch));
        }
        *spent = true;
        if let Err(e) = self
            .party
            .check_iss_param(&loaded.prepared, cb.iss.as_deref())
        {
            return Ok(Err(e));
        }
        let Some(code) = cb.code.as_deref() else {
            return Ok(Err(SsoError::InvalidRequest));
        };
        let secrets: FlowSecrets = derive(&browser.into(), &cb.state);
        let exchange = Exchange {
            client_secret,
            code,
            redirect_uri: &self.callback_url(req)?,
            secrets: &secrets,
        };
        let claims = match self
            .party
            .redeem(&loaded.prepared, &loaded.rp(), &exchange, now)
            .await
        {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        self.grant(&loaded.p, &claims, tx.return_to, now).await
    }

    /// The one-time code (60 s) of the account the identity signs in (linked, or
    /// provisioned by the provider's rule): only an active user gets one.
    async fn grant(
        &self,
        p: &Provider,
        claims: &IdClaims,
        return_to: String,
        now: i64,
    ) -> Result<Result<Done, SsoError>> {
        let user = match self.sso_account(p, claims, now).await? {
            Ok(user) => user,
            Err(e) => return Ok(Err(e)),
        };
        if user.status != UserStatus::Active {
            return Ok(Err(SsoError::AccountDisabled));
        }
        let code = random_id();
        let grant = SsoGrant {
            user_id: user.id.clone(),
            idp: p.id.clone(),
        };
        self.store
            .put_sso_code(&sha256_hex(code.as_bytes()), &grant, now + CODE_TTL)
            .await?;
        tracing::info!(event = "sso_signin", idp = %p.id, user_id = %user.id, outcome = "code_issued");
        Ok(Ok(Done { code, return_to }))
    }

    /// `POST /users/sso/redeem {code}` from an allowed Origin: the code's user gets a
    /// `__Host-gh_user` session; an unknown, used or expired code is a 400.
    pub(super) async fn sso_redeem(&self, req: &Request) -> Result<Response> {
        self.config.allowed_origins.require(req.headers())?;
        let body: SsoRedeem = json_body(req.headers(), req.body().as_ref())?;
        let now = (self.clock)();
        let hash = sha256_hex(body.code.expose_secret().as_bytes());
        let Some(grant) = self.store.consume_sso_code(&hash, now).await? else {
            return Err(link_refused("sso_redeem", "invalid_or_expired_code"));
        };
        let user = self
            .store
            .get_user(&grant.user_id)
            .await?
            .filter(|u| u.status == UserStatus::Active)
            .ok_or(Error::Forbidden("account_disabled"))?;
        let opened = self.open_session(user, now).await?;
        tracing::info!(event = "user_signin", method = "sso", idp = %grant.idp, user_id = %opened.user.id, outcome = "success");
        self.signed_in(opened, now)
    }
}
