//! The provider's metadata (OpenID Connect Discovery 1.0, section 3): read from
//! `<issuer>/.well-known/openid-configuration`, its `issuer` equal to the configured
//! one, every endpoint through the outbound URL rule.

use serde::Serialize;
use serde_json::Value;

use super::url::{OutboundRule, UrlRefusal};

/// How the client authenticates at the token endpoint (RFC 6749 section 2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenAuth {
    /// `client_secret_basic`: HTTP Basic (the default).
    Basic,
    /// `client_secret_post`: in the form, when that is all the provider supports.
    Post,
}

impl TokenAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuth::Basic => "client_secret_basic",
            TokenAuth::Post => "client_secret_post",
        }
    }
}

/// What the relying party uses of a provider's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub token_auth: TokenAuth,
    /// RFC 9207: the provider sends `iss` with the authorization response.
    pub iss_parameter_supported: bool,
}

/// Why a discovery document is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryError {
    /// Not a JSON object.
    Malformed,
    /// `issuer` missing or not exactly the configured one.
    IssuerMismatch,
    /// A required endpoint is missing or not a string.
    MissingEndpoint,
    /// An endpoint breaks the outbound URL rule.
    BadEndpoint(UrlRefusal),
    /// `response_types_supported` lacks `code`.
    NoCodeFlow,
    /// `code_challenge_methods_supported` lacks `S256`.
    NoS256,
    /// Neither `client_secret_basic` nor `client_secret_post`.
    NoTokenAuth,
}

impl DiscoveryError {
    pub fn as_str(self) -> &'static str {
        match self {
            DiscoveryError::Malformed => "malformed",
            DiscoveryError::IssuerMismatch => "issuer_mismatch",
            DiscoveryError::MissingEndpoint => "missing_endpoint",
            DiscoveryError::BadEndpoint(_) => "bad_endpoint",
            DiscoveryError::NoCodeFlow => "no_code_flow",
            DiscoveryError::NoS256 => "no_s256",
            DiscoveryError::NoTokenAuth => "no_token_auth",
        }
    }
}

impl std::fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoveryError::BadEndpoint(why) => write!(f, "bad_endpoint: {why}"),
            other => f.write_str(other.as_str()),
        }
    }
}

impl std::error::Error for DiscoveryError {}

