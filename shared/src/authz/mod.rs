//! Authorization: credential classification, route rules and the normalized principal.
//! Pure logic: no AWS SDK types.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
}

impl PrincipalType {
    pub const ALL: [PrincipalType; 5] = [
        PrincipalType::ApiKey,
        PrincipalType::Client,
        PrincipalType::HostUser,
        PrincipalType::WidgetToken,
        PrincipalType::WidgetSession,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::ApiKey => "api_key",
            PrincipalType::Client => "client",
            PrincipalType::HostUser => "host_user",
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
    PathAlias,
    MissingRouteParameter,
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
            DenyReason::PathAlias => "path_alias",
            DenyReason::MissingRouteParameter => "missing_route_parameter",
        }
    }
}

/// The Origin rule for browser credentials (README "Origin checks"): the request's
/// `Origin` must be in `allowed` (`ALLOWED_ORIGINS`, as configured now) and, when the
/// credential is bound to origins (`bound`: a widget token's `origins`, a session's
/// origin), one of those too. `bound: None` is a credential bound to no origin (a
/// widget session written before sessions remembered theirs). A missing `Origin` is
/// denied.
pub fn origin_permits(origin: Option<&str>, allowed: &[String], bound: Option<&[String]>) -> bool {
    let Some(origin) = origin else {
        return false;
    };
    let listed = |list: &[String]| list.iter().any(|a| a.eq_ignore_ascii_case(origin));
    listed(allowed) && bound.is_none_or(listed)
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// One segment of a rule path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    AnyOne,
}

/// A rule path, parsed once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    segments: Vec<Segment>,
    /// A final `/*`: the rest of the path, zero or more segments.
    rest: bool,
}

/// The segments of `/a/b` (`/` has none; a trailing slash leaves a final empty one).
fn segments(path: &str) -> Vec<&str> {
    match path.strip_prefix('/') {
        Some("") | None => Vec::new(),
        Some(p) => p.split('/').collect(),
    }
}

/// A route parameter's name: what API Gateway allows between the braces.
fn valid_param_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Pattern {
    fn parse(path: &str) -> Result<Pattern, String> {
        let bad = |why: &str| format!("rule path `{path}`: {why}");
        if !path.starts_with('/') {
            return Err(bad("must start with `/`"));
        }
        let mut parts = segments(path);
        let rest = parts.last() == Some(&"*");
        if rest {
            parts.pop();
        }
        let mut out = Vec::with_capacity(parts.len());
        for seg in parts {
            out.push(match seg {
                "" => return Err(bad("empty segment")),
                "*" => Segment::AnyOne,
                s if s.starts_with('{') && s.ends_with('}') => {
                    let name = &s[1..s.len() - 1];
                    if !valid_param_name(name) {
                        return Err(bad(
                            "a parameter is `{name}` with a name of [A-Za-z0-9_] (no greedy `{name+}`)",
                        ));
                    }
                    Segment::Param(name.to_owned())
                }
                s if s.contains(['*', '{', '}']) => {
                    return Err(bad("`*` and `{name}` must be whole segments"));
                }
                s => Segment::Literal(s.to_owned()),
            });
        }
        Ok(Pattern {
            segments: out,
            rest,
        })
    }

    /// Against the path template of a matched route: a literal equals the template's
    /// segment, `{name}` matches only `{name}`, `*` any one segment.
    fn match_template(&self, template: &[&str]) -> Option<Vec<&str>> {
        if !self.length_fits(template.len()) {
            return None;
        }
        let mut params = Vec::new();
        for (seg, t) in self.segments.iter().zip(template) {
            match seg {
                Segment::Literal(l) if l == t => {}
                Segment::Param(n)
                    if t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) == Some(n) =>
                {
                    params.push(n.as_str());
                }
                Segment::AnyOne => {}
                _ => return None,
            }
        }
        Some(params)
    }

    /// Against a real path: a literal equals the segment (`loose`: ignoring case and
    /// percent-encoding of unreserved characters), `{name}` and `*` match any one
    /// segment. `Some(false)`: the shape matched but a `{name}` segment is empty.
    fn match_path(&self, path: &[&str], loose: bool) -> Option<(bool, Vec<(String, String)>)> {
        if !self.length_fits(path.len()) {
            return None;
        }
        let mut params = Vec::new();
        let mut valid = true;
        for (seg, s) in self.segments.iter().zip(path) {
            match seg {
                Segment::Literal(l) if l == s => {}
                Segment::Literal(l) if loose && loosely_equal(l, s) => {}
                Segment::Literal(_) => return None,
                Segment::Param(n) => {
                    valid &= !s.is_empty();
                    params.push((n.clone(), (*s).to_owned()));
                }
                Segment::AnyOne if s.is_empty() => return None,
                Segment::AnyOne => {}
            }
        }
        Some((valid, params))
    }

    fn length_fits(&self, len: usize) -> bool {
        if self.rest {
            len >= self.segments.len()
        } else {
            len == self.segments.len()
        }
    }
}

