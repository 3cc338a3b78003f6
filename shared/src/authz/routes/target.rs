//! What the route rules decide on: the matched route's template, or the real path
//! where the route does not say; and the paths refused before any rule is looked at.

use std::collections::BTreeMap;

use super::pattern::segments;
use crate::authz::deny::DenyReason;

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
    pub(crate) fn new(
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
