//! `IDP_SECRETS`: the providers' client secrets, a JSON object by provider id, in their
//! own Secrets Manager secret (README "Single sign-on"). The admin function reads and
//! writes it under the `idps` lock; the users function only reads it, through a cache
//! of at most [`SECRET_TTL`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::credentials::secrets::{SecretCache, SecretSource};
use crate::error::{Error, Result};

/// How long the users function keeps the secrets in memory.
pub const SECRET_TTL: Duration = Duration::from_secs(60);

/// Shortest and longest client secret accepted (providers issue 32 to 64 characters;
/// the answers show four).
pub const MIN_SECRET: usize = 16;
pub const MAX_SECRET: usize = 1024;

/// The client secrets by provider id.
#[derive(Clone, Default)]
pub struct IdpSecrets(BTreeMap<String, SecretString>);

impl std::fmt::Debug for IdpSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl IdpSecrets {
    /// Parses the secret's value: a JSON object of strings.
    pub fn parse(value: &SecretString) -> Result<IdpSecrets> {
        let map: BTreeMap<String, String> = serde_json::from_str(value.expose_secret())
            .map_err(|_| Error::Internal("IDP_SECRETS is not a JSON object of strings".into()))?;
        Ok(IdpSecrets(
            map.into_iter()
                .map(|(k, v)| (k, SecretString::from(v)))
                .collect(),
        ))
    }

    /// The value to store.
    pub fn to_json(&self) -> SecretString {
        let map: BTreeMap<&str, &str> = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose_secret()))
            .collect();
        SecretString::from(serde_json::to_string(&map).unwrap_or_default())
    }

    pub fn get(&self, id: &str) -> Option<&SecretString> {
        self.0.get(id)
    }

    pub fn set(&mut self, id: &str, secret: SecretString) {
        self.0.insert(id.to_owned(), secret);
    }

    pub fn remove(&mut self, id: &str) {
        self.0.remove(id);
    }
}

/// A client secret as an administrator sends it: 16 to 1024 printable ASCII characters
/// without spaces (400 otherwise; the message never repeats it).
pub fn check_client_secret(raw: &SecretString) -> Result<()> {
    let s = raw.expose_secret();
    if (MIN_SECRET..=MAX_SECRET).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(Error::bad_request(format!(
            "client_secret: {MIN_SECRET} to {MAX_SECRET} printable ASCII characters without spaces"
        )))
    }
}

/// The last four characters of a checked secret (all ASCII).
pub fn last4(secret: &SecretString) -> String {
    let s = secret.expose_secret();
    s[s.len().saturating_sub(4)..].to_owned()
}

fn parse_cached(value: SecretString) -> Result<Arc<IdpSecrets>> {
    IdpSecrets::parse(&value).map(Arc::new)
}

/// The users function's cache of `IDP_SECRETS` (at most [`SECRET_TTL`] old).
pub fn secret_cache<S: SecretSource>(source: S) -> SecretCache<S, Arc<IdpSecrets>> {
    SecretCache::parsed(source, SECRET_TTL, parse_cached)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_round_trips_and_debug_shows_ids_only() {
        let mut s = IdpSecrets::parse(&SecretString::from("{}")).unwrap();
        s.set("okta", SecretString::from("s3cret-s3cret-s3cret"));
        let again = IdpSecrets::parse(&s.to_json()).unwrap();
        assert_eq!(
            again.get("okta").unwrap().expose_secret(),
            "s3cret-s3cret-s3cret"
        );
        assert_eq!(format!("{again:?}"), r#"{"okta"}"#);
        s.remove("okta");
        assert!(s.get("okta").is_none());
        for bad in ["[]", "{\"a\": 1}", "nope"] {
            assert!(
                IdpSecrets::parse(&SecretString::from(bad)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn secrets_are_checked_and_shown_by_their_last_four() {
        let ok = SecretString::from("0123456789abcdefWXYZ");
        assert!(check_client_secret(&ok).is_ok());
        assert_eq!(last4(&ok), "WXYZ");
        for bad in [
            "short",
            "has a space in it here",
            "tab\there-0123456789",
            &"x".repeat(1025),
        ] {
            let e = check_client_secret(&SecretString::from(bad)).unwrap_err();
            assert!(!e.to_string().contains(bad), "the message never repeats it");
        }
    }
}
