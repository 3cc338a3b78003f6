//! Typed, validated configuration from the environment. A missing or bad value stops
//! start-up with an error naming the variable (README, "Configuration").

mod admin;
mod parse;
mod password;
mod signup;
mod sso;
mod url;
mod users;

use std::time::Duration;

use crate::authz::RouteRules;
use crate::authz::origin::AllowedOrigins;
use crate::credentials::codes::CodeRules;
use crate::credentials::keys::SigningAlg;
use crate::credentials::password::{PasswordSettings, Passwords};
use crate::error::{Error, Result};
use crate::records::rate::Limits;

use self::parse::{boolean, count, seconds};
pub use self::signup::{SignupConfig, SignupLimits};
pub use self::url::{HttpsUrl, Issuer, UrlError, is_loopback_host};
pub use self::{sso::SsoSettings, users::UserSettings};

/// How the authorizer answers HTTP API (payload 2.0) events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizerResponse {
    /// `{"isAuthorized": bool, "context": {...}}` (`EnableSimpleResponses: true`).
    Simple,
    /// An IAM policy document.
    Iam,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// DynamoDB table for API keys, sessions, one-time tokens.
    pub table_name: String,
    /// Token issuer URL; `None` derives `https://<requestContext.domainName>` per request.
    pub issuer: Option<Issuer>,
    /// Exact embedding origins (`scheme://host[:port]`), never `*`.
    pub allowed_origins: AllowedOrigins,
    pub route_rules: RouteRules,
    /// `ROUTE_PREFIX`: a stage or API-mapping prefix removed from payload-2.0 paths
    /// where the path decides (`$default` and greedy routes).
    pub route_prefix: Option<String>,
    pub authorizer_response: AuthorizerResponse,
    /// How long a verified API key record is trusted from memory.
    pub api_key_cache_ttl: Duration,
    /// `GRANT_CACHE_TTL`: how long the authorizer trusts an app or grant read (found
    /// or absent) from memory; zero reads every time.
    pub grant_cache_ttl: Duration,
    /// How long a Secrets Manager value is cached (at most 60 s).
    pub secrets_cache_ttl: Duration,
    /// Secret holding the signing key ring.
    pub signing_keys_secret: Option<String>,
    /// Secret holding the `CLIENT_SECRETS` JSON array.
    pub client_secrets_secret: Option<String>,
    /// Secret holding the providers' client secrets (`IDP_SECRETS`, a JSON object).
    pub idp_secrets_secret: Option<String>,
    /// Host sign-in URL (`POST /authorize` answers 307 there); with `jwk_url`, or
    /// neither (the code flow is then off).
    pub auth_url: Option<HttpsUrl>,
    /// Host JWKS (or single JWK) URL.
    pub jwk_url: Option<HttpsUrl>,
    pub code_issuer: Option<String>,
    pub code_audience: Option<String>,
    /// `CODE_REQUIRE_AUDIENCE`: `CODE_AUDIENCE` must be set and codes must carry `typ`
    /// `gatehouse-code+jwt`.
    pub code_require_audience: bool,
    /// Longest time a host code's `exp` may lie ahead.
    pub code_max_lifetime: Duration,
    /// Clock leeway for host codes (`exp`, `nbf`, `iat`).
    pub code_leeway: Duration,
    /// Lifetime of access tokens from `/token`.
    pub access_token_ttl: Duration,
    /// Algorithm of new keys in the ring.
    pub signing_alg: SigningAlg,
    /// `Cache-Control: max-age` of the published JWKS.
    pub jwks_max_age: Duration,
    /// How often a warm function reloads the ring from Secrets Manager.
    pub key_ring_refresh: Duration,
    /// Least time between two refetches triggered by an unknown `kid`.
    pub jwks_refetch_cooldown: Duration,
    /// How long the host's JWKS is cached.
    pub host_jwks_ttl: Duration,
    /// How long a widget temp token may be redeemed (default 60 s, at most 10 min).
    pub widget_temp_token_ttl: Duration,
    /// Longest widget session / security token lifetime (default and cap 24 h).
    pub widget_max_lifetime: Duration,
    /// Admin sign-in: members of this IAM group may sign in.
    pub admin_group_name: String,
    /// Value the signed `x-gatehouse-server-id` header must carry (default: the issuer).
    pub admin_server_id: Option<String>,
    /// This AWS account: admins are IAM users of it.
    pub admin_account_id: Option<String>,
    /// The only STS endpoint presigned requests are forwarded to.
    pub admin_sts_endpoint: HttpsUrl,
    /// The region requests to it are signed for: `AWS_REGION` (by default `us-east-1`),
    /// which the admin console signs its presigned request with.
    pub admin_sts_region: String,
    pub admin_session_ttl: Duration,
    /// Group membership is re-checked at least this often during a session.
    pub admin_recheck: Duration,
    /// Admin sign-in limits: `SIGNIN_IP_LIMIT` per source IP, `SIGNIN_USER_LIMIT` per
    /// user name, per `SIGNIN_WINDOW`.
    pub signin_limits: Limits,
    /// `POST /token` limits: `TOKEN_IP_LIMIT` per source IP, `TOKEN_CLIENT_LIMIT` per
    /// client id, per `TOKEN_WINDOW`.
    pub token_limits: Limits,
    /// Argon2id parameters, hashes at once, least new-password length
    /// (`ARGON2_*`, `PASSWORD_MIN_LENGTH`; `config/password.rs`).
    pub password: PasswordSettings,
    /// The users' sign-in: lockout, per-IP limit, session lifetime (`USER_*`;
    /// `config/users.rs`).
    pub users: UserSettings,
    /// `USER_UI_URL`: the page invite links point at (`<url>#invite=<token>`); its
    /// origin is one of `ALLOWED_ORIGINS`. `None`: links are refused (README "People").
    pub user_ui_url: Option<HttpsUrl>,
}