/// Whether two segments read the same to a lenient backend: unreserved characters
/// percent-decoded, ASCII case folded. Allocates nothing.
fn loosely_equal(a: &str, b: &str) -> bool {
    canonical_bytes(a).eq(canonical_bytes(b))
}

fn canonical_bytes(segment: &str) -> impl Iterator<Item = u8> + '_ {
    let bytes = segment.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *bytes.get(i)?;
        let decoded = (b == b'%')
            .then(|| segment.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .filter(|d| d.is_ascii_alphanumeric() || b"-._~".contains(d));
        match decoded {
            Some(d) => {
                i += 3;
                Some(d.to_ascii_lowercase())
            }
            None => {
                i += 1;
                Some(b.to_ascii_lowercase())
            }
        }
    })
}

/// What the rules decide on: the route API Gateway matched, or the real path where
/// the route does not say (`$default`, greedy `{proxy+}` routes, REST `TOKEN` events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    /// The matched route's path template (`/display`, `/apps/{app_id}`) and the values
    /// API Gateway bound to its parameters.
    Template {
        path: String,
        params: BTreeMap<String, String>,
    },
    /// The request path (any configured `ROUTE_PREFIX` already removed).
    Path(String),
}

impl RouteTarget {
    /// The target of one request. `template` is the path template of the route API
    /// Gateway matched (`None` for `$default` and REST `TOKEN` events); greedy templates
    /// (`{proxy+}`) say nothing, so the path decides there. `prefix` (`ROUTE_PREFIX`) is
    /// removed from `path` and required on it; it applies only where the path decides.
    /// A path whose meaning could differ between the gateway and a backend is refused
    /// first, whatever decides.
    pub fn new(
        template: Option<&str>,
        params: BTreeMap<String, String>,
        path: &str,
        prefix: Option<&str>,
    ) -> Result<RouteTarget, DenyReason> {
        if !is_clean_path(path) {
            return Err(DenyReason::SuspiciousPath);
        }
        if template.is_some_and(|t| !t.starts_with('/')) {
            return Err(DenyReason::MalformedEvent);
        }
        if let Some(t) = template.filter(|t| !is_greedy(t)) {
            return Ok(RouteTarget::Template {
                path: t.to_owned(),
                params,
            });
        }
        let path = match prefix {
            None => path,
            Some(prefix) => match path.strip_prefix(prefix) {
                Some("") => "/",
                Some(rest) if rest.starts_with('/') => rest,
                _ => return Err(DenyReason::RouteNotAllowed),
            },
        };
        Ok(RouteTarget::Path(path.to_owned()))
    }
}

/// A greedy route template (`/{proxy+}`, `/reports/{proxy+}`).
fn is_greedy(template: &str) -> bool {
    segments(template)
        .iter()
        .any(|s| s.starts_with('{') && s.ends_with("+}"))
}

/// A valid `ROUTE_PREFIX`: `/segment[/segment...]` of unreserved characters, no
/// trailing slash.
pub fn valid_route_prefix(prefix: &str) -> bool {
    prefix.len() > 1
        && prefix.starts_with('/')
        && segments(prefix).iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
                && *s != "."
                && *s != ".."
        })
}

