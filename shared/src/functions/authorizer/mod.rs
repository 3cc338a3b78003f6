//! The Lambda authorizer: reads any of the four event shapes (HTTP API payload 2.0 with
//! simple or IAM responses, REST `TOKEN`, REST `REQUEST`), verifies the credential (an
//! API key, a bearer token, the widget session cookie or the user session cookie),
//! applies the route rules and answers in the event's own response format.
//!
//! Failing dependencies are errors (API Gateway answers 500 and caches nothing), never
//! an Allow and never a cacheable Deny.

mod response;

pub use response::{allow_response, deny_response};

use serde_json::Value;

use crate::authz::decision::{RequestFacts, decide_request};
use crate::authz::{
    AllowedOrigins, Credential, DenyReason, Principal, PrincipalType, RouteRules, RouteTarget,
    Verdict, classify, deny, or_deny,
};
use crate::config::{AuthorizerResponse, Config, Issuer};
use crate::credentials::apikey::ApiKeyStore;
use crate::credentials::apikey::{ApiKeyVerifier, VerifyError};
use crate::credentials::apps::{AppRecords, CachedAppRecords};
use crate::credentials::jwt::{AUD_API, AUD_WIDGET, Claims, Expect, read_header, verify_issued};
use crate::credentials::keys::SigningKeys;
use crate::credentials::secrets::SecretSource;
use crate::credentials::users::{UserSession, UserSessionStore};
use crate::credentials::widget::SessionStore;
use crate::error::Result;
use crate::http::issuer_from;
use crate::primitives::logging::{record_decision, record_route};
use crate::requests::event::{AuthInput, EventShape, parse_event};

/// An access token's principal: `client` when it carries a `client_id` (client
/// credentials), otherwise `host_user` (a host code; tokens issued before `host_user`
/// existed carry no `client_id` either).
fn access_principal(claims: Claims) -> Principal {
    let scopes = claims.scope.split_whitespace().map(str::to_owned).collect();
    let kind = match claims.client_id {
        Some(_) => PrincipalType::Client,
        None => PrincipalType::HostUser,
    };
    let mut p = Principal::new(kind, claims.sub, scopes);
    p.client_id = claims.client_id;
    p.expires_at = Some(claims.exp);
    p
}

/// A widget security token is honoured only from one of the origins it is bound to
/// that is still in `ALLOWED_ORIGINS`.
fn widget_token_principal(
    claims: Claims,
    origin: Option<&str>,
    allowed: &AllowedOrigins,
) -> std::result::Result<Principal, DenyReason> {
    let bound = claims.origins.as_deref().unwrap_or_default();
    if !allowed.permits(origin, Some(bound)) {
        return Err(DenyReason::WrongOrigin);
    }
    let scopes = claims.scope.split_whitespace().map(str::to_owned).collect();
    let mut p = Principal::new(PrincipalType::WidgetToken, claims.sub, scopes);
    p.app_id = claims.app_id;
    p.client_id = claims.client_id;
    p.org_id = claims.org_id;
    p.dashboard_id = claims.dashboard_id;
    p.expires_at = Some(claims.exp);
    p.permissions = claims.permissions;
    p.asset_permissions = claims.asset_permissions;
    Ok(p)
}

/// A user session's principal: `creator` or `end_user` by its kind, with the kind's
/// scopes and the user's roles.
fn user_principal(session: UserSession) -> Principal {
    let mut p = session.kind.principal(&session.user_id, session.roles);
    p.expires_at = Some(session.expires_at);
    p
}

/// Every record the authorizer reads: API keys, widget and user sessions, apps and
/// grants (one store, shared by the key verifier and the app cache).
pub trait AuthorizerStore:
    ApiKeyStore + SessionStore + UserSessionStore + AppRecords + Clone
{
}

impl<S: ApiKeyStore + SessionStore + UserSessionStore + AppRecords + Clone> AuthorizerStore for S {}

/// The authorizer: route rules, response mode and the credential verifiers.
pub struct Authorizer<S, K> {
    rules: RouteRules,
    /// `ROUTE_PREFIX`: removed from payload-2.0 paths where the path decides.
    route_prefix: Option<String>,
    mode: AuthorizerResponse,
    issuer: Option<Issuer>,
    /// Where cookie-authenticated requests may come from (the CSRF defence).
    allowed_origins: AllowedOrigins,
    api_keys: ApiKeyVerifier<S>,
    /// The signing key ring (bearer tokens are denied when it is not configured).
    keys: Option<SigningKeys<K>>,
    /// Apps and grants, read on app-bearing rules and kept for `GRANT_CACHE_TTL`.
    apps: CachedAppRecords<S>,
}

