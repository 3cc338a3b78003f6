//! Route rules: which principals and scope each route needs (README "Route rules" lists
//! the defaults; `ROUTE_RULES` replaces them). Anything not listed is denied.

mod pattern;
mod target;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use self::pattern::{BadPath, PathProblem};
use self::pattern::{Pattern, segments};
pub use self::target::{RouteTarget, valid_route_prefix};
use super::deny::DenyReason;
use super::principal::{Principal, PrincipalType};
use super::scope::Scope;

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
    /// Whether a principal of type `t` passes this list.
    pub(crate) fn admits(&self, t: PrincipalType) -> bool {
        match self {
            Principals::Any(_) => true,
            Principals::List(l) => l.contains(&t),
        }
    }
}

/// One route rule. `method` is an HTTP method or `*`. `path` is a sequence of segments:
/// literals (compared exactly), `{name}` parameters, `*` (any one segment), and an
/// optional final `/*` (that prefix and anything below it; `/*` alone matches every
/// path). README "Route rules" describes how a rule meets the matched route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    pub method: String,
    pub path: String,
    pub principals: Principals,
    /// The scope the principal must hold: a [`Scope`]'s name, or any other name
    /// `ROUTE_RULES` gives (kept as written, matched exactly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Where the app id is, on a rule that decides app access (README "Applications
    /// and sharing"): the authorizer then admits only what [`crate::authz::apps::decide`]
    /// allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppSource>,
}

/// The one header an app id may come in: `AllowHeaders` of the CORS configuration
/// (template and local gateway) lists it, so a browser may send it cross-origin.
pub const APP_ID_HEADER: &str = "x-gatehouse-app-id";

/// Where an app-bearing rule finds the app id: `{"path_param": "app_id"}` (a `{name}`
/// segment of the rule's path) or `{"header": "x-gatehouse-app-id"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AppSource {
    PathParam(String),
    Header(String),
}

/// Why `ROUTE_RULES` is refused (the message names the rule's method or path).
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("invalid JSON rules: {0}")]
    Json(serde_json::Error),
    #[error("rule method `{0}` must be an upper-case HTTP method or `*`")]
    Method(String),
    #[error(transparent)]
    Path(BadPath),
    #[error(
        "rule `{method} {path}`: `app.path_param` must name a `{{name}}` segment of the rule's path, and `app.header` must be `x-gatehouse-app-id`"
    )]
    AppSource { method: String, path: String },
}

/// The rule that decided, and the route parameters it bound.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteMatch {
    pub params: BTreeMap<String, String>,
    /// The rule's app source: the request's app access is decided too.
    pub app: Option<AppSource>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CompiledRule {
    rule: RouteRule,
    pattern: Pattern,
}

impl CompiledRule {
    fn new(rule: RouteRule) -> Result<Self, RuleError> {
        let pattern = Pattern::parse(&rule.path).map_err(RuleError::Path)?;
        let source_ok = match &rule.app {
            None => true,
            Some(AppSource::PathParam(name)) => pattern.has_param(name),
            Some(AppSource::Header(h)) => h == APP_ID_HEADER,
        };
        if !source_ok {
            return Err(RuleError::AppSource {
                method: rule.method.clone(),
                path: rule.path.clone(),
            });
        }
        Ok(CompiledRule { rule, pattern })
    }

    fn method_matches(&self, method: &str) -> bool {
        self.rule.method == "*" || self.rule.method.eq_ignore_ascii_case(method)
    }
}

/// How one rule meets a request.
enum RuleFit {
    Matches(RouteMatch),
    /// Differs from the rule only by case, a trailing slash or percent-encoding.
    Alias,
    /// The rule's shape fits but a parameter it needs has no valid value.
    MissingParam,
    No,
}

/// The ordered route rules; the first rule matching method and route decides, and a
/// route no rule matches is denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRules(Vec<CompiledRule>);

