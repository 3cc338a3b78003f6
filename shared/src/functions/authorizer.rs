//! The Lambda authorizer: reads any of the four event shapes (HTTP API payload 2.0 with
//! simple or IAM responses, REST `TOKEN`, REST `REQUEST`), verifies the credential,
//! applies the route rules and answers in the event's own response format.
//!
//! Failing dependencies are errors (API Gateway answers 500 and caches nothing), never
//! an Allow and never a cacheable Deny.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use std::collections::BTreeMap;

use http::HeaderMap;
use serde_json::{Value, json};

use crate::authz::{
    Credential, DenyReason, Principal, PrincipalType, RouteRules, RouteTarget, classify,
    origin_permits,
};
use crate::config::{AuthorizerResponse, Config};
use crate::credentials::apikey::{ApiKeyVerifier, VerifyError};
use crate::credentials::jwt::{AUD_API, AUD_WIDGET, Claims, Expect, read_header, verify_issued};
use crate::credentials::keys::SigningKeys;
use crate::credentials::secrets::SecretSource;
use crate::error::{Error, Result};
use crate::records::store::{ApiKeyStore, SessionStore};

/// Which API Gateway event shape arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventShape {
    /// HTTP API, payload format 2.0.
    HttpV2,
    /// REST API `TOKEN` authorizer.
    RestToken,
    /// REST API `REQUEST` authorizer (and HTTP API payload 1.0, which has its shape).
    RestRequest,
}

/// The parts of an authorizer event the decision needs.
#[derive(Debug, Clone, Default)]
pub struct AuthInput {
    pub shape: Option<EventShape>,
    pub method: String,
    /// The request path as API Gateway received it (REST: the `methodArn`'s path).
    pub path: String,
    /// The path template of the route API Gateway matched: payload 2.0 `routeKey`
    /// (`None` for `$default`), REST `resource` (`None` for `TOKEN` events).
    pub route_template: Option<String>,
    /// The values API Gateway bound to the route's parameters.
    pub path_params: BTreeMap<String, String>,
    /// `routeArn` / `methodArn`, the resource of IAM policy answers.
    pub resource_arn: String,
    pub api_key: Option<String>,
    pub authorization: Option<String>,
    pub cookies: Vec<String>,
    pub origin: Option<String>,
    /// A credential header was sent more than once.
    pub duplicated_credential: bool,
    /// `requestContext.domainName`, from which the issuer is derived when `ISSUER` is empty.
    pub domain_name: Option<String>,
}

/// A malformed event: a fixed reason, never text from the event (logged by
/// [`Authorizer::handle`]).
fn malformed(what: &str) -> Error {
    Error::bad_request(format!("malformed authorizer event: {what}"))
}

/// Names of the fields of the event shapes Gatehouse reads. A failing field's path is
/// logged with these names only: a serde error's text quotes the offending value, and a
/// map key (a header or query parameter name) is the caller's own text.
const EVENT_FIELDS: [&str; 33] = [
    "version",
    "type",
    "routeArn",
    "identitySource",
    "routeKey",
    "rawPath",
    "rawQueryString",
    "cookies",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "requestContext",
    "authorizationToken",
    "methodArn",
    "resource",
    "path",
    "httpMethod",
    "http",
    "method",
    "protocol",
    "sourceIp",
    "userAgent",
    "accountId",
    "apiId",
    "domainName",
    "domainPrefix",
    "requestId",
    "stage",
    "identity",
    "resourcePath",
];

/// The JSON path of a failing field, built from [`EVENT_FIELDS`] and array indexes
/// only; any other name shows as `*`.
fn event_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let parts: Vec<String> = path
        .iter()
        .map(|segment| match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } if EVENT_FIELDS.contains(&key.as_str()) => key.clone(),
            _ => "*".to_owned(),
        })
        .collect();
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join(".")
    }
}

/// Deserializes one event shape. The error names the failing field's path, never the
/// serde error's text (it can quote values: docs/SECURITY.md, item 12).
fn read_shape<T: serde::de::DeserializeOwned>(event: Value) -> Result<T> {
    serde_path_to_error::deserialize(event)
        .map_err(|e| malformed(&format!("field `{}` is invalid", event_path(e.path()))))
}

/// `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>` → (method, path).
fn split_execute_api_arn(arn: &str) -> Option<(String, String)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.splitn(4, '/');
    let (_api, _stage, method) = (parts.next()?, parts.next()?, parts.next()?);
    let path = format!("/{}", parts.next().unwrap_or(""));
    Some((method.to_owned(), path))
}

