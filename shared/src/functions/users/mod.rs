//! The users function (README "People", "Single sign-on"): password sign-in with the
//! lockout and the per-IP limit, the password rules, and the route table; the signed-in
//! user and sign-out (`session.rs`), single sign-on (`sso.rs`) and the accounts it
//! provisions (`provision.rs`), applications and their grants (`apps.rs`). The only
//! code path that
//! hashes passwords at run time.

mod apps;
mod credentials;
mod provision;
mod reset;
mod session;
mod signup;
mod sso;

pub use self::sso::SSO_COOKIE;

use std::sync::Arc;

use http::StatusCode;
use lambda_http::Request;
use secrecy::SecretString;

use crate::answers::users::{SignedInUser, UserInfo};
use crate::config::Config;
use crate::credentials::apps::AppStore;
use crate::credentials::idps::identity::IdentityStore;
use crate::credentials::idps::secrets::{IdpSecrets, secret_cache};
use crate::credentials::idps::sso::SsoStore;
use crate::credentials::idps::{IdpCache, IdpStore};
use crate::credentials::oidc::party::{OidcHttp, RelyingParty};
use crate::credentials::password::{Passwords, Verdict};
use crate::credentials::secrets::{SecretCache, SecretSource};
use crate::credentials::users::mail::Mailer;
use crate::credentials::users::settings::{SettingsCache, SettingsStore};
use crate::credentials::users::signup::SignupStore;
use crate::credentials::users::{
    CHANGE_TRIES, Identifier, PasswordHash, User, UserSession, UserStatus, UserStore,
};
use crate::error::{Error, Result};
use crate::http::{Handler, Response, append_cookie, json, source_ip, user_cookie};
use crate::primitives::crypto::{random_id, sha256_hex};
use crate::primitives::headers::cookie;
use crate::records::lockout::{self, Lockout, LockoutStore};
use crate::records::rate::{self, Limiter, RateStore};
use crate::requests::body::json_body;
use crate::requests::users::UserSigninRequest;

/// The store the users function needs: users and sessions, lockout counters, per-IP
/// slots, the sign-up's records, the runtime settings, and single sign-on's providers,
/// identities and transactions, and the applications.
pub trait UsersPorts:
    AppStore
    + UserStore
    + LockoutStore
    + RateStore
    + SignupStore
    + SettingsStore
    + IdpStore
    + IdentityStore
    + SsoStore
{
}
impl<T> UsersPorts for T where
    T: AppStore
        + UserStore
        + LockoutStore
        + RateStore
        + SignupStore
        + SettingsStore
        + IdpStore
        + IdentityStore
        + SsoStore
{
}

/// The clock the sign-in reads (epoch seconds); tests inject one to see locks lift.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The answer to a wrong password and to an unknown or invited identifier: the same
/// error, so the same bytes.
const INVALID: Error = Error::Unauthorized("invalid_credentials");

/// How often a write of the e-mail flows (sign-up, verification, reset) is tried
/// against concurrent ones (DynamoDB cancels transactions that touch an item another
/// one is writing).
const SIGNUP_TRIES: u32 = 8;

