//! The admin function: IAM sign-in (submitted keys or a presigned STS request), admin
//! sessions with a CSRF token and periodic group re-checks, sign-in rate limits
//! ([`crate::records::rate`]), the foreign-origin refusal, and the admin API (API keys, OAuth
//! clients, sessions, signing keys). Admin routes have no
//! authorizer: this function authenticates them itself, and alone holds
//! `iam:ListGroupsForUser`.

use aws_sdk_secretsmanager::Client as SecretsClient;
use http::StatusCode;
use http::header::{HeaderValue, SET_COOKIE};
use lambda_http::Request;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::config::Config;
use crate::credentials::admin::{
    AdminIdentity, AwsIdentity, PRESIGN_REPLAY_WINDOW_SECS, SubmittedKeys, check_presigned,
    user_of_arn, valid_user_name,
};
use crate::credentials::apikey;
use crate::credentials::clients::{ClientList, ClientSummary};
use crate::credentials::keys::random_id;
use crate::credentials::rotation::{self, RotationPolicy};
use crate::error::{Error, Result};
use crate::functions::widget::from_json;
use crate::http::{Handler, Response, json, origin_absent_or, origin_of, read_json, source_ip};
use crate::primitives::crypto::{ct_eq, sha256_hex};
use crate::records::access::Function;
use crate::records::lock;
use crate::records::rate::{self, Limiter};
use crate::records::store::{AdminSession, AdminStore, ApiKeyStore, DynamoStore, OneTimeStore};
use crate::requests::admin::{
    ClientId, KeyId, NewClient, NewKey, RevokeSession, RevokeUser, Rotate, SigninRequest,
    cookie_value,
};

/// The admin session cookie (never accepted by the authorizer).
pub const ADMIN_COOKIE: &str = "__Host-gh_admin";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A failed sign-in: the answer and the reason code for the audit log.
struct Refusal {
    error: Error,
    reason: &'static str,
    /// The user name the attempt was for, when known (for the per-user limit).
    user: Option<String>,
}

fn refuse(error: Error, reason: &'static str, user: Option<String>) -> Refusal {
    Refusal {
        error,
        reason,
        user,
    }
}

pub struct AdminFunction<I> {
    config: Config,
    identity: I,
    store: DynamoStore,
    secrets: SecretsClient,
}

fn admin_cookie(id: &str, max_age: i64) -> String {
    format!(
        "{ADMIN_COOKIE}={id}; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        max_age.max(0)
    )
}

impl AdminFunction<AwsIdentity> {
    pub fn new(
        config: Config,
        secrets: SecretsClient,
        dynamodb: aws_sdk_dynamodb::Client,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self> {
        Config::require(&config.admin_account_id, "ADMIN_ACCOUNT_ID")?;
        Ok(AdminFunction {
            identity: AwsIdentity::new(sdk)?,
            store: DynamoStore::new(dynamodb, config.table_name.clone(), Function::Admin),
            secrets,
            config,
        })
    }

    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        let sdk = crate::adapters::sdk::sdk_config().await;
        Self::new(
            config,
            crate::adapters::sdk::secretsmanager(&sdk),
            crate::adapters::sdk::dynamodb(&sdk),
            &sdk,
        )
    }
}

impl<I: AdminIdentity> AdminFunction<I> {
    pub fn with_identity(
        config: Config,
        identity: I,
        secrets: SecretsClient,
        dynamodb: aws_sdk_dynamodb::Client,
    ) -> Result<Self> {
        Config::require(&config.admin_account_id, "ADMIN_ACCOUNT_ID")?;
        Ok(AdminFunction {
            store: DynamoStore::new(dynamodb, config.table_name.clone(), Function::Admin),
            identity,
            secrets,
            config,
        })
    }

    fn account(&self) -> &str {
        self.config.admin_account_id.as_deref().unwrap_or_default()
    }

