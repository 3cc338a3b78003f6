//! What the users function reads from a request (issue 17): the sign-in body, and
//! the names of people it carries (their types live with the user records in
//! `credentials::users::names`, re-exported here). Pure, fuzzed without the `aws`
//! feature; a refusal never echoes a password.

use secrecy::SecretString;
use serde::Deserialize;

use crate::error::Result;

pub use crate::credentials::users::names::{
    Email, Identifier, MAX_EMAIL_LEN, MAX_ROLES, UserKind, Username, parse_roles,
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
}
