//! What the users function reads from a request (issue 17): the sign-in body, and
//! the names of people it carries (their types live with the user records in
//! `credentials::users::names`, re-exported here). Pure, fuzzed without the `aws`
//! feature; a refusal never echoes a password.

use secrecy::SecretString;
use serde::Deserialize;

use crate::error::Result;

pub use crate::credentials::users::names::{
    Email, Identifier, MAX_DISPLAY_NAME, MAX_EMAIL_LEN, MAX_ROLES, UserKind, Username,
    parse_display_name, parse_roles,
};

/// `POST /users/signin` body (strict).
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserSigninRequest {
    /// The username or the e-mail.
    pub identifier: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub password: SecretString,
}

impl UserSigninRequest {
    /// The identifier, normalized; the password is checked by the sign-in (never here:
    /// a malformed identifier is a 400, any password is only ever a wrong one).
    pub fn identifier(&self) -> Result<Identifier> {
        Identifier::parse(&self.identifier)
    }
}

/// `POST /users/password/change` body (strict).
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub current_password: SecretString,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub new_password: SecretString,
}

impl ChangePassword {
    /// 400 when the new password is the current one (compared in constant time): a
    /// change that changes nothing would still sign out every other session.
    pub fn differs(&self) -> Result<()> {
        use secrecy::ExposeSecret;
        let same = crate::primitives::crypto::ct_eq(
            self.current_password.expose_secret().as_bytes(),
            self.new_password.expose_secret().as_bytes(),
        );
        if same {
            return Err(crate::error::Error::bad_request(
                "new_password: must differ from current_password",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::widget::from_json;
    use serde_json::json;

    #[test]
    fn the_signin_body_is_strict_and_never_echoes_the_password() {
        let ok: UserSigninRequest =
            from_json(json!({"identifier": "Alice", "password": "XYZZY-secret"})).unwrap();
        assert_eq!(ok.identifier().unwrap().counter_key(), "u:alice");
        for bad in [
            json!({"identifier": "alice"}),
            json!({"password": "XYZZY-secret"}),
            json!({"identifier": "alice", "password": "XYZZY-secret", "remember": true}),
            json!({"identifier": "alice", "password": 5}),
        ] {
            let err = from_json::<UserSigninRequest>(bad).err().expect("refused");
            assert_eq!(err.status(), 400);
            assert!(!err.to_string().contains("XYZZY"), "{err}");
        }
    }

    #[test]
    fn the_change_body_is_strict_and_needs_a_new_password() {
        let same: ChangePassword =
            from_json(json!({"current_password": "XYZZY-secret", "new_password": "XYZZY-secret"}))
                .unwrap();
        let err = same.differs().expect_err("refused");
        assert_eq!(err.status(), 400);
        assert!(!err.to_string().contains("XYZZY"), "{err}");
        let other: ChangePassword =
            from_json(json!({"current_password": "XYZZY-a", "new_password": "XYZZY-b"})).unwrap();
        assert!(other.differs().is_ok());
        for bad in [
            json!({"current_password": "XYZZY-a"}),
            json!({"new_password": "XYZZY-b"}),
            json!({"current_password": "XYZZY-a", "new_password": "XYZZY-b", "all": true}),
        ] {
            let err = from_json::<ChangePassword>(bad).err().expect("refused");
            assert_eq!(err.status(), 400);
            assert!(!err.to_string().contains("XYZZY"), "{err}");
        }
    }
}