    /// The IAM user behind the attempt, if a member of the admin group.
    async fn verify(
        &self,
        body: SigninRequest,
        server_id: &str,
        now: i64,
    ) -> std::result::Result<String, Refusal> {
        let lift = |e: Error, user: Option<String>| match e {
            Error::Unauthorized(reason) => refuse(Error::Unauthorized(reason), reason, user),
            other => refuse(other, "dependency_failed", user),
        };
        let (arn, claimed) = match body {
            SigninRequest::Keys {
                user_name,
                access_key_id,
                secret_access_key,
                session_token,
            } => {
                if !valid_user_name(&user_name) {
                    return Err(refuse(
                        Error::bad_request("userName is not a valid IAM user name"),
                        "malformed",
                        None,
                    ));
                }
                let keys = SubmittedKeys {
                    access_key_id,
                    secret_access_key,
                    session_token,
                };
                let arn = self
                    .identity
                    .caller_with_keys(&keys)
                    .await
                    .map_err(|e| lift(e, Some(user_name.clone())))?;
                (arn, Some(user_name))
            }
            SigninRequest::Presigned { presigned } => {
                let checked =
                    check_presigned(&presigned, &self.config.admin_sts_endpoint, server_id, now)
                        .map_err(|reason| refuse(Error::Unauthorized(reason), reason, None))?;
                let first = self
                    .store
                    .redeem_once(
                        "presign",
                        &checked.redemption_key(),
                        now + PRESIGN_REPLAY_WINDOW_SECS,
                    )
                    .await
                    .map_err(|e| lift(e, None))?;
                if !first {
                    return Err(refuse(Error::Unauthorized("replayed"), "replayed", None));
                }
                (
                    self.identity
                        .caller_from_presigned(&presigned)
                        .await
                        .map_err(|e| lift(e, None))?,
                    None,
                )
            }
        };
        let Some(user) = user_of_arn(&arn, self.account()) else {
            return Err(refuse(
                Error::Forbidden("not_an_iam_user_of_this_account"),
                "not_an_iam_user_of_this_account",
                claimed,
            ));
        };
        if claimed.as_deref().is_some_and(|c| c != user) {
            return Err(refuse(
                Error::Unauthorized("user_name_mismatch"),
                "user_name_mismatch",
                claimed,
            ));
        }
        let member = self
            .identity
            .in_group(user, &self.config.admin_group_name)
            .await
            .map_err(|e| lift(e, Some(user.to_owned())))?;
        if !member {
            return Err(refuse(
                Error::Forbidden("not_in_admin_group"),
                "not_in_admin_group",
                Some(user.to_owned()),
            ));
        }
        Ok(user.to_owned())
    }

    async fn signin(&self, req: &Request) -> Result<Response> {
        let now = crate::primitives::time::now_epoch();
        let ip = source_ip(req);
        // Malformed bodies are 400 and count for nothing.
        let body = SigninRequest::parse(read_json(req.headers(), req.body().as_ref())?)?;
        let server_id = match &self.config.admin_server_id {
            Some(s) => s.clone(),
            None => crate::functions::token::issuer(&self.config, req)?,
        };
        let limiter = Limiter::new(&self.store, rate::ADMIN, self.config.signin_limits, now);
        let slot = limiter.reserve(&ip).await.inspect_err(|e| {
            if let Error::TooManyRequests { .. } = e {
                tracing::warn!(event = "admin_signin", source_ip = %ip, outcome = "refused", reason = "ip_rate_limited");
            }
        })?;
        let outcome = self.verify(body, &server_id, now).await;
        let refusal = outcome.as_ref().err();
        let limited = limiter
            .settle(
                slot,
                refusal.map(|r| &r.error),
                refusal.and_then(|r| r.user.as_deref()),
            )
            .await;
        match outcome {
            Ok(user) => self.open_session(user, &ip, now).await,
            Err(r) if r.error.status().is_server_error() => {
                tracing::error!(event = "admin_signin", source_ip = %ip, outcome = "error", reason = r.reason, error = %r.error.detail());
                Err(r.error)
            }
            Err(r) => {
                tracing::warn!(event = "admin_signin", user = r.user.as_deref().unwrap_or("-"), source_ip = %ip, outcome = "failure", reason = r.reason);
                limited?;
                Err(r.error)
            }
        }
    }

    /// A new admin session for `user`: the cookie and the CSRF token.
    async fn open_session(&self, user: String, ip: &str, now: i64) -> Result<Response> {
        let id = random_id();
        let csrf = random_id();
        let ttl = self.config.admin_session_ttl.as_secs() as i64;
        let session = AdminSession {
            user_name: user.clone(),
            csrf_hash: sha256_hex(csrf.as_bytes()),
            checked_at: now,
            created_at: now,
            expires_at: now + ttl,
        };
        self.store
            .put_admin_session(&sha256_hex(id.as_bytes()), &session)
            .await?;
        tracing::info!(event = "admin_signin", user = %user, source_ip = %ip, outcome = "success");
        let mut resp = json(
            StatusCode::OK,
            &json!({"userName": user, "csrfToken": csrf, "expires_at": session.expires_at}),
        );
        resp.headers_mut().append(
            SET_COOKIE,
            HeaderValue::from_str(&admin_cookie(&id, ttl)).expect("ASCII"),
        );
        Ok(resp)
    }

