//! The one issuer rule: `ISSUER` when set, else the API's own domain name.

use crate::config::Issuer;

/// The issuer: `configured` (`ISSUER`), or `https://<domain>` from the request's domain
/// name when it is unset. `None` when neither is there (an empty domain counts as none).
pub fn issuer_from(configured: Option<&Issuer>, domain: Option<&str>) -> Option<String> {
    match configured {
        Some(i) => Some(i.as_str().to_owned()),
        None => domain
            .filter(|d| !d.is_empty())
            .map(|d| format!("https://{d}")),
    }
}

/// The issuer of a function's request: [`issuer_from`] with `ISSUER` and
/// `requestContext.domainName`.
#[cfg(feature = "aws")]
pub fn issuer(
    config: &crate::config::Config,
    req: &lambda_http::Request,
) -> crate::error::Result<String> {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;

    let domain = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.domain_name.as_deref(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.domain_name.as_deref(),
        _ => None,
    };
    issuer_from(config.issuer.as_ref(), domain).ok_or_else(|| {
        crate::error::Error::Internal("ISSUER is empty and the request has no domain name".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_is_the_configured_one_else_the_domain_over_https() {
        let configured = Issuer::parse("https://auth.example.com").unwrap();
        assert_eq!(
            issuer_from(Some(&configured), Some("api.example.com")).as_deref(),
            Some("https://auth.example.com")
        );
        assert_eq!(
            issuer_from(None, Some("api.example.com")).as_deref(),
            Some("https://api.example.com")
        );
        assert_eq!(issuer_from(None, Some("")), None);
        assert_eq!(issuer_from(None, None), None);
    }
}
