//! API Gateway HTTP API (payload 2.0) events, as the gateway builds them: the request
//! event a function receives and the authorizer's `REQUEST` event. Shared by the local
//! gateway and the benchmark harness, so both send the same shapes.

use std::net::SocketAddr;

use base64::Engine;
use gatehouse::primitives::headers::cookie_strings;
use http::{HeaderMap, Method};
use serde_json::{Value, json};

pub const ACCOUNT_ID: &str = "000000000000";
pub const API_ID: &str = "local";

/// The values a `{param}` route bound, as the event's `pathParameters` (absent when
/// there are none, as API Gateway sends it).
pub fn set_path_parameters(event: &mut Value, params: crate::routes::PathParams) {
    if !params.is_empty() {
        let params = params.into_iter().map(|(k, v)| (k, Value::String(v)));
        event["pathParameters"] = Value::Object(params.collect());
    }
}

/// The HTTP API payload-2.0 event for this request.
pub fn http_event(
    domain_name: &str,
    route_key: &str,
    method: &Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &[u8],
    peer: SocketAddr,
) -> Value {
    let mut hdrs = serde_json::Map::new();
    let mut cookies = Vec::new();
    // Repeated headers are joined with commas; cookies are split into `cookies`.
    for (name, value) in headers {
        let value = value.to_str().unwrap_or("");
        if name == http::header::COOKIE {
            cookies.extend(cookie_strings([value]).map(str::to_owned));
        } else if let Some(Value::String(joined)) = hdrs.get_mut(name.as_str()) {
            joined.push(',');
            joined.push_str(value);
        } else {
            hdrs.insert(name.as_str().to_owned(), value.into());
        }
    }
    let query = uri.query().unwrap_or("");
    let mut qsp = serde_json::Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match qsp.get_mut(k) {
            Some(Value::String(prev)) => *prev = format!("{prev},{v}"),
            _ => {
                qsp.insert(k.to_owned(), v.into());
            }
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let (body_field, is_b64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_owned()), false),
        Err(_) => (
            base64::engine::general_purpose::STANDARD
                .encode(body)
                .into(),
            true,
        ),
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": uri.path(),
        "rawQueryString": query,
        "headers": hdrs,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": domain_name,
            "domainPrefix": domain_name.split('.').next().unwrap_or(""),
            "http": {
                "method": method.as_str(),
                "path": uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": peer.ip().to_string(),
                "userAgent": headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or(""),
            },
            "requestId": gatehouse::primitives::crypto::random_base62(16),
            "routeKey": route_key,
            "stage": "$default",
            "time": "",
            "timeEpoch": now.as_millis() as i64,
        },
        "isBase64Encoded": is_b64,
    });
    if !cookies.is_empty() {
        event["cookies"] = cookies.into();
    }
    if !qsp.is_empty() {
        event["queryStringParameters"] = qsp.into();
    }
    if !body_field.is_null() {
        event["body"] = body_field;
    }
    event
}

/// The authorizer's payload-2.0 `REQUEST` event for a request event.
pub fn authorizer_event(http_event: &Value) -> Value {
    let mut event = json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": route_arn(http_event),
        "identitySource": [],
    });
    for k in [
        "routeKey",
        "rawPath",
        "rawQueryString",
        "cookies",
        "headers",
        "queryStringParameters",
        "requestContext",
        "pathParameters",
        "stageVariables",
    ] {
        if let Some(v) = http_event.get(k) {
            event[k] = v.clone();
        }
    }
    event
}

fn route_arn(event: &Value) -> String {
    let ctx = &event["requestContext"];
    format!(
        "arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{API_ID}/{}/{}{}",
        ctx["stage"].as_str().unwrap_or("$default"),
        ctx["http"]["method"].as_str().unwrap_or(""),
        event["rawPath"].as_str().unwrap_or("/"),
    )
}
