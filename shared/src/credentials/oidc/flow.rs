//! One sign-in through a provider: the fixed error list the callback redirects with,
//! the transaction's values, and the return path. The PKCE verifier and the nonce are
//! derived from the browser's cookie and the state, never stored
//! (`docs/DECISIONS.md`, "Single sign-on: derived flow secrets").

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::primitives::crypto;

/// What the callback redirects with (`#sso_error=<code>`); provider text is never
/// reflected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoError {
    InvalidRequest,
    UnknownProvider,
    StateMismatch,
    IssuerMismatch,
    ProviderError,
    ProviderUnavailable,
    InvalidIdToken,
    NoLinkedAccount,
    AccountDisabled,
    /// Provisioning: the provider's domain list does not admit the identity's
    /// verified e-mail (or it has none).
    EmailDomainNotAllowed,
    /// Provisioning (`auto_create`): the e-mail belongs to an account whose address is
    /// not verified, or which has another identity at this provider.
    AccountExists,
    /// Provisioning (`link_verified_email`): no active account with this verified
    /// e-mail to link to.
    LinkRequiresVerifiedAccount,
    ServerError,
}

impl SsoError {
    pub const ALL: [SsoError; 13] = [
        SsoError::InvalidRequest,
        SsoError::UnknownProvider,
        SsoError::StateMismatch,
        SsoError::IssuerMismatch,
        SsoError::ProviderError,
        SsoError::ProviderUnavailable,
        SsoError::InvalidIdToken,
        SsoError::NoLinkedAccount,
        SsoError::AccountDisabled,
        SsoError::EmailDomainNotAllowed,
        SsoError::AccountExists,
        SsoError::LinkRequiresVerifiedAccount,
        SsoError::ServerError,
    ];

    /// The code in the redirect's fragment.
    pub fn as_str(self) -> &'static str {
        match self {
            SsoError::InvalidRequest => "invalid_request",
            SsoError::UnknownProvider => "unknown_provider",
            SsoError::StateMismatch => "state_mismatch",
            SsoError::IssuerMismatch => "issuer_mismatch",
            SsoError::ProviderError => "provider_error",
            SsoError::ProviderUnavailable => "provider_unavailable",
            SsoError::InvalidIdToken => "invalid_id_token",
            SsoError::NoLinkedAccount => "no_linked_account",
            SsoError::AccountDisabled => "account_disabled",
            SsoError::EmailDomainNotAllowed => "email_domain_not_allowed",
            SsoError::AccountExists => "account_exists",
            SsoError::LinkRequiresVerifiedAccount => "link_requires_verified_account",
            SsoError::ServerError => "server_error",
        }
    }
}

impl fmt::Display for SsoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for SsoError {}

/// A new `state` (256 random bits, base64url).
pub fn new_state() -> String {
    crypto::random_id()
}

/// A new value for the browser's SSO cookie (256 random bits, base64url); the
/// transaction record keeps only its SHA-256.
pub fn new_browser_secret() -> SecretString {
    SecretString::from(crypto::random_id())
}

/// The transaction's secrets, derived from the cookie value and the state.
#[derive(Debug, Clone)]
pub struct FlowSecrets {
    /// The PKCE `code_verifier` (43 base64url characters, RFC 7636 section 4.1).
    pub verifier: SecretString,
    /// The `nonce` sent and expected back in the id_token.
    pub nonce: SecretString,
    /// `BASE64URL(SHA256(verifier))`, the `code_challenge` (method S256).
    pub challenge: String,
}

/// `HMAC-SHA256(browser_secret, "pkce|" + state)` as the verifier and
/// `HMAC-SHA256(browser_secret, "nonce|" + state)` as the nonce, both base64url.
pub fn derive(browser_secret: &SecretString, state: &str) -> FlowSecrets {
    let key = browser_secret.expose_secret().as_bytes();
    let mac = |label: &str| {
        let msg = format!("{label}|{state}");
        crypto::b64url(&crypto::hmac_sha256(key, msg.as_bytes()))
    };
    let verifier = mac("pkce");
    let challenge = crypto::b64url(&crypto::sha256(verifier.as_bytes()));
    FlowSecrets {
        verifier: SecretString::from(verifier),
        nonce: SecretString::from(mac("nonce")),
        challenge,
    }
}

/// The longest return path kept.
pub const MAX_RETURN_PATH: usize = 512;

