//! Typed, validated configuration from the environment. A missing or bad value stops
//! start-up with an error naming the variable (DESIGN.md section 5).

use std::time::Duration;

use crate::authz::RouteRules;
use crate::error::{Error, Result};

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
    pub issuer: Option<String>,
    /// Exact embedding origins (`scheme://host[:port]`), never `*`.
    pub allowed_origins: Vec<String>,
    pub route_rules: RouteRules,
    pub authorizer_response: AuthorizerResponse,
    /// How long a verified API key record is trusted from memory.
    pub api_key_cache_ttl: Duration,
    /// How long a Secrets Manager value is cached (at most 60 s).
    pub secrets_cache_ttl: Duration,
}

/// The largest request body read; larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 16_384;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `get` (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let table_name =
            var("TABLE_NAME").ok_or_else(|| Error::config("TABLE_NAME", "is required"))?;
        if !valid_table_name(&table_name) {
            return Err(Error::config(
                "TABLE_NAME",
                "must be 3-255 characters of [A-Za-z0-9_.-]",
            ));
        }
        let issuer = var("ISSUER").map(|v| parse_issuer(&v)).transpose()?;
        let allowed_origins = match var("ALLOWED_ORIGINS") {
            None => Vec::new(),
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|o| parse_origin(o).map_err(|m| Error::config("ALLOWED_ORIGINS", m)))
                .collect::<Result<Vec<_>>>()?,
        };
        let route_rules = match var("ROUTE_RULES") {
            None => RouteRules::default_rules(),
            Some(json) => {
                RouteRules::from_json(&json).map_err(|m| Error::config("ROUTE_RULES", m))?
            }
        };
        let authorizer_response = match var("AUTHORIZER_RESPONSE").as_deref() {
            None | Some("simple") => AuthorizerResponse::Simple,
            Some("iam") => AuthorizerResponse::Iam,
            Some(_) => {
                return Err(Error::config(
                    "AUTHORIZER_RESPONSE",
                    "must be `simple` or `iam`",
                ));
            }
        };
        let api_key_cache_ttl = seconds(&var, "API_KEY_CACHE_TTL", 60, 0, 3600)?;
        let secrets_cache_ttl = seconds(&var, "SECRETS_CACHE_TTL", 60, 0, 60)?;
        Ok(Config {
            table_name,
            issuer,
            allowed_origins,
            route_rules,
            authorizer_response,
            api_key_cache_ttl,
            secrets_cache_ttl,
        })
    }
}

fn seconds(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<Duration> {
    let Some(raw) = var(name) else {
        return Ok(Duration::from_secs(default));
    };
    let n: u64 = raw
        .parse()
        .map_err(|_| Error::config(name, "must be a whole number of seconds"))?;
    if !(min..=max).contains(&n) {
        return Err(Error::config(
            name,
            format!("must be between {min} and {max} seconds"),
        ));
    }
    Ok(Duration::from_secs(n))
}

fn valid_table_name(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Whether `host` is a loopback name or address (plain http is accepted only for these).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Splits `scheme://authority[/path]`; the authority's host must be non-empty.
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty()
        || authority.contains('@')
        || !authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    {
        return None;
    }
    Some((scheme, authority, path))
}

fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .split(']')
            .next()
            .map_or(authority, |h| &authority[..h.len() + 1]);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// An issuer URL: `https://host[:port][/path]` (no trailing slash, query or fragment),
/// or `http://` for loopback hosts only (the local stack).
pub fn parse_issuer(url: &str) -> Result<String> {
    let bad = |m: &str| Error::config("ISSUER", m.to_owned());
    if url.contains(['?', '#', ' ']) || url.ends_with('/') {
        return Err(bad(
            "must be a URL without query, fragment or trailing slash",
        ));
    }
    let (scheme, authority, _) = split_url(url).ok_or_else(|| bad("must be an absolute URL"))?;
    match scheme {
        "https" => Ok(url.to_owned()),
        "http" if is_loopback_host(host_of(authority)) => Ok(url.to_owned()),
        "http" => Err(bad("plain http is accepted for loopback hosts only")),
        _ => Err(bad("scheme must be https")),
    }
}

/// An origin as browsers send it: `scheme://host[:port]`, nothing else.
pub fn parse_origin(origin: &str) -> std::result::Result<String, String> {
    if origin == "*" || origin == "null" {
        return Err(format!("`{origin}` is not allowed; list exact origins"));
    }
    match split_url(origin) {
        Some(("https" | "http", _, "")) => Ok(origin.to_ascii_lowercase()),
        _ => Err(format!(
            "`{origin}` is not an origin of the form scheme://host[:port]"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
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
        assert_eq!(c.secrets_cache_ttl, Duration::from_secs(60));
    }

    #[test]
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
            err_var(load(&[t, ("SECRETS_CACHE_TTL", "61")])),
            "SECRETS_CACHE_TTL"
        );
        assert_eq!(err_var(load(&[t, ("ROUTE_RULES", "{")])), "ROUTE_RULES");
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
            assert_eq!(parse_issuer(ok).unwrap(), ok);
        }
        for bad in [
            "http://10.0.0.1",
            "https://",
            "https://a.com?x=1",
            "https://u@a.com",
        ] {
            assert!(parse_issuer(bad).is_err(), "{bad}");
        }
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
        ])
        .unwrap();
        assert_eq!(
            c.allowed_origins,
            vec!["http://localhost:3001", "https://app.example.com"]
        );
        assert_eq!(c.authorizer_response, AuthorizerResponse::Iam);
        assert_eq!(c.api_key_cache_ttl, Duration::ZERO);
    }
}
