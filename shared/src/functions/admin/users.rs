//! The admin API's people routes (README "People"): search, disable, enable, delete.
//! Each change is audit-logged with the administrator's name, the action and the user id.

use super::*;
use crate::answers::idps::IdentityLinked;
use crate::credentials::idps::identity::{self, IdentityLink};
use crate::credentials::users::directory::{self, UserSearch};
use crate::credentials::users::{UserStatus, disable_user};
use crate::requests::admin::UserId;
use crate::requests::idps::LinkIdentity;

impl<I, S, K, M> AdminFunction<I, S, K, M>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
    M: Mailer,
{
    /// The `/admin/users` routes; `None` for any other.
    pub(super) async fn users_api(&self, req: &Request, user: &str) -> Option<Result<Response>> {
        let answer = match (req.method().as_str(), req.uri().path()) {
            ("GET", "/admin/users") => self.list_users(req).await.map(api::ok),
            ("POST", "/admin/users/disable") => self.disable_user(req, user).await.map(api::ok),
            ("POST", "/admin/users/enable") => self.enable_user(req, user).await.map(api::ok),
            ("POST", "/admin/users/delete") => self.delete_user(req, user).await.map(api::ok),
            ("POST", "/admin/users/link-identity") => {
                self.link_identity(req, user).await.map(api::ok)
            }
            _ => return None,
        };
        Some(answer)
    }

    /// `GET /admin/users?q=&kind=&cursor=`: one page of users whose username or e-mail
    /// starts with `q`, through `gsi1`.
    async fn list_users(&self, req: &Request) -> Result<UserListing> {
        let search = UserSearch::parse(req.uri().query())?;
        let (users, cursor) = directory::search_users(&self.store, &search).await?;
        Ok(UserListing {
            users: users.iter().map(UserEntry::from).collect(),
            cursor: cursor.map(|c| c.encode()),
        })
    }

    /// `POST /admin/users/disable`: status `disabled`, every listed session deleted in
    /// the same transaction.
    async fn disable_user(&self, req: &Request, user: &str) -> Result<UserStatusChanged> {
        let b: UserId = api::body(req)?;
        let id = b.checked()?;
        if !disable_user(&self.store, id).await? {
            return Err(Error::NotFound);
        }
        tracing::info!(event = "admin_api", user, action = "user_disable", user_id = %id);
        Ok(UserStatusChanged {
            user_id: id.to_owned(),
            status: UserStatus::Disabled,
        })
    }

    /// `POST /admin/users/enable`: `active` again, or `invited` without a password.
    async fn enable_user(&self, req: &Request, user: &str) -> Result<UserStatusChanged> {
        let b: UserId = api::body(req)?;
        let id = b.checked()?;
        let status = directory::enable_user(&self.store, id)
            .await?
            .ok_or(Error::NotFound)?;
        tracing::info!(event = "admin_api", user, action = "user_enable", user_id = %id, status = status.as_str());
        Ok(UserStatusChanged {
            user_id: id.to_owned(),
            status,
        })
    }

    /// `POST /admin/users/delete`: the user, its name items and its sessions, in one
    /// transaction.
    async fn delete_user(&self, req: &Request, user: &str) -> Result<UserDeleted> {
        let b: UserId = api::body(req)?;
        let id = b.checked()?;
        if !directory::delete_user(&self.store, id).await? {
            return Err(Error::NotFound);
        }
        tracing::info!(event = "admin_api", user, action = "user_delete", user_id = %id);
        Ok(UserDeleted {
            user_id: id.to_owned(),
            deleted: true,
        })
    }

    /// `POST /admin/users/link-identity`: the provider's `sub` (at its configured
    /// issuer) signs in as the user; 404 for an unknown user or provider, 409 when the
    /// identity or the user's slot at the provider is taken.
    async fn link_identity(&self, req: &Request, user: &str) -> Result<IdentityLinked> {
        let b: LinkIdentity = api::body(req)?;
        let (user_id, idp, sub) = b.checked()?;
        let providers = self.store.get_idps().await?;
        let provider = providers.require(idp)?;
        let link = IdentityLink {
            provider: idp.to_owned(),
            iss: provider.issuer.clone(),
            sub: sub.to_owned(),
            created_at: crate::primitives::time::now_epoch(),
            created_by: user.to_owned(),
        };
        identity::link(&self.store, user_id, &link).await.inspect_err(|e| {
            if let Error::Conflict(reason) = e {
                tracing::warn!(event = "admin_api", user, action = "identity_link", user_id, idp, outcome = "refused", reason = %reason);
            }
        })?;
        tracing::info!(
            event = "admin_api",
            user,
            action = "identity_link",
            user_id,
            idp
        );
        Ok(IdentityLinked {
            user_id: user_id.to_owned(),
            idp: idp.to_owned(),
            sub: sub.to_owned(),
            linked: true,
        })
    }
}
