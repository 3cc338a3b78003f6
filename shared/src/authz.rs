//! Authorization: credential classification, route rules and the normalized principal.
//! Pure logic: no AWS SDK types.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The kinds of credential the authorizer accepts (the admin session is never one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalType {
    ApiKey,
    Client,
    WidgetToken,
    WidgetSession,
}

impl PrincipalType {
    pub const ALL: [PrincipalType; 4] = [
        PrincipalType::ApiKey,
        PrincipalType::Client,
        PrincipalType::WidgetToken,
        PrincipalType::WidgetSession,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::ApiKey => "api_key",
            PrincipalType::Client => "client",
            PrincipalType::WidgetToken => "widget_token",
            PrincipalType::WidgetSession => "widget_session",
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
}

impl Principal {
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
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The authorizer context: flat values only (API Gateway's rule).
    pub fn context(&self) -> Map<String, Value> {
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
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                m.insert(k.into(), v.clone().into());
            }
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

/// A machine-readable reason for a denial; logged, never the credential itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    NoCredential,
    AmbiguousCredentials,
    MalformedCredential,
    UnknownKey,
    WrongSecret,
    Disabled,
    Expired,
    UnsupportedCredential,
    RouteNotAllowed,
    CredentialNotAllowed,
    InsufficientScope,
    SuspiciousPath,
    MalformedEvent,
    InvalidToken,
    WrongAudience,
    WrongOrigin,
}

impl DenyReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::NoCredential => "no_credential",
            DenyReason::AmbiguousCredentials => "ambiguous_credentials",
            DenyReason::MalformedCredential => "malformed_credential",
            DenyReason::UnknownKey => "unknown_key",
            DenyReason::WrongSecret => "wrong_secret",
            DenyReason::Disabled => "disabled",
            DenyReason::Expired => "expired",
            DenyReason::UnsupportedCredential => "unsupported_credential",
            DenyReason::RouteNotAllowed => "route_not_allowed",
            DenyReason::CredentialNotAllowed => "credential_not_allowed",
            DenyReason::InsufficientScope => "insufficient_scope",
            DenyReason::SuspiciousPath => "suspicious_path",
            DenyReason::MalformedEvent => "malformed_event",
            DenyReason::InvalidToken => "invalid_token",
            DenyReason::WrongAudience => "wrong_audience",
            DenyReason::WrongOrigin => "wrong_origin",
        }
    }
}

/// The credential found on a request, before verification.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    ApiKey(&'a str),
    Bearer(&'a str),
    SessionCookie(&'a str),
}

/// Name of the widget session cookie (DESIGN.md section 3).
pub const SESSION_COOKIE: &str = "__Host-gh_session";

/// Picks the one credential of a request. Explicit headers win over the ambient
/// session cookie; an `x-api-key` together with an `Authorization` header is ambiguous.
pub fn classify<'a>(
    api_key: Option<&'a str>,
    authorization: Option<&'a str>,
    cookies: &'a [String],
) -> Result<Credential<'a>, DenyReason> {
    match (api_key, authorization) {
        (Some(_), Some(_)) => Err(DenyReason::AmbiguousCredentials),
        (Some(k), None) => Ok(Credential::ApiKey(k)),
        (None, Some(a)) => {
            let (scheme, token) = a.split_once(' ').ok_or(DenyReason::MalformedCredential)?;
            if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' ') {
                Ok(Credential::Bearer(token))
            } else {
                Err(DenyReason::MalformedCredential)
            }
        }
        (None, None) => {
            let mut found = cookies
                .iter()
                .flat_map(|c| c.split(';'))
                .filter_map(|c| c.trim().split_once('='))
                .filter(|(name, _)| *name == SESSION_COOKIE);
            match (found.next(), found.next()) {
                (Some((_, v)), None) => Ok(Credential::SessionCookie(v)),
                (Some(_), Some(_)) => Err(DenyReason::AmbiguousCredentials),
                (None, _) => Err(DenyReason::NoCredential),
            }
        }
    }
}

/// Which principals a rule admits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Principals {
    /// `"any"`: every credential type the authorizer accepts.
    Any(AnyMarker),
    List(BTreeSet<PrincipalType>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnyMarker {
    Any,
}

impl Principals {
    fn admits(&self, t: PrincipalType) -> bool {
        match self {
            Principals::Any(_) => true,
            Principals::List(l) => l.contains(&t),
        }
    }
}

/// One route rule. `method` is an HTTP method or `*`; `path` is exact, or ends in
/// `/*` to match that prefix and anything below it (`/*` alone matches every path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    pub method: String,
    pub path: String,
    pub principals: Principals,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl RouteRule {
    fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && path_matches(&self.path, path)
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(prefix) => {
            path == prefix || (path.starts_with(prefix) && path[prefix.len()..].starts_with('/'))
        }
        None => pattern == path,
    }
}

/// The ordered route rules; the first rule matching method and path decides, and a
/// route no rule matches is denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRules(Vec<RouteRule>);

