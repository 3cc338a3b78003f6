//! The token function. For now it serves `GET /whoami`: the caller's normalized
//! principal, as the authorizer put it in the request context, so integrators can test
//! a credential.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::http::{Handler, Response, json};

/// Context keys the authorizer sets (DESIGN.md section 4).
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

#[derive(Debug, Default)]
pub struct TokenFunction;

impl TokenFunction {
    pub fn from_env() -> Result<Self> {
        crate::config::Config::from_env()?;
        Ok(TokenFunction)
    }
}

impl Handler for TokenFunction {
    async fn handle(&self, req: Request) -> Result<Response> {
        match (req.method().as_str(), req.uri().path()) {
            ("GET", "/whoami") => {
                // Reached only through the authorizer; no context means a misrouted call.
                let principal =
                    authorizer_context(&req).ok_or(Error::Unauthorized("no_principal"))?;
                Ok(json(http::StatusCode::OK, &principal))
            }
            _ => Err(Error::NotFound),
        }
    }
}
