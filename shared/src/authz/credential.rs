//! Which credential a request carries.

use super::deny::DenyReason;
use crate::primitives::headers::single_cookie;

/// The credential found on a request, before verification.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    ApiKey(&'a str),
    Bearer(&'a str),
    SessionCookie(&'a str),
}

/// Name of the widget session cookie (README, "Embedding widgets: three modes").
pub const SESSION_COOKIE: &str = "__Host-gh_session";

/// Name of the user session cookie (README, "People").
pub const USER_COOKIE: &str = "__Host-gh_user";

/// Picks the one credential of a request. Explicit headers win over the ambient
/// session cookie; an `x-api-key` together with an `Authorization` header is ambiguous,
/// and so is the session cookie sent twice. `cookies` are `Cookie` header values or the
/// payload-2.0 `cookies` list.
pub fn classify<'a>(
    api_key: Option<&'a str>,
    authorization: Option<&'a str>,
    cookies: &'a [String],
) -> Result<Credential<'a>, DenyReason> {
    match (api_key, authorization) {
        (Some(_), Some(_)) => Err(DenyReason::AmbiguousCredentials),
        (Some(k), None) => Ok(Credential::ApiKey(k)),
        (None, Some(a)) => {
            let (scheme, token) = a.split_once(' ').ok_or(DenyReason::MalformedCredential)?;
            if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' ') {
                Ok(Credential::Bearer(token))
            } else {
                Err(DenyReason::MalformedCredential)
            }
        }
        (None, None) => match single_cookie(cookies.iter().map(String::as_str), SESSION_COOKIE) {
            Ok(Some(v)) => Ok(Credential::SessionCookie(v)),
            Ok(None) => Err(DenyReason::NoCredential),
            Err(_) => Err(DenyReason::AmbiguousCredentials),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_picks_one_credential() {
        let none: Vec<String> = vec![];
        let cookie = vec![format!("a=1; {SESSION_COOKIE}=abc")];
        assert_eq!(
            classify(Some("k"), None, &cookie),
            Ok(Credential::ApiKey("k"))
        );
        assert_eq!(
            classify(None, Some("Bearer t"), &cookie),
            Ok(Credential::Bearer("t"))
        );
        assert_eq!(
            classify(None, Some("bearer t"), &none),
            Ok(Credential::Bearer("t"))
        );
        assert_eq!(
            classify(None, None, &cookie),
            Ok(Credential::SessionCookie("abc"))
        );
        assert_eq!(classify(None, None, &none), Err(DenyReason::NoCredential));
        assert_eq!(
            classify(Some("k"), Some("Bearer t"), &none),
            Err(DenyReason::AmbiguousCredentials)
        );
        for bad in ["Basic abc", "Bearer", "Bearer ", "Bearer a b", "t"] {
            assert_eq!(
                classify(None, Some(bad), &none),
                Err(DenyReason::MalformedCredential),
                "{bad}"
            );
        }
        let two = vec![format!("{SESSION_COOKIE}=a"), format!("{SESSION_COOKIE}=b")];
        assert_eq!(
            classify(None, None, &two),
            Err(DenyReason::AmbiguousCredentials)
        );
    }
}
