//! The invite routes' answers (README "People", invites).

use serde::Serialize;

use crate::answers::users::UserInfo;

/// `POST /admin/users`: the new (invited) user and its invite link, shown once.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedUser {
    pub user: UserInfo,
    /// `<USER_UI_URL>#invite=<token>`: single use, until `invite_expires_at`.
    pub invite_link: String,
    /// Seconds since the epoch; the link is refused from then on.
    pub invite_expires_at: i64,
}

/// `POST /admin/users/reset-credentials`: the user's new invite link (the old one and
/// its sessions are gone).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialsReset {
    pub user_id: String,
    pub invite_link: String,
    pub invite_expires_at: i64,
}

/// `POST /users/invite/accept`: the password is set; nobody is signed in.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteAccepted {
    pub accepted: bool,
}