impl RouteRules {
    /// DESIGN.md section 4. Routes served without the authorizer (`/token`,
    /// `/authorize`, `/.well-known/*`, `/widget/loginToken`, `/admin/*`) are absent:
    /// if the authorizer is ever put in front of them, they are denied.
    pub fn default_rules() -> Self {
        use PrincipalType::*;
        let rule =
            |method: &str, path: &str, principals: Principals, scope: Option<&str>| RouteRule {
                method: method.into(),
                path: path.into(),
                principals,
                scope: scope.map(Into::into),
            };
        let only = |t: &[PrincipalType]| Principals::List(t.iter().copied().collect());
        let any = || Principals::Any(AnyMarker::Any);
        RouteRules(vec![
            rule(
                "POST",
                "/widget/generateToken",
                only(&[ApiKey]),
                Some("widget:issue"),
            ),
            rule(
                "POST",
                "/widget/login/token",
                only(&[ApiKey]),
                Some("widget:issue"),
            ),
            rule("POST", "/widget/logout", only(&[WidgetSession]), None),
            rule("GET", "/whoami", any(), None),
            rule("GET", "/display", any(), Some("client")),
            rule("GET", "/display/rules", any(), Some("client")),
            rule("POST", "/comments", any(), Some("client")),
            rule("GET", "/*", any(), Some("data")),
        ])
    }

    pub fn from_json(json: &str) -> Result<Self, String> {
        let rules: Vec<RouteRule> =
            serde_json::from_str(json).map_err(|e| format!("invalid JSON rules: {e}"))?;
        for r in &rules {
            let method_ok = r.method == "*"
                || (!r.method.is_empty() && r.method.bytes().all(|b| b.is_ascii_uppercase()));
            if !method_ok {
                return Err(format!(
                    "rule method `{}` must be an upper-case HTTP method or `*`",
                    r.method
                ));
            }
            if !r.path.starts_with('/')
                || (r.path.contains('*') && !r.path.ends_with("/*"))
                || r.path.matches('*').count() > 1
            {
                return Err(format!(
                    "rule path `{}` must start with `/`; `*` only as a final `/*`",
                    r.path
                ));
            }
        }
        Ok(RouteRules(rules))
    }

    pub fn rules(&self) -> &[RouteRule] {
        &self.0
    }

    /// Decides whether `principal` may call `method path`.
    pub fn authorize(
        &self,
        principal: &Principal,
        method: &str,
        path: &str,
    ) -> Result<(), DenyReason> {
        if !is_clean_path(path) {
            return Err(DenyReason::SuspiciousPath);
        }
        let rule = self
            .0
            .iter()
            .find(|r| r.matches(method, path))
            .ok_or(DenyReason::RouteNotAllowed)?;
        if !rule.principals.admits(principal.principal_type) {
            return Err(DenyReason::CredentialNotAllowed);
        }
        match &rule.scope {
            Some(scope) if !principal.has_scope(scope) => Err(DenyReason::InsufficientScope),
            _ => Ok(()),
        }
    }
}

