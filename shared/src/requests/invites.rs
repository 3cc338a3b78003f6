//! The invite bodies (README "People", invites): an administrator creates a user or
//! resets its credentials, the invite delivered as a link or by e-mail; the invited
//! person accepts with a password. Strict: an unknown field or delivery is a 400; a
//! refusal never echoes a token or a password.

use secrecy::SecretString;
use serde::Deserialize;

use crate::credentials::users::{Delivery, NewUser};
use crate::error::Result;
use crate::requests::users::{Email, UserKind, Username, parse_display_name, parse_roles};

/// `POST /admin/users` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    pub kind: UserKind,
    #[serde(default)]
    pub roles: Vec<String>,
    /// `link` (the default): the answer holds the link; `email`: it is mailed to
    /// `email` and the answer says where (409 `email_not_configured` without
    /// `EMAIL_FROM`).
    #[serde(default)]
    pub delivery: Delivery,
}

impl CreateUser {
    /// The user to create, invited (no password, e-mail not verified), by `admin`.
    pub fn new_user(&self, admin: &str) -> Result<NewUser> {
        Ok(NewUser {
            username: self.username.as_deref().map(Username::parse).transpose()?,
            email: Some(Email::parse(&self.email)?),
            email_verified: false,
            display_name: parse_display_name(self.display_name.as_deref())?,
            kind: self.kind,
            roles: parse_roles(&self.roles)?,
            password: None,
            created_by: admin.to_owned(),
        })
    }
}

/// `POST /admin/users/reset-credentials` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetCredentials {
    pub user_id: String,
    /// As [`CreateUser::delivery`]; `email` mails the new link to the user's address.
    #[serde(default)]
    pub delivery: Delivery,
}

/// `POST /users/invite/accept` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    /// The token of the link's fragment (`#invite=<token>`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub token: SecretString,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub new_password: SecretString,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::users::MAX_DISPLAY_NAME;
    use crate::requests::widget::from_json;
    use serde_json::json;

    #[test]
    fn the_bodies_are_strict_and_never_echo_a_secret() {
        let ok: CreateUser = from_json(json!({"email": "A@x.io", "kind": "creator"})).unwrap();
        let new = ok.new_user("admin").unwrap();
        assert!(!new.email_verified && new.password.is_none() && new.roles.is_empty());
        for bad in [
            json!({"email": "a@x.io"}),
            json!({"email": "a@x.io", "kind": "creator", "password": "x"}),
            json!({"email": "a@x.io", "kind": "root"}),
        ] {
            assert!(from_json::<CreateUser>(bad).is_err());
        }
        let long = "d".repeat(MAX_DISPLAY_NAME + 1);
        let b: CreateUser =
            from_json(json!({"email": "a@x.io", "kind": "end_user", "display_name": long}))
                .unwrap();
        assert_eq!(
            b.new_user("a").err().map(|e| e.status().as_u16()),
            Some(400)
        );
        for bad in [
            json!({"token": "XYZZY-token"}),
            json!({"token": "XYZZY-token", "new_password": "XYZZY-pw", "x": 1}),
        ] {
            let err = from_json::<AcceptInvite>(bad).err().expect("refused");
            assert!(!err.to_string().contains("XYZZY"), "{err}");
        }
        assert!(from_json::<ResetCredentials>(json!({"user_id": "U", "more": 1})).is_err());
    }

    #[test]
    fn delivery_is_link_unless_asked_and_an_unknown_one_names_the_field() {
        let b: CreateUser = from_json(json!({"email": "a@x.io", "kind": "creator"})).unwrap();
        assert_eq!(b.delivery, Delivery::Link);
        let b: ResetCredentials = from_json(json!({"user_id": "U"})).unwrap();
        assert_eq!(b.delivery, Delivery::Link);
        let b: ResetCredentials = from_json(json!({"user_id": "U", "delivery": "email"})).unwrap();
        assert_eq!(b.delivery, Delivery::Email);
        for bad in [json!("sms"), json!("EMAIL"), json!(1), json!(null)] {
            let body = json!({"email": "a@x.io", "kind": "creator", "delivery": bad});
            let err = from_json::<CreateUser>(body).err().expect("refused");
            assert_eq!(err.status().as_u16(), 400);
            assert!(err.to_string().contains("`delivery`"), "{err}");
            let body = json!({"user_id": "U", "delivery": bad});
            let err = from_json::<ResetCredentials>(body).err().expect("refused");
            assert!(err.to_string().contains("`delivery`"), "{err}");
        }
    }
}
