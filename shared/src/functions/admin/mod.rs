//! The admin function: IAM sign-in (submitted keys or a presigned STS request), admin
//! sessions with a CSRF token and periodic group re-checks, sign-in rate limits
//! ([`crate::records::rate`]), the foreign-origin refusal, and the admin API (API keys, OAuth
//! clients, sessions, signing keys, users, runtime settings) and the console ([`console`]). Admin routes have no
//! authorizer: this function authenticates them itself, and alone holds
//! `iam:ListGroupsForUser`. It sends one kind of e-mail, an invite an administrator asks
//! to have mailed (`invites.rs`).

use http::StatusCode;
use lambda_http::Request;
use secrecy::ExposeSecret;

use crate::answers::admin::*;
use crate::authz::origin::origin_absent_or;
use crate::config::Config;
use crate::credentials::admin::{
    AdminIdentity, AdminSession, AdminStore, PresignedRequest, SubmittedKeys, user_of_arn,
    valid_user_name,
};
use crate::credentials::apikey::{self, ApiKeyStore};
use crate::credentials::apps::AppStore;
use crate::credentials::clients::{ClientList, ClientSummary};
use crate::credentials::idps::IdpStore;
use crate::credentials::idps::identity::IdentityStore;
use crate::credentials::oidc::party::{OidcHttp, RelyingParty};
use crate::credentials::rotation::{self, RotationPolicy, SecretVersions};
use crate::credentials::secrets::{SecretSource, SecretWriter};
use crate::credentials::users::UserStore;
use crate::credentials::users::mail::Mailer;
use crate::credentials::users::settings::SettingsStore;
use crate::error::{Error, Result};
use crate::http::{Handler, Response, append_cookie, issuer, json, source_ip};
use crate::primitives::crypto::random_id;
use crate::primitives::crypto::{ct_eq, sha256_hex};
use crate::primitives::headers::cookie;
use crate::records::lock::{self, LockStore};
use crate::records::once::OneTimeStore;
use crate::records::rate::{self, Limiter, RateStore};
use crate::requests::admin::{
    ClientId, KeyId, NewClient, NewKey, RevokeSession, RevokeUser, Rotate, SigninRequest,
};
use crate::requests::body::read_json;
use crate::requests::presign::{PRESIGN_REPLAY_WINDOW_SECS, check_presigned};
use crate::requests::widget::from_json;

/// The admin session cookie (never accepted by the authorizer).
pub const ADMIN_COOKIE: &str = "__Host-gh_admin";
pub const CSRF_HEADER: &str = "x-csrf-token";

mod api;
mod apps;
mod console;
mod idps;
mod invites;
mod settings;
mod signin;
mod users;

/// What the admin function needs of the table: sessions, API keys, redeemed presigned
/// requests, sign-in rate counters, the locks, the users, the runtime settings and the
/// identity providers.
pub trait AdminPorts:
    AppStore
    + AdminStore
    + ApiKeyStore
    + OneTimeStore
    + RateStore
    + LockStore
    + UserStore
    + SettingsStore
    + IdpStore
    + IdentityStore
{
}
impl<T> AdminPorts for T where
    T: AppStore
        + AdminStore
        + ApiKeyStore
        + OneTimeStore
        + RateStore
        + LockStore
        + UserStore
        + SettingsStore
        + IdpStore
        + IdentityStore
{
}

/// What the admin function needs of Secrets Manager: the client list (read and write)
/// and the signing key ring's versions (direct rotations).
pub trait AdminSecrets: SecretSource + SecretWriter + SecretVersions {}
impl<T: SecretSource + SecretWriter + SecretVersions> AdminSecrets for T {}

/// The admin function over its ports: `I` proves IAM identities and group membership,
/// `S` is the table, `K` is Secrets Manager, `M` sends e-mailed invites, `O` reaches
/// identity providers.
pub struct AdminFunction<I, S, K, M, O> {
    config: Config,
    identity: I,
    store: S,
    secrets: K,
    mailer: M,
    /// The identity providers' discovery and keys (`POST /admin/idps/test`).
    party: RelyingParty<O>,
}

fn admin_cookie(id: &str, max_age: i64) -> String {
    format!(
        "{ADMIN_COOKIE}={id}; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        max_age.max(0)
    )
}

