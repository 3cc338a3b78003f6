//! Self-service sign-up (README "People", sign-up): the e-mail token that verifies an
//! address, the `pending_verification` account it activates, and the store operations
//! that write both.
//!
//! A pending account, its `uname#` and its `email#` item carry `expires_at` (7 days):
//! the uniqueness conditions treat an expired pending holder as free, and the
//! transaction that takes its name replaces it (TTL deletion can lag by days).
//! Verification removes the expiry from all three in one transaction with the token's
//! deletion, so a token verifies once.

use std::future::Future;

use secrecy::SecretString;

use super::{Email, User, UserStatus};
use crate::error::Result;
use crate::primitives::crypto::{random_id, sha256_hex};

/// How long a pending account holds its name and e-mail (README "People").
pub const PENDING_TTL_SECS: i64 = 7 * 86_400;
/// How long a verification link can be used.
pub const VERIFY_TTL_SECS: i64 = 24 * 3600;
/// How long a password reset link can be used (README "People", password reset).
pub const RESET_TTL_SECS: i64 = 30 * 60;

/// What an e-mail token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }

    pub fn parse(s: &str) -> Option<TokenPurpose> {
        [TokenPurpose::VerifyEmail, TokenPurpose::ResetPassword]
            .into_iter()
            .find(|p| p.as_str() == s)
    }

    /// How long a token of this purpose can be used.
    pub fn ttl_secs(self) -> i64 {
        match self {
            TokenPurpose::VerifyEmail => VERIFY_TTL_SECS,
            TokenPurpose::ResetPassword => RESET_TTL_SECS,
        }
    }
}

/// An e-mail token (`etoken#<sha256 of the token>`): single use, for one purpose, one
/// user and the address it was sent to, until `expires_at` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailToken {
    pub hash: String,
    pub purpose: TokenPurpose,
    pub user_id: String,
    /// The lower-cased address the link went to: the user must still have it.
    pub email_key: String,
    /// The user's `password_changed_at` when the token was issued: a reset link works
    /// only while the password is still the one it was sent for, so a reset (or a
    /// change) kills every other reset link.
    pub password_changed_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl EmailToken {
    /// A new 256-bit token for `user`, mailed to its address `to`, and its record; the
    /// token is shown once, in the link, never stored or logged.
    pub fn issue(
        purpose: TokenPurpose,
        user: &User,
        to: &Email,
        now: i64,
    ) -> (EmailToken, SecretString) {
        let token = random_id();
        let record = EmailToken {
            hash: sha256_hex(token.as_bytes()),
            purpose,
            user_id: user.id.clone(),
            email_key: to.key().to_owned(),
            password_changed_at: user.password_changed_at,
            created_at: now,
            expires_at: now + purpose.ttl_secs(),
        };
        (record, SecretString::from(token))
    }

    /// Whether it may still be used at `now` for `purpose`.
    pub fn usable_at(&self, purpose: TokenPurpose, now: i64) -> bool {
        self.purpose == purpose && self.expires_at > now
    }

    /// Whether it was issued for `user` as it is now: the same address and, for a
    /// reset, the same password.
    pub fn issued_for(&self, user: &User) -> bool {
        let same_password = self.purpose != TokenPurpose::ResetPassword
            || user.password_changed_at == self.password_changed_at;
        let same_address = user.email.as_ref().map(Email::key) == Some(self.email_key.as_str());
        user.id == self.user_id && same_address && same_password
    }
}

impl User {
    /// Whether this record still holds its name and e-mail at `now`: everything but a
    /// pending account past its expiry (`expires_at < now`, the condition the table's
    /// writes use).
    pub fn holds_names_at(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|t| t >= now)
    }

    /// Whether it waits for its e-mail link (and has not expired).
    pub fn is_pending(&self) -> bool {
        self.status == UserStatus::PendingVerification
    }
}

/// A new account from a sign-up: written only if its name and e-mail are free (absent,
/// or held by an expired pending account); `replaces` is that expired holder of the
/// e-mail, deleted in the same transaction.
#[derive(Debug)]
pub struct SignupRecords<'a> {
    pub user: &'a User,
    pub token: Option<&'a EmailToken>,
    pub replaces: Option<&'a User>,
    pub now: i64,
}

/// The sign-up's records in the table.
pub trait SignupStore: Send + Sync {
    /// Writes the records in one transaction. `Ok(false)`: the name or the e-mail is
    /// held (or the replaced holder changed); nothing was written.
    fn create_signup_user(
        &self,
        records: &SignupRecords<'_>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Writes a new token (a password reset's; a sign-up's goes with its user).
    fn put_email_token(&self, token: &EmailToken) -> impl Future<Output = Result<()>> + Send;
    /// The token of this hash, if its item exists (expired or not: the caller checks).
    fn get_email_token(
        &self,
        hash: &str,
    ) -> impl Future<Output = Result<Option<EmailToken>>> + Send;
    /// Verifies `user` with `token` in one transaction: the token deleted (it must
    /// exist), the user `active` with `email_verified` and no expiry (only if still
    /// pending at the revision read), the expiry removed from its name items.
    /// `Ok(false)`: the token is gone or the user changed; nothing was written.
    fn verify_email(
        &self,
        user: &User,
        token: &EmailToken,
    ) -> impl Future<Output = Result<bool>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::users::tests::user;

    #[test]
    fn tokens_are_single_purpose_and_expire_at_their_second() {
        let mut u = user(0);
        let (t, secret) = EmailToken::issue(
            TokenPurpose::VerifyEmail,
            &u,
            u.email.as_ref().unwrap(),
            100,
        );
        use secrecy::ExposeSecret;
        assert_eq!(secret.expose_secret().len(), 43);
        assert_eq!(t.hash, sha256_hex(secret.expose_secret().as_bytes()));
        assert_eq!(
            (t.email_key.as_str(), t.expires_at),
            ("ann@example.com", 100 + 86_400)
        );
        assert!(t.usable_at(TokenPurpose::VerifyEmail, t.expires_at - 1));
        assert!(!t.usable_at(TokenPurpose::VerifyEmail, t.expires_at));
        u.expires_at = Some(50);
        assert!(u.holds_names_at(50) && !u.holds_names_at(51));
        u.expires_at = None;
        assert!(u.holds_names_at(i64::MAX));
    }
}
