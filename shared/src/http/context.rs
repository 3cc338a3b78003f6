//! What the authorizer decided, as the functions behind it read it.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::{Map, Value};

/// Context keys the authorizer sets (README "Route rules", the principal table).
pub const PRINCIPAL_KEYS: [&str; 11] = [
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
];

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
