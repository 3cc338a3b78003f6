//! People (creators and end users): the user record, its session list, the user
//! session the authorizer reads, and the ports that store them (README "People").
//!
//! A user is `user#<id>` with the unique-name items `uname#<username>` and
//! `email#<e-mail>` written in the same transaction, so two users never share either
//! under any race. The user lists the hashes of its live sessions (at most
//! [`MAX_SESSIONS`], oldest first); every change to that list, and to the user's status,
//! writes the session items in the same transaction and is conditional on the user's
//! revision `rev`, so a session is never listed without existing or left behind by a
//! disable.

pub mod directory;
mod invites;
pub mod mail;
pub mod names;
mod reset;
pub mod settings;
pub mod signup;

use std::fmt;
use std::future::Future;

use secrecy::SecretString;

use crate::authz::apps::AppGrant;
use crate::authz::{Principal, PrincipalType, Scope};
use crate::credentials::password::{ContextWords, Passwords};
use crate::error::{Error, Result};
use crate::primitives::crypto::random_base62;

pub use self::directory::disable_user;
pub use self::invites::{
    CredentialChange, Delivery, INVITE_TTL_SECS, Invite, InviteToken, NO_EMAIL, PasswordPart,
    create_invited_user, invite_grantee, invite_new_user, reissue_invite, reset_credentials,
};
pub use self::names::{Email, Identifier, UserKind, Username};

/// Most live sessions of one user: a new one beyond them deletes the oldest.
pub const MAX_SESSIONS: usize = 20;
/// Length of a user id (base62).
pub const USER_ID_LEN: usize = 16;