/// The single value of a header; a repeated header (or a comma-joined one, as HTTP
/// APIs deliver repeats) is flagged, never silently resolved.
fn single_header(headers: &HeaderMap, name: &str, dup: &mut bool) -> Option<String> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        *dup = true;
    }
    let v = first.to_str().ok().map(str::to_owned);
    if v.is_none() {
        *dup = true;
    }
    v
}

fn header_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

/// Reads any supported event shape.
pub fn parse_event(event: Value) -> Result<AuthInput> {
    let domain_name = event
        .pointer("/requestContext/domainName")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let version = event
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let kind = event.get("type").and_then(Value::as_str).map(str::to_owned);
    let mut input = AuthInput::default();
    match (version.as_deref(), kind.as_deref()) {
        (Some("2.0"), _) => {
            let e: ApiGatewayV2CustomAuthorizerV2Request = read_shape(event)?;
            input.shape = Some(EventShape::HttpV2);
            input.method = e.request_context.http.method.as_str().to_owned();
            // The raw path keeps any stage or API-mapping prefix: only `ROUTE_PREFIX`
            // removes one (README "Route rules").
            input.path = e
                .raw_path
                .clone()
                .or(e.request_context.http.path.clone())
                .unwrap_or_default();
            input.route_template = e
                .route_key
                .as_deref()
                .and_then(|k| k.split_once(' '))
                .map(|(_, path)| path.to_owned());
            input.path_params = e.path_parameters.into_iter().collect();
            input.resource_arn = e.route_arn.unwrap_or_default();
            let mut dup = false;
            input.api_key = single_header(&e.headers, "x-api-key", &mut dup);
            input.authorization = single_header(&e.headers, "authorization", &mut dup);
            input.origin = single_header(&e.headers, "origin", &mut false);
            input.duplicated_credential = dup
                || input.api_key.as_deref().is_some_and(|v| v.contains(','))
                || input
                    .authorization
                    .as_deref()
                    .is_some_and(|v| v.contains(','));
            input.cookies = e.cookies;
        }
        (_, Some("TOKEN")) => {
            let e: ApiGatewayCustomAuthorizerRequest = read_shape(event)?;
            input.shape = Some(EventShape::RestToken);
            input.resource_arn = e.method_arn.unwrap_or_default();
            let token = e.authorization_token.unwrap_or_default();
            if token.starts_with(crate::credentials::apikey::PREFIX) {
                input.api_key = Some(token);
            } else if !token.is_empty() {
                input.authorization = Some(token);
            }
        }
        (_, Some("REQUEST")) => {
            let e: ApiGatewayCustomAuthorizerRequestTypeRequest = read_shape(event)?;
            input.shape = Some(EventShape::RestRequest);
            input.resource_arn = e.method_arn.unwrap_or_default();
            input.route_template = e.resource;
            input.path_params = e.path_parameters.into_iter().collect();
            let mut dup = false;
            let headers = if e.multi_value_headers.is_empty() {
                &e.headers
            } else {
                &e.multi_value_headers
            };
            input.api_key = single_header(headers, "x-api-key", &mut dup);
            input.authorization = single_header(headers, "authorization", &mut dup);
            input.origin = single_header(headers, "origin", &mut false);
            input.cookies = header_cookies(headers);
            input.duplicated_credential = dup;
        }
        _ => return Err(malformed("unknown event shape")),
    }
    if input.shape != Some(EventShape::HttpV2) {
        let (method, path) =
            split_execute_api_arn(&input.resource_arn).ok_or_else(|| malformed("bad methodArn"))?;
        input.method = method;
        input.path = path;
    }
    input.domain_name = domain_name;
    if input.method.is_empty() || input.resource_arn.is_empty() {
        return Err(malformed("missing method or route ARN"));
    }
    Ok(input)
}

fn policy(principal_id: &str, effect: &str, resource: &str, context: Option<Value>) -> Value {
    let mut v = json!({
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}]
        }
    });
    if let Some(c) = context {
        v["context"] = c;
    }
    v
}

/// The answer for an allowed request, in the shape the event expects.
pub fn allow_response(input: &AuthInput, mode: AuthorizerResponse, p: &Principal) -> Value {
    let ctx = Value::Object(p.context());
    match (input.shape, mode) {
        (Some(EventShape::HttpV2), AuthorizerResponse::Simple) => {
            json!({"isAuthorized": true, "context": ctx})
        }
        _ => policy(&p.subject, "Allow", &input.resource_arn, Some(ctx)),
    }
}