/// The longest lifetime of any token Gatehouse issues (widget tokens: 24 h).
pub(crate) const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `get` (tests pass a map). Each concern has its reader
    /// below, over the bounded parsers of `parse.rs`; variables are read in this order,
    /// so the first bad one is the one reported.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = &trimmed(get);
        let table_name = table_name(var)?;
        let issuer = issuer(var)?;
        let allowed_origins = allowed_origins(var)?;
        let route_rules = route_rules(var)?;
        let route_prefix = route_prefix(var)?;
        let authorizer_response = authorizer_response(var)?;
        let api_key_cache_ttl = seconds(var, "API_KEY_CACHE_TTL", 60, 0, 3600)?;
        let secrets_cache_ttl = seconds(var, "SECRETS_CACHE_TTL", 60, 0, 60)?;
        let (auth_url, jwk_url) = code_flow_urls(var)?;
        let (code_audience, code_require_audience) = code_audience(var)?;
        let signing_alg = signing_alg(var)?;
        Ok(Config {
            password: password::password_settings(var)?,
            user_ui_url: url::user_ui_url(https_url(var, "USER_UI_URL")?, &allowed_origins)?,
            signing_keys_secret: var("SIGNING_KEYS_SECRET_ARN"),
            client_secrets_secret: var("CLIENT_SECRETS_SECRET_ARN"),
            idp_secrets_secret: var("IDP_SECRETS_SECRET_ARN"),
            auth_url,
            jwk_url,
            code_issuer: var("CODE_ISSUER"),
            code_audience,
            code_require_audience,
            code_max_lifetime: seconds(var, "CODE_MAX_LIFETIME", 120, 1, 600)?,
            code_leeway: seconds(var, "CODE_LEEWAY", 30, 0, 300)?,
            access_token_ttl: seconds(var, "ACCESS_TOKEN_TTL", 900, 60, 86_400)?,
            signing_alg,
            jwks_max_age: seconds(var, "JWKS_MAX_AGE", 300, 0, 86_400)?,
            key_ring_refresh: seconds(var, "KEY_RING_REFRESH", 300, 1, 3600)?,
            jwks_refetch_cooldown: seconds(var, "JWKS_REFETCH_COOLDOWN", 30, 1, 3600)?,
            host_jwks_ttl: seconds(var, "HOST_JWKS_TTL", 300, 1, 86_400)?,
            widget_temp_token_ttl: seconds(var, "WIDGET_TEMP_TOKEN_TTL", 60, 1, 600)?,
            widget_max_lifetime: seconds(var, "WIDGET_MAX_LIFETIME", 86_400, 60, 86_400)?,
            admin_group_name: admin::group_name(var)?,
            admin_server_id: var("ADMIN_SERVER_ID"),
            admin_account_id: admin::account_id(var)?,
            admin_sts_endpoint: admin::sts_endpoint(var)?,
            admin_sts_region: var("AWS_REGION").unwrap_or_else(|| "us-east-1".to_owned()),
            admin_session_ttl: seconds(var, "ADMIN_SESSION_TTL", 3600, 60, 43_200)?,
            admin_recheck: seconds(var, "ADMIN_RECHECK", 300, 1, 300)?,
            signin_limits: limits(
                var,
                ["SIGNIN_IP_LIMIT", "SIGNIN_USER_LIMIT", "SIGNIN_WINDOW"],
            )?,
            token_limits: limits(
                var,
                ["TOKEN_IP_LIMIT", "TOKEN_CLIENT_LIMIT", "TOKEN_WINDOW"],
            )?,
            table_name,
            issuer,
            allowed_origins,
            route_rules,
            route_prefix,
            authorizer_response,
            api_key_cache_ttl,
            grant_cache_ttl: seconds(var, "GRANT_CACHE_TTL", 30, 0, 3600)?,
            secrets_cache_ttl,
            users: users::user_settings(var)?,
        })
    }
}

