//! The one Origin rule (README "Origin checks"): which browser requests are honoured
//! from where. Cookie-authenticated and widget-token requests need an allowed `Origin`;
//! admin routes refuse a foreign one.

use http::HeaderMap;

/// The Origin rule for browser credentials (README "Origin checks"): the request's
/// `Origin` must be in `allowed` (`ALLOWED_ORIGINS`, as configured now) and, when the
/// credential is bound to origins (`bound`: a widget token's `origins`, a session's
/// origin), one of those too. `bound: None` is a credential bound to no origin (a
/// widget session written before sessions remembered theirs). A missing `Origin` is
/// denied.
pub fn origin_permits(origin: Option<&str>, allowed: &[String], bound: Option<&[String]>) -> bool {
    let Some(origin) = origin else {
        return false;
    };
    let listed = |list: &[String]| list.iter().any(|a| a.eq_ignore_ascii_case(origin));
    listed(allowed) && bound.is_none_or(listed)
}

/// Whether the request's `Origin` is one of `allowed` (exact, case-insensitive host).
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    allowed_origin(headers, allowed).is_some()
}

/// The entry of `allowed` the request's single `Origin` matches (exact,
/// case-insensitive host), if any.
pub fn allowed_origin<'a>(headers: &HeaderMap, allowed: &'a [String]) -> Option<&'a str> {
    let mut values = headers.get_all(http::header::ORIGIN).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => {
            let o = v.to_str().ok()?;
            allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(o))
                .map(String::as_str)
        }
        _ => None,
    }
}

/// The origin (`scheme://host[:port]`) of an absolute URL such as the issuer.
pub fn origin_of(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find('/') {
        Some(i) => &url[..start + i],
        None => url,
    }
}

/// The admin routes' rule (README, "Administrators"): a request without `Origin` (the
/// CLI, a same-origin GET) or with exactly `origin` passes; another origin, `null`, or
/// the header sent twice is foreign.
pub fn origin_absent_or(headers: &HeaderMap, origin: &str) -> bool {
    !headers.contains_key(http::header::ORIGIN)
        || origin_allowed(headers, std::slice::from_ref(&origin.to_owned()))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn origins_are_matched_exactly() {
        let allowed = vec!["http://localhost:3001".to_owned()];
        let h = |v: &[&str]| {
            let mut m = HeaderMap::new();
            for x in v {
                m.append(http::header::ORIGIN, HeaderValue::from_str(x).unwrap());
            }
            m
        };
        assert!(origin_allowed(&h(&["http://localhost:3001"]), &allowed));
        for bad in [
            &[][..],
            &["http://localhost:3002"],
            &["http://localhost:3001.evil.example"],
            &["null"],
            &["http://localhost:3001", "http://localhost:3001"],
        ] {
            assert!(!origin_allowed(&h(bad), &allowed), "{bad:?}");
        }
    }

    #[test]
    fn admin_requests_come_from_no_origin_or_the_issuers() {
        assert_eq!(
            origin_of("https://auth.example.com/v1"),
            "https://auth.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
        let issuer = origin_of("https://auth.example.com/v1");
        let h = |v: &[&str]| {
            let mut m = HeaderMap::new();
            for x in v {
                m.append(http::header::ORIGIN, HeaderValue::from_str(x).unwrap());
            }
            m
        };
        assert!(origin_absent_or(&h(&[]), issuer), "the CLI sends none");
        assert!(origin_absent_or(&h(&["https://auth.example.com"]), issuer));
        assert!(origin_absent_or(&h(&["https://AUTH.example.com"]), issuer));
        for foreign in [
            &["null"][..],
            &["https://evil.example"],
            &["http://auth.example.com"],
            &["https://auth.example.com:8443"],
            &["https://auth.example.com", "https://auth.example.com"],
        ] {
            assert!(!origin_absent_or(&h(foreign), issuer), "{foreign:?}");
        }
    }

    #[test]
    fn origin_rule_needs_an_allowed_and_bound_origin() {
        let allowed = vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned(),
        ];
        let a = vec!["https://a.example".to_owned()];
        let gone = vec!["https://old.example".to_owned()];
        assert!(origin_permits(
            Some("https://a.example"),
            &allowed,
            Some(&a)
        ));
        assert!(origin_permits(
            Some("https://A.example"),
            &allowed,
            Some(&a)
        ));
        // Bound elsewhere, or bound to an origin no longer allowed.
        assert!(!origin_permits(
            Some("https://b.example"),
            &allowed,
            Some(&a)
        ));
        assert!(!origin_permits(
            Some("https://old.example"),
            &allowed,
            Some(&gone)
        ));
        // Unbound (legacy sessions): any allowed origin.
        assert!(origin_permits(Some("https://b.example"), &allowed, None));
        assert!(!origin_permits(
            Some("https://evil.example"),
            &allowed,
            None
        ));
        assert!(!origin_permits(None, &allowed, None));
        assert!(!origin_permits(Some("null"), &allowed, Some(&[])));
    }
}