impl RouteRules {
    /// The defaults of README "Route rules". Routes served without the authorizer (`/token`,
    /// `/authorize`, `/.well-known/*`, `/widget/loginToken`, `/admin/*`) are absent:
    /// if the authorizer is ever put in front of them, they are denied.
    #[allow(
        clippy::expect_used,
        reason = "a constant table; `default_rules_follow_the_design_table` compiles it"
    )]
    pub fn default_rules() -> Self {
        use PrincipalType::*;
        let rule =
            |method: &str, path: &str, principals: Principals, scope: Option<Scope>| RouteRule {
                method: method.into(),
                path: path.into(),
                principals,
                scope: scope.map(|s| s.as_str().to_owned()),
                app: None,
            };
        let only = |t: &[PrincipalType]| Principals::List(t.iter().copied().collect());
        let any = || Principals::Any(AnyMarker::Any);
        Self::compile(vec![
            rule(
                "POST",
                "/widget/generateToken",
                only(&[ApiKey]),
                Some(Scope::WidgetIssue),
            ),
            rule(
                "POST",
                "/widget/login/token",
                only(&[ApiKey]),
                Some(Scope::WidgetIssue),
            ),
            rule("POST", "/widget/logout", only(&[WidgetSession]), None),
            rule("GET", "/users/me", only(&PrincipalType::USERS), None),
            rule("POST", "/users/signout", only(&PrincipalType::USERS), None),
            rule(
                "POST",
                "/users/password/change",
                only(&PrincipalType::USERS),
                None,
            ),
            // Applications (README "Applications and sharing"): creators manage and
            // share their apps; any user lists the apps it may open.
            rule("GET", "/users/me/apps", only(&PrincipalType::USERS), None),
            rule("POST", "/apps", only(&[Creator]), None),
            rule("POST", "/apps/update", only(&[Creator]), None),
            rule("POST", "/apps/grants/add", only(&[Creator]), None),
            rule("POST", "/apps/grants/remove", only(&[Creator]), None),
            rule("GET", "/apps/grants", only(&[Creator]), None),
            RouteRule {
                app: Some(AppSource::PathParam("app_id".into())),
                ..rule("GET", "/apps/{app_id}/data", any(), Some(Scope::Client))
            },
            rule("GET", "/whoami", any(), None),
            rule("GET", "/display", any(), Some(Scope::Client)),
            rule("GET", "/display/rules", any(), Some(Scope::Client)),
            rule("POST", "/comments", any(), Some(Scope::Client)),
            rule("GET", "/*", any(), Some(Scope::Data)),
        ])
        .expect("the default rules are valid")
    }

    fn compile(rules: Vec<RouteRule>) -> Result<Self, RuleError> {
        rules
            .into_iter()
            .map(CompiledRule::new)
            .collect::<Result<Vec<_>, _>>()
            .map(RouteRules)
    }

    /// The rules `ROUTE_RULES` gives (a JSON array of [`RouteRule`]s).
    pub(crate) fn from_json(json: &str) -> Result<Self, RuleError> {
        let rules: Vec<RouteRule> = serde_json::from_str(json).map_err(RuleError::Json)?;
        for r in &rules {
            let method_ok = r.method == "*"
                || (!r.method.is_empty() && r.method.bytes().all(|b| b.is_ascii_uppercase()));
            if !method_ok {
                return Err(RuleError::Method(r.method.clone()));
            }
        }
        Self::compile(rules)
    }

    pub fn rules(&self) -> impl Iterator<Item = &RouteRule> {
        self.0.iter().map(|c| &c.rule)
    }

    /// Rules that admit `client` for scope `client` but not `host_user`: written when
    /// code-flow tokens were `client` principals, they now refuse those tokens (README
    /// "Upgrading"). The authorizer warns about each at start.
    pub(crate) fn missing_host_user(&self) -> impl Iterator<Item = &RouteRule> {
        self.rules().filter(|r| {
            r.scope.as_deref() == Some(Scope::Client.as_str())
                && r.principals.admits(PrincipalType::Client)
                && !r.principals.admits(PrincipalType::HostUser)
        })
    }

    /// How `rule` meets the route; `segs` are the target path's segments.
    fn fit(rule: &CompiledRule, target: &RouteTarget, segs: &[&str]) -> RuleFit {
        match target {
            RouteTarget::Template { params, .. } => {
                let Some(names) = rule.pattern.match_template(segs) else {
                    return RuleFit::No;
                };
                let mut bound = BTreeMap::new();
                for name in names {
                    match params.get(name).filter(|v| is_one_segment(v)) {
                        Some(v) => bound.insert(name.to_owned(), v.clone()),
                        None => return RuleFit::MissingParam,
                    };
                }
                RuleFit::Matches(RouteMatch {
                    params: bound,
                    app: rule.rule.app.clone(),
                })
            }
            RouteTarget::Path(_) => {
                match rule.pattern.match_path(segs, false) {
                    Some((true, params)) => {
                        return RuleFit::Matches(RouteMatch {
                            params: params.into_iter().collect(),
                            app: rule.rule.app.clone(),
                        });
                    }
                    Some((false, _)) => return RuleFit::MissingParam,
                    None => {}
                }
                let trimmed = match segs.split_last() {
                    Some((&"", rest)) => rest,
                    _ => segs,
                };
                match rule.pattern.match_path(trimmed, true) {
                    Some(_) => RuleFit::Alias,
                    None => RuleFit::No,
                }
            }
        }
    }

    /// The rule that decides `method` on `target`, before any principal is looked at,
    /// and the route parameters it bound. The first rule that fits decides; a spelling
    /// that differs from a rule only by case, a trailing slash or percent-encoding is
    /// denied, and so is a rule's route without the value of a parameter it names:
    /// neither is ever handed to a later, broader rule.
    pub(crate) fn deciding_rule(
        &self,
        method: &str,
        target: &RouteTarget,
    ) -> Result<(&RouteRule, RouteMatch), DenyReason> {
        let segs = match target {
            RouteTarget::Template { path, .. } | RouteTarget::Path(path) => segments(path),
        };
        self.0
            .iter()
            .filter(|r| r.method_matches(method))
            .find_map(|r| match Self::fit(r, target, &segs) {
                RuleFit::No => None,
                RuleFit::Matches(m) => Some(Ok((&r.rule, m))),
                RuleFit::Alias => Some(Err(DenyReason::PathAlias)),
                RuleFit::MissingParam => Some(Err(DenyReason::MissingRouteParameter)),
            })
            .ok_or(DenyReason::RouteNotAllowed)?
    }

    /// Decides whether `principal` may call `method` on `target`: the
    /// [deciding rule](Self::deciding_rule) must admit its type and it must hold the
    /// rule's scope.
    pub fn authorize(
        &self,
        principal: &Principal,
        method: &str,
        target: &RouteTarget,
    ) -> Result<RouteMatch, DenyReason> {
        let (rule, matched) = self.deciding_rule(method, target)?;
        Self::admits(rule, principal)?;
        Ok(matched)
    }

    /// Whether `rule` admits `principal`'s type and it holds the rule's scope.
    pub(crate) fn admits(rule: &RouteRule, principal: &Principal) -> Result<(), DenyReason> {
        if !rule.principals.admits(principal.principal_type) {
            return Err(DenyReason::CredentialNotAllowed);
        }
        match &rule.scope {
            Some(scope) if !principal.has_scope(scope) => Err(DenyReason::InsufficientScope),
            _ => Ok(()),
        }
    }
}

