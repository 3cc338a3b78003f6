//! Widget request bodies: temp tokens and cookie sessions (mode 1), widget security
//! tokens (mode 3), and their lifetimes.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};

/// Parses a lifetime: whole seconds as a number or digits, or digits with a unit
/// `s`, `m`, `h`, `d` ("90s", "10m", "12h", "1d"). Must be positive and at most `max`.
pub fn parse_duration(v: &Value, field: &str, max: i64) -> Result<i64> {
    let bad = || {
        Error::bad_request(format!(
            "{field} must be a positive duration like 90s, 10m, 12h, 1d or whole seconds"
        ))
    };
    let secs = match v {
        Value::Number(n) => n.as_i64().ok_or_else(bad)?,
        Value::String(s) => {
            let s = s.trim();
            let (digits, unit) = match s.char_indices().last() {
                Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
                _ => (s, 's'),
            };
            if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(bad());
            }
            let n: i64 = digits.parse().map_err(|_| bad())?;
            let mult = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => return Err(bad()),
            };
            n.checked_mul(mult).ok_or_else(bad)?
        }
        _ => return Err(bad()),
    };
    if secs <= 0 {
        return Err(bad());
    }
    if secs > max {
        return Err(Error::bad_request(format!(
            "{field} must be at most {max} seconds"
        )));
    }
    Ok(secs)
}

/// Deserializes a JSON body, naming the offending field (path) on error.
pub fn from_json<T: DeserializeOwned>(v: Value) -> Result<T> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            Error::bad_request(format!("invalid body: {inner}"))
        } else {
            Error::bad_request(format!("invalid field `{path}`: {inner}"))
        }
    })
}

fn check_id(field: &str, v: &Option<String>) -> Result<()> {
    match v {
        Some(s) if s.is_empty() || s.len() > 256 || s.chars().any(char::is_control) => Err(
            Error::bad_request(format!("{field} must be 1-256 printable characters")),
        ),
        _ => Ok(()),
    }
}

/// `POST /widget/generateToken` body.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TempTokenRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$")
    )]
    pub userid: String,
    #[serde(default, rename = "expirationTime")]
    pub expiration_time: Option<Value>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$")
    )]
    pub appid: Option<String>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$")
    )]
    pub clientid: Option<String>,
    #[serde(default, rename = "orgId")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$")
    )]
    pub org_id: Option<String>,
}

impl TempTokenRequest {
    pub fn validate(&self) -> Result<()> {
        check_id("userid", &Some(self.userid.clone()))?;
        check_id("appid", &self.appid)?;
        check_id("clientid", &self.clientid)?;
        check_id("orgId", &self.org_id)
    }
}

/// `POST /widget/loginToken` body (the token may come in `Authorization` instead).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginTokenRequest {
    pub token: String,
}

pub use crate::authz::permissions::{
    AssetIds, AssetPermissions, Operator, Permission, RecordPermission, ScalarValue, ValidationType,
};

/// `POST /widget/login/token` body: the widget configuration.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecurityTokenRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$")
    )]
    pub userid: String,
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$")
    )]
    pub appid: String,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$")
    )]
    pub clientid: Option<String>,
    #[serde(default, rename = "orgId")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$")
    )]
    pub org_id: Option<String>,
    #[serde(default, rename = "dashboardId")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$")
    )]
    pub dashboard_id: Option<String>,
    #[serde(default, rename = "expiresIn")]
    pub expires_in: Option<Value>,
    #[serde(default)]
    pub origins: Option<Vec<String>>,
    #[serde(default)]
    pub permissions: Option<Vec<Permission>>,
    #[serde(default)]
    pub asset_permissions: Option<AssetPermissions>,
}

impl SecurityTokenRequest {
    pub fn validate(&self) -> Result<()> {
        check_id("userid", &Some(self.userid.clone()))?;
        check_id("appid", &Some(self.appid.clone()))?;
        check_id("clientid", &self.clientid)?;
        check_id("orgId", &self.org_id)?;
        check_id("dashboardId", &self.dashboard_id)?;
        crate::authz::permissions::check(self.permissions.as_deref())
    }
}

/// Default lifetime of a widget session or security token (the longest is
/// `WIDGET_MAX_LIFETIME`, at most 24 h; temp tokens live `WIDGET_TEMP_TOKEN_TTL`).
pub(crate) const DEFAULT_LIFETIME: i64 = 3600;

/// The lifetime of a widget session or security token: the requested one (at most
/// `max`, `WIDGET_MAX_LIFETIME`), or the default, never more than `max` either.
pub(crate) fn lifetime(requested: Option<&Value>, field: &str, max: i64) -> Result<i64> {
    match requested {
        None => Ok(DEFAULT_LIFETIME.min(max)),
        Some(v) => parse_duration(v, field, max),
    }
}

