//! Invites (README "People"): a single-use, 72-hour link for an invited user, handed
//! over by the administrator or mailed to the user's address, its record
//! `invite#<sha256 of the token>`, and the user changes that issue, revoke and accept
//! it, each in the one transaction that changes the user.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

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

/// How an invite reaches its person (README "People", invites by e-mail).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The administrator gets the link, shown once, and hands it over.
    #[default]
    Link,
    /// The admin function mails the link to the user's address; nobody else sees it.
    Email,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Link => "link",
            Delivery::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Delivery> {
        [Delivery::Link, Delivery::Email]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// An invite (`invite#<sha256 of the token>`): single use, for one user, until
/// `expires_at` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub hash: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// The lower-cased address ([`Email::key`]) the link was mailed to; `None` for a
    /// link handed over (and for records written before invites were mailed).
    pub emailed_to: Option<String>,
}

/// A new invite's token: shown once, in the link, never stored or logged.
pub struct InviteToken(SecretString);

impl InviteToken {
    pub fn expose(&self) -> &str {
        use secrecy::ExposeSecret;
        self.0.expose_secret()
    }
}

/// The 409's code when an invite is to be mailed to a user without an e-mail address.
pub const NO_EMAIL: &str = "user_has_no_email";

fn no_email() -> Error {
    Error::Conflict(NO_EMAIL.into())
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
            emailed_to: None,
        };
        (invite, InviteToken(SecretString::from(token)))
    }

    /// A new invite for `user`, delivered as `delivery` (an e-mailed one records the
    /// address it goes to), and its token; 409 [`NO_EMAIL`] when it is to be mailed to a
    /// user without an e-mail address (before anything is written).
    pub fn issue_for(user: &User, delivery: Delivery, now: i64) -> Result<(Invite, InviteToken)> {
        let (mut invite, token) = Invite::issue(&user.id, now);
        if delivery == Delivery::Email {
            let to = user.email.as_ref().ok_or_else(no_email)?;
            invite.emailed_to = Some(to.key().to_owned());
        }
        Ok((invite, token))
    }

    /// How it was delivered.
    pub fn delivery(&self) -> Delivery {
        match self.emailed_to {
            Some(_) => Delivery::Email,
            None => Delivery::Link,
        }
    }

    /// Whether following it proves `email`: it was mailed to that very address (in
    /// lower case). A link handed over proves nothing about the mailbox.
    pub fn proves(&self, email: &Email) -> bool {
        self.emailed_to.as_deref() == Some(email.key())
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

    /// Accepts `invite` with a new password hash: `active`, the invite item deleted (it
    /// must still exist) and `invite` removed; `email_verified` set only when the invite
    /// was mailed to the user's current address, else unchanged.
    pub fn accept_invite(&self, invite: &Invite, phc: PasswordHash, now: i64) -> SessionChange {
        SessionChange {
            status: Some(UserStatus::Active),
            credentials: CredentialChange {
                password: Some(PasswordPart::Set(phc, now)),
                issue: None,
                revoke: Some(invite.hash.clone()),
                revoke_must_exist: true,
                verify_email: self.email.as_ref().is_some_and(|e| invite.proves(e)),
                ..CredentialChange::default()
            },
            ..self.change()
        }
    }
}

/// Creates an invited user (no password, whatever `new.password` says) with a link
/// invite, in the one transaction that takes its name and e-mail (README "People").
/// 409 when the name or e-mail is taken.
pub async fn create_invited_user<S: UserStore>(
    store: &S,
    new: NewUser,
    now: i64,
) -> Result<(User, Invite, InviteToken)> {
    invite_new_user(store, new, Delivery::Link, now).await
}

/// [`create_invited_user`] with an invite delivered as `delivery`.
pub async fn invite_new_user<S: UserStore>(
    store: &S,
    new: NewUser,
    delivery: Delivery,
    now: i64,
) -> Result<(User, Invite, InviteToken)> {
    store_invited(store, new_record(new, now), delivery, None, now).await
}

/// Writes `user` with a new invite delivered as `delivery` and `grant`, if any, in one
/// transaction; the user, its invite and the invite's token.
async fn store_invited<S: UserStore>(
    store: &S,
    mut user: User,
    delivery: Delivery,
    grant: Option<&AppGrant>,
    now: i64,
) -> Result<(User, Invite, InviteToken)> {
    let (invite, token) = Invite::issue_for(&user, delivery, now)?;
    user.invite = Some(invite.hash.clone());
    let user = store_new(store, user, Some(&invite), grant).await?;
    Ok((user, invite, token))
}

