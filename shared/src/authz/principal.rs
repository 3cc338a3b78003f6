//! The normalized principal the authorizer hands the backend.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::apps::AppAccess;

/// The kinds of credential the authorizer accepts (the admin session is never one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalType {
    ApiKey,
    /// An access token from the client-credentials grant (it carries `client_id`).
    Client,
    /// An access token from a host authorization code (it carries no `client_id`).
    HostUser,
    WidgetToken,
    WidgetSession,
    /// A person who builds applications, signed in with a user session.
    Creator,
    /// A person who opens applications, signed in with a user session.
    EndUser,
}

impl PrincipalType {
    /// Every credential type the authorizer accepts.
    pub const ALL: [PrincipalType; 7] = [
        PrincipalType::ApiKey,
        PrincipalType::Client,
        PrincipalType::HostUser,
        PrincipalType::WidgetToken,
        PrincipalType::WidgetSession,
        PrincipalType::Creator,
        PrincipalType::EndUser,
    ];

    /// The two kinds of people (a user session's principals).
    pub const USERS: [PrincipalType; 2] = [PrincipalType::Creator, PrincipalType::EndUser];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PrincipalType::ApiKey => "api_key",
            PrincipalType::Client => "client",
            PrincipalType::HostUser => "host_user",
            PrincipalType::WidgetToken => "widget_token",
            PrincipalType::WidgetSession => "widget_session",
            PrincipalType::Creator => "creator",
            PrincipalType::EndUser => "end_user",
        }
    }
}

/// Who the caller is, once a credential has been verified. Flattened into the
/// authorizer context (strings and numbers only, absent values omitted).
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub principal_type: PrincipalType,
    pub subject: String,
    pub scopes: Vec<String>,
    pub client_id: Option<String>,
    pub app_id: Option<String>,
    pub org_id: Option<String>,
    pub dashboard_id: Option<String>,
    pub key_id: Option<String>,
    pub expires_at: Option<i64>,
    pub permissions: Option<Value>,
    pub asset_permissions: Option<Value>,
    /// User sessions: `creator` or `end_user`.
    pub user_kind: Option<String>,
    /// User sessions: the user's roles (a space-separated string in the context,
    /// omitted when there are none).
    pub roles: Vec<String>,
    /// On an app-bearing rule: why the app was opened (`app_access`).
    pub app_access: Option<AppAccess>,
}

impl Principal {
    /// A principal of this type with these scopes and nothing else.
    pub fn new(
        principal_type: PrincipalType,
        subject: impl Into<String>,
        scopes: Vec<String>,
    ) -> Self {
        Principal {
            principal_type,
            subject: subject.into(),
            scopes,
            client_id: None,
            app_id: None,
            org_id: None,
            dashboard_id: None,
            key_id: None,
            expires_at: None,
            permissions: None,
            asset_permissions: None,
            user_kind: None,
            roles: Vec::new(),
            app_access: None,
        }
    }

    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The authorizer context: flat values only (API Gateway's rule).
    pub(crate) fn context(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("principal_type".into(), self.principal_type.as_str().into());
        m.insert("subject".into(), self.subject.clone().into());
        m.insert("scopes".into(), self.scopes.join(" ").into());
        let optional = [
            ("client_id", &self.client_id),
            ("app_id", &self.app_id),
            ("org_id", &self.org_id),
            ("dashboard_id", &self.dashboard_id),
            ("key_id", &self.key_id),
            ("user_kind", &self.user_kind),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                m.insert(k.into(), v.clone().into());
            }
        }
        if let Some(a) = self.app_access {
            m.insert("app_access".into(), a.as_str().into());
        }
        if !self.roles.is_empty() {
            m.insert("roles".into(), self.roles.join(" ").into());
        }
        if let Some(e) = self.expires_at {
            m.insert("expires_at".into(), e.into());
        }
        for (k, v) in [
            ("permissions", &self.permissions),
            ("asset_permissions", &self.asset_permissions),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), v.to_string().into());
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(t: PrincipalType, scopes: &str) -> Principal {
        Principal::new(
            t,
            "s",
            scopes.split_whitespace().map(String::from).collect(),
        )
    }

    #[test]
    fn context_is_flat_and_omits_absent_values() {
        let mut p = principal(PrincipalType::WidgetToken, "data client");
        p.app_id = Some("app".into());
        p.expires_at = Some(10);
        p.permissions = Some(serde_json::json!([{"dataset_id": "d"}]));
        let c = p.context();
        assert_eq!(c["principal_type"], "widget_token");
        assert_eq!(c["scopes"], "data client");
        assert_eq!(c["app_id"], "app");
        assert_eq!(c["expires_at"], 10);
        assert_eq!(c["permissions"], r#"[{"dataset_id":"d"}]"#);
        assert!(!c.contains_key("org_id"));
        assert!(!c.contains_key("user_kind"));
        assert!(!c.contains_key("roles"));
        assert!(
            c.values()
                .all(|v| v.is_string() || v.is_number() || v.is_boolean())
        );
    }

    /// A user session's principal: its kind and roles are flat strings, roles
    /// space-separated like scopes and omitted when there are none.
    #[test]
    fn user_context_carries_the_kind_and_flat_roles() {
        let mut p = principal(PrincipalType::Creator, "data client");
        p.user_kind = Some("creator".into());
        p.roles = vec!["analyst".into(), "team-lead".into()];
        p.expires_at = Some(20);
        let c = p.context();
        assert_eq!(c["principal_type"], "creator");
        assert_eq!(c["user_kind"], "creator");
        assert_eq!(c["roles"], "analyst team-lead");
        assert_eq!(c["scopes"], "data client");
        assert_eq!(c["expires_at"], 20);
        assert!(
            c.values()
                .all(|v| v.is_string() || v.is_number() || v.is_boolean())
        );
        let mut p = principal(PrincipalType::EndUser, "client");
        p.user_kind = Some("end_user".into());
        let c = p.context();
        assert_eq!(c["principal_type"], "end_user");
        assert_eq!(c["user_kind"], "end_user");
        assert!(!c.contains_key("roles"));
    }
}