impl<S: AuthorizerStore, K: SecretSource> Authorizer<S, K> {
    /// `secrets` reads the signing key ring named by `SIGNING_KEYS_SECRET_ARN`.
    pub fn new(config: &Config, store: S, secrets: K) -> Self {
        let keys = config.signing_keys_secret.as_ref().map(|id| {
            SigningKeys::new(
                secrets,
                id.clone(),
                config.key_ring_refresh,
                config.jwks_refetch_cooldown,
            )
        });
        if keys.is_none() {
            tracing::warn!("SIGNING_KEYS_SECRET_ARN is not set: bearer tokens will be denied");
        }
        for rule in config.route_rules.missing_host_user() {
            tracing::warn!(
                method = %rule.method,
                path = %rule.path,
                "ROUTE_RULES: this rule admits `client` for scope `client` but not `host_user`: code-flow tokens are `host_user` principals and are now refused here (README \"Upgrading\")"
            );
        }
        Authorizer {
            rules: config.route_rules.clone(),
            route_prefix: config.route_prefix.clone(),
            mode: config.authorizer_response,
            issuer: config.issuer.clone(),
            allowed_origins: config.allowed_origins.clone(),
            apps: CachedAppRecords::new(store.clone(), config.grant_cache_ttl),
            api_keys: ApiKeyVerifier::new(store, config.api_key_cache_ttl),
            keys,
        }
    }

    /// The authorizer with its app and grant cache on `clock` (tests move it by hand).
    pub fn with_grant_clock(
        mut self,
        ttl: std::time::Duration,
        clock: crate::primitives::cache::Clock,
    ) -> Self {
        let store = self.api_keys.store().clone();
        self.apps = CachedAppRecords::with_clock(store, ttl, clock);
        self
    }

    pub fn api_keys(&self) -> &ApiKeyVerifier<S> {
        &self.api_keys
    }

    pub fn signing_keys(&self) -> Option<&SigningKeys<K>> {
        self.keys.as_ref()
    }

    /// Verifies a bearer token issued by Gatehouse: an access token (`aud` = `api`), or
    /// a widget security token (`aud` = `widget`), honoured only from one of its
    /// `origins`. The audience alone tells them apart.
    async fn verify_bearer(&self, token: &str, input: &AuthInput, now: i64) -> Verdict<Principal> {
        let keys = or_deny!(self.keys.as_ref().ok_or(DenyReason::UnsupportedCredential));
        let header = or_deny!(read_header(token));
        let kid = or_deny!(header.kid.as_deref().ok_or(DenyReason::MalformedCredential));
        let key = or_deny!(keys.verifier(kid).await?.ok_or(DenyReason::UnknownKey));
        let issuer = or_deny!(
            issuer_from(self.issuer.as_ref(), input.domain_name.as_deref())
                .ok_or(DenyReason::InvalidToken)
        );
        let expect = Expect {
            issuer: &issuer,
            audiences: &[AUD_API, AUD_WIDGET],
            now,
        };
        let claims = or_deny!(verify_issued(token, &header, &key, &expect));
        Ok(match claims.aud.as_str() {
            AUD_API => Ok(access_principal(claims)),
            AUD_WIDGET => {
                widget_token_principal(claims, input.origin.as_deref(), &self.allowed_origins)
            }
            _ => Err(DenyReason::WrongAudience),
        })
    }

    /// The widget session cookie: only from an allowed `Origin` (checked before the one
    /// DynamoDB read) that is the origin the session was opened from (after it).
    async fn verify_session(&self, id: &str, input: &AuthInput, now: i64) -> Verdict<Principal> {
        let origin = input.origin.as_deref();
        if !self.allowed_origins.permits(origin, None) {
            return deny(DenyReason::WrongOrigin);
        }
        if !crate::requests::widget::is_opaque_token(id) {
            return deny(DenyReason::MalformedCredential);
        }
        let hash = crate::primitives::crypto::sha256_hex(id.as_bytes());
        let Some(session) = self.api_keys.store().get_session(&hash, now).await? else {
            return deny(DenyReason::UnknownKey);
        };
        let bound = session.origin.as_ref().map(std::slice::from_ref);
        if !self.allowed_origins.permits(origin, bound) {
            return deny(DenyReason::WrongOrigin);
        }
        let mut p = Principal::new(
            PrincipalType::WidgetSession,
            session.user.userid,
            vec![crate::authz::Scope::Client.as_str().to_owned()],
        );
        p.app_id = session.user.app_id;
        p.client_id = session.user.client_id;
        p.org_id = session.user.org_id;
        p.expires_at = Some(session.expires_at);
        Ok(Ok(p))
    }

