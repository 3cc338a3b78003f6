//! What a person does with their own credentials (README "People"): accept an invite
//! with a first password, change the password. Both write the one transaction that
//! changes the user, conditional on its revision.

use http::StatusCode;
use lambda_http::Request;
use secrecy::ExposeSecret;

use super::{OidcHttp, SecretSource, UsersFunction, UsersPorts, link_refused};
use crate::answers::invites::InviteAccepted;
use crate::answers::users::PasswordChanged;
use crate::credentials::password::Verdict;
use crate::credentials::users::mail::Mailer;
use crate::credentials::users::{CHANGE_TRIES, Invite, PasswordHash, User, UserStatus};
use crate::error::{Error, Result};
use crate::http::{Response, json};
use crate::primitives::crypto::sha256_hex;
use crate::records::lockout::{self, Lockout};
use crate::requests::body::json_body;
use crate::requests::invites::AcceptInvite;
use crate::requests::users::ChangePassword;

/// The answer to an unknown, expired, used or superseded invite token: one error, so
/// the same bytes.
const INVITE_INVALID: &str = "invite_invalid_expired_or_used";

/// The answer to a wrong current password (it counts toward the user's lockout): a 400
/// that says which field, so a page can tell it from a refused session (docs/DECISIONS.md
/// "Password change").
const CURRENT_INVALID: &str = "current_password: incorrect";

fn current_invalid(user_id: &str) -> Error {
    tracing::warn!(event = "password_change", user_id = %user_id, outcome = "failure", reason = "current_password_incorrect");
    Error::bad_request(CURRENT_INVALID)
}

impl<S: UsersPorts, M: Mailer, K: SecretSource, O: OidcHttp> UsersFunction<S, M, K, O> {
    /// `POST /users/invite/accept` (README "People", invites): an allowed Origin, a
    /// live invite that is its user's current one, a new password under the policy;
    /// then one transaction deletes the invite (it must still exist), sets the
    /// password, activates the user, removes `invite` and, when the invite was mailed to
    /// the user's current address, sets `email_verified`. Signs nothing in.
    pub(super) async fn accept_invite(&self, req: &Request) -> Result<Response> {
        self.config.allowed_origins.require(req.headers())?;
        let body: AcceptInvite = json_body(req.headers(), req.body().as_ref())?;
        self.require_password_login().await?;
        let hash = sha256_hex(body.token.expose_secret().as_bytes());
        let now = (self.clock)();
        let (mut user, mut invite) = self.invited_user(&hash, now).await?;
        let phc = self.new_password_hash(&body.new_password, &user).await?;
        for _ in 0..CHANGE_TRIES {
            let change = user.accept_invite(&invite, phc.clone(), now);
            if self.store.change_sessions(&change).await? {
                let email_verified = change.credentials.verify_email;
                tracing::info!(event = "invite_accept", user_id = %user.id, delivery = invite.delivery().as_str(), email_verified, outcome = "success");
                return Ok(json(StatusCode::OK, &InviteAccepted { accepted: true }));
            }
            (user, invite) = self.invited_user(&hash, now).await?;
        }
        Err(Error::Busy("user record"))
    }

    /// The invited user whose current, live invite `hash` is, and the invite; every
    /// other case is the one refusal.
    async fn invited_user(&self, hash: &str, now: i64) -> Result<(User, Invite)> {
        let invalid = || link_refused("invite_accept", INVITE_INVALID);
        let Some(invite) = self.store.get_invite(hash).await? else {
            return Err(invalid());
        };
        if !invite.live_at(now) {
            return Err(invalid());
        }
        match self.store.get_user(&invite.user_id).await? {
            Some(u) if u.status == UserStatus::Invited && u.invite.as_deref() == Some(hash) => {
                Ok((u, invite))
            }
            _ => Err(invalid()),
        }
    }

    /// `POST /users/password/change` (README "People", password change), behind the
    /// authorizer. Order: the body and the new password's policy (400 counts for
    /// nothing), the user's lockout (429 while locked, before any hash; the attempt is
    /// counted as a sign-in failure until the current password matches), the current
    /// password, then one transaction sets the new hash and deletes every other session.
    pub(super) async fn change_password(&self, req: &Request) -> Result<Response> {
        let caller = Self::caller(req)?;
        let keep = Self::session_hash(req)?;
        let body: ChangePassword = json_body(req.headers(), req.body().as_ref())?;
        self.require_password_login().await?;
        body.differs()?;
        let now = (self.clock)();
        let user = self.active_user(&caller.subject).await?;
        self.check_new_password(&body.new_password, &user)?;
        let Some(verified) = user.password.clone() else {
            return Err(Error::Forbidden("account_disabled"));
        };
        let lockout = Lockout::new(&self.store, self.config.users.lockout_threshold);
        let reservation = lockout
            .reserve(vec![lockout::user_key(&user.id)], now)
            .await
            .inspect_err(|e| {
                if matches!(e, Error::TooManyRequests { .. }) {
                    tracing::warn!(event = "password_change", user_id = %user.id, outcome = "failure", reason = "locked_out");
                }
            })?;
        let verdict = self
            .passwords
            .verify(&body.current_password, &verified.0)
            .await?;
        if !matches!(verdict, Verdict::Match { .. }) {
            return Err(current_invalid(&user.id));
        }
        lockout.succeeded(reservation).await?;
        let phc = PasswordHash(self.passwords.hash(&body.new_password).await?);
        let mut user = user;
        for _ in 0..CHANGE_TRIES {
            let change = user.change_password(&keep, phc.clone(), now);
            if self.store.change_sessions(&change).await? {
                let signed_out_sessions = change.delete.len();
                tracing::info!(event = "password_change", user_id = %user.id, outcome = "success", signed_out_sessions);
                let answer = PasswordChanged {
                    changed: true,
                    signed_out_sessions,
                };
                return Ok(json(StatusCode::OK, &answer));
            }
            // Changed meanwhile: go on only if the password verified is still the one.
            user = self.active_user(&user.id).await?;
            if user.password.as_ref() != Some(&verified) {
                return Err(current_invalid(&user.id));
            }
        }
        Err(Error::Busy("user record"))
    }

    /// The caller's user, if active (its sessions are deleted when it is not, so this
    /// is a race with a disable or a reset).
    async fn active_user(&self, id: &str) -> Result<User> {
        match self.store.get_user(id).await? {
            Some(u) if u.status == UserStatus::Active => Ok(u),
            Some(_) => Err(Error::Forbidden("account_disabled")),
            None => Err(Error::Unauthorized("no_such_user")),
        }
    }
}
