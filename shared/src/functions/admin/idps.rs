//! The admin API's identity providers (README "Single sign-on"): list, add, update,
//! disable, delete and test. Changes run under the `idps` lock, which also guards
//! `settings#login`, so the sign-in methods guard reads a state nobody is changing.
//! Client secrets go to `IDP_SECRETS` only; answers and audit lines show the last four
//! characters at most.

use secrecy::SecretString;

use super::*;
use crate::answers::idps::{IdpDeleted, IdpListing};
use crate::credentials::idps::secrets::IdpSecrets;
use crate::credentials::idps::{
    IDPS_LOCK, MAX_PROVIDERS, Provider, Providers, check_sign_in_methods,
};
use crate::credentials::oidc::party::ProbeReport;
use crate::credentials::users::settings::{Changed, NO_SIGN_IN_METHOD};
use crate::requests::idps::{IdpBody, IdpRef, TestIdp, TestTarget};

impl<I, S, K, M, O> AdminFunction<I, S, K, M, O>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
    M: Mailer,
    O: OidcHttp,
{
    /// The `/admin/idps` routes; `None` for any other.
    pub(super) async fn idps_api(&self, req: &Request, user: &str) -> Option<Result<Response>> {
        let now = crate::primitives::time::now_epoch();
        let answer = match (req.method().as_str(), req.uri().path()) {
            ("GET", "/admin/idps") => self.list_idps().await.map(api::ok),
            ("POST", "/admin/idps") => self.add_idp(req, user, now).await.map(api::ok),
            ("POST", "/admin/idps/update") => self.update_idp(req, user, now).await.map(api::ok),
            ("POST", "/admin/idps/disable") => self.disable_idp(req, user, now).await.map(api::ok),
            ("POST", "/admin/idps/delete") => self.delete_idp(req, user, now).await.map(api::ok),
            ("POST", "/admin/idps/test") => self.test_idp(req, user).await.map(api::ok),
            _ => return None,
        };
        Some(answer)
    }

    /// `GET /admin/idps`: every provider (a consistent read, no cache).
    async fn list_idps(&self) -> Result<IdpListing> {
        let providers = self.store.get_idps().await?;
        Ok(IdpListing {
            idps: providers.0.into_values().collect(),
        })
    }

    /// `POST /admin/idps`: a new provider (409 `idp_exists`, 409 `too_many_idps`); its
    /// secret is written first, so a provider is never stored without one.
    async fn add_idp(&self, req: &Request, user: &str, now: i64) -> Result<Provider> {
        let b: IdpBody = api::body(req)?;
        let (new, secret) = b.new_provider(&self.config.outbound_rule(), user, now)?;
        let added = lock::locked(&self.store, IDPS_LOCK, async || {
            let mut providers = self.store.get_idps().await?;
            if providers.get(&new.id).is_some() {
                return Err(idp_refused(user, "idp_add", &new.id, "idp_exists"));
            }
            if providers.0.len() >= MAX_PROVIDERS {
                return Err(idp_refused(user, "idp_add", &new.id, "too_many_idps"));
            }
            self.write_idp_secret(&new.id, Some(secret)).await?;
            providers.0.insert(new.id.clone(), new.clone());
            self.store
                .put_idps(&providers, &Changed { by: user, at: now })
                .await?;
            Ok(new)
        })
        .await?;
        idp_changed(user, "idp_add", &added);
        Ok(added)
    }

    /// `POST /admin/idps/update`: the fields given replace the stored ones; a new secret
    /// replaces the old one.
    async fn update_idp(&self, req: &Request, user: &str, now: i64) -> Result<Provider> {
        let b: IdpBody = api::body(req)?;
        let id = b.id()?;
        let rule = self.config.outbound_rule();
        self.change_idp(user, "idp_update", id, now, |stored| {
            Ok((b.apply(stored, &rule, user, now)?, b.client_secret.as_ref()))
        })
        .await
    }

    /// `POST /admin/idps/disable`: `enabled: false`; its identities stop signing in.
    async fn disable_idp(&self, req: &Request, user: &str, now: i64) -> Result<Provider> {
        let b: IdpRef = api::body(req)?;
        self.change_idp(user, "idp_disable", b.checked()?, now, |stored| {
            let mut p = stored.clone();
            p.enabled = false;
            p.stamp(user, now);
            Ok((p, None))
        })
        .await
    }

    /// One provider changed under the lock: 404 when unknown, the sign-in methods guard,
    /// the secret (when given) before the item.
    async fn change_idp<'b>(
        &self,
        user: &str,
        action: &str,
        id: &str,
        now: i64,
        change: impl Fn(&Provider) -> Result<(Provider, Option<&'b SecretString>)>,
    ) -> Result<Provider> {
        let changed = lock::locked(&self.store, IDPS_LOCK, async || {
            let mut providers = self.store.get_idps().await?;
            let (new, secret) = change(providers.require(id)?)?;
            providers.0.insert(id.to_owned(), new.clone());
            self.guard_sign_in(user, action, id, &providers).await?;
            if let Some(secret) = secret {
                self.write_idp_secret(id, Some(secret)).await?;
            }
            self.store
                .put_idps(&providers, &Changed { by: user, at: now })
                .await?;
            Ok(new)
        })
        .await?;
        idp_changed(user, action, &changed);
        Ok(changed)
    }

    /// `POST /admin/idps/delete`: the provider, then its secret. Its linked identities
    /// stay in the table but sign nobody in (the provider is gone).
    async fn delete_idp(&self, req: &Request, user: &str, now: i64) -> Result<IdpDeleted> {
        let b: IdpRef = api::body(req)?;
        let id = b.checked()?;
        lock::locked(&self.store, IDPS_LOCK, async || {
            let mut providers = self.store.get_idps().await?;
            providers.require(id)?;
            providers.0.remove(id);
            self.guard_sign_in(user, "idp_delete", id, &providers)
                .await?;
            self.store
                .put_idps(&providers, &Changed { by: user, at: now })
                .await?;
            self.write_idp_secret(id, None).await
        })
        .await?;
        tracing::info!(event = "admin_api", user, action = "idp_delete", idp = id);
        Ok(IdpDeleted {
            id: id.to_owned(),
            deleted: true,
        })
    }

    /// `POST /admin/idps/test`: discovery and the JWKS of a stored provider or of an
    /// issuer not saved yet, fetched now under the outbound rule; never a grant, and
    /// never a condition of saving.
    async fn test_idp(&self, req: &Request, user: &str) -> Result<ProbeReport> {
        let b: TestIdp = api::body(req)?;
        let (issuer, algs) = match b.target(&self.config.outbound_rule())? {
            TestTarget::Stored(id) => {
                let providers = self.store.get_idps().await?;
                let p = providers.require(id)?;
                (p.issuer.clone(), p.allowed_algs.clone())
            }
            TestTarget::Issuer(issuer, algs) => (issuer, algs),
        };
        let report = self.party.probe(&issuer, &algs).await;
        tracing::info!(event = "admin_api", user, action = "idp_test", issuer = %issuer, ok = report.ok, discovery = %report.discovery, jwks = %report.jwks);
        Ok(report)
    }

    /// 409 `no_sign_in_method` when `after` leaves nobody a way in: password login off
    /// and no provider enabled.
    async fn guard_sign_in(
        &self,
        user: &str,
        action: &str,
        id: &str,
        after: &Providers,
    ) -> Result<()> {
        let mode = self.config.users.signup.mode;
        let login = self.store.get_settings().await?.effective(mode).login;
        check_sign_in_methods(login.password_login, after)
            .map_err(|_| idp_refused(user, action, id, NO_SIGN_IN_METHOD))
    }

    /// Sets (or, with `None`, removes) one provider's client secret in `IDP_SECRETS`.
    async fn write_idp_secret(&self, id: &str, secret: Option<&SecretString>) -> Result<()> {
        let secret_id = self.config.idp_secrets_id()?;
        let mut all = IdpSecrets::parse(&self.secrets.fetch(secret_id).await?)?;
        match secret {
            Some(s) => all.set(id, s.clone()),
            None => all.remove(id),
        }
        self.secrets
            .put(secret_id, all.to_json().expose_secret())
            .await
    }
}

/// The audit line of a change (the secret's last four characters at most).
fn idp_changed(user: &str, action: &str, p: &Provider) {
    tracing::info!(event = "admin_api", user, action, idp = %p.id, issuer = %p.issuer, client_id = %p.client_id, enabled = p.enabled, client_secret_last4 = %p.client_secret_last4);
}

/// The audit line of a refused change, and its 409.
fn idp_refused(user: &str, action: &str, id: &str, reason: &'static str) -> Error {
    tracing::warn!(
        event = "admin_api",
        user,
        action,
        idp = id,
        outcome = "refused",
        reason
    );
    Error::Conflict(reason.into())
}