    /// The user session cookie: only from an allowed `Origin`, checked before the one
    /// DynamoDB read (a user session is not bound to one origin).
    async fn verify_user_session(
        &self,
        id: &str,
        input: &AuthInput,
        now: i64,
    ) -> Verdict<Principal> {
        if !self.allowed_origins.permits(input.origin.as_deref(), None) {
            return deny(DenyReason::WrongOrigin);
        }
        if !crate::requests::widget::is_opaque_token(id) {
            return deny(DenyReason::MalformedCredential);
        }
        let hash = crate::primitives::crypto::sha256_hex(id.as_bytes());
        let store = self.api_keys.store();
        let Some(session) = store.get_user_session(&hash, now).await? else {
            return deny(DenyReason::UnknownKey);
        };
        Ok(Ok(user_principal(session)))
    }

    /// An API key: the cache, then the store.
    async fn verify_api_key(&self, key: &str, now: i64) -> Verdict<Principal> {
        match self.api_keys.verify(key, now).await {
            Ok(p) => Ok(Ok(p)),
            Err(VerifyError::Denied(r)) => deny(r),
            Err(VerifyError::Store(e)) => Err(e),
        }
    }

    /// The one credential the request carries, verified, then the route rules. With
    /// both session cookies the route's deciding rule says which one counts.
    async fn check(&self, input: &AuthInput, now: i64) -> Verdict<Principal> {
        if input.duplicated_credential {
            return deny(DenyReason::AmbiguousCredentials);
        }
        let credential = or_deny!(classify(
            input.api_key.as_deref(),
            input.authorization.as_deref(),
            &input.cookies,
        ));
        let target = self.route_target(input);
        let credential = match credential {
            Credential::BothCookies { .. } => {
                let rule = target
                    .as_ref()
                    .ok()
                    .and_then(|t| self.rules.deciding_rule(&input.method, t).ok());
                or_deny!(credential.for_rule(rule.map(|(r, _)| &r.principals)))
            }
            other => other,
        };
        let principal = or_deny!(match credential {
            Credential::ApiKey(key) => self.verify_api_key(key, now).await?,
            Credential::Bearer(token) => self.verify_bearer(token, input, now).await?,
            Credential::SessionCookie(id) => self.verify_session(id, input, now).await?,
            Credential::UserCookie(id) => self.verify_user_session(id, input, now).await?,
            Credential::BothCookies { .. } => Err(DenyReason::AmbiguousCredentials),
        });
        let target = or_deny!(target);
        let request = RequestFacts {
            method: &input.method,
            target: &target,
            app_header: input.app_header.as_deref(),
            token_event: input.shape == Some(EventShape::RestToken),
        };
        let decision = decide_request(&self.rules, principal, request, &self.apps).await?;
        Ok(decision.outcome)
    }

    /// What the route rules decide on. Only payload-2.0 paths carry a stage or an
    /// API-mapping prefix; REST paths come from the `methodArn`, which never does.
    fn route_target(&self, input: &AuthInput) -> std::result::Result<RouteTarget, DenyReason> {
        let prefix = match input.shape {
            Some(EventShape::HttpV2) => self.route_prefix.as_deref(),
            _ => None,
        };
        RouteTarget::new(
            input.route_template.as_deref(),
            input.path_params.clone(),
            &input.path,
            prefix,
        )
    }

    /// Handles one raw event. `Err` means "fail closed": the runtime reports an
    /// error and API Gateway answers 500 (or 401 for `Unauthorized` on REST).
    pub async fn handle(&self, event: Value) -> Result<Value> {
        let input = parse_event(event).inspect_err(|e| {
            record_decision("error", Some("malformed_event"));
            tracing::warn!(decision = "error", reason = "malformed_event", error = %e);
        })?;
        let template = input.route_template.as_deref();
        record_route(&input.method, template.unwrap_or(&input.path));
        let route = format!(
            "{} {} ({})",
            input.method,
            input.path,
            input.route_template.as_deref().unwrap_or("-")
        );
        match self
            .check(&input, crate::primitives::time::now_epoch())
            .await
        {
            Ok(Ok(p)) => {
                record_decision("allow", None);
                tracing::info!(decision = "allow", %route, principal_type = p.principal_type.as_str(), subject = %p.subject);
                Ok(allow_response(&input, self.mode, &p))
            }
            Ok(Err(reason)) => {
                record_decision("deny", Some(reason.as_str()));
                tracing::info!(decision = "deny", %route, reason = reason.as_str());
                deny_response(&input, self.mode, reason)
            }
            Err(e) => {
                record_decision("error", Some(e.code()));
                tracing::error!(decision = "error", %route, error = %e.detail(), "dependency failed; failing closed");
                Err(e)
            }
        }
    }
}
