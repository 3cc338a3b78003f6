//! The users function's answers.

use serde::Serialize;

use crate::credentials::users::{User, UserKind};

/// A person as they see themselves (never the password hash or the session list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserInfo {
    /// 16 base62 characters.
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// As entered; absent for a user a provider created without a verified e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub email_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub kind: UserKind,
    pub roles: Vec<String>,
}

impl From<&User> for UserInfo {
    fn from(u: &User) -> Self {
        UserInfo {
            id: u.id.clone(),
            username: u.username.as_ref().map(|n| n.as_str().to_owned()),
            email: u.email.as_ref().map(|e| e.shown().to_owned()),
            email_verified: u.email_verified,
            display_name: u.display_name.clone(),
            kind: u.kind,
            roles: u.roles.clone(),
        }
    }
}

/// `POST /users/signin` (the cookie `__Host-gh_user` is set) and `GET /users/me`: who
/// is signed in, until when.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedInUser {
    pub user: UserInfo,
    /// When the session ends (seconds since the epoch).
    pub expires_at: i64,
}

/// `POST /users/signout`: the session is gone and the cookie cleared.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSignedOut {
    pub signed_out: bool,
}

/// `POST /users/password/change`: the new password is set; every other session of the
/// user is gone.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChanged {
    pub changed: bool,
    /// How many other sessions were signed out.
    pub signed_out_sessions: usize,
}

/// `POST /users/signup` (202): the same answer whether the address was new, already
/// registered, or verification is off (README "People", sign-up).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupAccepted {
    pub accepted: bool,
    pub message: &'static str,
}

impl SignupAccepted {
    pub const ANSWER: SignupAccepted = SignupAccepted {
        accepted: true,
        message: "If this address can be used, it will receive a message, or you can sign in.",
    };
}

/// `GET /users/signup/config`: what a sign-up page shows before anyone types.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupPageConfig {
    pub mode: crate::credentials::users::settings::SignupMode,
    /// The domains a `domain` sign-up admits (empty in the other modes).
    pub allowed_domains: Vec<String>,
    /// Whether a new account waits for its e-mail link before it signs in.
    pub email_verification: bool,
    pub password_policy: crate::credentials::password::PasswordRules,
}

/// `POST /users/verify-email`: the account is active; sign in to use it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailVerified {
    pub verified: bool,
}

/// `POST /users/password/forgot`: the one answer, whatever the address.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetRequested {
    pub accepted: bool,
    pub message: &'static str,
}

impl ResetRequested {
    pub const ANSWER: ResetRequested = ResetRequested {
        accepted: true,
        message: "If this address has an account, it will receive a message.",
    };
}

/// `POST /users/password/reset`: the new password is set and every session was signed
/// out; sign in to use it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    pub reset: bool,
    pub signed_out_sessions: usize,
}
