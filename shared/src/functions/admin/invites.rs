//! The admin API's invites (README "People"): a user created by an administrator and a
//! credentials reset both answer a link `<USER_UI_URL>#invite=<token>`, shown once.

use super::*;
use crate::answers::invites::{CreatedUser, CredentialsReset};
use crate::answers::users::UserInfo;
use crate::credentials::users::{self, InviteToken};
use crate::requests::invites::{CreateUser, ResetCredentials};

impl<I, S, K> AdminFunction<I, S, K>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
{
    /// The link of an invite token: the token in the fragment, never in a query (a
    /// fragment is not sent to servers or written to their logs). 409 when
    /// `USER_UI_URL` is not set.
    fn invite_link(&self, token: &InviteToken) -> Result<String> {
        let link = self.config.user_ui_link("invite", token.expose())?;
        Ok(secrecy::ExposeSecret::expose_secret(&link).to_owned())
    }

    /// `POST /admin/users`: an invited user (no password), its name and e-mail items
    /// and its invite in one transaction.
    pub(super) async fn create_user(
        &self,
        b: CreateUser,
        admin: &str,
        now: i64,
    ) -> Result<CreatedUser> {
        let new = b.new_user(admin)?;
        if self.config.user_ui_url.is_none() {
            return Err(Error::Conflict("user_ui_not_configured".into()));
        }
        let (user, invite, token) = users::create_invited_user(&self.store, new, now).await?;
        tracing::info!(event = "admin_api", user = admin, action = "user_create", user_id = %user.id, kind = %user.kind);
        Ok(CreatedUser {
            user: UserInfo::from(&user),
            invite_link: self.invite_link(&token)?,
            invite_expires_at: invite.expires_at,
        })
    }

    /// `POST /admin/users/reset-credentials`: no password, `invited`, no session, the
    /// old invite gone and a new one, in one transaction. 404 for an unknown user.
    pub(super) async fn reset_credentials(
        &self,
        b: ResetCredentials,
        admin: &str,
        now: i64,
    ) -> Result<CredentialsReset> {
        if self.config.user_ui_url.is_none() {
            return Err(Error::Conflict("user_ui_not_configured".into()));
        }
        let (invite, token) = users::reset_credentials(&self.store, &b.user_id, now)
            .await?
            .ok_or(Error::NotFound)?;
        tracing::info!(event = "admin_api", user = admin, action = "user_reset_credentials", user_id = %b.user_id);
        Ok(CredentialsReset {
            invite_link: self.invite_link(&token)?,
            user_id: b.user_id,
            invite_expires_at: invite.expires_at,
        })
    }
}
