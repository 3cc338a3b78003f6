//! The invite routes' answers (README "People", invites). A link invite's answer holds
//! the link (shown once); an e-mailed invite's answer says where it went and never holds
//! the link or its token.

use serde::Serialize;

use crate::answers::users::UserInfo;
use crate::credentials::users::Delivery;

/// `POST /admin/users`: the new (invited) user and its invite: the link, shown once, or
/// (`delivery: "email"`) the address it was mailed to.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedUser {
    pub user: UserInfo,
    #[serde(flatten)]
    pub invite: SentInvite,
    /// Seconds since the epoch; the link is refused from then on.
    pub invite_expires_at: i64,
}

/// `POST /admin/users/reset-credentials`: the user's new invite, as in [`CreatedUser`]
/// (the old link and the sessions are gone).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialsReset {
    pub user_id: String,
    #[serde(flatten)]
    pub invite: SentInvite,
    pub invite_expires_at: i64,
}

/// How an invite reached its person, in both answers: the link (a link answer is what
/// it was before invites were mailed), or the delivery and the address.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SentInvite {
    /// `email` when the invite was mailed; absent for a link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// `<USER_UI_URL>#invite=<token>`: single use, until `invite_expires_at`; a link
    /// invite only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_link: Option<String>,
    /// The address the link was mailed to (as entered); an e-mailed invite only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_sent_to: Option<String>,
}

impl SentInvite {
    /// A link handed to the administrator.
    pub fn link(link: String) -> SentInvite {
        SentInvite {
            delivery: None,
            invite_link: Some(link),
            invite_sent_to: None,
        }
    }

    /// A link mailed to `to`.
    pub fn mailed(to: &str) -> SentInvite {
        SentInvite {
            delivery: Some(Delivery::Email),
            invite_link: None,
            invite_sent_to: Some(to.to_owned()),
        }
    }
}

/// `POST /users/invite/accept`: the password is set; nobody is signed in.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteAccepted {
    pub accepted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::users::UserKind;

    fn user() -> UserInfo {
        UserInfo {
            id: "U".into(),
            username: None,
            email: Some("Ann@example.com".into()),
            email_verified: false,
            display_name: None,
            kind: UserKind::Creator,
            roles: vec![],
        }
    }

    #[test]
    fn a_link_answer_keeps_its_fields_and_an_email_answer_holds_no_link() {
        let a = CreatedUser {
            user: user(),
            invite: SentInvite::link("https://ui/#invite=T".into()),
            invite_expires_at: 9,
        };
        let text = serde_json::to_string(&a).unwrap();
        assert!(
            text.ends_with(r#"},"invite_link":"https://ui/#invite=T","invite_expires_at":9}"#),
            "{text}"
        );
        let r = CredentialsReset {
            user_id: "U".into(),
            invite: SentInvite::mailed("Ann@example.com"),
            invite_expires_at: 9,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"user_id":"U","delivery":"email","invite_sent_to":"Ann@example.com","invite_expires_at":9}"#
        );
    }
}
