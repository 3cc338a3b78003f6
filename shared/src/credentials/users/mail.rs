//! E-mail to people (README "People", sign-up): plain text, one link each, never a
//! password. The users function sends, from `EMAIL_FROM`, through [`Mailer`] (Amazon
//! SES v2 in `adapters/ses.rs`); the admin function sends only the invites an
//! administrator asks to have mailed (docs/DECISIONS.md "Invites by e-mail"). A message carrying a link holds a token, so
//! its text is a secret: never logged, never in Debug output.

use std::fmt;
use std::future::Future;

use secrecy::{ExposeSecret, SecretString};

use super::names::Email;
use crate::error::Result;

/// What a message is for (its log line says this, never its text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A new account's verification link (`#verify=`).
    VerifyEmail,
    /// A sign-up for an address that already has a verified account: no link.
    AlreadyRegistered,
    /// A password reset link (`#reset=`), asked for at `POST /users/password/forgot`.
    ResetPassword,
    /// The notice that a password was reset: no link.
    PasswordChanged,
    /// An administrator's invite (`#invite=`), delivered by e-mail.
    Invite,
    /// A creator shared an app with an address that had no account: its invite
    /// (`#invite=`).
    GrantInvite,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::AlreadyRegistered => "already_registered",
            Purpose::ResetPassword => "reset_password",
            Purpose::PasswordChanged => "password_changed",
            Purpose::Invite => "invite",
            Purpose::GrantInvite => "grant_invite",
        }
    }
}

/// One message to one address.
pub struct Message {
    pub to: Email,
    pub purpose: Purpose,
    pub subject: &'static str,
    /// Plain text; may hold a token link.
    pub text: SecretString,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

impl Message {
    /// The verification message: the link `<USER_UI_URL>#verify=<token>`, valid 24 h.
    pub fn verify_email(to: &Email, link: &SecretString) -> Message {
        Message {
            to: to.clone(),
            purpose: Purpose::VerifyEmail,
            subject: "Confirm your e-mail address",
            text: SecretString::from(format!(
                "Someone, hopefully you, signed up with this address.\n\n\
                 To confirm it and activate the account, open this link within 24 hours:\n\n\
                 {}\n\n\
                 If it was not you, ignore this message: the account is removed after 7 days.\n",
                link.expose_secret()
            )),
        }
    }

    /// The answer to a sign-up for an address that already has a verified account: it
    /// says so, and links nowhere (the sign-up itself answered like any other).
    pub fn already_registered(to: &Email) -> Message {
        Message {
            to: to.clone(),
            purpose: Purpose::AlreadyRegistered,
            subject: "You already have an account",
            text: SecretString::from(
                "Someone, hopefully you, tried to sign up with this address, which already \
                 has an account. Sign in with it instead; no new account was created.\n\n\
                 If it was not you, you can ignore this message.\n",
            ),
        }
    }

    /// The reset message: the link `<USER_UI_URL>#reset=<token>`, valid 30 minutes.
    pub fn reset_password(to: &Email, link: &SecretString) -> Message {
        Message {
            to: to.clone(),
            purpose: Purpose::ResetPassword,
            subject: "Reset your password",
            text: SecretString::from(format!(
                "Someone, hopefully you, asked to reset the password of the account with \
                 this address.\n\n\
                 To choose a new password, open this link within 30 minutes:\n\n\
                 {}\n\n\
                 If it was not you, ignore this message: your password stays as it is.\n",
                link.expose_secret()
            )),
        }
    }

    /// The notice after a reset: every session was signed out; no link.
    pub fn password_changed(to: &Email) -> Message {
        Message {
            to: to.clone(),
            purpose: Purpose::PasswordChanged,
            subject: "Your password was changed",
            text: SecretString::from(
                "The password of the account with this address was just reset, and every \
                 session of the account was signed out.\n\n\
                 If it was not you, ask your administrator to reset your credentials now.\n",
            ),
        }
    }

    /// An administrator's invite: the link `<USER_UI_URL>#invite=<token>`, valid 72 hours.
    pub fn invite(to: &Email, link: &SecretString) -> Message {
        Message {
            to: to.clone(),
            purpose: Purpose::Invite,
            subject: "You are invited",
            text: SecretString::from(format!(
                "An administrator created an account for this address.\n\n\
                 To choose your password and activate it, open this link within 72 hours:\n\n\
                 {}\n\n\
                 If you did not expect this, ignore this message.\n",
                link.expose_secret()
            )),
        }
    }

    /// The invite of an address a creator shared an app with (README "Applications and
    /// sharing"): the link `<USER_UI_URL>#invite=<token>`, valid 72 hours. It names
    /// neither the app nor the creator: both are the creator's words, and a mail the
    /// service sends must not carry a stranger's text.
    pub fn grant_invite(to: &Email, link: &SecretString) -> Message {
        Message {
            to: to.clone(),
            purpose: Purpose::GrantInvite,
            subject: "An application was shared with you",
            text: SecretString::from(format!(
                "Someone shared an application with this address, and an account was \
                 created for it.\n\n\
                 To choose your password and open the application, use this link within \
                 72 hours:\n\n\
                 {}\n\n\
                 If you did not expect this, ignore this message: the link then expires.\n",
                link.expose_secret()
            )),
        }
    }
}

/// Sends e-mail. A throttled or failing service is an error (503), never a silent drop.
pub trait Mailer: Send + Sync {
    fn send(&self, message: &Message) -> impl Future<Output = Result<()>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_never_shows_its_text() {
        let to = Email::parse("ann@example.com").unwrap();
        let m = Message::verify_email(&to, &SecretString::from("https://ui/#verify=SECRETTOKEN"));
        assert!(m.text.expose_secret().contains("#verify=SECRETTOKEN"));
        let shown = format!("{m:?}");
        assert!(
            !shown.contains("SECRETTOKEN") && !shown.contains("ann@"),
            "{shown}"
        );
        assert_eq!(m.purpose.as_str(), "verify_email");
    }
}