/// 10 to 40 ms times the attempt's number, so concurrent writers spread out.
async fn pause(attempt: u32) {
    let jitter = u64::from(crate::primitives::crypto::random_bytes(1)[0] % 30);
    let ms = (10 + jitter) * u64::from(attempt + 1);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// The one refusal of a mailed or handed-over link's token (unknown, expired, used or
/// superseded): logged under `event` with `reason`, answered as a 400 saying `reason`.
fn link_refused(event: &'static str, reason: &'static str) -> Error {
    tracing::warn!(event, outcome = "failure", reason);
    Error::bad_request(reason)
}

/// The users function over its store, its mailer, Secrets Manager (the providers'
/// client secrets) and the identity providers.
pub struct UsersFunction<S, M, K, O> {
    config: Config,
    store: S,
    mailer: M,
    passwords: Passwords,
    settings: SettingsCache,
    idps: IdpCache,
    idp_secrets: SecretCache<K, Arc<IdpSecrets>>,
    party: RelyingParty<O>,
    clock: Clock,
}

/// A signed-in user: the record and the new session's id (for the cookie).
struct Opened {
    user: User,
    id: String,
    session: UserSession,
}

impl<S: UsersPorts, M: Mailer, K: SecretSource, O: OidcHttp> UsersFunction<S, M, K, O> {
    pub(crate) fn from_parts(
        config: Config,
        store: S,
        mailer: M,
        secrets: K,
        party: RelyingParty<O>,
    ) -> Self {
        let passwords = config.passwords();
        let signup = &config.users.signup;
        let settings = SettingsCache::new(signup.settings_cache_ttl, signup.mode);
        if signup.email_from.is_none() {
            tracing::warn!(
                "EMAIL_FROM is empty: no e-mail is sent, and sign-up (SIGNUP_MODE, the \
                 sign-up settings) answers 409 email_not_configured while it requires \
                 e-mail verification"
            );
        }
        UsersFunction {
            idps: IdpCache::new(signup.settings_cache_ttl),
            idp_secrets: secret_cache(secrets),
            party,
            config,
            store,
            mailer,
            passwords,
            settings,
            clock: Arc::new(crate::primitives::time::now_epoch),
        }
    }

    /// The same function reading another clock.
    pub fn with_clock(self, clock: Clock) -> Self {
        UsersFunction { clock, ..self }
    }

    /// `POST /users/signin`. Order: the Origin (login CSRF), the body (400 counts for
    /// nothing), password login switched on, the per-IP slot, the lockout (429 before any hash; the slot is kept),
    /// the password.
    async fn signin(&self, req: &Request) -> Result<Response> {
        self.config.allowed_origins.require(req.headers())?;
        let body: UserSigninRequest = json_body(req.headers(), req.body().as_ref())?;
        let identifier = body.identifier()?;
        self.require_password_login().await?;
        let now = (self.clock)();
        let ip = source_ip(req);
        let limiter = Limiter::new(
            &self.store,
            rate::USERS,
            self.config.users.signin_limits,
            now,
        );
        let slot = limiter.reserve(&ip).await.inspect_err(|e| match e {
            Error::TooManyRequests { .. } => {
                tracing::warn!(event = "user_signin", source_ip = %ip, outcome = "refused", reason = "ip_rate_limited");
            }
            other => log_refusal(other, &ip),
        })?;
        let outcome = self.attempt(&identifier, &body.password, now).await;
        match &outcome {
            Err(Error::TooManyRequests { .. }) => limiter.keep(slot),
            other => limiter.settle(slot, other.as_ref().err(), None).await?,
        }
        let opened = outcome.inspect_err(|e| log_refusal(e, &ip))?;
        tracing::info!(event = "user_signin", user_id = %opened.user.id, source_ip = %ip, outcome = "success");
        self.signed_in(opened, now)
    }

    /// A sign-in's answer: the user, and the session cookie.
    fn signed_in(&self, opened: Opened, now: i64) -> Result<Response> {
        let mut resp = json(
            StatusCode::OK,
            &SignedInUser {
                user: UserInfo::from(&opened.user),
                expires_at: opened.session.expires_at,
            },
        );
        let max_age = opened.session.expires_at - now;
        append_cookie(&mut resp, &user_cookie(&opened.id, max_age))?;
        Ok(resp)
    }

    /// 403 `password_login_disabled` while an administrator has switched passwords off
    /// (README "People", sign-up settings); sessions already open stay open.
    async fn require_password_login(&self) -> Result<()> {
        let settings = self.settings.current(&self.store).await?;
        settings.login.require_password_login()
    }

    /// A new password of `user` under the policy, with the user's own words; a refusal
    /// is a 400 naming `new_password`.
    fn check_new_password(&self, password: &SecretString, user: &User) -> Result<()> {
        self.passwords
            .policy()
            .check(password, &user.context_words())
            .map_err(|why| Error::bad_request(format!("new_password: {why}")))
    }

    /// [`Self::check_new_password`], then its hash.
    async fn new_password_hash(
        &self,
        password: &SecretString,
        user: &User,
    ) -> Result<PasswordHash> {
        self.check_new_password(password, user)?;
        Ok(PasswordHash(self.passwords.hash(password).await?))
    }

    /// The user an identifier names, if it may sign in with a password: an invited
    /// user (no password yet) is treated as unknown.
    async fn find(&self, identifier: &Identifier) -> Result<Option<User>> {
        let user = self.user_named(identifier).await?;
        Ok(user.filter(|u| u.status != UserStatus::Invited && u.password.is_some()))
    }

    /// The user whose name item `identifier` names, if any (whatever its status).
    async fn user_named(&self, identifier: &Identifier) -> Result<Option<User>> {
        match self.store.find_user_id(identifier).await? {
            Some(id) => self.store.get_user(&id).await,
            None => Ok(None),
        }
    }

    /// One attempt behind the per-IP slot: lockout, password, status, session.
    async fn attempt(
        &self,
        identifier: &Identifier,
        password: &SecretString,
        now: i64,
    ) -> Result<Opened> {
        let user = self.find(identifier).await?;
        let mut keys = vec![lockout::identifier_key(&identifier.counter_key())];
        keys.extend(user.as_ref().map(|u| lockout::user_key(&u.id)));
        let lockout = Lockout::new(&self.store, self.config.users.lockout_threshold);
        let reservation = lockout.reserve(keys, now).await?;
        let verdict = match user.as_ref().and_then(|u| u.password.as_ref()) {
            Some(phc) => self.passwords.verify(password, &phc.0).await?,
            None => self.passwords.verify_unknown(password).await?,
        };
        let (Verdict::Match { rehash }, Some(user)) = (verdict, user) else {
            return Err(INVALID);
        };
        lockout.succeeded(reservation).await?;
        match user.status {
            UserStatus::Disabled => return Err(Error::Forbidden("account_disabled")),
            // An expired sign-up is no account at all (README "People", sign-up).
            UserStatus::PendingVerification if !user.holds_names_at(now) => return Err(INVALID),
            UserStatus::PendingVerification => return Err(Error::Forbidden("email_not_verified")),
            UserStatus::Active | UserStatus::Invited => {}
        }
        if rehash {
            self.rehash(&user, password).await;
        }
        self.open_session(user, now).await
    }

    /// Stores a hash with the current parameters in place of a weaker one. A failure is
    /// logged: the sign-in still succeeds, and the next one tries again.
    async fn rehash(&self, user: &User, password: &SecretString) {
        let Some(old) = &user.password else { return };
        let result = match self.passwords.hash(password).await {
            Ok(new) => {
                self.store
                    .replace_password_hash(&user.id, old, &PasswordHash(new))
                    .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(done) => tracing::info!(event = "password_rehash", user_id = %user.id, done),
            Err(e) => {
                tracing::warn!(event = "password_rehash", user_id = %user.id, error = %e.detail())
            }
        }
    }

    /// A new session, written with the user's session list in one transaction that
    /// requires the user to be active; retried on a concurrent change.
    async fn open_session(&self, mut user: User, now: i64) -> Result<Opened> {
        let id = random_id();
        let hash = sha256_hex(id.as_bytes());
        let ttl = self.config.users.session_ttl.as_secs() as i64;
        for _ in 0..CHANGE_TRIES {
            let session = UserSession {
                user_id: user.id.clone(),
                kind: user.kind,
                roles: user.roles.clone(),
                created_at: now,
                expires_at: now + ttl,
            };
            let change = user.open_session(hash.clone(), session.clone());
            if self.store.change_sessions(&change).await? {
                return Ok(Opened { user, id, session });
            }
            user = self.store.get_user(&user.id).await?.ok_or(INVALID)?;
            if user.status != UserStatus::Active {
                return Err(Error::Forbidden("account_disabled"));
            }
        }
        Err(Error::Busy("user record"))
    }
}

/// The sign-in's log line for a refusal: the reason code, never the identifier or the
/// password.
fn log_refusal(e: &Error, ip: &str) {
    let reason = match e {
        Error::Unauthorized(code) | Error::Forbidden(code) => *code,
        Error::TooManyRequests { .. } => "locked_out",
        other => other.code(),
    };
    if e.status().is_server_error() {
        tracing::error!(event = "user_signin", source_ip = %ip, outcome = "error", reason, error = %e.detail());
    } else {
        tracing::warn!(event = "user_signin", source_ip = %ip, outcome = "failure", reason);
    }
}

impl<S, M, K, O> Handler for UsersFunction<S, M, K, O>
where
    S: UsersPorts + 'static,
    M: Mailer + 'static,
    K: SecretSource + 'static,
    O: OidcHttp + 'static,
{
    const FUNCTION: crate::records::access::Function = crate::records::access::Function::Users;

    async fn handle(&self, req: Request) -> Result<Response> {
        match (req.method().as_str(), req.uri().path()) {
            ("POST", "/users/signin") => self.signin(&req).await,
            ("GET", "/users/password-policy") => {
                Ok(json(StatusCode::OK, &self.passwords.policy().rules()))
            }
            ("GET", "/users/me") => self.me(&req).await,
            ("POST", "/users/signout") => self.signout(&req).await,
            ("POST", "/users/invite/accept") => self.accept_invite(&req).await,
            ("POST", "/users/password/change") => self.change_password(&req).await,
            ("POST", "/users/signup") => self.signup(&req).await,
            ("GET", "/users/signup/config") => self.signup_config(&req).await,
            ("POST", "/users/verify-email") => self.verify_email(&req).await,
            ("POST", "/users/password/forgot") => self.forgot_password(&req).await,
            ("POST", "/users/password/reset") => self.reset_password(&req).await,
            ("GET", "/sso/providers") => self.sso_providers().await,
            ("GET", "/sso/start") => self.sso_start(&req).await,
            ("GET", "/sso/callback") => self.sso_callback(&req).await,
            ("POST", "/users/sso/redeem") => self.sso_redeem(&req).await,
            ("POST", "/apps") => self.create_app(&req).await,
            ("POST", "/apps/update") => self.update_app(&req).await,
            ("POST", "/apps/grants/add") => self.add_grant(&req).await,
            ("POST", "/apps/grants/remove") => self.remove_grant(&req).await,
            ("GET", "/apps/grants") => self.list_grants(&req).await,
            ("GET", "/users/me/apps") => self.my_apps(&req).await,
            _ => Err(Error::NotFound),
        }
    }
}
