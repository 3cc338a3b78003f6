//! A local stand-in for API Gateway (HTTP API, payload 2.0), serving the functions in
//! process. It reproduces what clients and functions can observe of the real gateway:
//! CORS from the `CorsConfiguration`, 404 for unknown routes, the authorizer's 403/500
//! answers, the event shapes, cookies in `cookies`, and the response mapping.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use aws_sdk_dynamodb::Client as DynamoClient;
use axum::body::{Body as AxumBody, to_bytes};
use axum::extract::ConnectInfo;
use base64::Engine;
use gatehouse::adapters::DynamoStore;
use gatehouse::adapters::lambda::LambdaAdmin;
use gatehouse::adapters::lambda::LambdaAuthorizer;
use gatehouse::adapters::lambda::LambdaToken;
use gatehouse::adapters::lambda::LambdaUsers;
use gatehouse::adapters::lambda::LambdaWidget;
use gatehouse::answers::GatewayMessage;
use gatehouse::authz::origin::{AllowedOrigins, sent_origin};
use gatehouse::config::{AuthorizerResponse, Config};
use gatehouse::functions::authorizer::Authorizer;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use lambda_http::request::LambdaRequest;
use lambda_http::tower::ServiceExt;
use serde_json::{Value, json};

use crate::events;
use crate::routes::{self, Function};

/// API Gateway's limit on the total size of request headers (HTTP API: 10 KiB).
pub const MAX_HEADER_BYTES: usize = 10 * 1024;
/// API Gateway's payload limit.
pub const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;
const ALLOW_METHODS: &str = "GET,POST";
/// The CORS `AllowHeaders` (the template's `CorsConfiguration` lists the same): the
/// credential headers, the body's type and the app id header of app-bearing rules.
pub const ALLOW_HEADERS: &str = "authorization,content-type,x-api-key,x-gatehouse-app-id";
const CORS_MAX_AGE: &str = "600";

/// The functions behind the gateway, built once like warm Lambda instances.
pub struct Gateway {
    authorizer: LambdaAuthorizer,
    authorizer_mode: AuthorizerResponse,
    token: Arc<LambdaToken>,
    widget: Arc<LambdaWidget>,
    admin: Arc<LambdaAdmin>,
    users: Arc<LambdaUsers>,
    allowed_origins: AllowedOrigins,
    /// `host:port` the gateway is reached at (the event's `domainName`).
    domain_name: String,
}

impl Gateway {
    /// The functions, built from `config` with these clients (as each Lambda builds
    /// its own from the environment).
    pub fn new(
        config: &Config,
        dynamodb: DynamoClient,
        secrets: aws_sdk_secretsmanager::Client,
        sdk: &aws_config::SdkConfig,
        domain_name: impl Into<String>,
    ) -> gatehouse::Result<Self> {
        let store = DynamoStore::new(
            dynamodb.clone(),
            config.table_name.clone(),
            gatehouse::records::access::Function::Authorizer,
        );
        Ok(Gateway {
            authorizer: Authorizer::new(config, store, secrets.clone()),
            authorizer_mode: config.authorizer_response,
            token: Arc::new(LambdaToken::new(
                config.clone(),
                secrets.clone(),
                dynamodb.clone(),
            )?),
            widget: Arc::new(LambdaWidget::new(
                config.clone(),
                secrets.clone(),
                dynamodb.clone(),
            )?),
            users: Arc::new(LambdaUsers::new(
                config.clone(),
                dynamodb.clone(),
                gatehouse::adapters::sdk::sesv2(sdk),
                secrets.clone(),
            )),
            admin: Arc::new(LambdaAdmin::new(config.clone(), secrets, dynamodb, sdk)?),
            allowed_origins: config.allowed_origins.clone(),
            domain_name: domain_name.into(),
        })
    }

    /// The gateway with this users function instead (tests inject its clock).
    pub fn with_users(mut self, users: LambdaUsers) -> Self {
        self.users = Arc::new(users);
        self
    }

    /// The gateway with this admin function instead (tests wire its SES).
    pub fn with_admin(mut self, admin: LambdaAdmin) -> Self {
        self.admin = Arc::new(admin);
        self
    }

