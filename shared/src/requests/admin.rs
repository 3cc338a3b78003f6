//! What the admin API reads from a request: the sign-in body (submitted keys or a
//! presigned STS request) and the admin API bodies (strict: no unknown fields). Pure
//! (no AWS types), so it is unit-tested and fuzzed without the `aws` feature; the
//! handlers are in `admin`, the session cookie is read by the headers primitive.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use crate::credentials::admin::PresignedRequest;
use crate::error::{Error, Result};

/// `POST /admin/signin` body: submitted keys (mode a) or a presigned request (mode b).
pub enum SigninRequest {
    Presigned {
        presigned: PresignedRequest,
    },
    Keys {
        user_name: String,
        access_key_id: String,
        secret_access_key: SecretString,
        session_token: Option<SecretString>,
    },
}

/// The `POST /admin/signin` body as sent: one of the two shapes (each strict, so a body
/// fits at most one).
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SigninBody {
    Presigned(PresignedBody),
    Keys(KeysBody),
}

/// Mode b: a presigned STS `GetCallerIdentity` request (recommended: no secret sent).
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PresignedBody {
    presigned: PresignedRequest,
}

/// Mode a: the IAM user's name and access key, checked with STS and never stored.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeysBody {
    /// An IAM user name: 1-64 of letters, digits and `_+=,.@-`.
    #[serde(rename = "userName")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_+=,.@-]{1,64}$"))]
    user_name: String,
    /// An AWS access key id: 16-128 letters, digits or `_`.
    #[serde(rename = "accessKeyId")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_]{16,128}$"))]
    access_key_id: String,
    /// Visible ASCII only.
    #[serde(rename = "secretAccessKey")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[!-~]+$"))]
    secret_access_key: SecretString,
    /// Visible ASCII only.
    #[serde(default, rename = "sessionToken")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[!-~]+$"))]
    session_token: Option<SecretString>,
}

impl SigninRequest {
    /// Strict parse: exactly one of the two shapes, no unknown fields; the error never
    /// echoes a value (a secret may be in it).
    pub fn parse(v: Value) -> Result<SigninRequest> {
        let bad = || {
            Error::bad_request(
                "body must be {userName, accessKeyId, secretAccessKey, sessionToken?} or {presigned: {method, url, headers, body}}",
            )
        };
        Ok(match serde_json::from_value(v).map_err(|_| bad())? {
            SigninBody::Presigned(b) => SigninRequest::Presigned {
                presigned: b.presigned,
            },
            SigninBody::Keys(b) => b.checked()?,
        })
    }
}

impl KeysBody {
    /// The submitted keys, refused (400, naming the field, never its value) unless each
    /// could be an AWS credential: they go into the signed STS request's headers, where a
    /// control character would stop the SDK's signer.
    fn checked(self) -> Result<SigninRequest> {
        if !(16..=128).contains(&self.access_key_id.len())
            || !self
                .access_key_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(Error::bad_request(
                "accessKeyId must be an AWS access key id (16-128 letters, digits or _)",
            ));
        }
        if !visible_ascii(self.secret_access_key.expose_secret()) {
            return Err(Error::bad_request(
                "secretAccessKey must be visible ASCII characters",
            ));
        }
        if self
            .session_token
            .as_ref()
            .is_some_and(|t| !visible_ascii(t.expose_secret()))
        {
            return Err(Error::bad_request(
                "sessionToken must be visible ASCII characters",
            ));
        }
        Ok(SigninRequest::Keys {
            user_name: self.user_name,
            access_key_id: self.access_key_id,
            secret_access_key: self.secret_access_key,
            session_token: self.session_token,
        })
    }
}

/// Non-empty, and only `!`..`~` (what an HTTP header carries unchanged).
fn visible_ascii(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())
}

/// `POST /admin/clients` body: none, or an empty object.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewClient {}

/// `POST /admin/keys` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// 1-128 printable characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 128, pattern = "\\S"))]
    pub name: String,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// `POST /admin/keys/disable` and `/admin/keys/delete` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyId {
    pub id: String,
}

/// `POST /admin/clients/disable` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientId {
    pub client_id: u32,
}

/// `POST /admin/sessions/revoke` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RevokeSession {
    /// `widget` or `admin`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(widget|admin)$"))]
    pub kind: String,
    pub id_hash: String,
}

/// `POST /admin/sessions/revoke-user` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RevokeUser {
    pub userid: String,
}

/// `POST /admin/signing-keys/rotate` body.
#[derive(Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    #[serde(default)]
    pub force: bool,
}

// People (README "People"): the bodies and the query of the user routes.

/// `POST /admin/users/disable`, `/enable` and `/delete` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserId {
    /// The user's id: 16 base62 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9]{16}$"))]
    user_id: String,
}

