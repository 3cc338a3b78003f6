//! E-mail to people (README "People", sign-up): plain text, one link each, never a
//! password. The users function alone sends, from `EMAIL_FROM`, through [`Mailer`]
//! (Amazon SES v2 in `adapters/ses.rs`). A message carrying a link holds a token, so
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
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::AlreadyRegistered => "already_registered",
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