/// A grant by e-mail to an address without an account (README "Applications and
/// sharing"): the invited user `new`, its name items, an invite mailed to its address
/// (so accepting it verifies the address) and the grant `grant` makes for the new user's
/// id, all in one transaction; also the invite's token, for the mail alone. 409 when the
/// address (or name) is taken, nothing written.
pub async fn invite_grantee<S: UserStore>(
    store: &S,
    new: NewUser,
    grant: impl FnOnce(&str) -> AppGrant,
    now: i64,
) -> Result<(User, AppGrant, InviteToken)> {
    let user = new_record(new, now);
    let grant = grant(&user.id);
    let (user, _, token) = store_invited(store, user, Delivery::Email, Some(&grant), now).await?;
    Ok((user, grant, token))
}

/// Resets a user's credentials (README "People"): one transaction removes the password,
/// sets `invited`, deletes its sessions and its old invite and writes a new link
/// invite. `Ok(None)`: no such user.
pub async fn reset_credentials<S: UserStore>(
    store: &S,
    id: &str,
    now: i64,
) -> Result<Option<(Invite, InviteToken)>> {
    let reset = reissue_invite(store, id, Delivery::Link, now).await?;
    Ok(reset.map(|(_, invite, token)| (invite, token)))
}

/// [`reset_credentials`] with the new invite delivered as `delivery`; also the user as
/// it was read (its address is where an e-mailed invite goes).
pub async fn reissue_invite<S: UserStore>(
    store: &S,
    id: &str,
    delivery: Delivery,
    now: i64,
) -> Result<Option<(User, Invite, InviteToken)>> {
    for _ in 0..CHANGE_TRIES {
        let Some(user) = store.get_user(id).await? else {
            return Ok(None);
        };
        super::directory::refuse_pending(&user)?;
        let (invite, token) = Invite::issue_for(&user, delivery, now)?;
        if store
            .change_sessions(&user.reset_credentials(invite.clone()))
            .await?
        {
            return Ok(Some((user, invite, token)));
        }
    }
    Err(Error::Busy("user record"))
}

/// Writes a new user with its invite and grant, if any ([`UserStore::create_user`]);
/// 409 when the name or e-mail is taken.
pub(super) async fn store_new<S: UserStore>(
    store: &S,
    user: User,
    invite: Option<&Invite>,
    grant: Option<&AppGrant>,
) -> Result<User> {
    if store.create_user(&user, invite, grant).await? {
        Ok(user)
    } else {
        Err(Error::Conflict("the username or email is taken".into()))
    }
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
        assert_eq!(c.credentials.issue, Some(invite.clone()));
        assert_eq!(c.credentials.revoke.as_deref(), Some("old"));
        let old = Invite {
            hash: "old".into(),
            ..invite
        };
        let c = user(2).accept_invite(&old, PasswordHash("p".into()), 5);
        assert_eq!(c.status, Some(UserStatus::Active));
        assert_eq!(c.credentials.revoke.as_deref(), Some("old"));
        assert!(c.credentials.revoke_must_exist && c.delete.is_empty());
        assert!(
            !c.credentials.verify_email,
            "a link handed over proves nothing"
        );
    }

    #[test]
    fn only_an_invite_mailed_to_the_current_address_verifies_it() {
        let u = user(0);
        let (linked, _) = Invite::issue_for(&u, Delivery::Link, 7).unwrap();
        let (mailed, _) = Invite::issue_for(&u, Delivery::Email, 7).unwrap();
        assert_eq!(
            (linked.delivery(), linked.emailed_to.clone()),
            (Delivery::Link, None)
        );
        assert_eq!(mailed.delivery(), Delivery::Email);
        let address = u.email.clone().unwrap();
        assert_eq!(mailed.emailed_to.as_deref(), Some(address.key()));
        let phc = || PasswordHash("p".into());
        assert!(!u.accept_invite(&linked, phc(), 8).credentials.verify_email);
        assert!(u.accept_invite(&mailed, phc(), 8).credentials.verify_email);
        // The address changed since the invite was mailed: the mailbox reached is not
        // the user's any more.
        let moved = User {
            email: Some(Email::parse("elsewhere@example.com").unwrap()),
            ..u.clone()
        };
        assert!(
            !moved
                .accept_invite(&mailed, phc(), 8)
                .credentials
                .verify_email
        );
        // The address in another case is the same mailbox.
        let upper = User {
            email: Some(Email::parse(&address.shown().to_uppercase()).unwrap()),
            ..u.clone()
        };
        assert!(
            upper
                .accept_invite(&mailed, phc(), 8)
                .credentials
                .verify_email
        );
        // A user a provider created without an address: a link, never a mail.
        let none = User { email: None, ..u };
        assert!(Invite::issue_for(&none, Delivery::Link, 7).is_ok());
        assert!(
            matches!(Invite::issue_for(&none, Delivery::Email, 7), Err(Error::Conflict(m)) if m == NO_EMAIL)
        );
        for d in [Delivery::Link, Delivery::Email] {
            assert_eq!(Delivery::parse(d.as_str()), Some(d));
        }
        assert_eq!(Delivery::default(), Delivery::Link);
    }
}
