//! The single sign-on queries: `GET /sso/start?idp=&return_to=` and the provider's
//! redirect to `GET /sso/callback?state=&code=&iss=` (or `error=`). A known parameter
//! sent twice is refused; others are ignored (providers add their own, such as
//! `session_state`); the provider's `error` text is never kept, only its presence.

use crate::credentials::idps::valid_id;
use crate::credentials::oidc::flow::{SsoError, return_path};

/// The longest `state` or `code` accepted.
pub const MAX_PARAM: usize = 512;

/// The longest `iss` accepted (the outbound rule's URL cap).
const MAX_ISS: usize = 2048;

/// `GET /sso/start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartQuery {
    /// The provider id (`[a-z0-9][a-z0-9-]{0,31}`).
    pub idp: String,
    /// A relative path on the UI's site (`/` by default).
    pub return_to: String,
}

/// `GET /sso/callback`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackQuery {
    pub state: String,
    /// Absent when the provider answered with an error.
    pub code: Option<String>,
    /// RFC 9207's `iss`, when sent.
    pub iss: Option<String>,
    /// The provider sent `error` (its value is dropped).
    pub error: bool,
}

/// `POST /users/sso/redeem` body: the one-time code the callback put in the fragment.
#[derive(Debug, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SsoRedeem {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: secrecy::SecretString,
}

/// Whether `id` is a provider id (one rule: [`valid_id`]).
pub fn is_provider_id(id: &str) -> bool {
    valid_id(id)
}

/// The single value of each of `names` (`None` when absent); a name given twice is
/// refused.
fn pick<'a, const N: usize>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    names: [&str; N],
) -> Result<[Option<&'a str>; N], SsoError> {
    let mut found = [None; N];
    for (k, v) in pairs {
        if let Some(i) = names.iter().position(|n| *n == k)
            && found[i].replace(v).is_some()
        {
            return Err(SsoError::InvalidRequest);
        }
    }
    Ok(found)
}

/// A non-empty value of at most `max` visible ASCII characters.
fn token(v: &str, max: usize) -> Result<String, SsoError> {
    if v.is_empty() || v.len() > max || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SsoError::InvalidRequest);
    }
    Ok(v.to_owned())
}

impl StartQuery {
    /// `idp` required; `return_to` through [`return_path`].
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<StartQuery, SsoError> {
        let [idp, return_to] = pick(pairs, ["idp", "return_to"])?;
        let idp = idp.ok_or(SsoError::InvalidRequest)?;
        if !is_provider_id(idp) {
            return Err(SsoError::InvalidRequest);
        }
        Ok(StartQuery {
            idp: idp.to_owned(),
            return_to: return_path(return_to)?,
        })
    }
}

impl CallbackQuery {
    /// `state` required; `code` required unless `error` is present.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<CallbackQuery, SsoError> {
        let [state, code, iss, error] = pick(pairs, ["state", "code", "iss", "error"])?;
        let state = token(state.ok_or(SsoError::InvalidRequest)?, MAX_PARAM)?;
        let error = error.is_some();
        let code = match code {
            Some(c) => Some(token(c, MAX_PARAM)?),
            None if error => None,
            None => return Err(SsoError::InvalidRequest),
        };
        let iss = iss.map(|i| token(i, MAX_ISS)).transpose()?;
        Ok(CallbackQuery {
            state,
            code,
            iss,
            error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_queries() {
        let q = StartQuery::parse([("idp", "corp-1"), ("x", "y")]).unwrap();
        assert_eq!((q.idp.as_str(), q.return_to.as_str()), ("corp-1", "/"));
        let q = StartQuery::parse([("return_to", "/app?x=1"), ("idp", "0a")]).unwrap();
        assert_eq!(q.return_to, "/app?x=1");
        assert!(StartQuery::parse([("idp", &*"a".repeat(32))]).is_ok());
        for bad in [
            vec![],
            vec![("idp", "")],
            vec![("idp", "-a")],
            vec![("idp", "Corp")],
            vec![("idp", "a_b")],
            vec![("idp", &*"a".repeat(33))],
            vec![("idp", "a"), ("idp", "b")],
            vec![("idp", "a"), ("return_to", "//evil.com")],
            vec![("idp", "a"), ("return_to", "/"), ("return_to", "/x")],
        ] {
            assert_eq!(
                StartQuery::parse(bad.clone()),
                Err(SsoError::InvalidRequest),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn callback_queries() {
        let q = CallbackQuery::parse([
            ("state", "s"),
            ("code", "c"),
            ("iss", "https://idp.example.com"),
            ("session_state", "z"),
        ])
        .unwrap();
        assert_eq!(q.code.as_deref(), Some("c"));
        assert_eq!(q.iss.as_deref(), Some("https://idp.example.com"));
        assert!(!q.error);
        let e = CallbackQuery::parse([("state", "s"), ("error", "<script>")]).unwrap();
        assert!(e.error && e.code.is_none());
        let long = "a".repeat(MAX_PARAM + 1);
        let cap = "a".repeat(MAX_PARAM);
        assert!(CallbackQuery::parse([("state", &*cap), ("code", &*cap)]).is_ok());
        for bad in [
            vec![("code", "c")],
            vec![("state", "s")],
            vec![("state", ""), ("code", "c")],
            vec![("state", "s"), ("code", "")],
            vec![("state", &*long), ("code", "c")],
            vec![("state", "s"), ("code", &*long)],
            vec![("state", "s"), ("code", "a b")],
            vec![("state", "s"), ("code", "c"), ("code", "d")],
            vec![("state", "s"), ("state", "s"), ("code", "c")],
            vec![("state", "s"), ("code", "c"), ("iss", "a"), ("iss", "b")],
            vec![("state", "s"), ("error", "x"), ("error", "y")],
        ] {
            assert_eq!(
                CallbackQuery::parse(bad.clone()),
                Err(SsoError::InvalidRequest),
                "{bad:?}"
            );
        }
    }
}
