//! The OpenAPI 3.1 description of the API, generated from the route table
//! ([`crate::routes::ROUTES`]) and the schemas of gatehouse's request and answer types.
//! `make openapi` writes it to `docs/openapi.json`; the token function serves that file
//! at `GET /openapi.json`, and a test fails when it differs from a fresh generation.
//!
//! Besides each route's own refusals, every operation documents what all routes of its
//! kind answer: 413 (a body over 16 384 bytes), 431 (the gateway's header limit), 400 and
//! 415 on JSON bodies, 400 on the form; behind the authorizer 403 (the gateway's
//! `{"message":"Forbidden"}`, or the function's own refusal) and 500 (the authorizer
//! failed: the gateway fails closed); on admin routes 401, 403 and 503.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::routes::{ERROR_BODY, GATEWAY_MESSAGE, Input, ROUTES, Route, Schema, Security, Sets};
use gatehouse::authz::PrincipalType;

/// Where the generated file lives, relative to the workspace root.
pub const SPEC_PATH: &str = "docs/openapi.json";

/// The command that regenerates [`SPEC_PATH`].
pub const REGENERATE: &str = "make openapi";

/// The schemas every operation refers to, collected once per type.
#[derive(Default)]
struct Components {
    schemas: BTreeMap<String, Value>,
}

impl Components {
    /// A `$ref` to the type's schema, adding it (and what it refers to).
    fn refer(&mut self, schema: &Schema) -> Value {
        let mut found = Vec::new();
        let name = (schema.register)(&mut found);
        for (n, s) in found {
            let value = serde_json::to_value(&s).unwrap_or(Value::Null);
            self.schemas.entry(n).or_insert(value);
        }
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    /// The type's own schema, inline (what it refers to is added).
    fn inline(&mut self, schema: &Schema) -> Value {
        let mut found = Vec::new();
        let name = (schema.register)(&mut found);
        let mut own = Value::Null;
        for (n, s) in found {
            let value = serde_json::to_value(&s).unwrap_or(Value::Null);
            if n == name {
                own = value;
            } else {
                self.schemas.entry(n).or_insert(value);
            }
        }
        own
    }

    /// One optional query parameter per property of the type.
    fn query_parameters(&mut self, schema: &Schema) -> Value {
        let own = self.inline(schema);
        let parameters: Vec<Value> = own["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, s)| {
                let mut s = s.clone();
                let description = s
                    .as_object_mut()
                    .and_then(|o| o.remove("description"))
                    .unwrap_or_default();
                json!({ "name": name, "in": "query", "required": false,
                        "description": description, "schema": s })
            })
            .collect();
        Value::Array(parameters)
    }
}

/// The whole document, as `docs/openapi.json` holds it: keys sorted (the same bytes
/// whether or not a build orders JSON maps by insertion), pretty-printed, final newline.
pub fn generate() -> String {
    let mut text = serde_json::to_string_pretty(&sorted(document())).unwrap_or_default();
    text.push('\n');
    text
}

fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The document as JSON.
pub fn document() -> Value {
    let mut components = Components::default();
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for route in ROUTES {
        let op = operation(route, &mut components);
        paths
            .entry(route.path)
            .or_default()
            .insert(route.method.to_ascii_lowercase(), op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Gatehouse",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "servers": [{
            "url": "{issuer}",
            "description": "The API's base URL: ISSUER, or https://<API Gateway domain>",
            "variables": { "issuer": { "default": "http://127.0.0.1:3000" } },
        }],
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "securitySchemes": security_schemes(),
            "responses": { "CorsPreflight": preflight() },
        },
    })
}

const DESCRIPTION: &str = "Gatehouse issues and checks the platform's credentials. \
Every function answer carries `Cache-Control: no-store` except the discovery documents \
and this description, which are public and cacheable. Refusals are JSON: \
`{\"error\", \"message\"}` from the functions (RFC 6749 errors with `error_description` \
on `/token`), `{\"message\"}` from API Gateway itself. CORS preflights (`OPTIONS`) are \
answered by the gateway with 204 and the configured allowed origins, without the \
authorizer (`#/components/responses/CorsPreflight`). Cookie and widget-token credentials are honoured only from an allowed \
`Origin`; admin routes refuse any Origin but the API's own.";