/// A widget security token is issued only if the authorizer will take it: at most
/// [`crate::credentials::jwt::MAX_TOKEN_LEN`] bytes (docs/DECISIONS.md, "Widgets", also on API
/// Gateway's header limit). A larger one is a 400 naming the limit, not a token that
/// can never be used.
pub(crate) fn check_token_size(token: &str) -> Result<()> {
    let limit = crate::credentials::jwt::MAX_TOKEN_LEN;
    if token.len() > limit {
        return Err(Error::bad_request(format!(
            "the widget token would be {} bytes, more than the {limit} bytes the authorizer accepts: send fewer or shorter permissions, asset_permissions or origins",
            token.len()
        )));
    }
    Ok(())
}

/// A session id or temp token: 256 random bits, base64url (43 characters).
pub fn is_opaque_token(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations() {
        let max = 86_400;
        for (v, secs) in [
            (json!("90s"), 90),
            (json!("10m"), 600),
            (json!("12h"), 43_200),
            (json!("1d"), 86_400),
            (json!(3600), 3600),
            (json!("3600"), 3600),
        ] {
            assert_eq!(parse_duration(&v, "expiresIn", max).unwrap(), secs, "{v}");
        }
        for v in [
            json!("0"),
            json!(0),
            json!(-5),
            json!("2d"),
            json!("1w"),
            json!("h"),
            json!("1.5h"),
            json!(""),
            json!(null),
            json!([1]),
            json!("99999999999999h"),
            json!(86_401),
        ] {
            assert_eq!(
                parse_duration(&v, "expiresIn", max).unwrap_err().status(),
                400,
                "{v}"
            );
        }
    }

    /// The 1-hour default never exceeds a lower `WIDGET_MAX_LIFETIME`.
    #[test]
    fn default_lifetime_is_capped_by_the_maximum() {
        assert_eq!(lifetime(None, "expiresIn", 86_400).unwrap(), 3600);
        assert_eq!(lifetime(None, "expiresIn", 600).unwrap(), 600);
        assert_eq!(lifetime(Some(&json!("5m")), "expiresIn", 600).unwrap(), 300);
        let e = lifetime(Some(&json!("1h")), "expiresIn", 600).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.to_string().contains("expiresIn"), "{e}");
    }

    #[test]
    fn tokens_the_authorizer_would_refuse_are_not_issued() {
        let limit = crate::credentials::jwt::MAX_TOKEN_LEN;
        assert!(check_token_size(&"a".repeat(limit)).is_ok());
        let e = check_token_size(&"a".repeat(limit + 1)).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.to_string().contains(&limit.to_string()), "{e}");
    }

    #[test]
    fn security_token_body_is_schema_checked() {
        let ok = json!({
            "userid": "u1", "appid": "a1", "expiresIn": "1h",
            "permissions": [{"dataset_id": "d1", "operator": "AND", "record_permissions": [
                {"security_name": "region", "validation_type": "EQUAL", "values": ["EU", 3]}
            ]}],
            "asset_permissions": {"dashboards": {"ids": ["x"]}}
        });
        from_json::<SecurityTokenRequest>(ok)
            .unwrap()
            .validate()
            .unwrap();
        let cases = [
            (json!({"appid": "a"}), "userid"),
            (json!({"userid": "u", "appid": "a", "extra": 1}), "extra"),
            (
                json!({"userid": "u", "appid": "a", "permissions": [{"dataset_id": "d", "operator": "XOR", "record_permissions": []}]}),
                "permissions[0].operator",
            ),
            (
                json!({"userid": "u", "appid": "a", "permissions": [{"dataset_id": "d", "record_permissions": [{"security_name": "s", "values": [{}]}]}]}),
                "permissions[0].record_permissions[0].values",
            ),
            (
                json!({"userid": "u", "appid": "a", "permissions": [{"dataset_id": "d", "record_permissions": [{"security_name": "s", "validation_type": "LIKE", "values": []}]}]}),
                "validation_type",
            ),
            (
                json!({"userid": "u", "appid": "a", "asset_permissions": {"folders": {"ids": []}}}),
                "asset_permissions",
            ),
            (
                json!({"userid": "u", "appid": "a", "permissions": {}}),
                "permissions",
            ),
        ];
        for (body, field) in cases {
            let msg = match from_json::<SecurityTokenRequest>(body.clone()) {
                Err(e) => e.to_string(),
                Ok(r) => r.validate().unwrap_err().to_string(),
            };
            assert!(msg.contains(field), "{body} -> {msg}");
        }
    }
}
