//! Authorizer events: any of the four API Gateway shapes, read strictly into the parts
//! the decision needs (HTTP API payload 2.0, REST `TOKEN`, REST `REQUEST`).

use std::collections::BTreeMap;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use http::HeaderMap;
use serde_json::Value;

use crate::authz::origin::sent_origin;
use crate::error::{Error, Result};
use crate::primitives::headers::{cookie_headers, single_value};

/// Which API Gateway event shape arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventShape {
    /// HTTP API, payload format 2.0.
    HttpV2,
    /// REST API `TOKEN` authorizer.
    RestToken,
    /// REST API `REQUEST` authorizer (and HTTP API payload 1.0, which has its shape).
    RestRequest,
}

/// The parts of an authorizer event the decision needs.
#[derive(Debug, Clone, Default)]
pub struct AuthInput {
    pub shape: Option<EventShape>,
    pub method: String,
    /// The request path as API Gateway received it (REST: the `methodArn`'s path).
    pub path: String,
    /// The path template of the route API Gateway matched: payload 2.0 `routeKey`
    /// (`None` for `$default`), REST `resource` (`None` for `TOKEN` events).
    pub route_template: Option<String>,
    /// The values API Gateway bound to the route's parameters.
    pub path_params: BTreeMap<String, String>,
    /// `routeArn` / `methodArn`, the resource of IAM policy answers.
    pub resource_arn: String,
    pub api_key: Option<String>,
    pub authorization: Option<String>,
    pub cookies: Vec<String>,
    pub origin: Option<String>,
    /// The `x-gatehouse-app-id` header; `Some("")` when it was sent more than once, or
    /// not as text (no app id matches that).
    pub app_header: Option<String>,
    /// A credential header was sent more than once.
    pub duplicated_credential: bool,
    /// `requestContext.domainName`, from which the issuer is derived when `ISSUER` is empty.
    pub domain_name: Option<String>,
}

/// A malformed event: a fixed reason, never text from the event (logged by
/// [`Authorizer::handle`]).
fn malformed(what: &str) -> Error {
    Error::bad_request(format!("malformed authorizer event: {what}"))
}

/// Names of the fields of the event shapes Gatehouse reads. A failing field's path is
/// logged with these names only: a serde error's text quotes the offending value, and a
/// map key (a header or query parameter name) is the caller's own text.
const EVENT_FIELDS: [&str; 33] = [
    "version",
    "type",
    "routeArn",
    "identitySource",
    "routeKey",
    "rawPath",
    "rawQueryString",
    "cookies",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "requestContext",
    "authorizationToken",
    "methodArn",
    "resource",
    "path",
    "httpMethod",
    "http",
    "method",
    "protocol",
    "sourceIp",
    "userAgent",
    "accountId",
    "apiId",
    "domainName",
    "domainPrefix",
    "requestId",
    "stage",
    "identity",
    "resourcePath",
];

/// The JSON path of a failing field, built from [`EVENT_FIELDS`] and array indexes
/// only; any other name shows as `*`.
fn event_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let parts: Vec<String> = path
        .iter()
        .map(|segment| match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } if EVENT_FIELDS.contains(&key.as_str()) => key.clone(),
            _ => "*".to_owned(),
        })
        .collect();
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join(".")
    }
}

/// Deserializes one event shape. The error names the failing field's path, never the
/// serde error's text (it can quote values: docs/SECURITY.md, item 12).
fn read_shape<T: serde::de::DeserializeOwned>(event: Value) -> Result<T> {
    serde_path_to_error::deserialize(event)
        .map_err(|e| malformed(&format!("field `{}` is invalid", event_path(e.path()))))
}

/// `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>` → (method, path).
fn split_execute_api_arn(arn: &str) -> Option<(String, String)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.splitn(4, '/');
    let (_api, _stage, method) = (parts.next()?, parts.next()?, parts.next()?);
    let path = format!("/{}", parts.next().unwrap_or(""));
    Some((method.to_owned(), path))
}

/// The single value of a credential header; a repeated or non-text one (or, for HTTP
/// APIs, which join repeats, a comma-joined one: checked by the caller) is flagged,
/// never silently resolved.
fn credential_header(headers: &HeaderMap, name: &str, dup: &mut bool) -> Option<String> {
    match single_value(headers, name) {
        Ok(v) => v.map(str::to_owned),
        Err(_) => {
            *dup = true;
            None
        }
    }
}

/// The app id header's single value (README "Applications and sharing"); a repeated
/// one becomes `""`, which no app id equals (HTTP APIs join repeats with commas, which
/// no app id contains either).
fn app_header(headers: &HeaderMap) -> Option<String> {
    match single_value(headers, crate::authz::APP_ID_HEADER) {
        Ok(v) => v.map(str::to_owned),
        Err(_) => Some(String::new()),
    }
}