/// The gateway's answer to a CORS preflight on any route (not an operation: the template
/// declares no `OPTIONS` routes).
fn preflight() -> Value {
    let header =
        |description: &str| json!({ "description": description, "schema": { "type": "string" } });
    json!({
        "description": "A CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`), answered by API Gateway without the authorizer. The `Access-Control-Allow-*` headers are present only for an allowed origin and method.",
        "headers": {
            "Access-Control-Allow-Origin": header("The request's origin, when it is in ALLOWED_ORIGINS"),
            "Access-Control-Allow-Credentials": header("`true`"),
            "Access-Control-Allow-Methods": header("`GET,POST`"),
            "Access-Control-Allow-Headers": header("`authorization,content-type,x-api-key`"),
            "Access-Control-Max-Age": header("`600`"),
        },
    })
}

fn security_schemes() -> Value {
    json!({
        "apiKey": {
            "type": "apiKey", "in": "header", "name": "x-api-key",
            "description": "A private API key `gk_<id>_<secret>`; scopes from its record (default `data client widget:issue`).",
        },
        "bearer": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A JWT this API issued: an access token (`aud` `api`, from `POST /token`) or a widget security token (`aud` `widget`, from `POST /widget/login/token`, honoured only from one of its `origins`). The authorizer tells them apart by `aud` alone.",
        },
        "oauth2": {
            "type": "oauth2",
            "description": "OAuth 2.0 client credentials: `POST /token` gives an access token with scope `data`, sent as a bearer token.",
            "flows": { "clientCredentials": {
                "tokenUrl": "/token",
                "scopes": { "data": "Survey data routes", "client": "Display routes (host authorization codes give it)" },
            }},
        },
        "clientBasic": {
            "type": "http", "scheme": "basic",
            "description": "`POST /token` only: the OAuth client's id and secret (`client_secret_basic`). A failure answers 401 with `WWW-Authenticate: Basic`.",
        },
        "widgetSession": {
            "type": "apiKey", "in": "cookie", "name": gatehouse::authz::SESSION_COOKIE,
            "description": "The widget session cookie (`POST /widget/loginToken`), honoured only from an allowed Origin.",
        },
        "userSession": {
            "type": "apiKey", "in": "cookie", "name": gatehouse::authz::USER_COOKIE,
            "description": "A creator's or end user's session cookie (`POST /users/signin`), honoured only from an allowed Origin.",
        },
        "adminSession": {
            "type": "apiKey", "in": "cookie", "name": gatehouse::functions::admin::ADMIN_COOKIE,
            "description": "The admin session cookie (`POST /admin/signin`); checked by the admin function, never by the authorizer.",
        },
        "csrfToken": {
            "type": "apiKey", "in": "header", "name": gatehouse::functions::admin::CSRF_HEADER,
            "description": "The admin session's CSRF token (`csrfToken` of the sign-in answer), required on every admin POST.",
        },
    })
}

/// The security requirement of a route: alternatives, any one suffices.
pub fn security(route: &Route) -> Value {
    match route.security {
        Security::Public => json!([]),
        Security::TokenClient => json!([{ "clientBasic": [] }, {}]),
        Security::Admin if route.method == "GET" => json!([{ "adminSession": [] }]),
        Security::Admin => json!([{ "adminSession": [], "csrfToken": [] }]),
        Security::AdminCookie => json!([{ "adminSession": [] }]),
        Security::Authorizer { principals, scope } => {
            let admitted = principals.unwrap_or(&PrincipalType::ALL);
            let mut out: Vec<Value> = Vec::new();
            for t in admitted {
                let alt = match t {
                    PrincipalType::ApiKey => json!({ "apiKey": [] }),
                    PrincipalType::Client => {
                        json!({ "oauth2": scope.map(|s| vec![s.as_str()]).unwrap_or_default() })
                    }
                    PrincipalType::HostUser | PrincipalType::WidgetToken => json!({ "bearer": [] }),
                    PrincipalType::WidgetSession => json!({ "widgetSession": [] }),
                    PrincipalType::Creator | PrincipalType::EndUser => {
                        json!({ "userSession": [] })
                    }
                };
                if !out.contains(&alt) {
                    out.push(alt);
                }
            }
            Value::Array(out)
        }
    }
}

