//! The one Origin rule (README "Origin checks"): which browser requests are honoured
//! from where. Cookie-authenticated and widget-token requests need an allowed `Origin`,
//! `loginToken` binds a session to one, widget tokens are bound to some, admin routes
//! refuse a foreign one, and the local gateway's CORS answers allowed ones. Every one of
//! them compares origins with [`same_origin`] and reads the `Origin` header here.

use http::HeaderMap;
use http::header::ORIGIN;

use crate::error::{Error, Result};
use crate::primitives::headers::single_value;

/// The one comparison of two origins: exact, ASCII case-insensitive (scheme and host
/// are case-insensitive; an origin has no path).
fn same_origin(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Why an origin is refused; the message quotes the origin as written (it reaches the
/// operator through `ALLOWED_ORIGINS` or the caller through a widget token's `origins`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// `*` or `null`.
    #[error("`{0}` is not allowed; list exact origins")]
    Wildcard(String),
    #[error("`{0}` is not an origin of the form scheme://host[:port]")]
    NotAnOrigin(String),
}

/// An origin as browsers send it: `scheme://host[:port]` (http or https), nothing
/// else; `*` and `null` are refused. Returned in lower case.
pub(crate) fn parse_origin(origin: &str) -> std::result::Result<String, OriginError> {
    if origin == "*" || origin == "null" {
        return Err(OriginError::Wildcard(origin.to_owned()));
    }
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match authority {
        Some(a)
            if !a.is_empty()
                && a.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                }) =>
        {
            Ok(origin.to_ascii_lowercase())
        }
        _ => Err(OriginError::NotAnOrigin(origin.to_owned())),
    }
}

