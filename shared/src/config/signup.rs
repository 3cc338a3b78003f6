//! Sign-up and e-mail settings (README "Configuration", "People"): `EMAIL_FROM`,
//! `SIGNUP_MODE` (the fallback when no administrator changed the sign-up settings),
//! `SETTINGS_CACHE_TTL`, and the sign-up and e-mail limits `SIGNUP_IP_LIMIT`,
//! `SIGNUP_EMAIL_LIMIT`, the password reset limits `FORGOT_IP_LIMIT`, `FORGOT_EMAIL_LIMIT`,
//! and `EMAIL_RECIPIENT_LIMIT`, `EMAIL_IP_LIMIT`, all per `SIGNUP_WINDOW`.

use std::time::Duration;

use crate::credentials::users::Email;
use crate::credentials::users::settings::SignupMode;
use crate::error::{Error, Result};

use super::parse::{count, seconds};

/// Requests counted per fixed window (every request, not only failures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignupLimits {
    /// Sign-ups per source IP.
    pub signups_per_ip: u32,
    /// Sign-ups per (lower-cased) e-mail address.
    pub signups_per_email: u32,
    /// Password reset requests per source IP.
    pub forgot_per_ip: u32,
    /// Password reset requests per (lower-cased) e-mail address.
    pub forgot_per_email: u32,
    /// Requests that may send to one address, whether or not a message is sent.
    pub sends_per_recipient: u32,
    /// Requests that may send, per source IP.
    pub sends_per_ip: u32,
    pub window: Duration,
}

/// What the sign-up reads from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupConfig {
    /// The sender (a verified SES identity); `None`: no e-mail is ever sent.
    pub email_from: Option<Email>,
    /// The sign-up mode while `settings#signup` is absent.
    pub mode: SignupMode,
    /// How old the runtime settings a function uses may be (0 to 60 s).
    pub settings_cache_ttl: Duration,
    pub limits: SignupLimits,
}

/// Reads the variables.
pub(super) fn signup_config(var: &impl Fn(&str) -> Option<String>) -> Result<SignupConfig> {
    let email_from = var("EMAIL_FROM")
        .map(|raw| {
            Email::parse(&raw).map_err(|_| {
                Error::config("EMAIL_FROM", "must be an address like noreply@example.com")
            })
        })
        .transpose()?;
    let mode = match var("SIGNUP_MODE") {
        None => SignupMode::Open,
        Some(raw) => SignupMode::parse(&raw)
            .ok_or_else(|| Error::config("SIGNUP_MODE", "must be open, domain or closed"))?,
    };
    Ok(SignupConfig {
        email_from,
        mode,
        settings_cache_ttl: seconds(var, "SETTINGS_CACHE_TTL", 60, 0, 60)?,
        limits: SignupLimits {
            signups_per_ip: count(var, "SIGNUP_IP_LIMIT", 10, 1, 100_000)?,
            signups_per_email: count(var, "SIGNUP_EMAIL_LIMIT", 3, 1, 100_000)?,
            forgot_per_ip: count(var, "FORGOT_IP_LIMIT", 10, 1, 100_000)?,
            forgot_per_email: count(var, "FORGOT_EMAIL_LIMIT", 3, 1, 100_000)?,
            sends_per_recipient: count(var, "EMAIL_RECIPIENT_LIMIT", 5, 1, 100_000)?,
            sends_per_ip: count(var, "EMAIL_IP_LIMIT", 50, 1, 100_000)?,
            window: seconds(var, "SIGNUP_WINDOW", 3600, 60, 86_400)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<SignupConfig> {
        signup_config(&super::super::parse::lookup(vars))
    }

    #[test]
    fn defaults_and_bounds() {
        let d = read(&[]).unwrap();
        assert_eq!((d.email_from, d.mode), (None, SignupMode::Open));
        assert_eq!(d.settings_cache_ttl, Duration::from_secs(60));
        let l = d.limits;
        assert_eq!(
            (
                l.signups_per_ip,
                l.signups_per_email,
                l.forgot_per_ip,
                l.forgot_per_email,
                l.sends_per_recipient,
                l.sends_per_ip
            ),
            (10, 3, 10, 3, 5, 50)
        );
        assert_eq!(l.window, Duration::from_secs(3600));
        let c = read(&[
            ("EMAIL_FROM", "noreply@example.com"),
            ("SIGNUP_MODE", "closed"),
            ("SETTINGS_CACHE_TTL", "0"),
        ])
        .unwrap();
        assert_eq!(c.email_from.unwrap().key(), "noreply@example.com");
        assert_eq!(c.mode, SignupMode::Closed);
        assert!(c.settings_cache_ttl.is_zero());
        for (var, bad) in [
            ("EMAIL_FROM", "not-an-address"),
            ("SIGNUP_MODE", "Open"),
            ("SETTINGS_CACHE_TTL", "61"),
            ("SIGNUP_IP_LIMIT", "0"),
            ("FORGOT_EMAIL_LIMIT", "0"),
            ("SIGNUP_WINDOW", "5"),
        ] {
            match read(&[(var, bad)]) {
                Err(Error::Config { var: v, .. }) => assert_eq!(v, var),
                other => panic!("{var}={bad}: {other:?}"),
            }
        }
    }
}
