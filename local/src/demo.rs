//! The demo embedding page and its small "app server" (development only): serves
//! `local/demo/index.html` on another site than the gateway, and, as a customer's
//! server would, asks the gateway for widget credentials with its private API key.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::Html;
use axum::routing::{get, post};
use serde_json::{Value, json};

const PAGE: &str = include_str!("../demo/index.html");

/// What the app server knows: the gateway URL and its keys.
pub struct DemoApp {
    /// Base URL of the API (the gateway), as the widget calls it.
    pub api: String,
    /// Private key with `widget:issue` (stays on the server).
    pub issuer_key: String,
    /// Key with scope `client` only, put in the widget config in mode 2 (dev only).
    pub dev_key: String,
    /// The provider id behind "Sign in with the test IdP" (none: the button is hidden).
    pub idp: Option<String>,
    pub http: reqwest::Client,
}

impl DemoApp {
    pub fn new(api: String, issuer_key: String, dev_key: String) -> Self {
        gatehouse::adapters::sdk::install_crypto_provider();
        DemoApp {
            api,
            issuer_key,
            dev_key,
            idp: None,
            http: reqwest::Client::new(),
        }
    }

    /// The page's "Sign in with the test IdP" starts a sign-in at provider `id`.
    pub fn with_idp(mut self, id: &str) -> Self {
        self.idp = Some(id.to_owned());
        self
    }

    async fn issue(&self, path: &str, body: Value) -> Json<Value> {
        let r = self
            .http
            .post(format!("{}{path}", self.api))
            .header("x-api-key", &self.issuer_key)
            .json(&body)
            .send()
            .await;
        let v = match r {
            Ok(resp) => resp
                .json()
                .await
                .unwrap_or_else(|e| json!({"error": e.to_string()})),
            Err(e) => json!({"error": e.to_string()}),
        };
        Json(v)
    }

    /// Serves the page and the app-server endpoints on `listener`.
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        let app = axum::Router::new()
            .route("/", get(|| async { Html(PAGE) }))
            .route(
                "/app/config",
                get(|State(d): State<Arc<DemoApp>>| async move {
                    Json(json!({"api": d.api, "devKey": d.dev_key, "idp": d.idp}))
                }),
            )
            .route(
                "/app/temp-token",
                post(|State(d): State<Arc<DemoApp>>| async move {
                    d.issue(
                        "/widget/generateToken",
                        json!({"userid": "demo-user", "appid": "demo-app", "expirationTime": "1h"}),
                    )
                    .await
                }),
            )
            .route(
                "/app/security-token",
                post(|State(d): State<Arc<DemoApp>>| async move {
                    d.issue(
                        "/widget/login/token",
                        json!({"userid": "demo-user", "appid": "demo-app", "expiresIn": "1h"}),
                    )
                    .await
                }),
            )
            .with_state(self);
        axum::serve(listener, app).await
    }
}
