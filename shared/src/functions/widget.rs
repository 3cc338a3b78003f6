//! The widget function: temp tokens and cookie sessions (mode 1), widget security
//! tokens (mode 3). Mode 2 (an API key in the widget config) needs nothing here.

use http::StatusCode;
use http::header::AUTHORIZATION;
use lambda_http::Request;
use serde_json::Value;

use crate::answers::Caller;
use crate::answers::widget::{
    LoggedOut, SecurityTokenAnswer, TempTokenAnswer, WidgetSessionAnswer,
};
use crate::authz::{PrincipalType, SESSION_COOKIE};
use crate::config::Config;
use crate::credentials::jwt::{AUD_WIDGET, Claims, issue};
use crate::credentials::keys::SigningKeys;
use crate::credentials::secrets::SecretSource;
use crate::credentials::widget::{SessionStore, TempToken, WidgetUser};
use crate::error::{Error, Result};
use crate::http::{
    Handler, Response, append_cookie, authorizer_context, clear_session_cookie, issuer, json,
    session_cookie,
};
use crate::primitives::crypto::random_id;
use crate::primitives::crypto::sha256_hex;
use crate::primitives::headers::cookie;
use crate::requests::body::json_body;
use crate::requests::widget::*;

/// The widget function over its ports: `S` stores temp tokens and sessions, `K` reads
/// the key ring.
pub struct WidgetFunction<S, K> {
    config: Config,
    store: S,
    keys: SigningKeys<K>,
}

/// The issuing API key must be what the authorizer let through: an API key with
/// `widget:issue` (checked again here: defence in depth).
fn require_issuer_key(req: &Request) -> Result<()> {
    let caller = authorizer_context(req)
        .as_ref()
        .and_then(Caller::from_context)
        .ok_or(Error::Unauthorized("no_principal"))?;
    let is_key = caller.principal_type == PrincipalType::ApiKey.as_str();
    let scoped = caller
        .scopes
        .split(' ')
        .any(|x| x == crate::authz::Scope::WidgetIssue.as_str());
    if is_key && scoped {
        Ok(())
    } else {
        Err(Error::Forbidden("widget_issue_needs_api_key"))
    }
}

fn to_value<T: serde::Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

impl<S: SessionStore, K: SecretSource> WidgetFunction<S, K> {
    pub(crate) fn from_parts(config: Config, secrets: K, store: S) -> Result<Self> {
        let ring = Config::require(&config.signing_keys_secret, "SIGNING_KEYS_SECRET_ARN")?;
        let keys = SigningKeys::new(
            secrets,
            ring,
            config.key_ring_refresh,
            config.jwks_refetch_cooldown,
        );
        Ok(WidgetFunction {
            config,
            store,
            keys,
        })
    }

    fn max_lifetime(&self) -> i64 {
        self.config.widget_max_lifetime.as_secs() as i64
    }

    async fn generate_token(&self, req: &Request) -> Result<Response> {
        require_issuer_key(req)?;
        let body: TempTokenRequest = json_body(req.headers(), req.body().as_ref())?;
        body.validate()?;
        let session_ttl = lifetime(
            body.expiration_time.as_ref(),
            "expirationTime",
            self.max_lifetime(),
        )?;
        let token = random_id();
        let now = crate::primitives::time::now_epoch();
        let temp_ttl = self.config.widget_temp_token_ttl.as_secs() as i64;
        let temp = TempToken {
            user: WidgetUser {
                userid: body.userid,
                app_id: body.appid,
                client_id: body.clientid,
                org_id: body.org_id,
            },
            session_ttl,
            expires_at: now + temp_ttl,
        };
        self.store
            .put_temp_token(&sha256_hex(token.as_bytes()), &temp)
            .await?;
        Ok(json(
            StatusCode::OK,
            &TempTokenAnswer {
                token,
                expires_in: temp_ttl,
            },
        ))
    }