impl<I, S, K, M, O> AdminFunction<I, S, K, M, O>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
    M: Mailer,
    O: OidcHttp,
{
    pub(crate) fn from_parts(
        config: Config,
        identity: I,
        secrets: K,
        store: S,
        mailer: M,
        party: RelyingParty<O>,
    ) -> Result<Self> {
        Config::require(&config.admin_account_id, "ADMIN_ACCOUNT_ID")?;
        Ok(AdminFunction {
            store,
            identity,
            secrets,
            mailer,
            config,
            party,
        })
    }

    /// The value the signed `x-gatehouse-server-id` header must carry:
    /// `ADMIN_SERVER_ID`, else the issuer.
    fn server_id(&self, req: &Request) -> Result<String> {
        match &self.config.admin_server_id {
            Some(s) => Ok(s.clone()),
            None => issuer(&self.config, req),
        }
    }

    fn account(&self) -> &str {
        self.config.admin_account_id.as_deref().unwrap_or_default()
    }

    /// Admin routes refuse a foreign `Origin` (README, "Administrators"): only the
    /// issuer's own origin, or none (the CLI, same-origin GETs), is accepted.
    fn check_origin(&self, req: &Request) -> Result<()> {
        if origin_absent_or(req.headers(), || issuer(&self.config, req))? {
            Ok(())
        } else {
            tracing::warn!(event = "admin_request", source_ip = %source_ip(req), outcome = "refused", reason = "foreign_origin");
            Err(Error::ForeignOrigin)
        }
    }

    /// The caller's admin session: cookie, not expired, membership re-checked when due,
    /// and the CSRF header on state-changing calls.
    async fn session(&self, req: &Request) -> Result<(String, AdminSession)> {
        let (hash, session) = self.authenticated(req).await?;
        if req.method() != http::Method::GET {
            let token = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !ct_eq(
                sha256_hex(token.as_bytes()).as_bytes(),
                session.csrf_hash.as_bytes(),
            ) {
                return Err(Error::Forbidden("csrf_token_missing_or_wrong"));
            }
        }
        Ok((hash, session))
    }

    /// The caller's admin session without the CSRF check (the console's resume, which
    /// requires the issuer's `Origin` instead): cookie, not expired, membership
    /// re-checked when due.
    async fn authenticated(&self, req: &Request) -> Result<(String, AdminSession)> {
        // Sent twice, the cookie is refused, never resolved by picking one.
        let id = cookie(req.headers(), ADMIN_COOKIE)
            .ok()
            .flatten()
            .ok_or(Error::Unauthorized("no_admin_session"))?;
        let hash = sha256_hex(id.as_bytes());
        let now = crate::primitives::time::now_epoch();
        let session = self
            .store
            .get_admin_session(&hash, now)
            .await?
            .ok_or(Error::Unauthorized("no_admin_session"))?;
        if now - session.checked_at >= self.config.admin_recheck.as_secs() as i64 {
            if !self
                .identity
                .in_group(&session.user_name, &self.config.admin_group_name)
                .await?
            {
                self.store.delete_admin_session(&hash).await?;
                tracing::warn!(event = "admin_session_ended", user = %session.user_name, reason = "removed_from_admin_group");
                return Err(Error::Forbidden("not_in_admin_group"));
            }
            self.store.touch_admin_session(&hash, now).await?;
        }
        Ok((hash, session))
    }

    /// `POST /admin/signout`: the session ends and the cookie is cleared.
    async fn signout(&self, req: &Request) -> Result<Response> {
        let (hash, session) = self.session(req).await?;
        self.store.delete_admin_session(&hash).await?;
        tracing::info!(event = "admin_signout", user = %session.user_name);
        let mut resp = json(StatusCode::OK, &SignedOut { signed_out: true });
        append_cookie(&mut resp, &admin_cookie("", 0))?;
        Ok(resp)
    }
}

impl<I, S, K, M, O> Handler for AdminFunction<I, S, K, M, O>
where
    I: AdminIdentity + 'static,
    S: AdminPorts + 'static,
    K: AdminSecrets + 'static,
    M: Mailer + 'static,
    O: OidcHttp + 'static,
{
    const FUNCTION: crate::records::access::Function = crate::records::access::Function::Admin;

    async fn handle(&self, req: Request) -> Result<Response> {
        self.check_origin(&req)?;
        if req.method() == http::Method::GET
            && let Some(asset) = console::asset_of(req.uri().path())
        {
            return Ok(asset);
        }
        match (req.method().as_str(), req.uri().path()) {
            ("POST", "/admin/signin") => self.signin(&req).await,
            ("POST", "/admin/signout") => self.signout(&req).await,
            ("GET", "/admin/console/config") => self.console_config(&req),
            ("POST", "/admin/console/resume") => self.resume(&req).await,
            ("POST", "/admin/console/redeem") => self.redeem(&req).await,
            _ => {
                let (_, session) = self.session(&req).await?;
                self.api(&req, &session.user_name).await
            }
        }
    }
}