/// The metadata URL of `issuer` (a trailing slash is not doubled).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Reads `doc` for `configured_issuer` under `rule`.
pub fn parse_discovery(
    doc: &Value,
    configured_issuer: &str,
    rule: &OutboundRule,
) -> Result<Discovery, DiscoveryError> {
    let doc = doc.as_object().ok_or(DiscoveryError::Malformed)?;
    if doc.get("issuer").and_then(Value::as_str) != Some(configured_issuer) {
        return Err(DiscoveryError::IssuerMismatch);
    }
    let endpoint = |name: &str| {
        let url = doc
            .get(name)
            .and_then(Value::as_str)
            .ok_or(DiscoveryError::MissingEndpoint)?;
        rule.endpoint(url).map_err(DiscoveryError::BadEndpoint)
    };
    let list = |name: &str| {
        doc.get(name)
            .map(|v| v.as_array().cloned().unwrap_or_default())
    };
    let lists = |name: &str, item: &str| list(name).is_none_or(|l| l.iter().any(|x| x == item));
    if !lists("response_types_supported", "code") {
        return Err(DiscoveryError::NoCodeFlow);
    }
    if !lists("code_challenge_methods_supported", "S256") {
        return Err(DiscoveryError::NoS256);
    }
    let methods = list("token_endpoint_auth_methods_supported");
    let has = |m: &str| methods.as_ref().is_some_and(|l| l.iter().any(|x| x == m));
    let token_auth = if methods.is_none() || has("client_secret_basic") {
        TokenAuth::Basic
    } else if has("client_secret_post") {
        TokenAuth::Post
    } else {
        return Err(DiscoveryError::NoTokenAuth);
    };
    Ok(Discovery {
        issuer: configured_issuer.to_owned(),
        authorization_endpoint: endpoint("authorization_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
        jwks_uri: endpoint("jwks_uri")?,
        token_auth,
        iss_parameter_supported: doc.get("authorization_response_iss_parameter_supported")
            == Some(&Value::Bool(true)),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://idp.example.com";
    const STRICT: OutboundRule = OutboundRule {
        allow_insecure_loopback: false,
    };

    pub(crate) fn doc() -> Value {
        json!({
            "issuer": ISS,
            "authorization_endpoint": "https://idp.example.com/authorize?tenant=a",
            "token_endpoint": "https://idp.example.com/token",
            "jwks_uri": "https://keys.example.com/jwks",
            "response_types_supported": ["code", "id_token"],
            "code_challenge_methods_supported": ["plain", "S256"],
        })
    }

    fn with(f: impl FnOnce(&mut Value)) -> Value {
        let mut d = doc();
        f(&mut d);
        d
    }

    #[test]
    fn a_good_document_is_read() {
        let d = parse_discovery(&doc(), ISS, &STRICT).unwrap();
        assert_eq!(
            d.authorization_endpoint,
            "https://idp.example.com/authorize?tenant=a"
        );
        assert_eq!(d.jwks_uri, "https://keys.example.com/jwks");
        assert_eq!(d.token_auth, TokenAuth::Basic);
        assert!(!d.iss_parameter_supported);
        let minimal = with(|d| {
            let o = d.as_object_mut().unwrap();
            o.remove("response_types_supported");
            o.remove("code_challenge_methods_supported");
            o.insert(
                "authorization_response_iss_parameter_supported".into(),
                json!(true),
            );
        });
        assert!(
            parse_discovery(&minimal, ISS, &STRICT)
                .unwrap()
                .iss_parameter_supported
        );
        assert_eq!(
            discovery_url("https://a.example/t/"),
            "https://a.example/t/.well-known/openid-configuration"
        );
    }

    #[test]
    fn basic_is_preferred_and_post_used_when_it_is_all() {
        let auth = |methods: Value| {
            parse_discovery(
                &with(|d| d["token_endpoint_auth_methods_supported"] = methods),
                ISS,
                &STRICT,
            )
            .map(|d| d.token_auth)
        };
        assert_eq!(
            auth(json!(["client_secret_post", "client_secret_basic"])),
            Ok(TokenAuth::Basic)
        );
        assert_eq!(
            auth(json!(["private_key_jwt", "client_secret_post"])),
            Ok(TokenAuth::Post)
        );
        assert_eq!(
            auth(json!(["private_key_jwt"])),
            Err(DiscoveryError::NoTokenAuth)
        );
        assert_eq!(
            auth(json!("client_secret_basic")),
            Err(DiscoveryError::NoTokenAuth)
        );
    }

    #[test]
    fn each_refusal() {
        use DiscoveryError::*;
        for (d, why) in [
            (json!([]), Malformed),
            (
                with(|d| d["issuer"] = json!("https://idp.example.com/")),
                IssuerMismatch,
            ),
            (
                with(|d| d["issuer"] = json!("https://evil.example.com")),
                IssuerMismatch,
            ),
            (
                with(|d| drop(d.as_object_mut().unwrap().remove("issuer"))),
                IssuerMismatch,
            ),
            (
                with(|d| drop(d.as_object_mut().unwrap().remove("jwks_uri"))),
                MissingEndpoint,
            ),
            (with(|d| d["token_endpoint"] = json!(5)), MissingEndpoint),
            (
                with(|d| d["token_endpoint"] = json!("http://idp.example.com/token")),
                BadEndpoint(UrlRefusal::NotHttps),
            ),
            (
                with(|d| d["jwks_uri"] = json!("https://169.254.169.254/keys")),
                BadEndpoint(UrlRefusal::IpLiteral),
            ),
            (
                with(|d| d["authorization_endpoint"] = json!("https://idp.example.com/a#x")),
                BadEndpoint(UrlRefusal::Fragment),
            ),
            (
                with(|d| d["response_types_supported"] = json!(["id_token"])),
                NoCodeFlow,
            ),
            (
                with(|d| d["code_challenge_methods_supported"] = json!(["plain"])),
                NoS256,
            ),
        ] {
            assert_eq!(parse_discovery(&d, ISS, &STRICT), Err(why), "{d}");
        }
        let dev = OutboundRule {
            allow_insecure_loopback: true,
        };
        let local = with(|d| d["token_endpoint"] = json!("http://127.0.0.1:8080/token"));
        assert!(parse_discovery(&local, ISS, &dev).is_ok());
        assert_eq!(
            BadEndpoint(UrlRefusal::NotHttps).to_string(),
            "bad_endpoint: not_https"
        );
    }
}