/// `ALLOWED_ORIGINS`: the exact embedding origins (read and validated by the
/// configuration), each in lower case, never `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// The list of `entries`, each checked by [`parse_origin`]; the error names the
    /// first bad one.
    pub fn parse<'a>(
        entries: impl IntoIterator<Item = &'a str>,
    ) -> std::result::Result<Self, OriginError> {
        entries
            .into_iter()
            .map(parse_origin)
            .collect::<std::result::Result<_, _>>()
            .map(AllowedOrigins)
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The whole list, where it must be echoed (the default `origins` of a widget token).
    #[cfg(test)]
    pub(crate) fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The configured entry `origin` is (the configured spelling, lower case).
    pub fn find(&self, origin: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|a| same_origin(a, origin))
            .map(String::as_str)
    }

    /// The rule for browser credentials: the request's `origin` must be allowed and,
    /// when the credential is bound to origins (`bound`: a widget token's `origins`, a
    /// session's origin), one of those too. `bound: None` is a credential bound to no
    /// origin (a widget session written before sessions remembered theirs). A missing
    /// `Origin` is denied.
    pub(crate) fn permits(&self, origin: Option<&str>, bound: Option<&[String]>) -> bool {
        let Some(origin) = origin else {
            return false;
        };
        self.find(origin).is_some()
            && bound.is_none_or(|list| list.iter().any(|b| same_origin(b, origin)))
    }

    /// The entry the request's single `Origin` header is; `None` when the header is
    /// missing, sent twice, not text or not allowed.
    pub(crate) fn of_request(&self, headers: &HeaderMap) -> Option<&str> {
        self.find(request_origin(headers)?)
    }

    /// [`Self::of_request`], or 403 `origin_not_allowed`: what a browser endpoint
    /// without the authorizer requires (widget `loginToken`, the users' sign-in and
    /// invite acceptance: the login-CSRF defence).
    pub(crate) fn require(&self, headers: &HeaderMap) -> Result<&str> {
        self.of_request(headers)
            .ok_or(Error::Forbidden("origin_not_allowed"))
    }

    /// The origins a widget security token is bound to: the `requested` ones (each an
    /// origin in `ALLOWED_ORIGINS`), or all allowed ones; never none.
    pub fn bind(&self, requested: Option<&[String]>) -> Result<Vec<String>> {
        let origins = match requested {
            None => self.0.clone(),
            Some(list) => list
                .iter()
                .map(|o| {
                    let norm = parse_origin(o)
                        .map_err(|m| Error::bad_request(format!("invalid field `origins`: {m}")))?;
                    self.find(&norm).map(str::to_owned).ok_or_else(|| {
                        Error::bad_request(format!(
                            "invalid field `origins`: `{o}` is not in ALLOWED_ORIGINS"
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        };
        if origins.is_empty() {
            return Err(Error::bad_request(
                "invalid field `origins`: no allowed origin to bind the token to",
            ));
        }
        Ok(origins)
    }
}

/// The request's single `Origin` header, if it sent exactly one as text.
fn request_origin(headers: &HeaderMap) -> Option<&str> {
    single_value(headers, ORIGIN).ok().flatten()
}

/// The `Origin` of an authorizer event, and what the local gateway answers CORS for:
/// the first value when the header is repeated (as they have always read it; HTTP APIs
/// join repeats with commas, which no allowed origin matches), `None` when not text.
pub fn sent_origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(ORIGIN).and_then(|v| v.to_str().ok())
}

/// The origin (`scheme://host[:port]`) of an absolute URL such as the issuer.
pub(crate) fn origin_of(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find('/') {
        Some(i) => &url[..start + i],
        None => url,
    }
}

/// The admin routes' rule (README, "Administrators"): a request without `Origin` (the
/// CLI, a same-origin GET) passes; otherwise its single `Origin` must be the origin of
/// the issuer, which `issuer` gives (called only then). Another origin, `null`, or the
/// header sent twice is foreign (`Ok(false)`).
pub(crate) fn origin_absent_or<S: AsRef<str>>(
    headers: &HeaderMap,
    issuer: impl FnOnce() -> Result<S>,
) -> Result<bool> {
    if !headers.contains_key(ORIGIN) {
        return Ok(true);
    }
    origin_is_own(headers, issuer)
}

/// The console's stricter rule for its writes without a CSRF token (README "Admin
/// console"): the single `Origin` must be present and be the issuer's origin; absent,
/// foreign, `null` or repeated is `Ok(false)`.
pub(crate) fn origin_is_own<S: AsRef<str>>(
    headers: &HeaderMap,
    issuer: impl FnOnce() -> Result<S>,
) -> Result<bool> {
    if !headers.contains_key(ORIGIN) {
        return Ok(false);
    }
    let issuer = issuer()?;
    let own = origin_of(issuer.as_ref());
    Ok(request_origin(headers).is_some_and(|o| same_origin(o, own)))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn h(values: &[&str]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for x in values {
            m.append(ORIGIN, HeaderValue::from_str(x).unwrap());
        }
        m
    }

    fn allowed(list: &[&str]) -> AllowedOrigins {
        AllowedOrigins::parse(list.iter().copied()).unwrap()
    }

    #[test]
    fn origins_are_matched_exactly() {
        let allowed = allowed(&["http://localhost:3001"]);
        assert!(allowed.of_request(&h(&["http://localhost:3001"])).is_some());
        for bad in [
            &[][..],
            &["http://localhost:3002"],
            &["http://localhost:3001.evil.example"],
            &["null"],
            &["http://localhost:3001", "http://localhost:3001"],
        ] {
            assert!(allowed.of_request(&h(bad)).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn admin_requests_come_from_no_origin_or_the_issuers() {
        assert_eq!(
            origin_of("https://auth.example.com/v1"),
            "https://auth.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
        let absent_or = |values: &[&str]| {
            origin_absent_or(&h(values), || Ok("https://auth.example.com/v1")).unwrap()
        };
        assert!(absent_or(&[]), "the CLI sends none");
        assert!(absent_or(&["https://auth.example.com"]));
        assert!(absent_or(&["https://AUTH.example.com"]));
        for foreign in [
            &["null"][..],
            &["https://evil.example"],
            &["http://auth.example.com"],
            &["https://auth.example.com:8443"],
            &["https://auth.example.com", "https://auth.example.com"],
        ] {
            assert!(!absent_or(foreign), "{foreign:?}");
        }
        // The issuer is needed only when an Origin is sent.
        let no_issuer = || Err::<String, _>(Error::Internal("no issuer".into()));
        assert_eq!(origin_absent_or(&h(&[]), no_issuer).ok(), Some(true));
        assert!(origin_absent_or(&h(&["https://auth.example.com"]), no_issuer).is_err());
        // The console's writes without a CSRF token: the issuer's origin, present.
        let own = |values: &[&str]| {
            origin_is_own(&h(values), || Ok("https://auth.example.com/v1")).unwrap()
        };
        assert!(own(&["https://auth.example.com"]));
        assert!(!own(&[]), "absent is not enough");
        assert!(!own(&["null"]) && !own(&["https://evil.example"]));
        assert!(!own(&[
            "https://auth.example.com",
            "https://auth.example.com"
        ]));
    }

    #[test]
    fn origin_rule_needs_an_allowed_and_bound_origin() {
        let allowed = allowed(&["https://a.example", "https://b.example"]);
        let a = vec!["https://a.example".to_owned()];
        let gone = vec!["https://old.example".to_owned()];
        assert!(allowed.permits(Some("https://a.example"), Some(&a)));
        assert!(allowed.permits(Some("https://A.example"), Some(&a)));
        // Bound elsewhere, or bound to an origin no longer allowed.
        assert!(!allowed.permits(Some("https://b.example"), Some(&a)));
        assert!(!allowed.permits(Some("https://old.example"), Some(&gone)));
        // Unbound (legacy sessions): any allowed origin.
        assert!(allowed.permits(Some("https://b.example"), None));
        assert!(!allowed.permits(Some("https://evil.example"), None));
        assert!(!allowed.permits(None, None));
        assert!(!allowed.permits(Some("null"), Some(&[])));
    }

    #[test]
    fn origins_must_be_allowed() {
        let list = allowed(&["http://localhost:3001"]);
        let bind = |o: Option<Vec<&str>>| {
            let o: Option<Vec<String>> = o.map(|v| v.into_iter().map(String::from).collect());
            list.bind(o.as_deref())
        };
        assert_eq!(bind(None).unwrap(), list.as_slice());
        assert_eq!(
            bind(Some(vec!["http://LOCALHOST:3001"])).unwrap(),
            list.as_slice()
        );
        assert!(bind(Some(vec!["https://evil.example"])).is_err());
        assert!(bind(Some(vec!["*"])).is_err());
        assert!(AllowedOrigins::default().bind(None).is_err());
        assert!(bind(Some(vec![])).is_err());
    }

    #[test]
    fn origins_are_parsed_exactly() {
        assert_eq!(
            parse_origin("https://App.Example.com:8443").as_deref(),
            Ok("https://app.example.com:8443")
        );
        assert_eq!(
            parse_origin("http://[::1]:3000").as_deref(),
            Ok("http://[::1]:3000")
        );
        for bad in [
            "*",
            "null",
            "https://",
            "https://a.example/",
            "https://a.example/path",
            "https://u@a.example",
            "ftp://a.example",
            "HTTPS://a.example",
            "a.example",
            "https://a.example?x",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
        assert!(AllowedOrigins::parse(["https://a.example", "*"]).is_err());
    }

    /// The five callers (the authorizer's cookie and widget-token checks, `loginToken`,
    /// the token binding, the local CORS) and the admin rule decide alike on one
    /// `Origin` header: mixed case is the same origin, `null` and look-alikes are not.
    #[test]
    fn every_caller_reads_an_origin_alike() {
        let list = allowed(&["https://app.example"]);
        let bound = vec!["https://app.example".to_owned()];
        for (origin, ok) in [
            ("https://app.example", true),
            ("HTTPS://APP.EXAMPLE", true),
            ("https://App.Example", true),
            ("null", false),
            ("https://app.example.evil", false),
            ("http://app.example", false),
            ("https://app.example:443", false),
        ] {
            let headers = h(&[origin]);
            let sent = sent_origin(&headers);
            assert_eq!(sent, Some(origin));
            assert_eq!(list.permits(sent, None), ok, "session cookie: {origin}");
            assert_eq!(
                list.permits(sent, Some(&bound)),
                ok,
                "widget token: {origin}"
            );
            assert_eq!(
                list.of_request(&headers).is_some(),
                ok,
                "loginToken: {origin}"
            );
            assert_eq!(list.find(origin).is_some(), ok, "local CORS: {origin}");
            // The binding reads a JSON field, where the origin must also be well
            // written (a lower-case scheme), then compares it the same way.
            assert_eq!(
                list.bind(Some(std::slice::from_ref(&origin.to_owned())))
                    .is_ok(),
                ok && parse_origin(origin).is_ok(),
                "token binding: {origin}"
            );
            let admin = origin_absent_or(&headers, || Ok("https://app.example")).unwrap();
            assert_eq!(admin, ok, "admin routes: {origin}");
            // What matched is the configured entry.
            if ok {
                assert_eq!(list.of_request(&headers), Some("https://app.example"));
                assert_eq!(list.find(origin), Some("https://app.example"));
            }
        }
    }

    /// The messages a bad origin is refused with (they quote the origin).
    #[test]
    fn bad_origins_are_refused_with_their_reason() {
        let message = |o: &str| parse_origin(o).unwrap_err().to_string();
        assert_eq!(message("*"), "`*` is not allowed; list exact origins");
        assert_eq!(message("null"), "`null` is not allowed; list exact origins");
        assert_eq!(
            message("ftp://a.example"),
            "`ftp://a.example` is not an origin of the form scheme://host[:port]"
        );
        assert_eq!(
            AllowedOrigins::parse(["https://a.example", "*"]),
            Err(OriginError::Wildcard("*".to_owned()))
        );
    }
}