fn operation(route: &Route, c: &mut Components) -> Value {
    let mut op = json!({
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.function.logical_id().trim_end_matches("Function").to_ascii_lowercase()],
        "security": security(route),
        "responses": responses(route, c),
    });
    if route.destructive {
        // Read by local/scripts/contract.sh: these operations run in its last phases.
        op["x-gatehouse-destructive"] = true.into();
    }
    if let Security::Authorizer { scope: Some(s), .. } = route.security {
        op["description"] = format!("Needs scope `{}`.", s.as_str()).into();
    }
    match route.input {
        Input::Nothing => {}
        Input::Json { body, required } => {
            op["requestBody"] = json!({
                "required": required,
                "content": { "application/json": { "schema": c.refer(&body) } },
            });
        }
        Input::Form(body) => {
            op["requestBody"] = json!({
                "required": true,
                "content": { "application/x-www-form-urlencoded": { "schema": c.refer(&body) } },
            });
        }
        Input::Query(params) => {
            op["parameters"] = c.query_parameters(&params);
        }
        Input::AnyQuery => {
            op["parameters"] = json!([{
                "name": "params", "in": "query", "required": false,
                "description": "Passed on to AUTH_URL unchanged.",
                "style": "form", "explode": true,
                "schema": { "type": "object", "additionalProperties": { "type": "string" } },
            }]);
        }
    }
    let path_params: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(path_parameter)
        .collect();
    if !path_params.is_empty() {
        op["parameters"] = Value::Array(path_params);
    }
    op
}

/// A `{name}` segment: one path segment (an app id for `app_id`, README "Applications
/// and sharing").
fn path_parameter(name: &str) -> Value {
    let schema = match name {
        "app_id" => json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$" }),
        _ => json!({ "type": "string", "minLength": 1 }),
    };
    json!({ "name": name, "in": "path", "required": true, "schema": schema })
}

/// The statuses a route answers besides its success, with who gives them.
fn refusal_statuses(route: &Route) -> BTreeMap<u16, Source> {
    let mut out: BTreeMap<u16, Source> = route
        .refusals
        .iter()
        .map(|s| (*s, Source::Function))
        .collect();
    out.insert(413, Source::Either);
    out.insert(431, Source::Gateway);
    match route.input {
        Input::Json { .. } => {
            out.insert(400, Source::Function);
            out.insert(415, Source::Function);
        }
        Input::Form(_) | Input::Query(_) => {
            out.insert(400, Source::Function);
        }
        Input::Nothing | Input::AnyQuery => {}
    }
    match route.security {
        Security::Authorizer { .. } => {
            out.insert(403, Source::Either);
            out.insert(500, Source::Gateway);
        }
        Security::Admin | Security::AdminCookie => {
            for s in [401, 403, 503] {
                out.insert(s, Source::Function);
            }
        }
        Security::Public | Security::TokenClient => {}
    }
    if route.function == crate::routes::Function::Admin {
        // The foreign-origin refusal holds on every admin route, the sign-in included.
        out.insert(403, Source::Function);
    }
    out
}

/// Who gives a refusal: the function (`ErrorBody`), API Gateway (`GatewayMessage`), or
/// either of them.
#[derive(Clone, Copy)]
enum Source {
    Function,
    Gateway,
    Either,
}

