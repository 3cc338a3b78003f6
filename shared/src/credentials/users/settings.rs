//! Runtime settings (README "People", sign-up): who may sign up and whether passwords
//! sign in, changed by an administrator without a redeploy. Each is one item,
//! `settings#signup` and `settings#login`; an absent item falls back to the template's
//! parameters (`SIGNUP_MODE`). Functions read them through [`SettingsCache`], at most
//! `SETTINGS_CACHE_TTL` old; a failed read fails closed (503), never to a default.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::names::{Email, UserKind};
use crate::error::{Error, Result};
use crate::primitives::cache::TtlCache;

/// Who may sign up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignupMode {
    /// Anyone (the default).
    Open,
    /// Addresses in `allowed_domains` only.
    Domain,
    /// Nobody: administrators add people by invite.
    Closed,
}

impl SignupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SignupMode::Open => "open",
            SignupMode::Domain => "domain",
            SignupMode::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<SignupMode> {
        [SignupMode::Open, SignupMode::Domain, SignupMode::Closed]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// Most domains a `domain` sign-up admits.
pub const MAX_DOMAINS: usize = 100;

/// `settings#signup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupSettings {
    pub mode: SignupMode,
    /// Lower-cased domains (`example.com`); an address matches its exact domain.
    pub allowed_domains: Vec<String>,
    /// New accounts are `pending_verification` until their e-mail link is followed.
    pub require_email_verification: bool,
    pub default_kind: UserKind,
    pub default_roles: Vec<String>,
}

impl SignupSettings {
    /// The settings of a deployment nobody changed: `mode` from `SIGNUP_MODE`,
    /// verification on, new people are creators without roles.
    pub fn defaults(mode: SignupMode) -> Self {
        SignupSettings {
            mode,
            allowed_domains: Vec::new(),
            require_email_verification: true,
            default_kind: UserKind::Creator,
            default_roles: Vec::new(),
        }
    }

    /// Whether an address may sign up under these settings: 403 `signup_disabled` when
    /// closed, 403 `domain_not_allowed` outside the list (on the lower-cased address).
    pub fn admits(&self, email: &Email) -> Result<()> {
        match self.mode {
            SignupMode::Open => Ok(()),
            SignupMode::Closed => Err(Error::Forbidden("signup_disabled")),
            SignupMode::Domain => {
                if self.allowed_domains.iter().any(|d| d == email.domain()) {
                    Ok(())
                } else {
                    Err(Error::Forbidden("domain_not_allowed"))
                }
            }
        }
    }

    /// Whether sign-up can work under these settings: with verification on it must send
    /// a link, so without a sender (`EMAIL_FROM`) it is 409 `email_not_configured`, both
    /// when an administrator stores such settings and when someone signs up under them.
    pub fn require_sender(&self, email_from: Option<&Email>) -> Result<()> {
        if self.require_email_verification && email_from.is_none() {
            Err(Error::Conflict(EMAIL_NOT_CONFIGURED.into()))
        } else {
            Ok(())
        }
    }
}

/// The 409's message when verification is on without `EMAIL_FROM`.
pub const EMAIL_NOT_CONFIGURED: &str = "email_not_configured";

/// The 409's message when a change would leave nobody a way to sign in: password
/// login off and no identity provider enabled (`crate::credentials::idps`).
pub const NO_SIGN_IN_METHOD: &str = "no_sign_in_method";

/// A domain as `allowed_domains` holds it: lower case, dotted labels of `a-z`, `0-9`
/// and `-` (IDNs in their `xn--` form), at most 253 characters.
pub fn parse_domain(raw: &str) -> Result<String> {
    let d = raw.trim().to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if d.len() <= 253 && d.contains('.') && d.split('.').all(label_ok) {
        Ok(d)
    } else {
        Err(Error::bad_request(
            "allowed_domains: each must be a domain like example.com",
        ))
    }
}

/// `settings#login`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginSettings {
    /// `false`: password sign-in, invite acceptance and password changes answer 403
    /// `password_login_disabled`; sessions already open stay open.
    pub password_login: bool,
}

impl LoginSettings {
    pub const DEFAULT: LoginSettings = LoginSettings {
        password_login: true,
    };

    /// 403 `password_login_disabled` unless passwords sign in.
    pub fn require_password_login(&self) -> Result<()> {
        if self.password_login {
            Ok(())
        } else {
            Err(Error::Forbidden("password_login_disabled"))
        }
    }
}