impl UserId {
    /// The id, refused (400) unless it could be a user's: a well-formed unknown id is a
    /// 404 at the route.
    pub fn checked(&self) -> Result<&str> {
        checked_user_id(&self.user_id)
    }
}

/// A user id in a body, refused (400) unless it could be a user's.
pub(crate) fn checked_user_id(id: &str) -> Result<&str> {
    let ok = id.len() == crate::credentials::users::USER_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(id)
    } else {
        Err(Error::bad_request("user_id must be 16 letters or digits"))
    }
}

/// `POST /admin/console/redeem` body: a hand-off code from the CLI (README "Admin
/// console").
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RedeemHandoff {
    /// The code of the link's fragment (`#handoff=<code>`).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, pattern = "^[A-Za-z0-9_-]{43}$")
    )]
    pub code: secrecy::SecretString,
}

/// `GET /admin/users` query parameters (parsed by
/// [`crate::credentials::users::directory::UserSearch::parse`]; this type describes
/// them). Each is optional: an absent or empty one stands for none.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSearchQuery {
    /// A prefix of the username or the e-mail (compared lower-cased); none lists
    /// everyone.
    #[cfg_attr(feature = "openapi", schema(max_length = 254, pattern = "^\\S*$"))]
    pub q: String,
    /// Only users of this kind.
    pub kind: crate::credentials::users::UserKind,
    /// The `cursor` of the previous page's answer (same `q`).
    pub cursor: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_ids_are_strict() {
        let id: UserId = serde_json::from_value(json!({"user_id": "AAAAAAAAAAAAAAAA"})).unwrap();
        assert_eq!(id.checked().unwrap(), "AAAAAAAAAAAAAAAA");
        for bad in ["", "AAAA", "AAAAAAAAAAAAAAA#", "AAAAAAAAAAAAAAAAA"] {
            let id: UserId = serde_json::from_value(json!({ "user_id": bad })).unwrap();
            assert_eq!(id.checked().unwrap_err().status(), 400, "{bad}");
        }
        let extra = json!({"user_id": "AAAAAAAAAAAAAAAA", "x": 1});
        assert!(serde_json::from_value::<UserId>(extra).is_err());
    }

    #[test]
    fn signin_bodies_are_strict() {
        let keys = json!({"userName": "alice", "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": "s"});
        assert!(matches!(
            SigninRequest::parse(keys),
            Ok(SigninRequest::Keys { ref user_name, .. }) if user_name == "alice"
        ));
        for bad in [
            json!({"userName": "alice", "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": "s", "x": 1}),
            json!({"userName": "alice"}),
            json!({"presigned": {}}),
            json!([]),
            json!(null),
        ] {
            let err = SigninRequest::parse(bad.clone()).err().expect("refused");
            assert_eq!(err.status(), 400, "{bad}");
        }
    }

    /// Found by the contract run: a control character in a submitted key crashed the
    /// SDK's signer (a panic, so a 502 at the gateway). Such keys are a 400 that names
    /// the field and never echoes the value.
    #[test]
    fn submitted_keys_that_no_signed_header_can_carry_are_refused() {
        let body = |id: &str, secret: &str, token: Option<&str>| {
            let mut v = json!({"userName": "alice", "accessKeyId": id, "secretAccessKey": secret});
            if let Some(t) = token {
                v["sessionToken"] = t.into();
            }
            v
        };
        let id = "AKIAIOSFODNN7EXAMPLE";
        let cases = [
            (body("\u{1f}", "s", None), "accessKeyId"),
            (body("0\u{f}AKIAIOSFODNN7EXAMPLE", "s", None), "accessKeyId"),
            (
                body("\u{bf}J2\u{bd}\u{87}V,AAAAAAAAAAAAAA", "s", None),
                "accessKeyId",
            ),
            (body("AKIA", "s", None), "accessKeyId"),
            (body(id, "", None), "secretAccessKey"),
            (body(id, "XYZZY\u{7f}\u{1}", None), "secretAccessKey"),
            (body(id, "XYZZY XYZZY", None), "secretAccessKey"),
            (body(id, "s", Some("XYZZY\n")), "sessionToken"),
        ];
        for (b, field) in cases {
            let err = SigninRequest::parse(b.clone()).err().expect("refused");
            assert_eq!(err.status(), 400, "{b}");
            let message = err.to_string();
            assert!(message.contains(field), "{message}");
            assert!(!message.contains("XYZZY"), "{message}");
        }
        assert!(
            SigninRequest::parse(body(id, "wJalrXUtnFEMI/K7MDENG+bPxRfiCY", Some("FwoG+/=")))
                .is_ok()
        );
    }
}
