//! Password reset (README "People", password reset): who may be sent a reset link, and
//! the one change a reset makes.
//!
//! A reset link is an e-mail token (`etoken#<sha256>`, purpose `reset_password`, 30
//! minutes) bound to the user's address and to its `password_changed_at` when the
//! link was sent ([`super::signup::EmailToken::issued_for`]), so a reset, or a change,
//! kills every other reset link. The reset itself is one transaction: the token
//! deleted (it must still exist), the new password hash, and every session deleted.

use super::signup::EmailToken;
use super::{CredentialChange, PasswordHash, PasswordPart, SessionChange, User, UserStatus};

impl User {
    /// Whether a reset link may be sent to this user at `now`: an active account only
    /// (an invited user has its invite, a disabled one is refused, a pending sign-up
    /// has its verification link).
    pub fn may_reset_password(&self, now: i64) -> bool {
        self.status == UserStatus::Active && self.holds_names_at(now)
    }

    /// Resets the password with `token`: the token spent, the new hash, every listed
    /// session deleted; the user stays active and nothing signs in.
    pub fn reset_password(&self, token: &EmailToken, phc: PasswordHash, now: i64) -> SessionChange {
        SessionChange {
            credentials: CredentialChange {
                password: Some(PasswordPart::Set(phc, now)),
                spend_token: Some(token.hash.clone()),
                ..CredentialChange::default()
            },
            ..self.ending_every_session(UserStatus::Active)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::signup::TokenPurpose;
    use super::*;
    use crate::credentials::users::tests::user;

    #[test]
    fn a_reset_spends_its_token_and_ends_every_session() {
        let u = user(3);
        let (token, _) = EmailToken::issue(
            TokenPurpose::ResetPassword,
            &u,
            u.email.as_ref().unwrap(),
            100,
        );
        assert_eq!(token.expires_at, 100 + 30 * 60);
        let c = u.reset_password(&token, PasswordHash("new".into()), 120);
        assert_eq!(c.delete, ["h0", "h1", "h2"]);
        assert!(c.sessions.is_empty() && c.open.is_none());
        assert_eq!(c.status, Some(UserStatus::Active));
        assert_eq!(
            c.credentials.spend_token.as_deref(),
            Some(token.hash.as_str())
        );
        assert_eq!(
            c.credentials.password,
            Some(PasswordPart::Set(PasswordHash("new".into()), 120))
        );
        assert!(c.credentials.revoke.is_none() && !c.credentials.verify_email);
    }

    #[test]
    fn a_link_dies_when_the_password_or_the_address_changes() {
        let mut u = user(0);
        u.password_changed_at = Some(50);
        let (token, _) = EmailToken::issue(
            TokenPurpose::ResetPassword,
            &u,
            u.email.as_ref().unwrap(),
            100,
        );
        assert!(token.issued_for(&u));
        let mut changed = u.clone();
        changed.password_changed_at = Some(120);
        assert!(!token.issued_for(&changed), "a reset or change kills it");
        let mut moved = u.clone();
        moved.email = Some(super::super::Email::parse("bob@example.com").unwrap());
        assert!(!token.issued_for(&moved));
        // A verification link does not depend on the password.
        let (verify, _) = EmailToken::issue(
            TokenPurpose::VerifyEmail,
            &u,
            u.email.as_ref().unwrap(),
            100,
        );
        assert!(verify.issued_for(&changed));
    }

    #[test]
    fn only_active_accounts_are_sent_a_link() {
        let mut u = user(0);
        assert!(u.may_reset_password(0));
        for status in [
            UserStatus::Invited,
            UserStatus::Disabled,
            UserStatus::PendingVerification,
        ] {
            u.status = status;
            assert!(!u.may_reset_password(0), "{status:?}");
        }
    }
}
