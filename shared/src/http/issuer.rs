//! The one issuer rule: `ISSUER` when set, else the API's own domain name.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::config::Config;
use crate::error::{Error, Result};

/// The issuer: `ISSUER`, or `https://<requestContext.domainName>` when it is empty.
pub fn issuer(config: &Config, req: &Request) -> Result<String> {
    if let Some(i) = &config.issuer {
        return Ok(i.clone());
    }
    let domain = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.domain_name.clone(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.domain_name.clone(),
        _ => None,
    };
    domain
        .filter(|d| !d.is_empty())
        .map(|d| format!("https://{d}"))
        .ok_or_else(|| Error::Internal("ISSUER is empty and the request has no domain name".into()))
}