fn responses(route: &Route, c: &mut Components) -> Value {
    let mut out = Map::new();
    let (status, body) = route.ok;
    let mut ok = json!({ "description": route.summary, "headers": success_headers(route) });
    if let Some(body) = body {
        let mut content = Map::new();
        content.insert(route.media.into(), json!({ "schema": c.refer(&body) }));
        ok["content"] = Value::Object(content);
    }
    out.insert(status.to_string(), ok);
    let error = c.refer(&ERROR_BODY);
    let gateway = c.refer(&GATEWAY_MESSAGE);
    for (status, source) in refusal_statuses(route) {
        let schema = match source {
            Source::Function => error.clone(),
            Source::Gateway => gateway.clone(),
            Source::Either => json!({ "anyOf": [error.clone(), gateway.clone()] }),
        };
        let mut r = json!({
            "description": refusal_description(route, status),
            "content": { "application/json": { "schema": schema } },
        });
        let mut headers = Map::new();
        if !matches!(source, Source::Gateway) {
            headers.insert("Cache-Control".into(), no_store());
        }
        if status == 429 {
            headers.insert(
                "Retry-After".into(),
                json!({ "description": "Seconds until the window ends", "schema": { "type": "integer", "minimum": 1 } }),
            );
        }
        if status == 401 && route.security == Security::TokenClient {
            headers.insert(
                "WWW-Authenticate".into(),
                json!({ "description": "On a failed HTTP Basic client authentication: `Basic realm=\"gatehouse\", charset=\"UTF-8\"`", "schema": { "type": "string" } }),
            );
        }
        if !headers.is_empty() {
            r["headers"] = Value::Object(headers);
        }
        out.insert(status.to_string(), r);
    }
    Value::Object(out)
}

fn no_store() -> Value {
    json!({ "description": "`no-store`", "schema": { "type": "string", "const": "no-store" } })
}

fn success_headers(route: &Route) -> Value {
    let mut h = Map::new();
    h.insert("Cache-Control".into(), no_store());
    for s in route.sets {
        match s {
            Sets::Cookie(name) => {
                h.insert(
                    "Set-Cookie".into(),
                    json!({ "description": format!("The `{name}` cookie (`Secure; HttpOnly`; cleared with `Max-Age=0`)"), "schema": { "type": "string" } }),
                );
            }
            Sets::Location => {
                h.insert(
                    "Location".into(),
                    json!({ "description": "AUTH_URL with the request's query string", "schema": { "type": "string" } }),
                );
            }
            Sets::PublicCache(max_age) => {
                h.insert(
                    "Cache-Control".into(),
                    json!({ "description": format!("`public, max-age=<{max_age}>`: a documented exception to `no-store`"), "schema": { "type": "string", "pattern": "^public, max-age=[0-9]+$" } }),
                );
            }
        }
    }
    if route.security == Security::TokenClient {
        h.insert(
            "Pragma".into(),
            json!({ "description": "`no-cache` (RFC 6749 section 5.1)", "schema": { "type": "string", "const": "no-cache" } }),
        );
    }
    Value::Object(h)
}

fn refusal_description(route: &Route, status: u16) -> String {
    let oauth = route.security == Security::TokenClient;
    match status {
        400 if oauth => "RFC 6749 error: `invalid_request`, `invalid_grant` or `unsupported_grant_type`".into(),
        400 => "Malformed input: the message names the field".into(),
        401 if oauth => "`invalid_client` (RFC 6749)".into(),
        401 => "No valid credential".into(),
        403 => "Refused: the authorizer's deny (API Gateway's `{\"message\":\"Forbidden\"}`), a foreign or missing Origin, or a credential that may not do this".into(),
        404 => "Not found (or the feature is off)".into(),
        409 => "Conflicts with the current state".into(),
        413 => "Body over 16 384 bytes".into(),
        415 => "Content-Type must be application/json".into(),
        429 => "Too many failed attempts; see Retry-After".into(),
        431 => "Request headers over API Gateway's limit".into(),
        500 => "The authorizer failed: API Gateway fails closed".into(),
        503 => "A dependency (DynamoDB, Secrets Manager, STS, IAM) failed: fail closed".into(),
        _ => format!("HTTP {status}"),
    }
}
