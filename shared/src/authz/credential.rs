//! Which credential a request carries.

use super::deny::DenyReason;

/// The credential found on a request, before verification.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    ApiKey(&'a str),
    Bearer(&'a str),
    SessionCookie(&'a str),
}

/// Name of the widget session cookie (DESIGN.md section 3).
pub const SESSION_COOKIE: &str = "__Host-gh_session";

/// Picks the one credential of a request. Explicit headers win over the ambient
/// session cookie; an `x-api-key` together with an `Authorization` header is ambiguous.
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
        (None, None) => {
            let mut found = cookies
                .iter()
                .flat_map(|c| c.split(';'))
                .filter_map(|c| c.trim().split_once('='))
                .filter(|(name, _)| *name == SESSION_COOKIE);
            match (found.next(), found.next()) {
                (Some((_, v)), None) => Ok(Credential::SessionCookie(v)),
                (Some(_), Some(_)) => Err(DenyReason::AmbiguousCredentials),
                (None, _) => Err(DenyReason::NoCredential),
            }
        }
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
