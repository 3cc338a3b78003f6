//! The administrators' application routes (README "Applications and sharing"): every
//! app, and an app's transfer to another creator (so its owner can be deleted). Each
//! change is audit-logged with the administrator's name.

use super::*;
use crate::answers::apps::{App, AppListing};
use crate::credentials::users::{CHANGE_TRIES, UserKind};
use crate::requests::apps::TransferApp;

impl<I, S, K, M, O> AdminFunction<I, S, K, M, O>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
    M: Mailer,
    O: OidcHttp,
{
    /// The `/admin/apps` routes; `None` for any other.
    pub(super) async fn apps_api(&self, req: &Request, user: &str) -> Option<Result<Response>> {
        let answer = match (req.method().as_str(), req.uri().path()) {
            ("GET", "/admin/apps") => self.list_apps().await.map(api::ok),
            ("POST", "/admin/apps/transfer") => self.transfer_app(req, user).await.map(api::ok),
            _ => return None,
        };
        Some(answer)
    }

    /// `GET /admin/apps`.
    async fn list_apps(&self) -> Result<AppListing> {
        Ok(AppListing {
            apps: self.store.list_apps().await?,
        })
    }

    /// `POST /admin/apps/transfer {app_id, new_owner}`: 404 `app_not_found` or
    /// `user_not_found`, 409 `not_a_creator` when the new owner is an end user.
    async fn transfer_app(&self, req: &Request, user: &str) -> Result<App> {
        let b: TransferApp = api::body(req)?;
        let (id, owner) = b.checked()?;
        let new_owner = self.store.get_user(owner).await?;
        let new_owner = new_owner.ok_or(Error::Absent("user_not_found"))?;
        if new_owner.kind != UserKind::Creator {
            return Err(Error::Conflict("not_a_creator".into()));
        }
        for _ in 0..CHANGE_TRIES {
            let old = self.store.get_app(id).await?;
            let old = old.ok_or(Error::Absent("app_not_found"))?;
            let mut new = old.clone();
            new.owner = owner.to_owned();
            (new.rev, new.updated_at) = (old.rev + 1, crate::primitives::time::now_epoch());
            if self.store.update_app(&old, &new).await? {
                tracing::info!(event = "admin_api", user, action = "app_transfer", app_id = id, from = %old.owner, to = owner);
                return Ok(new);
            }
        }
        Err(Error::Busy("app record"))
    }
}
