//! OpenID Connect providers configured by an administrator at run time (README "Single
//! sign-on"): one item, `settings#idps`, a map by provider id, read whole and cached
//! like the runtime settings ([`IdpCache`]); the client secrets live apart, in the
//! `IDP_SECRETS` secret ([`secrets`]). Kind and roles of the people a provider signs
//! in come from here, never from the provider.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::users::UserKind;
use super::users::settings::Changed;
use crate::error::{Error, Result};
use crate::primitives::cache::TtlCache;

pub mod identity;
pub mod provision;
pub mod secrets;
pub mod sso;

/// Most providers a deployment holds (the item stays far below DynamoDB's 400 KB).
pub const MAX_PROVIDERS: usize = 20;

/// The lock around every change of the providers and their secrets (and of
/// `settings#login`, whose guard reads them).
pub(crate) const IDPS_LOCK: &str = "idps";

/// A provider id: `[a-z0-9][a-z0-9-]{0,31}` (it appears in URLs and record keys).
pub fn valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    (1..=32).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// How a provider's identities map to accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Provisioning {
    /// A new identity creates an account (SSO part 2).
    AutoCreate,
    /// A new identity links to an account with the same verified e-mail (SSO part 2).
    LinkVerifiedEmail,
    /// Only identities an administrator linked sign in (the default).
    #[default]
    ExistingOnly,
}

impl Provisioning {
    pub fn as_str(self) -> &'static str {
        match self {
            Provisioning::AutoCreate => "auto_create",
            Provisioning::LinkVerifiedEmail => "link_verified_email",
            Provisioning::ExistingOnly => "existing_only",
        }
    }
}

/// Which id_token claims name the person (never their kind or roles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimMap {
    /// Default `preferred_username`.
    pub username: String,
    /// Default `name`.
    pub display_name: String,
}

impl Default for ClaimMap {
    fn default() -> Self {
        ClaimMap {
            username: "preferred_username".into(),
            display_name: "name".into(),
        }
    }
}

/// A configured provider (its client secret is in `IDP_SECRETS`, only its last four
/// characters here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provider {
    pub id: String,
    pub display_name: String,
    /// Compared exactly with discovery's `issuer` and the id_token's `iss`.
    pub issuer: String,
    pub client_id: String,
    /// Always contains `openid`.
    pub scopes: Vec<String>,
    /// The id_token algorithms accepted, whatever a token's header says.
    pub allowed_algs: Vec<String>,
    pub claim_map: ClaimMap,
    /// Lower-cased domains; empty admits any (checked on the verified e-mail).
    pub allowed_email_domains: Vec<String>,
    pub provisioning: Provisioning,
    pub default_kind: UserKind,
    pub default_roles: Vec<String>,
    pub enabled: bool,
    /// The last four characters of the client secret, for recognising it.
    pub client_secret_last4: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

impl Provider {
    /// The scopes as the authorization request sends them.
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }

    /// Records who changed the provider, and when.
    pub fn stamp(&mut self, by: &str, now: i64) {
        self.updated_at = now;
        self.updated_by = by.to_owned();
    }
}

/// Every provider, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Providers(pub BTreeMap<String, Provider>);

impl Providers {
    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.0.get(id)
    }

    /// An enabled provider by id.
    pub fn enabled(&self, id: &str) -> Option<&Provider> {
        self.get(id).filter(|p| p.enabled)
    }

    pub fn enabled_count(&self) -> usize {
        self.0.values().filter(|p| p.enabled).count()
    }

    /// 404 unless the provider exists.
    pub fn require(&self, id: &str) -> Result<&Provider> {
        self.get(id).ok_or(Error::NotFound)
    }
}

/// The 409's message when a change would leave nobody a way to sign in.
pub use super::users::settings::NO_SIGN_IN_METHOD;

/// The sign-in methods guard (README "Single sign-on"): with password login off, at
/// least one provider must stay enabled; 409 `no_sign_in_method` otherwise.
pub fn check_sign_in_methods(password_login: bool, providers: &Providers) -> Result<()> {
    if password_login || providers.enabled_count() > 0 {
        Ok(())
    } else {
        Err(Error::Conflict(NO_SIGN_IN_METHOD.into()))
    }
}

/// The providers item in the table.
pub trait IdpStore: Send + Sync {
    /// `settings#idps` (a consistent read); empty when absent.
    fn get_idps(&self) -> impl Future<Output = Result<Providers>> + Send;
    /// Writes `settings#idps` whole.
    fn put_idps(
        &self,
        providers: &Providers,
        changed: &Changed<'_>,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The providers as a function reads them: at most `ttl` old (`SETTINGS_CACHE_TTL`); a
/// failed read is the error (503), never an empty list.
pub struct IdpCache {
    cache: TtlCache<(), Arc<Providers>>,
}

impl IdpCache {
    pub fn new(ttl: Duration) -> Self {
        IdpCache {
            cache: TtlCache::new(ttl),
        }
    }

    pub async fn current<S: IdpStore>(&self, store: &S) -> Result<Arc<Providers>> {
        self.cache
            .get_or_load(&(), || async {
                Ok::<_, Error>(Arc::new(store.get_idps().await?))
            })
            .await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn provider(id: &str, enabled: bool) -> Provider {
        Provider {
            id: id.into(),
            display_name: id.into(),
            issuer: "https://idp.example.com".into(),
            client_id: "gatehouse".into(),
            scopes: vec!["openid".into()],
            allowed_algs: vec!["RS256".into()],
            claim_map: ClaimMap::default(),
            allowed_email_domains: Vec::new(),
            provisioning: Provisioning::ExistingOnly,
            default_kind: UserKind::EndUser,
            default_roles: Vec::new(),
            enabled,
            client_secret_last4: "abcd".into(),
            created_at: 0,
            updated_at: 0,
            updated_by: "admin".into(),
        }
    }

    #[test]
    fn ids_are_short_lower_case_names() {
        for ok in ["a", "0", "okta", "entra-id", &"a".repeat(32)] {
            assert!(valid_id(ok), "{ok}");
        }
        for bad in ["", "-a", "A", "a_b", "a.b", "a/b", "ä", &"a".repeat(33)] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn the_guard_needs_passwords_or_an_enabled_provider() {
        let mut p = Providers::default();
        assert!(check_sign_in_methods(true, &p).is_ok());
        assert!(
            matches!(check_sign_in_methods(false, &p), Err(Error::Conflict(m)) if m == NO_SIGN_IN_METHOD)
        );
        p.0.insert("a".into(), provider("a", false));
        assert!(
            check_sign_in_methods(false, &p).is_err(),
            "a disabled provider signs nobody in"
        );
        p.0.insert("b".into(), provider("b", true));
        assert!(check_sign_in_methods(false, &p).is_ok());
        assert_eq!(p.enabled("a"), None);
        assert!(p.enabled("b").is_some());
    }
}