/// Where a user stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Created by an administrator, no password yet: signs in like an unknown user.
    Invited,
    Active,
    /// Refused (403) after a correct password; holds no session.
    Disabled,
    /// Signed up, link not followed: 403 `email_not_verified` at sign-in (`signup.rs`).
    PendingVerification,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
            UserStatus::PendingVerification => "pending_verification",
        }
    }

    pub fn parse(s: &str) -> Option<UserStatus> {
        [
            UserStatus::Invited,
            UserStatus::Active,
            UserStatus::Disabled,
            UserStatus::PendingVerification,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

impl UserKind {
    /// The authorizer's principal of a user of this kind: type `creator` or `end_user`,
    /// its scopes (creators `data client`, end users `client`), its kind and roles.
    pub fn principal(self, user_id: &str, roles: Vec<String>) -> Principal {
        let (t, scopes): (_, &[Scope]) = match self {
            UserKind::Creator => (PrincipalType::Creator, &[Scope::Data, Scope::Client]),
            UserKind::EndUser => (PrincipalType::EndUser, &[Scope::Client]),
        };
        let scopes = scopes.iter().map(|s| s.as_str().to_owned()).collect();
        let mut p = Principal::new(t, user_id, scopes);
        p.user_kind = Some(self.as_str().to_owned());
        p.roles = roles;
        p
    }

    pub fn parse(s: &str) -> Option<UserKind> {
        [UserKind::Creator, UserKind::EndUser]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A stored Argon2id PHC string: not the password, but never shown or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// A user record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// 16 base62 characters.
    pub id: String,
    pub username: Option<Username>,
    /// `None` only for a user a provider created without a verified e-mail (README
    /// "Single sign-on", provisioning); such a user always has a user name.
    pub email: Option<Email>,
    pub email_verified: bool,
    pub display_name: Option<String>,
    pub kind: UserKind,
    pub roles: Vec<String>,
    pub status: UserStatus,
    /// `None` for an invited user.
    pub password: Option<PasswordHash>,
    pub password_changed_at: Option<i64>,
    /// The SHA-256 hash of its one live invite's token, if it has one.
    pub invite: Option<String>,
    /// The SHA-256 hashes of its live session ids, oldest first.
    pub sessions: Vec<String>,
    /// Its single sign-on identities (`crate::credentials::idps::identity`).
    pub identities: Vec<String>,
    /// Bumped by every change of the session list or the status.
    pub rev: u64,
    pub created_at: i64,
    pub created_by: String,
    /// A pending account's expiry (also on its name items); `None` for every other.
    pub expires_at: Option<i64>,
}

/// A user session (`usess#<sha256 of its id>`): what the authorizer needs, so a
/// request costs one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSession {
    pub user_id: String,
    pub kind: UserKind,
    pub roles: Vec<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// One change of a user's sessions, status and credentials (password, invite), written
/// in one transaction only if the user's `rev` is still the one read (the store then
/// bumps it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionChange {
    pub user_id: String,
    /// The revision read.
    pub rev: u64,
    /// The session list after the change.
    pub sessions: Vec<String>,
    /// A session to write (its hash and item); the user must still be active.
    pub open: Option<(String, UserSession)>,
    /// Session items to delete.
    pub delete: Vec<String>,
    /// A new status.
    pub status: Option<UserStatus>,
    /// The password and invite parts (none for a sign-in, sign-out or disable).
    pub credentials: CredentialChange,
}

impl User {
    /// A change of this user at its revision that changes nothing yet: the base every
    /// change below fills in.
    fn change(&self) -> SessionChange {
        SessionChange {
            user_id: self.id.clone(),
            rev: self.rev,
            sessions: self.sessions.clone(),
            open: None,
            delete: Vec::new(),
            status: None,
            credentials: CredentialChange::default(),
        }
    }

    /// A change that deletes and unlists every listed session, moving to `status`
    /// (a disable, a reset).
    fn ending_every_session(&self, status: UserStatus) -> SessionChange {
        SessionChange {
            sessions: Vec::new(),
            delete: self.sessions.clone(),
            status: Some(status),
            ..self.change()
        }
    }

    /// Opens a session: appended to the list; beyond [`MAX_SESSIONS`] the oldest are
    /// deleted, not just unlisted.
    pub fn open_session(&self, hash: String, session: UserSession) -> SessionChange {
        let mut sessions = self.sessions.clone();
        sessions.push(hash.clone());
        let excess = sessions.len().saturating_sub(MAX_SESSIONS);
        let delete = sessions.drain(..excess).collect();
        SessionChange {
            sessions,
            open: Some((hash, session)),
            delete,
            ..self.change()
        }
    }

    /// Closes one session (sign-out): deleted and unlisted.
    pub fn close_session(&self, hash: &str) -> SessionChange {
        SessionChange {
            sessions: self
                .sessions
                .iter()
                .filter(|h| *h != hash)
                .cloned()
                .collect(),
            delete: vec![hash.to_owned()],
            ..self.change()
        }
    }

    /// Disables the user: every listed session is deleted with the status change.
    pub fn disable(&self) -> SessionChange {
        self.ending_every_session(UserStatus::Disabled)
    }

    /// Changes its password (README "People", password change): the new hash, and every
    /// listed session but `keep` deleted. `keep` survives only if it is listed: an
    /// unlisted session item would outlive a later disable, so it is deleted too.
    pub fn change_password(&self, keep: &str, phc: PasswordHash, now: i64) -> SessionChange {
        let (kept, mut delete): (Vec<String>, Vec<String>) =
            self.sessions.iter().cloned().partition(|h| h == keep);
        if kept.is_empty() {
            delete.push(keep.to_owned());
        }
        SessionChange {
            sessions: kept,
            delete,
            credentials: CredentialChange {
                password: Some(PasswordPart::Set(phc, now)),
                ..CredentialChange::default()
            },
            ..self.change()
        }
    }

    /// The words of this user a new password must not contain.
    pub fn context_words(&self) -> ContextWords {
        ContextWords::new(
            self.username.as_ref().map(Username::as_str),
            self.email.as_ref().map(Email::shown),
        )
    }
}

/// The users and their sessions in the table (the users function; operator tools).
pub trait UserStore: Send + Sync {
    /// Writes `user` with its `uname#` and `email#` items (each if it has one) in one
    /// transaction, each only if absent. `Ok(false)`: the name or the e-mail is taken,
    /// nothing was written.
    /// With `invite`, the invite item is written in the same transaction; with `grant`
    /// (a grant by e-mail to an address without an account, README "Applications and
    /// sharing"), both items of the grant too.
    fn create_user(
        &self,
        user: &User,
        invite: Option<&Invite>,
        grant: Option<&AppGrant>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The invite of this token hash, if it exists (expired or not: the caller checks).
    fn get_invite(&self, hash: &str) -> impl Future<Output = Result<Option<Invite>>> + Send;
    /// The id of the user a sign-in identifier names, if any.
    fn find_user_id(
        &self,
        identifier: &Identifier,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    fn get_user(&self, id: &str) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Applies `change` in one transaction. `Ok(false)`: the user changed since it was
    /// read (or, when opening a session, is no longer active); nothing was written.
    fn change_sessions(&self, change: &SessionChange) -> impl Future<Output = Result<bool>> + Send;
    /// Replaces the password hash `old` with `new` (a rehash); `Ok(false)` if it is no
    /// longer `old`.
    fn replace_password_hash(
        &self,
        user_id: &str,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> impl Future<Output = Result<bool>> + Send;

    // Administration ([`directory`]): the name lists on `gsi1`, deletion.
    /// One page of `index`: at most `limit` entries whose name starts with `prefix`,
    /// after the name `after` (a Query on `gsi1`, never a Scan).
    fn user_index_page(
        &self,
        index: directory::NameIndex,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<directory::IndexPage>> + Send;
    /// Deletes the user, its `uname#` and `email#` items, its listed sessions, invite
    /// and identities, and its grants on the apps `grants` (both items of each) in one
    /// transaction, only if its `rev` is still the one read. `Ok(false)`: it changed.
    fn delete_user_records(
        &self,
        user: &User,
        grants: &[String],
    ) -> impl Future<Output = Result<bool>> + Send;
}

/// The user sessions as the authorizer reads them.
pub trait UserSessionStore: Send + Sync {
    /// The session, if it exists and has not expired at `now` (one consistent read).
    fn get_user_session(
        &self,
        hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<UserSession>>> + Send;
}

/// A user to create (already parsed from its request).
#[derive(Debug)]
pub struct NewUser {
    pub username: Option<Username>,
    pub email: Option<Email>,
    pub email_verified: bool,
    pub display_name: Option<String>,
    pub kind: UserKind,
    pub roles: Vec<String>,
    /// `None`: the user is invited and sets a password later.
    pub password: Option<SecretString>,
    /// Who created it (an administrator's name, `bootstrap`, ...).
    pub created_by: String,
}

/// Creates a user: the password policy (with the user's own context words), the hash,
/// and the transaction that takes its name and e-mail. 400 when the password is
/// refused (saying why), 409 when the name or e-mail is taken. The one way users are
/// created.
pub async fn create_user<S: UserStore>(
    store: &S,
    passwords: &Passwords,
    new: NewUser,
    now: i64,
) -> Result<User> {
    let password = new.password.clone();
    let mut user = new_record(new, now);
    if let Some(password) = &password {
        passwords
            .policy()
            .check(password, &user.context_words())
            .map_err(|why| Error::bad_request(format!("password: {why}")))?;
        user.password = Some(PasswordHash(passwords.hash(password).await?));
        user.password_changed_at = Some(now);
        user.status = UserStatus::Active;
    }
    invites::store_new(store, user, None, None).await
}

/// The record of a new user: `invited`, no password, no session, a fresh id.
pub(crate) fn new_record(new: NewUser, now: i64) -> User {
    User {
        id: random_base62(USER_ID_LEN),
        username: new.username,
        email: new.email,
        email_verified: new.email_verified,
        display_name: new.display_name,
        kind: new.kind,
        roles: new.roles,
        status: UserStatus::Invited,
        password: None,
        password_changed_at: None,
        invite: None,
        sessions: Vec::new(),
        identities: Vec::new(),
        rev: 0,
        created_at: now,
        created_by: new.created_by,
        expires_at: None,
    }
}

/// How often a change conditional on the user's revision is retried (then 503).
pub const CHANGE_TRIES: usize = 4;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A user with `sessions` listed sessions and a live invite `old` (also the
    /// fixture of the invites' tests).
    pub(crate) fn user(sessions: usize) -> User {
        User {
            id: "U1".into(),
            username: Some(Username::parse("ann").unwrap()),
            email: Some(Email::parse("Ann@example.com").unwrap()),
            email_verified: true,
            display_name: None,
            kind: UserKind::Creator,
            roles: vec![],
            status: UserStatus::Active,
            password: Some(PasswordHash("$argon2id$secret-ish".into())),
            password_changed_at: None,
            invite: Some("old".into()),
            sessions: (0..sessions).map(|i| format!("h{i}")).collect(),
            identities: Vec::new(),
            rev: 7,
            created_at: 0,
            created_by: "test".into(),
            expires_at: None,
        }
    }

    fn session() -> UserSession {
        UserSession {
            user_id: "U1".into(),
            kind: UserKind::Creator,
            roles: vec![],
            created_at: 0,
            expires_at: 10,
        }
    }

    #[test]
    fn the_twenty_first_session_deletes_the_oldest() {
        let c = user(MAX_SESSIONS - 1).open_session("new".into(), session());
        assert_eq!(c.sessions.len(), MAX_SESSIONS);
        assert!(c.delete.is_empty());
        let c = user(MAX_SESSIONS).open_session("new".into(), session());
        assert_eq!(c.sessions.len(), MAX_SESSIONS);
        assert_eq!(c.delete, ["h0"]);
        assert_eq!(c.sessions.last().map(String::as_str), Some("new"));
        assert_eq!(c.rev, 7);
    }

    #[test]
    fn sign_out_and_disable_delete_what_they_unlist() {
        let c = user(3).close_session("h1");
        assert_eq!(c.sessions, ["h0", "h2"]);
        assert_eq!(c.delete, ["h1"]);
        let c = user(3).disable();
        assert!(c.sessions.is_empty());
        assert_eq!(c.delete, ["h0", "h1", "h2"]);
        assert_eq!(c.status, Some(UserStatus::Disabled));
    }

    #[test]
    fn a_password_change_keeps_only_the_callers_listed_session() {
        let c = user(3).change_password("h1", PasswordHash("new".into()), 9);
        assert_eq!(c.sessions, ["h1"]);
        assert_eq!(c.delete, ["h0", "h2"]);
        assert_eq!(
            c.credentials.password,
            Some(PasswordPart::Set(PasswordHash("new".into()), 9))
        );
        assert_eq!((c.status, c.rev), (None, 7));
        // An unlisted session is not kept: it is deleted with the others.
        let c = user(2).change_password("gone", PasswordHash("new".into()), 9);
        assert!(c.sessions.is_empty());
        assert_eq!(c.delete, ["h0", "h1", "gone"]);
    }

    #[test]
    fn kinds_map_to_principals_and_scopes() {
        let creator = UserKind::Creator.principal("u", vec!["r".into()]);
        assert_eq!(creator.principal_type, PrincipalType::Creator);
        assert_eq!(
            (creator.scopes.join(" "), creator.roles),
            ("data client".into(), vec!["r".to_owned()])
        );
        let end_user = UserKind::EndUser.principal("u", vec![]);
        assert_eq!(
            (end_user.principal_type, end_user.scopes),
            (PrincipalType::EndUser, vec!["client".to_owned()])
        );
        assert_eq!(end_user.user_kind.as_deref(), Some("end_user"));
        assert_eq!(UserKind::parse("end_user"), Some(UserKind::EndUser));
        assert_eq!(UserStatus::parse("invited"), Some(UserStatus::Invited));
        assert_eq!(UserStatus::parse("Active"), None);
    }

    #[test]
    fn the_password_hash_is_never_in_debug_output() {
        let shown = format!("{:?}", user(0));
        assert!(!shown.contains("secret-ish"), "{shown}");
    }
}
