//! The admin API's invites (README "People"): a user created by an administrator and a
//! credentials reset both issue a link `<USER_UI_URL>#invite=<token>`, either answered
//! (shown once) or mailed to the user's address (`delivery: "email"`; the answer then
//! says where it went and never holds the link). docs/DECISIONS.md "Invites by e-mail"
//! says why this function sends the mail itself and in which order.

use super::*;
use crate::answers::invites::{CreatedUser, CredentialsReset, SentInvite};
use crate::answers::users::UserInfo;
use crate::credentials::users::mail::Message;
use crate::credentials::users::settings::EMAIL_NOT_CONFIGURED;
use crate::credentials::users::{self, Delivery, InviteToken, NO_EMAIL, User};
use crate::requests::invites::{CreateUser, ResetCredentials};

impl<I, S, K, M, O> AdminFunction<I, S, K, M, O>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
    M: Mailer,
    O: OidcHttp,
{
    /// What a delivery needs before anything is written: `USER_UI_URL` for any link
    /// (409 `user_ui_not_configured`), and `EMAIL_FROM` to mail one (409
    /// `email_not_configured`).
    fn require_delivery(&self, delivery: Delivery, admin: &str, action: &str) -> Result<()> {
        if self.config.user_ui_url.is_none() {
            return Err(Error::Conflict("user_ui_not_configured".into()));
        }
        if delivery == Delivery::Email && self.config.users.signup.email_from.is_none() {
            tracing::warn!(
                event = "admin_api",
                user = admin,
                action,
                delivery = delivery.as_str(),
                outcome = "refused",
                reason = EMAIL_NOT_CONFIGURED
            );
            return Err(Error::Conflict(EMAIL_NOT_CONFIGURED.into()));
        }
        Ok(())
    }

    /// Delivers a written invite: the link for the answer, or mailed to `to` (a send
    /// failure is a 503; the invite stays written, and a reset with `delivery: "email"`
    /// sends a new one).
    async fn deliver(
        &self,
        delivery: Delivery,
        token: &InviteToken,
        to: &User,
        log: (&str, &str, &str),
    ) -> Result<SentInvite> {
        // The token in the fragment, never in a query (a fragment is not sent to
        // servers or written to their logs).
        let link = self.config.invite_link(token)?;
        match (delivery, &to.email) {
            (Delivery::Link, _) => {
                let shown = secrecy::ExposeSecret::expose_secret(&link).to_owned();
                Ok(SentInvite::link(shown))
            }
            // `Invite::issue_for` refused this before anything was written.
            (Delivery::Email, None) => Err(Error::Conflict(NO_EMAIL.into())),
            (Delivery::Email, Some(to)) => {
                let (admin, action, user_id) = log;
                self.mailer
                    .send(&Message::invite(to, &link))
                    .await
                    .inspect_err(|_| {
                        tracing::warn!(
                            event = "admin_api",
                            user = admin,
                            action,
                            user_id,
                            delivery = "email",
                            outcome = "invite_not_sent"
                        );
                    })?;
                Ok(SentInvite::mailed(to.shown()))
            }
        }
    }

    /// `POST /admin/users`: an invited user (no password), its name and e-mail items
    /// and its invite in one transaction, then the invite delivered.
    pub(super) async fn create_user(
        &self,
        b: CreateUser,
        admin: &str,
        now: i64,
    ) -> Result<CreatedUser> {
        let new = b.new_user(admin)?;
        let action = "user_create";
        self.require_delivery(b.delivery, admin, action)?;
        let (user, invite, token) =
            users::invite_new_user(&self.store, new, b.delivery, now).await?;
        tracing::info!(event = "admin_api", user = admin, action, user_id = %user.id, kind = %user.kind, delivery = b.delivery.as_str());
        let sent = self
            .deliver(b.delivery, &token, &user, (admin, action, &user.id))
            .await?;
        Ok(CreatedUser {
            user: UserInfo::from(&user),
            invite: sent,
            invite_expires_at: invite.expires_at,
        })
    }

    /// `POST /admin/users/reset-credentials`: no password, `invited`, no session, the
    /// old invite gone and a new one, in one transaction, then the new invite
    /// delivered. 404 for an unknown user.
    pub(super) async fn reset_credentials(
        &self,
        b: ResetCredentials,
        admin: &str,
        now: i64,
    ) -> Result<CredentialsReset> {
        let action = "user_reset_credentials";
        self.require_delivery(b.delivery, admin, action)?;
        let (user, invite, token) = users::reissue_invite(&self.store, &b.user_id, b.delivery, now)
            .await?
            .ok_or(Error::NotFound)?;
        tracing::info!(event = "admin_api", user = admin, action, user_id = %b.user_id, delivery = b.delivery.as_str());
        let sent = self
            .deliver(b.delivery, &token, &user, (admin, action, &user.id))
            .await?;
        Ok(CredentialsReset {
            user_id: b.user_id,
            invite: sent,
            invite_expires_at: invite.expires_at,
        })
    }
}