/// Rejects paths whose meaning could differ between the gateway and a backend:
/// dot segments, empty segments, encoded slashes, dots or percent signs, control bytes.
fn is_clean_path(path: &str) -> bool {
    if !path.starts_with('/') || path.bytes().any(|b| b.is_ascii_control() || b == b'\\') {
        return false;
    }
    let lower = path.to_ascii_lowercase();
    if ["%2f", "%2e", "%5c", "%25", "%00"]
        .iter()
        .any(|e| lower.contains(e))
    {
        return false;
    }
    path == "/"
        || path[1..].split('/').enumerate().all(|(i, seg)| {
            seg != "." && seg != ".." && (!seg.is_empty() || i == path[1..].split('/').count() - 1)
        })
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
    fn default_rules_follow_the_design_table() {
        use PrincipalType::*;
        let r = RouteRules::default_rules();
        let key = principal(ApiKey, "data client widget:issue");
        let client_only_key = principal(ApiKey, "client");
        let data_client = principal(Client, "data");
        let code_client = principal(Client, "client");
        let widget = principal(WidgetToken, "client");
        let session = principal(WidgetSession, "client");

        assert_eq!(r.authorize(&key, "POST", "/widget/generateToken"), Ok(()));
        assert_eq!(r.authorize(&key, "POST", "/widget/login/token"), Ok(()));
        assert_eq!(
            r.authorize(&client_only_key, "POST", "/widget/generateToken"),
            Err(DenyReason::InsufficientScope)
        );
        for p in [&widget, &session, &code_client] {
            assert_eq!(
                r.authorize(p, "POST", "/widget/generateToken"),
                Err(DenyReason::CredentialNotAllowed)
            );
            assert_eq!(
                r.authorize(p, "POST", "/widget/login/token"),
                Err(DenyReason::CredentialNotAllowed)
            );
        }
        assert_eq!(r.authorize(&session, "POST", "/widget/logout"), Ok(()));
        assert_eq!(
            r.authorize(&widget, "POST", "/widget/logout"),
            Err(DenyReason::CredentialNotAllowed)
        );
        for p in [&key, &data_client, &code_client, &widget, &session] {
            assert_eq!(r.authorize(p, "GET", "/whoami"), Ok(()));
        }
        assert_eq!(r.authorize(&code_client, "GET", "/display"), Ok(()));
        assert_eq!(r.authorize(&code_client, "GET", "/display/rules"), Ok(()));
        assert_eq!(r.authorize(&widget, "POST", "/comments"), Ok(()));
        assert_eq!(
            r.authorize(&data_client, "GET", "/display"),
            Err(DenyReason::InsufficientScope)
        );
        assert_eq!(r.authorize(&data_client, "GET", "/stats"), Ok(()));
        assert_eq!(r.authorize(&key, "GET", "/surveys/1/answers"), Ok(()));
        assert_eq!(
            r.authorize(&code_client, "GET", "/stats"),
            Err(DenyReason::InsufficientScope)
        );
        // Not listed: denied, whatever the credential.
        assert_eq!(
            r.authorize(&key, "DELETE", "/stats"),
            Err(DenyReason::RouteNotAllowed)
        );
        assert_eq!(
            r.authorize(&key, "POST", "/stats"),
            Err(DenyReason::RouteNotAllowed)
        );
        assert_eq!(
            r.authorize(&key, "POST", "/token"),
            Err(DenyReason::RouteNotAllowed)
        );
    }

    #[test]
    fn ambiguous_paths_are_denied() {
        let r = RouteRules::default_rules();
        let key = principal(PrincipalType::ApiKey, "data client widget:issue");
        for p in [
            "/display/../widget/generateToken",
            "/./whoami",
            "//whoami",
            "/a//b",
            "/widget%2fgenerateToken",
            "/%2e%2e/x",
            "/a\\b",
            "whoami",
        ] {
            assert_eq!(
                r.authorize(&key, "GET", p),
                Err(DenyReason::SuspiciousPath),
                "{p}"
            );
        }
        assert_eq!(r.authorize(&key, "GET", "/stats/"), Ok(()));
        assert_eq!(r.authorize(&key, "GET", "/"), Ok(()));
    }

    #[test]
    fn custom_rules_replace_the_defaults() {
        let r = RouteRules::from_json(
            r#"[{"method":"GET","path":"/reports/*","principals":["client"],"scope":"data"}]"#,
        )
        .unwrap();
        let c = principal(PrincipalType::Client, "data");
        assert_eq!(r.authorize(&c, "GET", "/reports/1"), Ok(()));
        assert_eq!(r.authorize(&c, "GET", "/reports"), Ok(()));
        assert_eq!(
            r.authorize(&c, "GET", "/reportsX"),
            Err(DenyReason::RouteNotAllowed)
        );
        assert_eq!(
            r.authorize(&c, "GET", "/whoami"),
            Err(DenyReason::RouteNotAllowed)
        );
        let k = principal(PrincipalType::ApiKey, "data");
        assert_eq!(
            r.authorize(&k, "GET", "/reports/1"),
            Err(DenyReason::CredentialNotAllowed)
        );
    }

    #[test]
    fn bad_rules_are_rejected() {
        for bad in [
            r#"{}"#,
            r#"[{"method":"GET","path":"/x","principals":"all"}]"#,
            r#"[{"method":"GET","path":"/x","principals":["root"]}]"#,
            r#"[{"method":"GET","path":"/x","principals":"any","extra":1}]"#,
            r#"[{"method":"get","path":"/x","principals":"any"}]"#,
            r#"[{"method":"GET","path":"x","principals":"any"}]"#,
            r#"[{"method":"GET","path":"/a*/b","principals":"any"}]"#,
        ] {
            assert!(RouteRules::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn classify_picks_one_credential() {
        let none: Vec<String> = vec![];
        let cookie = vec![format!("a=1; {SESSION_COOKIE}=abc")];
        assert_eq!(
            classify(Some("k"), None, &cookie),
            Ok(Credential::ApiKey("k"))
        );
        assert_eq!(
            classify(None, Some("Bearer t"), &cookie),
            Ok(Credential::Bearer("t"))
        );
        assert_eq!(
            classify(None, Some("bearer t"), &none),
            Ok(Credential::Bearer("t"))
        );
        assert_eq!(
            classify(None, None, &cookie),
            Ok(Credential::SessionCookie("abc"))
        );
        assert_eq!(classify(None, None, &none), Err(DenyReason::NoCredential));
        assert_eq!(
            classify(Some("k"), Some("Bearer t"), &none),
            Err(DenyReason::AmbiguousCredentials)
        );
        for bad in ["Basic abc", "Bearer", "Bearer ", "Bearer a b", "t"] {
            assert_eq!(
                classify(None, Some(bad), &none),
                Err(DenyReason::MalformedCredential),
                "{bad}"
            );
        }
        let two = vec![format!("{SESSION_COOKIE}=a"), format!("{SESSION_COOKIE}=b")];
        assert_eq!(
            classify(None, None, &two),
            Err(DenyReason::AmbiguousCredentials)
        );
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
        assert!(
            c.values()
                .all(|v| v.is_string() || v.is_number() || v.is_boolean())
        );
    }
}
