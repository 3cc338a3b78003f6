//! The admin API's runtime settings (README "Admin API", settings): read as they are in
//! force, and written one whole group at a time. Each change is audit-logged with the
//! administrator's name, the group, and its old and new values (settings hold no
//! secret).

use super::*;
use crate::answers::settings::{LoginInForce, SettingsInForce, SignupInForce};
use crate::credentials::idps::{IDPS_LOCK, check_sign_in_methods};
use crate::credentials::users::settings::{Changed, EMAIL_NOT_CONFIGURED, NO_SIGN_IN_METHOD};
use crate::requests::settings::{SetLogin, SetSignup};

/// A settings group as the audit line shows it: its JSON.
fn audit_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

impl<I, S, K, M> AdminFunction<I, S, K, M>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
    M: Mailer,
{
    /// The `/admin/settings` routes; `None` for any other.
    pub(super) async fn settings_api(&self, req: &Request, user: &str) -> Option<Result<Response>> {
        let now = crate::primitives::time::now_epoch();
        let answer = match (req.method().as_str(), req.uri().path()) {
            ("GET", "/admin/settings") => self.settings_in_force().await.map(api::ok),
            ("POST", "/admin/settings/signup") => {
                self.set_signup(req, user, now).await.map(api::ok)
            }
            ("POST", "/admin/settings/login") => self.set_login(req, user, now).await.map(api::ok),
            _ => return None,
        };
        Some(answer)
    }

    /// Both groups as they are in force now: consistent reads, no cache.
    async fn settings_in_force(&self) -> Result<SettingsInForce> {
        let signup = &self.config.users.signup;
        Ok(SettingsInForce::new(
            &self.store.get_settings().await?,
            signup.mode,
            signup.email_from.is_some(),
            signup.settings_cache_ttl,
        ))
    }

    /// `POST /admin/settings/signup`: the whole group, checked; verification on needs
    /// `EMAIL_FROM` (409 `email_not_configured`, nothing written).
    async fn set_signup(&self, req: &Request, user: &str, now: i64) -> Result<SignupInForce> {
        let b: SetSignup = api::body(req)?;
        let new = b.checked()?;
        new.require_sender(self.config.users.signup.email_from.as_ref())
            .inspect_err(|_| refused(user, "signup", EMAIL_NOT_CONFIGURED))?;
        let old = self.settings_in_force().await?.signup;
        let changed = Changed { by: user, at: now };
        self.store.put_signup_settings(&new, &changed).await?;
        let new = SignupInForce::stored(new);
        tracing::info!(event = "admin_api", user, action = "settings_change", setting = "signup", old = %audit_json(&old), new = %audit_json(&new));
        Ok(new)
    }

    /// `POST /admin/settings/login`: `password_login: false` only while a provider is
    /// enabled (409 `no_sign_in_method`, nothing written); under the `idps` lock, so no
    /// provider is disabled meanwhile.
    async fn set_login(&self, req: &Request, user: &str, now: i64) -> Result<LoginInForce> {
        let b: SetLogin = api::body(req)?;
        let new = b.settings();
        let old = lock::locked(&self.store, IDPS_LOCK, async || {
            check_sign_in_methods(new.password_login, &self.store.get_idps().await?)
                .inspect_err(|_| refused(user, "login", NO_SIGN_IN_METHOD))?;
            let old = self.settings_in_force().await?.login;
            let changed = Changed { by: user, at: now };
            self.store.put_login_settings(&new, &changed).await?;
            Ok(old)
        })
        .await?;
        let new = LoginInForce::stored(new);
        tracing::info!(event = "admin_api", user, action = "settings_change", setting = "login", old = %audit_json(&old), new = %audit_json(&new));
        Ok(new)
    }
}

/// The audit line of a refused change.
fn refused(user: &str, setting: &str, reason: &str) {
    tracing::warn!(
        event = "admin_api",
        user,
        action = "settings_change",
        setting,
        outcome = "refused",
        reason
    );
}