    async fn login_token(&self, req: &Request) -> Result<Response> {
        // Called by the embedding page's browser: only from an allowed origin, which
        // the session is then bound to.
        let origin = self.config.allowed_origins.require(req.headers())?;
        let header = match req.headers().get(AUTHORIZATION) {
            None => None,
            Some(v) => {
                let v = v
                    .to_str()
                    .map_err(|_| Error::bad_request("Authorization header is not valid"))?;
                Some(v.strip_prefix("Bearer ").unwrap_or(v).trim().to_owned())
            }
        };
        let body = req.body().as_ref();
        let from_body = if body.is_empty() {
            None
        } else {
            Some(json_body::<LoginTokenRequest>(req.headers(), body)?.token)
        };
        let token = match (header, from_body) {
            (Some(h), Some(b)) if h != b => {
                return Err(Error::bad_request("token sent twice with different values"));
            }
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => {
                return Err(Error::bad_request(
                    "token is required (Authorization header or JSON body)",
                ));
            }
        };
        if !is_opaque_token(&token) {
            return Err(Error::Unauthorized("malformed_temp_token"));
        }
        let session_id = random_id();
        let now = crate::primitives::time::now_epoch();
        let session = self
            .store
            .redeem_temp_token(
                &sha256_hex(token.as_bytes()),
                &sha256_hex(session_id.as_bytes()),
                origin,
                now,
            )
            .await?
            .ok_or(Error::Unauthorized("temp_token_invalid_expired_or_used"))?;
        let mut resp = json(
            StatusCode::OK,
            &WidgetSessionAnswer {
                userid: session.user.userid,
                expires_at: session.expires_at,
            },
        );
        append_cookie(
            &mut resp,
            &session_cookie(&session_id, session.expires_at - now),
        )?;
        Ok(resp)
    }

    async fn security_token(&self, req: &Request) -> Result<Response> {
        require_issuer_key(req)?;
        let body: SecurityTokenRequest = json_body(req.headers(), req.body().as_ref())?;
        body.validate()?;
        let origins = self.config.allowed_origins.bind(body.origins.as_deref())?;
        let ttl = lifetime(body.expires_in.as_ref(), "expiresIn", self.max_lifetime())?;
        let iss = issuer(&self.config, req)?;
        let mut claims = Claims::new(
            &iss,
            AUD_WIDGET,
            &body.userid,
            crate::authz::Scope::Client.as_str(),
            crate::primitives::time::now_epoch(),
            ttl,
        );
        claims.app_id = Some(body.appid);
        claims.client_id = body.clientid;
        claims.org_id = body.org_id;
        claims.dashboard_id = body.dashboard_id;
        claims.origins = Some(origins);
        claims.permissions = body.permissions.map(to_value).transpose()?;
        claims.asset_permissions = body.asset_permissions.map(to_value).transpose()?;
        let token = issue(&*self.keys.ring().await?, &claims)?;
        check_token_size(&token)?;
        Ok(json(
            StatusCode::OK,
            &SecurityTokenAnswer {
                token,
                domain: iss,
                expires_in: ttl,
            },
        ))
    }

    async fn logout(&self, req: &Request) -> Result<Response> {
        // The one session cookie (sent twice, it is no session).
        let Ok(Some(id)) = cookie(req.headers(), SESSION_COOKIE) else {
            return Err(Error::Unauthorized("no_session_cookie"));
        };
        self.store
            .delete_session(&sha256_hex(id.as_bytes()))
            .await?;
        let mut resp = json(StatusCode::OK, &LoggedOut { logged_out: true });
        append_cookie(&mut resp, &clear_session_cookie())?;
        Ok(resp)
    }
}

impl<S: SessionStore + 'static, K: SecretSource + 'static> Handler for WidgetFunction<S, K> {
    const FUNCTION: crate::records::access::Function = crate::records::access::Function::Widget;

    async fn handle(&self, req: Request) -> Result<Response> {
        match (req.method().as_str(), req.uri().path()) {
            ("POST", "/widget/generateToken") => self.generate_token(&req).await,
            ("POST", "/widget/loginToken") => self.login_token(&req).await,
            ("POST", "/widget/login/token") => self.security_token(&req).await,
            ("POST", "/widget/logout") => self.logout(&req).await,
            _ => Err(Error::NotFound),
        }
    }
}