/// A route parameter's value from API Gateway: one non-empty path segment.
fn is_one_segment(v: &str) -> bool {
    !v.is_empty() && !v.contains('/') && v != "." && v != ".."
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> RouteTarget {
        RouteTarget::Path(p.to_owned())
    }

    /// A target from the real path only, as for `$default` routes.
    fn target(p: &str) -> Result<RouteTarget, DenyReason> {
        RouteTarget::new(None, BTreeMap::new(), p, None)
    }

    fn principal(t: PrincipalType, scopes: &str) -> Principal {
        Principal::new(
            t,
            "s",
            scopes.split_whitespace().map(String::from).collect(),
        )
    }

    #[test]
    #[allow(clippy::too_many_lines, reason = "a test: one row per default rule")]
    fn default_rules_follow_the_design_table() {
        use PrincipalType::*;
        let r = RouteRules::default_rules();
        let key = principal(ApiKey, "data client widget:issue");
        let client_only_key = principal(ApiKey, "client");
        let data_client = principal(Client, "data");
        let code_client = principal(HostUser, "client");
        let widget = principal(WidgetToken, "client");
        let session = principal(WidgetSession, "client");

        assert_eq!(
            r.authorize(&key, "POST", &path("/widget/generateToken")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&key, "POST", &path("/widget/login/token")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&client_only_key, "POST", &path("/widget/generateToken")),
            Err(DenyReason::InsufficientScope)
        );
        for p in [&widget, &session, &code_client] {
            assert_eq!(
                r.authorize(p, "POST", &path("/widget/generateToken")),
                Err(DenyReason::CredentialNotAllowed)
            );
            assert_eq!(
                r.authorize(p, "POST", &path("/widget/login/token")),
                Err(DenyReason::CredentialNotAllowed)
            );
        }
        assert_eq!(
            r.authorize(&session, "POST", &path("/widget/logout")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&widget, "POST", &path("/widget/logout")),
            Err(DenyReason::CredentialNotAllowed)
        );
        for p in [&key, &data_client, &code_client, &widget, &session] {
            assert_eq!(
                r.authorize(p, "GET", &path("/whoami")),
                Ok(RouteMatch::default())
            );
        }
        assert_eq!(
            r.authorize(&code_client, "GET", &path("/display")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&code_client, "GET", &path("/display/rules")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&widget, "POST", &path("/comments")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&data_client, "GET", &path("/display")),
            Err(DenyReason::InsufficientScope)
        );
        assert_eq!(
            r.authorize(&data_client, "GET", &path("/stats")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&key, "GET", &path("/surveys/1/answers")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&code_client, "GET", &path("/stats")),
            Err(DenyReason::InsufficientScope)
        );
        // People: `any` admits them, `data` routes only the creator (scope `data`), and
        // the users' own routes no other credential.
        let creator = principal(Creator, "data client");
        let end_user = principal(EndUser, "client");
        for p in [&creator, &end_user] {
            for (method, route) in [
                ("GET", "/whoami"),
                ("GET", "/display"),
                ("GET", "/display/rules"),
                ("POST", "/comments"),
                ("GET", "/users/me"),
                ("POST", "/users/signout"),
                ("POST", "/users/password/change"),
            ] {
                assert_eq!(
                    r.authorize(p, method, &path(route)),
                    Ok(RouteMatch::default()),
                    "{method} {route}"
                );
            }
            for (method, route) in [
                ("POST", "/widget/generateToken"),
                ("POST", "/widget/login/token"),
                ("POST", "/widget/logout"),
            ] {
                assert_eq!(
                    r.authorize(p, method, &path(route)),
                    Err(DenyReason::CredentialNotAllowed),
                    "{method} {route}"
                );
            }
        }
        assert_eq!(
            r.authorize(&creator, "GET", &path("/data")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&end_user, "GET", &path("/data")),
            Err(DenyReason::InsufficientScope)
        );
        for p in [&session, &key, &widget, &data_client, &code_client] {
            for (method, route) in [
                ("GET", "/users/me"),
                ("POST", "/users/signout"),
                ("POST", "/users/password/change"),
            ] {
                assert_eq!(
                    r.authorize(p, method, &path(route)),
                    Err(DenyReason::CredentialNotAllowed),
                    "{:?} {method} {route}",
                    p.principal_type
                );
            }
        }
        // Not listed: denied, whatever the credential.
        assert_eq!(
            r.authorize(&key, "DELETE", &path("/stats")),
            Err(DenyReason::RouteNotAllowed)
        );
        assert_eq!(
            r.authorize(&key, "POST", &path("/stats")),
            Err(DenyReason::RouteNotAllowed)
        );
        assert_eq!(
            r.authorize(&key, "POST", &path("/token")),
            Err(DenyReason::RouteNotAllowed)
        );
    }

    /// The deciding rule is found without a principal, by the same first fit as
    /// `authorize`: exact rules before the wildcard, aliases and missing parameters
    /// denied, unlisted routes denied.
    #[test]
    fn the_deciding_rule_is_found_without_a_principal() {
        let r = RouteRules::default_rules();
        let rule = |method: &str, t: &RouteTarget| {
            r.deciding_rule(method, t)
                .map(|(rule, _)| (rule.method.clone(), rule.path.clone()))
        };
        let found = |m: &str, p: &str| Ok((m.to_owned(), p.to_owned()));
        assert_eq!(rule("GET", &path("/users/me")), found("GET", "/users/me"));
        assert_eq!(
            rule("GET", &template("/display", &[])),
            found("GET", "/display")
        );
        assert_eq!(rule("GET", &path("/stats")), found("GET", "/*"));
        assert_eq!(
            rule("POST", &path("/widget/generateToken")),
            found("POST", "/widget/generateToken")
        );
        assert_eq!(rule("GET", &path("/Users/me")), Err(DenyReason::PathAlias));
        assert_eq!(
            rule("DELETE", &path("/users/me")),
            Err(DenyReason::RouteNotAllowed)
        );
        let (found_rule, _) = r.deciding_rule("GET", &path("/users/me")).unwrap();
        assert_eq!(
            found_rule.principals,
            Principals::List(PrincipalType::USERS.into())
        );
        let custom = RouteRules::from_json(
            r#"[{"method":"GET","path":"/apps/{app_id}","principals":["creator"]}]"#,
        )
        .unwrap();
        let (found_rule, bound) = custom
            .deciding_rule("GET", &template("/apps/{app_id}", &[("app_id", "a1")]))
            .unwrap();
        assert_eq!(found_rule.path, "/apps/{app_id}");
        assert_eq!(bound.params["app_id"], "a1");
        assert_eq!(
            custom
                .deciding_rule("GET", &template("/apps/{app_id}", &[]))
                .map(|_| ()),
            Err(DenyReason::MissingRouteParameter)
        );
    }

    /// Code-flow tokens (`host_user`) reach the `client` routes of the defaults, as the
    /// client credentials of a `client`-scoped token would; `data` routes stay closed.
    #[test]
    fn default_rules_admit_host_users_for_scope_client() {
        let r = RouteRules::default_rules();
        let host = principal(PrincipalType::HostUser, "client");
        for (method, p) in [
            ("GET", "/whoami"),
            ("GET", "/display"),
            ("GET", "/display/rules"),
            ("POST", "/comments"),
        ] {
            assert_eq!(
                r.authorize(&host, method, &path(p)),
                Ok(RouteMatch::default())
            );
        }
        assert_eq!(
            r.authorize(&host, "GET", &path("/stats")),
            Err(DenyReason::InsufficientScope)
        );
        assert_eq!(
            r.authorize(&host, "POST", &path("/widget/logout")),
            Err(DenyReason::CredentialNotAllowed)
        );
        assert_eq!(r.missing_host_user().count(), 0);
    }

    /// `ROUTE_RULES` may name `host_user`; a rule listing `client` for scope `client`
    /// without it is reported (the authorizer warns at start).
    #[test]
    fn custom_rules_that_forget_host_user_are_reported() {
        let r = RouteRules::from_json(
            r#"[{"method":"GET","path":"/a","principals":["client"],"scope":"client"},
                {"method":"GET","path":"/b","principals":["client","host_user"],"scope":"client"},
                {"method":"GET","path":"/c","principals":["client"],"scope":"data"},
                {"method":"GET","path":"/d","principals":"any","scope":"client"},
                {"method":"GET","path":"/e","principals":["host_user"]}]"#,
        )
        .unwrap();
        let paths: Vec<&str> = r.missing_host_user().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["/a"]);
        let host = principal(PrincipalType::HostUser, "client");
        assert_eq!(
            r.authorize(&host, "GET", &path("/a")),
            Err(DenyReason::CredentialNotAllowed)
        );
        assert_eq!(
            r.authorize(&host, "GET", &path("/b")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&host, "GET", &path("/e")),
            Ok(RouteMatch::default())
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
            assert_eq!(target(p), Err(DenyReason::SuspiciousPath), "{p}");
        }
        assert_eq!(
            r.authorize(&key, "GET", &path("/stats/")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&key, "GET", &path("/")),
            Ok(RouteMatch::default())
        );
    }

    #[test]
    fn custom_rules_replace_the_defaults() {
        let r = RouteRules::from_json(
            r#"[{"method":"GET","path":"/reports/*","principals":["client"],"scope":"data"}]"#,
        )
        .unwrap();
        let c = principal(PrincipalType::Client, "data");
        assert_eq!(
            r.authorize(&c, "GET", &path("/reports/1")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&c, "GET", &path("/reports")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&c, "GET", &path("/reportsX")),
            Err(DenyReason::RouteNotAllowed)
        );
        assert_eq!(
            r.authorize(&c, "GET", &path("/whoami")),
            Err(DenyReason::RouteNotAllowed)
        );
        let k = principal(PrincipalType::ApiKey, "data");
        assert_eq!(
            r.authorize(&k, "GET", &path("/reports/1")),
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
            r#"[{"method":"GET","path":"/a/{id+}","principals":"any"}]"#,
            r#"[{"method":"GET","path":"/a/{}","principals":"any"}]"#,
            r#"[{"method":"GET","path":"/a/{b-c}","principals":"any"}]"#,
            r#"[{"method":"GET","path":"/a//b","principals":"any"}]"#,
            r#"[{"method":"GET","path":"/a/","principals":"any"}]"#,
        ] {
            assert!(RouteRules::from_json(bad).is_err(), "{bad}");
        }
    }

    fn template(path: &str, params: &[(&str, &str)]) -> RouteTarget {
        RouteTarget::Template {
            path: path.to_owned(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// Route keys decide: an exact rule meets only its own route, `{name}` only
    /// `{name}`, `*` one segment; the real path plays no part.
    #[test]
    fn rules_decide_on_the_matched_route_template() {
        let r = RouteRules::default_rules();
        let data = principal(PrincipalType::Client, "data");
        let client = principal(PrincipalType::Client, "client");
        assert_eq!(
            r.authorize(&data, "GET", &template("/display", &[])),
            Err(DenyReason::InsufficientScope)
        );
        assert_eq!(
            r.authorize(&client, "GET", &template("/display", &[])),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&data, "GET", &template("/stats", &[])),
            Ok(RouteMatch::default())
        );
        let custom = RouteRules::from_json(
            r#"[{"method":"GET","path":"/apps/{app_id}","principals":"any","scope":"client"},
                {"method":"GET","path":"/a/*/c","principals":"any","scope":"client"},
                {"method":"GET","path":"/*","principals":"any","scope":"data"}]"#,
        )
        .unwrap();
        let bound = custom
            .authorize(
                &client,
                "GET",
                &template("/apps/{app_id}", &[("app_id", "a1")]),
            )
            .unwrap();
        assert_eq!(bound.params["app_id"], "a1");
        // Another parameter name or a literal is another route: the wildcard decides.
        for other in ["/apps/{id}", "/apps/a1"] {
            assert_eq!(
                custom.authorize(&client, "GET", &template(other, &[("id", "a1")])),
                Err(DenyReason::InsufficientScope),
                "{other}"
            );
        }
        assert_eq!(
            custom.authorize(&client, "GET", &template("/a/{b}/c", &[("b", "x")])),
            Ok(RouteMatch::default())
        );
        // A rule that needs a bound value and gets none is a denial, not a fall-through.
        for params in [&[][..], &[("app_id", "")][..], &[("app_id", "x/y")][..]] {
            assert_eq!(
                custom.authorize(&data, "GET", &template("/apps/{app_id}", params)),
                Err(DenyReason::MissingRouteParameter),
                "{params:?}"
            );
        }
    }

    /// Where the path decides, a spelling that differs from a rule only by case, a
    /// trailing slash or percent-encoding of unreserved characters is denied, never
    /// handed to the broader `GET /*` (which would admit a `data` credential).
    #[test]
    fn aliases_of_a_rule_are_denied_where_the_path_decides() {
        let r = RouteRules::default_rules();
        let data = principal(PrincipalType::Client, "data");
        for alias in [
            "/Display",
            "/DISPLAY",
            "/display/",
            "/%64isplay",
            "/disp%6Cay",
            "/Display/rules",
            "/display/Rules/",
            "/WhoAmI",
        ] {
            assert_eq!(
                r.authorize(&data, "GET", &target(alias).unwrap()),
                Err(DenyReason::PathAlias),
                "{alias}"
            );
        }
        // Other paths still reach the wildcard; the exact spelling meets its rule.
        assert_eq!(
            r.authorize(&data, "GET", &path("/stats/")),
            Ok(RouteMatch::default())
        );
        assert_eq!(
            r.authorize(&data, "GET", &path("/display")),
            Err(DenyReason::InsufficientScope)
        );
        // Parameterised rules: aliases and empty values are denied too.
        let custom = RouteRules::from_json(
            r#"[{"method":"GET","path":"/apps/{app_id}","principals":"any","scope":"client"},
                {"method":"GET","path":"/*","principals":"any","scope":"data"}]"#,
        )
        .unwrap();
        let client = principal(PrincipalType::Client, "client");
        assert_eq!(
            custom
                .authorize(&client, "GET", &path("/apps/a1"))
                .unwrap()
                .params["app_id"],
            "a1"
        );
        for alias in ["/Apps/a1", "/apps/a1/", "/%61pps/a1"] {
            assert_eq!(
                custom.authorize(&data, "GET", &path(alias)),
                Err(DenyReason::PathAlias),
                "{alias}"
            );
        }
        assert_eq!(
            custom.authorize(&data, "GET", &path("/apps/")),
            Err(DenyReason::MissingRouteParameter)
        );
    }

    /// A custom exact rule narrower than a later wildcard cannot be bypassed by an alias.
    #[test]
    fn custom_exact_rule_before_a_wildcard_holds_against_aliases() {
        let r = RouteRules::from_json(
            r#"[{"method":"GET","path":"/reports/summary","principals":["api_key"],"scope":"client"},
                {"method":"GET","path":"/reports/*","principals":"any","scope":"data"}]"#,
        )
        .unwrap();
        let data = principal(PrincipalType::Client, "data");
        assert_eq!(
            r.authorize(&data, "GET", &path("/reports/daily")),
            Ok(RouteMatch::default())
        );
        for alias in [
            "/reports/Summary",
            "/reports/summary/",
            "/reports/%73ummary",
        ] {
            assert_eq!(
                r.authorize(&data, "GET", &path(alias)),
                Err(DenyReason::PathAlias),
                "{alias}"
            );
        }
        assert_eq!(
            r.authorize(&data, "GET", &template("/reports/summary", &[])),
            Err(DenyReason::CredentialNotAllowed)
        );
    }

    /// Greedy templates and `$default` hand over to the path; `ROUTE_PREFIX` is removed
    /// only when configured, and required then.
    #[test]
    fn route_target_falls_back_to_the_path_and_strips_only_a_configured_prefix() {
        let none = BTreeMap::new;
        assert_eq!(
            RouteTarget::new(Some("/{proxy+}"), none(), "/Display", None),
            Ok(path("/Display"))
        );
        assert_eq!(
            RouteTarget::new(Some("/api/{rest+}"), none(), "/api/x", None),
            Ok(path("/api/x"))
        );
        assert_eq!(
            RouteTarget::new(Some("/display"), none(), "/v1/display", Some("/v1")),
            Ok(template("/display", &[]))
        );
        assert_eq!(
            RouteTarget::new(None, none(), "/v1/display", Some("/v1")),
            Ok(path("/display"))
        );
        assert_eq!(
            RouteTarget::new(None, none(), "/v1", Some("/v1")),
            Ok(path("/"))
        );
        // Not stripped unless configured; refused when configured and absent.
        assert_eq!(
            RouteTarget::new(None, none(), "/v1/display", None),
            Ok(path("/v1/display"))
        );
        for missing in ["/display", "/v10/display", "/V1/display"] {
            assert_eq!(
                RouteTarget::new(None, none(), missing, Some("/v1")),
                Err(DenyReason::RouteNotAllowed),
                "{missing}"
            );
        }
        let r = RouteRules::default_rules();
        let data = principal(PrincipalType::Client, "data");
        let t = RouteTarget::new(None, none(), "/v1/display", Some("/v1")).unwrap();
        assert_eq!(
            r.authorize(&data, "GET", &t),
            Err(DenyReason::InsufficientScope)
        );
        assert_eq!(
            RouteTarget::new(Some("display"), none(), "/display", None),
            Err(DenyReason::MalformedEvent)
        );
        for good in ["/v1", "/prod", "/api/v1", "/a-b_c.d~e"] {
            assert!(valid_route_prefix(good), "{good}");
        }
        for bad in [
            "", "/", "v1", "/v1/", "//v1", "/v 1", "/v%31", "/..", "/{x}",
        ] {
            assert!(!valid_route_prefix(bad), "{bad}");
        }
    }

    /// The messages `ROUTE_RULES` is refused with (shown by the configuration error).
    #[test]
    fn bad_rules_are_refused_with_their_reason() {
        let message = |json: &str| RouteRules::from_json(json).unwrap_err().to_string();
        let json_error = serde_json::from_str::<Vec<RouteRule>>("{").unwrap_err();
        assert_eq!(message("{"), format!("invalid JSON rules: {json_error}"));
        let rule = |method: &str, path: &str| {
            format!(r#"[{{"method": "{method}", "path": "{path}", "principals": "any"}}]"#)
        };
        assert_eq!(
            message(&rule("get", "/a")),
            "rule method `get` must be an upper-case HTTP method or `*`"
        );
        for (path, why) in [
            ("a", "must start with `/`"),
            ("/a//b", "empty segment"),
            (
                "/{a-b}",
                "a parameter is `{name}` with a name of [A-Za-z0-9_] (no greedy `{name+}`)",
            ),
            ("/a*", "`*` and `{name}` must be whole segments"),
        ] {
            assert_eq!(
                message(&rule("GET", path)),
                format!("rule path `{path}`: {why}")
            );
        }
    }

    /// `app` names where the id is: a `{name}` of the rule's path, or the one header
    /// CORS lets a browser send; anything else stops the start with the rule named.
    #[test]
    fn app_sources_are_a_path_parameter_of_the_rule_or_the_app_header() {
        let r = RouteRules::from_json(
            r#"[{"method":"GET","path":"/apps/{app_id}/data","principals":"any","app":{"path_param":"app_id"}},
                {"method":"GET","path":"/reports","principals":"any","app":{"header":"x-gatehouse-app-id"}}]"#,
        )
        .unwrap();
        let t = RouteTarget::Template {
            path: "/apps/{app_id}/data".into(),
            params: [("app_id".to_owned(), "sales".to_owned())].into(),
        };
        let p = principal(PrincipalType::ApiKey, "client");
        let m = r.authorize(&p, "GET", &t).unwrap();
        assert_eq!(m.app, Some(AppSource::PathParam("app_id".into())));
        assert_eq!(m.params["app_id"], "sales");
        let m = r.authorize(&p, "GET", &path("/reports")).unwrap();
        assert_eq!(m.app, Some(AppSource::Header(APP_ID_HEADER.into())));
        let d = RouteRules::default_rules();
        let m = d.authorize(&p, "GET", &path("/apps/x/data")).unwrap();
        assert_eq!(m.app, Some(AppSource::PathParam("app_id".into())));
        for bad in [
            r#"[{"method":"GET","path":"/apps/{id}","principals":"any","app":{"path_param":"app_id"}}]"#,
            r#"[{"method":"GET","path":"/r","principals":"any","app":{"header":"x-other"}}]"#,
            r#"[{"method":"GET","path":"/r","principals":"any","app":{"query":"app"}}]"#,
            r#"[{"method":"GET","path":"/r","principals":"any","app":{"header":"x-gatehouse-app-id","path_param":"a"}}]"#,
        ] {
            assert!(RouteRules::from_json(bad).is_err(), "{bad}");
        }
        let e = RouteRules::from_json(
            r#"[{"method":"GET","path":"/apps/{id}","principals":"any","app":{"path_param":"app_id"}}]"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`GET /apps/{id}`") && e.contains("path_param"),
            "{e}"
        );
    }
}