/// The variables as `Config::from_lookup` reads them: trimmed, an empty one unset.
trait Vars: Fn(&str) -> Option<String> {}
impl<F: Fn(&str) -> Option<String>> Vars for F {}

/// `get`, trimmed, with an empty value read as unset.
fn trimmed(get: impl Fn(&str) -> Option<String>) -> impl Vars {
    move |name: &str| {
        get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }
}

/// `TABLE_NAME`: required, a valid DynamoDB table name.
fn table_name(var: &impl Vars) -> Result<String> {
    let name = var("TABLE_NAME").ok_or_else(|| Error::config("TABLE_NAME", "is required"))?;
    if !valid_table_name(&name) {
        return Err(Error::config(
            "TABLE_NAME",
            "must be 3-255 characters of [A-Za-z0-9_.-]",
        ));
    }
    Ok(name)
}

fn valid_table_name(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `ISSUER`, if set.
fn issuer(var: &impl Vars) -> Result<Option<Issuer>> {
    var("ISSUER")
        .map(|v| Issuer::parse(&v).map_err(|e| Error::config("ISSUER", e.to_string())))
        .transpose()
}

/// `ALLOWED_ORIGINS`: comma-separated exact origins; none when unset.
fn allowed_origins(var: &impl Vars) -> Result<AllowedOrigins> {
    match var("ALLOWED_ORIGINS") {
        None => Ok(AllowedOrigins::default()),
        Some(v) => AllowedOrigins::parse(v.split(',').map(str::trim).filter(|s| !s.is_empty()))
            .map_err(|e| Error::config("ALLOWED_ORIGINS", e.to_string())),
    }
}

/// `ROUTE_RULES` (JSON), else the default rules.
fn route_rules(var: &impl Vars) -> Result<RouteRules> {
    match var("ROUTE_RULES") {
        None => Ok(RouteRules::default_rules()),
        Some(json) => {
            RouteRules::from_json(&json).map_err(|e| Error::config("ROUTE_RULES", e.to_string()))
        }
    }
}

/// `ROUTE_PREFIX`, if set.
fn route_prefix(var: &impl Vars) -> Result<Option<String>> {
    match var("ROUTE_PREFIX") {
        Some(p) if !crate::authz::valid_route_prefix(&p) => Err(Error::config(
            "ROUTE_PREFIX",
            "must be `/segment[/segment...]` of [A-Za-z0-9-._~], without a trailing slash",
        )),
        prefix => Ok(prefix),
    }
}

/// `AUTHORIZER_RESPONSE`: `simple` (the default) or `iam`.
fn authorizer_response(var: &impl Vars) -> Result<AuthorizerResponse> {
    match var("AUTHORIZER_RESPONSE").as_deref() {
        None | Some("simple") => Ok(AuthorizerResponse::Simple),
        Some("iam") => Ok(AuthorizerResponse::Iam),
        Some(_) => Err(Error::config(
            "AUTHORIZER_RESPONSE",
            "must be `simple` or `iam`",
        )),
    }
}

/// A URL variable, if set.
fn https_url(var: &impl Vars, name: &'static str) -> Result<Option<HttpsUrl>> {
    var(name)
        .map(|v| HttpsUrl::parse(&v).map_err(|e| Error::config(name, e.to_string())))
        .transpose()
}

/// `AUTH_URL` and `JWK_URL`: both (the code flow is on) or neither.
fn code_flow_urls(var: &impl Vars) -> Result<(Option<HttpsUrl>, Option<HttpsUrl>)> {
    let auth_url = https_url(var, "AUTH_URL")?;
    let jwk_url = https_url(var, "JWK_URL")?;
    if auth_url.is_some() != jwk_url.is_some() {
        let missing = if auth_url.is_some() {
            "JWK_URL"
        } else {
            "AUTH_URL"
        };
        return Err(Error::config(
            missing,
            "AUTH_URL and JWK_URL go together (both set: code flow on; neither: off)",
        ));
    }
    Ok((auth_url, jwk_url))
}

/// `CODE_AUDIENCE` and `CODE_REQUIRE_AUDIENCE` (which needs the audience).
fn code_audience(var: &impl Vars) -> Result<(Option<String>, bool)> {
    let audience = var("CODE_AUDIENCE");
    let required = boolean(var, "CODE_REQUIRE_AUDIENCE", false)?;
    if required && audience.is_none() {
        return Err(Error::config(
            "CODE_AUDIENCE",
            "is required when CODE_REQUIRE_AUDIENCE is true",
        ));
    }
    Ok((audience, required))
}

/// `SIGNING_ALG`: RS256 (the default) or ES256.
fn signing_alg(var: &impl Vars) -> Result<SigningAlg> {
    match var("SIGNING_ALG") {
        None => Ok(SigningAlg::RS256),
        Some(v) => SigningAlg::parse(&v)
            .ok_or_else(|| Error::config("SIGNING_ALG", "must be RS256 or ES256")),
    }
}

/// Rate limits from their three variables: per source IP, per name, and the window.
fn limits(var: &impl Vars, [ip, name, window]: [&'static str; 3]) -> Result<Limits> {
    Ok(Limits {
        ip: count(var, ip, 20, 1, 10_000)?,
        name: count(var, name, 5, 1, 10_000)?,
        window: seconds(var, window, 900, 10, 86_400)?,
    })
}

impl Config {
    /// A variable this function cannot run without.
    /// The `IDP_SECRETS` secret's id.
    pub fn idp_secrets_id(&self) -> Result<&str> {
        Self::require(&self.idp_secrets_secret, "IDP_SECRETS_SECRET_ARN")
    }

    pub fn require<'a>(value: &'a Option<String>, var: &'static str) -> Result<&'a str> {
        value
            .as_deref()
            .ok_or_else(|| Error::config(var, "is required by this function"))
    }

    /// Least time between two rotations of the ring: a key must stay published as
    /// `previous` until every token it signed has expired and every cached JWKS that
    /// lacked its successor has aged out.
    pub fn rotation_min_interval(&self) -> Duration {
        MAX_TOKEN_LIFETIME + self.jwks_max_age
    }

    /// The host-code rules of a function whose code flow is on. Warns, naming
    /// `CODE_AUDIENCE`, when it is empty: any short-lived JWT the host signs is then
    /// redeemable.
    pub(crate) fn code_rules(&self) -> CodeRules {
        if self.code_audience.is_none() {
            tracing::warn!(
                variable = "CODE_AUDIENCE",
                "the code flow is on and CODE_AUDIENCE is empty: any short-lived JWT the host signs can be redeemed as a code; set CODE_AUDIENCE (and CODE_REQUIRE_AUDIENCE)"
            );
        }
        CodeRules {
            max_lifetime_secs: self.code_max_lifetime.as_secs() as i64,
            leeway_secs: self.code_leeway.as_secs(),
            issuer: self.code_issuer.clone(),
            audience: self.code_audience.clone(),
            require_typ: self.code_require_audience,
        }
    }

    /// The password layer with its settings (a function builds it once).
    pub fn passwords(&self) -> Passwords {
        Passwords::new(&self.password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config> {
        Config::from_lookup(parse::lookup(vars))
    }

    fn err_var(r: Result<Config>) -> &'static str {
        match r {
            Err(Error::Config { var, .. }) => var,
            other => panic!("expected config error, got {other:?}"),
        }
    }

    #[test]
    fn minimal_config_has_defaults() {
        let c = load(&[("TABLE_NAME", "gatehouse")]).unwrap();
        assert_eq!(c.table_name, "gatehouse");
        assert_eq!(c.issuer, None);
        assert!(c.allowed_origins.is_empty());
        assert_eq!(c.authorizer_response, AuthorizerResponse::Simple);
        assert_eq!(c.api_key_cache_ttl, Duration::from_secs(60));
        assert_eq!(c.grant_cache_ttl, Duration::from_secs(30));
        assert_eq!(c.secrets_cache_ttl, Duration::from_secs(60));
        assert_eq!(c.password, PasswordSettings::default());
        assert_eq!(
            c.token_limits,
            Limits {
                ip: 20,
                name: 5,
                window: Duration::from_secs(900)
            }
        );
    }

    #[test]
    #[allow(clippy::too_many_lines, reason = "a test: one case per variable")]
    fn missing_or_bad_values_name_the_variable() {
        assert_eq!(err_var(load(&[])), "TABLE_NAME");
        assert_eq!(err_var(load(&[("TABLE_NAME", "a b")])), "TABLE_NAME");
        let t = ("TABLE_NAME", "t-1");
        assert_eq!(
            err_var(load(&[t, ("ISSUER", "http://example.com")])),
            "ISSUER"
        );
        assert_eq!(err_var(load(&[t, ("ISSUER", "https://x.com/")])), "ISSUER");
        assert_eq!(err_var(load(&[t, ("ISSUER", "ftp://x.com")])), "ISSUER");
        assert_eq!(
            err_var(load(&[t, ("ALLOWED_ORIGINS", "*")])),
            "ALLOWED_ORIGINS"
        );
        assert_eq!(
            err_var(load(&[t, ("ALLOWED_ORIGINS", "https://a.com/path")])),
            "ALLOWED_ORIGINS"
        );
        assert_eq!(
            err_var(load(&[t, ("AUTHORIZER_RESPONSE", "both")])),
            "AUTHORIZER_RESPONSE"
        );
        assert_eq!(
            err_var(load(&[t, ("API_KEY_CACHE_TTL", "-1")])),
            "API_KEY_CACHE_TTL"
        );
        assert_eq!(
            err_var(load(&[t, ("API_KEY_CACHE_TTL", "3601")])),
            "API_KEY_CACHE_TTL"
        );
        assert_eq!(
            err_var(load(&[t, ("GRANT_CACHE_TTL", "3601")])),
            "GRANT_CACHE_TTL"
        );
        assert_eq!(
            err_var(load(&[t, ("SECRETS_CACHE_TTL", "61")])),
            "SECRETS_CACHE_TTL"
        );
        assert_eq!(err_var(load(&[t, ("ROUTE_RULES", "{")])), "ROUTE_RULES");
        for bad in ["v1", "/v1/", "/", "/a b"] {
            assert_eq!(err_var(load(&[t, ("ROUTE_PREFIX", bad)])), "ROUTE_PREFIX");
        }
        assert_eq!(
            load(&[t, ("ROUTE_PREFIX", "/v1")])
                .unwrap()
                .route_prefix
                .as_deref(),
            Some("/v1")
        );
        assert_eq!(
            err_var(load(&[t, ("AUTH_URL", "https://host/auth")])),
            "JWK_URL"
        );
        assert_eq!(
            err_var(load(&[t, ("JWK_URL", "https://host/jwk")])),
            "AUTH_URL"
        );
        assert_eq!(
            err_var(load(&[
                t,
                ("AUTH_URL", "http://host/a"),
                ("JWK_URL", "https://host/j")
            ])),
            "AUTH_URL"
        );
        assert_eq!(err_var(load(&[t, ("SIGNING_ALG", "HS256")])), "SIGNING_ALG");
        assert_eq!(
            err_var(load(&[t, ("ARGON2_MEMORY_KIB", "9216")])),
            "ARGON2_MEMORY_KIB"
        );
        assert_eq!(
            err_var(load(&[t, ("ADMIN_GROUP_NAME", "Qrvey Admin")])),
            "ADMIN_GROUP_NAME"
        );
        assert_eq!(
            err_var(load(&[t, ("ADMIN_ACCOUNT_ID", "12")])),
            "ADMIN_ACCOUNT_ID"
        );
        assert_eq!(
            err_var(load(&[t, ("ADMIN_RECHECK", "301")])),
            "ADMIN_RECHECK"
        );
        assert_eq!(
            err_var(load(&[t, ("CODE_MAX_LIFETIME", "0")])),
            "CODE_MAX_LIFETIME"
        );
        assert_eq!(
            err_var(load(&[t, ("ACCESS_TOKEN_TTL", "10")])),
            "ACCESS_TOKEN_TTL"
        );
        for (var, bad) in [
            ("TOKEN_IP_LIMIT", "0"),
            ("TOKEN_IP_LIMIT", "many"),
            ("TOKEN_CLIENT_LIMIT", "-1"),
            ("TOKEN_WINDOW", "5"),
            ("SIGNIN_IP_LIMIT", "10001"),
        ] {
            assert_eq!(err_var(load(&[t, (var, bad)])), var);
        }
        let c = load(&[
            t,
            ("TOKEN_IP_LIMIT", "3"),
            ("TOKEN_CLIENT_LIMIT", "2"),
            ("TOKEN_WINDOW", "60"),
        ])
        .unwrap();
        assert_eq!(
            (
                c.token_limits.ip,
                c.token_limits.name,
                c.token_limits.window
            ),
            (3, 2, Duration::from_secs(60))
        );
    }

    #[test]
    fn code_require_audience_needs_code_audience() {
        let t = ("TABLE_NAME", "t-1");
        assert!(!load(&[t]).unwrap().code_require_audience, "off by default");
        assert_eq!(
            err_var(load(&[t, ("CODE_REQUIRE_AUDIENCE", "true")])),
            "CODE_AUDIENCE"
        );
        assert_eq!(
            err_var(load(&[t, ("CODE_REQUIRE_AUDIENCE", "yes")])),
            "CODE_REQUIRE_AUDIENCE"
        );
        let c = load(&[
            t,
            ("CODE_REQUIRE_AUDIENCE", "true"),
            ("CODE_AUDIENCE", "gatehouse"),
        ])
        .unwrap();
        assert!(c.code_require_audience);
        assert!(
            !load(&[t, ("CODE_REQUIRE_AUDIENCE", "false")])
                .unwrap()
                .code_require_audience
        );
    }

    /// The code rules of `vars` (with a table name) and what building them logged.
    fn rules_of(vars: &[(&str, &str)]) -> (CodeRules, String) {
        let vars: Vec<_> = vars
            .iter()
            .copied()
            .chain([("TABLE_NAME", "t-1")])
            .collect();
        let config = load(&vars).unwrap();
        let mut rules = None;
        let logs = crate::test_log::captured(|| rules = Some(config.code_rules()));
        (rules.expect("built"), logs)
    }

    #[test]
    fn rules_warn_naming_code_audience_when_it_is_empty() {
        let (rules, logs) = rules_of(&[]);
        assert!(logs.contains(r#""variable":"CODE_AUDIENCE""#), "{logs}");
        assert!(!rules.require_typ, "not required by default");
        let (rules, logs) = rules_of(&[
            ("CODE_AUDIENCE", "gatehouse"),
            ("CODE_REQUIRE_AUDIENCE", "true"),
        ]);
        assert!(!logs.contains("CODE_AUDIENCE"), "{logs}");
        assert!(rules.require_typ);
        assert_eq!(rules.audience.as_deref(), Some("gatehouse"));
    }

    #[test]
    fn issuer_accepts_https_and_loopback_http() {
        for ok in [
            "https://auth.example.com",
            "https://auth.example.com/v1",
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            "http://[::1]:3000",
        ] {
            assert_eq!(Issuer::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "http://10.0.0.1",
            "https://",
            "https://a.com?x=1",
            "https://u@a.com",
        ] {
            assert!(Issuer::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_user_ui_url_must_be_on_an_allowed_origin() {
        let t = ("TABLE_NAME", "gatehouse");
        let o = (
            "ALLOWED_ORIGINS",
            "http://localhost:3001,https://app.example.com",
        );
        assert_eq!(load(&[t, o]).unwrap().user_ui_url, None);
        for ok in ["http://localhost:3001", "https://app.example.com/people/"] {
            let c = load(&[t, o, ("USER_UI_URL", ok)]).unwrap();
            assert_eq!(c.user_ui_url.unwrap().as_str(), ok);
        }
        for bad in [
            "https://other.example.com",
            "http://localhost:3002/ui",
            "http://evil.com",
            "https://app.example.com/?x=1",
            "https://app.example.com/#x",
        ] {
            assert_eq!(
                err_var(load(&[t, o, ("USER_UI_URL", bad)])),
                "USER_UI_URL",
                "{bad}"
            );
        }
        assert_eq!(
            err_var(load(&[t, ("USER_UI_URL", "https://app.example.com")])),
            "USER_UI_URL"
        );
    }

    #[test]
    fn origins_are_exact_and_lowercased() {
        let c = load(&[
            ("TABLE_NAME", "gatehouse"),
            (
                "ALLOWED_ORIGINS",
                "http://localhost:3001, https://App.Example.com",
            ),
            ("AUTHORIZER_RESPONSE", "iam"),
            ("API_KEY_CACHE_TTL", "0"),
            ("GRANT_CACHE_TTL", "0"),
        ])
        .unwrap();
        assert_eq!(
            c.allowed_origins.as_slice(),
            ["http://localhost:3001", "https://app.example.com"]
        );
        assert_eq!(c.authorizer_response, AuthorizerResponse::Iam);
        assert_eq!(c.api_key_cache_ttl, Duration::ZERO);
        assert_eq!(c.grant_cache_ttl, Duration::ZERO);
    }
}
