//! Cookie and Authorization headers: the authorizer's credential classification
//! (the widget session cookie, the user cookie, both, the bearer scheme, ambiguity)
//! and the cookie jar's lookup (the admin session cookie).
//! Input: `authorization \0 cookie \0 cookie ...` (an empty authorization is absent).
#![no_main]

use gatehouse::authz::{Credential, SESSION_COOKIE, USER_COOKIE, classify};
use gatehouse::primitives::headers::cookie;
use http::header::{COOKIE, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut it = data.split(|b| *b == gatehouse_fuzz::SEP);
    let auth = it
        .next()
        .filter(|a| !a.is_empty())
        .map(String::from_utf8_lossy);
    let mut headers = HeaderMap::new();
    let mut cookies = Vec::new();
    for c in it {
        if let Ok(v) = HeaderValue::from_bytes(c) {
            if let Ok(s) = v.to_str() {
                cookies.push(s.to_owned());
            }
            headers.append(COOKIE, v);
        }
    }
    // How often a cookie of this name is sent.
    let sent = |name: &str| {
        cookies
            .iter()
            .flat_map(|c| c.split(';'))
            .filter(|c| c.trim().split_once('=').is_some_and(|(n, _)| n == name))
            .count()
    };
    match classify(None, auth.as_deref(), &cookies) {
        Ok(Credential::Bearer(t)) => {
            assert!(auth.is_some());
            assert!(!t.is_empty() && !t.contains(' '));
        }
        Ok(Credential::SessionCookie(v)) => {
            assert!(auth.is_none());
            assert!(!v.contains(';'));
            assert_eq!(sent(SESSION_COOKIE), 1, "one session cookie exactly");
            assert_eq!(sent(USER_COOKIE), 0, "and no user cookie");
        }
        Ok(Credential::UserCookie(v)) => {
            assert!(auth.is_none());
            assert!(!v.contains(';'));
            assert_eq!(sent(USER_COOKIE), 1, "one user cookie exactly");
            assert_eq!(sent(SESSION_COOKIE), 0, "and no session cookie");
        }
        Ok(Credential::BothCookies { widget, user }) => {
            assert!(auth.is_none());
            assert!(!widget.contains(';') && !user.contains(';'));
            assert_eq!((sent(SESSION_COOKIE), sent(USER_COOKIE)), (1, 1));
        }
        Ok(Credential::ApiKey(_)) => panic!("no api key was given"),
        Err(_) => {}
    }
    if let Ok(Some(v)) = cookie(&headers, "__Host-gh_admin") {
        assert!(!v.contains(';'));
    }
});
