//! Single sign-on's variables (README "Single sign-on", "Configuration"): the dev-only
//! loopback flag of the outbound URL rule, and how long provider metadata and keys are
//! cached.

use std::time::Duration;

use super::parse::{boolean, seconds};
use crate::credentials::oidc::url::OutboundRule;
use crate::error::Result;

/// `SSO_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSettings {
    /// `SSO_ALLOW_INSECURE_LOOPBACK` (default `false`): dev only, plain http and
    /// loopback providers.
    pub allow_insecure_loopback: bool,
    /// `SSO_METADATA_TTL` (default 300 s): a provider's discovery document.
    pub metadata_ttl: Duration,
    /// `SSO_JWKS_TTL` (default 300 s): a provider's keys.
    pub jwks_ttl: Duration,
    /// `SSO_JWKS_COOLDOWN` (default 30 s): least time between refetches of a provider's
    /// keys for an unknown `kid`.
    pub jwks_cooldown: Duration,
}

pub(super) fn sso_settings(var: &impl Fn(&str) -> Option<String>) -> Result<SsoSettings> {
    Ok(SsoSettings {
        allow_insecure_loopback: boolean(var, "SSO_ALLOW_INSECURE_LOOPBACK", false)?,
        metadata_ttl: seconds(var, "SSO_METADATA_TTL", 300, 1, 86_400)?,
        jwks_ttl: seconds(var, "SSO_JWKS_TTL", 300, 1, 86_400)?,
        jwks_cooldown: seconds(var, "SSO_JWKS_COOLDOWN", 30, 1, 3600)?,
    })
}

impl SsoSettings {
    /// The outbound URL rule these settings select.
    pub fn outbound_rule(&self) -> OutboundRule {
        OutboundRule {
            allow_insecure_loopback: self.allow_insecure_loopback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::lookup;
    use super::*;

    #[test]
    fn the_loopback_flag_is_off_unless_exactly_true() {
        let s = sso_settings(&lookup(&[])).unwrap();
        assert!(!s.allow_insecure_loopback);
        assert!(!s.outbound_rule().allow_insecure_loopback);
        assert_eq!(s.metadata_ttl, Duration::from_secs(300));
        let on = sso_settings(&lookup(&[("SSO_ALLOW_INSECURE_LOOPBACK", "true")])).unwrap();
        assert!(on.outbound_rule().allow_insecure_loopback);
        for bad in ["1", "yes", "TRUE"] {
            assert!(sso_settings(&lookup(&[("SSO_ALLOW_INSECURE_LOOPBACK", bad)])).is_err());
        }
        assert!(sso_settings(&lookup(&[("SSO_JWKS_COOLDOWN", "0")])).is_err());
    }
}