/// The answer for a denied request. REST APIs get `Err(Unauthorized)` when no
/// credential was sent (API Gateway turns the error message `Unauthorized` into 401).
pub fn deny_response(
    input: &AuthInput,
    mode: AuthorizerResponse,
    reason: DenyReason,
) -> Result<Value> {
    match (input.shape, mode) {
        (Some(EventShape::HttpV2), AuthorizerResponse::Simple) => {
            Ok(json!({"isAuthorized": false}))
        }
        (Some(EventShape::HttpV2), AuthorizerResponse::Iam) => {
            Ok(policy("anonymous", "Deny", &input.resource_arn, None))
        }
        _ if reason == DenyReason::NoCredential => Err(Error::Unauthorized("no_credential")),
        _ => Ok(policy("anonymous", "Deny", &input.resource_arn, None)),
    }
}

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
    allowed: &[String],
) -> std::result::Result<Principal, DenyReason> {
    let bound = claims.origins.as_deref().unwrap_or_default();
    if !origin_permits(origin, allowed, Some(bound)) {
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

/// Outcome of checking one request.
enum Outcome {
    Allow(Box<Principal>),
    Deny(DenyReason),
}

/// The authorizer: route rules, response mode and the credential verifiers.
pub struct Authorizer<S, K> {
    rules: RouteRules,
    /// `ROUTE_PREFIX`: removed from payload-2.0 paths where the path decides.
    route_prefix: Option<String>,
    mode: AuthorizerResponse,
    issuer: Option<String>,
    /// Where cookie-authenticated requests may come from (the CSRF defence).
    allowed_origins: Vec<String>,
    api_keys: ApiKeyVerifier<S>,
    /// The signing key ring (bearer tokens are denied when it is not configured).
    keys: Option<SigningKeys<K>>,
}

impl<S: ApiKeyStore + SessionStore, K: SecretSource> Authorizer<S, K> {
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
            api_keys: ApiKeyVerifier::new(store, config.api_key_cache_ttl),
            keys,
        }
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
    async fn verify_bearer(
        &self,
        token: &str,
        input: &AuthInput,
        now: i64,
    ) -> Result<std::result::Result<Principal, DenyReason>> {
        let Some(keys) = &self.keys else {
            return Ok(Err(DenyReason::UnsupportedCredential));
        };
        let header = match read_header(token) {
            Ok(h) => h,
            Err(r) => return Ok(Err(r)),
        };
        let Some(kid) = header.kid.as_deref() else {
            return Ok(Err(DenyReason::MalformedCredential));
        };
        let Some(key) = keys.verifier(kid).await? else {
            return Ok(Err(DenyReason::UnknownKey));
        };
        let issuer = match (&self.issuer, &input.domain_name) {
            (Some(i), _) => i.clone(),
            (None, Some(d)) => format!("https://{d}"),
            (None, None) => return Ok(Err(DenyReason::InvalidToken)),
        };
        let expect = Expect {
            issuer: &issuer,
            audiences: &[AUD_API, AUD_WIDGET],
            now,
        };
        let claims = match verify_issued(token, &header, &key, &expect) {
            Ok(c) => c,
            Err(r) => return Ok(Err(r)),
        };
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
    async fn verify_session(
        &self,
        id: &str,
        input: &AuthInput,
        now: i64,
    ) -> Result<std::result::Result<Principal, DenyReason>> {
        let origin = input.origin.as_deref();
        if !origin_permits(origin, &self.allowed_origins, None) {
            return Ok(Err(DenyReason::WrongOrigin));
        }
        if !crate::functions::widget::is_opaque_token(id) {
            return Ok(Err(DenyReason::MalformedCredential));
        }
        let hash = crate::primitives::crypto::sha256_hex(id.as_bytes());
        let Some(session) = self.api_keys.store().get_session(&hash, now).await? else {
            return Ok(Err(DenyReason::UnknownKey));
        };
        let bound = session.origin.as_ref().map(std::slice::from_ref);
        if !origin_permits(origin, &self.allowed_origins, bound) {
            return Ok(Err(DenyReason::WrongOrigin));
        }
        let mut p = Principal::new(
            PrincipalType::WidgetSession,
            session.user.userid,
            vec!["client".to_owned()],
        );
        p.app_id = session.user.app_id;
        p.client_id = session.user.client_id;
        p.org_id = session.user.org_id;
        p.expires_at = Some(session.expires_at);
        Ok(Ok(p))
    }

    async fn check(&self, input: &AuthInput, now: i64) -> Result<Outcome> {
        if input.duplicated_credential {
            return Ok(Outcome::Deny(DenyReason::AmbiguousCredentials));
        }
        let credential = match classify(
            input.api_key.as_deref(),
            input.authorization.as_deref(),
            &input.cookies,
        ) {
            Ok(c) => c,
            Err(r) => return Ok(Outcome::Deny(r)),
        };
        let principal = match credential {
            Credential::ApiKey(key) => match self.api_keys.verify(key, now).await {
                Ok(p) => p,
                Err(VerifyError::Denied(r)) => return Ok(Outcome::Deny(r)),
                Err(VerifyError::Store(e)) => return Err(e),
            },
            Credential::Bearer(token) => match self.verify_bearer(token, input, now).await? {
                Ok(p) => p,
                Err(r) => return Ok(Outcome::Deny(r)),
            },
            Credential::SessionCookie(id) => match self.verify_session(id, input, now).await? {
                Ok(p) => p,
                Err(r) => return Ok(Outcome::Deny(r)),
            },
        };
        let decided = self
            .route_target(input)
            .and_then(|target| self.rules.authorize(&principal, &input.method, &target));
        Ok(match decided {
            Ok(_) => Outcome::Allow(Box::new(principal)),
            Err(r) => Outcome::Deny(r),
        })
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
            tracing::warn!(decision = "error", reason = "malformed_event", error = %e);
        })?;
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
            Ok(Outcome::Allow(p)) => {
                tracing::info!(decision = "allow", %route, principal_type = p.principal_type.as_str(), subject = %p.subject);
                Ok(allow_response(&input, self.mode, &p))
            }
            Ok(Outcome::Deny(reason)) => {
                tracing::info!(decision = "deny", %route, reason = reason.as_str());
                deny_response(&input, self.mode, reason)
            }
            Err(e) => {
                tracing::error!(decision = "error", %route, error = %e.detail(), "dependency failed; failing closed");
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Sekr3t-gk_Value-Quoted-By-Serde";

    /// A serde error quotes the offending value; the event error names the field only.
    #[test]
    fn malformed_events_name_the_field_never_the_value() {
        let cases = [
            (
                json!({"version": "2.0", "cookies": SECRET, "requestContext": {}}),
                "`cookies`",
            ),
            (
                json!({"type": "REQUEST", "methodArn": "arn:aws:execute-api:r:a:i/s/GET/x", "requestContext": SECRET}),
                "`requestContext`",
            ),
            (
                json!({"type": "TOKEN", "authorizationToken": {SECRET: SECRET}}),
                "`authorizationToken`",
            ),
            (
                // No other field is wrong, whatever order serde_json keeps keys in.
                json!({"version": "2.0", "pathParameters": {SECRET: 5}}),
                "`pathParameters.*`",
            ),
        ];
        for (event, field) in cases {
            let shown = parse_event(event.clone()).unwrap_err().detail();
            assert!(!shown.contains(SECRET), "{event} -> {shown}");
            assert!(shown.contains(field), "{event} -> {shown}");
        }
    }
}

#[cfg(feature = "aws")]
pub use lambda::{from_env, run};

#[cfg(feature = "aws")]
mod lambda {
    use std::sync::Arc;

    use lambda_runtime::{LambdaEvent, service_fn};

    use super::*;
    use crate::records::access::Function;
    use crate::records::store::DynamoStore;

    /// The authorizer as deployed: API keys in DynamoDB, the ring in Secrets Manager.
    pub type LambdaAuthorizer = Authorizer<DynamoStore, aws_sdk_secretsmanager::Client>;

    /// Builds the authorizer from the environment (no network call).
    pub async fn from_env() -> Result<LambdaAuthorizer> {
        crate::adapters::sdk::build_from_env(|config, secrets, dynamodb| {
            let store = DynamoStore::new(dynamodb, config.table_name.clone(), Function::Authorizer);
            Ok(Authorizer::new(&config, store, secrets))
        })
        .await
    }

    /// The error reported to the runtime: exactly `Unauthorized` for a 401.
    #[derive(Debug)]
    struct Failure(String);
    impl std::fmt::Display for Failure {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl std::error::Error for Failure {}

    /// One event through the authorizer, with errors as the runtime reports them.
    pub async fn invoke<S: ApiKeyStore + SessionStore, K: SecretSource>(
        authorizer: &Authorizer<S, K>,
        event: Value,
    ) -> std::result::Result<Value, lambda_runtime::Error> {
        let result = authorizer.handle(event).await;
        crate::primitives::metrics::log_totals();
        result.map_err(|e| {
            let msg = match e {
                Error::Unauthorized(_) => "Unauthorized".to_owned(),
                other => other.code().to_owned(),
            };
            Box::new(Failure(msg)) as lambda_runtime::Error
        })
    }

    /// Serves the authorizer on the Lambda runtime.
    pub async fn run<S: ApiKeyStore + SessionStore + 'static, K: SecretSource + 'static>(
        authorizer: Authorizer<S, K>,
    ) -> std::result::Result<(), lambda_runtime::Error> {
        let authorizer = Arc::new(authorizer);
        lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
            let authorizer = authorizer.clone();
            async move { invoke(&authorizer, event.payload).await }
        }))
        .await
    }
}

#[cfg(feature = "aws")]
pub use lambda::{LambdaAuthorizer, invoke};
