//! The sign-up bodies (README "People", sign-up): a new person's address, password and
//! optional names; the token of a verification link; a password reset's address, then
//! its token and new password. Strict: an unknown field is a
//! 400; a refusal never echoes a password or a token.

use secrecy::SecretString;
use serde::Deserialize;

use crate::credentials::password::ContextWords;
use crate::error::Result;
use crate::requests::users::{Email, Username, parse_display_name};

/// `POST /users/signup` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Signup {
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub password: SecretString,
    /// A public handle; generated when absent.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A sign-up's fields, parsed.
#[derive(Debug)]
pub struct SignupFields {
    pub email: Email,
    pub username: Option<Username>,
    pub display_name: Option<String>,
}

impl Signup {
    /// The fields, each refusal a 400 naming the field.
    pub fn fields(&self) -> Result<SignupFields> {
        Ok(SignupFields {
            email: Email::parse(&self.email)?,
            username: self.username.as_deref().map(Username::parse).transpose()?,
            display_name: parse_display_name(self.display_name.as_deref())?,
        })
    }
}

impl SignupFields {
    /// The words the password must not contain: taken from the request alone, so the
    /// policy's answer is the same whether or not the address has an account.
    pub fn context_words(&self) -> ContextWords {
        ContextWords::new(
            self.username.as_ref().map(Username::as_str),
            Some(self.email.shown()),
        )
    }
}

/// `POST /users/verify-email` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyEmail {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub token: SecretString,
}

/// `POST /users/password/forgot` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ForgotPassword {
    pub email: String,
}

impl ForgotPassword {
    /// The address (400 naming the field).
    pub fn email(&self) -> Result<Email> {
        Email::parse(&self.email)
    }
}

/// `POST /users/password/reset` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// The token of the link's fragment (`#reset=<token>`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub token: SecretString,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub new_password: SecretString,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::widget::from_json;
    use serde_json::json;

    #[test]
    fn the_signup_body_is_strict_and_never_echoes_the_password() {
        let b: Signup =
            from_json(json!({"email": " Ann@Example.com", "password": "pw-SECRET"})).unwrap();
        let f = b.fields().unwrap();
        assert_eq!(
            (f.email.key(), f.username, f.display_name),
            ("ann@example.com", None, None)
        );
        for bad in [
            json!({"email": "a@x.io"}),
            json!({"password": "pw-SECRET"}),
            json!({"email": "a@x.io", "password": "pw-SECRET", "kind": "creator"}),
            json!({"email": "a@x.io", "password": "pw-SECRET", "roles": ["admin"]}),
        ] {
            let e = from_json::<Signup>(bad).err().unwrap();
            assert_eq!(e.status(), 400);
            assert!(!e.to_string().contains("pw-SECRET"), "{e}");
        }
        for (field, bad) in [
            ("email", json!({"email": "nope", "password": "pw-SECRET"})),
            (
                "username",
                json!({"email": "a@x.io", "password": "pw-SECRET", "username": "a b"}),
            ),
        ] {
            let b: Signup = from_json(bad).unwrap();
            let e = b.fields().unwrap_err();
            assert!(
                e.to_string().contains(field) && !e.to_string().contains("pw-SECRET"),
                "{e}"
            );
        }
        assert!(from_json::<VerifyEmail>(json!({"token": "t", "x": 1})).is_err());
    }
}
