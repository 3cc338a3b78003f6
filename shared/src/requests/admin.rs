//! What the admin API reads from a request: the sign-in body (submitted keys or a
//! presigned STS request) and the admin API bodies (strict: no unknown fields). Pure
//! (no AWS types), so it is unit-tested and fuzzed without the `aws` feature; the
//! handlers are in `admin`, the session cookie is read by the headers primitive.

use secrecy::SecretString;
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
    #[serde(rename = "userName")]
    user_name: String,
    #[serde(rename = "accessKeyId")]
    access_key_id: String,
    #[serde(rename = "secretAccessKey")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    secret_access_key: SecretString,
    #[serde(default, rename = "sessionToken")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
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
            SigninBody::Keys(b) => SigninRequest::Keys {
                user_name: b.user_name,
                access_key_id: b.access_key_id,
                secret_access_key: b.secret_access_key,
                session_token: b.session_token,
            },
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signin_bodies_are_strict() {
        let keys = json!({"userName": "alice", "accessKeyId": "AKIA", "secretAccessKey": "s"});
        assert!(matches!(
            SigninRequest::parse(keys),
            Ok(SigninRequest::Keys { ref user_name, .. }) if user_name == "alice"
        ));
        for bad in [
            json!({"userName": "alice", "accessKeyId": "AKIA", "secretAccessKey": "s", "x": 1}),
            json!({"userName": "alice"}),
            json!({"presigned": {}}),
            json!([]),
            json!(null),
        ] {
            let err = SigninRequest::parse(bad.clone()).err().expect("refused");
            assert_eq!(err.status(), 400, "{bad}");
        }
    }
}
