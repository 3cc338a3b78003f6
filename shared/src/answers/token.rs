//! The token function's answers (the JWKS is [`crate::credentials::keys::JwkSet`]).

use serde::Serialize;

/// `POST /token`: an access token (RFC 6749 section 5.1).
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenAnswer {
    /// A JWT with `aud` `api`, signed by the current key of the ring.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// `data` (client credentials) or `client` (host authorization code).
    pub scope: String,
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerMetadata {
    pub issuer: String,
    /// Present when the host code flow is configured (`AUTH_URL`, `JWK_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub scopes_supported: Vec<&'static str>,
    /// `["code"]` with the host code flow, else empty.
    pub response_types_supported: Vec<&'static str>,
    /// `client_credentials` (with a client list) and `authorization_code` (with the
    /// host code flow).
    pub grant_types_supported: Vec<&'static str>,
}