/// Where the UI goes after signing in: a path on its own site (`/` by default). It must
/// start with one `/` (never `//` or `/\`, also percent-encoded), and hold only
/// visible ASCII without backslash; at most 512 bytes.
pub fn return_path(raw: Option<&str>) -> Result<String, SsoError> {
    let Some(path) = raw else {
        return Ok("/".to_owned());
    };
    let visible = path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if path.len() > MAX_RETURN_PATH || !visible || !path.starts_with('/') {
        return Err(SsoError::InvalidRequest);
    }
    let second = path[1..].get(..3).map(str::to_ascii_lowercase);
    let encoded_slash = matches!(second.as_deref(), Some("%2f" | "%5c"));
    if path[1..].starts_with('/') || encoded_slash {
        return Err(SsoError::InvalidRequest);
    }
    Ok(path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_the_fixed_list() {
        let codes: Vec<_> = SsoError::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            codes,
            [
                "invalid_request",
                "unknown_provider",
                "state_mismatch",
                "issuer_mismatch",
                "provider_error",
                "provider_unavailable",
                "invalid_id_token",
                "no_linked_account",
                "account_disabled",
                "email_domain_not_allowed",
                "account_exists",
                "link_requires_verified_account",
                "server_error"
            ]
        );
        assert_eq!(SsoError::StateMismatch.to_string(), "state_mismatch");
    }

    #[test]
    fn states_and_browser_secrets_are_fresh_256_bit_values() {
        let (a, b) = (new_state(), new_state());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        let s = new_browser_secret();
        assert_eq!(s.expose_secret().len(), 43);
        assert_ne!(s.expose_secret(), new_browser_secret().expose_secret());
    }

    /// Same inputs, same secrets; another cookie or state, others. The challenge is S256
    /// of the verifier (RFC 7636 appendix B's vector checks the encoding).
    #[test]
    fn secrets_are_derived_from_the_cookie_and_the_state() {
        let cookie = SecretString::from("cookie-value");
        let a = derive(&cookie, "state-1");
        let again = derive(&cookie, "state-1");
        assert_eq!(a.verifier.expose_secret(), again.verifier.expose_secret());
        assert_eq!(a.nonce.expose_secret(), again.nonce.expose_secret());
        assert_ne!(a.verifier.expose_secret(), a.nonce.expose_secret());
        let other_state = derive(&cookie, "state-2");
        let other_cookie = derive(&SecretString::from("other"), "state-1");
        for o in [&other_state, &other_cookie] {
            assert_ne!(a.verifier.expose_secret(), o.verifier.expose_secret());
            assert_ne!(a.nonce.expose_secret(), o.nonce.expose_secret());
        }
        let v = a.verifier.expose_secret();
        assert_eq!(v.len(), 43);
        assert!(
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let expected = crypto::b64url(&crypto::hmac_sha256(b"cookie-value", b"pkce|state-1"));
        assert_eq!(v, &expected);
        assert_eq!(
            a.challenge,
            crypto::b64url(&crypto::sha256(v.as_bytes())),
            "S256"
        );
        let rfc = crypto::b64url(&crypto::sha256(
            b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ));
        assert_eq!(rfc, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let debug = format!("{a:?}");
        assert!(!debug.contains(v) && !debug.contains(a.nonce.expose_secret()));
    }

    #[test]
    fn return_paths_are_relative_paths_only() {
        assert_eq!(return_path(None).as_deref(), Ok("/"));
        for ok in ["/", "/app", "/a/b?x=1#frag", "/a//b", "/a%2Fb", "/.//x"] {
            assert_eq!(return_path(Some(ok)).as_deref(), Ok(ok), "{ok}");
        }
        let long = format!("/{}", "a".repeat(MAX_RETURN_PATH));
        let at_cap = format!("/{}", "a".repeat(MAX_RETURN_PATH - 1));
        assert!(return_path(Some(&at_cap)).is_ok());
        for bad in [
            "",
            "//evil.com",
            "///evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "/%2Fevil.com",
            "/%2fevil.com",
            "/%5Cevil.com",
            "https://evil.com",
            "javascript:alert(1)",
            "evil.com",
            "a/b",
            "/a\\b",
            "/\t/evil.com",
            "/a b",
            "/a\nb",
            "/\u{e9}",
            &long,
        ] {
            assert_eq!(
                return_path(Some(bad)),
                Err(SsoError::InvalidRequest),
                "{bad:?}"
            );
        }
    }
}
