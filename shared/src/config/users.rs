//! The users' sign-in settings: `USER_LOCKOUT_THRESHOLD`, `USER_SIGNIN_IP_LIMIT`,
//! `USER_SIGNIN_WINDOW`, `USER_SESSION_TTL` (README "Configuration", "People"), and
//! the sign-up's (`signup.rs`).

use std::time::Duration;

use crate::error::Result;
use crate::records::lockout::{DEFAULT_THRESHOLD, THRESHOLD_RANGE};
use crate::records::rate::Limits;

use super::parse::{count, seconds};
use super::signup::{SignupConfig, signup_config};
use super::sso::{SsoSettings, sso_settings};

/// What the users function is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSettings {
    /// Failures per identifier or user before every attempt is locked out.
    pub lockout_threshold: u32,
    /// Failed sign-ins per source IP and window (`name` is unused: the lockout counts
    /// per identifier).
    pub signin_limits: Limits,
    /// Lifetime of a user session.
    pub session_ttl: Duration,
    /// Sign-up, e-mail and the runtime settings' cache.
    pub signup: SignupConfig,
    /// Single sign-on: the dev flag and the caches (`SSO_*`; `config/sso.rs`).
    pub sso: SsoSettings,
}

/// Reads the four variables.
pub(super) fn user_settings(var: &impl Fn(&str) -> Option<String>) -> Result<UserSettings> {
    let (min, max) = THRESHOLD_RANGE;
    Ok(UserSettings {
        lockout_threshold: count(var, "USER_LOCKOUT_THRESHOLD", DEFAULT_THRESHOLD, min, max)?,
        signin_limits: Limits {
            ip: count(var, "USER_SIGNIN_IP_LIMIT", 100, 1, 100_000)?,
            name: u32::MAX,
            window: seconds(var, "USER_SIGNIN_WINDOW", 900, 10, 86_400)?,
        },
        session_ttl: seconds(var, "USER_SESSION_TTL", 8 * 3600, 300, 30 * 86_400)?,
        signup: signup_config(var)?,
        sso: sso_settings(var)?,
    })
}

impl super::Config {
    /// `<USER_UI_URL>#<what>=<token>` (README "People": invites, e-mail links): the
    /// token in the fragment, which browsers never send to a server or its logs. 409
    /// `user_ui_not_configured` without `USER_UI_URL`.
    pub fn user_ui_link(&self, what: &str, token: &str) -> Result<secrecy::SecretString> {
        let ui = self
            .user_ui_url
            .as_ref()
            .ok_or_else(|| crate::error::Error::Conflict("user_ui_not_configured".into()))?;
        Ok([ui.as_str(), "#", what, "=", token].concat().into())
    }

    /// An invite's link, `<USER_UI_URL>#invite=<token>` (the admin API's invites and the
    /// grants by e-mail both send this one).
    pub fn invite_link(
        &self,
        token: &crate::credentials::users::InviteToken,
    ) -> Result<secrecy::SecretString> {
        self.user_ui_link("invite", token.expose())
    }

    /// Whether invites can be mailed: a sender (`EMAIL_FROM`) and a page for the link
    /// (`USER_UI_URL`).
    pub fn mails_invites(&self) -> bool {
        self.users.signup.email_from.is_some() && self.user_ui_url.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn read(vars: &[(&str, &str)]) -> Result<UserSettings> {
        user_settings(&super::super::parse::lookup(vars))
    }

    #[test]
    fn defaults_and_bounds() {
        let d = read(&[]).unwrap();
        assert_eq!(d.lockout_threshold, 5);
        assert_eq!(d.signin_limits.ip, 100);
        assert_eq!(d.signin_limits.window, Duration::from_secs(900));
        assert_eq!(d.session_ttl, Duration::from_secs(8 * 3600));
        assert!(read(&[("USER_LOCKOUT_THRESHOLD", "3")]).is_ok());
        assert!(read(&[("USER_LOCKOUT_THRESHOLD", "10000")]).is_ok());
        for (var, bad) in [
            ("USER_LOCKOUT_THRESHOLD", "2"),
            ("USER_LOCKOUT_THRESHOLD", "10001"),
            ("USER_SIGNIN_IP_LIMIT", "0"),
            ("USER_SIGNIN_WINDOW", "5"),
            ("USER_SESSION_TTL", "0"),
        ] {
            match read(&[(var, bad)]) {
                Err(Error::Config { var: v, .. }) => assert_eq!(v, var),
                other => panic!("{var}={bad}: {other:?}"),
            }
        }
    }
}