    /// Serves on `listener` until the future is dropped.
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        let app = axum::Router::new().fallback(
            move |ConnectInfo(peer): ConnectInfo<SocketAddr>, req: Request<AxumBody>| {
                let gw = self.clone();
                async move { Ok::<_, Infallible>(gw.handle(peer, req).await) }
            },
        );
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    }

    async fn handle(&self, peer: SocketAddr, req: Request<AxumBody>) -> Response<AxumBody> {
        // CORS answers an allowed origin with the configured entry (lower case).
        let allowed_origin = sent_origin(req.headers())
            .and_then(|o| self.allowed_origins.find(o))
            .map(str::to_owned);
        let mut resp = if is_preflight(&req) {
            preflight(&req, allowed_origin.as_deref())
        } else {
            self.route(peer, req).await
        };
        if let Some(o) = allowed_origin {
            let h = resp.headers_mut();
            h.insert(
                "access-control-allow-origin",
                HeaderValue::from_str(&o).expect("origin is ASCII"),
            );
            h.insert(
                "access-control-allow-credentials",
                HeaderValue::from_static("true"),
            );
        }
        resp.headers_mut()
            .append("vary", HeaderValue::from_static("Origin"));
        resp
    }

    async fn route(&self, peer: SocketAddr, req: Request<AxumBody>) -> Response<AxumBody> {
        let header_bytes: usize = req
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum();
        if header_bytes > MAX_HEADER_BYTES {
            return gateway_error(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request Header Fields Too Large",
            );
        }
        let path = req.uri().path().to_owned();
        let Some((route, params)) = routes::find(req.method().as_str(), &path) else {
            return gateway_error(StatusCode::NOT_FOUND, "Not Found");
        };
        let (parts, body) = req.into_parts();
        let Ok(body) = to_bytes(body, MAX_PAYLOAD_BYTES).await else {
            return gateway_error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
        };
        let mut event = events::http_event(
            &self.domain_name,
            &format!("{} {}", route.method, route.path),
            &parts.method,
            &parts.uri,
            &parts.headers,
            &body,
            peer,
        );
        events::set_path_parameters(&mut event, params);
        if route.authorizer() {
            match self.authorize(&event).await {
                Ok(context) => event["requestContext"]["authorizer"] = json!({ "lambda": context }),
                Err(resp) => return resp,
            }
        }
        self.invoke(route.function, event).await
    }

    /// Runs the authorizer; `Err` is the gateway's own answer (403 or 500).
    async fn authorize(&self, http_event: &Value) -> Result<Value, Response<AxumBody>> {
        let event = events::authorizer_event(http_event);
        let answer = gatehouse::adapters::lambda::invoke(&self.authorizer, event)
            .await
            .map_err(|_| {
                gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            })?;
        let allowed = match self.authorizer_mode {
            AuthorizerResponse::Simple => answer["isAuthorized"] == json!(true),
            AuthorizerResponse::Iam => answer["policyDocument"]["Statement"]
                .as_array()
                .is_some_and(|s| !s.is_empty() && s.iter().all(|st| st["Effect"] == "Allow")),
        };
        if !allowed {
            return Err(gateway_error(StatusCode::FORBIDDEN, "Forbidden"));
        }
        Ok(answer.get("context").cloned().unwrap_or_else(|| json!({})))
    }

    /// Invokes a function with the event, through `lambda_http`'s adapter (the same
    /// conversion the Lambda runtime applies), and maps its answer as API Gateway does.
    async fn invoke(&self, function: Function, event: Value) -> Response<AxumBody> {
        let request: LambdaRequest = match serde_json::from_value(event) {
            Ok(r) => r,
            Err(_) => {
                return gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
        };
        let event = LambdaEvent::new(request, Context::default());
        let answer = match function {
            Function::Token => call(&self.token, event).await,
            Function::Widget => call(&self.widget, event).await,
            Function::Admin => call(&self.admin, event).await,
            Function::Users => call(&self.users, event).await,
        };
        match answer {
            Some(v) => http_response(&v),
            None => gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        }
    }
}

/// One invocation through `lambda_http`'s adapter; the serialized function response.
async fn call<H: gatehouse::http::Handler>(
    handler: &Arc<H>,
    event: LambdaEvent<LambdaRequest>,
) -> Option<Value> {
    let adapter = lambda_http::Adapter::from(gatehouse::http::service(handler.clone()));
    let response = adapter.oneshot(event).await.ok()?;
    serde_json::to_value(response).ok()
}

fn is_preflight(req: &Request<AxumBody>) -> bool {
    req.method() == Method::OPTIONS
        && req.headers().contains_key("origin")
        && req.headers().contains_key("access-control-request-method")
}

/// A preflight, answered by the gateway without the authorizer.
fn preflight(req: &Request<AxumBody>, allowed_origin: Option<&str>) -> Response<AxumBody> {
    let mut resp = Response::builder().status(StatusCode::NO_CONTENT);
    let method = req
        .headers()
        .get("access-control-request-method")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if allowed_origin.is_some() && ALLOW_METHODS.split(',').any(|m| m == method) {
        resp = resp
            .header("access-control-allow-methods", ALLOW_METHODS)
            .header("access-control-allow-headers", ALLOW_HEADERS)
            .header("access-control-max-age", CORS_MAX_AGE);
    }
    resp.body(AxumBody::empty()).expect("static response")
}

/// API Gateway's own error answers: `{"message": "..."}`.
fn gateway_error(status: StatusCode, message: &str) -> Response<AxumBody> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(AxumBody::from(
            serde_json::to_string(&GatewayMessage {
                message: message.to_owned(),
            })
            .unwrap_or_default(),
        ))
        .expect("static response")
}

/// Maps a payload-2.0 function response to HTTP, as API Gateway does.
fn http_response(v: &Value) -> Response<AxumBody> {
    let status = v["statusCode"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok());
    let Some(status) = status else {
        return gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let mut resp = Response::builder().status(status);
    if let Some(h) = v["headers"].as_object() {
        for (k, val) in h {
            if let Some(s) = val.as_str() {
                resp = resp.header(k, s);
            }
        }
    }
    for c in v["cookies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        resp = resp.header("set-cookie", c);
    }
    let body = v["body"].as_str().unwrap_or("");
    let body = if v["isBase64Encoded"] == json!(true) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    };
    resp.body(AxumBody::from(body)).unwrap_or_else(|_| {
        gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    })
}
