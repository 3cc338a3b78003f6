//! Single sign-on's settings (`Config::users.sso`, read with the users' settings): `SSO_ALLOW_INSECURE_LOOPBACK` (dev only: the local stack
//! and tests), `SSO_METADATA_TTL`, `SSO_JWKS_TTL`, `SSO_JWKS_COOLDOWN` (README
//! "Configuration").

use std::time::Duration;

use crate::credentials::oidc::url::OutboundRule;
use crate::error::Result;

use super::parse::{boolean, seconds};

/// What the relying party is configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SsoSettings {
    /// Plain http and loopback providers (never in production).
    pub allow_insecure_loopback: bool,
    /// How long a provider's discovery document is kept.
    pub metadata_ttl: Duration,
    /// How long a provider's JWKS is kept.
    pub jwks_ttl: Duration,
    /// The least time between two JWKS fetches for an unknown `kid`.
    pub cooldown: Duration,
}

/// Reads the four variables.
pub(super) fn sso_settings(var: &impl Fn(&str) -> Option<String>) -> Result<SsoSettings> {
    Ok(SsoSettings {
        allow_insecure_loopback: boolean(var, "SSO_ALLOW_INSECURE_LOOPBACK", false)?,
        metadata_ttl: seconds(var, "SSO_METADATA_TTL", 300, 1, 86_400)?,
        jwks_ttl: seconds(var, "SSO_JWKS_TTL", 300, 1, 86_400)?,
        cooldown: seconds(var, "SSO_JWKS_COOLDOWN", 30, 1, 3_600)?,
    })
}

impl super::Config {
    /// The outbound URL rule for providers' URLs.
    pub fn outbound_rule(&self) -> OutboundRule {
        OutboundRule {
            allow_insecure_loopback: self.users.sso.allow_insecure_loopback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn read(vars: &[(&str, &str)]) -> Result<SsoSettings> {
        sso_settings(&super::super::parse::lookup(vars))
    }

    #[test]
    fn defaults_and_bounds() {
        let d = read(&[]).unwrap();
        assert!(!d.allow_insecure_loopback);
        assert_eq!(d.metadata_ttl, Duration::from_secs(300));
        assert_eq!(d.jwks_ttl, Duration::from_secs(300));
        assert_eq!(d.cooldown, Duration::from_secs(30));
        let dev = read(&[("SSO_ALLOW_INSECURE_LOOPBACK", "true")]).unwrap();
        assert!(dev.allow_insecure_loopback);
        assert!(read(&[("SSO_METADATA_TTL", "86400")]).is_ok());
        for (var, bad) in [
            ("SSO_ALLOW_INSECURE_LOOPBACK", "yes"),
            ("SSO_ALLOW_INSECURE_LOOPBACK", "1"),
            ("SSO_METADATA_TTL", "0"),
            ("SSO_METADATA_TTL", "86401"),
            ("SSO_JWKS_TTL", "0"),
            ("SSO_JWKS_COOLDOWN", "0"),
            ("SSO_JWKS_COOLDOWN", "x"),
        ] {
            match read(&[(var, bad)]) {
                Err(Error::Config { var: v, .. }) => assert_eq!(v, var),
                other => panic!("{var}={bad}: {other:?}"),
            }
        }
    }
}
