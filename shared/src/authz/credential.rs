//! Which credential a request carries.

use super::deny::DenyReason;
use super::principal::PrincipalType;
use super::routes::Principals;
use crate::primitives::headers::single_cookie;

/// The credential found on a request, before verification.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    ApiKey(&'a str),
    Bearer(&'a str),
    /// The widget session cookie ([`SESSION_COOKIE`]).
    SessionCookie(&'a str),
    /// The user session cookie ([`USER_COOKIE`]).
    UserCookie(&'a str),
    /// Both cookies: the route's rule picks one ([`Credential::for_rule`]).
    BothCookies {
        widget: &'a str,
        user: &'a str,
    },
}

impl<'a> Credential<'a> {
    /// The credential that counts on a route whose deciding rule admits `principals`
    /// (`None`: no rule decides). Only [`Credential::BothCookies`] depends on it: the
    /// widget cookie where the rule admits `widget_session`, else the user cookie where
    /// it admits a kind of user; anywhere else the two are ambiguous.
    pub(crate) fn for_rule(
        self,
        principals: Option<&Principals>,
    ) -> Result<Credential<'a>, DenyReason> {
        let Credential::BothCookies { widget, user } = self else {
            return Ok(self);
        };
        let admits = |t: PrincipalType| principals.is_some_and(|p| p.admits(t));
        if admits(PrincipalType::WidgetSession) {
            Ok(Credential::SessionCookie(widget))
        } else if PrincipalType::USERS.into_iter().any(admits) {
            Ok(Credential::UserCookie(user))
        } else {
            Err(DenyReason::AmbiguousCredentials)
        }
    }
}

/// Name of the widget session cookie (README, "Embedding widgets: three modes").
pub const SESSION_COOKIE: &str = "__Host-gh_session";

/// Name of the user session cookie (README, "People").
pub const USER_COOKIE: &str = "__Host-gh_user";

/// Picks the one credential of a request. Explicit headers win over the ambient
/// session cookies; an `x-api-key` together with an `Authorization` header is
/// ambiguous, and so is either cookie sent twice. Both cookies together are
/// [`Credential::BothCookies`], for the route's rule to settle. `cookies` are `Cookie`
/// header values or the payload-2.0 `cookies` list.
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
        (None, None) => cookie_credential(cookies),
    }
}

/// The session cookies of a request without a credential header.
fn cookie_credential(cookies: &[String]) -> Result<Credential<'_>, DenyReason> {
    let one = |name: &str| {
        single_cookie(cookies.iter().map(String::as_str), name)
            .map_err(|_| DenyReason::AmbiguousCredentials)
    };
    match (one(SESSION_COOKIE)?, one(USER_COOKIE)?) {
        (Some(widget), Some(user)) => Ok(Credential::BothCookies { widget, user }),
        (Some(widget), None) => Ok(Credential::SessionCookie(widget)),
        (None, Some(user)) => Ok(Credential::UserCookie(user)),
        (None, None) => Err(DenyReason::NoCredential),
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

    /// The user cookie is a credential of its own; both cookies are left to the route,
    /// either one twice is ambiguous, and headers still win over them.
    #[test]
    fn classify_reads_the_user_cookie_and_both_cookies() {
        let user = vec![format!("a=1; {USER_COOKIE}=u")];
        assert_eq!(classify(None, None, &user), Ok(Credential::UserCookie("u")));
        let both = vec![format!("{SESSION_COOKIE}=w"), format!("{USER_COOKIE}=u")];
        assert_eq!(
            classify(None, None, &both),
            Ok(Credential::BothCookies {
                widget: "w",
                user: "u"
            })
        );
        let in_one_header = vec![format!("{USER_COOKIE}=u; {SESSION_COOKIE}=w")];
        assert_eq!(
            classify(None, None, &in_one_header),
            Ok(Credential::BothCookies {
                widget: "w",
                user: "u"
            })
        );
        assert_eq!(
            classify(Some("k"), None, &both),
            Ok(Credential::ApiKey("k"))
        );
        assert_eq!(
            classify(None, Some("Bearer t"), &both),
            Ok(Credential::Bearer("t"))
        );
        for twice in [
            vec![format!("{USER_COOKIE}=a"), format!("{USER_COOKIE}=b")],
            vec![format!("{USER_COOKIE}=a; {USER_COOKIE}=a")],
            vec![
                format!("{USER_COOKIE}=a"),
                format!("{USER_COOKIE}=b"),
                format!("{SESSION_COOKIE}=w"),
            ],
            vec![
                format!("{USER_COOKIE}=u"),
                format!("{SESSION_COOKIE}=a; {SESSION_COOKIE}=b"),
            ],
        ] {
            assert_eq!(
                classify(None, None, &twice),
                Err(DenyReason::AmbiguousCredentials),
                "{twice:?}"
            );
        }
    }

    /// Both cookies: a rule for widget sessions takes the widget cookie, a rule for
    /// users only the user cookie, any other rule (or none) is ambiguous.
    #[test]
    fn the_deciding_rule_picks_one_of_both_cookies() {
        use std::collections::BTreeSet;
        let both = || Credential::BothCookies {
            widget: "w",
            user: "u",
        };
        let list = |t: &[PrincipalType]| Principals::List(t.iter().copied().collect());
        let any = Principals::Any(crate::authz::AnyMarker::Any);
        let widget = Ok(Credential::SessionCookie("w"));
        let user = Ok(Credential::UserCookie("u"));
        let ambiguous = Err(DenyReason::AmbiguousCredentials);
        let cases = [
            (Some(any), &widget),
            (Some(list(&[PrincipalType::WidgetSession])), &widget),
            (
                Some(list(&[
                    PrincipalType::Creator,
                    PrincipalType::WidgetSession,
                ])),
                &widget,
            ),
            (Some(list(&PrincipalType::USERS)), &user),
            (Some(list(&[PrincipalType::EndUser])), &user),
            (
                Some(list(&[PrincipalType::ApiKey, PrincipalType::Creator])),
                &user,
            ),
            (Some(list(&[PrincipalType::ApiKey])), &ambiguous),
            (Some(Principals::List(BTreeSet::new())), &ambiguous),
            (None, &ambiguous),
        ];
        for (principals, expected) in cases {
            assert_eq!(
                &both().for_rule(principals.as_ref()),
                expected,
                "{principals:?}"
            );
        }
        // Any other credential stands, whatever the rule.
        assert_eq!(
            Credential::UserCookie("u").for_rule(None),
            Ok(Credential::UserCookie("u"))
        );
        assert_eq!(
            Credential::ApiKey("k").for_rule(Some(&list(&[PrincipalType::Creator]))),
            Ok(Credential::ApiKey("k"))
        );
    }
}