/// Reads any supported event shape: the shape's reader, then what every shape needs.
pub fn parse_event(event: Value) -> Result<AuthInput> {
    let domain_name = event
        .pointer("/requestContext/domainName")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let version = event.get("version").and_then(Value::as_str);
    let shape = match (version, event.get("type").and_then(Value::as_str)) {
        (Some("2.0"), _) => EventShape::HttpV2,
        (_, Some("TOKEN")) => EventShape::RestToken,
        (_, Some("REQUEST")) => EventShape::RestRequest,
        _ => return Err(malformed("unknown event shape")),
    };
    let mut input = match shape {
        EventShape::HttpV2 => http_v2(read_shape(event)?),
        EventShape::RestToken => rest_token(read_shape(event)?)?,
        EventShape::RestRequest => rest_request(read_shape(event)?)?,
    };
    input.domain_name = domain_name;
    if input.method.is_empty() || input.resource_arn.is_empty() {
        return Err(malformed("missing method or route ARN"));
    }
    Ok(input)
}

/// HTTP API, payload 2.0: the method and raw path as received, the matched route, and
/// the credential headers (a comma-joined value is a repeated header).
fn http_v2(e: ApiGatewayV2CustomAuthorizerV2Request) -> AuthInput {
    let mut dup = false;
    let api_key = credential_header(&e.headers, "x-api-key", &mut dup);
    let authorization = credential_header(&e.headers, "authorization", &mut dup);
    let joined = |v: &Option<String>| v.as_deref().is_some_and(|v| v.contains(','));
    AuthInput {
        shape: Some(EventShape::HttpV2),
        method: e.request_context.http.method.as_str().to_owned(),
        // The raw path keeps any stage or API-mapping prefix: only `ROUTE_PREFIX`
        // removes one (README "Route rules").
        path: e
            .raw_path
            .clone()
            .or(e.request_context.http.path.clone())
            .unwrap_or_default(),
        route_template: e
            .route_key
            .as_deref()
            .and_then(|k| k.split_once(' '))
            .map(|(_, path)| path.to_owned()),
        path_params: e.path_parameters.into_iter().collect(),
        resource_arn: e.route_arn.unwrap_or_default(),
        origin: sent_origin(&e.headers).map(str::to_owned),
        app_header: app_header(&e.headers),
        duplicated_credential: dup || joined(&api_key) || joined(&authorization),
        api_key,
        authorization,
        cookies: e.cookies,
        domain_name: None,
    }
}

/// REST `TOKEN`: the one token (an API key by its prefix, else a bearer token); the
/// method and path come from the `methodArn`.
fn rest_token(e: ApiGatewayCustomAuthorizerRequest) -> Result<AuthInput> {
    let mut input = with_method_arn(e.method_arn.unwrap_or_default())?;
    input.shape = Some(EventShape::RestToken);
    let token = e.authorization_token.unwrap_or_default();
    if token.starts_with(crate::credentials::apikey::PREFIX) {
        input.api_key = Some(token);
    } else if !token.is_empty() {
        input.authorization = Some(token);
    }
    Ok(input)
}

/// REST `REQUEST` (and HTTP API payload 1.0): the matched resource, the credential
/// headers (multi-value ones when sent) and cookies; method and path from the
/// `methodArn`.
fn rest_request(e: ApiGatewayCustomAuthorizerRequestTypeRequest) -> Result<AuthInput> {
    let mut input = with_method_arn(e.method_arn.unwrap_or_default())?;
    input.shape = Some(EventShape::RestRequest);
    input.route_template = e.resource;
    input.path_params = e.path_parameters.into_iter().collect();
    let headers = if e.multi_value_headers.is_empty() {
        &e.headers
    } else {
        &e.multi_value_headers
    };
    let mut dup = false;
    input.api_key = credential_header(headers, "x-api-key", &mut dup);
    input.authorization = credential_header(headers, "authorization", &mut dup);
    input.origin = sent_origin(headers).map(str::to_owned);
    input.app_header = app_header(headers);
    input.cookies = cookie_headers(headers).map(str::to_owned).collect();
    input.duplicated_credential = dup;
    Ok(input)
}

/// The input of a REST event so far: its `methodArn` and the method and path in it.
fn with_method_arn(resource_arn: String) -> Result<AuthInput> {
    let (method, path) =
        split_execute_api_arn(&resource_arn).ok_or_else(|| malformed("bad methodArn"))?;
    Ok(AuthInput {
        method,
        path,
        resource_arn,
        ..AuthInput::default()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "Sekr3t-gk_Value-Quoted-By-Serde";

    /// A serde error quotes the offending value; the event error names the field only.
    #[test]
    fn malformed_events_name_the_field_never_the_value() {
        let cases = [
            (
                json!({"version": "2.0", "cookies": SECRET, "requestContext": {}}),
                "`cookies`",
            ),
            (
                json!({"type": "REQUEST", "methodArn": "arn:aws:execute-api:r:a:i/s/GET/x", "requestContext": SECRET}),
                "`requestContext`",
            ),
            (
                json!({"type": "TOKEN", "authorizationToken": {SECRET: SECRET}}),
                "`authorizationToken`",
            ),
            (
                // No other field is wrong, whatever order serde_json keeps keys in.
                json!({"version": "2.0", "pathParameters": {SECRET: 5}}),
                "`pathParameters.*`",
            ),
        ];
        for (event, field) in cases {
            let shown = parse_event(event.clone()).unwrap_err().detail();
            assert!(!shown.contains(SECRET), "{event} -> {shown}");
            assert!(shown.contains(field), "{event} -> {shown}");
        }
    }
}
