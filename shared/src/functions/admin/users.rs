//! The admin API's people routes (README "People"): search, disable, enable, delete.
//! Each change is audit-logged with the administrator's name, the action and the user id.

use super::*;
use crate::credentials::users::directory::{self, UserSearch};
use crate::credentials::users::{UserStatus, disable_user};
use crate::requests::admin::UserId;

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
}
