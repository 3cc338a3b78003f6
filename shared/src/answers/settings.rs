//! The runtime settings' answers (README "Admin API", settings): each group as it is in
//! force, and whether an administrator stored it or it is the deployment's default.

use std::time::Duration;

use serde::Serialize;

use crate::credentials::users::settings::{
    LoginSettings, SignupMode, SignupSettings, StoredSettings,
};

/// Where a settings group in force comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Its item is in the table (an administrator wrote it).
    Stored,
    /// No item: the template's parameters (`SIGNUP_MODE`) and the built-in defaults.
    Default,
}

impl Source {
    fn of<T>(item: &Option<T>) -> Source {
        if item.is_some() {
            Source::Stored
        } else {
            Source::Default
        }
    }
}

/// `POST /admin/settings/signup`, and `signup` of `GET /admin/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupInForce {
    #[serde(flatten)]
    pub settings: SignupSettings,
    pub source: Source,
}

/// `POST /admin/settings/login`, and `login` of `GET /admin/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginInForce {
    #[serde(flatten)]
    pub settings: LoginSettings,
    pub source: Source,
}

/// `GET /admin/settings`: the settings in force (read from the table, never from a
/// cache) and what they depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsInForce {
    pub signup: SignupInForce,
    pub login: LoginInForce,
    /// Whether `EMAIL_FROM` is set (verification can only be on when it is).
    pub email_configured: bool,
    /// How long a function may keep using settings it read (`SETTINGS_CACHE_TTL`): a
    /// change is in force everywhere within this.
    pub settings_cache_ttl_seconds: u64,
}

impl SignupInForce {
    /// Settings just written.
    pub fn stored(settings: SignupSettings) -> Self {
        SignupInForce {
            settings,
            source: Source::Stored,
        }
    }
}

impl LoginInForce {
    /// Settings just written.
    pub fn stored(settings: LoginSettings) -> Self {
        LoginInForce {
            settings,
            source: Source::Stored,
        }
    }
}

impl SettingsInForce {
    /// The stored items, each absent one replaced by its default (`mode`: `SIGNUP_MODE`).
    pub fn new(
        stored: &StoredSettings,
        mode: SignupMode,
        email_configured: bool,
        ttl: Duration,
    ) -> Self {
        let effective = stored.effective(mode);
        SettingsInForce {
            signup: SignupInForce {
                settings: effective.signup,
                source: Source::of(&stored.signup),
            },
            login: LoginInForce {
                settings: effective.login,
                source: Source::of(&stored.login),
            },
            email_configured,
            settings_cache_ttl_seconds: ttl.as_secs(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_group_says_where_it_comes_from() {
        let stored = StoredSettings {
            signup: None,
            login: Some(LoginSettings::DEFAULT),
        };
        let a = SettingsInForce::new(&stored, SignupMode::Closed, false, Duration::from_secs(7));
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            json!({
                "signup": {"mode": "closed", "allowed_domains": [],
                    "require_email_verification": true, "default_kind": "creator",
                    "default_roles": [], "source": "default"},
                "login": {"password_login": true, "source": "stored"},
                "email_configured": false,
                "settings_cache_ttl_seconds": 7,
            })
        );
    }
}
