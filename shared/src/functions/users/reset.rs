//! Password reset by e-mail (README "People", password reset).
//!
//! `POST /users/password/forgot` keeps the address secret the way sign-up does: the
//! Origin, the body, the login setting, the quotas (every request counts), and only
//! then the lookup; every outcome answers the same 202. A link goes to an existing
//! active account only. `POST /users/password/reset` spends the link's token, sets the
//! new password and deletes every session in one transaction, then sends "your
//! password was changed"; it signs nothing in (docs/DECISIONS.md "Password reset").

use http::StatusCode;
use lambda_http::Request;
use secrecy::ExposeSecret;

use super::signup::log_mail_refusal;
use super::{OidcHttp, SIGNUP_TRIES, SecretSource, UsersFunction, UsersPorts, link_refused, pause};
use crate::answers::users::{PasswordReset, ResetRequested};
use crate::credentials::users::mail::{Mailer, Message};
use crate::credentials::users::signup::{EmailToken, TokenPurpose};
use crate::credentials::users::{Email, Identifier, User};
use crate::error::{Error, Result};
use crate::http::{Response, json, source_ip};
use crate::primitives::crypto::sha256_hex;
use crate::requests::body::json_body;
use crate::requests::signup::{ForgotPassword, ResetPassword};

/// The answer to an unknown, expired, used or superseded reset token: one error, so the
/// same bytes.
const RESET_INVALID: &str = "reset_invalid_expired_or_used";

/// What a reset request did (for the log line only; the answer is the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// A link was sent.
    Sent,
    /// No active account has the address: nothing was sent.
    NoAccount,
    /// `EMAIL_FROM` is empty: nothing is ever sent.
    MailOff,
}

impl<S: UsersPorts, M: Mailer, K: SecretSource, O: OidcHttp> UsersFunction<S, M, K, O> {
    /// `POST /users/password/forgot`.
    pub(super) async fn forgot_password(&self, req: &Request) -> Result<Response> {
        self.config.allowed_origins.require(req.headers())?;
        let body: ForgotPassword = json_body(req.headers(), req.body().as_ref())?;
        let email = body.email()?;
        self.require_password_login().await?;
        let now = (self.clock)();
        let l = self.config.users.signup.limits;
        let own = ("usr-forgot", l.forgot_per_ip, l.forgot_per_email);
        self.take_quotas(own, &source_ip(req), &email, now)
            .await
            .inspect_err(|e| log_mail_refusal("password_forgot", e))?;
        let outcome = match self.config.users.signup.email_from {
            None => Outcome::MailOff,
            Some(_) => self.send_reset_link(&email, now).await?,
        };
        tracing::info!(event = "password_forgot", outcome = "accepted", found = ?outcome);
        Ok(json(StatusCode::ACCEPTED, &ResetRequested::ANSWER))
    }

    /// Sends a reset link to the active account holding `email`, if there is one: the
    /// token is written first, so a link that arrives always works (a failed send
    /// leaves a token nobody holds, which expires).
    async fn send_reset_link(&self, email: &Email, now: i64) -> Result<Outcome> {
        let user = self.user_named(&Identifier::Email(email.clone())).await?;
        let Some(user) = user.filter(|u| u.may_reset_password(now)) else {
            return Ok(Outcome::NoAccount);
        };
        // Found by its address, so it has one.
        let to = user.email.clone().unwrap_or_else(|| email.clone());
        let (token, secret) = EmailToken::issue(TokenPurpose::ResetPassword, &user, &to, now);
        let link = self.config.user_ui_link("reset", secret.expose_secret())?;
        self.store.put_email_token(&token).await?;
        self.mailer
            .send(&Message::reset_password(&to, &link))
            .await?;
        Ok(Outcome::Sent)
    }

    /// `POST /users/password/reset`: a live reset token of an active user whose address
    /// and password are still the ones it was sent for; the new password under the
    /// policy; then one transaction deletes the token (it must exist), sets the
    /// password and deletes every session. Signs nothing in.
    pub(super) async fn reset_password(&self, req: &Request) -> Result<Response> {
        self.config.allowed_origins.require(req.headers())?;
        let body: ResetPassword = json_body(req.headers(), req.body().as_ref())?;
        self.require_password_login().await?;
        let hash = sha256_hex(body.token.expose_secret().as_bytes());
        let now = (self.clock)();
        let (mut token, mut user) = self.reset_target(&hash, now).await?;
        let phc = self.new_password_hash(&body.new_password, &user).await?;
        for attempt in 0..SIGNUP_TRIES {
            let change = user.reset_password(&token, phc.clone(), now);
            if self.store.change_sessions(&change).await? {
                let signed_out_sessions = change.delete.len();
                tracing::info!(event = "password_reset", user_id = %user.id, outcome = "success", signed_out_sessions);
                self.tell_changed(&user).await;
                let answer = PasswordReset {
                    reset: true,
                    signed_out_sessions,
                };
                return Ok(json(StatusCode::OK, &answer));
            }
            // Changed meanwhile (or a concurrent write in flight): read both again; a
            // spent token or a changed password is the one refusal.
            pause(attempt).await;
            (token, user) = self.reset_target(&hash, now).await?;
        }
        Err(Error::Busy("user record"))
    }

    /// The token of `hash` and its user, if the token is a live reset token issued for
    /// the user as it is now; every other case is the one refusal.
    async fn reset_target(&self, hash: &str, now: i64) -> Result<(EmailToken, User)> {
        let invalid = || link_refused("password_reset", RESET_INVALID);
        let token = self
            .store
            .get_email_token(hash)
            .await?
            .filter(|t| t.usable_at(TokenPurpose::ResetPassword, now))
            .ok_or_else(invalid)?;
        let user = self
            .store
            .get_user(&token.user_id)
            .await?
            .filter(|u| u.may_reset_password(now) && token.issued_for(u))
            .ok_or_else(invalid)?;
        Ok((token, user))
    }

    /// "Your password was changed", after the reset. The reset is done whatever
    /// happens here, so a failed send is logged, not answered (docs/DECISIONS.md
    /// "Password reset").
    async fn tell_changed(&self, user: &User) {
        let Some(to) = user.email.as_ref() else {
            return;
        };
        if self.config.users.signup.email_from.is_none() {
            return;
        }
        if let Err(e) = self.mailer.send(&Message::password_changed(to)).await {
            tracing::error!(event = "password_reset", user_id = %user.id, outcome = "notice_failed", error = %e.detail());
        }
    }
}
