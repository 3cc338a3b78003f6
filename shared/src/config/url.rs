//! URLs in the configuration: the issuer, the URLs the functions call or redirect to,
//! and the embedding origins. https everywhere; plain http only for loopback hosts (the
//! local stack).

use std::fmt;

pub use crate::primitives::url::is_loopback_host;
use crate::primitives::url::{host_of, split};

/// Why a configured URL is refused (the message follows the variable's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("must be a URL without query, fragment or trailing slash")]
    QueryFragmentOrSlash,
    #[error("must be an absolute URL")]
    NotAbsolute,
    #[error("plain http is accepted for loopback hosts only")]
    PlainHttp,
    #[error("scheme must be https")]
    NotHttps,
    #[error("must not contain spaces")]
    Spaces,
    #[error("must be https (plain http only for loopback hosts)")]
    NotHttpsOrLoopback,
}

/// The token issuer set by `ISSUER`: `https://host[:port][/path]` (no trailing slash,
/// query or fragment), or `http://` for loopback hosts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

impl Issuer {
    /// Checks `url` as an issuer.
    pub(crate) fn parse(url: &str) -> Result<Issuer, UrlError> {
        if url.contains(['?', '#', ' ']) || url.ends_with('/') {
            return Err(UrlError::QueryFragmentOrSlash);
        }
        let (scheme, authority, _) = split_url(url).ok_or(UrlError::NotAbsolute)?;
        match scheme {
            "https" => Ok(Issuer(url.to_owned())),
            "http" if is_loopback_host(host_of(authority)) => Ok(Issuer(url.to_owned())),
            "http" => Err(UrlError::PlainHttp),
            _ => Err(UrlError::NotHttps),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A URL the functions call or redirect to (`AUTH_URL`, `JWK_URL`, the STS endpoint):
/// https, or http for loopback hosts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsUrl(String);

impl HttpsUrl {
    /// Checks `url`.
    pub(crate) fn parse(url: &str) -> Result<HttpsUrl, UrlError> {
        let (scheme, authority, _) = split_url(url).ok_or(UrlError::NotAbsolute)?;
        if url.contains(' ') {
            return Err(UrlError::Spaces);
        }
        match scheme {
            "https" => Ok(HttpsUrl(url.to_owned())),
            "http" if is_loopback_host(host_of(authority)) => Ok(HttpsUrl(url.to_owned())),
            _ => Err(UrlError::NotHttpsOrLoopback),
        }
    }

    /// AWS's STS endpoint of `region` (the function's own `AWS_REGION`).
    pub(super) fn aws_sts(region: &str) -> HttpsUrl {
        HttpsUrl(format!("https://sts.{region}.amazonaws.com"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for HttpsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Issuer> for String {
    fn from(i: Issuer) -> String {
        i.0
    }
}

impl From<HttpsUrl> for String {
    fn from(u: HttpsUrl) -> String {
        u.0
    }
}

/// Splits `scheme://authority[/path]`; the authority's host must be non-empty and plain
/// (no userinfo), and nothing but a path may follow it.
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, authority, path) = split(url)?;
    if !(path.is_empty() || path.starts_with('/'))
        || !authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    {
        return None;
    }
    Some((scheme, authority, path))
}

/// `USER_UI_URL` (read as an [`HttpsUrl`]), if set: no query or fragment (links add
/// theirs), and its origin must be one of `ALLOWED_ORIGINS` (README "People").
pub(super) fn user_ui_url(
    url: Option<HttpsUrl>,
    allowed: &crate::authz::origin::AllowedOrigins,
) -> crate::error::Result<Option<HttpsUrl>> {
    const NAME: &str = "USER_UI_URL";
    let Some(url) = url else {
        return Ok(None);
    };
    if url.as_str().contains(['?', '#']) {
        return Err(crate::error::Error::config(
            NAME,
            "must have no query or fragment",
        ));
    }
    if origin_of(url.as_str()).is_none_or(|o| allowed.find(o).is_none()) {
        return Err(crate::error::Error::config(
            NAME,
            "its origin must be one of ALLOWED_ORIGINS",
        ));
    }
    Ok(Some(url))
}

/// The origin (`scheme://authority`) a URL's page is on.
fn origin_of(url: &str) -> Option<&str> {
    let (scheme, authority, _) = split_url(url)?;
    url.get(..scheme.len() + 3 + authority.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a bad URL is refused with (after the variable's name).
    #[test]
    fn bad_urls_are_refused_with_their_reason() {
        let issuer = |u| Issuer::parse(u).unwrap_err().to_string();
        let url = |u| HttpsUrl::parse(u).unwrap_err().to_string();
        for (u, why) in [
            (
                "https://a.com/",
                "must be a URL without query, fragment or trailing slash",
            ),
            ("a.com", "must be an absolute URL"),
            (
                "http://10.0.0.1",
                "plain http is accepted for loopback hosts only",
            ),
            ("ftp://a.com", "scheme must be https"),
        ] {
            assert_eq!(issuer(u), why, "{u}");
        }
        for (u, why) in [
            ("https://", "must be an absolute URL"),
            ("https://a.com/a b", "must not contain spaces"),
            (
                "http://10.0.0.1/jwks",
                "must be https (plain http only for loopback hosts)",
            ),
        ] {
            assert_eq!(url(u), why, "{u}");
        }
    }
}