    /// Admin routes refuse a foreign `Origin` (README, "Administrators"): only the
    /// issuer's own origin, or none (the CLI, same-origin GETs), is accepted.
    fn check_origin(&self, req: &Request) -> Result<()> {
        if !req.headers().contains_key(http::header::ORIGIN) {
            return Ok(());
        }
        let issuer = crate::functions::token::issuer(&self.config, req)?;
        if origin_absent_or(req.headers(), origin_of(&issuer)) {
            Ok(())
        } else {
            tracing::warn!(event = "admin_request", source_ip = %source_ip(req), outcome = "refused", reason = "foreign_origin");
            Err(Error::ForeignOrigin)
        }
    }

    /// The caller's admin session: cookie, not expired, membership re-checked when due,
    /// and the CSRF header on state-changing calls.
    async fn session(&self, req: &Request) -> Result<(String, AdminSession)> {
        let id = cookie_value(req.headers(), ADMIN_COOKIE)
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

    fn client_secrets_id(&self) -> Result<&str> {
        Config::require(
            &self.config.client_secrets_secret,
            "CLIENT_SECRETS_SECRET_ARN",
        )
    }

    async fn read_clients(&self) -> Result<Vec<Value>> {
        use crate::credentials::secrets::SecretSource;
        let value = self.secrets.fetch(self.client_secrets_id()?).await?;
        serde_json::from_str(value.expose_secret())
            .map_err(|_| Error::Internal("CLIENT_SECRETS is not a JSON array".into()))
    }

    /// Every client's id, kind and weakness (never a secret or hash).
    async fn list_clients(&self) -> Result<Vec<ClientSummary>> {
        use crate::credentials::secrets::SecretSource;
        let value = self.secrets.fetch(self.client_secrets_id()?).await?;
        Ok(ClientList::parse(value.expose_secret())?.summary())
    }

    async fn write_clients(&self, list: &[Value]) -> Result<()> {
        self.secrets
            .put_secret_value()
            .secret_id(self.client_secrets_id()?)
            .secret_string(serde_json::to_string(list).expect("JSON"))
            .send()
            .await
            .map_err(|e| Error::dependency("secretsmanager", e))?;
        Ok(())
    }

    async fn api(&self, req: &Request, user: &str) -> Result<Response> {
        let body = || -> Result<Value> {
            if req.body().as_ref().is_empty() {
                Ok(json!({}))
            } else {
                read_json(req.headers(), req.body().as_ref())
            }
        };
        let now = crate::primitives::time::now_epoch();
        let ok = |v: Value| Ok(json(StatusCode::OK, &v));
        match (req.method().as_str(), req.uri().path()) {
            ("GET", "/admin/keys") => {
                let keys: Vec<Value> = self.store.list_api_keys().await?.into_iter().map(|k| json!({
                    "id": k.id, "name": k.name, "scopes": k.scopes, "created_at": k.created_at,
                    "expires_at": k.expires_at, "disabled": k.disabled, "last4": k.last4, "last_used": k.last_used,
                })).collect();
                ok(json!({ "keys": keys }))
            }
            ("POST", "/admin/keys") => {
                let b: NewKey = from_json(body()?)?;
                let new = apikey::generate(&b.name, b.scopes, b.expires_at, now)?;
                self.store.put_api_key(&new.record).await?;
                tracing::info!(event = "admin_api", user, action = "key_create", key_id = %new.record.id);
                ok(
                    json!({ "key": apikey::reveal(&new.key), "id": new.record.id, "scopes": new.record.scopes, "last4": new.record.last4 }),
                )
            }
            ("POST", "/admin/keys/disable") => {
                let b: KeyId = from_json(body()?)?;
                if !self.store.set_api_key_disabled(&b.id).await? {
                    return Err(Error::NotFound);
                }
                tracing::info!(event = "admin_api", user, action = "key_disable", key_id = %b.id);
                ok(json!({ "id": b.id, "disabled": true }))
            }
            ("POST", "/admin/keys/delete") => {
                let b: KeyId = from_json(body()?)?;
                if !self.store.delete_api_key(&b.id).await? {
                    return Err(Error::NotFound);
                }
                tracing::info!(event = "admin_api", user, action = "key_delete", key_id = %b.id);
                ok(json!({ "id": b.id, "deleted": true }))
            }
            ("GET", "/admin/clients") => {
                let clients = self.list_clients().await?;
                tracing::info!(
                    event = "admin_api",
                    user,
                    action = "client_list",
                    clients = clients.len()
                );
                ok(json!({ "clients": clients }))
            }
            ("POST", "/admin/clients") => {
                let _: NewClient = from_json(body()?)?;
                let secret = hex::encode(crate::primitives::crypto::random_bytes(32));
                let entry = ClientList::hashed_entry(&secret);
                let client_id = lock::locked(&self.store, lock::CLIENT_SECRETS, async || {
                    let mut list = self.read_clients().await?;
                    list.push(entry.clone().into());
                    self.write_clients(&list).await?;
                    Ok(list.len())
                })
                .await?;
                tracing::info!(event = "admin_api", user, action = "client_add", client_id);
                ok(json!({ "client_id": client_id.to_string(), "client_secret": secret }))
            }
            ("POST", "/admin/clients/disable") => {
                let b: ClientId = from_json(body()?)?;
                lock::locked(&self.store, lock::CLIENT_SECRETS, async || {
                    let mut list = self.read_clients().await?;
                    let slot = list
                        .get_mut((b.client_id as usize).wrapping_sub(1))
                        .ok_or(Error::NotFound)?;
                    *slot = "disabled".into();
                    self.write_clients(&list).await
                })
                .await?;
                tracing::info!(
                    event = "admin_api",
                    user,
                    action = "client_disable",
                    client_id = b.client_id
                );
                ok(json!({ "client_id": b.client_id.to_string(), "disabled": true }))
            }
            ("GET", "/admin/sessions") => {
                ok(json!({ "sessions": self.store.list_sessions(now).await? }))
            }
            ("POST", "/admin/sessions/revoke") => {
                let b: RevokeSession = from_json(body()?)?;
                if !self
                    .store
                    .delete_session_by_hash(&b.kind, &b.id_hash)
                    .await?
                {
                    return Err(Error::NotFound);
                }
                tracing::info!(event = "admin_api", user, action = "session_revoke", kind = %b.kind);
                ok(json!({ "revoked": 1 }))
            }
            ("POST", "/admin/sessions/revoke-user") => {
                let b: RevokeUser = from_json(body()?)?;
                let mut n = 0;
                for s in self
                    .store
                    .list_sessions(now)
                    .await?
                    .into_iter()
                    .filter(|s| s.user == b.userid)
                {
                    if self
                        .store
                        .delete_session_by_hash(s.kind, &s.id_hash)
                        .await?
                    {
                        n += 1;
                    }
                }
                tracing::info!(
                    event = "admin_api",
                    user,
                    action = "session_revoke_user",
                    revoked = n
                );
                ok(json!({ "revoked": n }))
            }
            ("POST", "/admin/signing-keys/rotate") => {
                let b: Rotate = from_json(body()?)?;
                let secret =
                    Config::require(&self.config.signing_keys_secret, "SIGNING_KEYS_SECRET_ARN")?;
                let policy = RotationPolicy {
                    alg: self.config.signing_alg,
                    min_interval_secs: self.config.rotation_min_interval().as_secs() as i64,
                };
                // rotate_now does not take the lock itself (it is not reentrant).
                let outcome = lock::locked(&self.store, lock::SIGNING_KEYS, async || {
                    rotation::rotate_now(&self.secrets, policy, secret, now, b.force).await
                })
                .await?;
                let dropped = outcome.dropped_kids.join(" ");
                tracing::warn!(event = "admin_api", user, action = "signing_keys_rotate", force = b.force, outcome = outcome.kind.as_str(), current_kid = %outcome.current_kid, next_kid = %outcome.next_kid, dropped_kids = %dropped);
                ok(outcome.answer(self.config.key_ring_refresh))
            }
            _ => Err(Error::NotFound),
        }
    }
}

impl<I: AdminIdentity + 'static> Handler for AdminFunction<I> {
    async fn handle(&self, req: Request) -> Result<Response> {
        self.check_origin(&req)?;
        match (req.method().as_str(), req.uri().path()) {
            ("POST", "/admin/signin") => self.signin(&req).await,
            ("POST", "/admin/signout") => {
                let (hash, session) = self.session(&req).await?;
                self.store.delete_admin_session(&hash).await?;
                tracing::info!(event = "admin_signout", user = %session.user_name);
                let mut resp = json(StatusCode::OK, &json!({ "signed_out": true }));
                resp.headers_mut().append(
                    SET_COOKIE,
                    HeaderValue::from_str(&admin_cookie("", 0)).expect("ASCII"),
                );
                Ok(resp)
            }
            _ => {
                let (_, session) = self.session(&req).await?;
                self.api(&req, &session.user_name).await
            }
        }
    }
}