/// The rule that decided, and the route parameters it bound.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteMatch {
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CompiledRule {
    rule: RouteRule,
    pattern: Pattern,
}

impl CompiledRule {
    fn new(rule: RouteRule) -> Result<Self, String> {
        let pattern = Pattern::parse(&rule.path)?;
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
        Self::compile(vec![
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
        .expect("the default rules are valid")
    }

    fn compile(rules: Vec<RouteRule>) -> Result<Self, String> {
        rules
            .into_iter()
            .map(CompiledRule::new)
            .collect::<Result<Vec<_>, _>>()
            .map(RouteRules)
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
        }
        Self::compile(rules)
    }

    pub fn rules(&self) -> impl Iterator<Item = &RouteRule> {
        self.0.iter().map(|c| &c.rule)
    }

    /// Rules that admit `client` for scope `client` but not `host_user`: written when
    /// code-flow tokens were `client` principals, they now refuse those tokens (README
    /// "Upgrading"). The authorizer warns about each at start.
    pub fn missing_host_user(&self) -> impl Iterator<Item = &RouteRule> {
        self.rules().filter(|r| {
            r.scope.as_deref() == Some("client")
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
                RuleFit::Matches(RouteMatch { params: bound })
            }
            RouteTarget::Path(_) => {
                match rule.pattern.match_path(segs, false) {
                    Some((true, params)) => {
                        return RuleFit::Matches(RouteMatch {
                            params: params.into_iter().collect(),
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

    /// Decides whether `principal` may call `method` on `target`. The first rule that
    /// fits decides; a spelling that differs from a rule only by case, a trailing slash
    /// or percent-encoding is denied, and so is a rule's route without the value of a
    /// parameter it names: neither is ever handed to a later, broader rule.
    pub fn authorize(
        &self,
        principal: &Principal,
        method: &str,
        target: &RouteTarget,
    ) -> Result<RouteMatch, DenyReason> {
        let segs = match target {
            RouteTarget::Template { path, .. } | RouteTarget::Path(path) => segments(path),
        };
        let (rule, matched) = self
            .0
            .iter()
            .filter(|r| r.method_matches(method))
            .find_map(|r| match Self::fit(r, target, &segs) {
                RuleFit::No => None,
                RuleFit::Matches(m) => Some(Ok((r, m))),
                RuleFit::Alias => Some(Err(DenyReason::PathAlias)),
                RuleFit::MissingParam => Some(Err(DenyReason::MissingRouteParameter)),
            })
            .ok_or(DenyReason::RouteNotAllowed)??;
        if !rule.rule.principals.admits(principal.principal_type) {
            return Err(DenyReason::CredentialNotAllowed);
        }
        match &rule.rule.scope {
            Some(scope) if !principal.has_scope(scope) => Err(DenyReason::InsufficientScope),
            _ => Ok(matched),
        }
    }
}

/// A route parameter's value from API Gateway: one non-empty path segment.
fn is_one_segment(v: &str) -> bool {
    !v.is_empty() && !v.contains('/') && v != "." && v != ".."
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

    #[test]
    fn origin_rule_needs_an_allowed_and_bound_origin() {
        let allowed = vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned(),
        ];
        let a = vec!["https://a.example".to_owned()];
        let gone = vec!["https://old.example".to_owned()];
        assert!(origin_permits(
            Some("https://a.example"),
            &allowed,
            Some(&a)
        ));
        assert!(origin_permits(
            Some("https://A.example"),
            &allowed,
            Some(&a)
        ));
        // Bound elsewhere, or bound to an origin no longer allowed.
        assert!(!origin_permits(
            Some("https://b.example"),
            &allowed,
            Some(&a)
        ));
        assert!(!origin_permits(
            Some("https://old.example"),
            &allowed,
            Some(&gone)
        ));
        // Unbound (legacy sessions): any allowed origin.
        assert!(origin_permits(Some("https://b.example"), &allowed, None));
        assert!(!origin_permits(
            Some("https://evil.example"),
            &allowed,
            None
        ));
        assert!(!origin_permits(None, &allowed, None));
        assert!(!origin_permits(Some("null"), &allowed, Some(&[])));
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
