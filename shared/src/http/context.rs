//! What the authorizer decided, as the functions behind it read it.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::{Map, Value};

/// Context keys the authorizer sets (README "Route rules", the principal table).
pub const PRINCIPAL_KEYS: [&str; 14] = [
    "principal_type",
    "subject",
    "scopes",
    "client_id",
    "app_id",
    "org_id",
    "dashboard_id",
    "key_id",
    "expires_at",
    "permissions",
    "asset_permissions",
    "user_kind",
    "roles",
    "app_access",
];

/// The path template of the route API Gateway matched (payload 2.0 `routeKey`, REST
/// `resource`), or `None` where it matched none (`$default`).
pub fn route_template(req: &Request) -> Option<&str> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx
            .route_key
            .as_deref()
            .and_then(|k| k.split_once(' '))
            .map(|(_, path)| path),
        RequestContext::ApiGatewayV1(ctx) => ctx.resource_path.as_deref(),
        _ => None,
    }
}

/// The authorizer context of a request (HTTP API `authorizer.lambda`, REST `authorizer`).
pub fn authorizer_context(req: &Request) -> Option<Map<String, Value>> {
    let fields = match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.authorizer.as_ref()?.fields.clone(),
        RequestContext::ApiGatewayV1(ctx) => ctx.authorizer.fields.clone(),
        _ => return None,
    };
    let principal: Map<String, Value> = fields
        .into_iter()
        .filter(|(k, _)| PRINCIPAL_KEYS.contains(&k.as_str()))
        .collect();
    principal
        .contains_key("principal_type")
        .then_some(principal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{Principal, PrincipalType};

    /// Every key the authorizer's context can carry is one the functions read back.
    #[test]
    fn the_principal_keys_are_the_context_keys() {
        let mut p = Principal::new(PrincipalType::WidgetToken, "s", vec!["client".into()]);
        p.client_id = Some("c".into());
        p.app_id = Some("a".into());
        p.org_id = Some("o".into());
        p.dashboard_id = Some("d".into());
        p.key_id = Some("k".into());
        p.expires_at = Some(1);
        p.permissions = Some(serde_json::json!([]));
        p.asset_permissions = Some(serde_json::json!({}));
        p.user_kind = Some("creator".into());
        p.roles = vec!["r".into()];
        p.app_access = Some(crate::authz::apps::AppAccess::Grant);
        let mut keys: Vec<String> = p.context().keys().cloned().collect();
        keys.sort();
        let mut known = PRINCIPAL_KEYS.to_vec();
        known.sort_unstable();
        assert_eq!(keys, known);
    }
}
