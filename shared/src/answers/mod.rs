//! What each route answers: one serde type per answer, so the OpenAPI description
//! (`docs/openapi.json`) takes its schemas from the types the handlers serialize
//! (docs/ARCHITECTURE.md, "The API description"). Request types are in
//! [`crate::requests`]. With the `openapi` feature the types also derive their schemas;
//! no Lambda binary enables it.

pub mod admin;
pub mod apps;
pub mod idps;
pub mod invites;
pub mod settings;
pub mod token;
pub mod users;
pub mod widget;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Every refusal a function answers: `{"error": code, "message": text}`; RFC 6749
/// endpoints (`/token`) add `error_description` (the same text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A machine-readable code (`invalid_request`, `invalid_client`, `not_found`, ...).
    pub error: String,
    /// What went wrong, for people (never a credential).
    pub message: String,
    /// RFC 6749 endpoints only: the same text as `message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// API Gateway's own answers (the authorizer's 403, an authorizer failure's 500, 404
/// for an unknown route, 413, 431): `{"message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewayMessage {
    /// `Forbidden`, `Internal Server Error`, `Not Found`, ...
    pub message: String,
}

/// `GET /whoami` and the demo routes: the caller as the authorizer normalized it
/// (README "Route rules", the principal table). Absent values are omitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Caller {
    /// `api_key`, `client`, `host_user`, `widget_token`, `widget_session`, `creator`, `end_user`.
    pub principal_type: String,
    /// The client id, the host's `sub`, the widget `userid`, the API key's id, the user id.
    pub subject: String,
    /// Space-separated scopes.
    pub scopes: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dashboard_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// When the credential expires (seconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Widget credentials: the row-level permissions, JSON-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    /// Widget credentials: the asset permissions, JSON-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_permissions: Option<String>,
    /// User sessions: `creator` or `end_user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_kind: Option<String>,
    /// User sessions: the user's roles, space-separated (absent when there are none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<String>,
    /// App-bearing routes: why the app was opened (`public`, `owner`, `grant`, `key`,
    /// `token`; README "Applications and sharing").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_access: Option<String>,
}

impl Caller {
    /// The caller from the authorizer context (flat values; API Gateway may pass numbers
    /// as strings); `None` without a principal type.
    pub fn from_context(context: &Map<String, Value>) -> Option<Caller> {
        let text = |k: &str| match context.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        };
        Some(Caller {
            principal_type: text("principal_type")?,
            subject: text("subject").unwrap_or_default(),
            scopes: text("scopes").unwrap_or_default(),
            client_id: text("client_id"),
            app_id: text("app_id"),
            org_id: text("org_id"),
            dashboard_id: text("dashboard_id"),
            key_id: text("key_id"),
            expires_at: text("expires_at").and_then(|s| s.parse().ok()),
            permissions: text("permissions"),
            asset_permissions: text("asset_permissions"),
            user_kind: text("user_kind"),
            roles: text("roles"),
            app_access: text("app_access"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_caller_reads_the_flat_context_and_omits_absent_values() {
        let ctx = json!({"principal_type": "api_key", "subject": "demo", "scopes": "data",
            "key_id": "k", "expires_at": "17", "permissions": "[]", "other": "x"});
        let caller = Caller::from_context(ctx.as_object().unwrap()).unwrap();
        assert_eq!(caller.expires_at, Some(17));
        assert_eq!(
            serde_json::to_value(&caller).unwrap(),
            json!({"principal_type": "api_key", "subject": "demo", "scopes": "data",
                "key_id": "k", "expires_at": 17, "permissions": "[]"})
        );
        assert!(Caller::from_context(json!({"subject": "x"}).as_object().unwrap()).is_none());
    }

    #[test]
    fn the_caller_reads_a_users_kind_and_roles() {
        let ctx = json!({"principal_type": "creator", "subject": "U1", "scopes": "data client",
            "user_kind": "creator", "roles": "analyst admin", "expires_at": 9});
        let caller = Caller::from_context(ctx.as_object().unwrap()).unwrap();
        assert_eq!(caller.user_kind.as_deref(), Some("creator"));
        assert_eq!(caller.roles.as_deref(), Some("analyst admin"));
        assert_eq!(serde_json::to_value(&caller).unwrap(), ctx);
        let ctx = json!({"principal_type": "end_user", "subject": "U2", "scopes": "client",
            "user_kind": "end_user"});
        let caller = Caller::from_context(ctx.as_object().unwrap()).unwrap();
        assert_eq!(caller.roles, None);
        assert_eq!(serde_json::to_value(&caller).unwrap(), ctx);
    }
}
