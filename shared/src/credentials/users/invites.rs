//! Invites (README "People"): a single-use, 72-hour link for an invited user, its
//! record `invite#<sha256 of the token>`, and the user changes that issue, revoke and
//! accept it, each in the one transaction that changes the user.

use secrecy::SecretString;

use super::*;

/// The credential parts of a [`SessionChange`] (README "People", invites).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialChange {
    /// The password hash: set (with `password_changed_at`) or removed.
    pub password: Option<PasswordPart>,
    /// An invite to write; the user's `invite` becomes its hash.
    pub issue: Option<Invite>,
    /// An invite item to delete; without `issue`, the user's `invite` is removed.
    pub revoke: Option<String>,
    /// The revoked invite item must still exist (an acceptance: a used invite is gone).
    pub revoke_must_exist: bool,
    /// An e-mail token (`etoken#` hash) spent by this change: deleted, and it must
    /// still exist (a password reset: a used link is gone).
    pub spend_token: Option<String>,
    /// Sets `email_verified` (a link that reached the mailbox was followed).
    pub verify_email: bool,
}

/// A change of the stored password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordPart {
    /// A new hash, changed at this time.
    Set(PasswordHash, i64),
    Remove,
}

/// How long an invite link can be used (README "People").
pub const INVITE_TTL_SECS: i64 = 72 * 3600;

/// An invite (`invite#<sha256 of the token>`): single use, for one user, until
/// `expires_at` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub hash: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A new invite's token: shown once, in the link, never stored or logged.
pub struct InviteToken(SecretString);

impl InviteToken {
    pub fn expose(&self) -> &str {
        use secrecy::ExposeSecret;
        self.0.expose_secret()
    }
}

impl Invite {
    /// A new invite for `user_id` (a 256-bit random token) and its token.
    pub fn issue(user_id: &str, now: i64) -> (Invite, InviteToken) {
        let token = crate::primitives::crypto::random_id();
        let invite = Invite {
            hash: crate::primitives::crypto::sha256_hex(token.as_bytes()),
            user_id: user_id.to_owned(),
            created_at: now,
            expires_at: now + INVITE_TTL_SECS,
        };
        (invite, InviteToken(SecretString::from(token)))
    }

    /// Whether it may still be used at `now` (`expires_at` itself is too late).
    pub fn live_at(&self, now: i64) -> bool {
        self.expires_at > now
    }
}

impl User {
    /// Resets its credentials (README "People"): no password, `invited`, every listed
    /// session deleted, the old invite deleted and `invite` written.
    pub fn reset_credentials(&self, invite: Invite) -> SessionChange {
        SessionChange {
            credentials: CredentialChange {
                password: Some(PasswordPart::Remove),
                issue: Some(invite),
                revoke: self.invite.clone(),
                ..CredentialChange::default()
            },
            ..self.ending_every_session(UserStatus::Invited)
        }
    }

    /// Accepts its invite `hash` with a new password hash: `active`, the invite item
    /// deleted (it must still exist) and `invite` removed; `email_verified` unchanged.
    pub fn accept_invite(&self, hash: &str, phc: PasswordHash, now: i64) -> SessionChange {
        SessionChange {
            status: Some(UserStatus::Active),
            credentials: CredentialChange {
                password: Some(PasswordPart::Set(phc, now)),
                issue: None,
                revoke: Some(hash.to_owned()),
                revoke_must_exist: true,
                ..CredentialChange::default()
            },
            ..self.change()
        }
    }
}

/// Creates an invited user (no password, whatever `new.password` says) with its
/// invite, in the one transaction that takes its name and e-mail (README "People").
/// 409 when the name or e-mail is taken.
pub async fn create_invited_user<S: UserStore>(
    store: &S,
    new: NewUser,
    now: i64,
) -> Result<(User, Invite, InviteToken)> {
    let mut user = new_record(new, now);
    let (invite, token) = Invite::issue(&user.id, now);
    user.invite = Some(invite.hash.clone());
    let user = store_new(store, user, Some(&invite)).await?;
    Ok((user, invite, token))
}

/// Resets a user's credentials (README "People"): one transaction removes the password,
/// sets `invited`, deletes its sessions and its old invite and writes a new invite.
/// `Ok(None)`: no such user.
pub async fn reset_credentials<S: UserStore>(
    store: &S,
    id: &str,
    now: i64,
) -> Result<Option<(Invite, InviteToken)>> {
    for _ in 0..CHANGE_TRIES {
        let Some(user) = store.get_user(id).await? else {
            return Ok(None);
        };
        super::directory::refuse_pending(&user)?;
        let (invite, token) = Invite::issue(&user.id, now);
        if store
            .change_sessions(&user.reset_credentials(invite.clone()))
            .await?
        {
            return Ok(Some((invite, token)));
        }
    }
    Err(Error::Busy("user record"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::users::tests::user;

    #[test]
    fn a_reset_kills_the_password_the_sessions_and_the_old_invite() {
        let (invite, token) = Invite::issue("U1", 100);
        assert_eq!(invite.expires_at, 100 + 72 * 3600);
        assert_eq!(token.expose().len(), 43);
        assert!(invite.live_at(invite.expires_at - 1) && !invite.live_at(invite.expires_at));
        let c = user(2).reset_credentials(invite.clone());
        assert_eq!(c.delete, ["h0", "h1"]);
        assert!(c.sessions.is_empty());
        assert_eq!(c.status, Some(UserStatus::Invited));
        assert_eq!(c.credentials.password, Some(PasswordPart::Remove));
        assert_eq!(c.credentials.issue, Some(invite));
        assert_eq!(c.credentials.revoke.as_deref(), Some("old"));
        let c = user(2).accept_invite("old", PasswordHash("p".into()), 5);
        assert_eq!(c.status, Some(UserStatus::Active));
        assert!(c.credentials.revoke_must_exist && c.delete.is_empty());
    }
}