/// The settings items as stored: `None` where an item is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredSettings {
    pub signup: Option<SignupSettings>,
    pub login: Option<LoginSettings>,
}

/// The settings in force: the stored ones, else the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub signup: SignupSettings,
    pub login: LoginSettings,
}

impl StoredSettings {
    /// What is in force: each absent item replaced by its default.
    pub fn effective(&self, mode: SignupMode) -> Settings {
        Settings {
            signup: self
                .signup
                .clone()
                .unwrap_or_else(|| SignupSettings::defaults(mode)),
            login: self.login.unwrap_or(LoginSettings::DEFAULT),
        }
    }
}

/// Who changed a setting, and when (kept on the item, for the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed<'a> {
    pub by: &'a str,
    pub at: i64,
}

/// The settings items in the table.
pub trait SettingsStore: Send + Sync {
    /// Both items (consistent reads).
    fn get_settings(&self) -> impl Future<Output = Result<StoredSettings>> + Send;
    /// Writes `settings#signup` whole.
    fn put_signup_settings(
        &self,
        settings: &SignupSettings,
        changed: &Changed<'_>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Writes `settings#login` whole.
    fn put_login_settings(
        &self,
        settings: &LoginSettings,
        changed: &Changed<'_>,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The settings as a function reads them: at most `ttl` old (0: every request reads
/// the table), falling back to `mode` for an absent sign-up item.
pub struct SettingsCache {
    mode: SignupMode,
    cache: TtlCache<(), Settings>,
}

impl SettingsCache {
    pub fn new(ttl: Duration, mode: SignupMode) -> Self {
        SettingsCache {
            mode,
            cache: TtlCache::new(ttl),
        }
    }

    /// The settings in force. A failed read is the error (503), never the defaults.
    pub async fn current<S: SettingsStore>(&self, store: &S) -> Result<Settings> {
        self.cache
            .get_or_load(&(), || async {
                Ok::<_, Error>(store.get_settings().await?.effective(self.mode))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_admit_by_the_lower_cased_domain() {
        let ann = Email::parse("Ann@Example.COM").unwrap();
        let mut s = SignupSettings::defaults(SignupMode::Open);
        assert!(s.admits(&ann).is_ok());
        s.mode = SignupMode::Closed;
        assert!(matches!(
            s.admits(&ann),
            Err(Error::Forbidden("signup_disabled"))
        ));
        s.mode = SignupMode::Domain;
        s.allowed_domains = vec!["example.com".into()];
        assert!(s.admits(&ann).is_ok());
        for other in [
            "ann@sub.example.com",
            "ann@example.com.evil",
            "ann@other.org",
        ] {
            assert!(
                matches!(
                    s.admits(&Email::parse(other).unwrap()),
                    Err(Error::Forbidden("domain_not_allowed"))
                ),
                "{other}"
            );
        }
    }

    #[test]
    fn domains_are_checked_and_lower_cased() {
        assert_eq!(parse_domain(" Example.COM ").unwrap(), "example.com");
        assert_eq!(
            parse_domain("xn--bcher-kva.de").unwrap(),
            "xn--bcher-kva.de"
        );
        for bad in [
            "", "com", "-a.com", "a-.com", "a..com", "a.com.", "a b.com", "ä.com",
        ] {
            assert!(parse_domain(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn verification_needs_a_sender() {
        let mut s = SignupSettings::defaults(SignupMode::Open);
        let from = Email::parse("noreply@example.com").unwrap();
        assert!(s.require_sender(Some(&from)).is_ok());
        match s.require_sender(None) {
            Err(Error::Conflict(m)) => assert_eq!(m, EMAIL_NOT_CONFIGURED),
            other => panic!("{other:?}"),
        }
        s.require_email_verification = false;
        assert!(s.require_sender(None).is_ok());
    }

    #[test]
    fn absent_items_fall_back_to_the_defaults() {
        let s = StoredSettings::default().effective(SignupMode::Closed);
        assert_eq!(s.signup, SignupSettings::defaults(SignupMode::Closed));
        assert!(s.signup.require_email_verification);
        assert_eq!(s.login, LoginSettings::DEFAULT);
        assert!(
            LoginSettings {
                password_login: false
            }
            .require_password_login()
            .is_err()
        );
    }
}
