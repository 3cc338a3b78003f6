//! Admin API test helpers: a gateway with the admin function, sign-in requests.

use std::time::SystemTime;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::IamUser;

pub const SERVER_ID: &str = "https://gatehouse.test";

pub struct Stack {
    pub url: String,
    pub store: gatehouse::store::DynamoStore,
    pub http: reqwest::Client,
    pub clients_secret: String,
}

pub async fn stack(extra: &[(&str, &str)]) -> Stack {
    let store = super::fresh_store().await;
    let clients_secret = super::fresh_secret("clients", "[]").await;
    let mut vars = vec![
        ("ADMIN_SERVER_ID", SERVER_ID),
        ("CLIENT_SECRETS_SECRET_ARN", clients_secret.as_str()),
    ];
    vars.extend_from_slice(extra);
    let url = super::gateway(&store, store.client().clone(), &vars).await;
    Stack {
        url,
        store,
        http: super::http(),
        clients_secret,
    }
}

pub use super::Answer;

/// A signed-in admin: the cookie and the CSRF token.
pub struct Admin {
    pub cookie: String,
    pub csrf: String,
}

pub fn keys_body(u: &IamUser) -> Value {
    json!({"userName": u.name, "accessKeyId": u.key_id, "secretAccessKey": u.secret})
}

pub fn presigned(u: &IamUser, server_id: &str, at: SystemTime) -> Value {
    let creds = aws_credential_types::Credentials::new(&u.key_id, &u.secret, None, None, "test");
    let sts = super::require_env("AWS_ENDPOINT_URL_STS");
    let req = gatehouse::iam::presign_get_caller_identity(&creds, "us-east-1", &sts, server_id, at)
        .unwrap();
    json!({ "presigned": req })
}

impl Stack {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let url = format!("{}{path}", self.url);
        super::send_json(&self.http, method, &url, headers, body).await
    }

    pub async fn signin(&self, body: Value) -> Answer {
        self.send(reqwest::Method::POST, "/admin/signin", &[], Some(body))
            .await
    }

    pub async fn admin(&self, u: &IamUser) -> Admin {
        let a = self.signin(keys_body(u)).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let set = a.headers["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            set.ends_with("; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600"),
            "{set}"
        );
        Admin {
            cookie: set.split(';').next().unwrap().to_owned(),
            csrf: a.body["csrfToken"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn call(
        &self,
        admin: &Admin,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        self.send(
            method,
            path,
            &[("cookie", &admin.cookie), ("x-csrf-token", &admin.csrf)],
            body,
        )
        .await
    }
}
